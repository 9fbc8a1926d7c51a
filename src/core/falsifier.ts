/**
 * Falsifiers: searches for collision directions (points with few active rows). Neither ever proves
 * injectivity; every candidate they return goes through the exact witness construction of the
 * caller (checkLayer's finishWitness). checkLayer runs the descent first, on an oracle of its own,
 * then the random starts, whose duals seed the exact search.
 *
 * A collision exists iff some x in D has active rows of rank < n (Theorem 1). Both falsifiers end
 * the same way: the n − 1 most active independent rows at a point x span a hyperplane H, and the
 * separation LP (through {@link HyperplaneOracle.settle}) asks whether every row off H can be
 * strictly negative. They differ in how they pick x:
 *
 * - {@link falsify}: random starts and a few subgradient steps that push the active rows down. It
 *   finds the collisions of layers far from the injectivity threshold, where most directions have
 *   few active rows; each restart costs one separation LP.
 * - {@link falsifyByDescent}: an LP-guided descent on the number of active rows (iteratively
 *   reweighted ℓ1, the usual heuristic for a sparsest violation set): each round solves
 *   `min Σ c_i s_i  s.t.  <ŵ_i, x> + b̂_i σ − s_i <= −1, s >= 0, σ >= 0` and sets c_i = 1 / (s_i + ε),
 *   so that rows already violated a lot become cheap and the rest are pushed below −1. Near the
 *   threshold (issue 14, item 3) its first rounds usually land on the collision that the random
 *   starts miss. Costlier (one LP with m constraints per round), so it runs a fixed small number of
 *   rounds.
 */

import type { Domain } from "./types.js";
import type { NormalizedLayer } from "./layer.js";
import { Rng } from "./random.js";
import { dotAt, greedyIndependent, orthogonalComplementVector, residualAgainst } from "./dense.js";
import type { HyperplaneOracle, SeparationCandidate } from "./hyperplane-search.js";
import { solveDenseLp } from "./lp/simplex.js";

/** Options of {@link falsify}. */
export interface FalsifyOptions {
  restarts: number;
  seed: number;
  /** performance.now() value after which to stop. */
  deadline: number;
  /** Polled between restarts. */
  shouldStop?: () => boolean;
}

/**
 * Runs the randomized search.
 * @returns a strictly feasible hyperplane (to be turned into a witness) and the samples used
 */
export function falsify(
  oracle: HyperplaneOracle,
  options: FalsifyOptions,
): { candidate: SeparationCandidate | null; samples: number } {
  const layer: NormalizedLayer = oracle.layer;
  const domain: Domain = oracle.domain;
  const { n, count, rows, bias } = layer;
  const rng = new Rng(options.seed);
  const { x, g, d, Q, tmp, v } = scratch(n, count);
  let biasScale = 0;
  for (let i = 0; i < count; i++) biasScale = Math.max(biasScale, Math.abs(bias[i]));
  let samples = 0;
  for (let s = 0; s < options.restarts; s++) {
    if (performance.now() > options.deadline || options.shouldStop?.()) break;
    samples++;
    // Random start; with bias, at a random scale relative to the biases.
    const scale = biasScale > 0 ? biasScale * Math.exp(3 * (2 * rng.uniform() - 1)) : 1;
    for (let j = 0; j < n; j++) {
      const z = rng.normal();
      x[j] = (domain === "nonnegative" ? Math.abs(z) : z) * scale;
    }
    // A few subgradient steps on Σ_active (<ŵ_i, x> + b̂_i).
    const steps = s % 2 === 0 ? 0 : 8;
    for (let it = 0; it <= steps; it++) {
      for (let i = 0; i < count; i++) g[i] = dotAt(rows, i * n, x, 0, n) + bias[i];
      if (it === steps) break;
      const step = (0.3 * scale) / Math.sqrt(n);
      tmp.fill(0);
      let active = 0;
      for (let i = 0; i < count; i++) {
        if (g[i] >= 0) {
          active++;
          for (let j = 0; j < n; j++) tmp[j] += rows[i * n + j];
        }
      }
      if (active === 0) break;
      for (let j = 0; j < n; j++) {
        x[j] -= (step * tmp[j]) / active;
        if (domain === "nonnegative" && x[j] < 0) x[j] = 0;
      }
    }
    // Hyperplane through the n − 1 most active independent rows.
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => g[b] - g[a]);
    const chosen = greedyIndependent(rows, n, order, oracle.tolerance, n - 1);
    if (chosen.length < n - 1) continue;
    normalThrough(rows, n, count, chosen, Q, tmp, v, d);
    const candidate = oracle.settle(d, v, () => chosen.slice().sort((a, b) => a - b));
    if (candidate) return { candidate, samples };
  }
  return { candidate: null, samples };
}

