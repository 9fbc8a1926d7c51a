/**
 * Exact rational arithmetic (BigInt) for re-checking verdicts beyond floating point.
 *
 * Every finite double is a dyadic rational m·2^e, so a layer and a float input are exact rationals,
 * and a forward pass on them can be evaluated exactly. Each row (with its bias) times a power of
 * two is integral ({@link dyadicRows}); injectivity is invariant under positive row scaling, so
 * ranks, spans and Motzkin duals of any layer given in doubles are decided exactly over the
 * rationals here.
 */

import type { Budget } from "./budget.js";
import { PRIMES, modRank } from "./modular.js";
import { countNonzeros, sparseModRank, sparseResidues } from "./sparse-rank.js";

/** A rational number num/den with den > 0 and gcd(num, den) = 1. */
export class Fraction {
  readonly num: bigint;
  readonly den: bigint;
  constructor(num: bigint, den: bigint = 1n) {
    if (den === 0n) throw new Error("Fraction: zero denominator");
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    const g = gcdBigint(num < 0n ? -num : num, den);
    this.num = g > 1n ? num / g : num;
    this.den = g > 1n ? den / g : den;
  }
  static readonly ZERO = new Fraction(0n);
  static readonly ONE = new Fraction(1n);
  /** The exact value of a finite float. */
  static fromFloat(f: number): Fraction {
    const { mant, exp } = floatToDyadic(f);
    return exp >= 0 ? new Fraction(mant << BigInt(exp)) : new Fraction(mant, 1n << BigInt(-exp));
  }
  add(o: Fraction): Fraction {
    return new Fraction(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Fraction): Fraction {
    return new Fraction(this.num * o.den - o.num * this.den, this.den * o.den);
  }
  mul(o: Fraction): Fraction {
    return new Fraction(this.num * o.num, this.den * o.den);
  }
  div(o: Fraction): Fraction {
    return new Fraction(this.num * o.den, this.den * o.num);
  }
  neg(): Fraction {
    return new Fraction(-this.num, this.den);
  }
  sign(): number {
    return this.num > 0n ? 1 : this.num < 0n ? -1 : 0;
  }
  isZero(): boolean {
    return this.num === 0n;
  }
  /** The nearest double, roughly (within a few ulps), also when num or den exceed the double range. */
  toNumber(): number {
    return ratioToNumber(this.num, this.den);
  }
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }
}

/** num / den as a double (within a few ulps), for den > 0, also beyond the double range of either. */
export function ratioToNumber(num: bigint, den: bigint): number {
  const a = num < 0n ? -num : num;
  if (a === 0n) return 0;
  if (a < 1n << 1000n && den < 1n << 1000n) return Number(num) / Number(den);
  const sa = Math.max(0, bitLength(a) - 64);
  const sd = Math.max(0, bitLength(den) - 64);
  const q = Number(a >> BigInt(sa)) / Number(den >> BigInt(sd));
  const e = sa - sd;
  const h = Math.trunc(e / 2);
  const v = q * 2 ** h * 2 ** (e - h);
  return num < 0n ? -v : v;
}

/**
 * gcd(|a|, |b|) (0 for gcd(0, 0)). The one gcd of the exact code. Dyadic rationals make one argument
 * a power of two most of the time (a double's denominator, a witness's 2^q), where the answer is
 * the lower of that power and the other argument's lowest set bit: no division at all (Euclid's
 * loop on a 600-bit numerator and 2^k was a third of an easy layer's check, docs/benchmarks.md).
 */
