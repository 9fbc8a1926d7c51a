/**
 * Statistics of the Gaussian phase-transition experiment (paper, Theorem 2; docs/phase.md): binomial
 * confidence intervals, the finite-size crossing α_½(n) where P(injective) = 1/2, and its
 * extrapolation to n → ∞. Pure functions, no Node APIs.
 *
 * - {@link wilsonInterval}: Wilson score 95% interval of a binomial proportion.
 * - {@link estimateCrossings}: per n, a logistic regression P(α) = σ(β0 + β1·α) fitted by maximum
 *   likelihood (Newton's method = IRLS) to the decided verdicts; α_½ = −β0/β1 with a delta-method
 *   95% interval from the inverse Fisher information. Perfect separation (no finite MLE) falls
 *   back to linear interpolation between the grid points that bracket 1/2.
 * - {@link extrapolateCrossing}: weighted least squares fit α_½(n) = a + c/n; `a` estimates the
 *   sharp threshold (≈ 6.698 by the full-RSB prediction for the case without bias).
 */

import { assertRange, assertType } from "../core/validate.js";
import type { PhaseCrossing, PhaseExtrapolation, PhasePoint } from "./phase-types.js";

/** Two-sided 95% quantile of the standard normal, Φ⁻¹(0.975). */
export const Z95 = 1.959963984540054;

/** Fewer decided trials than this (over all ratios of one n) give no crossing estimate. */
export const MIN_DECIDED_TRIALS = 10;

/**
 * Wilson score 95% interval of a binomial proportion successes/trials (z = Φ⁻¹(0.975)):
 * center (p̂ + z²/2N)/(1 + z²/N), half-width z·√(p̂(1−p̂)/N + z²/4N²)/(1 + z²/N), clamped to [0, 1].
 * Unlike the Wald interval it is never empty at p̂ = 0 or 1 (0/10 gives [0, 0.278]).
 *
 * With trials = 0 nothing is known and the interval is the whole of [0, 1].
 * @param successes integer in [0, trials]
 * @param trials integer ≥ 0
 * @throws InputRangeError for negative, non-integer or inconsistent counts
 */
export function wilsonInterval(successes: number, trials: number): { low: number; high: number } {
  assertRange(
    Number.isInteger(trials) && trials >= 0,
    () => `wilsonInterval(): trials must be an integer >= 0, got ${trials}`,
  );
  assertRange(
    Number.isInteger(successes) && successes >= 0 && successes <= trials,
    () => `wilsonInterval(): successes must be an integer in [0, trials = ${trials}], got ${successes}`,
  );
  if (trials === 0) return { low: 0, high: 1 };
  const z2 = Z95 * Z95;
  const p = successes / trials;
  const denom = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denom;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  return {
    low: successes === 0 ? 0 : Math.max(0, center - half),
    high: successes === trials ? 1 : Math.min(1, center + half),
  };
}

/** Decided counts at one ratio. */
interface Group {
  alpha: number;
  successes: number;
  decided: number;
}

/** Decided counts of the points of one n, merged by ratio and sorted by ratio. */
function groupsOf(points: PhasePoint[]): Group[] {
  const byAlpha = new Map<number, Group>();
  for (const pt of points) {
    const decided = pt.injective + pt.notInjective;
    if (decided === 0) continue;
    const g = byAlpha.get(pt.ratio) ?? { alpha: pt.ratio, successes: 0, decided: 0 };
    g.successes += pt.injective;
    g.decided += decided;
    byAlpha.set(pt.ratio, g);
  }
  return [...byAlpha.values()].sort((a, b) => a.alpha - b.alpha);
}

function validatePoint(pt: PhasePoint, index: number): void {
  const fn = "estimateCrossings()";
  assertType(
    typeof pt === "object" && pt !== null,
    () => `${fn}: points[${index}] must be an object, got ${pt === null ? "null" : typeof pt}`,
  );
  assertRange(
    Number.isFinite(pt.ratio) && Number.isInteger(pt.n) && pt.n >= 1,
    () =>
      `${fn}: points[${index}] needs an integer n >= 1 and a finite ratio, got n = ${pt.n}, ratio = ${pt.ratio}`,
  );
  for (const key of ["injective", "notInjective"] as const) {
    const v = pt[key];
    assertRange(
      Number.isInteger(v) && v >= 0,
      () => `${fn}: points[${index}].${key} must be an integer >= 0, got ${v}`,
    );
  }
}