/** Options of {@link falsifyByDescent}. */
export interface DescentOptions {
  /** Restarts: the first from uniform weights, the others from the activity at a random point. */
  restarts: number;
  /** Reweighting rounds per restart (a restart also ends after two rounds with no new hyperplane). */
  rounds: number;
  seed: number;
  /** performance.now() value after which to stop (checked between LPs). */
  deadline: number;
  /** Polled between rounds. */
  shouldStop?: () => boolean;
  /**
   * Called with each candidate: true ends the descent with it, false goes on (for example when
   * its exact witness fails: a hyperplane that floating point finds feasible by a hair). Without
   * it the first candidate ends the descent.
   */
  accept?: (candidate: SeparationCandidate) => boolean;
}

/** Layers with more rows skip the descent: its dense LP has about 2m² entries. */
export const DESCENT_MAX_ROWS = 256;
/** ε of the reweighting c_i = 1 / (s_i + ε). */
/** Work arrays of both falsifiers: a point, row values, row products, a basis, a residual, a normal. */
function scratch(n: number, count: number) {
  return {
    x: new Float64Array(n),
    g: new Float64Array(count),
    d: new Float64Array(count),
    Q: new Float64Array(n * n),
    tmp: new Float64Array(n),
    v: new Float64Array(n),
  };
}

/**
 * The unit normal v of the hyperplane spanned by the n − 1 independent rows `chosen` (into v, with
 * Q their orthonormal basis as scratch) and every row's product with it (into d).
 */
function normalThrough(
  rows: Float64Array,
  n: number,
  count: number,
  chosen: readonly number[],
  Q: Float64Array,
  tmp: Float64Array,
  v: Float64Array,
  d: Float64Array,
): void {
  Q.fill(0);
  for (let t = 0; t < chosen.length; t++) {
    const r = residualAgainst(Q, t, n, rows, chosen[t] * n, tmp);
    for (let j = 0; j < n; j++) Q[t * n + j] = tmp[j] / r;
  }
  orthogonalComplementVector(Q, n - 1, n, v);
  for (let i = 0; i < count; i++) d[i] = dotAt(rows, i * n, v, 0, n);
}

const DESCENT_EPS = 0.1;
/** Rounds in a row that bring no new hyperplane before a restart ends. */
const DESCENT_STALL = 2;

/** Result of {@link falsifyByDescent}. */
export interface DescentResult {
  /** A strictly feasible hyperplane (to be turned into a witness), or null. */
  candidate: SeparationCandidate | null;
  /** Restarts begun. */
  restarts: number;
  /** Reweighting LPs solved (the separation LPs are counted by the oracle). */
  lps: number;
}

/**
 * LP-guided descent on the number of active rows (iteratively reweighted ℓ1; see the module header).
 *
 * The LP of a round, with x free (R^n) or x >= 0 (orthant), is solved through its dual
 * `max Σ y  s.t.  Σ y_i ŵ_i = 0 (>= 0 on the orthant),  Σ y_i b̂_i >= 0,  0 <= y <= c`, whose
 * origin is feasible (the dense simplex needs that); x, σ and s are its multipliers. At the point
 * (x, σ) the rows are ranked by `<ŵ_i, x> + b̂_i σ` (the activity at x / σ, or along the direction x
 * when σ = 0); the n leave-one-out hyperplanes of the n most active independent rows are settled by
 * the oracle (a known dual or the separation LP). Deterministic for a given seed; stops at the
 * deadline. Layers with more than {@link DESCENT_MAX_ROWS} rows are skipped.
 */
