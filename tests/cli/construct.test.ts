/**
 * CLI tests of `injective-relu construct` (src/cli/commands/construct.ts): run the built binary and
 * check the reports, the files it writes (readable by `check` and by the network reader), exit
 * codes and one-line errors for bad input (exit 3).
 */

import { describe, it, expect, beforeAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNetworkJson } from "../../src/io/network-file.js";
import { parseNpy } from "../../src/io/npy.js";
import { BIN, runCli, type CliRun } from "../support/cli.js";

let dir: string;

function run(...args: string[]): CliRun {
  return runCli(args, dir);
}

/** Expects a bad-input failure: exit 3, one line on stderr matching `message`, nothing on stdout. */
function expectBadInput(args: string[], message: RegExp): void {
  const r = run(...args);
  expect(r.code, r.err).toBe(3);
  expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/at .*\.js:\d+/);
}

const ZIGZAG = {
  format: "injective-relu/network",
  version: 1,
  inputDim: 1,
  layers: [
    { type: "dense", W: [[1], [1], [1]], b: [2, 1, -1], activation: "relu" },
    {
      type: "dense",
      W: [
        [0, 0, 0],
        [0, 0, 0],
        [-1, 2, -2],
      ],
      activation: "linear",
    },
  ],
};

beforeAll(() => {
  expect(existsSync(BIN), "run `npm run build` first (npm test does)").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "injective-relu-construct-"));
  writeFileSync(join(dir, "zigzag.json"), JSON.stringify(ZIGZAG));
  writeFileSync(
    join(dir, "narrow.json"),
    JSON.stringify({
      ...ZIGZAG,
      layers: [
        ZIGZAG.layers[0],
        {
          ...ZIGZAG.layers[1],
          W: [
            [-1, 2, -2],
            [1, 0, 0],
          ],
        },
      ],
    }),
  );
  writeFileSync(
    join(dir, "singular.json"),
    JSON.stringify([
      [1, 2, 3],
      [2, 4, 6],
      [0, 0, 1],
    ]),
  );
  writeFileSync(
    join(dir, "basis.json"),
    JSON.stringify({
      B: [
        [2, 1],
        [1, 3],
      ],
    }),
  );
});

describe("construct dense", () => {
  it("reports the construction and the exact verdict (injective), exit 0", () => {
    const r = run("construct", "dense", "--inputs", "3", "--outputs", "7", "--seed", "1", "--shuffle");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /^Built a Corollary 2 layer W = \[B; −DB; M\]: 7×3 \(m = 7 outputs, n = 3 inputs\), no bias; seed 1/,
    );
    expect(r.out).toMatch(/\(shuffled\)/);
    expect(r.out).toMatch(/Exact check \(checkLayer, domain R\^3\): injective/);
  });

  it("--json prints the layer file: `construct … --json > l.json && check l.json` works", () => {
    const r = run(
      "construct",
      "dense",
      "--inputs",
      "3",
      "--outputs",
      "6",
      "--seed",
      "2",
      "--bias",
      "paired",
      "--json",
    );
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.W).toHaveLength(6);
    expect(j.b).toHaveLength(6);
    expect(j.expected).toEqual({ all: true, nonnegative: true });
    expect(j.construction).toMatchObject({
      kind: "dense",
      theorem: "Corollary 2",
      n: 3,
      m: 6,
      seed: 2,
      bias: "paired",
    });
    expect(j.construction.check.injective).toBe(true);
    writeFileSync(join(dir, "l.json"), r.out);
    const c = run("check", "l.json");
    expect(c.code, c.out + c.err).toBe(0);
    expect(c.out).toMatch(/Verdict: injective/);
  });

  it("--out FILE.json writes the same object as --json; --out FILE.npy writes W", () => {
    const a = run("construct", "dense", "--inputs", "2", "--outputs", "5", "--seed", "3", "--out", "d.json");
    expect(a.code, a.err).toBe(0);
    expect(a.out).toMatch(/Wrote d\.json \(layer JSON \{"W"\}\)\./);
    const b = run("construct", "dense", "--inputs", "2", "--outputs", "5", "--seed", "3", "--json");
    expect(readFileSync(join(dir, "d.json"), "utf8")).toBe(b.out);
    const c = run("construct", "dense", "--inputs", "2", "--outputs", "5", "--seed", "3", "--out", "d.npy");
    expect(c.code, c.err).toBe(0);
    const { shape, data } = parseNpy(readFileSync(join(dir, "d.npy")), "d.npy");
    expect(shape).toEqual([5, 2]);
    expect(Array.from(data)).toEqual(JSON.parse(b.out).W.flat());
    expect(run("check", "d.npy").code).toBe(0);
  });

  it("accepts a basis file and a D range", () => {
    const r = run(
      "construct",
      "dense",
      "--inputs",
      "2",
      "--outputs",
      "4",
      "--seed",
      "1",
      "--basis",
      "basis.json",
      "--d-range",
      "0.5:2",
      "--json",
    );
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.construction.basis).toBe("basis.json");
    expect(j.construction.d.every((v: number) => v >= 0.5 && v <= 2)).toBe(true);
    expect(j.W[j.construction.rowsB[0]]).toEqual([2, 1]);
  });
});

