/**
 * Robust layerwise inversion from noisy outputs, after Lei, Jalal, Dhillon and Dimakis, "Inverting
 * deep generative models, one layer at a time" (NeurIPS 2019), ℓ∞ and ℓ1 variants: the output is
 * y = ReLU(W x + b) + e with unknown noise e, and x is recovered by one linear program per layer.
 *
 * Activity threshold. A row is treated as *active* when y_i > τ, and as *inactive* otherwise. With
 * per-entry noise of standard deviation σ (`noiseLevel`), the default is τ = 3σ: an inactive row (true
 * output 0) then reads y_i = e_i <= 3σ except with probability about 0.13%. For noise bounded by ε
 * in ℓ∞, τ = ε is exact. With σ = 0 the threshold is `tolerance·‖y‖∞`, as in the exact inversion.
 *
 * The ℓ∞ fit (one LP): minimize s over (x, s) subject to
 *
 *     |w_i·x + b_i − y_i| <= s            for the active rows (every row of a linear layer),
 *     w_i·x + b_i <= max(y_i, 0) + s      for the inactive rows (τ' = max(y_i, 0) + s),
 *     x >= 0                               when the layer's input follows a ReLU.
 *
 * The true x is feasible with s = ‖e‖∞ whenever the active rows really are active (a row of true
 * output in (0, τ] that is called inactive still satisfies its inequality), so s* <= ‖e‖∞, and when
 * the active rows A have full column rank, ‖W_A(x̂ − x)‖∞ <= 2‖e‖∞, hence
 * ‖x̂ − x‖₂ <= 2√|A|·‖e‖∞ / σ_min(W_A). With noiseLevel = 0 the LP is the exact preimage problem.
 *
 * The ℓ1 variant (`norm: "l1"`, the default of {@link invertNetworkRobust}) has one slack s_i per row
 * and minimizes Σ s_i: a row misread as active (a zero output whose noise exceeds τ) then costs only
 * its own term instead of dragging the whole fit, as it does under ℓ∞.
 *
 * Solver: the dense simplex of src/core/lp/simplex.ts, not HiGHS. The LPs are small (2m + 1 rows,
 * at most 2n + 1 columns), the dense simplex is synchronous (so this module and
 * {@link invertNetworkRobust} stay synchronous, like invertNetwork), and a HiGHS-WASM call costs
 * about a millisecond of overhead per LP (docs/benchmarks.md). Free variables are split x = u − v,
 * and s = S0 − t with S0 = max(0, −min rhs) makes z = 0 a feasible start (as src/core/separation-lp.ts
 * shifts its margin).
 *
 * Refinement: when the active rows have full column rank, the least-squares solution on them (the
 * maximum-likelihood estimate for Gaussian noise, given the activity pattern) replaces the LP point
 * if its ℓ∞ fit is within 3·max(s*, σ) (+ rounding). It typically halves the error (docs/networks.md).
 *
 * Network level ({@link invertNetworkRobust}): layers are inverted from the output back. The noise
 * level of the layer below is propagated as σ_{l−1} = σ_l / σ_min(W_A) (the per-coordinate standard
 * deviation bound of the least-squares estimate), which sets that layer's threshold.
 */

import { Matrix, QrDecomposition, SingularValueDecomposition } from "ml-matrix";
import { Budget, matrixBytes, type BudgetOptions } from "../core/budget.js";
import type { Domain } from "../core/types.js";
import { guardQr, guardSvd, maxAbs, numericalRank, relativeError } from "../core/linalg.js";
import { solveDenseLp, type DenseLpResult } from "../core/lp/simplex.js";
import { gradientInversion } from "./gradient-inversion.js";
import {
  assertRange,
  assertType,
  validateChoice,
  validateLayer,
  validateOptions,
  validateVector,
} from "../core/validate.js";
import {
  forwardUnchecked,
  layerDomain,
  layerMatrix,
  layerOutputDim,
  validateNetwork,
  type Network,
} from "../model/network.js";
import type { InvertibleLayer } from "./invert-layer.js";
import { validateTolerance } from "../core/numerics.js";