export function falsifyByDescent(oracle: HyperplaneOracle, options: DescentOptions): DescentResult {
  const layer: NormalizedLayer = oracle.layer;
  const domain: Domain = oracle.domain;
  const { n, count, rows, bias } = layer;
  const none: DescentResult = { candidate: null, restarts: 0, lps: 0 };
  if (n < 2 || count < n || count > DESCENT_MAX_ROWS) return none;
  const orthant = domain === "nonnegative";
  const rng = new Rng(options.seed ^ 0x5a5a5a5);
  let hasBias = false;
  let biasScale = 0;
  for (let i = 0; i < count; i++) {
    if (bias[i] !== 0) hasBias = true;
    biasScale = Math.max(biasScale, Math.abs(bias[i]));
  }
  // Constraints of the dual LP over y (count columns): Wᵀy <= 0 (R^n only), −Wᵀy <= 0,
  // −bᵀy <= 0 (with bias), y_i <= c_i.
  const wRows = orthant ? n : 2 * n;
  const first = wRows + (hasBias ? 1 : 0);
  const lpRows = first + count;
  const A = new Float64Array(lpRows * count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < n; j++) {
      const w = rows[i * n + j];
      if (orthant) A[j * count + i] = -w;
      else {
        A[j * count + i] = w;
        A[(n + j) * count + i] = -w;
      }
    }
    if (hasBias) A[wRows * count + i] = -bias[i];
    A[(first + i) * count + i] = 1;
  }
  const r = new Float64Array(lpRows);
  const ones = new Float64Array(count).fill(1);
  const { x, g, d, Q, tmp, v } = scratch(n, count);
  const order = new Int32Array(count);
  const tried = new Set<string>();
  const out: DescentResult = { candidate: null, restarts: 0, lps: 0 };
  for (let rs = 0; rs < options.restarts; rs++) {
    if (performance.now() > options.deadline || options.shouldStop?.()) break;
    out.restarts++;
    if (rs === 0) r.fill(1, first);
    else {
      // Weights from a random point: rows far below zero there are expensive to violate.
      const scale = biasScale > 0 ? biasScale * Math.exp(3 * (2 * rng.uniform() - 1)) : 1;
      for (let j = 0; j < n; j++) {
        const z = rng.normal();
        x[j] = (orthant ? Math.abs(z) : z) * scale;
      }
      let rms = 0;
      for (let i = 0; i < count; i++) {
        g[i] = dotAt(rows, i * n, x, 0, n) + bias[i];
        rms += g[i] * g[i];
      }
      rms = Math.sqrt(rms / count) || 1;
      for (let i = 0; i < count; i++) r[first + i] = 1 / (DESCENT_EPS + Math.max(0, 1 + g[i] / rms));
    }
    let stall = 0;
    for (let round = 0; round < options.rounds; round++) {
      if (performance.now() > options.deadline || options.shouldStop?.()) return out;
      // Weights scaled to at most 1, for the simplex's absolute tolerances.
      let cmax = 0;
      for (let i = 0; i < count; i++) cmax = Math.max(cmax, r[first + i]);
      for (let i = 0; i < count; i++) r[first + i] /= cmax;
      out.lps++;
      const y = solveDenseLp(A, lpRows, count, r, ones, undefined, true).y;
      for (let j = 0; j < n; j++) x[j] = orthant ? y[j] : y[n + j] - y[j];
      const sigma = hasBias ? y[wRows] : 0;
      let finite = true;
      for (let i = 0; i < count; i++) {
        g[i] = dotAt(rows, i * n, x, 0, n) + bias[i] * sigma;
        if (!Number.isFinite(g[i])) finite = false;
      }
      if (!finite) break;
      for (let i = 0; i < count; i++) order[i] = i;
      order.sort((a, b) => g[b] - g[a] || a - b);
      // The n most active independent rows; each leave-one-out (n − 1)-subset spans a hyperplane.
      const top = greedyIndependent(rows, n, order, oracle.tolerance, n);
      let fresh = false;
      for (let leave = top.length - 1; leave >= 0 && top.length >= n - 1; leave--) {
        const chosen = top.length === n ? top.filter((_, t) => t !== leave) : top;
        const sorted = chosen.slice().sort((a, b) => a - b);
        const key = sorted.join(",");
        if (!tried.has(key)) {
          fresh = true;
          tried.add(key);
          normalThrough(rows, n, count, chosen, Q, tmp, v, d);
          const candidate = oracle.settle(d, v, () => sorted.slice());
          if (candidate && (!options.accept || options.accept(candidate))) {
            out.candidate = candidate;
            return out;
          }
        }
        if (top.length < n) break;
      }
      if (fresh) stall = 0;
      else if (++stall >= DESCENT_STALL) break;
      for (let i = 0; i < count; i++) r[first + i] = 1 / (DESCENT_EPS + y[first + i]);
    }
  }
  return out;
}
