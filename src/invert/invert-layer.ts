/**
 * Exact inversion of one dense layer on its range (paper, Theorem 1 and Remark 1; the inverse used
 * in the proof of Corollary 1 and in equation (4)'s discussion: an injective layer is inverted by
 * solving for x on the rows that are active at x).
 *
 * Given y = σ(W x + b) with σ = ReLU (or the identity for a linear layer), every preimage x satisfies
 *
 *     w_i·x + b_i  = y_i   for the rows with y_i > 0   (all rows of a linear layer),
 *     w_i·x + b_i <= 0     for the rows with y_i = 0,
 *     x >= 0               when the layer's input comes after a ReLU (domain "nonnegative").
 *
 * When the equation rows have full column rank, x is their least-squares solution (QR); the
 * inequalities and the domain are then only checked, and the preimage is unique. Otherwise the
 * system is solved as a linear program with the dense simplex of src/core/lp/simplex.ts (one phase,
 * after a shift that makes the start feasible), and the answer is polished by least squares on the
 * constraints that are tight at the LP point. That covers the case where the positive rows alone do
 * not span R^n but the inactive rows pin x down (for an injective layer the feasible set is a single
 * point, a vertex, whose tight constraints have rank n). Uniqueness is then decided by 2n more small
 * LPs: the feasible set is a single point iff no coordinate of x can move inside it; a point that
 * moves is returned as a second preimage.
 */

import { Matrix, QrDecomposition } from "ml-matrix";
import { Budget, matrixBytes, type BudgetOptions } from "../core/budget.js";
import type { Domain } from "../core/types.js";
import { guardQr, maxAbs, norm2, numericalRank } from "../core/linalg.js";
import { solveDenseLp } from "../core/lp/simplex.js";
import {
  assertRange,
  assertType,
  validateChoice,
  validateLayer,
  validateOptions,
  validateVector,
} from "../core/validate.js";
import { TIGHT_CONSTRAINT, validateTolerance } from "../core/numerics.js";

/** A dense layer as inverted here (the fields of `DenseLayerSpec` that matter). */
export interface InvertibleLayer {
  W: number[][];
  b?: number[] | null;
  activation: "relu" | "linear";
}

/**
 * Options of {@link invertLayer}. `timeLimitMs`, `signal` and `memoryLimitBytes` (default 2 GiB)
 * bound the work: the least-squares QR and the rank SVDs are refused up front when they cannot
 * finish in time or fit, each LP's tableau is reserved before it is allocated, and the time is
 * checked between pivots and between LPs (a {@link ResourceLimitError} naming the stage).
 */
export interface InvertLayerOptions extends BudgetOptions {
  /** Where x lives: R^n, or the nonnegative orthant (the input of a layer after a ReLU). @default "all" */
  domain?: Domain;
  /**
   * Relative tolerance: y_i <= tolerance·‖y‖∞ counts as zero, and y is in the range when the
   * relative residual is <= tolerance. @default 1e-9
   */
  tolerance?: number;
  /**
   * The layer's injectivity on `domain` when already known (for example from checkLayer): `true`
   * makes the preimage unique without the uniqueness LPs.
   */
  injective?: boolean | null;
  /** Run the uniqueness LPs when the equation rows do not span R^n. @default true */
  checkUniqueness?: boolean;
}

/** Result of {@link invertLayer}. */
export interface LayerInverse {
  /** True when x is a preimage: `residual <= tolerance`. */
  found: boolean;
  /** The preimage (when `found`), otherwise the best candidate the solver reached. */
  x: number[];
  /**
   * Relative residual: max(‖σ(Wx + b) − y‖∞ / s, domain violation), where
   * s = max(‖y‖∞, max_i |b_i| + Σ_j |W_ij x_j|) is the size of the terms of W x + b.
   */
  residual: number;
  /**
   * true: x is the only preimage; false: `alternative` is a second one; null: not decided
   * (`found` is false, or the uniqueness LPs were skipped).
   */
  unique: boolean | null;
  /** Why the preimage is (or is not) unique, in words. */
  uniqueness: string;
  /** A second preimage ≠ x, when `unique === false`. */
  alternative?: number[];
  /** `least-squares`: the equation rows span R^n; `lp`: they do not, the inequalities were needed. */
  method: "least-squares" | "lp";
  /** Rows treated as equations (y_i > 0, or every row of a linear layer). */
  equationRows: number;
  /** Rank of the equation rows. */
  equationRank: number;
  /** Linear programs solved. */
  lpSolves: number;
  /** One sentence on the outcome. */
  reason: string;
}

