/**
 * The strict-feasibility LP behind the hyperplane criterion (Theorem 1, docs/verifier.md; Remark 1 for the orthant).
 *
 * For a candidate collision direction v, the rows off its hyperplane (R = {i : <w_i, v> != 0})
 * must all be strictly negative at some x in D for F to collide along v. We solve
 *
 *     maximize t   s.t.   <ŵ_i, x> + b̂_i + t <= 0  (i in R),   t <= 1,   and x_j >= t (orthant only)
 *
 * on unit rows. t* > 0: x* is strictly feasible, every row of R has margin >= t*, and (orthant)
 * x* >= t* > 0 lies in the interior. t* <= 0: the LP dual gives Motzkin's alternative, weights
 * y >= 0 on R with Σ y = 1, Σ y ŵ_i = 0 (all) or >= 0 (orthant), and Σ y b̂_i >= 0 (up to t*).
 *
 * The cap t <= 1 keeps the LP bounded. A strictly feasible region can lie far from the origin or be
 * a thin wedge, so the first point found may give a poorly separated witness; {@link polishSeparation}
 * then re-solves with a box at the scale of that point, which maximizes the margin there.
 *
 * To start the simplex at a feasible vertex we substitute t = τ − K with K = 1 + max(0, max b̂):
 * every right-hand side becomes >= 1 and (x, τ) = 0 is feasible.
 */

import type { Domain } from "./types.js";
import type { NormalizedLayer } from "./layer.js";
import { solveDenseLp } from "./lp/simplex.js";
import { norm2 } from "./linalg.js";
import { choleskySolve } from "./dense.js";
import { LP_VIOLATION } from "./numerics.js";

/** Outcome of {@link separateRows}. */
export type SeparationResult =
  | { feasible: true; x: Float64Array; margin: number }
  | { feasible: false; margin: number; weights: Float64Array };

/**
 * Decides whether the rows `R` of the normalized layer can all be made strictly negative on D.
 * @param R indices of rows (into the normalized layer), nonempty
 * @param feasibleMargin t* above this counts as strictly feasible
 * @param box when given, also |x_j| <= box and t <= box: the witness-polishing variant, which
 *   maximizes the margin at a given scale (its dual is NOT a Motzkin dual; only use it on rows
 *   already known to be strictly feasible)
 */
export function separateRows(
  layer: NormalizedLayer,
  R: ArrayLike<number>,
  domain: Domain,
  feasibleMargin: number,
  box?: number,
): SeparationResult {
  return R.length > DIRECT_ROWS
    ? separateByGeneration(layer, R, domain, feasibleMargin, box)
    : separateDirect(layer, R, domain, feasibleMargin, box);
}

/** Up to this many rows the LP is solved at once; beyond, by constraint generation. */
const DIRECT_ROWS = 1000;
/** Rows added per round of constraint generation. */
const GENERATION_BATCH = 256;
/** Rounds of constraint generation before giving up (the caller re-checks whatever it gets). */
const GENERATION_ROUNDS = 200;

/**
 * The separation LP over many rows (more than {@link DIRECT_ROWS}) by constraint generation: solve
 * it on a subset S of the rows, add the rows that the subset's point violates most, repeat. The
 * dense tableau of the full LP would need O(|R|²) memory (80 GB for 100,000 rows); the subsets stay
 * small. Sound either way: an infeasible subset's dual is supported on S ⊂ R, hence a dual for R;
 * a point is returned only after every row of R was checked at it.
 */
