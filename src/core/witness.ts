/**
 * Collision witnesses: two distinct inputs x1 != x2 of the domain with ReLU(W x1 + b) = ReLU(W x2 + b),
 * built and re-checked in exact rational arithmetic.
 *
 * Theorem 1 (with bias, and Remark 1 for the orthant): if every row off a flat S of the rows
 * (rank S < n) is strictly negative at a point x, then x − δv and x + δv collide for every v ⟂ S
 * and δ small enough: rows in S do not see v, and the others stay negative. Every finite double is a
 * dyadic rational, so W, b and a floating-point point x are exact rationals. The witness is built
 * from the exact integer normal v of S and a power of two δ, and is confirmed by an exact forward
 * pass. When its coordinates are not doubles, the witness carries them as exact fractions
 * (`exactX1`, `exactX2`) next to their nearest doubles.
 */

import type { Domain, Witness } from "./types.js";
import { assertRange, assertType, validateDomain, validateLayer, validateOptions } from "./validate.js";
import {
  ExactSpan,
  Fraction,
  bitLength,
  gcdBigint,
  dyadicOf,
  dyadicRows,
  exactRankBudgeted,
  integerOrthogonalVector,
  toFraction,
  type IntegerLayer,
} from "./exact.js";
import { validateTolerance } from "./numerics.js";
import { norm2 } from "./linalg.js";

/** Result of {@link verifyWitness}. */
export interface WitnessCheck {
  /** True when x1 ≠ x2 lie in the domain and F(x1) = F(x2) holds exactly (rational arithmetic). */
  valid: boolean;
  /** True when the check was done in exact rational arithmetic (always, for a valid witness). */
  exact: boolean;
  /**
   * True when the outputs agree in floating point to the tolerance (relative to the row norms) and
   * the points are clearly apart: a numerical near-collision. It is reported, never accepted as
   * proof: `valid` needs exact equality.
   */
  approximate: boolean;
  reason: string;
  /** max_i |F_i(x1) − F_i(x2)| / ‖w_i‖ in floating point. */
  maxOutputDifference: number;
  /** ‖x1 − x2‖ / max(1, ‖x1‖, ‖x2‖) in floating point. */
  separation: number;
}

/** A float near-collision must separate its points by this factor above the output mismatch. */
const SEPARATION_FACTOR = 100;

/** A point given as numbers or exact rational strings ("p/q", decimals). */
export type ExactPoint = readonly (number | string)[];

function parsePoint(fn: string, name: string, x: unknown, n: number): Fraction[] {
  assertType(Array.isArray(x), () => `${fn}: ${name} must be an array of numbers, got ${typeof x}`);
  assertRange(x.length === n, () => `${fn}: ${name} has length ${x.length}, expected ${n} (one per input)`);
  return x.map((v: unknown, j) => {
    const f = toFraction(v);
    assertType(
      f !== null,
      () =>
        `${fn}: ${name}[${j}] must be a finite number or an exact rational string ("p/q" or a decimal), got ${typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : String(v)}`,
    );
    return f;
  });
}

/** Common denominator form of a rational vector: x = P / Q with integers P and Q > 0. */
function commonDenominator(x: readonly Fraction[]): { P: bigint[]; Q: bigint } {
  let Q = 1n;
  for (const e of x) Q = (Q / gcdBigint(Q, e.den)) * e.den;
  return { P: x.map((e) => (e.num * Q) / e.den), Q };
}

/** Q · (W x + b) row by row, for x = P / Q, in integers (row i is the integer row of the layer). */
function scaledPreactivations(ints: IntegerLayer, P: readonly bigint[], Q: bigint): bigint[] {
  return ints.W.map((row, i) => {
    let s = ints.b[i] * Q;
    for (let j = 0; j < row.length; j++) if (row[j] !== 0n && P[j] !== 0n) s += row[j] * P[j];
    return s;
  });
}

/**
 * Re-checks a witness by an exact forward pass, without trusting how it was found.
 *
 * Valid exactly when x1 ≠ x2, both lie in the domain, and ReLU(W x1 + b) = ReLU(W x2 + b) holds
 * in rational arithmetic, for W, b and the points exactly as given (finite doubles are exact
 * rationals; points may also be strings "p/q" or decimals, read exactly). When the witness has
 * `exactX1`/`exactX2` (fractions, as {@link checkLayer} writes when a point is not a double), those
 * are checked and `x1`/`x2` are ignored. The tolerance only
 * decides whether an inexact pair is reported as a numerical near-collision (`approximate`); such a
 * pair is never valid.
 * @param W shape (m, n)
 * @param b length m, or null/undefined
 * @param options.tolerance relative tolerance of the near-collision report @default 1e-9
 */
