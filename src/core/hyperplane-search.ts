/**
 * The exhaustive hyperplane search: an exact decision of injectivity (docs/verifier.md, Theorem 1 with
 * bias and Remark 1).
 *
 * F is NOT injective on D iff some hyperplane H through 0 spanned by n − 1 independent rows admits
 * x in D with every row off H strictly negative (then x ± δv collide, v the normal of H). The
 * search enumerates the independent (n−1)-subsets of the unit rows in lexicographic order with
 * incremental Gram–Schmidt (a dependent prefix cuts its whole subtree), keeps each hyperplane once
 * (only its index-order greedy basis is processed), and settles it either
 *   - by a Motzkin dual found earlier whose rows all lie off H (no LP), or
 *   - by the separation LP (./separation-lp.ts): a strictly feasible point (a witness) or a new dual.
 * The duals found form the certificate of injectivity.
 *
 * The search runs in chunks (`step`) so that the caller can enforce time limits, report progress and
 * stay responsive; its state is a plain combination, so ranges of it can later be split over workers.
 */

import type { Domain } from "./types.js";
import type { NormalizedLayer } from "./layer.js";
import { dotAt, orthogonalComplementVector, residualAgainst } from "./dense.js";
import { dualSupport, polishSeparation, refineDualWeights, separateRows } from "./separation-lp.js";

/** A dual over normalized row indices. */
export interface PoolDual {
  rows: Int32Array;
  weights: Float64Array;
}

/** A strictly feasible hyperplane: rows off it are all <= −margin at x (unit rows). */
export interface SeparationCandidate {
  x: Float64Array;
  v: Float64Array;
  margin: number;
  /** Normalized indices of the n − 1 rows spanning the hyperplane. */
  hyperplaneRows: number[];
}

/** Counters kept by the search. */
export interface SearchCounters {
  leaves: number;
  distinct: number;
  prunedByDuals: number;
  lpSolves: number;
  rejectedDuals: number;
}

/** Binomial coefficient as a float (exact below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  k = Math.min(k, n - k);
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/**
 * Settles one hyperplane given the dot products d_i = <ŵ_i, v> of all rows with its unit normal:
 * by a known dual whose rows all lie off the hyperplane, else by the separation LP.
 * Shared by the exhaustive search and the falsifier.
 */
export class HyperplaneOracle {
  /** Duals found so far, most recently useful first. */
  readonly duals: PoolDual[] = [];
  readonly counters: SearchCounters = {
    leaves: 0,
    distinct: 0,
    prunedByDuals: 0,
    lpSolves: 0,
    rejectedDuals: 0,
  };
  private readonly R: Int32Array;
  constructor(
    readonly layer: NormalizedLayer,
    readonly domain: Domain,
    readonly tolerance: number,
    /** Settle hyperplanes by duals found earlier (off only for baselines in benchmarks). @default true */
    readonly reuseDuals = true,
  ) {
    this.R = new Int32Array(layer.count);
  }

  /** Returns a candidate when the hyperplane is strictly feasible, null when it is settled by a dual. */
  settle(d: Float64Array, v: Float64Array, hyperplaneRows: () => number[]): SeparationCandidate | null {
    const tol = this.tolerance;
    const pool = this.duals;
    for (let k = 0; k < (this.reuseDuals ? pool.length : 0); k++) {
      const rows = pool[k].rows;
      let off = true;
      for (let t = 0; t < rows.length && off; t++) off = Math.abs(d[rows[t]]) > tol;
      if (off) {
        if (k > 0) {
          const hit = pool[k];
          pool.copyWithin(1, 0, k);
          pool[0] = hit;
        }
        this.counters.prunedByDuals++;
        return null;
      }
    }
    let count = 0;
    for (let i = 0; i < this.layer.count; i++) if (Math.abs(d[i]) > tol) this.R[count++] = i;
    const R = this.R.subarray(0, count);
    if (count === 0) {
      // Every row lies in the hyperplane: any point collides along v.
      const x = new Float64Array(this.layer.n);
      if (this.domain === "nonnegative") x.fill(1);
      return { x, v: v.slice(), margin: 1, hyperplaneRows: hyperplaneRows() };
    }
    this.counters.lpSolves++;
    const sep = separateRows(this.layer, R, this.domain, tol);
    if (sep.feasible) {
      this.counters.lpSolves++;
      const best = polishSeparation(this.layer, R, this.domain, sep);
      return { x: best.x, v: v.slice(), margin: best.margin, hyperplaneRows: hyperplaneRows() };
    }
    this.addDual(R, sep.weights);
    return null;
  }