const FN = "invertLayer()";

function dot(a: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * x[j];
  return s;
}

/**
 * Relative residual of x as a preimage of y (see {@link LayerInverse.residual}).
 * @param domain a negative entry of x counts as a violation on the nonnegative orthant
 */
export function layerResidual(
  W: number[][],
  b: number[],
  relu: boolean,
  x: number[],
  y: number[],
  domain: Domain = "all",
): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < W.length; i++) {
    let s = b[i];
    let mag = Math.abs(b[i]);
    const row = W[i];
    for (let j = 0; j < row.length; j++) {
      s += row[j] * x[j];
      mag += Math.abs(row[j] * x[j]);
    }
    const out = relu && s < 0 ? 0 : s;
    err = Math.max(err, Math.abs(out - y[i]));
    scale = Math.max(scale, mag, Math.abs(y[i]));
  }
  // Magnitudes below 1e-290 (subnormal arithmetic) count as zero.
  let r = err / Math.max(scale, 1e-290);
  if (domain === "nonnegative") {
    const xs = maxAbs(x);
    let neg = 0;
    for (const v of x) if (-v > neg) neg = -v;
    if (neg > 0) r = Math.max(r, neg / (xs > 0 ? xs : 1));
  }
  return r;
}

/** Least-squares solution of A x ≈ r for A with full column rank (QR). */
function leastSquares(A: number[][], r: number[]): number[] {
  const qr = new QrDecomposition(new Matrix(A));
  return qr.solve(Matrix.columnVector(r)).getColumn(0);
}

/** Unit-normalized constraint rows g·x <= h (zero rows are dropped by the caller). */
interface Constraint {
  g: number[];
  h: number;
}

/**
 * Finds x with g·x <= h for every constraint (and x >= 0 when `nonneg`) by one simplex run:
 * variables (x or u − v, s), constraints g·x + s <= h + t0, s <= t0 with t0 = max(0, −min h), so
 * that z = 0 is feasible; maximize s. The system is feasible iff s reaches t0.
 */
function feasiblePoint(
  cons: Constraint[],
  n: number,
  nonneg: boolean,
  tol: number,
  budget: Budget,
  stage: string,
): { x: number[]; feasible: boolean } {
  const nx = nonneg ? n : 2 * n;
  const cols = nx + 1;
  const rows = cons.length + 1;
  let t0 = 0;
  let hScale = 1;
  for (const k of cons) {
    t0 = Math.max(t0, -k.h);
    hScale = Math.max(hScale, Math.abs(k.h));
  }
  budget.reserve(stage, rows * cols * 8);
  const A = new Float64Array(rows * cols);
  const r = new Float64Array(rows);
  cons.forEach((c, i) => {
    for (let j = 0; j < n; j++) {
      A[i * cols + j] = c.g[j];
      if (!nonneg) A[i * cols + n + j] = -c.g[j];
    }
    A[i * cols + nx] = 1;
    r[i] = c.h + t0;
  });
  A[cons.length * cols + nx] = 1;
  r[cons.length] = t0;
  const c = new Float64Array(cols);
  c[nx] = 1;
  const res = solveDenseLp(A, rows, cols, r, c, undefined, false, budget, stage);
  const x = Array.from({ length: n }, (_, j) => (nonneg ? res.z[j] : res.z[j] - res.z[n + j]));
  return { x, feasible: res.status === "optimal" && res.z[nx] >= t0 - tol * hScale };
}

