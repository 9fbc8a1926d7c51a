/**
 * The dense simplex against known optima and LP duality on random instances.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { solveDenseLp } from "../../../src/core/lp/simplex.js";
import { PIVOT_TOLERANCE } from "../../../src/core/numerics.js";

/**
 * The reference: the same simplex on the full tableau (slack columns written out), as the solver
 * was before its compact form. The two must take the same pivots and give bit-identical results.
 */
function fullTableauLp(
  A: Float64Array,
  rows: number,
  cols: number,
  r: Float64Array,
  c: Float64Array,
  boundedHint: boolean,
) {
  const maxPivots = 50 * (rows + cols) + 1000;
  const width = cols + rows + 1;
  const T = new Float64Array((rows + 1) * width);
  const basis = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) T[i * width + j] = A[i * cols + j];
    T[i * width + cols + i] = 1;
    T[i * width + width - 1] = r[i] < 0 ? 0 : r[i];
    basis[i] = cols + i;
  }
  const obj = rows * width;
  for (let j = 0; j < cols; j++) T[obj + j] = -c[j];
  let pivots = 0;
  let degenerateRun = 0;
  let status = "optimal";
  const blocked = new Uint8Array(width);
  let anyBlocked = false;
  for (;;) {
    const bland = degenerateRun > 2 * (rows + cols);
    let enter = -1;
    let best = -PIVOT_TOLERANCE;
    for (let j = 0; j < width - 1; j++) {
      const d = T[obj + j];
      if (d < best && !blocked[j]) {
        enter = j;
        if (bland) break;
        best = d;
      }
    }
    if (enter < 0) {
      if (anyBlocked) status = "numerical";
      break;
    }
    let leave = -1;
    let bestRatio = Infinity;
    for (let i = 0; i < rows; i++) {
      const a = T[i * width + enter];
      if (a > PIVOT_TOLERANCE) {
        const ratio = T[i * width + width - 1] / a;
        if (ratio < bestRatio - 1e-15 || (Math.abs(ratio - bestRatio) <= 1e-15 && basis[i] < basis[leave])) {
          bestRatio = ratio;
          leave = i;
        }
      }
    }
    if (leave < 0) {
      if (!boundedHint) {
        status = "unbounded";
        break;
      }
      blocked[enter] = 1;
      anyBlocked = true;
      continue;
    }
    if (++pivots > maxPivots) {
      status = "iteration-limit";
      break;
    }
    degenerateRun = bestRatio <= 1e-14 ? degenerateRun + 1 : 0;
    const prOff = leave * width;
    const inv = 1 / T[prOff + enter];
    for (let j = 0; j < width; j++) T[prOff + j] *= inv;
    T[prOff + enter] = 1;
    for (let i = 0; i <= rows; i++) {
      if (i === leave) continue;
      const f = T[i * width + enter];
      if (f === 0) continue;
      for (let j = 0; j < width; j++) T[i * width + j] -= f * T[prOff + j];
      T[i * width + enter] = 0;
    }
    basis[leave] = enter;
    if (anyBlocked) {
      blocked.fill(0);
      anyBlocked = false;
    }
  }
  const z = new Float64Array(cols);
  for (let i = 0; i < rows; i++) if (basis[i] < cols) z[basis[i]] = T[i * width + width - 1];
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) y[i] = Math.max(0, T[obj + cols + i]);
  return { status, value: T[obj + width - 1], z, y, pivots };
}

/**
 * A separation LP as src/core/separation-lp.ts builds it: rows w_t split into x+ and x−, the
 * margin column, right-hand sides `rhs(t)`, and the cap t <= 1 (as the last row).
 */