describe("construct gaussian", () => {
  it("prints the regime and the exact verdict, whatever it is (exit 0)", () => {
    const yes = run("construct", "gaussian", "--inputs", "3", "--outputs", "36", "--seed", "1");
    expect(yes.code, yes.err).toBe(0);
    expect(yes.out).toMatch(/Injectivity is only probable\. m\/n = 12 > 10\.5/);
    expect(yes.out).toMatch(/Exact check \(checkLayer, domain R\^3\): injective/);
    const no = run("construct", "gaussian", "--inputs", "3", "--outputs", "9", "--seed", "1");
    expect(no.code, no.err).toBe(0);
    expect(no.out).toMatch(/Exact check \(checkLayer, domain R\^3\): NOT injective/);
    expect(no.out).toMatch(/Witness: x1 = /);
  });

  it("--no-check skips the verdict", () => {
    const r = run("construct", "gaussian", "--inputs", "3", "--outputs", "12", "--seed", "1", "--no-check");
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/Exact check/);
  });
});

describe("construct cascade", () => {
  it("prints dimensions, checks and the collision search; writes a network file", () => {
    const r = run(
      "construct",
      "cascade",
      "--inputs",
      "2",
      "--outputs",
      "5",
      "--depth",
      "2",
      "--seed",
      "1",
      "--pairs",
      "500",
      "--out",
      "net.json",
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Built a Corollary 3 cascade R\^2 → R\^5: depth k = 2 \(4 layers\)/);
    expect(r.out).toMatch(
      /dimensions: 2 →\(Corollary 2 ReLU\)→ 4 →\(Gaussian projection\)→ 5 →\(Corollary 2 ReLU\)→ 10 →\(Gaussian projection\)→ 5/,
    );
    expect(r.out).toMatch(/m = 5 >= 2n \+ 1 = 5 \(Corollary 3\)/);
    expect(r.out).toMatch(/no collision found: min ‖N\(x1\) − N\(x2\)‖\/‖x1 − x2‖ = /);
    const net = parseNetworkJson(readFileSync(join(dir, "net.json"), "utf8"), "net.json");
    expect(net.layers).toHaveLength(4);
    const j = JSON.parse(readFileSync(join(dir, "net.json"), "utf8"));
    expect(j.construction.dims).toEqual([2, 4, 5, 10, 5]);
    expect(j.construction.collisionSearch.collisionFound).toBe(false);
  });
});

describe("construct injectivize", () => {
  it("reports the error bound, the measured error and the searches on f and N", () => {
    const r = run(
      "construct",
      "injectivize",
      "--network",
      "zigzag.json",
      "--box",
      "-2:2",
      "--epsilon",
      "0.1",
      "--seed",
      "1",
      "--json",
    );
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.format).toBe("injective-relu/network");
    expect(j.construction.sampledMaxError).toBeLessThanOrEqual(0.1);
    expect(j.construction.bound).toBeLessThanOrEqual(0.1);
    expect(j.construction.collisionSearch.collisionFound).toBe(false);
    writeFileSync(join(dir, "n.json"), r.out);
    expect(parseNetworkJson(r.out, "n.json").inputDim).toBe(1);
    const h = run(
      "construct",
      "injectivize",
      "--network",
      "zigzag.json",
      "--box=-2:2",
      "--epsilon",
      "0.1",
      "--seed",
      "1",
    );
    expect(h.out).toMatch(/Collision search on f, box \[-2, 2\]\^1 .*\n {2}COLLISION found/);
    expect(h.out).toMatch(/Collision search on N, box \[-2, 2\]\^1 .*\n {2}no collision found/);
    expect(h.out).toMatch(/measured max 0\.\d+ over 2000 random points \+ 2 corners/);
  });
});