/**
 * Inverts one dense layer at y: finds x with σ(W x + b) = y on the domain, and says whether it is
 * the only one.
 *
 * @param layer `{W, b?, activation}`; W of shape (m, n), rows are output units
 * @param y a point of R^m (the output to invert)
 * @returns the preimage (or the best candidate, with `found: false`), its relative residual, and
 *   whether it is unique, with a second preimage when it is not
 * @throws InputTypeError / InputRangeError for a malformed layer, y of the wrong length, bad options
 * @throws ResourceLimitError when the time limit, the signal or the memory limit stops a stage
 *
 * @example
 * invertLayer({ W: [[1, 0], [0, 1], [-1, 0], [0, -1]], activation: "relu" }, [1, 0, 0, 0]);
 * // x = [1, 0]: the positive row alone does not span R^2, the inactive rows pin x_2 = 0; unique
 */
export function invertLayer(
  layer: InvertibleLayer,
  y: number[],
  options: InvertLayerOptions = {},
): LayerInverse {
  assertType(typeof layer === "object" && layer !== null, () => `${FN}: layer must be an object`);
  const { W, b } = validateLayer(FN, layer.W, layer.b);
  const activation = validateChoice(FN, "layer.activation", layer.activation, ["relu", "linear"] as const);
  validateVector(FN, "y", y);
  assertRange(
    y.length === W.length,
    () => `${FN}: y has length ${y.length}, expected ${W.length} (one entry per row of W)`,
  );
  validateOptions(FN, options);
  const domain = validateChoice(FN, "options.domain", options.domain ?? "all", [
    "all",
    "nonnegative",
  ] as const);
  const tol = validateTolerance(FN, options.tolerance);
  const budget = Budget.from(FN, options);
  return invertUnchecked(W, b, activation === "relu", y, domain, tol, { ...options, budget });
}

/** The options of {@link invertUnchecked}. */
export interface InvertUncheckedOptions extends Pick<InvertLayerOptions, "injective" | "checkUniqueness"> {
  /** Time, cancel and memory limits (none but the default memory limit when absent). */
  budget?: Budget;
  /** The layer in words, for the stages named in a ResourceLimitError ("layer 2"). */
  what?: string;
}

/**
 * {@link invertLayer} without validation (W, b and y already checked).
 * @throws ResourceLimitError when `options.budget` runs out
 */