export function verifyWitness(
  W: number[][],
  b: number[] | null | undefined,
  witness: { x1: ExactPoint; x2: ExactPoint; exactX1?: ExactPoint; exactX2?: ExactPoint },
  domain: Domain,
  options: { tolerance?: number } = {},
): WitnessCheck {
  const fn = "verifyWitness()";
  const { W: Wv, b: bv } = validateLayer(fn, W, b);
  validateDomain(fn, domain, "domain");
  validateOptions(fn, options);
  const tol = validateTolerance(fn, options.tolerance);
  assertType(typeof witness === "object" && witness !== null, () => `${fn}: witness must be an object`);
  const n = Wv[0].length;
  // A witness whose exact points are fractions carries them in exactX1/exactX2 (x1/x2 are roundings).
  const hasExact = witness.exactX1 !== undefined || witness.exactX2 !== undefined;
  const e1 = parsePoint(
    fn,
    hasExact ? "witness.exactX1" : "witness.x1",
    hasExact ? witness.exactX1 : witness.x1,
    n,
  );
  const e2 = parsePoint(
    fn,
    hasExact ? "witness.exactX2" : "witness.x2",
    hasExact ? witness.exactX2 : witness.x2,
    n,
  );
  return checkExactPair(dyadicRows(Wv, bv), Wv, bv, e1, e2, domain, tol);
}

/**
 * The exact check behind {@link verifyWitness}, on the integer layer.
 * @param pre when given, receives the scaled pre-activations Q·(W x + b) at both points (computed
 *   by the check; {@link describeExactWitness} reads the active rows from them)
 */
export function checkExactPair(
  ints: IntegerLayer,
  W: number[][],
  b: number[],
  e1: readonly Fraction[],
  e2: readonly Fraction[],
  domain: Domain,
  tol: number,
  pre?: { a1?: bigint[]; a2?: bigint[] },
): WitnessCheck {
  const f1 = e1.map((v) => v.toNumber());
  const f2 = e2.map((v) => v.toNumber());
  const scale = Math.max(1, norm2(f1), norm2(f2));
  const separation = norm2(f1.map((v, j) => v - f2[j])) / scale;
  let maxDiff = 0;
  for (let i = 0; i < W.length; i++) {
    const row = W[i];
    const rn = norm2(row) || 1;
    let a1 = b[i] / rn;
    let a2 = b[i] / rn;
    for (let j = 0; j < row.length; j++) {
      a1 += (row[j] / rn) * f1[j];
      a2 += (row[j] / rn) * f2[j];
    }
    const d = Math.abs(Math.max(0, a1) - Math.max(0, a2));
    maxDiff = Math.max(maxDiff, Number.isNaN(d) ? Infinity : d);
  }
  const approximate =
    maxDiff <= tol * scale && separation >= SEPARATION_FACTOR * Math.max(tol, maxDiff / scale);
  const base = { maxOutputDifference: maxDiff, separation, approximate };
  const invalid = (reason: string): WitnessCheck => ({ ...base, valid: false, exact: true, reason });
  if (domain === "nonnegative" && (e1.some((v) => v.sign() < 0) || e2.some((v) => v.sign() < 0)))
    return invalid("a point has a negative entry, outside the nonnegative orthant");
  if (e1.every((v, j) => v.sub(e2[j]).isZero())) return invalid("x1 and x2 are the same point");
  const p1 = commonDenominator(e1);
  const p2 = commonDenominator(e2);
  const a1 = scaledPreactivations(ints, p1.P, p1.Q);
  const a2 = scaledPreactivations(ints, p2.P, p2.Q);
  if (pre) {
    pre.a1 = a1;
    pre.a2 = a2;
  }
  for (let i = 0; i < a1.length; i++) {
    const pos1 = a1[i] > 0n;
    const pos2 = a2[i] > 0n;
    // ReLU(a1/Q1) = ReLU(a2/Q2): both <= 0, or both positive and a1·Q2 = a2·Q1.
    if (!pos1 && !pos2) continue;
    if (pos1 && pos2 && a1[i] * p2.Q === a2[i] * p1.Q) continue;
    return invalid(
      approximate
        ? `output ${i} differs in exact arithmetic (floating point agrees to ${maxDiff.toExponential(2)} relative to the row norms: a numerical near-collision, not a proof)`
        : `outputs differ (output ${i}; largest difference ${maxDiff.toExponential(2)} relative to the row norms)`,
    );
  }
  return {
    ...base,
    valid: true,
    exact: true,
    reason: "F(x1) = F(x2) exactly (rational arithmetic), x1 ≠ x2, both in the domain",
  };
}

