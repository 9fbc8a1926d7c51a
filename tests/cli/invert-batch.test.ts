/**
 * CLI tests of `invert` on many images (built binary): an N × d .npy and a folder of images, in
 * worker threads, writing zs.npy and the per-image table; bad input (y of the wrong length, NaN,
 * an image of the wrong shape) is one line on stderr and exit 3.
 */

import { describe, it, expect, beforeAll } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../src/core/random.js";
import { parseNpy, writeNpy } from "../../src/io/npy.js";
import { stringifyNetwork } from "../../src/io/network-file.js";
import { convGenerator, forwardFloat32 } from "../../src/invert/synthetic-generators.js";
import { runCli } from "../support/cli.js";

let dir: string;
const run = (...args: string[]) => runCli(args, dir);
const N = 6;
let zs: number[][];
let ys: number[][];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "injective-relu-invert-"));
  // (6, 1, 1) → (16, 4, 4) → BN, ReLU → (8, 8, 8) → BN, ReLU → (2, 16, 16), tanh; float32.
  const net = convGenerator({ z: 6, channels: [16, 8, 2], base: 4, seed: 3, precision: "float32" });
  writeFileSync(join(dir, "gen.json"), stringifyNetwork(net));
  const rng = new Rng(3);
  zs = Array.from({ length: N }, () => Array.from({ length: 6 }, () => Math.fround(rng.normal())));
  ys = zs.map((z) => forwardFloat32(net, z));
  writeFileSync(join(dir, "ys.npy"), writeNpy([N, 2, 16, 16], ys.flat(), "<f4"));
  writeFileSync(join(dir, "zs-true.npy"), writeNpy([N, 6], zs.flat()));
  mkdirSync(join(dir, "images"));
  ys.forEach((y, k) => {
    if (k % 2 === 0) writeFileSync(join(dir, "images", `img${k}.npy`), writeNpy([2, 16, 16], y, "<f4"));
    else writeFileSync(join(dir, "images", `img${k}.json`), JSON.stringify(y));
  });
});

describe("invert on many images", () => {
  it("an N × image .npy: two workers, a table, zs.npy; float32 y is read as float32", () => {
    const r = run(
      "invert",
      "gen.json",
      "--output",
      "ys.npy",
      "--truth",
      "zs-true.npy",
      "--workers",
      "2",
      "--out",
      "zs.npy",
    );
    expect(r.err).toBe("");
    expect(r.code).toBeLessThanOrEqual(1);
    expect(r.out).toMatch(/image\s+status\s+certified\s+residual\s+error\s+time/);
    expect(r.out).toMatch(new RegExp(`${N} image\\(s\\): .*on 2 worker\\(s\\)`));
    const { shape, data } = parseNpy(new Uint8Array(readFileSync(join(dir, "zs.npy"))), "zs.npy");
    expect(shape).toEqual([N, 6]);
    for (let k = 0; k < N; k++)
      for (let j = 0; j < 6; j++) expect(Math.abs(data[k * 6 + j] - zs[k][j])).toBeLessThan(1e-4);
    const j = run("invert", "gen.json", "--output", "ys.npy", "--json", "--workers", "2", "--out", "zs2.npy");
    const res = JSON.parse(j.out);
    expect(res.summary.images).toBe(N);
    expect(res.results[0].precision).toEqual({ model: "float32", y: "float32" });
  });

  it("a folder of .npy and .json images, in name order", () => {
    const r = run("invert", "gen.json", "--output", "images", "--json", "--out", "zs-folder.npy");
    expect(r.code).toBeLessThanOrEqual(1);
    const res = JSON.parse(r.out);
    expect(res.results.map((x: { name: string }) => x.name)).toEqual(
      Array.from({ length: N }, (_, k) => `img${k}.${k % 2 === 0 ? "npy" : "json"}`),
    );
    res.results.forEach((x: { z: number[]; consistent: boolean }, k: number) => {
      expect(x.consistent).toBe(true);
      x.z.forEach((v, j) => expect(Math.abs(v - zs[k][j])).toBeLessThan(1e-4));
    });
  });
});

describe("invert: bad input is one line and exit 3", () => {
  it("y of the wrong length", () => {
    writeFileSync(join(dir, "short.json"), JSON.stringify([1, 2, 3]));
    const r = run("invert", "gen.json", "--output", "short.json");
    expect(r.code).toBe(3);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(
      /short\.json: has 3 entries, expected 512 entries \(the network's output shape \(2, 16, 16\)/,
    );
  });

  it("NaN in y", () => {
    const bad = ys[0].slice();
    bad[7] = NaN;
    writeFileSync(join(dir, "nan.npy"), writeNpy([2, 16, 16], bad));
    const r = run("invert", "gen.json", "--output", "nan.npy");
    expect(r.code).toBe(3);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/nan\.npy: entry \[7\] is NaN; y must be finite/);
    writeFileSync(join(dir, "nan.json"), JSON.stringify([ys[0].map((v, i) => (i === 3 ? null : v))]));
    const j = run("invert", "gen.json", "--output", "nan.json");
    expect(j.code).toBe(3);
    expect(j.err.trim().split("\n")).toHaveLength(1);
  });

  it("an image of the wrong shape (HWC instead of CHW, or 28 × 28 for 2 × 16 × 16)", () => {
    writeFileSync(join(dir, "hwc.npy"), writeNpy([16, 16, 2], ys[0]));
    const r = run("invert", "gen.json", "--output", "hwc.npy");
    expect(r.code).toBe(3);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/hwc\.npy: has shape \(16, 16, 2\), expected one image of 512 entries/);
    mkdirSync(join(dir, "mixed"));
    writeFileSync(join(dir, "mixed", "a.npy"), writeNpy([2, 16, 16], ys[0]));
    writeFileSync(join(dir, "mixed", "b.npy"), writeNpy([28, 28], new Array(784).fill(0)));
    const m = run("invert", "gen.json", "--output", "mixed");
    expect(m.code).toBe(3);
    expect(m.err.trim().split("\n")).toHaveLength(1);
    expect(m.err).toMatch(/b\.npy: has shape \(28, 28\)/);
  });
});