export function invertUnchecked(
  W: number[][],
  b: number[],
  relu: boolean,
  y: number[],
  domain: Domain,
  tol: number,
  options: InvertUncheckedOptions = {},
): LayerInverse {
  const m = W.length;
  const n = W[0].length;
  const budget = options.budget ?? Budget.unlimited();
  const what = options.what ?? "the layer";
  const stage = (s: string): string => `${s} of the inversion of ${what}`;
  budget.check(stage("the start"));
  const nonneg = domain === "nonnegative";
  const yMax = maxAbs(y);
  const zeroTol = tol * yMax;
  const norms = W.map((row) => norm2(row));
  const eq: number[] = [];
  const ineq: number[] = [];
  for (let i = 0; i < m; i++) (!relu || y[i] > zeroTol ? eq : ineq).push(i);
  budget.reserve(stage("the unit rows"), matrixBytes(eq.length, n));
  const unitEq = eq.filter((i) => norms[i] > 0).map((i) => W[i].map((v) => v / norms[i]));
  const rank = numericalRank(unitEq, tol, budget, stage("the rank SVD"));
  let lpSolves = 0;
  const finish = (
    x: number[],
    method: LayerInverse["method"],
    extra: Partial<LayerInverse> = {},
  ): LayerInverse => {
    if (nonneg) {
      // Entries that are zero up to rounding are put back on the orthant.
      const xs = Math.max(1e-300, maxAbs(x));
      x = x.map((v) => (v < 0 && -v <= tol * xs ? 0 : v));
    }
    const residual = layerResidual(W, b, relu, x, y, domain);
    const found = residual <= tol;
    return {
      found,
      x,
      residual,
      unique: null,
      uniqueness: "",
      method,
      equationRows: eq.length,
      equationRank: rank,
      lpSolves,
      reason: "",
      ...extra,
    };
  };

  if (rank === n) {
    const A = eq.map((i) => W[i]);
    const r = eq.map((i) => y[i] - b[i]);
    guardQr(stage("the least squares"), A.length, n, budget);
    const res = finish(leastSquares(A, r), "least-squares");
    if (res.found) {
      res.unique = true;
      res.uniqueness = `unique: the ${eq.length} ${relu ? "positive " : ""}row(s) have rank ${n}, so the equations determine x`;
      res.reason = `Preimage found by least squares on the ${eq.length} ${relu ? "active " : ""}row(s) (relative residual ${res.residual.toExponential(2)}).`;
    } else {
      res.uniqueness = "no preimage";
      res.reason = `y is not in the range: the ${relu ? "active " : ""}rows have rank ${n}, so x is determined by the equations, and it misses them or the ${relu ? "inactive rows' inequalities" : "domain"} (relative residual ${res.residual.toExponential(2)} > tolerance ${tol}).`;
    }
    return res;
  }

  // Equations as two inequalities, zero rows as one, all rows scaled to unit norm.
  budget.reserve(stage("the LP constraints"), matrixBytes(2 * eq.length + ineq.length + n, n));
  const cons: Constraint[] = [];
  let trivialViolation = false;
  const scaleY = Math.max(1, yMax);
  for (const i of eq) {
    const t = y[i] - b[i];
    if (norms[i] === 0) {
      if (Math.abs(t) > tol * scaleY) trivialViolation = true;
      continue;
    }
    const g = W[i].map((v) => v / norms[i]);
    cons.push({ g, h: t / norms[i] }, { g: g.map((v) => -v), h: -t / norms[i] });
  }
  for (const i of ineq) {
    const t = Math.min(y[i], 0) - b[i];
    if (norms[i] === 0) {
      if (t < -tol * scaleY) trivialViolation = true;
      continue;
    }
    cons.push({ g: W[i].map((v) => v / norms[i]), h: t / norms[i] });
  }
  lpSolves++;
  const fp = feasiblePoint(cons, n, nonneg, tol, budget, stage("the feasibility LP"));
  let x = fp.x;
  // Polish: least squares on the equations plus the constraints tight at the LP point.
  const xScale = Math.max(1, maxAbs(x));
  const rowsA: number[][] = eq.filter((i) => norms[i] > 0).map((i) => W[i]);
  const rhs: number[] = eq.filter((i) => norms[i] > 0).map((i) => y[i] - b[i]);
  for (const i of ineq) {
    if (norms[i] === 0) continue;
    const v = (dot(W[i], x) + b[i]) / norms[i];
    if (Math.abs(v) <= TIGHT_CONSTRAINT * xScale) {
      rowsA.push(W[i]);
      rhs.push(-b[i]);
    }
  }
  if (nonneg) {
    for (let j = 0; j < n; j++) {
      if (Math.abs(x[j]) <= TIGHT_CONSTRAINT * xScale) {
        rowsA.push(Array.from({ length: n }, (_, k) => (k === j ? 1 : 0)));
        rhs.push(0);
      }
    }
  }
  if (
    rowsA.length >= n &&
    numericalRank(
      rowsA.map((r) => {
        const s = norm2(r);
        return r.map((v) => v / s);
      }),
      tol,
      budget,
      stage("the rank SVD of the tight constraints"),
    ) === n
  ) {
    guardQr(stage("the least squares"), rowsA.length, n, budget);
    const polished = leastSquares(rowsA, rhs);
    if (layerResidual(W, b, relu, polished, y, domain) <= layerResidual(W, b, relu, x, y, domain))
      x = polished;
  }
  const res = finish(x, "lp");
  if (!res.found || trivialViolation || !fp.feasible) {
    res.found = res.found && fp.feasible && !trivialViolation;
    res.uniqueness = "no preimage";
    res.reason = `y is not in the range: the linear program over the ${eq.length} equation(s) and ${ineq.length} inequalit${ineq.length === 1 ? "y" : "ies"}${nonneg ? " and x >= 0" : ""} is infeasible (best relative residual ${res.residual.toExponential(2)} > tolerance ${tol}).`;
    return res;
  }
  res.reason = `Preimage found by a linear program: the ${eq.length} ${relu ? "positive " : ""}row(s) have rank ${rank} < ${n}, so the ${relu ? "inactive rows' inequalities" : "domain"} were needed (relative residual ${res.residual.toExponential(2)}).`;
  if (options.injective === true) {
    res.unique = true;
    res.uniqueness = `unique: the layer is injective on ${nonneg ? "the nonnegative orthant" : `R^${n}`}`;
    return res;
  }
  if (options.checkUniqueness === false) {
    res.uniqueness = `not decided: the equation rows have rank ${rank} < ${n} and the uniqueness test was skipped`;
    return res;
  }
  const other = secondPreimage(
    W,
    b,
    norms,
    eq,
    ineq,
    res.x,
    nonneg,
    tol,
    budget,
    stage("the uniqueness LPs"),
  );
  lpSolves += other.lpSolves;
  res.lpSolves = lpSolves;
  if (other.point) {
    const alt = finish(other.point, "lp");
    if (alt.found) {
      res.unique = false;
      res.alternative = alt.x;
      res.uniqueness = `not unique: the equation rows have rank ${rank} < ${n} and x can move inside the feasible set (a second preimage is attached)`;
      return res;
    }
  }
  if (other.point === null) {
    res.unique = true;
    res.uniqueness = `unique: the equation rows have rank ${rank} < ${n}, but no coordinate of x can move without breaking an inequality (${other.lpSolves} LPs)`;
  } else {
    res.uniqueness = "not decided: a displaced point was found but failed the residual check";
  }
  return res;
}