/** Rows active (`<w_i, x> + b_i >= 0`) at a point, in floating point. */
export function activeRows(W: number[][], b: number[], x: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < W.length; i++) {
    let a = b[i];
    for (let j = 0; j < x.length; j++) a += W[i][j] * x[j];
    if (a >= 0) out.push(i);
  }
  return out;
}

/** An exact collision pair (rationals; dyadic when built from doubles). */
export interface ExactPair {
  x1: Fraction[];
  x2: Fraction[];
}

/**
 * Builds an exact witness at a point x: every row not orthogonal to v must be strictly negative at x,
 * where v is an exact integer vector orthogonal to the rows `flatRows` (a flat of rank < n). The pair
 * is x ∓ 2^−q·v with the largest power of two that keeps those rows negative (and, on the orthant,
 * the points nonnegative), at most about the size of x.
 * @param ints the integer layer (./exact.ts dyadicRows)
 * @param x a point, usually from the separation LP (its float values are taken exactly)
 * @param flatRows original row indices spanning the flat
 * @param hint a float direction; v is turned to agree with it in sign (cosmetic)
 * @returns the pair, or null when x does not make the rows off v^⊥ strictly negative exactly, or the
 *   rows span R^n
 */
export function exactPairAt(
  ints: IntegerLayer,
  domain: Domain,
  x: ArrayLike<number>,
  flatRows: readonly number[],
  hint?: ArrayLike<number>,
): ExactPair | null {
  const n = x.length;
  for (let j = 0; j < n; j++) if (!Number.isFinite(x[j])) return null;
  const v = flatNormal(ints, n, flatRows, hint);
  if (!v) return null;
  // Try x snapped to coarse dyadic grids first: with a small integer v the pair is then made of
  // doubles (a witness anyone can paste); the point itself only needs to be strictly feasible.
  let scale = 0;
  for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(x[j]));
  const top = scale > 0 ? Math.floor(Math.log2(scale)) : 0;
  // <w_i, v> does not depend on the point: computed once for the six tries (on a Gaussian layer v
  // has entries of hundreds of bits, and these products were most of the cost of a witness).
  const seen = seenBy(ints, v);
  // A pair of doubles needs every v_j to have at most 108 odd bits (see {@link mayGiveDoubles}):
  // on a Gaussian layer v has hundreds, and the tries would only cost.
  for (const bits of mayGiveDoubles(v) ? [8, 16, 24, 32, 40] : []) {
    const grid = 2 ** (top - bits);
    if (grid === 0 || !Number.isFinite(1 / grid)) continue;
    const snapped = Array.from({ length: n }, (_, j) => Math.round(x[j] / grid) * grid);
    const pair = pairAlong(ints, domain, snapped, v, { seen, doublesOnly: true });
    if (pair && pair.x1.every(isDouble) && pair.x2.every(isDouble)) return pair;
  }
  return pairAlong(ints, domain, x, v, { seen });
}

/**
 * Bit lengths of the exact products <w_i, v> (0 where row i does not see v), for the step bound of
 * {@link pairAtRational}.
 */
export function seenBy(ints: IntegerLayer, v: readonly bigint[]): Int32Array {
  const out = new Int32Array(ints.W.length);
  for (let i = 0; i < ints.W.length; i++) {
    const row = ints.W[i];
    let c = 0n;
    for (let j = 0; j < v.length; j++) if (row[j] !== 0n && v[j] !== 0n) c += row[j] * v[j];
    out[i] = bitLength(c);
  }
  return out;
}

/** Options of {@link pairAtRational} (and {@link pairAlong}) that only save time. */
export interface PairOptions {
  /** {@link seenBy}(ints, v), when the caller has it. */
  seen?: Int32Array;
  /**
   * Return null, before any fraction is built, when some coordinate of the pair is certainly not a
   * double (its odd part has more than 53 bits). Only for a denominator D that is a power of two,
   * as {@link pairAlong} makes it; a pair returned may still fail the exact test of being doubles.
   */
  doublesOnly?: boolean;
}