export function gcdBigint(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  if (a === 0n) return b;
  if (b === 0n) return a;
  if ((b & (b - 1n)) === 0n) {
    const low = a & -a;
    return low < b ? low : b;
  }
  if ((a & (a - 1n)) === 0n) {
    const low = b & -b;
    return low < a ? low : a;
  }
  if (a < b) [a, b] = [b, a];
  // Lehmer's algorithm while a is large: the quotients of Euclid's steps are predicted from the
  // leading 50 bits of a and b, and a run of them is applied at once as a 2 × 2 matrix (about 25
  // bigint steps in one). The matrix has determinant ±1 whatever the predictions, so the pair keeps
  // its gcd; a run that gives no step falls back to one division.
  while (b !== 0n && a >= LEHMER_FROM) {
    const shift = BigInt(bitLength(a) - 50);
    let x = Number(a >> shift);
    let y = Number(b >> shift);
    let A = 1;
    let B = 0;
    let C = 0;
    let D = 1;
    // Knuth's condition: the quotient is certain when both ends of its interval agree. Every number
    // here is an integer below 2^51, so each quotient and product is exact in a double.
    while (y + C !== 0 && y + D !== 0) {
      const q = Math.floor((x + A) / (y + C));
      if (q !== Math.floor((x + B) / (y + D))) break;
      [A, C] = [C, A - q * C];
      [B, D] = [D, B - q * D];
      [x, y] = [y, x - q * y];
    }
    if (B === 0) [a, b] = [b, a % b];
    else {
      const a2 = BigInt(A) * a + BigInt(B) * b;
      const b2 = BigInt(C) * a + BigInt(D) * b;
      a = a2 < 0n ? -a2 : a2;
      b = b2 < 0n ? -b2 : b2;
      if (a < b) [a, b] = [b, a];
    }
  }
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** {@link gcdBigint} uses Lehmer's steps while the larger number has at least this many bits. */
const LEHMER_FROM = 1n << 128n;

/** Exact decomposition f = mant · 2^exp of a finite float (mant an integer). */
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function floatToDyadic(f: number): { mant: bigint; exp: number } {
  if (!Number.isFinite(f)) throw new Error(`floatToDyadic: not finite: ${f}`);
  if (f === 0) return { mant: 0n, exp: 0 };
  // A float whose magnitude is an integer below 2^53 is its own mantissa (the common case).
  if (Number.isSafeInteger(f)) {
    let m = Math.abs(f);
    let e = 0;
    while (m % 2 === 0) {
      m /= 2;
      e++;
    }
    return { mant: BigInt(f < 0 ? -m : m), exp: e };
  }
  F64[0] = f;
  const hi = U32[LITTLE_ENDIAN ? 1 : 0];
  let lo = U32[LITTLE_ENDIAN ? 0 : 1];
  const negative = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let top = hi & 0xfffff;
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    top |= 0x100000;
    exp = biased - 1075;
  }
  // Strip trailing zero bits in number arithmetic (top < 2^21, lo < 2^32), then one BigInt.
  if (lo === 0) {
    lo = top;
    top = 0;
    exp += 32;
  }
  const tz = 31 - Math.clz32(lo & -lo);
  exp += tz;
  const value = top * 2 ** (32 - tz) + Math.floor(lo / 2 ** tz);
  return { mant: BigInt(negative ? -value : value), exp };
}

/**
 * The exponent of the lowest set bit of a finite double: f = odd · 2^e (Infinity for 0). The
 * exponent {@link floatToDyadic} gives, without building its bigint.
 */
export function lowBitExponent(f: number): number {
  if (f === 0) return Infinity;
  if (!Number.isFinite(f)) throw new Error(`lowBitExponent: not finite: ${f}`);
  F64[0] = f;
  const hi = U32[LITTLE_ENDIAN ? 1 : 0];
  const lo = U32[LITTLE_ENDIAN ? 0 : 1];
  const biased = (hi >>> 20) & 0x7ff;
  const exp = biased === 0 ? -1074 : biased - 1075;
  if (lo !== 0) return exp + 31 - Math.clz32(lo & -lo);
  const top = (hi & 0xfffff) | (biased === 0 ? 0 : 0x100000);
  return exp + 32 + 31 - Math.clz32(top & -top);
}

/** A layer with integer rows: row i (with its bias) of the original layer times a power of two. */
export interface IntegerLayer {
  W: bigint[][];
  b: bigint[];
  /** Row i of the integer layer is row i of the original times 2^shift[i] (bias included). */
  shift: number[];
}

/**
 * The exact integer form of a layer. Every finite double is a dyadic rational m·2^e, so each row
 * (with its bias) scaled by a power of two is integral; injectivity, spans, duals and collisions do
 * not change under positive row scaling. Always succeeds for finite input; entries can have up to
 * about 2,100 bits when a row mixes 1e308 and 5e-324.
 * @param onRow called after each row (to honour a time limit on huge layers)
 */
