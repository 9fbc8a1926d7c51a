/**
 * The numerical tolerance: one default and one validation for every function that takes it.
 *
 * Verdicts are about W and b exactly as given (finite doubles are exact rationals) and are
 * re-checked in exact arithmetic, so the tolerance never decides a verdict. It steers the
 * floating-point search (when a row counts as lying in a hyperplane of unit normal v:
 * |<ŵ_i, v>| <= tolerance; when a separation LP counts as feasible), so a poor choice can only turn
 * a verdict into "unknown". It also sets when an inexact pair is reported as a numerical
 * near-collision.
 */

import { assertRange, assertType } from "./validate.js";

/** The default relative tolerance on unit rows. */
export const DEFAULT_TOLERANCE = 1e-9;

/** The largest tolerance accepted: rows are unit vectors, so larger values mean nothing. */
export const MAX_TOLERANCE = 0.1;

/**
 * Validates a tolerance: a number with 0 < t <= {@link MAX_TOLERANCE} (NaN and Infinity are refused).
 * @param fn the calling function, for messages
 */
export function validateTolerance(fn: string, t: unknown, name = "options.tolerance"): number {
  assertType(typeof t === "number", () => `${fn}: ${name} must be a number, got ${typeof t}`);
  assertRange(
    t > 0 && t <= MAX_TOLERANCE,
    () => `${fn}: ${name} must be a number in (0, ${MAX_TOLERANCE}], got ${t}`,
  );
  return t;
}
