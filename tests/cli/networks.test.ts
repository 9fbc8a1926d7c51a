/**
 * CLI tests of check-network and invert through the built binary.
 */

import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../support/cli.js";
import { gaussianLayer } from "../../src/experiments/phase.js";

let dir: string;
const run = (...args: string[]) => runCli(args, dir);
const net = (layers: unknown[], inputDim: number) =>
  JSON.stringify({ format: "injective-relu/network", version: 1, inputDim, layers });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "injective-relu-net-"));
  // Equation (4): an injective ReLU layer followed by ReLU(I ·).
  writeFileSync(
    join(dir, "eq4.json"),
    net(
      [
        {
          type: "dense",
          W: [
            [1, 0],
            [0, 1],
            [-1, 0],
            [0, -1],
          ],
          activation: "relu",
        },
        {
          type: "dense",
          W: [
            [1, 0, 0, 0],
            [0, 1, 0, 0],
            [0, 0, 1, 0],
            [0, 0, 0, 1],
          ],
          activation: "relu",
        },
      ],
      2,
    ),
  );
  // Not injective: the second layer drops a coordinate.
  writeFileSync(
    join(dir, "bad.json"),
    net(
      [
        {
          type: "dense",
          W: [
            [1, 0],
            [0, 1],
            [-1, 0],
            [0, -1],
          ],
          activation: "relu",
        },
        { type: "dense", W: [[1, 0, -1, 0]], activation: "linear" },
      ],
      2,
    ),
  );
  writeFileSync(join(dir, "y.json"), JSON.stringify([0, 2, 3, 0]));
  writeFileSync(join(dir, "ragged.json"), net([{ type: "dense", W: [[1, 0], [1]], activation: "relu" }], 2));
});

describe("check-network", () => {
  it("proves equation (4) layerwise (exit 0)", () => {
    const r = run("check-network", "eq4.json", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.injective).toBe(true);
    expect(j.layers).toHaveLength(2);
    expect(j.layers[1].domain).toBe("nonnegative");
  });
  it("finds an end-to-end witness (exit 1)", () => {
    const r = run("check-network", "bad.json", "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.injective).toBe(false);
    expect(j.witness.x1).not.toEqual(j.witness.x2);
  });
  it("bad input: one line, exit 3", () => {
    const r = run("check-network", "ragged.json");
    expect(r.code).toBe(3);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });
});

describe("check-network --proof and verify --layer: a network layer's evidence, re-checked", () => {
  beforeAll(() => {
    // A Gaussian 36 × 6 ReLU layer (decided by the branch and bound), then a linear identity.
    const { W, b } = gaussianLayer(6, 36, true, 11);
    const I = Array.from({ length: 36 }, (_, i) => Array.from({ length: 36 }, (_, j) => (i === j ? 1 : 0)));
    writeFileSync(
      join(dir, "gauss.json"),
      net(
        [
          { type: "dense", W, b, activation: "relu" },
          { type: "dense", W: I, activation: "linear" },
        ],
        6,
      ),
    );
  });

  it("keeps the proof in layer 0's certificate, and verify --layer 0 replays it; a tampered dual is refused", () => {
    const r = run("check-network", "gauss.json", "--proof", "--json");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    const layer0 = j.layers[0];
    expect(layer0.method).toBe("branch-and-bound");
    expect(layer0.certificate.proof).toBeDefined();
    writeFileSync(join(dir, "gauss-report.json"), r.out);
    const v = run("verify", "gauss.json", "gauss-report.json", "--layer", "0");
    expect(v.code, v.err).toBe(0);
    expect(v.out).toMatch(/^certificate VALID .*proof .* replays/);
    // One dual's weight made negative: invalid.
    const cert = layer0.certificate;
    const bad = structuredClone(cert);
    bad.duals[0].weights[0] = -Math.abs(bad.duals[0].weights[0]) - 1;
    writeFileSync(join(dir, "gauss-bad.json"), JSON.stringify(bad));
    const t = run("verify", "gauss.json", "gauss-bad.json", "--layer", "0");
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/^certificate INVALID/);
  });

  it("without --proof the certificate has no proof and verify --layer re-checks it by the cover check", () => {
    const r = run("check-network", "gauss.json", "--json");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.layers[0].certificate.proof).toBeUndefined();
    writeFileSync(join(dir, "gauss-report-plain.json"), r.out);
    const v = run("verify", "gauss.json", "gauss-report-plain.json", "--layer", "0", "--json");
    expect(v.code, v.err).toBe(0);
    expect(JSON.parse(v.out).valid).toBe(true);
  });

  it("refuses in one line: a layer out of range, a linear layer, a network report without --layer, a network without --layer", () => {
    for (const [args, msg] of [
      [["gauss.json", "gauss-report.json", "--layer", "2"], /the network has 2 layer\(s\)/],
      [["gauss.json", "gauss-report.json", "--layer", "1"], /activation linear/],
      [["eq4.json", "gauss-report.json"], /holds a network: pass --layer k/],
    ] as const) {
      const r = run("verify", ...args);
      expect(r.code, args.join(" ")).toBe(3);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
    writeFileSync(
      join(dir, "layer.json"),
      JSON.stringify({
        W: [
          [1, 0],
          [0, 1],
          [-1, -1],
        ],
      }),
    );
    const r = run("verify", "layer.json", "gauss-report.json");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/network's report \(check-network --json\): pass the network file and --layer k/);
  });
});

