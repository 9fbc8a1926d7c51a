/**
 * The Gaussian W2 / Fréchet distance against hand-computed cases and an independent reference:
 * equal Gaussians give 0, a shifted mean the squared shift, a scaled covariance the known trace
 * term, diagonal covariances the coordinatewise formula Σ (√a_j − √b_j)², and in one dimension
 * (μ1 − μ2)² + (σ1 − σ2)²; fitted samples of N(0, I) come close to 0.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { Matrix } from "ml-matrix";
import { Rng } from "../../src/core/random.js";
import {
  fitGaussian,
  gaussianW2Squared,
  symmetricSqrt,
  w2ToStandardNormal,
} from "../../src/experiments/gaussian-w2.js";

const eye = (k: number, s = 1): number[][] =>
  Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (a === b ? s : 0)));

/** A random symmetric positive definite matrix A Aᵀ + εI. */
function spd(rng: Rng, k: number): number[][] {
  const A = Matrix.from1DArray(
    k,
    k,
    Array.from({ length: k * k }, () => rng.normal()),
  );
  return A.mmul(A.transpose()).add(Matrix.eye(k).mul(0.1)).to2DArray();
}

describe("gaussianW2Squared", () => {
  it("equal Gaussians give 0", () => {
    const rng = new Rng(1);
    for (const k of [1, 3, 8]) {
      const S = spd(rng, k);
      const mu = Array.from({ length: k }, () => rng.normal());
      expect(gaussianW2Squared(mu, S, mu, S)).toBeLessThan(1e-9 * k);
    }
  });

  it("a shifted mean gives the squared shift", () => {
    const S = spd(new Rng(2), 4);
    expect(gaussianW2Squared([1, 2, 0, -2], S, [0, 0, 0, 0], S)).toBeCloseTo(9, 9);
  });

  it("a scaled covariance c²Σ against Σ gives (c − 1)² tr Σ", () => {
    const S = spd(new Rng(3), 5);
    const trace = S.reduce((a, r, i) => a + r[i], 0);
    const S4 = S.map((r) => r.map((v) => 4 * v));
    expect(gaussianW2Squared([0, 0, 0, 0, 0], S4, [0, 0, 0, 0, 0], S)).toBeCloseTo(trace, 8);
    // N(0, 4I) against N(0, I) in R^k: k (2 − 1)².
    expect(gaussianW2Squared([0, 0, 0], eye(3, 4), [0, 0, 0], eye(3))).toBeCloseTo(3, 12);
  });

  it("agrees with the diagonal and one-dimensional closed forms (random cases)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true })),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (vars, shift) => {
          const k = vars.length;
          const A = vars.map(([a], i) => eye(k)[i].map((v) => v * a));
          const B = vars.map(([, b], i) => eye(k)[i].map((v) => v * b));
          const mu = shift.slice(0, k);
          const ref =
            mu.reduce((s, v) => s + v * v, 0) +
            vars.reduce((s, [a, b]) => s + (Math.sqrt(a) - Math.sqrt(b)) ** 2, 0);
          expect(gaussianW2Squared(mu, A, new Array<number>(k).fill(0), B)).toBeCloseTo(ref, 6);
        },
      ),
      { numRuns: 100, seed: 7 },
    );
  });

  it("singular covariances: N(0, 0) against N(0, I_k) gives k; a rank-one Σ is handled", () => {
    const zero = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ];
    expect(gaussianW2Squared([0, 0, 0], zero, [0, 0, 0], eye(3))).toBeCloseTo(3, 10);
    // Σ = v vᵀ with ‖v‖ = 2 against I_2: tr Σ + 2 − 2 tr Σ^½ = 4 + 2 − 2·(2 + 0) = 2.
    const rank1 = [
      [2, 2],
      [2, 2],
    ];
    // (The zero eigenvalue is ~1e-16 after rounding; its square root ~1e-8 limits the accuracy.)
    expect(gaussianW2Squared([0, 0], rank1, [0, 0], eye(2))).toBeCloseTo(2, 6);
  });

  it("is symmetric in its two arguments (non-commuting covariances)", () => {
    const rng = new Rng(4);
    const S1 = spd(rng, 4);
    const S2 = spd(rng, 4);
    const a = gaussianW2Squared([0, 1, 0, 0], S1, [1, 0, 0, 0], S2);
    const b = gaussianW2Squared([1, 0, 0, 0], S2, [0, 1, 0, 0], S1);
    expect(a).toBeGreaterThan(0);
    expect(Math.abs(a - b)).toBeLessThan(1e-8 * a);
  });

  it("bad input: mismatched dimensions, NaN, ragged covariance", () => {
    expect(() => gaussianW2Squared([0, 0], eye(2), [0], eye(1))).toThrow(/dimensions 2 and 1/);
    expect(() => gaussianW2Squared([NaN], eye(1), [0], eye(1))).toThrow(/finite/);
    expect(() => gaussianW2Squared([0, 0], [[1, 0], [0]], [0, 0], eye(2))).toThrow(/2 × 2/);
  });
});

describe("symmetricSqrt", () => {
  it("R R = S and R symmetric on random SPD matrices", () => {
    const rng = new Rng(5);
    for (const k of [1, 2, 6]) {
      const S = spd(rng, k);
      const R = symmetricSqrt(S);
      const RR = R.mmul(R).to2DArray();
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) {
          expect(RR[a][b]).toBeCloseTo(S[a][b], 8);
          expect(R.get(a, b)).toBeCloseTo(R.get(b, a), 12);
        }
    }
  });
});

describe("fitGaussian and w2ToStandardNormal", () => {
  it("samples of N(0, I) give W2 near 0, and a shift by c·e1 gives about c", () => {
    const rng = new Rng(6);
    const codes = Array.from({ length: 20_000 }, () => Array.from({ length: 4 }, () => rng.normal()));
    expect(w2ToStandardNormal(codes)).toBeLessThan(0.05);
    const shifted = codes.map((c) => [c[0] + 3, ...c.slice(1)]);
    expect(w2ToStandardNormal(shifted)).toBeCloseTo(3, 1);
    const fit = fitGaussian(codes);
    expect(fit.count).toBe(20_000);
    expect(fit.covariance[1][1]).toBeCloseTo(1, 1);
  });

  it("bad input: fewer than 2 samples, ragged, non-finite", () => {
    expect(() => fitGaussian([[1, 2]])).toThrow(/at least 2 samples/);
    expect(() => fitGaussian([[1, 2], [1]])).toThrow(/length 1, expected 2/);
    expect(() =>
      fitGaussian([
        [1, 2],
        [1, Infinity],
      ]),
    ).toThrow(/finite/);
  });
});
