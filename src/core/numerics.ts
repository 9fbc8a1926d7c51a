/**
 * The numerics module: the tolerances of the library (of the verdicts, the checks, the network
 * model and the inversions), each with the one-line reason for its value, and the one validation
 * of a user-given tolerance. Step controls of the local optimizers (the Lipschitz local searches,
 * the active-set and gradient refinements, the phase statistics' fits) stay with their algorithm.
 *
 * Verdicts are about W and b exactly as given (finite doubles are exact rationals) and are
 * re-checked in exact arithmetic, so a tolerance never decides a verdict. It steers the
 * floating-point search (when a row counts as lying in a hyperplane of unit normal v:
 * |<ŵ_i, v>| <= tolerance; when a separation LP counts as feasible), so a poor choice can only turn
 * a verdict into "unknown". It also sets when an inexact pair is reported as a numerical
 * near-collision, and when an inversion's residual counts as zero.
 */

import { assertRange, assertType } from "./validate.js";

/** The default relative tolerance on unit rows: ~10⁷ ulps of 1, far above rounding, far below data. */
export const DEFAULT_TOLERANCE = 1e-9;

/** The largest tolerance accepted: rows are unit vectors, so larger values mean nothing. */
export const MAX_TOLERANCE = 0.1;

/** The collision search's default: its Jacobian steps lose a few more digits than a layer check. */
export const COLLISION_SEARCH_TOLERANCE = 1e-8;

/** Dense simplex pivot threshold: entries below it are rounding noise of a well-scaled tableau. */
export const PIVOT_TOLERANCE = 1e-11;

/** Stated float weights of a Motzkin dual may differ this much from the exact ones they round (they sum to 1). */
export const DUAL_WEIGHT_AGREEMENT = 1e-6;

/** A dual weight below this fraction of the largest one is rounding noise, not part of the support. */
export const DUAL_WEIGHT_SUPPORT = 1e-9;

/** A violation of an LP constraint above this (on unit rows) is real, not rounding. */
export const LP_VIOLATION = 1e-12;

/** Floor of a rank tolerance: below it a Gram–Schmidt residual cannot be told from rounding of doubles. */
export const RANK_FLOOR = 1e-12;

/** The rank test of the pointwise experiment (unit-norm rows, as the default tolerance). */
export const POINTWISE_RANK_TOLERANCE = DEFAULT_TOLERANCE;

/** An inversion's LP point counts a constraint as tight within this relative slack before polishing. */
export const TIGHT_CONSTRAINT = 1e-7;

/** A network inversion's forward re-check allows this many times the layer tolerance: rounding accumulates over the layers. */
export const NETWORK_RESIDUAL_FACTOR = 100;

/** Two sampled inputs closer than this fraction of the box diameter are the same point, not a collision. */
export const COLLISION_MIN_SEPARATION = 1e-7;

/** A stored batch-norm bias may differ this much (relative) from the one its record gives: one rounding of beta − mean·scale. */
export const BATCHNORM_BIAS_AGREEMENT = 1e-12;

/** Generator inversion: relative step that ends a noise-free refinement (near float64 resolution of z). */
export const REFINE_STEP_NOISE_FREE = 1e-10;

/** Generator inversion: relative step that ends a refinement with noise (the noise, not rounding, limits z). */
export const REFINE_STEP_NOISY = 1e-6;

/** Generator inversion: two starts whose estimates agree to this relative distance found the same point. */
export const SAME_ESTIMATE = 1e-6;

/** Generator inversion: singular values of the Jacobian below this fraction of the largest count as zero (its rank). */
export const JACOBIAN_RANK_TOLERANCE = 1e-10;

/** A float64 model's inversion tolerance (the floor of the precision rule's default). */
export const FLOAT64_TOLERANCE = DEFAULT_TOLERANCE;

/**
 * Validates a tolerance: a number with 0 < t <= {@link MAX_TOLERANCE} (NaN and Infinity are
 * refused); `undefined` is {@link DEFAULT_TOLERANCE}.
 * @param fn the calling function, for messages
 * @param name the argument, for messages
 * @param fallback the value of an absent tolerance
 */
export function validateTolerance(
  fn: string,
  t: unknown,
  name = "options.tolerance",
  fallback = DEFAULT_TOLERANCE,
): number {
  if (t === undefined) return fallback;
  assertType(typeof t === "number", () => `${fn}: ${name} must be a number, got ${typeof t}`);
  assertRange(
    t > 0 && t <= MAX_TOLERANCE,
    () => `${fn}: ${name} must be a number in (0, ${MAX_TOLERANCE}], got ${t}`,
  );
  return t;
}
