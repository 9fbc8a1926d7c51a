/**
 * snapLayer: the explicit "injective up to noise ε" question (rows within angle ε of another row's
 * line made exactly parallel or antiparallel, then decided exactly).
 */

import { describe, it, expect } from "vitest";
import { checkLayer, snapLayer } from "../../src/core/index.js";
import { exactInjective } from "../reference/exact-reference.js";

/** [B; −d·B] computed in floating point: the products round, the pairs are only nearly antiparallel. */
function floatPairs(B: number[][], d: number[], bias?: number[]): { W: number[][]; b: number[] | null } {
  const W = [...B, ...B.map((r, i) => r.map((v) => -d[i] * v))];
  return { W, b: bias ?? null };
}

describe("snapLayer", () => {
  const B = [
    [0.3, -0.7, 0.1],
    [0.2, 0.9, -0.4],
    [-0.6, 0.1, 0.8],
  ];
  const d = [0.37, 1.3, 2.9];

  it("float-rounded [B; −DB] is not injective as given, but injective up to 1e-12", async () => {
    const { W, b } = floatPairs(B, d);
    const asGiven = await checkLayer(W, b);
    expect(asGiven.injective).toBe(exactInjective(W, b, "all").injective);
    const s = snapLayer(W, b, 1e-12);
    expect(s.snapped.map((r) => [r.row, r.to, r.sign])).toEqual([
      [3, 0, -1],
      [4, 1, -1],
      [5, 2, -1],
    ]);
    expect(s.maxAngle).toBeLessThan(1e-15);
    // The snapped rows are exact negative power-of-two multiples of their partners.
    for (const r of s.snapped) s.W[r.row].forEach((v, j) => expect(v).toBe(-(2 ** r.power) * W[r.to][j]));
    const snapped = await checkLayer(s.W, s.b);
    expect(snapped.injective).toBe(true);
    expect(exactInjective(s.W, s.b, "all").injective).toBe(true);
  });

  it("rescales the bias with the row, so a paired bias keeps its meaning", async () => {
    const { W } = floatPairs(B, d);
    // β1 + β2/d > 0 for every pair: injective in exact arithmetic once snapped.
    const b = [0.5, -0.2, 0.1, 0.3 * d[0], 0.5 * d[1], 0.2 * d[2]];
    const s = snapLayer(W, b, 1e-12);
    expect((await checkLayer(s.W, s.b)).injective).toBe(true);
  });

  it("leaves rows alone that are farther than ε from every other line", () => {
    const W = [
      [1, 0],
      [0, 1],
      [-1, 1e-3],
    ];
    expect(snapLayer(W, null, 1e-6).snapped).toEqual([]);
    expect(snapLayer(W, null, 1e-2).snapped).toHaveLength(1);
  });

  it("validates epsilon", () => {
    for (const e of [0, -1, NaN, 0.5, Infinity]) expect(() => snapLayer([[1]], null, e)).toThrow(/epsilon/);
  });
});
