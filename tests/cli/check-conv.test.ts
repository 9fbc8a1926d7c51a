/**
 * CLI tests of `injective-relu check-conv` (src/cli/commands/check-conv.ts): run the built binary
 * (npm test builds first) and check the human output, the JSON, the exit codes (0 proved injective,
 * 1 collision found by --full, 2 not proved, 3 bad input) and the one-line bad-input messages.
 * INJECTIVE_RELU_BIN may point to another entry point (used before the command was registered).
 */

import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, runCli, type CliRun } from "../support/cli.js";

let dir: string;

function run(...args: string[]): CliRun {
  return runCli(["check-conv", ...args], dir);
}

function write(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

/** Two pairs [C; −s²C] of 1-D kernels, 1 channel: Theorem 4 proves it on the box P = 2. */
const PAIRS_1D = { kernels: [[[1, 2]], [[-0.25, -0.5]], [[2, -1]], [[-0.5, 0.25]]] };
/** [C; −C] with C = [1, −1]: not injective with the periodic boundary (constants collide). */
const DIFF_1D = { kernels: [[[1, -1]], [[-1, 1]]], boundary: "periodic" };

/** 3×3 kernels, 2 channels, 4 filters: Theorem 4 can never apply (q = 2c). */
const GAUSS_2D = {
  kernels: [0, 1, 2, 3].map((f) =>
    [0, 1].map((ch) =>
      [0, 1, 2].map((a) => [0, 1, 2].map((b) => Math.sin(1 + f * 31 + ch * 17 + a * 5 + b))),
    ),
  ),
};

beforeAll(() => {
  expect(existsSync(BIN), "run `npm run build` first (npm test does)").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "injective-relu-check-conv-"));
});

describe("check-conv: verdicts, exit codes and output", () => {
  it("proved injective by Theorem 4: exit 0; the output names the theorem, the box and that it is only sufficient", () => {
    const f = write("pairs.json", PAIRS_1D);
    const r = run(f, "--signal", "32");
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/Theorem 4 \(sufficient only\): injective, proved on the box P = 2/);
    expect(r.out).toMatch(/W\|Z_P is 4×2/);
    expect(r.out).toMatch(/full matrix 128×32/);
    expect(r.out).toMatch(/^Verdict: injective \(Theorem 4 on the box 2\)$/m);
  });

  it("the box check costs the same on a 1-D signal of length 10^6", () => {
    const f = write("pairs-long.json", PAIRS_1D);
    const r = run(f, "--signal", "1000000", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.theorem4.boxMatrixSize).toEqual({ m: 4, n: 2 });
    expect(j.theorem4.fullMatrixSize).toEqual({ m: 4_000_000, n: 1_000_000 });
    expect(j.theorem4.timeMs).toBeLessThan(1000);
  });

  it("JSON carries the box matrix, so `verify` re-checks Theorem 4's certificate for the box", () => {
    const f = write("pairs.json", PAIRS_1D);
    const r = run(f, "--signal", "32", "--json");
    const j = JSON.parse(r.out);
    expect(j.theorem4.boxMatrix).toEqual([
      [2, 1],
      [-0.5, -0.25],
      [-1, 2],
      [0.25, -0.5],
    ]);
    const box = write("box.json", { W: j.theorem4.boxMatrix });
    const ev = write("box-evidence.json", j.theorem4.layerCheck);
    const v = runCli(["verify", box, ev], dir);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/certificate VALID/);
  });

  it("not proved: exit 2, and the output says that this says nothing about the layer", () => {
    const f = write("gauss2d.json", GAUSS_2D);
    const r = run(f, "--signal", "32x32");
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/Theorem 4 \(sufficient only\): not proved/);
    expect(r.out).toMatch(/cannot apply to this layer.*q = 4 <= 2c = 4/);
    expect(r.out).toMatch(/^Verdict: not proved \(Theorem 4 is only sufficient/m);
    expect(r.out).toMatch(/full matrix 4096×2048/);
  });

  it("JSON: verdict, Theorem 4's result with every box tried, the layer", () => {
    const f = write("gauss2d.json", GAUSS_2D);
    const r = run(f, "--signal", "8x8", "--json");
    expect(r.code).toBe(2);
    const j = JSON.parse(r.out);
    expect(j.injective).toBeNull();
    expect(j.decidedBy).toBe("none");
    expect(j.layer).toEqual({
      signal: [8, 8],
      channels: 2,
      filters: 4,
      kernelSize: [3, 3],
      boundary: "zero",
    });
    expect(j.theorem4.theorem).toBe("Theorem 4");
    expect(j.theorem4.sufficientOnly).toBe(true);
    expect(j.theorem4.applicable).toBe(false);
    expect(j.theorem4.tries[0]).toMatchObject({ box: [3, 3], m: 4, n: 18, injective: false });
    expect(j.theorem4.layerCheck.injective).toBe(false);
    expect(j.full).toBeUndefined();
  });

  it("--full finds a collision: exit 1, witness re-checked by a direct convolution", () => {
    const f = write("diff.json", DIFF_1D);
    const r = run(f, "--signal", "5", "--full", "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.injective).toBe(false);
    expect(j.decidedBy).toBe("full");
    expect(j.theorem4.injective).toBeNull();
    expect(j.layer.boundary).toBe("periodic"); // from the file
    const { x1, x2 } = j.full.witness as { x1: number[]; x2: number[] };
    // Independent forward pass: y = ReLU([C; −C] x) with C x = x[j] − x[j+1] (periodic).
    const F = (x: number[]) => {
      const d = x.map((v, k) => -v + x[(k + 1) % x.length]); // filter [1, −1]: K[1]·x[j] + K[0]·x[j+1]
      return [...d, ...d.map((v) => -v)].map((v) => Math.max(0, v));
    };
    const y1 = F(x1);
    const y2 = F(x2);
    y1.forEach((v, k) => expect(Math.abs(v - y2[k])).toBeLessThan(1e-9));
    expect(Math.hypot(...x1.map((v, k) => v - x2[k]))).toBeGreaterThan(1e-3);
    const human = run(f, "--signal", "5", "--full");
    expect(human.code).toBe(1);
    expect(human.out).toMatch(/Exact check of the full 10×5 matrix \(Theorem 1\): NOT injective/);
    expect(human.out).toMatch(/^Verdict: NOT injective \(the exact check found a collision\)$/m);
  });

  it("--boundary overrides the file; with zero padding the same layer is injective (exit 0 from --full)", () => {
    const f = write("diff.json", DIFF_1D);
    const r = run(f, "--signal", "5", "--full", "--boundary", "zero", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.layer.boundary).toBe("zero");
    expect(j.injective).toBe(true);
    expect(j.decidedBy).toBe("full");
    expect(j.full.injective).toBe(true);
  });

  it("--box fixes the box; --domain nonnegative changes the count", () => {
    const f = write("shift.json", { kernels: [[[0, 1]], [[1, 0]]] });
    const r = run(f, "--signal", "6", "--domain", "nonnegative", "--box", "3", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.theorem4.box).toEqual([3]);
    expect(j.theorem4.tries).toHaveLength(1);
    expect(j.theorem4.domain).toBe("nonnegative");
    expect(run(f, "--signal", "6").code).toBe(2);
  });

  it("--full refuses large matrices without --time-limit", () => {
    const f = write("gauss2d.json", GAUSS_2D);
    const r = run(f, "--signal", "16x16", "--full");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/--full refused: the full matrix is 1024×512 \(512 columns > 400\).*--time-limit/);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });
});