/** Options of {@link invertLayerRobust}. */
/**
 * Options of {@link invertLayerRobust}. `timeLimitMs`, `signal` and `memoryLimitBytes` (default
 * 2 GiB) bound the LP (its tableau is reserved before it is built, its pivots check the time), the
 * SVD and the QR (refused up front when they cannot finish in time or fit): a ResourceLimitError
 * names the stage.
 */
export interface RobustLayerOptions extends BudgetOptions {
  /** Domain of x: R^n, or the nonnegative orthant (a layer after a ReLU). @default "all" */
  domain?: Domain;
  /** Standard deviation σ of the per-entry output noise (or an ℓ∞ bound, with `threshold`). @default 0 */
  noiseLevel?: number;
  /** Activity threshold τ: rows with y_i > τ are active. @default 3·noiseLevel, or tolerance·‖y‖∞ when 0 */
  threshold?: number;
  /** Relative tolerance (threshold when noise-free; rank decisions). @default 1e-9 */
  tolerance?: number;
  /** Replace the LP point by least squares on the active rows when they have full rank. @default true */
  refine?: boolean;
  /**
   * `linf`: minimize the largest residual (one slack; the bound of the module comment); `l1`:
   * minimize the sum of residuals (one slack per row; robust to a few misclassified rows). @default "linf"
   */
  norm?: "linf" | "l1";
}

/** Result of {@link invertLayerRobust}. */
export interface RobustLayerInverse {
  /** The estimate x̂. */
  x: number[];
  /** Absolute ℓ∞ fit ‖σ(W x̂ + b) − y‖∞ of the returned x̂. */
  fitResidual: number;
  /**
   * Optimal LP value: s* (ℓ∞: the largest residual under the assumed activity pattern, <= ‖e‖∞ when
   * τ is right) or Σ s_i (ℓ1).
   */
  lpObjective: number;
  /** Status of the simplex run. */
  lpStatus: DenseLpResult["status"];
  /** The threshold τ used. */
  threshold: number;
  /** Rows with y_i > τ (every row of a linear layer). */
  activeRows: number;
  /** Numerical rank of the active rows. */
  activeRank: number;
  /** Smallest singular value of the active rows (0 when rank-deficient). */
  sigmaMinActive: number;
  /** `lp`: the LP point; `least-squares`: the refinement was accepted. */
  method: "lp" | "least-squares";
}

const FN = "invertLayerRobust()";

function dot(a: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * x[j];
  return s;
}

/** Absolute ℓ∞ fit max_i |σ(w_i·x + b_i) − y_i|. */
export function fitResidualInf(W: number[][], b: number[], relu: boolean, x: number[], y: number[]): number {
  let err = 0;
  for (let i = 0; i < W.length; i++) {
    const s = dot(W[i], x) + b[i];
    err = Math.max(err, Math.abs((relu && s < 0 ? 0 : s) - y[i]));
  }
  return err;
}

/** Relative error ‖a − b‖₂ / ‖b‖₂ (src/core/linalg.ts; re-exported for the callers of this module). */
export { relativeError };

/**
 * Robust inversion of one dense layer from a noisy output (see the module comment).
 *
 * @param layer `{W, b?, activation}`; W of shape (m, n)
 * @param y the noisy output, length m
 * @returns x̂, its ℓ∞ fit, the LP value s*, the threshold and the active rows' rank and σ_min
 * @throws InputTypeError / InputRangeError for a malformed layer, y of the wrong length, bad options
 * @throws ResourceLimitError when the time limit, the signal or the memory limit stops a stage
 *
 * @example
 * invertLayerRobust({ W: [[1, 0], [0, 1], [-1, 0], [0, -1]], activation: "relu" }, [1.01, 0, 0, 1.99],
 *   { noiseLevel: 0.01 }); // x̂ ≈ [1.01, -1.99]
 */
