/**
 * A small dense simplex solver for the tiny linear programs of the hyperplane search.
 *
 * Solves   maximize c·z   subject to   A z <= r,  z >= 0,   with r >= 0,
 * so that z = 0 is a feasible start (one phase). Optionally the first few variables are free
 * (no sign constraint), which halves the tableau of an LP in a free x against splitting
 * x = x⁺ − x⁻. Dantzig's rule with a switch to Bland's rule after a run of degenerate pivots,
 * so it cannot cycle. Returns the primal point and the dual
 * multipliers y >= 0 (one per constraint, read off the objective row at the slack columns), which
 * satisfy A^T y >= c and r·y = c·z at the optimum.
 *
 * Why not HiGHS here: the search solves up to millions of LPs with a few dozen constraints, and a
 * call into HiGHS-WASM costs about a millisecond of overhead (see docs/benchmarks.md). HiGHS stays
 * the baseline in the benchmarks and the solver of the test-only brute force.
 */

import type { Budget } from "../budget.js";
import { PIVOT_TOLERANCE } from "../numerics.js";

/** Result of {@link solveDenseLp}. */
export interface DenseLpResult {
  /**
   * `numerical`: with `boundedHint`, the solver stopped at a vertex where the only improving
   * columns had no pivot above its threshold; the point is feasible but maybe not optimal, and the
   * duals may be slightly infeasible (callers re-check them).
   */
  status: "optimal" | "unbounded" | "iteration-limit" | "numerical";
  /** Optimal objective value c·z. */
  value: number;
  /** Primal solution, length = number of variables. */
  z: Float64Array;
  /** Dual multipliers, length = number of constraints. */
  y: Float64Array;
  pivots: number;
}

const PIVOT_EPS = PIVOT_TOLERANCE;

/** Pivots between two checks of the budget. */
const PIVOTS_PER_CHECK = 32;

/** Bytes of the tableau of an LP with `rows` constraints and `cols` variables. */
export function denseLpBytes(rows: number, cols: number): number {
  return (rows + 1) * (cols + 1) * 8 + (rows + cols) * 24;
}

/**
 * Maximizes c·z over { z >= 0 : A z <= r } with r >= 0.
 *
 * The tableau is the compact (exchange) form: one column per nonbasic variable, rows + 1 by
 * cols + 1, instead of rows + 1 by cols + rows + 1 with the slack columns written out. A basic
 * variable's column of the full tableau is a unit vector, so the compact form does exactly the same
 * floating-point operations on the other columns, and the column of the variable that leaves gets
 * the values the full tableau would hold there (1/a at the pivot, −f/a elsewhere, as f·(1/a)).
 * Pivot rules break ties by the variable's index as in the full tableau, so the two take the same
 * pivots and give bit-identical results (tests/core/lp/simplex.test.ts keeps the full form as the
 * reference); the compact one needs (cols + 1)/(cols + rows + 1) of the work per pivot.
 *
 * @param A constraint matrix, row-major, shape (rows, cols)
 * @param r right-hand side, length rows, entries >= 0
 * @param c objective, length cols
 * @param boundedHint the caller knows the LP is bounded (a column with no pivot is then a rounding
 *   artefact, skipped, and the result flagged `numerical` instead of `unbounded`)
 * @param budget when given: the tableau ((rows + 1)·(cols + 1) doubles) is reserved before it is
 *   allocated, and the time is checked every few pivots
 * @param stage the stage named in a {@link ResourceLimitError}
 * @param freeCols the first `freeCols` variables are free: such a variable enters with either sign
 *   (a decreasing one by negating its column, z_j = −z'_j), and once basic it never leaves, as its
 *   row takes no part in the ratio test. With 0 (the default) the pivots are exactly those above.
 * @throws ResourceLimitError when the budget runs out
 */