function separationLp(n: number, k: number, w: (t: number, j: number) => number, rhs: (t: number) => number) {
  const cols = 2 * n + 1;
  const rows = k + 1;
  const A = new Float64Array(rows * cols);
  const r = new Float64Array(rows);
  for (let t = 0; t < k; t++) {
    for (let j = 0; j < n; j++) {
      const v = w(t, j);
      A[t * cols + j] = v;
      A[t * cols + n + j] = -v;
    }
    A[t * cols + 2 * n] = 1;
    r[t] = rhs(t);
  }
  A[k * cols + 2 * n] = 1;
  r[k] = 2;
  const c = new Float64Array(cols);
  c[2 * n] = 1;
  return { A, r, c, rows, cols };
}

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

  it("takes the same pivots as the full tableau and gives bit-identical results", () => {
    // Small integer entries make ties and degenerate vertices common; separation-style LPs (rows
    // of a layer, a free-variable split, a cap) are the solver's main use.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 14 }),
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 140, maxLength: 140 }),
        fc.boolean(),
        fc.boolean(),
        (n, k, nums, sparseRhs, bounded) => {
          const { A, r, c, rows, cols } = separationLp(
            n,
            k,
            (t, j) => nums[(t * n + j) % 140],
            (t) => (sparseRhs ? (nums[(70 + t) % 140] > 0 ? 1 : 0) : 1 + Math.abs(nums[(70 + t) % 140])),
          );
          if (!bounded) for (let j = 0; j < n; j++) c[j] = nums[(100 + j) % 140] / 2;
          const got = solveDenseLp(A, rows, cols, r, c, undefined, bounded);
          const want = fullTableauLp(A, rows, cols, r, c, bounded);
          expect(got.status).toBe(want.status);
          expect(got.pivots).toBe(want.pivots);
          expect(Object.is(got.value, want.value)).toBe(true);
          expect(Array.from(got.z)).toEqual(Array.from(want.z));
          expect(Array.from(got.y)).toEqual(Array.from(want.y));
        },
      ),
      { seed: 11, numRuns: 2000 },
    );
  });

  it("matches the full tableau on Gaussian separation LPs", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    for (let trial = 0; trial < 60; trial++) {
      const n = 3 + (trial % 8);
      const k = 2 * n + (trial % 5) * n;
      const { A, r, c, rows, cols } = separationLp(n, k, gauss, () => 1);
      const got = solveDenseLp(A, rows, cols, r, c, undefined, true);
      const want = fullTableauLp(A, rows, cols, r, c, true);
      expect(got.pivots).toBe(want.pivots);
      expect(Array.from(got.y)).toEqual(Array.from(want.y));
      expect(Array.from(got.z)).toEqual(Array.from(want.z));
    }
  });
});

/** The separation LP of {@link separationLp} with x free (n + 1 columns), solved. */
function solveFree(split: ReturnType<typeof separationLp>, n: number) {
  const cols = n + 1;
  const A = new Float64Array(split.rows * cols);
  for (let t = 0; t < split.rows; t++) {
    for (let j = 0; j < n; j++) A[t * cols + j] = split.A[t * split.cols + j];
    A[t * cols + n] = split.A[t * split.cols + 2 * n];
  }
  const c = new Float64Array(cols);
  c[n] = 1;
  const got = solveDenseLp(A, split.rows, cols, split.r, c, undefined, true, undefined, undefined, n);
  return { A, c, cols, got };
}