function separateByGeneration(
  layer: NormalizedLayer,
  R: ArrayLike<number>,
  domain: Domain,
  feasibleMargin: number,
  box?: number,
): SeparationResult {
  const n = layer.n;
  const k = R.length;
  const inS = new Uint8Array(k);
  const S: number[] = [];
  const stride = Math.max(1, Math.floor(k / GENERATION_BATCH));
  for (let t = 0; t < k && S.length < GENERATION_BATCH; t += stride) {
    inS[t] = 1;
    S.push(t);
  }
  const viol = new Float64Array(k);
  for (let round = 0; round < GENERATION_ROUNDS; round++) {
    const sub = Int32Array.from(S, (t) => R[t]);
    const res = separateDirect(layer, sub, domain, feasibleMargin, box);
    if (!res.feasible) {
      const weights = new Float64Array(k);
      S.forEach((t, u) => (weights[t] = res.weights[u]));
      return { feasible: false, margin: res.margin, weights };
    }
    // Rows of R off S whose margin at x is below the LP's t.
    let worst = 0;
    let count = 0;
    let margin = res.margin;
    for (let t = 0; t < k; t++) {
      const i = R[t];
      let a = layer.bias[i];
      for (let j = 0; j < n; j++) a += layer.rows[i * n + j] * res.x[j];
      margin = Math.min(margin, -a);
      viol[t] = inS[t] ? -Infinity : a + res.margin;
      if (viol[t] > LP_VIOLATION) {
        count++;
        if (viol[t] > worst) worst = viol[t];
      }
    }
    if (count === 0) return { feasible: true, x: res.x, margin: Math.min(res.margin, margin) };
    // Add the most violated rows.
    const order = Array.from({ length: k }, (_, t) => t)
      .filter((t) => viol[t] > LP_VIOLATION)
      .sort((a, b) => viol[b] - viol[a])
      .slice(0, GENERATION_BATCH);
    for (const t of order) {
      inS[t] = 1;
      S.push(t);
    }
    if (S.length > 4 * DIRECT_ROWS) break;
  }
  // No conclusion within the rounds: no point and no dual (callers treat this as undecided here).
  return { feasible: false, margin: 0, weights: new Float64Array(k) };
}

function separateDirect(
  layer: NormalizedLayer,
  R: ArrayLike<number>,
  domain: Domain,
  feasibleMargin: number,
  box?: number,
): SeparationResult {
  const n = layer.n;
  const k = R.length;
  let maxB = 0;
  for (let t = 0; t < k; t++) maxB = Math.max(maxB, layer.bias[R[t]]);
  const K = 1 + maxB;
  const cap = box ?? 1;
  const orthant = domain === "nonnegative";
  // Variables: x (n; free on all of R^n, >= 0 on the orthant), tau (1).
  const cols = n + 1;
  const rowsLp = k + 1 + (orthant ? n : 0) + (box === undefined ? 0 : 2 * n);
  const A = new Float64Array(rowsLp * cols);
  const r = new Float64Array(rowsLp);
  for (let t = 0; t < k; t++) {
    const i = R[t];
    const off = t * cols;
    for (let j = 0; j < n; j++) A[off + j] = layer.rows[i * n + j];
    A[off + n] = 1;
    r[t] = K - layer.bias[i];
  }
  // t <= cap  <=>  tau <= K + cap
  A[k * cols + n] = 1;
  r[k] = K + cap;
  if (orthant) {
    // t <= x_j  <=>  tau - x_j <= K
    for (let j = 0; j < n; j++) {
      const off = (k + 1 + j) * cols;
      A[off + j] = -1;
      A[off + n] = 1;
      r[k + 1 + j] = K;
    }
  }
  if (box !== undefined) {
    // |x_j| <= box, for the witness-polishing LP only.
    const first = k + 1 + (orthant ? n : 0);
    for (let j = 0; j < n; j++) {
      A[(first + 2 * j) * cols + j] = 1;
      r[first + 2 * j] = box;
      A[(first + 2 * j + 1) * cols + j] = -1;
      r[first + 2 * j + 1] = box;
    }
  }
  const c = new Float64Array(cols);
  c[n] = 1;
  // The LP is bounded (t <= cap). A non-optimal stop ("numerical", "iteration-limit") still gives a
  // feasible point and candidate duals; the callers re-check both, so nothing unproved is claimed.
  const sol = solveDenseLp(A, rowsLp, cols, r, c, undefined, true, undefined, undefined, orthant ? 0 : n);
  const margin = sol.z[n] - K;
  if (margin > feasibleMargin) return { feasible: true, x: sol.z.slice(0, n), margin };
  const weights = new Float64Array(k);
  let sum = 0;
  for (let t = 0; t < k; t++) sum += sol.y[t];
  for (let t = 0; t < k; t++) weights[t] = sum > 0 ? sol.y[t] / sum : 0;
  return { feasible: false, margin, weights };
}