/** Result of the logistic maximum likelihood fit, in the centered variable x = α − center. */
interface LogisticFit {
  /** Intercept and slope in x. */
  g0: number;
  g1: number;
  /** Inverse Fisher information (covariance of (g0, g1)). */
  v00: number;
  v01: number;
  v11: number;
  iterations: number;
}

function logLikelihood(groups: Group[], center: number, g0: number, g1: number): number {
  let ll = 0;
  for (const g of groups) {
    const eta = g0 + g1 * (g.alpha - center);
    // log σ(η) = −log(1 + e^{−η}), log(1 − σ(η)) = −log(1 + e^{η}), both computed without overflow.
    const logP = -softplus(-eta);
    const logQ = -softplus(eta);
    ll += g.successes * logP + (g.decided - g.successes) * logQ;
  }
  return ll;
}

function softplus(t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}

function sigmoid(t: number): number {
  if (t >= 0) return 1 / (1 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1 + e);
}

/**
 * Newton's method (IRLS) with step halving for the grouped logistic model. Assumes the data are
 * not separated (the caller checks), so that the log-likelihood has a finite maximizer.
 * @returns null when Newton does not converge
 */
function fitLogistic(groups: Group[], center: number): LogisticFit | null {
  let g0 = 0;
  let g1 = 0;
  let ll = logLikelihood(groups, center, g0, g1);
  for (let iter = 1; iter <= 200; iter++) {
    let s0 = 0;
    let s1 = 0;
    let i00 = 0;
    let i01 = 0;
    let i11 = 0;
    for (const g of groups) {
      const x = g.alpha - center;
      const p = sigmoid(g0 + g1 * x);
      const r = g.successes - g.decided * p;
      const w = g.decided * p * (1 - p);
      s0 += r;
      s1 += r * x;
      i00 += w;
      i01 += w * x;
      i11 += w * x * x;
    }
    const det = i00 * i11 - i01 * i01;
    if (!(det > 0)) return null;
    const v00 = i11 / det;
    const v01 = -i01 / det;
    const v11 = i00 / det;
    const d0 = v00 * s0 + v01 * s1;
    const d1 = v01 * s0 + v11 * s1;
    // Step halving keeps the log-likelihood increasing (it is concave, so a small enough step does).
    let step = 1;
    let n0 = g0 + d0;
    let n1 = g1 + d1;
    let nll = logLikelihood(groups, center, n0, n1);
    while (nll < ll - 1e-12 * Math.abs(ll) && step > 1e-10) {
      step /= 2;
      n0 = g0 + step * d0;
      n1 = g1 + step * d1;
      nll = logLikelihood(groups, center, n0, n1);
    }
    const moved = Math.abs(n0 - g0) + Math.abs(n1 - g1);
    g0 = n0;
    g1 = n1;
    ll = nll;
    if (moved < 1e-11 * (1 + Math.abs(g0) + Math.abs(g1))) {
      // Covariance at the converged estimate.
      let j00 = 0;
      let j01 = 0;
      let j11 = 0;
      for (const g of groups) {
        const x = g.alpha - center;
        const p = sigmoid(g0 + g1 * x);
        const w = g.decided * p * (1 - p);
        j00 += w;
        j01 += w * x;
        j11 += w * x * x;
      }
      const dj = j00 * j11 - j01 * j01;
      if (!(dj > 0)) return null;
      return { g0, g1, v00: j11 / dj, v01: -j01 / dj, v11: j00 / dj, iterations: iter };
    }
  }
  return null;
}

/**
 * Separation with positive slope: every failure at a ratio ≤ every success (a threshold splits the
 * verdicts, at most one ratio mixed). Then the likelihood increases without bound as β1 → ∞ and no
 * finite MLE exists.
 */
function isSeparatedIncreasing(groups: Group[]): boolean {
  let maxFail = -Infinity;
  let minSuccess = Infinity;
  for (const g of groups) {
    if (g.successes < g.decided) maxFail = Math.max(maxFail, g.alpha);
    if (g.successes > 0) minSuccess = Math.min(minSuccess, g.alpha);
  }
  return maxFail <= minSuccess;
}

