/**
 * Resource limits through the built CLI (issue 9): inputs that used to abort with a V8
 * out-of-memory error or to ignore --time-limit now end in a verdict or "unknown" (exit 2) with
 * the stage and the limit in the reason, in bounded time; never exit 4 or an abort. The large
 * convolution runs in a child limited to a 1 GB heap, to show that nothing near its 128 TB matrix
 * is allocated.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/core/random.js";
import { writeNpy } from "../../src/io/npy.js";
import { runCli } from "../support/cli.js";

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

let dir: string;
const run = (args: string[], nodeArgs: string[] = []) => {
  const t0 = performance.now();
  const r = runCli(args, dir, nodeArgs);
  return { ...r, ms: performance.now() - t0 };
};

/** 8 filters whose 2×2 kernels span R^4, and their negatives (Theorem 4 proves the layer on the 2×2 box). */
const PM = (() => {
  const k = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [1, 1, 1, 1],
  ];
  return [...k, ...k.map((f) => f.map((v) => -v))];
})();

/** A Conv (+ Relu) model on a (1, H, W) input with the given 2×2 kernels and pads. */
function convOnnx(H: number, W: number, kernels: number[][], pads: number): Uint8Array {
  const values = kernels.flat();
  const buf = new ArrayBuffer(values.length * 4);
  const view = new DataView(buf);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: "", version: 13 }],
      graph: {
        name: "g",
        node: [
          {
            name: "c",
            opType: "Conv",
            input: ["x", "w"],
            output: ["h"],
            attribute: [
              { name: "pads", type: onnx.AttributeProto.AttributeType.INTS, ints: [pads, pads, pads, pads] },
            ],
          },
          { name: "r", opType: "Relu", input: ["h"], output: ["y"] },
        ],
        initializer: [
          { name: "w", dims: [kernels.length, 1, 2, 2], dataType: T.FLOAT, rawData: new Uint8Array(buf) },
        ],
        input: [
          {
            name: "x",
            type: {
              tensorType: {
                elemType: T.FLOAT,
                shape: { dim: [{ dimValue: 1 }, { dimValue: 1 }, { dimValue: H }, { dimValue: W }] },
              },
            },
          },
        ],
        output: [{ name: "y" }],
      },
    }),
  ).finish();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "injective-relu-limits-"));
  const rng = new Rng(5);
  // 10,000 rows in R^1: 25 million antiparallel pairs (the structure test stored them all).
  writeFileSync(
    join(dir, "rows10000.json"),
    JSON.stringify({ W: Array.from({ length: 10_000 }, (_, i) => [(i % 2 ? -1 : 1) * (1 + rng.uniform())]) }),
  );
  // A 2000 × 2000 Gaussian layer (its SVD takes about two minutes).
  const G = new Float64Array(2000 * 2000);
  for (let k = 0; k < G.length; k++) G[k] = rng.normal();
  writeFileSync(join(dir, "gauss2000.npy"), writeNpy([2000, 2000], G));
  writeFileSync(join(dir, "conv2000.onnx"), convOnnx(2000, 2000, PM, 1));
  writeFileSync(
    join(dir, "conv64.onnx"),
    convOnnx(
      64,
      64,
      [0, 1, 2, 3].map((f) => [0, 1, 2, 3].map((j) => ((f * 5 + j * 3) % 7) - 3 + 0.5)),
      0,
    ),
  );
  // The same kind of layer in the network JSON form, stride 2: the pairs rule on its sparse rows.
  writeFileSync(
    join(dir, "conv2000-stride2.json"),
    JSON.stringify({
      format: "injective-relu/network",
      version: 1,
      inputDim: 4_000_000,
      layers: [
        {
          type: "conv",
          inputShape: [1, 2000, 2000],
          kernels: PM.map((f) => [[f.slice(0, 2), f.slice(2, 4)]]),
          stride: 2,
          activation: "relu",
        },
      ],
    }),
  );
  writeFileSync(
    join(dir, "pair.json"),
    JSON.stringify({
      kernels: [
        [
          [
            [1, -1],
            [0, 0],
          ],
        ],
        [
          [
            [-1, 1],
            [0, 0],
          ],
        ],
      ],
    }),
  );
});