export function solveDenseLp(
  A: Float64Array,
  rows: number,
  cols: number,
  r: Float64Array,
  c: Float64Array,
  maxPivots = 50 * (rows + cols) + 1000,
  boundedHint = false,
  budget?: Budget,
  stage = "a linear program",
  freeCols = 0,
): DenseLpResult {
  budget?.reserve(stage, denseLpBytes(rows, cols));
  // Variables are numbered as the full tableau's columns: 0 … cols − 1 structural, cols + i the
  // slack of constraint i. Tableau: `rows` constraint rows and 1 objective row; columns: the cols
  // nonbasic variables (`label`) and 1 right-hand side.
  const width = cols + 1;
  const T = new Float64Array((rows + 1) * width);
  const basis = new Int32Array(rows);
  const label = new Int32Array(cols);
  for (let j = 0; j < cols; j++) label[j] = j;
  for (let i = 0; i < rows; i++) {
    const off = i * width;
    for (let j = 0; j < cols; j++) T[off + j] = A[i * cols + j];
    T[off + cols] = r[i] < 0 ? 0 : r[i];
    basis[i] = cols + i;
  }
  const obj = rows * width;
  for (let j = 0; j < cols; j++) T[obj + j] = -c[j];

  let pivots = 0;
  let degenerateRun = 0;
  let status: DenseLpResult["status"] = "optimal";
  // Variables whose ratio test found no pivot above PIVOT_EPS since the last pivot. The callers'
  // LPs are bounded, so such a column is a rounding artefact: skip it rather than report "unbounded".
  const blocked = new Uint8Array(cols + rows);
  let anyBlocked = false;
  // Free variables whose column was negated (z_j = −z'_j) when they entered decreasing.
  const negated = new Uint8Array(freeCols);
  for (;;) {
    // Entering column: the most negative reduced cost, ties to the smallest variable (Dantzig);
    // the smallest improving variable after a run of degenerate pivots (Bland).
    const bland = degenerateRun > 2 * (rows + cols);
    let enter = -1;
    let enterLabel = cols + rows;
    let best = -PIVOT_EPS;
    for (let j = 0; j < cols; j++) {
      const l = label[j];
      // A nonbasic free variable improves in either direction: rank it by |reduced cost|.
      const d = l < freeCols ? -Math.abs(T[obj + j]) : T[obj + j];
      if (blocked[l]) continue;
      if (
        bland ? d < -PIVOT_EPS && l < enterLabel : d < best || (d === best && enter >= 0 && l < enterLabel)
      ) {
        enter = j;
        enterLabel = l;
        if (!bland) best = d;
      }
    }
    if (enter < 0) {
      if (anyBlocked) status = "numerical";
      break;
    }
    if (enterLabel < freeCols && T[obj + enter] > 0) {
      // A free variable that improves by decreasing: substitute z_j = −z'_j (negate its column).
      for (let i = 0; i <= rows; i++) T[i * width + enter] = -T[i * width + enter];
      negated[enterLabel] ^= 1;
    }
    // Leaving row: minimum ratio, ties by smallest basis index (Bland). Basic free variables
    // have no bound, so their rows never limit the step.
    let leave = -1;
    let bestRatio = Infinity;
    for (let i = 0; i < rows; i++) {
      if (basis[i] < freeCols) continue;
      const a = T[i * width + enter];
      if (a > PIVOT_EPS) {
        const ratio = T[i * width + cols] / a;
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
      blocked[enterLabel] = 1;
      anyBlocked = true;
      continue;
    }
    if (budget && pivots % PIVOTS_PER_CHECK === 0) budget.check(stage);
    if (++pivots > maxPivots) {
      status = "iteration-limit";
      break;
    }
    degenerateRun = bestRatio <= 1e-14 ? degenerateRun + 1 : 0;
    exchange(T, rows + 1, width, leave, enter);
    label[enter] = basis[leave];
    basis[leave] = enterLabel;
    if (anyBlocked) {
      blocked.fill(0);
      anyBlocked = false;
    }
  }

  const z = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const l = basis[i];
    if (l < cols) z[l] = l < freeCols && negated[l] ? -T[i * width + cols] : T[i * width + cols];
  }
  const y = new Float64Array(rows);
  for (let j = 0; j < cols; j++) if (label[j] >= cols) y[label[j] - cols] = Math.max(0, T[obj + j]);
  return { status, value: T[obj + cols], z, y, pivots };
}

/**
 * Pivots the compact tableau on (pr, pc): the entering variable's column becomes the column of
 * the variable that leaves, with the values the full tableau's unit column would take.
 */
function exchange(T: Float64Array, height: number, width: number, pr: number, pc: number): void {
  const prOff = pr * width;
  const inv = 1 / T[prOff + pc];
  for (let j = 0; j < width; j++) T[prOff + j] *= inv;
  T[prOff + pc] = inv;
  for (let i = 0; i < height; i++) {
    if (i === pr) continue;
    const off = i * width;
    const f = T[off + pc];
    if (f === 0) continue;
    for (let j = 0; j < width; j++) T[off + j] -= f * T[prOff + j];
    T[off + pc] = -(f * inv);
  }
}
