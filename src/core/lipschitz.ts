/**
 * Inverse Lipschitz constants of a ReLU layer F(x) = ReLU(W x + b) (paper, Theorem 3 and its proof in
 * Appendix C.1; docs/stability.md; Corollary 2 for the closed-form bound).
 *
 * Theorem 3: if the active rows span R^n at every x (F injective, Theorem 1), then
 *
 *     ‖F(x0) − F(x1)‖ >= C(W) ‖x0 − x1‖,    C(W) = (2m)^(−1/2) · min_x σ_min(W_S(x)),
 *
 * with S(x) = { i : <w_i, x> + b_i >= 0 }. S(x) only shrinks from faces to neighbouring open cells,
 * so the minimum runs over the open cells of the arrangement (./arrangement.ts). This module
 * reports, with docs/stability.md:
 *
 * - `C`: the exact C(W) when every cell was enumerated (0 when F is not injective);
 * - `sigmaMinActive`: min over cells of σ_min(W_S), an upper bound on the best constant L*
 *   (two close points of the minimizing cell achieve it);
 * - `sharperC` = sigmaMinActive / √(h + 1) (h distinct hyperplanes), which the same proof gives:
 *   a segment crosses each hyperplane at most once, so it has at most h + 1 linear pieces, and
 *   ‖F(x1) − F(x0)‖² >= Σ_k ℓ_k² σ² ‖v‖² >= σ² ‖v‖² / (h + 1); h + 1 <= m + 1 <= 2m;
 * - `naiveSigmaMin` = σ_min(W), which the paper calls too optimistic;
 * - `empiricalRatio`: a seeded sampled-and-locally-optimized min of ‖F(x0) − F(x1)‖/‖x0 − x1‖
 *   (random pairs, then local searches from the best of them and from two points of each of the
 *   cells with the smallest σ_min), another upper bound on L*;
 * - a closed-form lower bound for Corollary 2 layers [B; −DB; M] ({@link corollary2LowerBound}),
 *   detected automatically through groups of parallel rows that always keep a row active.
 */

import { Matrix, SingularValueDecomposition } from "ml-matrix";
import type { Certificate, Domain, LayerCheckResult, Witness } from "./types.js";
import { Budget, isResourceLimitError, type BudgetOptions, type ResourceLimitError } from "./budget.js";
import { checkLayerWithin } from "./check-layer.js";
import { CellEnumerator, type ArrangementCell, type ArrangementStop } from "./arrangement.js";
import { guardSvd, norm2, numericalRank, smallestRightSingularVector } from "./linalg.js";
import { describeExactWitness, exactPairAt } from "./witness.js";
import { dyadicRows } from "./exact.js";
import { Rng } from "./random.js";
import {
  assertRange,
  assertType,
  validateCount,
  validateDomain,
  validateLayer,
  validateMatrix,
  validateOptions,
  validatePositive,
  validateSeed,
  validateVector,
} from "./validate.js";
import { DEFAULT_TOLERANCE, validateTolerance } from "./numerics.js";

const YIELD_MS = 50;
/** Sampled pairs of the empirical ratio tried even when its time has run out. */
const MIN_SAMPLES = 32;

// ---------------------------------------------------------------------------------------------
// Singular values
// ---------------------------------------------------------------------------------------------

/**
 * σ_n(M) for M of shape (k, n): the smallest singular value as a map on R^n, 0 when k < n.
 * @param rows the rows of M (each of length n)
 * @param budget refuses an SVD that cannot finish in time or fit (no limits without one)
 * @param stage the stage named in a ResourceLimitError
 */