describe("solveDenseLp with free columns", () => {
  it("moves a free variable below zero", () => {
    // max −x0 + x1 s.t. −x0 <= 3, x1 − x0 <= 1, x1 <= 5, x0 free, x1 >= 0: the objective is at
    // most min(5 − x0, 1), so the optimum is 1, on x0 ∈ [−1, 4] with x1 = 1 + x0.
    const A = Float64Array.from([-1, 0, -1, 1, 0, 1]);
    const r = Float64Array.from([3, 1, 5]);
    const c = Float64Array.from([-1, 1]);
    const s = solveDenseLp(A, 3, 2, r, c, undefined, false, undefined, undefined, 1);
    expect(s.status).toBe("optimal");
    expect(s.value).toBeCloseTo(1, 12);
    expect(s.z[0]).toBeGreaterThanOrEqual(-1 - 1e-12);
    expect(s.z[0]).toBeLessThanOrEqual(4 + 1e-12);
    expect(s.z[1]).toBeCloseTo(1 + s.z[0], 12);
    const free = solveDenseLp(
      Float64Array.from([-1, 1]),
      2,
      1,
      Float64Array.from([3, 7]),
      Float64Array.from([-1]),
      undefined,
      false,
      undefined,
      undefined,
      1,
    );
    expect(free.value).toBeCloseTo(3, 12);
    expect(free.z[0]).toBeCloseTo(-3, 12);
    expect(Array.from(free.y)).toEqual([expect.closeTo(1, 12), 0]);
  });

  it("reports a free direction without bound as unbounded", () => {
    const s = solveDenseLp(
      Float64Array.from([1]),
      1,
      1,
      Float64Array.from([1]),
      Float64Array.from([-1]),
      undefined,
      false,
      undefined,
      undefined,
      1,
    );
    expect(s.status).toBe("unbounded");
  });

  it("agrees with the split x = x⁺ − x⁻ on separation LPs (value, feasibility, duals)", () => {
    // Integer entries in −3…3 give ties, zero rows, repeated and antiparallel rows and degenerate
    // vertices; the optimum value must match the split formulation's, the point must be feasible,
    // and the duals must satisfy A^T y = c on the free columns, >= c on the others, r·y = value.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 160, maxLength: 160 }),
        fc.boolean(),
        (n, k, nums, sparseRhs) => {
          const w = (t: number, j: number) => nums[(t * n + j) % 160];
          const rhs = (t: number) =>
            sparseRhs ? (nums[(80 + t) % 160] > 0 ? 1 : 0) : 1 + Math.abs(nums[(80 + t) % 160]);
          const split = separationLp(n, k, w, rhs);
          const want = solveDenseLp(split.A, split.rows, split.cols, split.r, split.c, undefined, true);
          const { A, c, cols, got } = solveFree(split, n);
          expect(got.status).toBe("optimal");
          expect(got.value).toBeCloseTo(want.value, 9);
          for (let t = 0; t < split.rows; t++) {
            let lhs = 0;
            for (let j = 0; j < cols; j++) lhs += A[t * cols + j] * got.z[j];
            expect(lhs).toBeLessThanOrEqual(split.r[t] + 1e-9);
          }
          expect(got.z[n]).toBeGreaterThanOrEqual(0);
          for (let j = 0; j < cols; j++) {
            let aty = 0;
            for (let t = 0; t < split.rows; t++) aty += A[t * cols + j] * got.y[t];
            if (j < n) expect(aty).toBeCloseTo(c[j], 9);
            else expect(aty).toBeGreaterThanOrEqual(c[j] - 1e-9);
          }
          const dual = split.r.reduce((a, v, t) => a + v * got.y[t], 0);
          expect(dual).toBeCloseTo(got.value, 9);
        },
      ),
      { seed: 19, numRuns: 2000 },
    );
  });

  it("takes fewer pivots than the split on Gaussian separation LPs, to the same optimum", () => {
    let seed = 5;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    let pivotsSplit = 0;
    let pivotsFree = 0;
    for (let trial = 0; trial < 60; trial++) {
      const n = 3 + (trial % 10);
      const k = 2 * n + (trial % 7) * n;
      const split = separationLp(n, k, gauss, () => 1);
      const want = solveDenseLp(split.A, split.rows, split.cols, split.r, split.c, undefined, true);
      const { got } = solveFree(split, n);
      expect(got.value).toBeCloseTo(want.value, 9);
      pivotsSplit += want.pivots;
      pivotsFree += got.pivots;
    }
    expect(pivotsFree).toBeLessThan(pivotsSplit);
  });
});