/** Separation with negative slope: every success at a ratio ≤ every failure. */
function isSeparatedDecreasing(groups: Group[]): boolean {
  let maxSuccess = -Infinity;
  let minFail = Infinity;
  for (const g of groups) {
    if (g.successes > 0) maxSuccess = Math.max(maxSuccess, g.alpha);
    if (g.successes < g.decided) minFail = Math.min(minFail, g.alpha);
  }
  return maxSuccess <= minFail;
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

/** The crossing of one n (groups sorted by ratio, at least one group). */
function crossingOf(n: number, groups: Group[]): PhaseCrossing {
  const none = (method: string): PhaseCrossing => ({ n, alpha: null, low: null, high: null, method });
  const total = groups.reduce((s, g) => s + g.decided, 0);
  if (total < MIN_DECIDED_TRIALS) {
    return none(`no estimate: only ${total} decided trials (need ${MIN_DECIDED_TRIALS})`);
  }
  if (groups.length < 2) return none(`no estimate: decided trials at a single ratio ${fmt(groups[0].alpha)}`);
  const below = groups.filter((g) => g.successes / g.decided < 0.5);
  const above = groups.filter((g) => g.successes / g.decided > 0.5);
  if (below.length === 0 || above.length === 0) {
    const side = below.length === 0 ? "≥ 1/2" : "≤ 1/2";
    return none(
      `no estimate: the data do not bracket 1/2 (observed P(injective) ${side} at every ratio in ` +
        `[${fmt(groups[0].alpha)}, ${fmt(groups[groups.length - 1].alpha)}])`,
    );
  }
  if (isSeparatedDecreasing(groups)) {
    return none("no estimate: the verdicts decrease with the ratio (separated data, negative slope)");
  }
  if (isSeparatedIncreasing(groups)) {
    // No finite MLE. The observed proportions are 0 below the split and 1 above (one ratio may be
    // mixed), so interpolate between the last ratio below 1/2 and the first above.
    const lo = below[below.length - 1];
    const hi = above[0];
    const pLo = lo.successes / lo.decided;
    const pHi = hi.successes / hi.decided;
    const alpha = lo.alpha + ((0.5 - pLo) / (pHi - pLo)) * (hi.alpha - lo.alpha);
    return {
      n,
      alpha,
      low: lo.alpha,
      high: hi.alpha,
      method:
        "perfect separation (no finite logistic MLE): linear interpolation of the observed proportions " +
        `between ratios ${fmt(lo.alpha)} and ${fmt(hi.alpha)}; the interval is that bracket, not a ` +
        "confidence interval",
    };
  }
  const center = groups.reduce((s, g) => s + g.alpha * g.decided, 0) / total;
  const fit = fitLogistic(groups, center);
  if (fit === null) return none("no estimate: the logistic maximum likelihood fit did not converge");
  if (!(fit.g1 > 0)) {
    return none(`no estimate: the fitted logistic slope is not positive (β1 = ${fmt(fit.g1)})`);
  }
  // α_½ = center − g0/g1; delta method with gradient (−1/g1, g0/g1²) in (g0, g1).
  const alpha = center - fit.g0 / fit.g1;
  const d0 = -1 / fit.g1;
  const d1 = fit.g0 / (fit.g1 * fit.g1);
  const variance = d0 * d0 * fit.v00 + 2 * d0 * d1 * fit.v01 + d1 * d1 * fit.v11;
  const se = Math.sqrt(Math.max(0, variance));
  const beta1 = fit.g1;
  const beta0 = fit.g0 - fit.g1 * center;
  return {
    n,
    alpha,
    low: alpha - Z95 * se,
    high: alpha + Z95 * se,
    method:
      `logistic regression P(α) = σ(β0 + β1·α), maximum likelihood (IRLS) on ${total} decided trials ` +
      `at ${groups.length} ratios (β0 = ${fmt(beta0)}, β1 = ${fmt(beta1)}); α_½ = −β0/β1, ` +
      `95% interval by the delta method from the Fisher information (se = ${fmt(se)})`,
  };
}

/**
 * Finite-size crossings α_½(n), one per n in increasing order: the ratio where the fitted
 * P(injective) equals 1/2.
 *
 * For each n, the decided verdicts (injective vs notInjective; unknowns excluded) at all points of
 * that n are fitted by the logistic model P(α) = σ(β0 + β1·α), maximum likelihood by Newton's
 * method (IRLS) with step halving; α_½ = −β0/β1 and its 95% interval is α_½ ± z·se with se from the
 * delta method on the inverse Fisher information. Points with equal ratio are merged.
 *
 * alpha is null (and `method` says why) when: fewer than {@link MIN_DECIDED_TRIALS} decided trials
 * or a single ratio; the observed proportions do not bracket 1/2 (all ≥ 1/2 or all ≤ 1/2); the
 * verdicts decrease with α; the fit fails or has a non-positive slope. Under perfect separation
 * (all failures at ratios ≤ all successes, so the MLE does not exist), alpha interpolates linearly
 * between the last ratio observed below 1/2 and the first above, and [low, high] is that bracket.
 *
 * @param points aggregated grid points, of one bias setting (a run with and without bias must be
 *   split by the caller)
 * @throws InputRangeError for malformed counts or mixed bias settings within one n
 */
export function estimateCrossings(points: PhasePoint[]): PhaseCrossing[] {
  assertType(
    Array.isArray(points),
    () => `estimateCrossings(): points must be an array, got ${typeof points}`,
  );
  const byN = new Map<number, PhasePoint[]>();
  points.forEach((pt, i) => {
    validatePoint(pt, i);
    const list = byN.get(pt.n) ?? [];
    assertRange(
      list.length === 0 || list[0].bias === pt.bias,
      () => `estimateCrossings(): points of n = ${pt.n} mix bias and no bias; fit each setting separately`,
    );
    list.push(pt);
    byN.set(pt.n, list);
  });
  const out: PhaseCrossing[] = [];
  for (const n of [...byN.keys()].sort((a, b) => a - b)) {
    const groups = groupsOf(byN.get(n)!);
    if (groups.length === 0) {
      out.push({ n, alpha: null, low: null, high: null, method: "no estimate: no decided trials" });
    } else {
      out.push(crossingOf(n, groups));
    }
  }
  return out;
}

/** Two-sided 95% quantiles t_{0.975, ν} of Student's t for ν = 1..30. */
const T975 = [
  12.706204736174698, 4.302652729749464, 3.182446305284263, 2.7764451051977934, 2.570581835636314,
  2.4469118511449692, 2.3646242515927844, 2.306004135204166, 2.2621571628540993, 2.2281388519649385,
  2.2009851600916384, 2.1788128296634177, 2.1603686564610127, 2.1447866879169273, 2.131449545559323,
  2.1199052992210112, 2.1098155778331806, 2.10092204024096, 2.093024054408263, 2.0859634472658364,
  2.0796138447276626, 2.0738730679040147, 2.0686576104190406, 2.0638985616280205, 2.059538552753294,
  2.055529438642871, 2.0518305164802833, 2.048407141795244, 2.045229642132703, 2.0422724563012373,
];

/** t_{0.975, ν}: table for ν ≤ 30, Cornish–Fisher expansion in 1/ν beyond (error < 1e-5). */
export function studentT975(dof: number): number {
  assertRange(
    Number.isInteger(dof) && dof >= 1,
    () => `studentT975(): dof must be an integer >= 1, got ${dof}`,
  );
  if (dof <= T975.length) return T975[dof - 1];
  const z = Z95;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return (
    z +
    (z3 + z) / (4 * dof) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * dof ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * dof ** 3)
  );
}

