/**
 * An independent EXACT reference for injectivity of F(x) = ReLU(Wx + b), used ONLY by tests, for
 * small layers (n <= 4, m <= 9). It shares no code with src/: its own rationals, its own
 * elimination, and Fourier–Motzkin elimination instead of linear programming.
 *
 * Theorem 1 (with bias; Remark 1 for the orthant): F is NOT injective on D iff some flat S of the
 * rows (the span of at most n − 1 rows, so of rank < n; S = {0} included) has a point x in the
 * interior of D where every row off S is strictly negative. Each such strict system is decided by
 * Fourier–Motzkin elimination, which is exact for strict inequalities: a nonnegative combination of
 * strict inequalities is strict, and the system is feasible iff no combination gives 0 < c <= 0.
 */

/** A rational p/q (q > 0), reduced. */
export class Q {
  readonly p: bigint;
  readonly q: bigint;
  constructor(p: bigint, q: bigint = 1n) {
    if (q === 0n) throw new Error("Q: zero denominator");
    if (q < 0n) [p, q] = [-p, -q];
    let a = p < 0n ? -p : p;
    let b = q;
    while (b !== 0n) [a, b] = [b, a % b];
    this.p = a > 1n ? p / a : p;
    this.q = a > 1n ? q / a : q;
  }
  /** The exact value of a finite double. */
  static of(x: number): Q {
    if (!Number.isFinite(x)) throw new Error(`Q.of: ${x}`);
    if (x === 0) return new Q(0n);
    // x = m · 2^e exactly: scale by 2 until integral (at most 1074 + 53 steps).
    let e = 0;
    let y = x;
    while (!Number.isInteger(y)) {
      y *= 2;
      e++;
    }
    return new Q(BigInt(y), 1n << BigInt(e));
  }
  add(o: Q): Q {
    return new Q(this.p * o.q + o.p * this.q, this.q * o.q);
  }
  sub(o: Q): Q {
    return new Q(this.p * o.q - o.p * this.q, this.q * o.q);
  }
  mul(o: Q): Q {
    return new Q(this.p * o.p, this.q * o.q);
  }
  div(o: Q): Q {
    return new Q(this.p * o.q, this.q * o.p);
  }
  get sign(): number {
    return this.p > 0n ? 1 : this.p < 0n ? -1 : 0;
  }
}

const ZERO = new Q(0n);

/** Rows of W exactly in the span of the given rows (own rational elimination). */
function closure(W: Q[][], chosen: number[]): boolean[] {
  const n = W[0].length;
  const basis: { pivot: number; row: Q[] }[] = [];
  const reduce = (v: Q[]): Q[] => {
    const r = v.slice();
    for (const { pivot, row } of basis) {
      const f = r[pivot];
      if (f.sign === 0) continue;
      for (let j = 0; j < n; j++) r[j] = r[j].sub(f.mul(row[j]));
    }
    return r;
  };
  for (const i of chosen) {
    const r = reduce(W[i]);
    const piv = r.findIndex((v) => v.sign !== 0);
    if (piv < 0) continue;
    const inv = new Q(1n).div(r[piv]);
    basis.push({ pivot: piv, row: r.map((v) => v.mul(inv)) });
  }
  return W.map((row) => reduce(row).every((v) => v.sign === 0));
}

/** Strict feasibility of { a_k · x + c_k < 0 } by Fourier–Motzkin elimination. */
export function strictlyFeasible(A: Q[][], c: Q[], n: number): boolean {
  let rows = A.map((a, k) => ({ a: a.slice(), c: c[k] }));
  for (let j = 0; j < n; j++) {
    const pos = rows.filter((r) => r.a[j].sign > 0);
    const neg = rows.filter((r) => r.a[j].sign < 0);
    const next = rows.filter((r) => r.a[j].sign === 0);
    for (const P of pos)
      for (const N of neg) {
        // (−N_j)·P + P_j·N eliminates x_j; both multipliers are positive.
        const fp = N.a[j].mul(new Q(-1n));
        const fn = P.a[j];
        next.push({
          a: P.a.map((v, k) => v.mul(fp).add(N.a[k].mul(fn))),
          c: P.c.mul(fp).add(N.c.mul(fn)),
        });
      }
    rows = next;
  }
  return rows.every((r) => r.c.sign < 0);
}

/** The exact verdict, with the flat and the rows off it when not injective. */
export function exactInjective(
  W: number[][],
  b: number[] | null | undefined,
  domain: "all" | "nonnegative",
): { injective: boolean; flat?: number[] } {
  const m = W.length;
  const n = W[0].length;
  const Wq = W.map((row) => row.map(Q.of));
  const bq = W.map((_, i) => (b ? Q.of(b[i]) : ZERO));
  // Subsets of at most n − 1 rows, smallest first.
  const subsets: number[][] = [[]];
  for (let size = 1; size <= n - 1; size++) {
    const rec = (start: number, acc: number[]): void => {
      if (acc.length === size) {
        subsets.push(acc.slice());
        return;
      }
      for (let i = start; i < m; i++) rec(i + 1, [...acc, i]);
    };
    rec(0, []);
  }
  for (const S of subsets) {
    const inS = closure(Wq, S);
    const A: Q[][] = [];
    const c: Q[] = [];
    for (let i = 0; i < m; i++)
      if (!inS[i]) {
        A.push(Wq[i]);
        c.push(bq[i]);
      }
    if (domain === "nonnegative")
      for (let j = 0; j < n; j++) {
        A.push(Array.from({ length: n }, (_, k) => new Q(k === j ? -1n : 0n)));
        c.push(ZERO);
      }
    // The flat must have rank < n: with at most n − 1 spanning rows it has.
    if (strictlyFeasible(A, c, n)) return { injective: false, flat: S };
  }
  return { injective: true };
}

/** Exact forward-pass equality F(x1) = F(x2) for rational points (own arithmetic). */
export function exactlyCollide(W: number[][], b: number[] | null | undefined, x1: Q[], x2: Q[]): boolean {
  return W.every((row, i) => {
    let a1 = b ? Q.of(b[i]) : ZERO;
    let a2 = a1;
    row.forEach((w, j) => {
      const wq = Q.of(w);
      a1 = a1.add(wq.mul(x1[j]));
      a2 = a2.add(wq.mul(x2[j]));
    });
    const r1 = a1.sign > 0 ? a1 : ZERO;
    const r2 = a2.sign > 0 ? a2 : ZERO;
    return r1.sub(r2).sign === 0;
  });
}

/** Parses a number or an exact "p/q" string (the form witnesses use for non-double points). */
export function parseQ(v: number | string): Q {
  if (typeof v === "number") return Q.of(v);
  const m = /^(-?\d+)(?:\/(\d+))?$/.exec(v.trim());
  if (!m) throw new Error(`parseQ: ${v}`);
  return new Q(BigInt(m[1]), BigInt(m[2] ?? "1"));
}