/**
 * Improves a strictly feasible point: maximizes the margin t within the box |x_j| <= 2·max(1, ‖x‖∞)
 * (and t <= that box), so that the witness x ± (t/2)v is as well separated as the geometry allows
 * relative to its size. Returns the better of the two points by t / max(1, ‖x‖).
 */
export function polishSeparation(
  layer: NormalizedLayer,
  R: ArrayLike<number>,
  domain: Domain,
  first: { x: Float64Array; margin: number },
): { x: Float64Array; margin: number } {
  let norm = 0;
  for (const v of first.x) norm = Math.max(norm, Math.abs(v));
  const box = 2 * Math.max(1, norm);
  const quality = (p: { x: Float64Array; margin: number }) => p.margin / Math.max(1, norm2(p.x));
  const polished = separateRows(layer, R, domain, 0, box);
  if (polished.feasible && quality(polished) > quality(first)) return polished;
  return first;
}

/** Largest total change of the weights, relative to their sum, that {@link refineDualWeights} makes. */
export const MAX_REFINEMENT = 1e-4;

/**
 * Refines the weights of a Motzkin dual on R^n (domain `all`) whose algebra the LP left a little
 * off: the least change δ with Σ (y_t − δ_t) ŵ_t = 0, that is δ_t = <ŵ_t, z> with
 * (Σ ŵ_t ŵ_tᵀ) z = Σ y_t ŵ_t (with a tiny ridge, since the support need not span R^n), twice, and
 * the result scaled to Σ y = 1. Nothing is trusted: the caller checks the refined dual as it checks
 * the LP's, and the exact re-check of the certificate checks every dual again.
 * @param rows the dual's rows (indices into the normalized layer)
 * @returns the refined weights (all > 0), or null when a weight would not stay positive or the
 *   weights would move by more than {@link MAX_REFINEMENT} of their sum
 */
export function refineDualWeights(
  layer: NormalizedLayer,
  rows: ArrayLike<number>,
  weights: ArrayLike<number>,
): Float64Array | null {
  const { n } = layer;
  const k = rows.length;
  if (k === 0) return null;
  const A = layer.rows;
  const G = new Float64Array(n * n);
  for (let t = 0; t < k; t++) {
    const o = rows[t] * n;
    for (let i = 0; i < n; i++) {
      const ai = A[o + i];
      if (ai === 0) continue;
      for (let j = 0; j <= i; j++) G[i * n + j] += ai * A[o + j];
    }
  }
  let trace = 0;
  for (let i = 0; i < n; i++) trace += G[i * n + i];
  const ridge = 1e-13 * Math.max(trace / n, 1e-300);
  const y = Float64Array.from(weights);
  const r = new Float64Array(n);
  let moved = 0;
  for (let round = 0; round < 2; round++) {
    r.fill(0);
    for (let t = 0; t < k; t++) {
      const o = rows[t] * n;
      for (let j = 0; j < n; j++) r[j] += y[t] * A[o + j];
    }
    const z = choleskySolve(G, n, ridge, r);
    if (!z) return null;
    for (let t = 0; t < k; t++) {
      const o = rows[t] * n;
      let d = 0;
      for (let j = 0; j < n; j++) d += A[o + j] * z[j];
      y[t] -= d;
      moved += Math.abs(d);
      if (!(y[t] > 0)) return null;
    }
  }
  let sum = 0;
  for (let t = 0; t < k; t++) sum += y[t];
  // Only a small correction of weights that sum to about 1 is a refinement; a large one means the
  // LP's answer was not nearly a dual.
  if (moved > MAX_REFINEMENT * sum) return null;
  for (let t = 0; t < k; t++) y[t] /= sum;
  return y;
}

/** The support of an infeasible LP's dual: the rows of R with a positive weight, and their weights. */
export function dualSupport(R: ArrayLike<number>, weights: Float64Array): { rows: number[]; w: number[] } {
  const rows: number[] = [];
  const w: number[] = [];
  for (let t = 0; t < R.length; t++) {
    if (weights[t] > 0) {
      rows.push(R[t]);
      w.push(weights[t]);
    }
  }
  return { rows, w };
}