  private addDual(R: Int32Array, weights: Float64Array): void {
    const { rows, w } = dualSupport(R, weights);
    // Reject duals that the simplex got visibly wrong (after refining the weights of one a little
    // off, on R^n); the hyperplane then stays uncovered and the final certificate check reports it
    // instead of a wrong verdict.
    let weightsOk = w;
    if (!this.holds(rows, w) && this.domain === "all") {
      const refined = rows.length ? refineDualWeights(this.layer, rows, w) : null;
      if (refined) weightsOk = Array.from(refined);
    }
    if (rows.length === 0 || !this.holds(rows, weightsOk)) {
      this.counters.rejectedDuals++;
      return;
    }
    this.duals.unshift({ rows: Int32Array.from(rows), weights: Float64Array.from(weightsOk) });
  }

  /** The algebra of a dual on unit rows, to the tolerance. */
  private holds(rows: number[], w: number[]): boolean {
    const n = this.layer.n;
    let worst = 0;
    let bias = 0;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < rows.length; t++) s += w[t] * this.layer.rows[rows[t] * n + j];
      worst = Math.max(worst, this.domain === "all" ? Math.abs(s) : -s);
    }
    for (let t = 0; t < rows.length; t++) bias += w[t] * this.layer.bias[rows[t]];
    return worst <= this.tolerance && bias >= -this.tolerance;
  }
}

/** Exhaustive enumeration of the hyperplanes spanned by n − 1 independent rows. */
export class HyperplaneSearch {
  private readonly k: number;
  private readonly comb: Int32Array;
  private readonly Q: Float64Array;
  private readonly tmp: Float64Array;
  private readonly v: Float64Array;
  private readonly d: Float64Array;
  private depth = 0;
  private next = 0;
  private finished = false;
  /** Number of (n−1)-subsets of the nonzero rows. */
  readonly total: number;

  constructor(
    readonly oracle: HyperplaneOracle,
    /** Process each hyperplane once (its greedy basis only). @default true */
    readonly dedupe = true,
  ) {
    const { n, count } = oracle.layer;
    this.k = n - 1;
    this.comb = new Int32Array(Math.max(1, this.k));
    this.Q = new Float64Array(Math.max(1, this.k) * n);
    this.tmp = new Float64Array(n);
    this.v = new Float64Array(n);
    this.d = new Float64Array(count);
    this.total = binomial(count, this.k);
  }

  get done(): boolean {
    return this.finished;
  }

  /** Lexicographic rank of the current combination: how far the search has come. */
  progress(): number {
    if (this.finished) return this.total;
    const count = this.oracle.layer.count;
    let rank = 0;
    let prev = -1;
    for (let t = 0; t < this.depth; t++) {
      for (let j = prev + 1; j < this.comb[t]; j++) rank += binomial(count - 1 - j, this.k - 1 - t);
      prev = this.comb[t];
    }
    return Math.min(rank, this.total);
  }

  /**
   * Processes up to `maxLeaves` hyperplane candidates.
   * @returns a strictly feasible candidate (the search can be resumed after it), or null
   */
  step(maxLeaves: number): SeparationCandidate | null {
    const { n, count, rows } = this.oracle.layer;
    const k = this.k;
    const tol = this.oracle.tolerance;
    let budget = maxLeaves;
    while (!this.finished && budget > 0) {
      if (this.depth === k) {
        budget--;
        const found = this.leaf();
        // Backtrack before returning so that the search can resume.
        if (k === 0) this.finished = true;
        else {
          this.depth--;
          this.next = this.comb[this.depth] + 1;
        }
        if (found) return found;
        continue;
      }
      if (this.next > count - (k - this.depth)) {
        if (this.depth === 0) {
          this.finished = true;
          break;
        }
        this.depth--;
        this.next = this.comb[this.depth] + 1;
        continue;
      }
      const r = this.next;
      const res = residualAgainst(this.Q, this.depth, n, rows, r * n, this.tmp);
      this.next = r + 1;
      if (res > tol) {
        for (let j = 0; j < n; j++) this.Q[this.depth * n + j] = this.tmp[j] / res;
        this.comb[this.depth] = r;
        this.depth++;
      }
    }
    return null;
  }

  private leaf(): SeparationCandidate | null {
    const oracle = this.oracle;
    const { n, count, rows } = oracle.layer;
    const k = this.k;
    const tol = oracle.tolerance;
    oracle.counters.leaves++;
    orthogonalComplementVector(this.Q, k, n, this.v);
    const d = this.d;
    for (let i = 0; i < count; i++) d[i] = dotAt(rows, i * n, this.v, 0, n);
    if (this.dedupe) {
      // Canonical iff no row of the hyperplane that was skipped is independent of the chosen rows
      // before it (otherwise the greedy basis of the hyperplane is another combination).
      let t = 0;
      for (let i = 0; i < count; i++) {
        while (t < k && this.comb[t] < i) t++;
        if (t < k && this.comb[t] === i) continue;
        if (Math.abs(d[i]) <= tol && residualAgainst(this.Q, t, n, rows, i * n, this.tmp) > tol) return null;
      }
    }
    oracle.counters.distinct++;
    return oracle.settle(d, this.v, () => Array.from(this.comb.subarray(0, k)));
  }
}