/** An exact integer normal of the flat spanned by `flatRows` (null when they span R^n). */
export function flatNormal(
  ints: IntegerLayer,
  n: number,
  flatRows: readonly number[],
  hint?: ArrayLike<number>,
): bigint[] | null {
  const rows = flatRows.map((i) => ints.W[i]);
  let v = integerOrthogonalVector(rows, n);
  if (!v) return null;
  // It is the vector ExactSpan gives; a guard: orthogonal to every row exactly, else that way.
  if (!v.some((e) => e !== 0n) || rows.some((row) => row.reduce((s, w, j) => s + w * v![j], 0n) !== 0n)) {
    const span = new ExactSpan(n);
    for (const row of rows) span.add(row);
    if (span.rank >= n) return null;
    v = span.orthogonalVector();
  }
  if (hint) {
    let dot = 0;
    for (let j = 0; j < n; j++) dot += Math.sign(Number(v[j])) * hint[j];
    if (dot < 0) v = v.map((e) => -e);
  }
  return v;
}

/** True when a rational is exactly a double. */
function isDouble(f: Fraction): boolean {
  const d = f.toNumber();
  return Number.isFinite(d) && Fraction.fromFloat(d).sub(f).isZero();
}

/**
 * The pair x ∓ 2^−q·v for a float point x and an exact direction v (see {@link exactPairAt}); null
 * when a row that sees v is not strictly negative at x, or (orthant) x has a negative entry or a
 * zero entry where v moves.
 */
export function pairAlong(
  ints: IntegerLayer,
  domain: Domain,
  x: ArrayLike<number>,
  v: readonly bigint[],
  options: PairOptions = {},
): ExactPair | null {
  const n = x.length;
  const xd = Array.from({ length: n }, (_, j) => dyadicOf(x[j]));
  // x = X / 2^E with integers X (E >= 0).
  let E = 0;
  for (const d of xd) if (d.num !== 0n) E = Math.max(E, -d.exp);
  const X = xd.map((d) => (d.num === 0n ? 0n : d.num << BigInt(d.exp + E)));
  return pairAtRational(ints, domain, X, 1n << BigInt(E), v, options);
}

/**
 * The pair x ∓ 2^−q·v for an exact rational point x = X / D (D > 0) and an exact direction v; null
 * when a row that sees v is not strictly negative at x, or (orthant) x has a negative entry or a
 * zero entry where v moves. q is the smallest that keeps every such row negative at both points
 * (bounds from bit lengths: 2^(len − 1) <= |z| < 2^len), and at least so large that the step is
 * about the size of x.
 */
export function pairAtRational(
  ints: IntegerLayer,
  domain: Domain,
  X: readonly bigint[],
  D: bigint,
  v: readonly bigint[],
  options: PairOptions = {},
): ExactPair | null {
  const n = X.length;
  const lenD = bitLength(D);
  const seen = options.seen;
  let q = -Infinity;
  for (let i = 0; i < ints.W.length; i++) {
    const row = ints.W[i];
    let lenC: number;
    if (seen) lenC = seen[i];
    else {
      let c = 0n;
      for (let j = 0; j < n; j++) if (row[j] !== 0n && v[j] !== 0n) c += row[j] * v[j];
      lenC = bitLength(c);
    }
    if (lenC === 0) continue;
    let A = ints.b[i] * D;
    for (let j = 0; j < n; j++) if (row[j] !== 0n && X[j] !== 0n) A += row[j] * X[j];
    if (A >= 0n) return null;
    // |c|·2^−q < |A| / D.
    q = Math.max(q, lenC + lenD - (bitLength(A) - 1));
  }
  if (domain === "nonnegative") {
    for (let j = 0; j < n; j++) {
      if (X[j] < 0n) return null;
      if (v[j] === 0n) continue;
      if (X[j] === 0n) return null;
      // 2^−q·|v_j| <= X_j / D.
      q = Math.max(q, bitLength(v[j]) + lenD - (bitLength(X[j]) - 1));
    }
  }
  // Without constraints, a step of about max(1, ‖x‖∞) / 2.
  let vMax = 0;
  for (const e of v) vMax = Math.max(vMax, bitLength(e));
  if (vMax === 0) return null;
  let xScale = 0;
  for (const e of X) xScale = Math.max(xScale, bitLength(e) - lenD);
  q = Math.max(q, vMax - Math.max(0, xScale) + 1);
  // x ∓ 2^−q v = (X·2^q ∓ D·v) / (D·2^q) for q >= 0, (X ∓ D·v·2^−q) / D for q < 0.
  if (options.doublesOnly) {
    // With D a power of two each coordinate is (odd part)·2^e, and a double has at most 53 odd bits.
    for (let j = 0; j < n; j++) {
      const base = q >= 0 ? X[j] << BigInt(q) : X[j];
      const step = q >= 0 ? D * v[j] : (D * v[j]) << BigInt(-q);
      if (oddBits(base - step) > 53 || oddBits(base + step) > 53) return null;
    }
  }
  const x1: Fraction[] = [];
  const x2: Fraction[] = [];
  for (let j = 0; j < n; j++) {
    if (q >= 0) {
      const base = X[j] << BigInt(q);
      const step = D * v[j];
      const den = D << BigInt(q);
      x1.push(new Fraction(base - step, den));
      x2.push(new Fraction(base + step, den));
    } else {
      const step = (D * v[j]) << BigInt(-q);
      x1.push(new Fraction(X[j] - step, D));
      x2.push(new Fraction(X[j] + step, D));
    }
  }
  return { x1, x2 };
}

