/**
 * Pointwise invertibility of a Gaussian ReLU layer: the probability that the rows active at a
 * random input x0 span Rⁿ, i.e. that F(x) = ReLU(W x [+ b]) is locally injective around x0 (near
 * a generic x0 the activation pattern is constant and F is the linear map x ↦ W_S x on the active
 * rows S). This is the notion behind Lei et al. (2019), "invertible at a point", as opposed to the
 * global injectivity of Theorem 1 (the active rows span Rⁿ at *every* x).
 *
 * **Exact value.** Let W of shape (m, n) have iid N(0, 1) entries, b be iid N(0, 1) or absent, and
 * x0 be fixed, independent of (W, b), with x0 ≠ 0 when there is no bias. Then
 *
 *     P(the active rows at x0 span Rⁿ) = P(Binomial(m, 1/2) ≥ n).
 *
 * Proof. The rows (w_i, b_i) are iid and symmetric, (w, b) ~ (−w, −b), so each event
 * A_i = {w_i·x0 + b_i > 0} has probability 1/2 (the boundary has probability 0), and the A_i are
 * independent: |S| ~ Binomial(m, 1/2). Conditioned on S, the active rows are iid with the Gaussian
 * law restricted to a half-space of (w, b); the marginal law of w_i is still absolutely continuous
 * on Rⁿ. A vector with an absolutely continuous law lies in a fixed proper subspace with
 * probability 0, so, by induction, any n of the active rows are linearly independent almost
 * surely. Hence the active rows span Rⁿ a.s. iff |S| ≥ n. Averaging over a random x0 ~ N(0, I)
 * (independent of W) gives the same value. ∎
 *
 * The pointwise threshold is therefore α = m/n = 2: P = 1/2 exactly at m = 2n − 1 (symmetry of
 * Binomial(2n − 1, 1/2)), and by the central limit theorem P ≈ Φ(√n·(α − 2)/√α), a transition of
 * width O(1/√n). Global injectivity needs far more rows: Theorem 2 proves 3.4 ≤ α* ≤ 10.5, and
 * the sharp threshold is ≈ 6.698 (full RSB, Maillard et al. 2023; proved upper bound 7.65).
 * See docs/pointwise.md.
 *
 * {@link pointwiseMonteCarlo} checks the formula by explicit simulation (numerical rank of the
 * active rows), without using the argument above.
 */

import { greedyIndependent } from "../core/dense.js";
import { Rng } from "../core/random.js";
import { assertRange, assertType, validateSeed } from "../core/validate.js";
import { wilsonInterval } from "./phase-stats.js";
import type { PointwisePoint } from "./phase-types.js";
import { POINTWISE_RANK_TOLERANCE } from "../core/numerics.js";

/**
 * P(Binomial(m, 1/2) ≥ n): the exact probability that the rows of a Gaussian (m, n) ReLU layer
 * active at a point span Rⁿ (with or without Gaussian bias; see the module header).
 *
 * Sums the shorter tail (by the symmetry k ↔ m − k) in log space: log C(m, k) as a compensated
 * sum of log((m − k + i)/i), the following terms by the ratio C(m, j+1)/C(m, j) = (m − j)/(j + 1),
 * scaled by the first (largest) term. No overflow or underflow of intermediate values for any m
 * (values below ~1e-308 round to 0); relative error ~1e-13 for m ≤ 10⁴, since the exponent
 * log C(m, k) − m·log 2 is formed from terms of size ~m. Cost O(m).
 * @param n input dimension, integer ≥ 1
 * @param m number of rows, integer ≥ 0
 * @returns 0 when m < n, 1/2 exactly when m = 2n − 1
 */
