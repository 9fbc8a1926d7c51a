/**
 * Exact rational arithmetic (BigInt) for re-checking verdicts beyond floating point.
 *
 * Every float is a dyadic rational m·2^e, so a forward pass on float inputs can be evaluated
 * exactly. Rows whose entries become integers after scaling by a power of two (integer matrices,
 * halves, quarters, …) are "integral": injectivity is invariant under positive row scaling, so
 * ranks, spans and Motzkin duals of such layers are decided exactly over the rationals here.
 */

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
    const g = gcd(num < 0n ? -num : num, den);
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
  toNumber(): number {
    return Number(this.num) / Number(this.den);
  }
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Exact decomposition f = mant · 2^exp of a finite float (mant an integer). */
export function floatToDyadic(f: number): { mant: bigint; exp: number } {
  if (!Number.isFinite(f)) throw new Error(`floatToDyadic: not finite: ${f}`);
  if (f === 0) return { mant: 0n, exp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, f);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  while (mant !== 0n && (mant & 1n) === 0n) {
    mant >>= 1n;
    exp++;
  }
  return { mant: sign * mant, exp };
}

/**
 * Scales each row (with its bias) by a power of two so that all entries become integers.
 * @param maxBits the largest power of two allowed per row
 * @returns the integer rows and biases, or null when some entry is not a dyadic rational with at
 *   most `maxBits` fractional bits or exceeds 2^60 after scaling
 */
export function integralRows(
  W: number[][],
  b: number[],
  maxBits = 40,
): { W: bigint[][]; b: bigint[] } | null {
  const outW: bigint[][] = [];
  const outB: bigint[] = [];
  for (let i = 0; i < W.length; i++) {
    const entries = [...W[i], b[i]];
    let shift = 0;
    for (const v of entries) {
      if (v === 0) continue;
      const { exp } = floatToDyadic(v);
      if (exp < 0) shift = Math.max(shift, -exp);
    }
    if (shift > maxBits) return null;
    const scaled = entries.map((v) => {
      const { mant, exp } = floatToDyadic(v);
      return mant << BigInt(exp + shift);
    });
    if (scaled.some((v) => (v < 0n ? -v : v) > 1n << 60n)) return null;
    outB.push(scaled.pop() as bigint);
    outW.push(scaled);
  }
  return { W: outW, b: outB };
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

/** The smallest integer multiple of a rational vector (denominators cleared, common factor removed). */
export function toIntegerVector(x: readonly Fraction[]): bigint[] {
  let l = 1n;
  for (const e of x) l = (l / gcd(l, e.den)) * e.den;
  const ints = x.map((e) => (e.num * l) / e.den);
  let g = 0n;
  for (const v of ints) g = gcd(g, v < 0n ? -v : v);
  return g > 1n ? ints.map((v) => v / g) : ints;
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