/**
 * Looks for a second preimage x0 + d: maximizes ±d_j (j = 1..n) over the local feasible set
 * { d : W_eq d = 0, w_i·d <= slack_i (inactive rows), x0 + d >= 0 (orthant), |d_j| <= R }, in which
 * every right-hand side is >= 0. Returns null when every coordinate stays put (the preimage is unique).
 */
function secondPreimage(
  W: number[][],
  b: number[],
  norms: number[],
  eq: number[],
  ineq: number[],
  x0: number[],
  nonneg: boolean,
  tol: number,
  budget: Budget,
  stage: string,
): { point: number[] | null; lpSolves: number } {
  const n = x0.length;
  const R = 1 + maxAbs(x0);
  budget.reserve(stage, matrixBytes(2 * eq.length + ineq.length + 3 * n, n));
  const cons: Constraint[] = [];
  for (const i of eq) {
    if (norms[i] === 0) continue;
    const g = W[i].map((v) => v / norms[i]);
    cons.push({ g, h: 0 }, { g: g.map((v) => -v), h: 0 });
  }
  for (const i of ineq) {
    if (norms[i] === 0) continue;
    const slack = Math.max(0, -(dot(W[i], x0) + b[i]) / norms[i]);
    cons.push({ g: W[i].map((v) => v / norms[i]), h: slack });
  }
  const unit = (j: number, s: number): number[] => Array.from({ length: n }, (_, k) => (k === j ? s : 0));
  for (let j = 0; j < n; j++) {
    if (nonneg) cons.push({ g: unit(j, -1), h: Math.max(0, x0[j]) });
    cons.push({ g: unit(j, 1), h: R }, { g: unit(j, -1), h: R });
  }
  const cols = 2 * n;
  const rows = cons.length;
  const A = new Float64Array(rows * cols);
  const r = new Float64Array(rows);
  cons.forEach((c, i) => {
    for (let j = 0; j < n; j++) {
      A[i * cols + j] = c.g[j];
      A[i * cols + n + j] = -c.g[j];
    }
    r[i] = c.h;
  });
  const threshold = Math.max(TIGHT_CONSTRAINT, 100 * tol) * R;
  let lpSolves = 0;
  for (let j = 0; j < n; j++) {
    for (const sign of [1, -1]) {
      const c = new Float64Array(cols);
      c[j] = sign;
      c[n + j] = -sign;
      lpSolves++;
      const res = solveDenseLp(A, rows, cols, r, c, undefined, false, budget, stage);
      if (res.status === "optimal" && res.value > threshold) {
        const d = Array.from({ length: n }, (_, k) => res.z[k] - res.z[n + k]);
        return { point: x0.map((v, k) => v + d[k]), lpSolves };
      }
    }
  }
  return { point: null, lpSolves };
}