export function pointwiseExact(n: number, m: number): number {
  assertRange(Number.isInteger(n) && n >= 1, () => `pointwiseExact(): n must be an integer >= 1, got ${n}`);
  assertRange(Number.isInteger(m) && m >= 0, () => `pointwiseExact(): m must be an integer >= 0, got ${m}`);
  if (m < n) return 0;
  if (m === 2 * n - 1) return 0.5;
  // Sum the shorter tail for accuracy: P(X ≥ n) = 1 − P(X ≥ m − n + 1) by symmetry X ~ m − X.
  if (n <= m / 2) return 1 - upperTail(m - n + 1, m);
  return upperTail(n, m);
}

/**
 * P(Binomial(m, 1/2) ≥ k) for m/2 < k ≤ m, summed in log space. The terms C(m, j) decrease for
 * j > (m − 1)/2, so the first is the largest and the sum is scaled by it.
 */
function upperTail(k: number, m: number): number {
  // log C(m, k) = Σ_{i=1..k} log((m − k + i)/i), with Neumaier's compensated summation (the naive
  // sum loses ~k·ε·log C(m, k) in the exponent, 1e-10 relative at m = 2000).
  let logFirst = 0;
  let compensation = 0;
  for (let i = 1; i <= k; i++) {
    const term = Math.log((m - k + i) / i);
    const t = logFirst + term;
    compensation += Math.abs(logFirst) >= Math.abs(term) ? logFirst - t + term : term - t + logFirst;
    logFirst = t;
  }
  logFirst += compensation;
  let logRatio = 0; // log(C(m, j) / C(m, k))
  let s = 0;
  for (let j = k; j <= m; j++) {
    const term = Math.exp(logRatio);
    s += term;
    if (term < 1e-18) break; // the remaining terms decrease geometrically past this point
    logRatio += Math.log((m - j) / (j + 1));
  }
  return Math.exp(logFirst + Math.log(s) - m * Math.LN2);
}

/** Result of {@link pointwiseMonteCarlo}. */
export interface PointwiseMonteCarlo {
  trials: number;
  /** Trials where the active rows had numerical rank n. */
  successes: number;
  /** successes / trials. */
  p: number;
  /** Wilson 95% interval of p. */
  low: number;
  high: number;
}

/** Relative tolerance of the rank test (on unit-norm rows, a Gram–Schmidt residual below it is 0). */
const RANK_TOLERANCE = POINTWISE_RANK_TOLERANCE;

/**
 * Monte Carlo estimate of pointwise invertibility by explicit simulation: per trial, draw
 * x0 ~ N(0, I_n), then each row w_i ~ N(0, I_n) (and b_i ~ N(0, 1) when `bias`), in that order,
 * from `new Rng(seed)`; keep the rows with w_i·x0 + b_i > 0, and succeed iff they have numerical
 * rank n (Gram–Schmidt on the normalized rows, relative tolerance 1e-9, src/core/dense.ts). Fewer
 * than n active rows fail without a rank computation (their rank is at most their number).
 *
 * Cost per trial O(m·n + n³); n = 200, m = 2400 takes a few tens of milliseconds.
 * @param n input dimension, integer ≥ 1
 * @param m number of rows, integer ≥ 0
 * @param trials integer ≥ 1
 * @param seed seed of the generator
 * @param bias draw a Gaussian bias b (else b = 0)
 */
