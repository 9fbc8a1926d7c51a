/**
 * The refinement of an LP dual's weights (src/core/separation-lp.ts, `refineDualWeights`): a dual
 * whose algebra is a little off is made to hold to rounding on the same support, a valid one barely
 * moves, and weights that are not nearly a dual are refused rather than forced into one.
 */

import { describe, it, expect } from "vitest";
import { normalizeLayer } from "../../src/core/layer.js";
import { MAX_REFINEMENT, refineDualWeights, separateRows } from "../../src/core/separation-lp.js";
import { gaussianLayer } from "../../src/experiments/phase.js";
import { Rng } from "../../src/core/random.js";

/** max_j |Σ_t y_t ŵ_{rows[t], j}| */
function residual(rows: Float64Array, n: number, support: number[], y: ArrayLike<number>): number {
  let worst = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    support.forEach((i, t) => (s += y[t] * rows[i * n + j]));
    worst = Math.max(worst, Math.abs(s));
  }
  return worst;
}

/** The LP's dual of every row of a Gaussian layer with m = 4n (no point makes them all negative). */
function rootDual(n: number, seed: number) {
  const { W } = gaussianLayer(n, 4 * n, false, seed);
  const layer = normalizeLayer(W, new Array<number>(4 * n).fill(0));
  const R = Int32Array.from({ length: layer.count }, (_, i) => i);
  const sep = separateRows(layer, R, "all", 1e-9);
  if (sep.feasible) throw new Error("expected an infeasible LP");
  const support: number[] = [];
  const y: number[] = [];
  sep.weights.forEach((w, t) => {
    if (w > 0) {
      support.push(R[t]);
      y.push(w);
    }
  });
  return { layer, support, y };
}

describe("refineDualWeights", () => {
  it("makes a perturbed dual hold to rounding again, on the same support", () => {
    const rng = new Rng(7);
    for (let seed = 1; seed <= 30; seed++) {
      const n = 4 + (seed % 9);
      const { layer, support, y } = rootDual(n, seed);
      const off = y.map((v) => v * (1 + 1e-6 * rng.normal()));
      expect(residual(layer.rows, n, support, off)).toBeGreaterThan(1e-9);
      const refined = refineDualWeights(layer, support, off)!;
      expect(refined).not.toBeNull();
      expect(residual(layer.rows, n, support, refined)).toBeLessThan(1e-12);
      expect(refined.every((v) => v > 0)).toBe(true);
      expect(refined.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
      // A small correction: within 1e-5 of the perturbed weights (normalized).
      const sum = off.reduce((a, v) => a + v, 0);
      refined.forEach((v, t) => expect(Math.abs(v - off[t] / sum)).toBeLessThan(1e-5));
    }
  });

  it("leaves a valid dual (nearly) where it is", () => {
    for (let seed = 31; seed <= 40; seed++) {
      const { layer, support, y } = rootDual(8, seed);
      const refined = refineDualWeights(layer, support, y)!;
      refined.forEach((v, t) => expect(Math.abs(v - y[t])).toBeLessThan(1e-9));
    }
  });

  it("refuses weights that are not nearly a dual (independent rows, or far off)", () => {
    // Rows 0 … n − 1 of a Gaussian layer are independent: no dual lives on them.
    const { W } = gaussianLayer(6, 24, false, 3);
    const layer = normalizeLayer(W, new Array<number>(24).fill(0));
    expect(refineDualWeights(layer, [0, 1, 2, 3, 4, 5], [0.2, 0.2, 0.2, 0.2, 0.1, 0.1])).toBeNull();
    // A real dual's support with one weight far from its own: the correction would exceed
    // MAX_REFINEMENT of the weights' sum.
    const { layer: l2, support, y } = rootDual(6, 5);
    expect(y[0] * 0.5).toBeGreaterThan(10 * MAX_REFINEMENT);
    expect(
      refineDualWeights(
        l2,
        support,
        y.map((v, t) => (t === 0 ? v * 1.5 : v)),
      ),
    ).toBeNull();
    expect(refineDualWeights(l2, [], [])).toBeNull();
  });
});