export function invertLayerRobust(
  layer: InvertibleLayer,
  y: number[],
  options: RobustLayerOptions = {},
): RobustLayerInverse {
  assertType(typeof layer === "object" && layer !== null, () => `${FN}: layer must be an object`);
  const { W, b } = validateLayer(FN, layer.W, layer.b);
  const activation = validateChoice(FN, "layer.activation", layer.activation, ["relu", "linear"] as const);
  validateVector(FN, "y", y);
  assertRange(y.length === W.length, () => `${FN}: y has length ${y.length}, expected ${W.length}`);
  validateOptions(FN, options);
  const domain = validateChoice(FN, "options.domain", options.domain ?? "all", [
    "all",
    "nonnegative",
  ] as const);
  const norm = validateChoice(FN, "options.norm", options.norm ?? "linf", ["linf", "l1"] as const);
  const tol = validateTolerance(FN, options.tolerance);
  const sigma = options.noiseLevel ?? 0;
  assertRange(
    Number.isFinite(sigma) && sigma >= 0,
    () => `${FN}: options.noiseLevel must be >= 0, got ${sigma}`,
  );
  if (options.threshold !== undefined)
    assertRange(
      Number.isFinite(options.threshold) && options.threshold >= 0,
      () => `${FN}: options.threshold must be >= 0, got ${options.threshold}`,
    );
  const budget = Budget.from(FN, options);
  return robustUnchecked(W, b, activation === "relu", y, domain, sigma, tol, { ...options, norm, budget });
}

/** Least-squares solution of A x ≈ r (A of full column rank). */
function leastSquares(A: number[][], r: number[]): number[] {
  return new QrDecomposition(new Matrix(A)).solve(Matrix.columnVector(r)).getColumn(0);
}

/**
 * {@link invertLayerRobust} without validation.
 * @throws ResourceLimitError when `options.budget` runs out
 */
export function robustUnchecked(
  W: number[][],
  b: number[],
  relu: boolean,
  y: number[],
  domain: Domain,
  sigma: number,
  tol: number,
  options: Pick<RobustLayerOptions, "threshold" | "refine" | "norm"> & {
    budget?: Budget;
    what?: string;
  } = {},
): RobustLayerInverse {
  const m = W.length;
  const n = W[0].length;
  const budget = options.budget ?? Budget.unlimited();
  const stage = `the robust inversion of ${options.what ?? "the layer"}`;
  budget.check(stage);
  const nonneg = domain === "nonnegative";
  const yMax = maxAbs(y);
  const tau = options.threshold ?? (sigma > 0 ? 3 * sigma : tol * yMax);
  const active: number[] = [];
  const inactive: number[] = [];
  for (let i = 0; i < m; i++) (!relu || y[i] > tau ? active : inactive).push(i);

  // Constraints g·x − s <= h.
  budget.reserve(`${stage} (LP constraints)`, matrixBytes(2 * m, n));
  const G: number[][] = [];
  const h: number[] = [];
  for (const i of active) {
    G.push(
      W[i],
      W[i].map((v) => -v),
    );
    h.push(y[i] - b[i], b[i] - y[i]);
  }
  for (const i of inactive) {
    G.push(W[i]);
    h.push(Math.max(y[i], 0) - b[i]);
  }
  const nx = nonneg ? n : 2 * n;
  const l1 = options.norm === "l1";
  // One slack s (ℓ∞) or one per row (ℓ1). s_q = S0_q − t_q + u_q (t, u >= 0, t_q − u_q <= S0_q), with
  // S0_q the residual at x = 0, makes z = 0 feasible; u lets an ℓ1 slack grow above its value at x = 0.
  const owner: number[] = [];
  for (let k = 0; k < active.length; k++) owner.push(k, k);
  for (let k = 0; k < inactive.length; k++) owner.push(active.length + k);
  const nSlack = l1 ? m : 1;
  const S0 = new Array<number>(nSlack).fill(0);
  h.forEach((v, k) => {
    const q = l1 ? owner[k] : 0;
    S0[q] = Math.max(S0[q], -v);
  });
  const cols = nx + 2 * nSlack;
  const rows = G.length + nSlack;
  budget.reserve(`${stage} (LP)`, rows * cols * 8);
  const A = new Float64Array(rows * cols);
  const r = new Float64Array(rows);
  G.forEach((g, k) => {
    for (let j = 0; j < n; j++) {
      A[k * cols + j] = g[j];
      if (!nonneg) A[k * cols + n + j] = -g[j];
    }
    const q = l1 ? owner[k] : 0;
    A[k * cols + nx + q] = 1; // g·x − s <= h  <=>  g·x + t − u <= h + S0
    A[k * cols + nx + nSlack + q] = -1;
    r[k] = h[k] + S0[q];
  });
  for (let q = 0; q < nSlack; q++) {
    A[(G.length + q) * cols + nx + q] = 1; // t − u <= S0  (s >= 0)
    A[(G.length + q) * cols + nx + nSlack + q] = -1;
    r[G.length + q] = S0[q];
  }
  const c = new Float64Array(cols).fill(0);
  for (let q = 0; q < nSlack; q++) {
    c[nx + q] = 1;
    c[nx + nSlack + q] = -1;
  }
  const lp = solveDenseLp(A, rows, cols, r, c, undefined, false, budget, `${stage} (LP)`);
  let x = Array.from({ length: n }, (_, j) => (nonneg ? lp.z[j] : lp.z[j] - lp.z[n + j]));
  let sStar = 0;
  for (let q = 0; q < nSlack; q++) sStar += Math.max(0, S0[q] - lp.z[nx + q] + lp.z[nx + nSlack + q]);

  const activeW = active.map((i) => W[i]);
  // Inliers for the refinement: active rows that the LP point fits to within τ (drops rows that the
  // threshold misclassified as active, whose residual is large).
  const inliers = tau > 0 ? active.filter((i) => Math.abs(dot(W[i], x) + b[i] - y[i]) <= tau) : active;
  let sigmaMin = 0;
  let rank = 0;
  if (activeW.length > 0) {
    guardSvd(`${stage} (SVD of the active rows)`, activeW.length, n, budget, true, true);
    const sv = new SingularValueDecomposition(new Matrix(activeW), { autoTranspose: true }).diagonal;
    const top = maxAbs(sv);
    rank = sv.filter((v) => v > tol * top).length;
    if (rank === n && activeW.length >= n) sigmaMin = sv.reduce((a, v) => Math.min(a, v), Infinity);
  }
  let fit = fitResidualInf(W, b, relu, x, y);
  let method: RobustLayerInverse["method"] = "lp";
  const inlierW = inliers.map((i) => W[i]);
  if (
    options.refine !== false &&
    rank === n &&
    inlierW.length >= n &&
    numericalRank(inlierW, tol, budget, `${stage} (rank SVD of the inliers)`) === n
  ) {
    guardQr(`${stage} (least squares)`, inlierW.length, n, budget);
    let xs = leastSquares(
      inlierW,
      inliers.map((i) => y[i] - b[i]),
    );
    if (nonneg) xs = xs.map((v) => Math.max(0, v));
    const fitLs = fitResidualInf(W, b, relu, xs, y);
    const scale = Math.max(1, yMax);
    const bound = l1 ? fit : sStar;
    if (fitLs <= 3 * Math.max(bound, sigma) + 1e3 * tol * scale || fitLs <= fit) {
      x = xs;
      fit = fitLs;
      method = "least-squares";
    }
  }
  return {
    x,
    fitResidual: fit,
    lpObjective: sStar,
    lpStatus: lp.status,
    threshold: tau,
    activeRows: active.length,
    activeRank: rank,
    sigmaMinActive: sigmaMin,
    method,
  };
}