describe("resource limits in the CLI", () => {
  it("a 10,000 × 1 JSON layer: injective (structure test) in seconds, not a 4.4 GB abort", () => {
    const r = run(["check", "rows10000.json", "--time-limit", "20"], ["--max-old-space-size=1024"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Verdict: injective {2}\(method: structure/);
    expect(r.ms).toBeLessThan(30_000);
  });

  it("an ONNX convolution on a 2000 × 2000 input in a 1 GB heap: Theorem 4 proves it", () => {
    const r = run(["check", "conv2000.onnx", "--time-limit", "30"], ["--max-old-space-size=1024"]);
    expect(r.err).not.toMatch(/heap out of memory|internal error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/conv-theorem4/);
    expect(r.out).toMatch(/Network: injective/);
    expect(r.ms).toBeLessThan(45_000);
  });

  it("a JSON stride-2 convolution on a 2000 × 2000 input in a 1 GB heap: proved on its sparse rows; unknown below their memory, naming the limits", () => {
    // Its filters are exact pairs [C; −C]: the rank of C's convolution (4,000,000 columns) is taken
    // on its sparse rows, without the explicit matrix.
    const ok = run(["check-network", "conv2000-stride2.json", "--json"], ["--max-old-space-size=1024"]);
    expect(ok.code).toBe(0);
    const p = JSON.parse(ok.out) as { injective: boolean; layers: { rule: string; rank: number }[] };
    expect(p.injective).toBe(true);
    expect(p.layers[0]).toMatchObject({ rule: "conv-pairs", rank: 4_000_000 });
    expect(ok.ms).toBeLessThan(45_000);
    const r = run(
      ["check-network", "conv2000-stride2.json", "--json", "--memory-limit", "100M"],
      ["--max-old-space-size=1024"],
    );
    expect(r.code).toBe(2);
    const j = JSON.parse(r.out) as { injective: null; reason: string; layers: { rule: string }[] };
    expect(j.injective).toBeNull();
    expect(j.layers[0].rule).toBe("conv-pairs");
    expect(j.reason).toMatch(/exact pair\(s\) \[C; −λC\].* above the memory limit of 100M/);
    expect(j.reason).toMatch(/collision search stopped: .* would need .* above the memory limit of 100M/);
    expect(r.ms).toBeLessThan(45_000);
  });

  it("a convolution on a 64 × 64 input honours --time-limit 10 (it used 2.7 GB and ignored it)", () => {
    const r = run(["check", "conv64.onnx", "--time-limit", "10"], ["--max-old-space-size=1024"]);
    expect([0, 2]).toContain(r.code);
    expect(r.err).not.toMatch(/heap out of memory|internal error/);
    expect(r.ms).toBeLessThan(30_000);
  });

  it("--time-limit 1 on a 2000 × 2000 Gaussian layer: unknown in seconds, naming the stage", () => {
    const r = run(["check", "gauss2000.npy", "--time-limit", "1"]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/Verdict: unknown[\s\S]*Unknown: the time limit ran out during /);
    expect(r.ms).toBeLessThan(30_000);
    // σ_min(W) by an SVD that cannot be interrupted: refused up front from its estimated time.
    const lip = run(["lipschitz", "gauss2000.npy", "--time-limit", "1", "--json"]);
    expect(lip.code).toBe(2);
    expect((JSON.parse(lip.out) as { reason: string }).reason).toMatch(
      /the time limit ran out during the SVD σ_min\(W\) \(an SVD of a 2,000 × 2,000 matrix takes about/,
    );
    expect(lip.ms).toBeLessThan(30_000);
  });

  it("--memory-limit 10M: unknown with the reason, exit 2", () => {
    const r = run(["check", "gauss2000.npy", "--memory-limit", "10M", "--json"]);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.out) as { injective: null; reason: string };
    expect(j.injective).toBeNull();
    // The 32 MB file itself is above the 10M limit: refused before reading, as unknown.
    expect(j.reason).toMatch(
      /(would need \d+(\.\d+)? MB, above the memory limit of 10M|the file is .* above the memory limit)/,
    );
    const conv = run([
      "check-conv",
      "pair.json",
      "--signal",
      "64x64",
      "--full",
      "--time-limit",
      "5",
      "--memory-limit",
      "10M",
      "--json",
    ]);
    expect(conv.code).toBe(2);
    expect((JSON.parse(conv.out) as { full: { reason: string } }).full.reason).toMatch(
      /explicit 8,192 × 4,096 convolution matrix would need .* MB, above the memory limit of 10M/,
    );
    const bad = run(["check", "rows10000.json", "--memory-limit", "lots"]);
    expect(bad.code).toBe(3);
  });
});