/**
 * False when no point x gives a pair x ∓ 2^−q·v of doubles, for any q: some v_j has more than 108
 * odd bits. In {@link pairAtRational} with D a power of two, coordinate j of the pair is
 * (B ∓ S) / 2^k with B = X_j·2^max(q, 0) (at most 53 odd bits, X_j from a double) and S = v_j times a
 * power of two. If B − S = a·2^s and B + S = c·2^t (a, c odd, below 2^53) and |s − t| > 54, then
 * 2B = 2^min(s,t)·(odd number of more than 54 bits), which B does not have; so |s − t| <= 54 and
 * 2S = (B + S) − (B − S) has at most 53 + 54 + 1 odd bits (the case B ∓ S = 0 gives S = ±B).
 */
export function mayGiveDoubles(v: readonly bigint[]): boolean {
  for (const e of v) if (oddBits(e) > 108) return false;
  return true;
}

/** Bits from the lowest to the highest set bit of |N| (0 for N = 0). */
function oddBits(N: bigint): number {
  if (N === 0n) return 0;
  const a = N < 0n ? -N : N;
  return bitLength(a) - bitLength(a & -a) + 1;
}

/** A rational as the exact fraction string "p/q" (or "p"). */
export function fractionString(f: Fraction): string {
  return f.toString();
}

/**
 * Assembles the public {@link Witness} of an exact pair and re-checks it independently
 * ({@link checkExactPair}). The active rows and their rank are exact.
 * @returns the witness, or null when the exact re-check fails (a bug guard: the pair is built to pass)
 */
export function describeExactWitness(
  ints: IntegerLayer,
  W: number[][],
  b: number[],
  pair: ExactPair,
  domain: Domain,
  tolerance: number,
): Witness | null {
  const pre: { a1?: bigint[]; a2?: bigint[] } = {};
  const check = checkExactPair(ints, W, b, pair.x1, pair.x2, domain, tolerance, pre);
  if (!check.valid || !pre.a1 || !pre.a2) return null;
  const x1 = pair.x1.map((f) => f.toNumber());
  const x2 = pair.x2.map((f) => f.toNumber());
  const representable = pair.x1.every(isDouble) && pair.x2.every(isDouble);
  const d = x2.map((v, j) => v - x1[j]);
  const dn = norm2(d) || 1;
  // Active at both points (exactly): rows with W x + b >= 0 at x1 and at x2 (Q > 0 keeps the signs).
  const { a1, a2 } = pre;
  const active: number[] = [];
  for (let i = 0; i < a1.length; i++) if (a1[i] >= 0n && a2[i] >= 0n) active.push(i);
  // Exact rank: full rank mod p (the usual case) proves it at once, else rational elimination.
  const activeRank = exactRankBudgeted(
    active.map((i) => ints.W[i]),
    W[0].length,
  );
  return {
    x1,
    x2,
    ...(representable ? {} : { exactX1: pair.x1.map(fractionString), exactX2: pair.x2.map(fractionString) }),
    direction: d.map((v) => v / dn),
    activeRows: active,
    activeRank,
    maxOutputDifference: check.maxOutputDifference,
    separation: check.separation,
    exact: true,
  };
}