/** Options of {@link invertNetworkRobust}. */
/**
 * Options of {@link invertNetworkRobust}; `timeLimitMs`, `signal` and `memoryLimitBytes` bound every
 * layer's inversion and the explicit matrices of structured layers (see {@link RobustLayerOptions}).
 */
export interface RobustNetworkOptions extends BudgetOptions {
  /** Standard deviation σ of the noise on the network's output. @default 0 */
  noiseLevel?: number;
  /** Relative tolerance. @default 1e-9 */
  tolerance?: number;
  /** Least-squares refinement at every layer. @default true */
  refine?: boolean;
  /** LP norm at every layer (see {@link RobustLayerOptions.norm}). @default "l1" */
  norm?: "linf" | "l1";
  /**
   * Polish the layerwise estimate by a joint fit: Adam on ‖N(x) − y‖² from the layerwise estimate and
   * from 5 seeded random starts, keeping the best fit. Layerwise errors
   * compound with depth under noise; the joint fit does not (docs/benchmarks.md, inversion).
   * @default true when noiseLevel > 0
   */
  polish?: boolean;
}

/** One layer of {@link invertNetworkRobust}, from the last layer back. */
export interface RobustNetworkLayer extends Omit<RobustLayerInverse, "x"> {
  index: number;
  domain: Domain;
  /** The noise level assumed at this layer's output (σ at the last layer, propagated below). */
  noiseLevel: number;
}

