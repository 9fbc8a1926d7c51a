/**
 * Tests of iid Gaussian layers (src/construct/gaussian.ts): shape, seeding, the entry distribution,
 * the regimes of Theorem 2 (docs/constructions.md), and that injectivity is only probable: the exact verdict
 * varies with the seed at moderate ratios, is always "no" below m = 2n, and almost always "yes" at
 * large ratios (small n, fixed seeds, so the counts are deterministic).
 */

import { describe, it, expect } from "vitest";
import { checkLayer } from "../../src/core/check-layer.js";
import { InputRangeError } from "../../src/core/validate.js";
import { constructGaussian, gaussianRegime } from "../../src/construct/gaussian.js";

async function injectiveCount(n: number, m: number, seeds: number): Promise<number> {
  let count = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const { W } = constructGaussian(n, m, { seed });
    const r = await checkLayer(W, null, { method: "auto" });
    expect(r.injective).not.toBeNull();
    if (r.injective) count++;
  }
  return count;
}

describe("constructGaussian", () => {
  it("draws an m×n matrix, reproducibly from the seed", () => {
    const a = constructGaussian(3, 10, { seed: 5 });
    expect(a.W.length).toBe(10);
    expect(a.W.every((row) => row.length === 3)).toBe(true);
    expect(constructGaussian(3, 10, { seed: 5 })).toEqual(a);
    expect(constructGaussian(3, 10, { seed: 6 }).W).not.toEqual(a.W);
    expect(a.meta).toMatchObject({ seed: 5, scale: 1, regime: { ratio: 10 / 3 } });
  });

  it("entries look standard normal (mean ≈ 0, variance ≈ scale²)", () => {
    const { W } = constructGaussian(50, 200, { seed: 1, scale: 2 });
    const xs = W.flat();
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(variance).toBeGreaterThan(3.8);
    expect(variance).toBeLessThan(4.2);
  });

  it("rejects bad sizes and scales", () => {
    expect(() => constructGaussian(0, 4)).toThrow(InputRangeError);
    expect(() => constructGaussian(2, 4.5)).toThrow(
      /^constructGaussian\(\): m must be a positive integer, got 4.5$/,
    );
    expect(() => constructGaussian(2, 4, { scale: 0 })).toThrow(/options\.scale must be a positive number/);
  });
});

describe("gaussianRegime: what is known about m/n", () => {
  it.each([
    [4, 7, "never", /Corollary 2/],
    [4, 8, "unlikely", /Theorem 2/],
    [5, 17, "unlikely", /<= 3\.4/],
    [10, 35, "below-threshold", /predicted sharp threshold ≈ 6\.7/],
    [10, 67, "above-threshold", /predicted, not proved/],
    [10, 77, "likely", /7\.6477.*Maillard/],
    [10, 106, "likely", /> 10\.5: P\(injective\) → 1 as n → ∞ \(Theorem 2\)/],
  ] as const)("n = %i, m = %i: %s", (n, m, kind, text) => {
    const r = gaussianRegime(n, m);
    expect(r.kind).toBe(kind);
    expect(r.summary).toMatch(text);
  });
});

describe("injectivity is only probable", () => {
  it("m < 2n: never injective (every seed)", async () => {
    expect(await injectiveCount(3, 5, 10)).toBe(0);
  });

  it("at n = 3 the fraction of injective draws grows with m/n (fixed seeds)", async () => {
    const low = await injectiveCount(3, 9, 12); // ratio 3
    const mid = await injectiveCount(3, 12, 12); // ratio 4
    const high = await injectiveCount(3, 36, 12); // ratio 12
    expect(low).toBe(0);
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(12);
    expect(high).toBeGreaterThanOrEqual(11);
  });
});