describe("invert", () => {
  it("recovers the unique preimage (exit 0)", () => {
    const r = run("invert", "eq4.json", "--output", "y.json", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.x[0]).toBeCloseTo(-3, 9);
    expect(j.x[1]).toBeCloseTo(2, 9);
    expect(j.residual).toBeLessThan(1e-9);
  });
  it("a y outside the range: exit 2", () => {
    writeFileSync(join(dir, "y-out.json"), JSON.stringify([1, 2, 3, 0]));
    const r = run("invert", "eq4.json", "--output", "y-out.json", "--json");
    expect(r.code).toBe(2);
  });
});

describe("noisy inversion and compressed sensing", () => {
  it("invert --noise-aware --compare prints both methods", () => {
    writeFileSync(join(dir, "x.json"), JSON.stringify([-3, 2]));
    writeFileSync(join(dir, "y-noisy.json"), JSON.stringify([0.001, 2.002, 2.999, 0]));
    const r = run(
      "invert",
      "eq4.json",
      "--output",
      "y-noisy.json",
      "--noise-aware",
      "--noise",
      "0.002",
      "--truth",
      "x.json",
      "--compare",
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/robust LP/);
    expect(r.out).toMatch(/gradient \(Adam/);
  });
  it("compressed-sensing prints a table over k (--json)", () => {
    const r = run("compressed-sensing", "eq4.json", "--k", "2,3", "--trials", "2", "--seed", "3", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(JSON.stringify(j)).toMatch(/"k":\s*3/);
  });
  it("compressed-sensing rejects k = 0 and k at or above the output dimension (d = 4)", () => {
    expect(run("compressed-sensing", "eq4.json", "--k", "0").code).toBe(3);
    for (const k of ["4", "2,5"]) {
      const r = run("compressed-sensing", "eq4.json", "--k", k);
      expect(r.code).toBe(3);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(/below the output dimension d = 4/);
    }
  });
});

describe("check on a network file", () => {
  it("refuses the layer options it would otherwise ignore (--domain, --method), and --box on a layer file", () => {
    for (const args of [
      ["--domain", "nonnegative"],
      ["--domain", "all"],
      ["--method", "falsify"],
    ]) {
      const r = run("check", "bad.json", ...args);
      expect(r.code).toBe(3);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`${args[0]} applies to layer files`));
    }
    const layer = join(import.meta.dirname, "../../examples/layers/04-figure2-center.json");
    const r = run("check", layer, "--box", "3");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/--box applies to networks/);
  });

  it("runs the whole-network check (same as check-network)", () => {
    const r = run("check", "bad.json", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).layers).toHaveLength(2);
    const onnx = run("check", join(import.meta.dirname, "../../examples/models/torch-injective.onnx"));
    expect(onnx.code).toBe(0);
    expect(onnx.out).toMatch(/Network: injective/);
  });
});

