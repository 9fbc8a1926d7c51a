/**
 * The dense simplex against known optima and LP duality on random instances.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { solveDenseLp } from "../../../src/core/lp/simplex.js";

describe("solveDenseLp", () => {
  it("solves a textbook LP", () => {
    // max 3x + 5y s.t. x <= 4, 2y <= 12, 3x + 2y <= 18: optimum 36 at (2, 6), duals (0, 1.5, 1).
    const r = solveDenseLp(
      Float64Array.from([1, 0, 0, 2, 3, 2]),
      3,
      2,
      Float64Array.from([4, 12, 18]),
      Float64Array.from([3, 5]),
    );
    expect(r.status).toBe("optimal");
    expect(r.value).toBeCloseTo(36, 10);
    expect(Array.from(r.z)).toEqual([2, 6].map((v) => expect.closeTo(v, 10)));
    expect(Array.from(r.y)).toEqual([0, 1.5, 1].map((v) => expect.closeTo(v, 10)));
  });

  it("reports unbounded problems", () => {
    const r = solveDenseLp(
      Float64Array.from([1, -1]),
      1,
      2,
      Float64Array.from([1]),
      Float64Array.from([0, 1]),
    );
    expect(r.status).toBe("unbounded");
  });

  it("satisfies strong duality and feasibility on random bounded LPs", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 200, maxLength: 200 }),
        (cols, rows, nums) => {
          // Add a box z_j <= 10 so that the LP is bounded.
          const R = rows + cols;
          const A = new Float64Array(R * cols);
          const r = new Float64Array(R);
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < cols; j++) A[i * cols + j] = nums[(i * cols + j) % 200];
            r[i] = Math.abs(nums[(150 + i) % 200]);
          }
          for (let j = 0; j < cols; j++) {
            A[(rows + j) * cols + j] = 1;
            r[rows + j] = 10;
          }
          const c = Float64Array.from({ length: cols }, (_, j) => nums[(100 + j) % 200]);
          const s = solveDenseLp(A, R, cols, r, c);
          expect(s.status).toBe("optimal");
          for (let i = 0; i < R; i++) {
            let lhs = 0;
            for (let j = 0; j < cols; j++) lhs += A[i * cols + j] * s.z[j];
            expect(lhs).toBeLessThanOrEqual(r[i] + 1e-9);
          }
          for (let j = 0; j < cols; j++) {
            let aty = 0;
            for (let i = 0; i < R; i++) aty += A[i * cols + j] * s.y[i];
            expect(aty).toBeGreaterThanOrEqual(c[j] - 1e-9);
          }
          const dual = r.reduce((a, v, i) => a + v * s.y[i], 0);
          expect(dual).toBeCloseTo(s.value, 8);
        },
      ),
      { seed: 3, numRuns: 200 },
    );
  });
});