/** Result of {@link invertNetworkRobust}. */
export interface RobustNetworkInverse {
  /** The estimate x̂ of the network input. */
  x: number[];
  /** Relative fit ‖N(x̂) − y‖₂ / ‖y‖₂ (forward re-check). */
  residual: number;
  /** Absolute ℓ∞ fit ‖N(x̂) − y‖∞. */
  residualInf: number;
  layers: RobustNetworkLayer[];
  /** True when the gradient polish improved the fit and its result was kept. */
  polished: boolean;
  /** Relative fit of the layerwise estimate before polishing. */
  layerwiseResidual: number;
  timeMs: number;
}

/**
 * Robust layerwise inversion of a network from a noisy output y ≈ N(x) + e (see the module comment):
 * one ℓ∞-fit LP per layer, from the last layer back, with the noise level propagated downward.
 *
 * @param net a network of dense layers (validated here)
 * @param y the noisy output
 * @param options `noiseLevel` σ of the output noise (0: the exact problem)
 * @returns x̂, its forward fit, and every layer's LP value, threshold and active rank
 * @throws InputTypeError / InputRangeError for an invalid network, y of the wrong length, bad options
 * @throws ResourceLimitError when the time limit, the signal or the memory limit stops a stage
 *
 * @example
 * const r = invertNetworkRobust(net, noisyY, { noiseLevel: 0.01 });
 * relativeError(r.x, xTrue); // about σ / σ_min per layer
 */
export function invertNetworkRobust(
  net: Network,
  y: number[],
  options: RobustNetworkOptions = {},
): RobustNetworkInverse {
  const fn = "invertNetworkRobust()";
  const t0 = performance.now();
  validateNetwork(fn, net);
  validateVector(fn, "y", y);
  const L = net.layers.length;
  const out = layerOutputDim(net.layers[L - 1]);
  assertRange(y.length === out, () => `${fn}: y has length ${y.length}, expected ${out}`);
  validateOptions(fn, options);
  const tol = validateTolerance(fn, options.tolerance);
  const budget = Budget.from(fn, options);
  let sigma = options.noiseLevel ?? 0;
  assertRange(Number.isFinite(sigma) && sigma >= 0, () => `${fn}: options.noiseLevel must be >= 0`);
  let h = y;
  const layers: RobustNetworkLayer[] = [];
  for (let l = L - 1; l >= 0; l--) {
    const layer = net.layers[l];
    const domain = layerDomain(net, l);
    const what = `layer ${l}`;
    const W = layerMatrix(layer, budget, what);
    const b = layer.b ?? new Array<number>(W.length).fill(0);
    const inv = robustUnchecked(W, b, layer.activation === "relu", h, domain, sigma, tol, {
      refine: options.refine,
      norm: options.norm ?? "l1",
      budget,
      what,
    });
    const { x, ...rest } = inv;
    layers.push({ index: l, domain, noiseLevel: sigma, ...rest });
    if (sigma > 0) sigma = inv.sigmaMinActive > 0 ? sigma / inv.sigmaMinActive : sigma;
    h = x;
  }
  const fit = (x: number[]) => {
    const fwd = forwardUnchecked(net, x);
    let num = 0;
    let den = 0;
    let inf = 0;
    for (let i = 0; i < y.length; i++) {
      num += (fwd[i] - y[i]) ** 2;
      den += y[i] ** 2;
      inf = Math.max(inf, Math.abs(fwd[i] - y[i]));
    }
    return { residual: den > 0 ? Math.sqrt(num / den) : Math.sqrt(num), residualInf: inf };
  };
  const layerwise = fit(h);
  let best = { x: h, ...layerwise };
  let polished = false;
  if (options.polish ?? (options.noiseLevel ?? 0) > 0) {
    const g = gradientInversion(net, y, { starts: [h], restarts: 6 });
    const gf = fit(g.z);
    if (gf.residual < best.residual) {
      best = { x: g.z, ...gf };
      polished = true;
    }
  }
  return {
    x: best.x,
    residual: best.residual,
    residualInf: best.residualInf,
    layers,
    polished,
    layerwiseResidual: layerwise.residual,
    timeMs: performance.now() - t0,
  };
}
