/**
 * Tests of the exact layer inversion (src/invert/invert-layer.ts): round trips on Corollary 2 layers,
 * the case where the positive rows do not span R^n and the inactive rows pin x down, non-unique
 * preimages with a second preimage, and y outside the range.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { constructDense } from "../../src/construct/dense.js";
import { invertLayer } from "../../src/invert/invert-layer.js";
import { applyLayer } from "../../src/model/network.js";
import { InputRangeError } from "../../src/core/validate.js";

const relErr = (a: number[], b: number[]): number =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / Math.max(1, ...b.map(Math.abs));

describe("invertLayer: injective Corollary 2 layers", () => {
  it("round trip invert(forward(x)) = x to 1e-9 relative (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.constantFrom("none" as const, "nonneg" as const, "paired" as const),
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (n, extra, seed, bias, xs) => {
          const { W, b } = constructDense(n, 2 * n + extra, { seed, bias, shuffle: true });
          const x = xs.slice(0, n);
          const y = applyLayer({ type: "dense", W, b, activation: "relu" }, x);
          const inv = invertLayer({ W, b, activation: "relu" }, y);
          expect(inv.found).toBe(true);
          expect(inv.unique).toBe(true);
          expect(relErr(inv.x, x)).toBeLessThan(1e-9);
          expect(inv.residual).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("positive rows do not span, the inactive rows pin x down (fast-check, m = 2n, x on pair boundaries)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 1, max: 6 }),
        (n, seed, es, zeros) => {
          // W = [B; -B] (no bias): choose x with B x = e and k >= 1 entries of e equal to 0, so both
          // rows of those pairs output 0 and only n - k rows are positive.
          const { W, meta } = constructDense(n, 2 * n, { seed });
          const k = Math.min(zeros, n);
          const e = es.slice(0, n).map((v, i) => (i < k ? 0 : v < 0 ? v - 0.1 : v + 0.1));
          // x = B^{-1} e by solving with the layer itself: invert the linear map B.
          const Binv = invertLayer({ W: meta.B, activation: "linear" }, e);
          const x = Binv.x;
          const y = applyLayer({ type: "dense", W, activation: "relu" }, x);
          const inv = invertLayer({ W, activation: "relu" }, y);
          expect(inv.equationRank).toBeLessThan(n);
          expect(inv.method).toBe("lp");
          expect(inv.found).toBe(true);
          expect(inv.unique).toBe(true);
          expect(relErr(inv.x, x)).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("[I; -I] at x = (1, 0): one positive row, x_2 = 0 pinned by the inactive rows", () => {
    const W = [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
    ];
    const inv = invertLayer({ W, activation: "relu" }, [1, 0, 0, 0]);
    expect(inv.found).toBe(true);
    expect(inv.equationRank).toBe(1);
    expect(inv.unique).toBe(true);
    expect(inv.x[0]).toBeCloseTo(1, 12);
    expect(Math.abs(inv.x[1])).toBeLessThan(1e-12);
  });

  it("y = 0 for a layer without bias: every row inactive, x = 0", () => {
    const { W } = constructDense(4, 9, { seed: 3 });
    const inv = invertLayer({ W, activation: "relu" }, new Array(9).fill(0));
    expect(inv.found).toBe(true);
    expect(inv.unique).toBe(true);
    expect(Math.max(...inv.x.map(Math.abs))).toBeLessThan(1e-12);
  });
});

describe("invertLayer: non-unique preimages", () => {
  it("ReLU(I x) at y = (1, 0): x_2 <= 0 is free; a second preimage is returned", () => {
    const W = [
      [1, 0],
      [0, 1],
    ];
    const inv = invertLayer({ W, activation: "relu" }, [1, 0]);
    expect(inv.found).toBe(true);
    expect(inv.unique).toBe(false);
    const alt = inv.alternative!;
    expect(relErr(applyLayer({ type: "dense", W, activation: "relu" }, alt), [1, 0])).toBeLessThan(1e-12);
    expect(Math.abs(alt[1] - inv.x[1])).toBeGreaterThan(1e-3);
  });

  it("ReLU(I x) on the nonnegative orthant is injective: y = (1, 0) has the unique preimage (1, 0)", () => {
    const W = [
      [1, 0],
      [0, 1],
    ];
    const inv = invertLayer({ W, activation: "relu" }, [1, 0], { domain: "nonnegative" });
    expect(inv.found).toBe(true);
    expect(inv.unique).toBe(true);
    expect(inv.x).toEqual([1, 0]);
  });

  it("rank-deficient linear layer: a point of x0 + null(W) is a second preimage", () => {
    const W = [
      [1, 1],
      [2, 2],
    ];
    const inv = invertLayer({ W, activation: "linear" }, [3, 6]);
    expect(inv.found).toBe(true);
    expect(inv.unique).toBe(false);
    const a = inv.alternative!;
    expect(a[0] + a[1]).toBeCloseTo(3, 10);
  });

  it("injective: true skips the uniqueness LPs", () => {
    const inv = invertLayer({ W: [[1], [-1]], activation: "relu" }, [0, 0], { injective: true });
    expect(inv.unique).toBe(true);
    expect(inv.lpSolves).toBe(1);
  });
});

describe("invertLayer: y not in the range", () => {
  it("full-rank positive rows, inconsistent equations", () => {
    const W = [
      [1, 0],
      [0, 1],
      [1, 1],
    ];
    const inv = invertLayer({ W, activation: "relu" }, [1, 1, 5]);
    expect(inv.found).toBe(false);
    expect(inv.unique).toBeNull();
    expect(inv.residual).toBeGreaterThan(0.1);
    expect(inv.reason).toMatch(/not in the range/);
  });

  it("inequalities violated: [I; -I] cannot output (1, 0, 1, 0)", () => {
    const W = [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
    ];
    const inv = invertLayer({ W, activation: "relu" }, [1, 0, 1, 0]);
    expect(inv.found).toBe(false);
  });

  it("LP infeasible: rank-deficient equations with conflicting inequalities", () => {
    // y = (1, 0, 0): x_1 = 1 from row 0, row 2 says x_1 <= 0.5 (w = (1, 0), b = -0.5 must be <= 0).
    const inv = invertLayer(
      {
        W: [
          [1, 0],
          [0, 1],
          [1, 0],
        ],
        b: [0, 0, -0.5],
        activation: "relu",
      },
      [1, 0, 0],
    );
    expect(inv.found).toBe(false);
    expect(inv.method).toBe("lp");
  });

  it("negative outputs are never in the range of a ReLU", () => {
    const inv = invertLayer({ W: [[1], [-1]], activation: "relu" }, [-1, 0]);
    expect(inv.found).toBe(false);
  });

  it("the orthant: x = -1 is the only preimage on R, none on the orthant", () => {
    const layer = { W: [[1], [-1]], activation: "relu" as const };
    expect(invertLayer(layer, [0, 1]).found).toBe(true);
    expect(invertLayer(layer, [0, 1], { domain: "nonnegative" }).found).toBe(false);
  });

  it("bad input: y of the wrong length", () => {
    expect(() => invertLayer({ W: [[1], [-1]], activation: "relu" }, [1])).toThrow(InputRangeError);
  });
});