describe("check-conv: bad input is one line on stderr and exit 3", () => {
  const cases: [string, unknown, string[], RegExp][] = [
    [
      "kernel larger than the signal",
      { kernels: [[[1, 2, 3, 4, 5]]] },
      ["--signal", "4"],
      /big\.json: kernel larger than the signal: kernel 5 > signal 4 in dimension 0/,
    ],
    [
      "ragged kernels",
      { kernels: [[[1, 2]], [[1]]] },
      ["--signal", "8"],
      /kernels is ragged: kernels\[0\]\[0\] has 2 entries but kernels\[1\]\[0\] has 1/,
    ],
    [
      "non-finite entry",
      '{"kernels": [[[1, 1e999]]]}',
      ["--signal", "8"],
      /kernels must be finite, got Infinity at \[0, 0, 1\]/,
    ],
    [
      "a string entry",
      { kernels: [[[1, "2"]]] },
      ["--signal", "8"],
      /kernels\[0\]\[0\]\[1\] must be a number/,
    ],
    ["an empty kernel", { kernels: [[[]]] }, ["--signal", "8"], /kernels\[0\]\[0\] is empty/],
    ["no kernels", { W: [[1]] }, ["--signal", "8"], /missing "kernels"/],
    ["invalid JSON", "{kernels: [", ["--signal", "8"], /invalid JSON/],
    [
      "bad boundary in the file",
      { kernels: [[[1]]], boundary: "mirror" },
      ["--signal", "8"],
      /"boundary" must be one of zero, periodic/,
    ],
    ["zero size", { kernels: [[[1]]] }, ["--signal", "0"], /--signal.*expected 1 or 2 positive integers/],
    ["negative size", { kernels: [[[1]]] }, ["--signal", "-4"], /--signal|unknown option|argument missing/],
    [
      "bad --signal syntax",
      { kernels: [[[1]]] },
      ["--signal", "8by8"],
      /--signal.*expected 1 or 2 positive integers like 32 or 32x32, got "8by8"/,
    ],
    [
      "2-D signal for 1-D kernels",
      { kernels: [[[1, 2]]] },
      ["--signal", "8x8"],
      /--signal 8x8 has 2 dimension\(s\) but the kernels in .* are 1-D/,
    ],
    [
      "--channels mismatch",
      { kernels: [[[1, 2]]] },
      ["--signal", "8", "--channels", "3"],
      /--channels is 3 but the kernels have 1 input channel/,
    ],
    [
      "--box smaller than the kernel",
      { kernels: [[[1, 2, 3]]] },
      ["--signal", "8", "--box", "2"],
      /--box 2 is smaller than the kernel 3/,
    ],
    ["missing --signal", { kernels: [[[1]]] }, [], /required option '--signal <size>' not specified/],
  ];
  it.each(cases)("%s", (_name, content, args, re) => {
    const f = write(/larger/.test(_name) ? "big.json" : "bad.json", content);
    const r = run(f, ...args);
    expect(r.code).toBe(3);
    expect(r.out).toBe("");
    expect(r.err).toMatch(re);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("a missing file", () => {
    const r = run(join(dir, "nope.json"), "--signal", "8");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/nope\.json: cannot read file \(no such file\)/);
  });

  it("--json also prints the error as JSON", () => {
    const f = write("big.json", { kernels: [[[1, 2, 3, 4, 5]]] });
    const r = run(f, "--signal", "4", "--json");
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out)).toEqual({
      error: { message: expect.stringMatching(/kernel larger than the signal/), exitCode: 3 },
    });
  });
});
