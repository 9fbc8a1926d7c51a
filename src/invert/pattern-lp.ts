/**
 * ℓ1 and ℓ∞ fits on the activation pattern, by linear programs solved with HiGHS (the `highs` npm
 * package, WebAssembly): the robust counterpart of the least-squares steps of ./active-set.ts, for
 * outputs with outliers (ℓ1: a few wrong entries, such as clipped or corrupted pixels, cost only
 * their own terms) or with noise bounded entrywise (ℓ∞).
 *
 * Sequential linear programming with a trust region: at the current z, with the residual r and its
 * Jacobian J on the current pattern (an affine model, exact while the pattern holds),
 *
 *     ℓ1:  minimize Σ s_i   over (δ, s)   subject to  −s_i <= J_i δ + r_i <= s_i,  |δ_j| <= Δ,
 *     ℓ∞:  minimize t       over (δ, t)   subject to  −t   <= J_i δ + r_i <= t,    |δ_j| <= Δ,
 *
 * then z + δ is accepted when the true ℓ1 (ℓ∞) residual decreases (and Δ doubles), otherwise Δ is
 * divided by 4. The LPs have 2m rows and n + m (n + 1) columns, (n + 1)·2m nonzeros: for m = 1024
 * outputs and n = 32 about 70,000, which HiGHS solves in milliseconds to a second; the dense simplex
 * of src/core/lp is for tiny LPs. Successive LPs have the same structure, so each one starts from
 * the previous optimal basis (a warm start).
 *
 * HiGHS is loaded asynchronously once ({@link loadLpSolver}); the fit itself is synchronous.
 */

import highsModule from "highs";
import type { Highs } from "highs";
import type { Budget } from "../core/budget.js";
import { evaluate, residualJacobian, type Evaluation, type FitProblem } from "./active-set.js";

type HighsLoader = () => Promise<Highs>;
const loadHighs: HighsLoader =
  typeof highsModule === "function"
    ? (highsModule as unknown as HighsLoader)
    : (highsModule as unknown as { default: HighsLoader }).default;

let cached: Promise<Highs> | null = null;

/** Loads HiGHS (once per thread). */
export function loadLpSolver(): Promise<Highs> {
  cached ??= loadHighs();
  return cached;
}

/** The loaded solver, as the options of invertGenerator take it. */
export type LpSolver = Highs;

/** ℓ1 or ℓ∞ norm of a residual. */
export function residualNorm(r: ArrayLike<number>, norm: "l1" | "linf"): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s = norm === "l1" ? s + Math.abs(r[i]) : Math.max(s, Math.abs(r[i]));
  return s;
}

/** Result of {@link robustFit}. */
export interface RobustFitResult {
  best: Evaluation;
  /** Linear programs solved. */
  lps: number;
  jacobians: number;
}

/**
 * The ℓ1 or ℓ∞ fit from an evaluation (see the module comment).
 * @param maxIterations largest number of LPs
 */
export function robustFit(
  p: FitProblem,
  start: Evaluation,
  norm: "l1" | "linf",
  highs: LpSolver,
  budget: Budget,
  maxIterations = 30,
): RobustFitResult {
  const n = p.ops.inputDim;
  const m = p.ops.outputDim;
  let cur = start;
  let curObj = residualNorm(cur.r, norm);
  let zScale = 0;
  for (const v of cur.z) zScale = Math.max(zScale, Math.abs(v));
  let delta = 0.1 * (zScale + 1e-3);
  const model = highs.createModel();
  let lps = 0;
  let jacobians = 0;
  let basis: ReturnType<typeof model.getBasis> | null = null;
  try {
    model.options.set({ output_flag: false });
    let J = residualJacobian(p, cur, budget);
    jacobians++;
    for (let it = 0; it < maxIterations && delta > 1e-13 * (zScale + 1e-3); it++) {
      budget.check(`the ${norm} fit on the activation pattern (LP)`);
      const slack = norm === "l1" ? m : 1;
      const cols = n + slack;
      // CSC: the δ columns (2m entries each), then the slacks.
      const starts = new Int32Array(cols + 1);
      const nnz = 2 * m * n + 2 * m;
      const indices = new Int32Array(nnz);
      const values = new Float64Array(nnz);
      let k = 0;
      for (let j = 0; j < n; j++) {
        starts[j] = k;
        for (let i = 0; i < m; i++) {
          const v = J[i * n + j];
          indices[k] = 2 * i;
          values[k++] = v;
          indices[k] = 2 * i + 1;
          values[k++] = v;
        }
      }
      for (let q = 0; q < slack; q++) {
        starts[n + q] = k;
        const rows = norm === "l1" ? [q] : Array.from({ length: m }, (_, i) => i);
        for (const i of rows) {
          indices[k] = 2 * i;
          values[k++] = -1; // J δ − s <= −r
          indices[k] = 2 * i + 1;
          values[k++] = 1; // J δ + s >= −r
        }
      }
      starts[cols] = k;
      const rowLower = new Float64Array(2 * m);
      const rowUpper = new Float64Array(2 * m);
      for (let i = 0; i < m; i++) {
        rowLower[2 * i] = -highs.infinity;
        rowUpper[2 * i] = -cur.r[i];
        rowLower[2 * i + 1] = -cur.r[i];
        rowUpper[2 * i + 1] = highs.infinity;
      }
      const colCost = new Float64Array(cols);
      const colLower = new Float64Array(cols);
      const colUpper = new Float64Array(cols);
      for (let j = 0; j < n; j++) {
        colLower[j] = -delta;
        colUpper[j] = delta;
      }
      for (let q = 0; q < slack; q++) {
        colCost[n + q] = 1;
        colLower[n + q] = 0;
        colUpper[n + q] = highs.infinity;
      }
      model.passModel({
        numCols: cols,
        numRows: 2 * m,
        colCost,
        colLower,
        colUpper,
        rowLower,
        rowUpper,
        matrix: { format: "csc", numRows: 2 * m, numCols: cols, starts, indices, values },
      });
      if (basis) model.setBasis(basis);
      const left = budget.remainingMs();
      if (Number.isFinite(left)) model.options.set({ time_limit: Math.max(0.01, left / 1000) });
      model.run();
      lps++;
      if (model.getModelStatus() !== highs.constants.modelStatus.optimal) {
        delta /= 4;
        basis = null;
        continue;
      }
      basis = model.getBasis();
      const sol = model.getSolution().colValue;
      const z = new Float64Array(n);
      for (let j = 0; j < n; j++) z[j] = cur.z[j] + sol[j];
      const next = evaluate(p, z, budget);
      const obj = residualNorm(next.r, norm);
      if (obj < curObj) {
        const gain = (curObj - obj) / Math.max(curObj, 1e-300);
        cur = next;
        curObj = obj;
        delta *= 2;
        if (gain < 1e-9) break;
        J = residualJacobian(p, cur, budget);
        jacobians++;
      } else delta /= 4;
    }
  } finally {
    model.dispose();
  }
  return { best: cur, lps, jacobians };
}
