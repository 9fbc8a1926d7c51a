/**
 * Collision witnesses: two distinct inputs x1 != x2 of the domain with ReLU(W x1 + b) = ReLU(W x2 + b).
 *
 * From the hyperplane criterion (notes §1): if every row off the hyperplane v^⊥ is strictly
 * negative at x, then x − δv and x + δv collide for small δ (rows on v^⊥ do not see v, the others
 * stay negative). Witnesses are re-checked by a forward pass, exactly when possible: floats are
 * dyadic rationals, so F(x1) = F(x2) can be confirmed in BigInt arithmetic.
 */

import type { Domain, Witness } from "./types.js";
import { validateLayer, validateVector } from "./validate.js";
import { ExactSpan, Fraction, floatToDyadic, integralRows } from "./exact.js";

/** Result of {@link verifyWitness}. */
export interface WitnessCheck {
  valid: boolean;
  /** True when F(x1) = F(x2) holds exactly in rational arithmetic. */
  exact: boolean;
  reason: string;
  maxOutputDifference: number;
  separation: number;
}

/** A float witness must separate its points by this factor above the tolerance and the output mismatch. */
const SEPARATION_FACTOR = 100;

function norm2(x: readonly number[]): number {
  return Math.hypot(...x);
}

/**
 * Re-checks a witness by a forward pass, without trusting how it was found.
 *
 * Valid when x1 and x2 lie in the domain and their outputs agree: exactly in rational arithmetic
 * (any x1 != x2), or else to max_i |F_i(x1) − F_i(x2)| / ‖w_i‖ <= tolerance · max(1, ‖x1‖, ‖x2‖)
 * with the points clearly apart: ‖x1 − x2‖ / max(1, ‖x1‖, ‖x2‖) >= 100 · max(tolerance, relative
 * output difference), so that a rounding artefact cannot pass as a collision.
 * @param W shape (m, n)
 * @param b length m, or null/undefined
 * @param options.tolerance @default 1e-9
 */
export function verifyWitness(
  W: number[][],
  b: number[] | null | undefined,
  witness: { x1: number[]; x2: number[] },
  domain: Domain,
  options: { tolerance?: number } = {},
): WitnessCheck {
  const fn = "verifyWitness()";
  const { W: Wv, b: bv } = validateLayer(fn, W, b);
  const n = Wv[0].length;
  const x1 = validateVector(fn, "witness.x1", witness?.x1, n);
  const x2 = validateVector(fn, "witness.x2", witness?.x2, n);
  const tol = options.tolerance ?? 1e-9;
  const scale = Math.max(1, norm2(x1), norm2(x2));
  const separation = norm2(x1.map((v, j) => v - x2[j])) / scale;
  let maxDiff = 0;
  for (let i = 0; i < Wv.length; i++) {
    const row = Wv[i];
    const rn = norm2(row) || 1;
    let a1 = bv[i];
    let a2 = bv[i];
    for (let j = 0; j < n; j++) {
      a1 += row[j] * x1[j];
      a2 += row[j] * x2[j];
    }
    maxDiff = Math.max(maxDiff, Math.abs(Math.max(0, a1) - Math.max(0, a2)) / rn);
  }
  const base = { maxOutputDifference: maxDiff, separation };
  if (domain === "nonnegative" && (x1.some((v) => v < 0) || x2.some((v) => v < 0))) {
    return {
      ...base,
      valid: false,
      exact: false,
      reason: "a point has a negative entry, outside the nonnegative orthant",
    };
  }
  if (x1.every((v, j) => v === x2[j])) {
    return { ...base, valid: false, exact: false, reason: "x1 and x2 are the same point" };
  }
  // Exact re-check for integral layers (rows scaled to integers by powers of two; floats in x are
  // exact dyadic rationals). For other layers exact equality is not expected and not attempted.
  const ints = integralRows(Wv, bv);
  if (ints && exactOutputsEqual(ints.W, ints.b, x1, x2)) {
    return {
      ...base,
      valid: true,
      exact: true,
      reason: "F(x1) = F(x2) exactly (rational arithmetic) and x1 ≠ x2",
    };
  }
  if (separation < SEPARATION_FACTOR * Math.max(tol, maxDiff / scale)) {
    return {
      ...base,
      valid: false,
      exact: false,
      reason: `x1 and x2 are too close to be a convincing witness (relative separation ${separation.toExponential(2)} < ${SEPARATION_FACTOR} × max(tolerance, output difference))`,
    };
  }
  if (maxDiff > tol * scale) {
    return {
      ...base,
      valid: false,
      exact: false,
      reason: `outputs differ by ${maxDiff.toExponential(2)} (relative to row norms), above the tolerance`,
    };
  }
  return {
    ...base,
    valid: true,
    exact: false,
    reason: `outputs agree to ${maxDiff.toExponential(2)} relative to row norms (tolerance ${tol}), separation ${separation.toExponential(2)}`,
  };
}

/** A float vector as integers over a common power of two: x = X · 2^E. */
function dyadicVector(x: readonly number[]): { X: bigint[]; E: number } {
  const parts = x.map(floatToDyadic);
  const E = Math.min(0, ...parts.filter((p) => p.mant !== 0n).map((p) => p.exp));
  return { X: parts.map((p) => (p.mant === 0n ? 0n : p.mant << BigInt(p.exp - E))), E };
}