export function pointwiseMonteCarlo(
  n: number,
  m: number,
  trials: number,
  seed: number,
  bias: boolean,
): PointwiseMonteCarlo {
  const fn = "pointwiseMonteCarlo()";
  assertRange(Number.isInteger(n) && n >= 1, () => `${fn}: n must be an integer >= 1, got ${n}`);
  assertRange(Number.isInteger(m) && m >= 0, () => `${fn}: m must be an integer >= 0, got ${m}`);
  assertRange(
    Number.isInteger(trials) && trials >= 1,
    () => `${fn}: trials must be an integer >= 1, got ${trials}`,
  );
  validateSeed(fn, seed, "seed");
  assertType(typeof bias === "boolean", () => `${fn}: bias must be a boolean, got ${typeof bias}`);
  const rng = new Rng(seed);
  const x0 = new Float64Array(n);
  const row = new Float64Array(n);
  const active = new Float64Array(m * n);
  let successes = 0;
  for (let t = 0; t < trials; t++) {
    for (let j = 0; j < n; j++) x0[j] = rng.normal();
    let count = 0;
    for (let i = 0; i < m; i++) {
      let dot = 0;
      let norm2 = 0;
      for (let j = 0; j < n; j++) {
        const v = rng.normal();
        row[j] = v;
        dot += v * x0[j];
        norm2 += v * v;
      }
      if (bias) dot += rng.normal();
      if (dot > 0 && norm2 > 0) {
        const inv = 1 / Math.sqrt(norm2);
        for (let j = 0; j < n; j++) active[count * n + j] = row[j] * inv;
        count++;
      }
    }
    if (count < n) continue;
    const order = Array.from({ length: count }, (_, i) => i);
    if (greedyIndependent(active, n, order, RANK_TOLERANCE, n).length === n) successes++;
  }
  const { low, high } = wilsonInterval(successes, trials);
  return { trials, successes, p: successes / trials, low, high };
}

/** A per-point seed derived from the run seed, n, m and bias (integer mixing, 32 bits). */
function pointSeed(seed: number, n: number, m: number, bias: boolean): number {
  let h = Math.floor(seed) >>> 0;
  for (const v of [n, m, bias ? 1 : 0, 0x5eed]) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h;
}

/** Options of {@link pointwiseCurve}. */
export interface PointwiseCurveOptions {
  /** Input dimensions n. */
  ns: number[];
  /** Ratios m/n; m = round(ratio·n), deduplicated per n (m < 1 skipped). */
  ratios: number[];
  /** Gaussian bias in the Monte Carlo (the exact value does not depend on it). */
  bias: boolean;
  /** Monte Carlo trials per point. */
  trials: number;
  /** Run seed; each point's Monte Carlo uses a seed derived from it, n, m and bias. */
  seed: number;
  /** Monte Carlo only for n ≤ this. @default 50 */
  monteCarloMaxN?: number;
}

/**
 * Pointwise invertibility curves: for each n (in the given order) and each distinct
 * m = round(ratio·n) (increasing), the exact P(Binomial(m, 1/2) ≥ n), plus a Monte Carlo check
 * with `trials` trials when n ≤ monteCarloMaxN. The reported ratio is m/n.
 */
export function pointwiseCurve(options: PointwiseCurveOptions): PointwisePoint[] {
  const fn = "pointwiseCurve()";
  assertType(typeof options === "object" && options !== null, () => `${fn}: options must be an object`);
  const { ns, ratios, bias, trials, seed } = options;
  const monteCarloMaxN = options.monteCarloMaxN ?? 50;
  assertType(Array.isArray(ns) && Array.isArray(ratios), () => `${fn}: ns and ratios must be arrays`);
  for (const n of ns) {
    assertRange(Number.isInteger(n) && n >= 1, () => `${fn}: every n must be an integer >= 1, got ${n}`);
  }
  for (const r of ratios) {
    assertRange(Number.isFinite(r) && r > 0, () => `${fn}: every ratio must be finite and > 0, got ${r}`);
  }
  assertRange(Number.isFinite(monteCarloMaxN), () => `${fn}: monteCarloMaxN must be a number`);
  const out: PointwisePoint[] = [];
  for (const n of ns) {
    const ms = [...new Set(ratios.map((r) => Math.round(r * n)))].filter((m) => m >= 1).sort((a, b) => a - b);
    for (const m of ms) {
      const monteCarlo =
        n <= monteCarloMaxN ? pointwiseMonteCarlo(n, m, trials, pointSeed(seed, n, m, bias), bias) : null;
      out.push({ n, m, ratio: m / n, bias, exact: pointwiseExact(n, m), monteCarlo });
    }
  }
  return out;
}