describe("bad input: one line, exit 3", () => {
  it.each<[string, string[], RegExp]>([
    [
      "m < 2n (Corollary 2)",
      ["dense", "--inputs", "3", "--outputs", "5", "--seed", "1"],
      /construct dense: m = 5 outputs is fewer than 2n = 6 .*Corollary 2/,
    ],
    [
      "a zero size",
      ["dense", "--inputs", "0", "--outputs", "5", "--seed", "1"],
      /'--inputs <n>' argument '0' is invalid\. expected a positive integer/,
    ],
    [
      "a negative size",
      ["gaussian", "--inputs", "3", "--outputs=-5", "--seed", "1"],
      /'--outputs <m>' argument '-5' is invalid/,
    ],
    [
      "a non-integer size",
      ["dense", "--inputs", "2.5", "--outputs", "6", "--seed", "1"],
      /argument '2\.5' is invalid\. expected a positive integer/,
    ],
    [
      "a missing seed",
      ["dense", "--inputs", "2", "--outputs", "4"],
      /required option '--seed <s>' not specified/,
    ],
    [
      "a missing size",
      ["dense", "--inputs", "2", "--seed", "1"],
      /construct dense: --inputs N and --outputs M are required/,
    ],
    [
      "a singular basis",
      ["dense", "--inputs", "3", "--outputs", "6", "--seed", "1", "--basis", "singular.json"],
      /singular\.json: the basis is singular, not a basis of R\^3: its rank is 2 < 3/,
    ],
    [
      "a missing basis file",
      ["dense", "--inputs", "3", "--outputs", "6", "--seed", "1", "--basis", "nope.json"],
      /nope\.json: cannot read the basis file \(no such file\)/,
    ],
    [
      "a non-positive D range",
      ["dense", "--inputs", "2", "--outputs", "4", "--seed", "1", "--d-range", "0:2"],
      /D must be a positive diagonal \(Corollary 2\)/,
    ],
    [
      "a cascade width < 2n",
      ["cascade", "--inputs", "3", "--outputs", "7", "--seed", "1", "--widths", "5,14"],
      /construct cascade: --widths\[0\] = 5 is below 2 × 3 = 6/,
    ],
    [
      "a cascade projection < 2n + 1",
      ["cascade", "--inputs", "3", "--outputs", "7", "--seed", "1", "--projections", "6"],
      /--projections\[0\] = 6 is below 2n \+ 1 = 7/,
    ],
    [
      "a cascade output < 2n + 1",
      ["cascade", "--inputs", "3", "--outputs", "6", "--seed", "1"],
      /m = 6 outputs is fewer than 2n \+ 1 = 7/,
    ],
    [
      "injectivize with m < 2n + 1",
      ["injectivize", "--network", "narrow.json", "--box", "-1:1", "--epsilon", "0.1", "--seed", "1"],
      /construct injectivize: f maps R\^1 to R\^2, but Theorem 5 needs m >= 2n \+ 1 = 3/,
    ],
    [
      "injectivize without --epsilon",
      ["injectivize", "--network", "zigzag.json", "--box", "-1:1", "--seed", "1"],
      /--network FILE\.json, --box lo:hi and --epsilon E are required/,
    ],
    [
      "an empty box",
      ["injectivize", "--network", "zigzag.json", "--box", "1:1", "--epsilon", "0.1", "--seed", "1"],
      /'--box <lo:hi>' argument '1:1' is invalid/,
    ],
    [
      "an option of another kind",
      ["dense", "--inputs", "2", "--outputs", "4", "--seed", "1", "--depth", "2"],
      /construct dense: --depth applies only to construct cascade/,
    ],
    [
      ".npy with a bias",
      ["dense", "--inputs", "2", "--outputs", "4", "--seed", "1", "--bias", "nonneg", "--out", "x.npy"],
      /\.npy file holds W only, but --bias nonneg gives the layer a bias/,
    ],
    [
      ".npy for a network",
      ["cascade", "--inputs", "1", "--outputs", "3", "--seed", "1", "--out", "x.npy"],
      /a \.npy file holds one matrix, but cascade builds a network/,
    ],
    [
      "an unknown kind",
      ["conv", "--inputs", "2", "--outputs", "4", "--seed", "1"],
      /Allowed choices are dense, gaussian, cascade, injectivize/,
    ],
  ])("%s", (_name, args, message) => {
    expectBadInput(["construct", ...args], message);
  });

  it("--json also prints the error as JSON", () => {
    const r = run("construct", "dense", "--inputs", "3", "--outputs", "5", "--seed", "1", "--json");
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out).error.exitCode).toBe(3);
  });
});
