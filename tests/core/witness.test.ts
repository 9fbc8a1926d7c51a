/**
 * verifyWitness: the forward-pass re-check of collision witnesses.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { verifyWitness } from "../../src/core/index.js";
import { mayGiveDoubles } from "../../src/core/witness.js";

const I = [
  [1, 0],
  [0, 1],
];

describe("verifyWitness", () => {
  it("accepts an exact collision and says so", () => {
    const r = verifyWitness(I, null, { x1: [1, -1], x2: [1, -2] }, "all");
    expect(r.valid).toBe(true);
    expect(r.exact).toBe(true);
  });
  it("rejects equal points", () => {
    expect(verifyWitness(I, null, { x1: [1, -1], x2: [1, -1] }, "all").valid).toBe(false);
  });
  it("rejects different outputs", () => {
    const r = verifyWitness(I, null, { x1: [1, -1], x2: [2, -1] }, "all");
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/differ/);
  });
  it("rejects points outside the orthant for the nonnegative domain", () => {
    const r = verifyWitness(I, null, { x1: [1, -1], x2: [1, -2] }, "nonnegative");
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/orthant/);
  });
  it("rejects a rounding artefact: points too close to count", () => {
    const W = [[0.1, 0.7]];
    const r = verifyWitness(W, null, { x1: [1, 1], x2: [1, 1 + 1e-12] }, "all");
    expect(r.valid).toBe(false);
  });
  it("reports float near-collisions but never accepts them", () => {
    const W = [
      [0.1, 0.3],
      [-1, 0.2],
    ];
    const x1 = [1, 1];
    const x2 = [1 + 3 * 0.1, 1 - 0.1]; // moves along (3, −1) ⟂ (0.1, 0.3)... second row is negative at both
    const r = verifyWitness(W, null, { x1, x2 }, "all");
    expect(r.valid).toBe(false);
    expect(r.approximate).toBe(true);
    expect(r.reason).toMatch(/near-collision, not a proof/);
  });
  it("validates its input", () => {
    expect(() => verifyWitness(I, null, { x1: [1], x2: [1, 2] }, "all")).toThrow(
      /verifyWitness.*x1 has length 1, expected 2/,
    );
  });
});

describe("mayGiveDoubles", () => {
  const oddBits = (N: bigint): number => {
    if (N === 0n) return 0;
    const a = N < 0n ? -N : N;
    return a.toString(2).length - (a & -a).toString(2).length + 1;
  };
  it("its bound holds: B ∓ S both with at most 53 odd bits and B with at most 53 forces S to at most 108", () => {
    // U = B − S = a·2^s and V = B + S = c·2^t with odd a, c below 2^53: S = (V − U) / 2, B = (U + V) / 2.
    let kept = 0;
    const odd53 = fc.bigInt({ min: 1n, max: (1n << 52n) - 1n }).map((x) => 2n * x + 1n);
    fc.assert(
      fc.property(
        odd53,
        odd53,
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 140 }),
        fc.constantFrom(0, 0, 0, 1, 2, 30, 53, 54, 55, 60, 100),
        (a, c, na, nc, t, k) => {
          const s = t + k;
          const U = (na ? -a : a) << BigInt(s);
          const V = (nc ? -c : c) << BigInt(t);
          const B = (U + V) / 2n;
          const S = (V - U) / 2n;
          if (oddBits(B) > 53) return;
          kept++;
          expect(oddBits(S)).toBeLessThanOrEqual(108);
          expect(mayGiveDoubles([S])).toBe(true);
        },
      ),
      { numRuns: 5000, seed: 5 },
    );
    // Not vacuous: many pairs have B with at most 53 odd bits.
    expect(kept).toBeGreaterThan(500);
  });
  it("is false for a normal with more than 108 odd bits, true for small ones", () => {
    expect(mayGiveDoubles([3n, (1n << 108n) - 1n])).toBe(true);
    expect(mayGiveDoubles([3n, (1n << 109n) - 1n])).toBe(false);
    expect(mayGiveDoubles([0n, 1n << 500n])).toBe(true);
  });
});