export function smallestSingularValue(
  rows: number[][],
  n: number,
  budget: Budget = Budget.unlimited(),
  stage = "an SVD (σ_min)",
): number {
  if (rows.length < n) return 0;
  guardSvd(stage, rows.length, n, budget, false, true);
  const svd = new SingularValueDecomposition(new Matrix(rows), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  let min = Infinity;
  for (const v of svd.diagonal) if (v < min) min = v;
  return Math.max(0, min);
}

// ---------------------------------------------------------------------------------------------
// Corollary 2 and always-active parallel groups
// ---------------------------------------------------------------------------------------------

/** Result of {@link corollary2LowerBound}. */
export interface Corollary2Bound {
  /** σ_min(Λ B) with Λ = diag(min(1, d_k)): a lower bound on σ_min(W_S) for every cell, exact when M is empty. */
  sigmaLowerBound: number;
  /** min(1, min_k d_k) · σ_min(B): weaker, simpler (σ_min(Λ B) >= it). */
  simpleSigmaLowerBound: number;
  /** (2m)^(−1/2) · sigmaLowerBound: a lower bound on Theorem 3's C(W). */
  CLowerBound: number;
  /** m = 2n + mExtra rows. */
  m: number;
}

/**
 * Closed-form lower bounds for a Corollary 2 layer W = [B; −DB; M] (B of shape (n, n), D = diag(d),
 * d > 0, any M of shape (mExtra, n)), no bias on the 2n paired rows.
 *
 * Every open cell has, for each k, exactly one of b_k and −d_k b_k active. So
 * W_Sᵀ W_S ⪰ Σ_k c_k² b_k b_kᵀ = Bᵀ C² B with c_k ∈ {1, d_k}, and that is ⪰ Bᵀ Λ² B with
 * Λ = diag(min(1, d_k)). Hence σ_min(W_S) >= σ_min(Λ B) >= min(1, min d) · σ_min(B)
 * (docs/stability.md). With M empty every choice of signs is a cell (x = B⁻¹ s), so
 * σ_min(Λ B) is then exactly the min over cells.
 *
 * @param B shape (n, n); its rows are the paired rows b_k
 * @param d length n, all > 0: row n + k of W is −d_k b_k
 * @param mExtra number of extra rows M (any), for the (2m)^(−1/2) factor @default 0
 *
 * @example
 * corollary2LowerBound([[2, 1], [1, 3]], [1, 2]).sigmaLowerBound; // σ_min([[2, 1], [1, 3]]) ≈ 1.382
 */
export function corollary2LowerBound(B: number[][], d: number[], mExtra = 0): Corollary2Bound {
  const fn = "corollary2LowerBound()";
  const Bv = validateMatrix(fn, "B", B);
  const n = Bv.length;
  assertRange(Bv[0].length === n, () => `${fn}: B must be square (n × n), got ${n} × ${Bv[0].length}`);
  const dv = validateVector(fn, "d", d, n);
  for (let k = 0; k < n; k++) {
    assertRange(dv[k] > 0, () => `${fn}: d must be positive, got ${dv[k]} at [${k}]`);
  }
  assertType(
    typeof mExtra === "number" && Number.isInteger(mExtra),
    () => `${fn}: mExtra must be an integer, got ${String(mExtra)}`,
  );
  assertRange(mExtra >= 0, () => `${fn}: mExtra must be >= 0, got ${mExtra}`);
  const scaled = Bv.map((row, k) => row.map((v) => v * Math.min(1, dv[k])));
  const sigma = smallestSingularValue(scaled, n);
  const simple =
    Math.min(
      1,
      dv.reduce((a, v) => Math.min(a, v), Infinity),
    ) * smallestSingularValue(Bv, n);
  const m = 2 * n + mExtra;
  return { sigmaLowerBound: sigma, simpleSigmaLowerBound: simple, CLowerBound: sigma / Math.sqrt(2 * m), m };
}

/** A group of parallel rows (all on one line R·u) that keeps active weight γ² at every point of the domain. */
export interface ActiveGroupWeight {
  /** Original row indices (at least two, or one row w >= 0 with b >= 0 on the orthant). */
  rows: number[];
  /** γ = sqrt(min over cells of Σ ‖w_i‖² over the group's active rows) > 0. */
  gamma: number;
  /** True when the group has rows pointing both ways, like Corollary 2's pairs (b_k, −d_k b_k). */
  antiparallel: boolean;
}

/** The automatic structure bound of {@link structureLowerBound}. */
export interface StructureBound {
  /** Groups with γ > 0. */
  groups: ActiveGroupWeight[];
  /** σ_min(G) > 0, G the matrix with rows γ_g u_g: a lower bound on σ_min(W_S) for every cell. */
  sigmaLowerBound: number;
  /** (2m)^(−1/2) · sigmaLowerBound: a lower bound on C(W). */
  CLowerBound: number;
  /** The antiparallel groups alone span R^n: the [B; −DB; M] structure of Corollary 2 (up to row order, extra rows, bias). */
  corollary2: boolean;
}

/**
 * A lower bound on σ_min(W_S) over all cells from groups of parallel rows, generalizing
 * {@link corollary2LowerBound}: rows w_i = α_i u (u a unit vector) with biases β_i are active at x
 * when α_i t + β_i > 0, t = <u, x>. Let γ² = min over t (avoiding breakpoints; on the orthant only
 * over the values <u, x> takes for x > 0) of Σ α_i² over the active rows. Then in every cell
 * W_Sᵀ W_S ⪰ Σ_g γ_g² u_g u_gᵀ, so σ_min(W_S) >= σ_min(G). For [B; −DB; M] without bias the
 * pairs give γ_k = min(1, d_k) ‖b_k‖ and the bound is σ_min(Λ B). Rows count as parallel when
 * their unit vectors agree to `tolerance`.
 *
 * @param W shape (m, n); @param b length m or null
 * @param budget grouping the rows costs O(m · groups · n): the time is checked between rows, and
 *   the bound is null when it runs out (no limits without one)
 * @returns the bound, or null when the groups with γ > 0 do not span R^n (the bound would be 0)
 */
export function structureLowerBound(
  W: number[][],
  b: number[] | null | undefined,
  domain: Domain = "all",
  tolerance = DEFAULT_TOLERANCE,
  budget: Budget = Budget.unlimited(),
): StructureBound | null {
  const fn = "structureLowerBound()";
  const { W: Wv, b: bv } = validateLayer(fn, W, b);
  validateDomain(fn, domain, "domain");
  validateTolerance(fn, tolerance, "tolerance");
  const m = Wv.length;
  const n = Wv[0].length;
  const norms = Wv.map((row) => norm2(row));
  const groups: { u: number[]; rows: number[]; alpha: number[]; beta: number[] }[] = [];
  for (let i = 0; i < m; i++) {
    if (i % 64 === 63 && budget.exhausted()) return null;
    if (!(norms[i] > 0)) continue;
    const u = Wv[i].map((v) => v / norms[i]);
    let placed = false;
    for (const g of groups) {
      const dot = u.reduce((s, v, j) => s + v * g.u[j], 0);
      const s = dot >= 0 ? 1 : -1;
      if (u.every((v, j) => Math.abs(v - s * g.u[j]) <= tolerance)) {
        g.rows.push(i);
        g.alpha.push(s * norms[i]);
        g.beta.push(bv[i]);
        placed = true;
        break;
      }
    }
    if (!placed) groups.push({ u, rows: [i], alpha: [norms[i]], beta: [bv[i]] });
  }
  const out: ActiveGroupWeight[] = [];
  const G: number[][] = [];
  for (const g of groups) {
    let lo = -Infinity;
    let hi = Infinity;
    if (domain === "nonnegative") {
      if (g.u.every((v) => v >= 0)) lo = 0;
      else if (g.u.every((v) => v <= 0)) hi = 0;
    }
    const gamma2 = minActiveWeight(g.alpha, g.beta, lo, hi);
    if (gamma2 > 0) {
      const gamma = Math.sqrt(gamma2);
      const antiparallel = g.alpha.some((a) => a > 0) && g.alpha.some((a) => a < 0);
      out.push({ rows: g.rows, gamma, antiparallel });
      G.push(g.u.map((v) => gamma * v));
    }
  }
  let sigma: number;
  let corollary2: boolean;
  try {
    sigma = smallestSingularValue(G, n, budget, "the structure bound (SVD)");
    if (!(sigma > 0)) return null;
    const pairLines = out.flatMap((g, k) => (g.antiparallel ? [G[k]] : []));
    corollary2 = pairLines.length >= n && numericalRank(pairLines, DEFAULT_TOLERANCE, budget) === n;
  } catch (e) {
    if (isResourceLimitError(e)) return null;
    throw e;
  }
  return { groups: out, sigmaLowerBound: sigma, CLowerBound: sigma / Math.sqrt(2 * m), corollary2 };
}

/** min over t in (lo, hi), t not a breakpoint, of Σ_{α_i t + β_i > 0} α_i². */
function minActiveWeight(alpha: number[], beta: number[], lo: number, hi: number): number {
  const breaks = alpha
    .map((a, i) => -beta[i] / a)
    .filter((t) => t > lo && t < hi)
    .sort((p, q) => p - q);
  const probes: number[] = [];
  if (breaks.length === 0) {
    probes.push(
      Number.isFinite(lo) ? (Number.isFinite(hi) ? (lo + hi) / 2 : lo + 1) : Number.isFinite(hi) ? hi - 1 : 0,
    );
  } else {
    const first = breaks[0];
    const last = breaks[breaks.length - 1];
    probes.push(Number.isFinite(lo) ? (lo + first) / 2 : first - 1 - Math.abs(first));
    for (let k = 1; k < breaks.length; k++) {
      if (breaks[k] > breaks[k - 1]) probes.push((breaks[k - 1] + breaks[k]) / 2);
    }
    probes.push(Number.isFinite(hi) ? (last + hi) / 2 : last + 1 + Math.abs(last));
  }
  let best = Infinity;
  for (const t of probes) {
    let w = 0;
    for (let i = 0; i < alpha.length; i++) if (alpha[i] * t + beta[i] > 0) w += alpha[i] * alpha[i];
    best = Math.min(best, w);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// The empirical ratio
// ---------------------------------------------------------------------------------------------

/** Options of {@link empiricalRatio}. */
export interface EmpiricalRatioOptions {
  /** @default "all" */
  domain?: Domain;
  /**
   * Random pairs: a third each of independent points, two points of one cell, and a point with a
   * step across cells; the steps go along a random direction or along the direction that the rows
   * active at the first point shrink most (the smallest right singular vector). @default 2000
   */
  samples?: number;
  /** Seed of the generator (mulberry32). @default 1 */
  seed?: number;
  /** Local searches, started from the best sampled pairs. @default 16 */
  localSearches?: number;
  /** Steps of each local search. @default 300 */
  iterations?: number;
  /** Pairs to evaluate as well (for example a collision witness). */
  extraPairs?: { x0: number[]; x1: number[] }[];
  /**
   * Pairs to start one more local search each from, after the blind sampling (for example two
   * points of each of the cells with the smallest σ_min, which random points rarely hit).
   */
  startPairs?: { x0: number[]; x1: number[] }[];
  /**
   * Limits of the sampling: when the time runs out or the signal fires, the estimate stops with the
   * pairs tried so far (`stopped` says why); an SVD that cannot finish in the time left or fit in
   * `memoryLimitBytes` (default 2 GiB) is not started (a random direction is used instead).
   */
  timeLimitMs?: number;
  signal?: AbortSignal;
  memoryLimitBytes?: number;
}

/** Result of {@link empiricalRatio}. */
export interface EmpiricalRatioResult {
  /** min ‖F(x0) − F(x1)‖ / ‖x0 − x1‖ over the pairs tried: an upper bound on the best constant L*. */
  ratio: number;
  /** The pair that achieved it. */
  x0: number[];
  x1: number[];
  /** How that pair was found. */
  foundBy:
    | "random"
    | "same-cell"
    | "cross-cell"
    | "local-search"
    | "given"
    | "start-pair"
    | "start-pair + local-search";
  /** The same minimum without `extraPairs` and `startPairs`: random pairs and local searches from them only. */
  blindRatio: number;
  seed: number;
  samples: number;
  localSearches: number;
  /** Local searches from `startPairs`. */
  startPairs: number;
  /** Forward-pass pairs evaluated in all. */
  evaluations: number;
  /** Why the sampling stopped early (the time limit, the signal), or null when it ran to its end. */
  stopped: string | null;
}

/**
 * A seeded estimate of the best inverse Lipschitz constant L* = inf ‖F(x0) − F(x1)‖ / ‖x0 − x1‖
 * over distinct x0, x1 in the domain: the minimum over sampled pairs, improved by local searches
 * ((1+1) evolution strategy on the midpoint and the difference, step sizes by the 1/5 rule).
 * It is an upper bound on L*; Theorem 3 says it is never below C(W). Pairs closer than
 * 1e-6 × (‖x0‖ + ‖x1‖ + bias scale) are not used, so rounding cannot fake a small ratio.
 *
 * @param W shape (m, n); @param b length m or null
 * @returns the ratio, its pair, and how many pairs were tried (reproducible from `seed`)
 */
export function empiricalRatio(
  W: number[][],
  b?: number[] | null,
  options: EmpiricalRatioOptions = {},
): EmpiricalRatioResult {
  const fn = "empiricalRatio()";
  const { W: Wv, b: bv } = validateLayer(fn, W, b);
  validateOptions(fn, options);
  const domain = validateDomain(fn, options.domain);
  const samples = validateCount(fn, "options.samples", options.samples ?? 2000, 1);
  const localSearches = validateCount(fn, "options.localSearches", options.localSearches ?? 16, 0);
  const iterations = validateCount(fn, "options.iterations", options.iterations ?? 300, 0);
  const seed = validateSeed(fn, options.seed);
  const m = Wv.length;
  const n = Wv[0].length;
  const pairs = (name: string, list: unknown) => {
    assertType(
      list === undefined || Array.isArray(list),
      () => `${fn}: options.${name} must be an array of {x0, x1}`,
    );
    return ((list ?? []) as { x0?: unknown; x1?: unknown }[]).map((p, k) => ({
      x0: validateVector(fn, `options.${name}[${k}].x0`, p?.x0, n),
      x1: validateVector(fn, `options.${name}[${k}].x1`, p?.x1, n),
    }));
  };
  const extra = pairs("extraPairs", options.extraPairs);
  const starts = pairs("startPairs", options.startPairs);
  const budget = Budget.from(fn, options);
  const STAGE = "the empirical ratio";
  budget.reserve(STAGE, m * n * 8);
  let stopped: string | null = null;
  /** True when the budget ran out (then `stopped` holds why). */
  const outOfBudget = (): boolean => {
    if (stopped === null && budget.exhausted()) {
      try {
        budget.check(STAGE);
      } catch (e) {
        stopped = (e as Error).message;
      }
    }
    return stopped !== null;
  };
  const orthant = domain === "nonnegative";
  const Wf = new Float64Array(m * n);
  for (let i = 0; i < m; i++) Wf.set(Wv[i], i * n);
  const norms = Wv.map((row) => norm2(row));
  let biasScale = 0;
  for (let i = 0; i < m; i++) if (norms[i] > 0) biasScale = Math.max(biasScale, Math.abs(bv[i]) / norms[i]);
  const scale = biasScale > 0 ? biasScale : 1;
  const rng = new Rng(seed);
  const z0 = new Float64Array(m);
  const z1 = new Float64Array(m);
  let evaluations = 0;

  const preact = (x: ArrayLike<number>, z: Float64Array): void => {
    for (let i = 0; i < m; i++) {
      let s = bv[i];
      for (let j = 0; j < n; j++) s += Wf[i * n + j] * x[j];
      z[i] = s;
    }
  };
  const norm = (x: ArrayLike<number>): number => {
    let s = 0;
    for (let j = 0; j < x.length; j++) s += x[j] * x[j];
    return Math.sqrt(s);
  };
  /** The ratio, or Infinity when the points are too close to trust the difference. */
  const ratio = (x0: Float64Array, x1: Float64Array): number => {
    let dd = 0;
    for (let j = 0; j < n; j++) dd += (x1[j] - x0[j]) ** 2;
    const den = Math.sqrt(dd);
    if (!(den > 1e-6 * (norm(x0) + norm(x1) + scale))) return Infinity;
    evaluations++;
    preact(x0, z0);
    preact(x1, z1);
    let num = 0;
    for (let i = 0; i < m; i++) num += (Math.max(0, z1[i]) - Math.max(0, z0[i])) ** 2;
    return Math.sqrt(num) / den;
  };
  const gaussian = (sigma: number): Float64Array => {
    const x = new Float64Array(n);
    for (let j = 0; j < n; j++) x[j] = sigma * rng.normal();
    return x;
  };
  const samplePoint = (): Float64Array => {
    const x = gaussian(scale * 2 ** (4 * rng.uniform() - 2));
    if (orthant) for (let j = 0; j < n; j++) x[j] = Math.abs(x[j]);
    return x;
  };
  const unit = (): Float64Array => {
    for (;;) {
      const u = gaussian(1);
      const s = norm(u);
      if (s > 1e-12) return u.map((v) => v / s);
    }
  };
  /** Distance from x to the nearest hyperplane (and, on the orthant, to the boundary). */
  const cellRadius = (x: Float64Array): number => {
    preact(x, z0);
    let r = Infinity;
    for (let i = 0; i < m; i++) if (norms[i] > 0) r = Math.min(r, Math.abs(z0[i]) / norms[i]);
    if (orthant) for (let j = 0; j < n; j++) r = Math.min(r, x[j]);
    return r;
  };
  const project = (x: Float64Array): void => {
    if (orthant) for (let j = 0; j < n; j++) x[j] = Math.max(0, x[j]);
  };

  type Kind = EmpiricalRatioResult["foundBy"];
  interface Pair {
    x0: Float64Array;
    x1: Float64Array;
    r: number;
    kind: Kind;
  }
  let best: Pair = { x0: new Float64Array(n), x1: new Float64Array(n), r: Infinity, kind: "random" };
  const pool: Pair[] = [];
  let blind = Infinity;
  const consider = (x0: Float64Array, x1: Float64Array, kind: Kind): void => {
    const r = ratio(x0, x1);
    if (!Number.isFinite(r)) return;
    const p = { x0, x1, r, kind };
    if (r < best.r) best = p;
    if (kind === "given") return;
    blind = Math.min(blind, r);
    if (localSearches > 0 && (pool.length < localSearches || r < pool[pool.length - 1].r)) {
      pool.push(p);
      pool.sort((p1, p2) => p1.r - p2.r);
      if (pool.length > localSearches) pool.pop();
    }
  };

  for (const p of extra) consider(Float64Array.from(p.x0), Float64Array.from(p.x1), "given");
  /** Half the time a random unit direction, else the direction v that minimizes ‖W_S v‖ for the rows S active at x. */
  const direction = (x: Float64Array, s: number): Float64Array => {
    if (s % 2 === 0) return unit();
    preact(x, z0);
    const active: number[][] = [];
    for (let i = 0; i < m; i++) if (z0[i] > 0) active.push(Wv[i]);
    try {
      return Float64Array.from(smallestRightSingularVector(active, n, budget, `${STAGE} (SVD)`));
    } catch (e) {
      if (!isResourceLimitError(e)) throw e;
      return unit(); // the SVD does not fit the time or memory left: a random direction instead
    }
  };
  for (let s = 0; s < samples; s++) {
    // A few pairs always (a bounded amount of work), so that a late start still gives an estimate.
    if (s >= MIN_SAMPLES && s % 16 === 0 && outOfBudget()) break;
    const x0 = samplePoint();
    const kind = s % 3;
    if (kind === 0) {
      consider(x0, samplePoint(), "random");
      continue;
    }
    const u = direction(x0, (s - kind) / 3);
    if (kind === 1) {
      const r = cellRadius(x0);
      if (Number.isFinite(r) && r > 0) {
        const step = 0.5 * r * (0.2 + 0.8 * rng.uniform());
        consider(
          x0,
          x0.map((v, j) => v + step * u[j]),
          "same-cell",
        );
        continue;
      }
    }
    const step = scale * 2 ** (6 * rng.uniform() - 5);
    const x1 = x0.map((v, j) => v + step * u[j]);
    project(x1);
    consider(x0, x1, "cross-cell");
  }

  // Local searches on (midpoint p, difference d): x0 = p − d/2, x1 = p + d/2.
  const localSearch = (start: Pair): Pair => {
    let x0 = start.x0;
    let x1 = start.x1;
    let f = start.r;
    let sigma = 0.3;
    for (let it = 0; it < iterations; it++) {
      if (it % 16 === 0 && outOfBudget()) break;
      const dn = norm(x0.map((v, j) => x1[j] - v));
      const pn = norm(x0.map((v, j) => (x1[j] + v) / 2));
      const what = it % 3; // 0: move the midpoint, 1: change the difference, 2: both
      const gp = what !== 1 ? gaussian(sigma * (dn + 0.01 * (pn + scale))) : new Float64Array(n);
      const gd = what !== 0 ? gaussian(sigma * dn) : new Float64Array(n);
      const y0 = x0.map((v, j) => v + gp[j] - gd[j] / 2);
      const y1 = x1.map((v, j) => v + gp[j] + gd[j] / 2);
      project(y0);
      project(y1);
      const g = ratio(y0, y1);
      if (g < f) {
        x0 = y0;
        x1 = y1;
        f = g;
        sigma = Math.min(2, sigma * 1.5);
      } else {
        sigma = Math.max(1e-9, sigma * 0.9);
      }
    }
    return { x0, x1, r: f, kind: start.kind === "start-pair" ? "start-pair + local-search" : "local-search" };
  };
  for (const start of pool) {
    if (outOfBudget()) break;
    const found = localSearch(start);
    blind = Math.min(blind, found.r);
    if (found.r < best.r) best = found;
  }
  let startCount = 0;
  for (const p of starts) {
    if (outOfBudget()) break;
    const x0 = Float64Array.from(p.x0);
    const x1 = Float64Array.from(p.x1);
    project(x0);
    project(x1);
    const r = ratio(x0, x1);
    if (!Number.isFinite(r)) continue;
    startCount++;
    if (r < best.r) best = { x0, x1, r, kind: "start-pair" };
    const found = localSearch({ x0, x1, r, kind: "start-pair" });
    if (found.r < best.r) best = found;
  }

  return {
    ratio: best.r,
    x0: Array.from(best.x0),
    x1: Array.from(best.x1),
    foundBy: best.kind,
    blindRatio: blind,
    seed,
    samples,
    localSearches: pool.length,
    startPairs: startCount,
    evaluations,
    stopped,
  };
}

// ---------------------------------------------------------------------------------------------
// inverseLipschitz
// ---------------------------------------------------------------------------------------------

/**
 * Options of {@link inverseLipschitz}. `timeLimitMs` and `signal` stop the verdict, the cell
 * enumeration and the empirical ratio; `memoryLimitBytes` (default 2 GiB) bounds the SVDs and the
 * layer check. The σ_min(W) SVD and the checkLayer guard are refused up front when they cannot
 * finish in the time given (a ResourceLimitError naming the stage); later stages stop with what
 * they found (the result then says so).
 */
export interface InverseLipschitzOptions extends BudgetOptions {
  /** @default "all" */
  domain?: Domain;
  /** Sampled pairs of the empirical ratio. @default 2000 */
  samples?: number;
  /** Local searches of the empirical ratio from its best random pairs. @default 16 */
  localSearches?: number;
  /**
   * Extra local searches of the empirical ratio, started from two points of each of this many
   * enumerated cells with the smallest σ_min (random points rarely hit thin cells). @default 4
   */
  cellStarts?: number;
  /** Seed of the empirical ratio and of checkLayer's falsifier. @default 1 */
  seed?: number;
  /** Stop the cell enumeration after this many cells (C is then not exact). @default 200000 */
  maxCells?: number;
  /** Wall-clock limit (ms) for the verdict and the cell enumeration together. @default Infinity */
  timeLimitMs?: number;
  /** Relative tolerance (checkLayer's, and the enumeration's). @default 1e-9 */
  tolerance?: number;
  /** Cancels the verdict and the enumeration (the result is then marked incomplete). */
  signal?: AbortSignal;
}

/** The open cell where σ_min(W_S) is smallest. */
export interface MinimizingCell {
  /** Sign of each row on the cell (+1 active, −1 inactive, 0 for a zero row with zero bias). */
  signs: number[];
  /** Rows active on the cell (S). */
  activeRows: number[];
  /** A point inside the cell. */
  point: number[];
  /** The ball of this radius around `point` lies in the cell (and in the domain). */
  margin: number;
  /** σ_min(W_S). */
  sigmaMin: number;
  /** Unit right singular vector of σ_min: two points of the cell along it achieve the ratio σ_min. */
  direction: number[];
}

/** Result of {@link inverseLipschitz}. All fields are plain JSON values. */
export interface InverseLipschitzResult {
  domain: Domain;
  m: number;
  n: number;
  /** true / false (witness attached) / null unknown; from checkLayer, or from the cells when it did not decide. */
  injective: boolean | null;
  /**
   * Theorem 3's C(W) = (2m)^(−1/2) · sigmaMinActive, exact over all cells; 0 when F is not
   * injective; null when the enumeration was truncated (see `enumerated` for upper bounds).
   */
  C: number | null;
  /** min over open cells of σ_min(W_S); 0 when not injective; null when truncated. */
  sigmaMinActive: number | null;
  /** sigmaMinActive / √(h + 1), h = distinct hyperplanes: a lower bound from the same proof, >= C. Null when truncated. */
  sharperC: number | null;
  /** σ_min(W) (0 when m < n): the naive estimate, too optimistic (it ignores which rows are active). */
  naiveSigmaMin: number;
  /**
   * Sampled and locally optimized min of ‖F(x0) − F(x1)‖ / ‖x0 − x1‖ (an upper bound on L*); the
   * local searches also start from the `cellStarts` cells of smallest σ_min. `empirical.blindRatio`
   * is the same without any cell knowledge.
   */
  empiricalRatio: number;
  /** True when C and sigmaMinActive are exact minima over every cell (or exactly 0 by a witness). */
  exact: boolean;
  /** Where the best constant L* = inf ‖F(x0) − F(x1)‖/‖x0 − x1‖ lies: lower <= L* <= upper. */
  bounds: {
    lower: number;
    lowerFrom: "sharperC" | "structure" | "witness" | "none";
    upper: number;
    upperFrom: "sigmaMinActive" | "empiricalRatio" | "witness";
  };
  /** When truncated: the minima over the cells that were enumerated, upper bounds on C and sigmaMinActive. */
  enumerated: { cells: number; C: number; sigmaMinActive: number } | null;
  /** The minimizing cell (or, for a non-injective layer, a rank-deficient one), when one was enumerated. */
  minCell: MinimizingCell | null;
  /** The automatic closed-form lower bound from always-active parallel groups (Corollary 2), or null. */
  structure: StructureBound | null;
  /** A collision (x1 ≠ x2, F(x1) = F(x2)) when F is not injective; `verifyWitness` re-checks it. */
  witness: Witness | null;
  /**
   * checkLayer's certificate when F is injective (`injective: true` always carries one, which
   * `verifyCertificate` re-checks); null otherwise. Floating-point cells never make a verdict.
   */
  certificate: Certificate | null;
  empirical: Omit<EmpiricalRatioResult, "ratio">;
  method: {
    /** What decided injectivity: a checkLayer stage, or `cells` (rank of every cell's active rows). */
    verdict: LayerCheckResult["method"] | "cells";
    /** How C was obtained. */
    C: "cells" | "witness" | "truncated";
    empirical: "sampling + local search";
  };
  stats: {
    cells: number;
    hyperplanes: number;
    complete: boolean;
    stopReason: ArrangementStop | null;
    lpSolves: number;
    /** Cells whose active rows are numerically rank-deficient (σ_min of their unit rows <= tolerance). */
    rankDeficientCells: number;
    checkMs: number;
    cellsMs: number;
    empiricalMs: number;
    timeMs: number;
  };
  /** Caveats and cross-checks, in words. */
  notes: string[];
  seed: number;
  tolerance: number;
}

/**
 * Inverse Lipschitz constants of `x ↦ ReLU(W x + b)` on the domain (Theorem 3): the exact C(W) by
 * enumerating the open cells, the active-set and naive singular values, a seeded empirical ratio,
 * and the Corollary 2 closed-form bound when the structure is present.
 *
 * @param W shape (m, n), rows are output units; finite, non-empty
 * @param b length m, or null/undefined for no bias
 * @returns `{ C, sigmaMinActive, naiveSigmaMin, empiricalRatio, bounds, ... }`, all JSON values;
 *   see {@link InverseLipschitzResult}
 * @throws InputTypeError / InputRangeError for bad arguments
 * @throws ResourceLimitError when σ_min(W) or the layer check cannot even start within the limits
 *
 * @example
 * const r = await inverseLipschitz([[2, 1], [1, 3], [-2, -1], [-2, -6]]); // Figure 2 (center)
 * r.sigmaMinActive; // 1.382 = σ_min(B), B = [[2, 1], [1, 3]] (D = diag(1, 2) >= 1)
 * r.C;              // 1.382 / √8 ≈ 0.489
 */
export async function inverseLipschitz(
  W: number[][],
  b?: number[] | null,
  options: InverseLipschitzOptions = {},
): Promise<InverseLipschitzResult> {
  const fn = "inverseLipschitz()";
  const { W: Wv, b: bv } = validateLayer(fn, W, b);
  validateOptions(fn, options);
  const domain = validateDomain(fn, options.domain);
  const samples = validateCount(fn, "options.samples", options.samples ?? 2000, 1);
  const localSearches = validateCount(fn, "options.localSearches", options.localSearches ?? 16, 0);
  const cellStarts = validateCount(fn, "options.cellStarts", options.cellStarts ?? 4, 0);
  const seed = validateSeed(fn, options.seed);
  const maxCells = validatePositive(fn, "options.maxCells", options.maxCells ?? 200_000, true);
  const timeLimitMs = validatePositive(fn, "options.timeLimitMs", options.timeLimitMs ?? Infinity, true);
  const tol = validateTolerance(fn, options.tolerance);
  const signal = options.signal;
  const m = Wv.length;
  const n = Wv[0].length;
  const start = performance.now();
  const budget = Budget.from(fn, { ...options, timeLimitMs });
  const notes: string[] = [];

  const naiveSigmaMin = smallestSingularValue(Wv, n, budget, "the SVD σ_min(W)");

  // 1. The verdict (and a witness) from the exact verifier.
  const check = await checkLayerWithin(Wv, bv, { domain, tolerance: tol, seed }, budget, "the layer");
  const checkMs = performance.now() - start;

  // 2. The cells and σ_min of their active rows.
  const cellsStart = performance.now();
  const enumerator = new CellEnumerator(Wv, bv, {
    domain,
    maxCells,
    timeLimitMs: budget.remainingMs() || 1e-9,
    signal,
    tolerance: tol,
  });
  // An SVD of a cell's active rows that does not fit the time or memory left stops the enumeration.
  let cellLimit: ResourceLimitError | null = null;
  let minSigma = Infinity;
  let minCellRaw: ArrangementCell | null = null;
  let minActive: number[] = [];
  let deficient = 0;
  let firstDeficient: { cell: ArrangementCell; active: number[] } | null = null;
  /** The cellStarts cells with the smallest σ_min, ascending. */
  const lowest: { cell: ArrangementCell; active: number[]; sigma: number }[] = [];
  let lastYield = performance.now();
  for (;;) {
    const cell = enumerator.nextWithin(256);
    if (cell === null) break;
    if (cell !== "paused") {
      const active: number[] = [];
      for (let i = 0; i < m; i++) if (cell.signs[i] > 0) active.push(i);
      let sigma: number;
      try {
        sigma = smallestSingularValue(
          active.map((i) => Wv[i]),
          n,
          budget,
          "the SVD of a cell's active rows",
        );
      } catch (e) {
        if (!isResourceLimitError(e)) throw e;
        cellLimit = e;
        break;
      }
      if (rankDeficient(Wv, active, sigma, tol)) {
        deficient++;
        firstDeficient ??= { cell, active };
      }
      if (sigma < minSigma) {
        minSigma = sigma;
        minCellRaw = cell;
        minActive = active;
      }
      if (cellStarts > 0 && (lowest.length < cellStarts || sigma < lowest[lowest.length - 1].sigma)) {
        lowest.push({ cell, active, sigma });
        lowest.sort((p, q) => p.sigma - q.sigma);
        if (lowest.length > cellStarts) lowest.pop();
      }
    }
    if (performance.now() - lastYield > YIELD_MS) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
    }
  }
  const complete = enumerator.complete && cellLimit === null;
  const stopReason: ArrangementStop | null = cellLimit
    ? cellLimit.kind === "time"
      ? "time-limit"
      : cellLimit.kind === "cancelled"
        ? "cancelled"
        : "memory-limit"
    : enumerator.stopReason;
  if (cellLimit) notes.push(`The cell enumeration stopped: ${cellLimit.message}.`);
  const cellsMs = performance.now() - cellsStart;
  const h = enumerator.hyperplanes;

  // 3. Injectivity: checkLayer's verdict, cross-checked with the cells.
  let injective = check.injective;
  if (injective === true && !check.certificate) {
    // The evidence contract: a true always carries a certificate; without one there is no verdict.
    injective = null;
    notes.push("checkLayer answered injective without a certificate, so the verdict is withheld (unknown).");
  }
  let verdictMethod: InverseLipschitzResult["method"]["verdict"] = check.method;
  let witness: Witness | null = check.witness ?? null;
  if (injective === null && complete) {
    verdictMethod = "cells";
    if (deficient === 0) {
      // Floating-point cells are evidence, not proof: no exact certificate backs them.
      notes.push(
        `checkLayer did not decide (${check.reason}); every one of the ${enumerator.stats.cells} enumerated cells has active rows of full numerical rank ${n}. That is floating-point evidence of injectivity, not a proof (no exact certificate), so the verdict stays unknown.`,
      );
    } else {
      const built = witnessFromCell(Wv, bv, firstDeficient!.cell, firstDeficient!.active, domain, tol);
      injective = built ? false : null;
      witness = built;
      notes.push(
        built
          ? `checkLayer did not decide (${check.reason}); a cell with active rows of rank < ${n} gives the witness.`
          : `checkLayer did not decide and a cell looks rank-deficient, but no witness survived the re-check: unknown.`,
      );
    }
  } else if (complete && injective === true && deficient > 0) {
    notes.push(
      `${deficient} cell(s) have numerically rank-deficient active rows (σ_min of the unit rows <= ${tol}) although checkLayer certified injectivity: the layer is degenerate at the tolerance, and C is tiny.`,
    );
  } else if (complete && injective === false && deficient === 0) {
    notes.push(
      `checkLayer found a collision, but every enumerated cell has full-rank active rows: the degenerate region is thinner than the tolerance. C = 0 by the witness.`,
    );
  }

  // 4. The structure bound and the empirical ratio.
  // The last SVDs are of cells whose σ_min was computed already: only their memory is guarded.
  const finishing = new Budget(Infinity, undefined, budget.memoryLimitBytes);
  const structure = structureLowerBound(Wv, bv, domain, tol, budget);
  const empiricalStart = performance.now();
  const emp = empiricalRatio(Wv, bv, {
    domain,
    samples,
    seed,
    localSearches,
    timeLimitMs: Math.max(1, budget.remainingMs()),
    ...(signal ? { signal } : {}),
    memoryLimitBytes: budget.memoryLimitBytes,
    extraPairs: witness ? [{ x0: witness.x1, x1: witness.x2 }] : [],
    startPairs: lowest.map(({ cell, active }) => {
      // Two points of the cell along the direction its active rows shrink most: ratio = σ_min.
      const v = smallestRightSingularVector(
        active.map((i) => Wv[i]),
        n,
        finishing,
      );
      const h = cell.margin / 2;
      return { x0: cell.point, x1: cell.point.map((p, j) => p + h * v[j]) };
    }),
  });
  const empiricalMs = performance.now() - empiricalStart;
  if (emp.stopped)
    notes.push(`The empirical ratio stopped early (${emp.stopped}): it is an upper bound from fewer pairs.`);

  // 5. Assemble.
  const minCell: MinimizingCell | null = minCellRaw
    ? {
        signs: minCellRaw.signs.slice(),
        activeRows: minActive,
        point: minCellRaw.point,
        margin: minCellRaw.margin,
        sigmaMin: minSigma,
        direction: smallestRightSingularVector(
          minActive.map((i) => Wv[i]),
          n,
          finishing,
        ),
      }
    : null;
  let C: number | null;
  let sigmaMinActive: number | null;
  let sharperC: number | null;
  let exact: boolean;
  let methodC: InverseLipschitzResult["method"]["C"];
  if (injective === false) {
    C = 0;
    sigmaMinActive = 0;
    sharperC = 0;
    exact = true;
    methodC = "witness";
  } else if (complete && minCellRaw !== null) {
    sigmaMinActive = minSigma;
    C = minSigma / Math.sqrt(2 * m);
    sharperC = minSigma / Math.sqrt(h + 1);
    exact = true;
    methodC = "cells";
  } else {
    C = null;
    sigmaMinActive = null;
    sharperC = null;
    exact = false;
    methodC = "truncated";
    notes.push(
      `The cell enumeration stopped early (${stopReason ?? "no cell"}) after ${enumerator.stats.cells} cell(s): C(W) is not known exactly; the minima over the enumerated cells are only upper bounds on it.`,
    );
  }
  const enumerated =
    !complete && minCellRaw !== null
      ? { cells: enumerator.stats.cells, C: minSigma / Math.sqrt(2 * m), sigmaMinActive: minSigma }
      : null;

  let bounds: InverseLipschitzResult["bounds"];
  if (injective === false) {
    bounds = { lower: 0, lowerFrom: "witness", upper: 0, upperFrom: "witness" };
  } else {
    let lower = 0;
    let lowerFrom: InverseLipschitzResult["bounds"]["lowerFrom"] = "none";
    if (sharperC !== null) {
      lower = sharperC;
      lowerFrom = "sharperC";
    }
    if (structure && structure.sigmaLowerBound / Math.sqrt(h + 1) > lower) {
      lower = structure.sigmaLowerBound / Math.sqrt(h + 1);
      lowerFrom = "structure";
    }
    const sigmaUpper = minCellRaw !== null ? minSigma : Infinity;
    const upper = Math.min(sigmaUpper, emp.ratio);
    bounds = {
      lower,
      lowerFrom,
      upper,
      upperFrom: sigmaUpper <= emp.ratio ? "sigmaMinActive" : "empiricalRatio",
    };
  }
  if (injective === true && sharperC !== null && emp.ratio < sharperC * (1 - 1e-9)) {
    // Theorem 3 (and its sharper form) forbids this; report it loudly rather than hide it.
    notes.push(
      `BUG: the empirical ratio ${emp.ratio} is below the proven lower bound ${sharperC}; please report it.`,
    );
  }
  if (domain === "nonnegative") notes.push("Inputs restricted to the nonnegative orthant (Remark 1).");

  const { ratio: empiricalRatioValue, ...empirical } = emp;
  return {
    domain,
    m,
    n,
    injective,
    C,
    sigmaMinActive,
    sharperC,
    naiveSigmaMin,
    empiricalRatio: empiricalRatioValue,
    exact,
    bounds,
    enumerated,
    minCell,
    structure,
    witness,
    certificate: injective === true ? (check.certificate ?? null) : null,
    empirical,
    method: { verdict: verdictMethod, C: methodC, empirical: "sampling + local search" },
    stats: {
      cells: enumerator.stats.cells,
      hyperplanes: h,
      complete,
      stopReason,
      lpSolves: enumerator.stats.lpSolves,
      rankDeficientCells: deficient,
      checkMs,
      cellsMs,
      empiricalMs,
      timeMs: performance.now() - start,
    },
    notes,
    seed,
    tolerance: tol,
  };
}

/**
 * Whether the rows `active` of W are numerically rank-deficient: σ_min of their unit rows is at
 * most the tolerance (the verifier's convention, ./check-layer.ts). `sigma` = σ_min(W_S) decides
 * cheaply when it is clearly large.
 */
function rankDeficient(W: number[][], active: number[], sigma: number, tol: number): boolean {
  const n = W[0].length;
  if (active.length < n) return true;
  let maxNorm = 0;
  for (const i of active) maxNorm = Math.max(maxNorm, norm2(W[i]));
  if (sigma > tol * maxNorm) return false;
  const unit = active
    .map((i) => {
      const s = norm2(W[i]);
      return s > 0 ? W[i].map((v) => v / s) : null;
    })
    .filter((r): r is number[] => r !== null);
  return smallestSingularValue(unit, n) <= tol;
}

/**
 * A collision around a cell whose active rows miss a direction: built and re-checked exactly
 * (./witness.ts) at the cell's point, where every inactive row is negative.
 */
function witnessFromCell(
  W: number[][],
  b: number[],
  cell: ArrangementCell,
  active: number[],
  domain: Domain,
  tol: number,
): Witness | null {
  const ints = dyadicRows(W, b);
  const pair = exactPairAt(ints, domain, cell.point, active);
  return pair ? describeExactWitness(ints, W, b, pair, domain, tol) : null;
}