/** ReLU(Wint x + bint) at x1 and x2 agree exactly, row by row (integers, no rounding). */
function exactOutputsEqual(
  Wint: bigint[][],
  bint: bigint[],
  x1: readonly number[],
  x2: readonly number[],
): boolean {
  const a = dyadicVector(x1);
  const c = dyadicVector(x2);
  // Common exponent E = min(E1, E2): value_k · 2^E with value_k = (Σ w X_k) · 2^(E_k − E) + b · 2^(−E).
  const E = Math.min(a.E, c.E);
  const sa = BigInt(a.E - E);
  const sc = BigInt(c.E - E);
  const sb = BigInt(-E);
  for (let i = 0; i < Wint.length; i++) {
    let d1 = 0n;
    let d2 = 0n;
    const row = Wint[i];
    for (let j = 0; j < row.length; j++) {
      if (row[j] === 0n) continue;
      d1 += row[j] * a.X[j];
      d2 += row[j] * c.X[j];
    }
    const bb = bint[i] << sb;
    let v1 = (d1 << sa) + bb;
    let v2 = (d2 << sc) + bb;
    if (v1 < 0n) v1 = 0n;
    if (v2 < 0n) v2 = 0n;
    if (v1 !== v2) return false;
  }
  return true;
}

/** Rows active (`<w_i, x> + b_i >= 0`) at a point. */
export function activeRows(W: number[][], b: number[], x: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < W.length; i++) {
    let a = b[i];
    for (let j = 0; j < x.length; j++) a += W[i][j] * x[j];
    if (a >= 0) out.push(i);
  }
  return out;
}

/**
 * Builds a witness around a point x at which every row off the hyperplane v^⊥ has margin
 * (on unit rows) at least `margin`: x1 = x − (margin/2) v, x2 = x + (margin/2) v, v a unit vector.
 */
export function witnessFromSeparation(
  x: ArrayLike<number>,
  v: ArrayLike<number>,
  margin: number,
): { x1: number[]; x2: number[] } {
  const n = x.length;
  const h = margin / 2;
  const x1: number[] = [];
  const x2: number[] = [];
  for (let j = 0; j < n; j++) {
    x1.push(x[j] - h * v[j]);
    x2.push(x[j] + h * v[j]);
  }
  return { x1, x2 };
}

/**
 * Exact variant for integral layers: the direction is the exact integer normal of the hyperplane
 * spanned by `hyperplaneRows`, and the points lie on a dyadic grid, so that x2 − x1 is exactly
 * orthogonal to those rows and the forward pass agrees exactly. Returns null when the float point
 * does not survive rounding (then the float witness is used).
 */
export function exactWitnessFromSeparation(
  Wint: readonly (readonly bigint[])[],
  hyperplaneRows: readonly number[],
  x: ArrayLike<number>,
  vFloat: ArrayLike<number>,
  margin: number,
): { x1: number[]; x2: number[] } | null {
  const n = x.length;
  const span = new ExactSpan(n);
  for (const i of hyperplaneRows) span.add(Wint[i]);
  if (span.rank >= n) return null;
  let v = span.orthogonalVector();
  let dot = 0;
  for (let j = 0; j < n; j++) dot += Number(v[j]) * vFloat[j];
  if (dot < 0) v = v.map((e) => -e);
  const vNorm = Math.hypot(...v.map(Number));
  // Step λ = 2^-p along v with λ‖v‖ in (0.45, 0.9]·margin, starting half a step before x, on a grid
  // 2^-k fine enough (rounding error <= 0.05·margin): every row off the hyperplane keeps margin
  // >= margin/2 at both points, and on the orthant both points stay positive.
  const p = Math.ceil(Math.log2(vNorm / (0.9 * margin)));
  const k = Math.max(0, p, Math.ceil(Math.log2((20 * Math.sqrt(n)) / margin)));
  if (k > 900 || p < -900) return null;
  const lambda = 2 ** -p;
  const X = Array.from({ length: n }, (_, j) =>
    BigInt(Math.round((x[j] - (lambda / 2) * Number(v[j])) * 2 ** k)),
  );
  // x2 = X / 2^k + v / 2^p = (X + v · 2^(k−p)) / 2^k, since k >= p.
  const N = X.map((Xj, j) => Xj + (v[j] << BigInt(k - p)));
  const limit = 1n << 53n;
  if (N.some((e) => (e < 0n ? -e : e) >= limit) || X.some((e) => (e < 0n ? -e : e) >= limit)) return null;
  const x1 = X.map((e) => Number(e) / 2 ** k);
  const x2 = N.map((e) => Number(e) / 2 ** k);
  // Guard against rounding in the divisions (they are exact powers of two unless they underflow).
  for (let j = 0; j < n; j++) {
    if (
      !Fraction.fromFloat(x1[j])
        .sub(new Fraction(X[j], 1n << BigInt(k)))
        .isZero()
    )
      return null;
    if (
      !Fraction.fromFloat(x2[j])
        .sub(new Fraction(N[j], 1n << BigInt(k)))
        .isZero()
    )
      return null;
  }
  return { x1, x2 };
}

/** Assembles the public {@link Witness} object, with its forward-pass check. */
export function describeWitness(
  W: number[][],
  b: number[],
  pair: { x1: number[]; x2: number[] },
  domain: Domain,
  tolerance: number,
  activeRank: (rows: number[]) => number,
): { witness: Witness; check: WitnessCheck } {
  const check = verifyWitness(W, b, pair, domain, { tolerance });
  const d = pair.x2.map((v, j) => v - pair.x1[j]);
  const dn = Math.hypot(...d) || 1;
  const a1 = new Set(activeRows(W, b, pair.x1));
  const active = activeRows(W, b, pair.x2).filter((i) => a1.has(i));
  return {
    check,
    witness: {
      x1: pair.x1,
      x2: pair.x2,
      direction: d.map((v) => v / dn),
      activeRows: active,
      activeRank: activeRank(active),
      maxOutputDifference: check.maxOutputDifference,
      separation: check.separation,
      exact: check.exact,
    },
  };
}