export function dyadicRows(W: number[][], b: number[], onRow?: (i: number) => void): IntegerLayer {
  const outW: bigint[][] = [];
  const outB: bigint[] = [];
  const shift: number[] = [];
  for (let i = 0; i < W.length; i++) {
    // The usual row: scaled by 2^−minExp, every entry is an integer-valued double (a power-of-two
    // scaling is exact), which BigInt() takes exactly: no decomposition object per entry.
    const row = W[i];
    let minExp = lowBitExponent(b[i]);
    let maxAbs = Math.abs(b[i]);
    for (let j = 0; j < row.length; j++) {
      const e = lowBitExponent(row[j]);
      if (e < minExp) minExp = e;
      const a = Math.abs(row[j]);
      if (a > maxAbs) maxAbs = a;
    }
    if (minExp === Infinity) minExp = 0;
    if (minExp >= -1000 && minExp <= 1000 && maxAbs * 2 ** -minExp < 2 ** 1000) {
      const scale = 2 ** -minExp;
      outW.push(row.map((f) => (f === 0 ? 0n : BigInt(f * scale))));
      outB.push(b[i] === 0 ? 0n : BigInt(b[i] * scale));
      shift.push(minExp === 0 ? 0 : -minExp);
      onRow?.(i);
      continue;
    }
    const parts = W[i].map(floatToDyadic);
    parts.push(floatToDyadic(b[i]));
    const scaled = parts.map((p) => (p.mant === 0n ? 0n : p.mant << BigInt(p.exp - minExp)));
    outB.push(scaled.pop() as bigint);
    outW.push(scaled);
    shift.push(minExp === 0 ? 0 : -minExp);
    onRow?.(i);
  }
  return { W: outW, b: outB, shift };
}

/** |x| for a bigint. */
export function absBig(x: bigint): bigint {
  return x < 0n ? -x : x;
}

/** Number of bits of |x| (0 for 0): 2^(bitLength − 1) <= |x| < 2^bitLength. */
export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  if (x === 0n) return 0;
  // Number() is exact enough to find the length up to one; correct it exactly.
  let len = x < 1n << 1000n ? Math.floor(Math.log2(Number(x))) + 1 : x.toString(16).length * 4;
  while (len > 0 && x >> BigInt(len - 1) === 0n) len--;
  while (x >> BigInt(len) !== 0n) len++;
  return len;
}

/** A dyadic rational num · 2^exp (the exact value of a float, or of a point built from floats). */
export interface Dyadic {
  num: bigint;
  exp: number;
}

/** The exact value of a finite float as a {@link Dyadic}. */
export function dyadicOf(f: number): Dyadic {
  const { mant, exp } = floatToDyadic(f);
  return { num: mant, exp: mant === 0n ? 0 : exp };
}

/** The double nearest to a dyadic rational (±Infinity beyond the double range). */
export function dyadicToNumber(d: Dyadic): number {
  if (d.num === 0n) return 0;
  let { num, exp } = d;
  const len = bitLength(num);
  if (len > 64) {
    // Keep 64 significant bits (the rounding below is then to 53 bits of those).
    const drop = len - 64;
    num >>= BigInt(drop);
    exp += drop;
  }
  const m = Number(num);
  // Apply 2^exp in two steps so that neither factor overflows or underflows needlessly.
  const h = Math.trunc(exp / 2);
  return m * 2 ** h * 2 ** (exp - h);
}

/** True when the dyadic rational is exactly a double. */
export function isExactDouble(d: Dyadic): boolean {
  const f = dyadicToNumber(d);
  if (!Number.isFinite(f)) return false;
  const back = dyadicOf(f);
  return compareDyadic(back, d) === 0;
}

