/**
 * Pointwise invertibility (src/experiments/pointwise.ts): the exact P(Binomial(m, 1/2) ≥ n)
 * against an exact BigInt sum and closed forms, and the explicit Monte Carlo simulation (rank of
 * the active rows) against it, seeded.
 */

import { describe, it, expect } from "vitest";
import { pointwiseCurve, pointwiseExact, pointwiseMonteCarlo } from "../../src/experiments/pointwise.js";

/** Σ_{k ≥ n} C(m, k) / 2^m with exact integer arithmetic. */
function naive(n: number, m: number): number {
  let c = 1n; // C(m, 0)
  let sum = 0n;
  for (let k = 0; k <= m; k++) {
    if (k >= n) sum += c;
    c = (c * BigInt(m - k)) / BigInt(k + 1);
  }
  return Number(sum) / 2 ** m;
}

/** C(2n, n)/4^n by its asymptotic series 1/√(πn)·(1 − 1/(8n) + 1/(128n²) + 5/(1024n³)). */
function centralAsymptotic(n: number): number {
  return (1 / Math.sqrt(Math.PI * n)) * (1 - 1 / (8 * n) + 1 / (128 * n * n) + 5 / (1024 * n ** 3));
}

describe("pointwiseExact", () => {
  it("agrees with the exact BigInt sum for m ≤ 120", () => {
    for (let n = 1; n <= 12; n++) {
      for (let m = 0; m <= 120; m += m < 30 ? 1 : 7) {
        const want = naive(n, m);
        const got = pointwiseExact(n, m);
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-13 * Math.max(want, 1e-300) + 1e-300);
      }
    }
    for (const [n, m] of [
      [30, 59],
      [30, 61],
      [45, 100],
      [60, 130],
      [100, 150],
    ]) {
      expect(pointwiseExact(n, m)).toBeCloseTo(naive(n, m), 13);
    }
  });

  it("matches closed forms: 0 below n, 1 − 2^−m at n = 1, 1/2 at m = 2n − 1, central term at m = 2n", () => {
    expect(pointwiseExact(5, 4)).toBe(0);
    expect(pointwiseExact(5, 5)).toBe(2 ** -5);
    expect(pointwiseExact(1, 10)).toBeCloseTo(1 - 2 ** -10, 15);
    expect(pointwiseExact(2, 4)).toBeCloseTo(11 / 16, 15);
    for (const n of [1, 7, 300, 5000]) expect(pointwiseExact(n, 2 * n - 1)).toBe(0.5);
    // P(Bin(2n, 1/2) ≥ n) = 1/2 + C(2n, n)/2^(2n+1).
    for (const n of [1000, 5000]) {
      expect(pointwiseExact(n, 2 * n)).toBeCloseTo(0.5 + centralAsymptotic(n) / 2, 12);
    }
  });

  it("is monotone in m and stable for n = 5000, m up to 12n", () => {
    const n = 5000;
    let prev = -1;
    for (let m = 0; m <= 12 * n; m += 250) {
      const p = pointwiseExact(n, m);
      expect(Number.isFinite(p)).toBe(true);
      expect(p).toBeGreaterThanOrEqual(prev);
      expect(p).toBeLessThanOrEqual(1);
      prev = p;
    }
    expect(pointwiseExact(n, 12 * n)).toBe(1);
    expect(pointwiseExact(n, 9000)).toBeLessThan(1e-20);
    expect(pointwiseExact(n, 9000)).toBeGreaterThan(0);
    // Symmetry: P(Bin(m) ≥ n) + P(Bin(m) ≥ m − n + 1) = 1.
    expect(pointwiseExact(n, 10_500) + pointwiseExact(10_500 - n + 1, 10_500)).toBeCloseTo(1, 12);
    // CLT: P ≈ Φ((m/2 − n + 1/2)/(√m/2)) = Φ(1.99) ≈ 0.977 at m = 10 200.
    expect(pointwiseExact(n, 10_200)).toBeCloseTo(0.9772, 2);
  });

  it("rejects bad sizes", () => {
    expect(() => pointwiseExact(0, 3)).toThrow(/pointwiseExact.*n/);
    expect(() => pointwiseExact(3, -1)).toThrow(RangeError);
    expect(() => pointwiseExact(2.5, 6)).toThrow(RangeError);
  });
});

describe("pointwiseMonteCarlo", () => {
  it("agrees with the exact value within the Wilson interval (n = 5..20, with and without bias)", () => {
    for (const bias of [false, true]) {
      for (const [n, m] of [
        [5, 8],
        [5, 10],
        [10, 19],
        [10, 22],
        [20, 38],
        [20, 42],
      ]) {
        const mc = pointwiseMonteCarlo(n, m, 600, 1000 * n + m + (bias ? 1 : 0), bias);
        const exact = pointwiseExact(n, m);
        expect(mc.trials).toBe(600);
        expect(mc.p).toBe(mc.successes / 600);
        expect(mc.low).toBeLessThanOrEqual(exact);
        expect(mc.high).toBeGreaterThanOrEqual(exact);
      }
    }
  });

  it("is deterministic for a seed, and certain at the extremes", () => {
    expect(pointwiseMonteCarlo(6, 12, 50, 3, true)).toEqual(pointwiseMonteCarlo(6, 12, 50, 3, true));
    expect(pointwiseMonteCarlo(6, 5, 50, 3, false).successes).toBe(0);
    expect(pointwiseMonteCarlo(6, 72, 50, 3, false).successes).toBe(50);
  });

  it("is fast enough at n = 200, m = 12n", () => {
    const t0 = performance.now();
    const mc = pointwiseMonteCarlo(200, 2400, 5, 1, false);
    expect(mc.successes).toBe(5);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe("pointwiseCurve", () => {
  it("dedupes m per n, reports m/n, and runs Monte Carlo only up to monteCarloMaxN", () => {
    const pts = pointwiseCurve({ ns: [4, 100], ratios: [2, 2.1, 3, 12], bias: true, trials: 40, seed: 5 });
    // n = 4: round(8), round(8.4) = 8, 12, 48 → three points; n = 100: four points.
    expect(pts.map((p) => [p.n, p.m])).toEqual([
      [4, 8],
      [4, 12],
      [4, 48],
      [100, 200],
      [100, 210],
      [100, 300],
      [100, 1200],
    ]);
    expect(pts[1].ratio).toBe(3);
    for (const p of pts) {
      expect(p.bias).toBe(true);
      expect(p.exact).toBe(pointwiseExact(p.n, p.m));
      if (p.n <= 50) expect(p.monteCarlo?.trials).toBe(40);
      else expect(p.monteCarlo).toBeNull();
    }
    const again = pointwiseCurve({ ns: [4], ratios: [2, 3, 12], bias: true, trials: 40, seed: 5 });
    expect(again).toEqual(pts.slice(0, 3));
    const none = pointwiseCurve({
      ns: [4],
      ratios: [3],
      bias: false,
      trials: 10,
      seed: 1,
      monteCarloMaxN: 0,
    });
    expect(none[0].monteCarlo).toBeNull();
  });
});