/** Inverse of a small symmetric positive definite matrix (Gauss–Jordan, partial pivoting). */
function invertSmall(A: number[][]): number[][] | null {
  const k = A.length;
  const M = A.map((row, i) => [...row, ...Array.from({ length: k }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    if (!(Math.abs(M[piv][c]) > 1e-300)) return null;
    [M[c], M[piv]] = [M[piv], M[c]];
    const d = M[c][c];
    for (let j = 0; j < 2 * k; j++) M[c][j] /= d;
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = M[r][c];
      if (f !== 0) for (let j = 0; j < 2 * k; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((row) => row.slice(k));
}

/** Weighted least squares fit of y on the columns of X. */
interface WlsFit {
  coef: number[];
  /** Standard errors from the weights alone (residual scale not estimated). */
  se: number[];
  chi2: number;
  dof: number;
}

function weightedLeastSquares(X: number[][], y: number[], w: number[]): WlsFit | null {
  const p = X[0].length;
  const XtWX = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const XtWy = new Array<number>(p).fill(0);
  for (let i = 0; i < y.length; i++) {
    for (let a = 0; a < p; a++) {
      XtWy[a] += w[i] * X[i][a] * y[i];
      for (let b = 0; b < p; b++) XtWX[a][b] += w[i] * X[i][a] * X[i][b];
    }
  }
  const cov = invertSmall(XtWX);
  if (cov === null) return null;
  const coef = cov.map((row) => row.reduce((s, v, j) => s + v * XtWy[j], 0));
  let chi2 = 0;
  for (let i = 0; i < y.length; i++) {
    const r = y[i] - X[i].reduce((s, v, j) => s + v * coef[j], 0);
    chi2 += w[i] * r * r;
  }
  const se = cov.map((row, a) => Math.sqrt(Math.max(0, row[a])));
  if (!se.every(Number.isFinite) || !coef.every(Number.isFinite)) return null;
  return { coef, se, chi2, dof: y.length - p };
}

/** Standard error of the intercept, inflated by √(χ²/dof) when χ²/dof > 1, and its 95% quantile. */
function interceptError(fit: WlsFit): { se: number; q: number; inflated: boolean; quantile: string } {
  const reduced = fit.dof > 0 ? fit.chi2 / fit.dof : 0;
  if (reduced > 1) {
    return {
      se: fit.se[0] * Math.sqrt(reduced),
      q: studentT975(fit.dof),
      inflated: true,
      quantile: `Student t with ${fit.dof} dof`,
    };
  }
  return { se: fit.se[0], q: Z95, inflated: false, quantile: "normal" };
}

/**
 * Extrapolates the crossings to n → ∞ by fitting α_½(n) = a + c/n, weighted least squares with
 * weights 1/se², where se = (high − low)/(2·1.96) is read from each crossing's 95% interval.
 *
 * The stderr of `a` comes from the weights; when the residual χ²/dof exceeds 1 (the crossings
 * scatter more than their intervals say), it is inflated by √(χ²/dof) and the 95% interval uses
 * Student's t with dof = k − 2; otherwise it uses the normal quantile. With ≥ 5 crossings the
 * `fit` text also reports a + c/n + d/n² as a sensitivity check (the returned alpha stays the
 * a + c/n value).
 *
 * @param crossings output of {@link estimateCrossings}; crossings without an estimate or with a
 *   degenerate interval are skipped
 * @returns null when fewer than 3 values of n have an estimate (or the fit is degenerate)
 */
export function extrapolateCrossing(crossings: PhaseCrossing[]): PhaseExtrapolation | null {
  assertType(
    Array.isArray(crossings),
    () => `extrapolateCrossing(): crossings must be an array, got ${typeof crossings}`,
  );
  const usable = crossings
    .filter(
      (c) =>
        c.alpha !== null &&
        c.low !== null &&
        c.high !== null &&
        Number.isFinite(c.alpha) &&
        Number.isFinite(c.n) &&
        c.n > 0 &&
        c.high - c.low > 0 &&
        Number.isFinite(c.high - c.low),
    )
    .sort((a, b) => a.n - b.n);
  const ns = usable.map((c) => c.n);
  if (new Set(ns).size !== ns.length) {
    assertRange(false, () => `extrapolateCrossing(): several crossings for the same n (${ns.join(", ")})`);
  }
  if (usable.length < 3) return null;
  // Regress on u = nMin/n ∈ (0, 1] (better conditioned than 1/n); c = c_u · nMin.
  const nMin = ns[0];
  const y = usable.map((c) => c.alpha!);
  const w = usable.map((c) => {
    const se = (c.high! - c.low!) / (2 * Z95);
    return 1 / (se * se);
  });
  const linear = weightedLeastSquares(
    ns.map((n) => [1, nMin / n]),
    y,
    w,
  );
  if (linear === null) return null;
  const err = interceptError(linear);
  const a = linear.coef[0];
  const c = linear.coef[1] * nMin;
  const cSe = linear.se[1] * nMin * (err.inflated ? Math.sqrt(linear.chi2 / linear.dof) : 1);
  const reduced = linear.dof > 0 ? linear.chi2 / linear.dof : NaN;
  let fit =
    `α_½(n) = a + c/n, weighted least squares (weights 1/se², se from the crossing intervals) over ` +
    `n = ${ns.join(", ")}: a = ${fmt(a)} ± ${fmt(err.se)}, c = ${fmt(c)} ± ${fmt(cSe)}; ` +
    `χ²/dof = ${fmt(linear.chi2)}/${linear.dof} = ${fmt(reduced)}; `;
  fit += err.inflated
    ? `stderr inflated by √(χ²/dof) = ${fmt(Math.sqrt(reduced))}; 95% interval with ${err.quantile}`
    : `95% interval with the ${err.quantile} quantile`;
  if (usable.length >= 5) {
    const quad = weightedLeastSquares(
      ns.map((n) => [1, nMin / n, (nMin / n) ** 2]),
      y,
      w,
    );
    if (quad !== null) {
      const qErr = interceptError(quad);
      const d = quad.coef[2] * nMin * nMin;
      fit +=
        `. Sensitivity check, a + c/n + d/n²: a = ${fmt(quad.coef[0])} ± ${fmt(qErr.se)}, ` +
        `c = ${fmt(quad.coef[1] * nMin)}, d = ${fmt(d)}, χ²/dof = ${fmt(quad.chi2)}/${quad.dof}` +
        (qErr.inflated ? " (stderr inflated)" : "");
    }
  }
  return { alpha: a, stderr: err.se, low: a - err.q * err.se, high: a + err.q * err.se, fit, ns };
}