describe("invert a real PyTorch export from torch's own float32 outputs", () => {
  it("inverts by default (the tolerance comes from float32 rounding) and recovers z", () => {
    const models = join(import.meta.dirname, "../../examples/models");
    const expected = JSON.parse(readFileSync(join(models, "torch-expected.json"), "utf8"));
    writeFileSync(join(dir, "y-torch.json"), JSON.stringify(expected.models["torch-injective"].outputs[0]));
    const r = run("invert", join(models, "torch-injective.onnx"), "--output", "y-torch.json");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/exact up to float32 rounding/);
    const j = run("invert", join(models, "torch-injective.onnx"), "--output", "y-torch.json", "--json");
    expect(j.code).toBe(0);
    const z: number[] = expected.models["torch-injective"].inputs[0];
    const res = JSON.parse(j.out);
    expect(res.status).toBe("unique");
    expect(res.precision).toEqual({ model: "float32", y: "float64" });
    res.x.forEach((v: number, k: number) => expect(Math.abs(v - z[k])).toBeLessThan(1e-5));
    // An explicit tolerance below float32 rounding wins: no fit passes it, and the layerwise
    // inversion shows y is not in the range at that tolerance (exit 2).
    const strict = run(
      "invert",
      join(models, "torch-injective.onnx"),
      "--output",
      "y-torch.json",
      "--tolerance",
      "1e-12",
    );
    expect(strict.code).toBe(2);
    expect(strict.out).toMatch(/status: no preimage/);
    expect(strict.out).toMatch(/not in the range at the tolerance 1\.00e-12/);
  });
});

describe("check-network --box: the box of the sampled collision search", () => {
  // x ↦ (x⁺ − 2(x − 10)⁺, x⁻): injective on [−1, 1] and far beyond, but x and 20 − x collide for
  // x in (10, 20). The layerwise witness of the linear layer 1 does not lift (exact inversion).
  const fold = net(
    [
      { type: "dense", W: [[1], [-1], [1]], b: [0, 0, -10], activation: "relu" },
      {
        type: "dense",
        W: [
          [1, 0, -2],
          [0, 1, 0],
        ],
        activation: "linear",
      },
    ],
    1,
  );

  it("the default box [−1, 1] finds nothing (unknown, naming the box); --box 20 finds the collision, re-checked exactly", () => {
    writeFileSync(join(dir, "fold.json"), fold);
    const small = run("check-network", "fold.json");
    expect(small.code).toBe(2);
    expect(small.out).toMatch(/sampled collision search on \[-1, 1\]\^1 found none/);
    const wide = run("check-network", "fold.json", "--box", "20", "--json");
    expect(wide.code).toBe(1);
    const j = JSON.parse(wide.out);
    expect(j.injective).toBe(false);
    const [x1, x2] = [j.witness.x1[0], j.witness.x2[0]];
    // The two points fold onto each other: x1 + x2 = 20, one in (0, 10), the other in (10, 20).
    expect(Math.abs(x1 + x2 - 20)).toBeLessThan(1e-9);
    expect(Math.abs(x1 - x2)).toBeGreaterThan(1e-6);
    // `check` takes the same option for a network, and lo:hi.
    expect(run("check", "fold.json", "--box", "5:30").code).toBe(1);
  });

  it("a bad box is one line and exit 3", () => {
    writeFileSync(join(dir, "fold.json"), fold);
    for (const bad of ["0", "-2", "3:1", "a:b", "1:2:3"]) {
      const r = run("check-network", "fold.json", "--box", bad);
      expect(r.code).toBe(3);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(/--box/);
    }
  });
});
