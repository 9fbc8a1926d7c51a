/**
 * Shared types of the Gaussian phase-transition experiment (paper, Theorem 2; docs/phase.md): for iid
 * N(0, 1) weights W of shape (m, n), the probability that x ↦ ReLU(W x [+ b]) is injective, as a
 * function of the ratio α = m/n.
 */

/** One exact verdict of one random layer of the sweep. */
export interface PhaseInstance {
  n: number;
  m: number;
  /** Trial index 0..trials−1 at this grid point. */
  trial: number;
  /** The instance's own seed (derived from the run seed, n, m, trial and bias). */
  seed: number;
  /** `true` injective, `false` not injective, `null` unknown (time limit). */
  injective: boolean | null;
  /** How checkLayer decided (its `method` field). */
  method: string;
  timeMs: number;
}

/** Aggregated estimate at one grid point (n, m). Unknowns are never counted as either verdict. */
export interface PhasePoint {
  n: number;
  m: number;
  /** m / n. */
  ratio: number;
  bias: boolean;
  trials: number;
  injective: number;
  notInjective: number;
  unknown: number;
  /** injective / (injective + notInjective), null when nothing was decided. */
  p: number | null;
  /** Wilson 95% interval of p over the decided trials (null when nothing was decided). */
  low: number | null;
  high: number | null;
  medianTimeMs: number;
  maxTimeMs: number;
}

/** Finite-size crossing α_½(n): where the fitted P(injective) passes 1/2. */
export interface PhaseCrossing {
  n: number;
  /** Estimated ratio at which P = 1/2, null when the data do not bracket 1/2. */
  alpha: number | null;
  /** 95% interval of alpha (null when not available). */
  low: number | null;
  high: number | null;
  /** Fit used, in words (for example "logistic regression in α, maximum likelihood"). */
  method: string;
}

/** Extrapolation of α_½(n) to n → ∞. */
export interface PhaseExtrapolation {
  /** Extrapolated threshold. */
  alpha: number;
  /** Standard error and 95% interval of the extrapolated value. */
  stderr: number;
  low: number;
  high: number;
  /** The model fitted, in words with its coefficients (for example "α_½(n) = a + c/n, weighted least squares"). */
  fit: string;
  /** The n values used. */
  ns: number[];
}

/** Pointwise invertibility: P(the rows active at a random x0 span R^n). */
export interface PointwisePoint {
  n: number;
  m: number;
  ratio: number;
  bias: boolean;
  /** Exact value P(Binomial(m, 1/2) >= n) (rotation invariance; see the module that computes it). */
  exact: number;
  /** Monte Carlo estimate with explicit rank computations, when run at this n (else null). */
  monteCarlo: { trials: number; successes: number; p: number; low: number; high: number } | null;
}