/** Sign of a − b for dyadic rationals (exact). */
export function compareDyadic(a: Dyadic, b: Dyadic): number {
  const e = Math.min(a.exp, b.exp);
  const x = a.num << BigInt(a.exp - e);
  const y = b.num << BigInt(b.exp - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The exact value as a Fraction. */
export function dyadicToFraction(d: Dyadic): Fraction {
  return d.exp >= 0 ? new Fraction(d.num << BigInt(d.exp)) : new Fraction(d.num, 1n << BigInt(-d.exp));
}

/**
 * Parses an exact rational: an integer ("-12"), a decimal with optional exponent ("0.1", "-1.5e-3",
 * read exactly, so "0.1" is 1/10), or a fraction "p/q".
 * @returns null when the text is none of these
 */
export function parseRational(text: string): Fraction | null {
  const t = text.trim();
  const frac = /^([+-]?\d+)\s*\/\s*(\d+)$/.exec(t);
  if (frac) {
    const q = BigInt(frac[2]);
    return q === 0n ? null : new Fraction(BigInt(frac[1]), q);
  }
  const dec = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!dec || (dec[2] === "" && (dec[3] ?? "") === "")) return null;
  const digits = (dec[2] || "0") + (dec[3] ?? "");
  const e = Number(dec[4] ?? 0) - (dec[3] ?? "").length;
  if (!Number.isSafeInteger(e) || Math.abs(e) > 100_000) return null;
  let num = BigInt(digits);
  if (dec[1] === "-") num = -num;
  return e >= 0 ? new Fraction(num * 10n ** BigInt(e)) : new Fraction(num, 10n ** BigInt(-e));
}

/** The exact value of a number, or of a string read by {@link parseRational}; null when neither. */
export function toFraction(v: unknown): Fraction | null {
  if (typeof v === "number") return Number.isFinite(v) ? Fraction.fromFloat(v) : null;
  if (typeof v === "string") return parseRational(v);
  return null;
}

/** Exact dot product of an integer row with a rational vector. */
export function dotExact(row: readonly bigint[], x: readonly Fraction[]): Fraction {
  let s = Fraction.ZERO;
  for (let j = 0; j < row.length; j++) if (row[j] !== 0n) s = s.add(x[j].mul(new Fraction(row[j])));
  return s;
}

/**
 * An exact linear span, kept in row-echelon form over the rationals.
 * Used to decide exactly whether a row lies in the span of others.
 */
export class ExactSpan {
  private readonly basis: { pivot: number; row: Fraction[] }[] = [];
  constructor(readonly n: number) {}
  get rank(): number {
    return this.basis.length;
  }
  /** The residual of v after elimination against the basis (zero iff v is in the span). */
  reduce(v: readonly (bigint | Fraction)[]): Fraction[] {
    const r = v.map((e) => (typeof e === "bigint" ? new Fraction(e) : e));
    for (const { pivot, row } of this.basis) {
      const f = r[pivot];
      if (f.isZero()) continue;
      for (let j = 0; j < this.n; j++) if (!row[j].isZero()) r[j] = r[j].sub(f.mul(row[j]));
    }
    return r;
  }
  contains(v: readonly (bigint | Fraction)[]): boolean {
    return this.reduce(v).every((e) => e.isZero());
  }
  /** Adds v; returns false (and adds nothing) when v is already in the span. */
  add(v: readonly (bigint | Fraction)[]): boolean {
    const r = this.reduce(v);
    const pivot = r.findIndex((e) => !e.isZero());
    if (pivot < 0) return false;
    const inv = Fraction.ONE.div(r[pivot]);
    const row = r.map((e) => e.mul(inv));
    // Keep the basis fully reduced at the new pivot.
    for (const b of this.basis) {
      const f = b.row[pivot];
      if (!f.isZero()) for (let j = 0; j < this.n; j++) b.row[j] = b.row[j].sub(f.mul(row[j]));
    }
    this.basis.push({ pivot, row });
    return true;
  }
  clone(): ExactSpan {
    const s = new ExactSpan(this.n);
    for (const b of this.basis) s.basis.push({ pivot: b.pivot, row: b.row.slice() });
    return s;
  }
  /** A nonzero integer vector orthogonal to the span (requires rank < n). */
  orthogonalVector(): bigint[] {
    const pivots = new Set(this.basis.map((b) => b.pivot));
    const free = [...Array(this.n).keys()].find((j) => !pivots.has(j));
    if (free === undefined) throw new Error("ExactSpan.orthogonalVector(): the span is everything");
    // Solve basis · x = 0 with x_free = 1 and the other free variables 0: in reduced echelon form
    // each pivot variable is then x_pivot = −row[free].
    const x: Fraction[] = new Array(this.n).fill(Fraction.ZERO);
    x[free] = Fraction.ONE;
    for (const { pivot, row } of this.basis) x[pivot] = row[free].neg();
    return toIntegerVector(x);
  }
}

/**
 * The same vector as `ExactSpan.orthogonalVector()` after adding `rows` (null when they span R^n),
 * by fraction-free elimination (Bareiss) to echelon form and a back substitution: every entry of
 * the echelon form is a minor of the rows, so each division is exact and no fraction (no gcd) is
 * formed until the end. With k dense rows of b bits the entries stay below about k·b bits; on
 * Gaussian layers at n = 10–12 this is 20–50 times faster than the rational elimination, which
 * reduces a fraction at every step (and the echelon form does about a third of the updates of a
 * Gauss–Jordan elimination).
 *
 * The pivot columns are the leftmost independent ones (as ExactSpan's, whose pivot is the first
 * nonzero entry of each residual), the free column is the first other one (every other free column
 * is 0), and the result is the primitive integer vector with a positive entry there: the same
 * vector.
 */
export function integerOrthogonalVector(rows: readonly (readonly bigint[])[], n: number): bigint[] | null {
  const A = rows.map((r) => r.slice(0, n));
  const k = A.length;
  const pivotCols: number[] = [];
  let prev = 1n;
  let r = 0;
  for (let col = 0; col < n && r < k; col++) {
    let p = r;
    while (p < k && A[p][col] === 0n) p++;
    if (p === k) continue;
    if (p !== r) [A[p], A[r]] = [A[r], A[p]];
    const pr = A[r];
    const piv = pr[col];
    // Below the pivot: a_ij ← (piv·a_ij − a_i,col·a_rj) / prev, an exact division (Bareiss).
    for (let i = r + 1; i < k; i++) {
      const row = A[i];
      const f = row[col];
      for (let j = col + 1; j < n; j++) {
        const x = row[j];
        const y = pr[j];
        if (f === 0n || y === 0n) row[j] = x === 0n ? 0n : (piv * x) / prev;
        else row[j] = (piv * x - f * y) / prev;
      }
      row[col] = 0n;
    }
    prev = piv;
    pivotCols.push(col);
    r++;
  }
  if (pivotCols.length >= n) return null;
  const isPivot = new Uint8Array(n);
  for (const c of pivotCols) isPivot[c] = 1;
  let free = 0;
  while (isPivot[free]) free++;
  // v_free = d (the last pivot: the pivot rows' minor on the pivot columns, up to sign), the other
  // free columns 0; then the pivot columns from the bottom row up. By Cramer's rule every v_j is an
  // integer, so each division below is exact.
  const d = prev;
  const v = new Array<bigint>(n).fill(0n);
  v[free] = d;
  for (let t = pivotCols.length - 1; t >= 0; t--) {
    const row = A[t];
    const c = pivotCols[t];
    let s = 0n;
    for (let j = c + 1; j < n; j++) if (row[j] !== 0n && v[j] !== 0n) s += row[j] * v[j];
    v[c] = -s / row[c];
  }
  let g = 0n;
  for (const e of v) g = gcdBigint(g, e < 0n ? -e : e);
  const sign = d < 0n ? -1n : 1n;
  return v.map((e) => (e / g) * sign);
}

/** The smallest integer multiple of a rational vector (denominators cleared, common factor removed). */
export function toIntegerVector(x: readonly Fraction[]): bigint[] {
  let l = 1n;
  for (const e of x) l = (l / gcdBigint(l, e.den)) * e.den;
  const ints = x.map((e) => (e.num * l) / e.den);
  let g = 0n;
  for (const v of ints) g = gcdBigint(g, v < 0n ? -v : v);
  return g > 1n ? ints.map((v) => v / g) : ints;
}

/**
 * Largest fraction of nonzero entries for which {@link exactRankBudgeted} eliminates mod p on sparse
 * rows (./sparse-rank.ts) rather than densely (measured: docs/benchmarks.md, "Sparse rank").
 */
export const SPARSE_RANK_MAX_DENSITY = 0.5;

/**
 * Exact rank of integer rows, fast when the rows have full rank: the rank mod a prime is a lower
 * bound, so a full rank mod p is the answer; otherwise rational elimination decides. The rank mod
 * p is taken by sparse elimination when at most {@link SPARSE_RANK_MAX_DENSITY} of the entries are
 * nonzero (convolutions), densely otherwise; both give the same number.
 * @param budget checked between pivots and rows (the stage is named "the exact rank")
 */
export function exactRankBudgeted(rows: readonly (readonly bigint[])[], n: number, budget?: Budget): number {
  const full = Math.min(rows.length, n);
  const p = PRIMES[0];
  const nnz = countNonzeros(rows, n);
  const rankModP =
    nnz <= SPARSE_RANK_MAX_DENSITY * rows.length * n
      ? sparseModRank(sparseResidues(rows, n, p, nnz), p, budget)
      : modRank(rows, n, p, budget);
  if (rankModP === full) return full;
  const s = new ExactSpan(n);
  for (const r of rows) {
    budget?.check("the exact rank");
    s.add(r);
    if (s.rank === n) break;
  }
  return s.rank;
}

/**
 * An exact nonzero integer vector v with W v = 0, for integer rows of rank < n (a null vector).
 * With fewer rows than columns (m < n), the kernel of the first m + 1 columns, padded with zeros,
 * is one: that costs O(m³) instead of O(m²·n) for very wide layers.
 * @throws Error when the rows have rank n (no null vector)
 */
export function exactNullVector(rows: readonly (readonly bigint[])[], n: number, budget?: Budget): bigint[] {
  const k = rows.length < n ? rows.length + 1 : n;
  const s = new ExactSpan(k);
  for (const r of rows) {
    budget?.check("the null-space witness");
    if (s.add(k === n ? r : r.slice(0, k)) && s.rank === k) break;
  }
  const v = s.orthogonalVector();
  return k === n ? v : [...v, ...new Array<bigint>(n - k).fill(0n)];
}

/** Exact rank of integer rows. */
export function exactRank(rows: readonly (readonly bigint[])[], n: number): number {
  const s = new ExactSpan(n);
  for (const r of rows) s.add(r);
  return s.rank;
}

/**
 * Solves the linear system M y = e exactly (M of shape (p, q) over the rationals). Free variables
 * take the given hint values (rounded to exact rationals), pivot variables are solved for.
 * @returns y, or null when the system is inconsistent
 */
export function solveExact(M: Fraction[][], e: Fraction[], hint: ArrayLike<number>): Fraction[] | null {
  const p = M.length;
  const q = M[0]?.length ?? 0;
  const A = M.map((row, i) => [...row, e[i]]);
  const pivotCols: number[] = [];
  let r = 0;
  for (let c = 0; c < q && r < p; c++) {
    let piv = -1;
    for (let i = r; i < p; i++) if (!A[i][c].isZero()) piv = i;
    if (piv < 0) continue;
    [A[r], A[piv]] = [A[piv], A[r]];
    const inv = Fraction.ONE.div(A[r][c]);
    A[r] = A[r].map((v) => v.mul(inv));
    for (let i = 0; i < p; i++) {
      if (i === r || A[i][c].isZero()) continue;
      const f = A[i][c];
      A[i] = A[i].map((v, j) => v.sub(f.mul(A[r][j])));
    }
    pivotCols.push(c);
    r++;
  }
  for (let i = r; i < p; i++) if (!A[i][q].isZero()) return null;
  const y: Fraction[] = new Array(q);
  const isPivot = new Set(pivotCols);
  for (let c = 0; c < q; c++) if (!isPivot.has(c)) y[c] = roundToFraction(hint[c] ?? 0);
  pivotCols.forEach((c, i) => {
    let v = A[i][q];
    for (let j = 0; j < q; j++) if (!isPivot.has(j) && !A[i][j].isZero()) v = v.sub(A[i][j].mul(y[j]));
    y[c] = v;
  });
  return y;
}

/** A nearby simple rational (denominator 2^30) of a float. */
function roundToFraction(f: number): Fraction {
  return new Fraction(BigInt(Math.round(f * 2 ** 30)), 1n << 30n);
}

/**
 * Solves M y = e over the rationals for integer M (shape p × q) and e, fraction-free: integer
 * Gauss–Jordan elimination with Bareiss's exact divisions, so that no rational is normalized per
 * operation. Free variables take the hint values exactly (doubles are dyadic rationals); pivot
 * variables are solved for.
 * @returns y as integers Y over one positive denominator L (y = Y / L), or null when inconsistent
 */
export function solveIntegerSystem(
  M: readonly (readonly bigint[])[],
  e: readonly bigint[],
  hint: ArrayLike<number> | readonly Fraction[] | ((column: number) => Fraction),
): { Y: bigint[]; L: bigint } | null {
  const p = M.length;
  const q = M[0]?.length ?? 0;
  const A = M.map((row, i) => [...row, e[i]]);
  const pivotCols: number[] = [];
  let r = 0;
  // Fraction-free Gauss–Jordan (one-step Bareiss on every other row): after each step every entry
  // is a minor of [M e], and the division by the previous pivot is exact.
  let prev = 1n;
  for (let c = 0; c < q && r < p; c++) {
    let piv = -1;
    for (let i = r; i < p; i++)
      if (A[i][c] !== 0n && (piv < 0 || absBig(A[i][c]) < absBig(A[piv][c]))) piv = i;
    if (piv < 0) continue;
    [A[r], A[piv]] = [A[piv], A[r]];
    const pr = A[r];
    const a = pr[c];
    for (let i = 0; i < p; i++) {
      if (i === r) continue;
      const row = A[i];
      const f = row[c];
      for (let j = 0; j <= q; j++) {
        const v = a * row[j] - f * pr[j];
        row[j] = prev === 1n ? v : v / prev;
      }
    }
    prev = a;
    pivotCols.push(c);
    r++;
  }
  for (let i = r; i < p; i++) if (A[i][q] !== 0n) return null;
  const isPivot = new Uint8Array(q);
  for (const c of pivotCols) isPivot[c] = 1;
  // Free variables take the hint values exactly (doubles are dyadic): y_f = h_f / S, S = lcm of
  // their denominators. Pivot row i: P_i y_c + Σ_f A_if h_f / S = A_iq.
  // (Hints are only read for free variables: a basic solution has none, and then costs nothing.)
  const free: Fraction[] = Array.from({ length: q }, (_, c) => {
    if (isPivot[c]) return Fraction.ZERO;
    const v = typeof hint === "function" ? hint(c) : (hint[c] ?? 0);
    if (v instanceof Fraction) return v;
    return Number.isFinite(v) ? Fraction.fromFloat(v) : Fraction.ZERO;
  });
  let S = 1n;
  for (const f of free) if (f.num !== 0n) S = (S / gcdBigint(S, f.den)) * f.den;
  const h: bigint[] = free.map((f) => (f.num === 0n ? 0n : f.num * (S / f.den)));
  // Common denominator L = S · lcm(P_i) (made positive).
  let lcmP = 1n;
  for (let i = 0; i < r; i++) {
    const P = absBig(A[i][pivotCols[i]]);
    lcmP = (lcmP / gcdBigint(lcmP, P)) * P;
  }
  const L = S * lcmP;
  const Y: bigint[] = h.map((v, c) => (isPivot[c] ? 0n : v * (L / S)));
  for (let i = 0; i < r; i++) {
    const c = pivotCols[i];
    const P = A[i][c];
    let num = A[i][q] * S;
    for (let f = 0; f < q; f++) if (!isPivot[f] && A[i][f] !== 0n) num -= A[i][f] * h[f];
    // y_c = num / (S · P) = num · (L / (S · P)) / L
    Y[c] = num * (L / (S * absBig(P))) * (P < 0n ? -1n : 1n);
  }
  return { Y, L };
}
