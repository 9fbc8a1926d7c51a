/**
 * Settling one flat of the rows in exact arithmetic (Theorem 1 with bias; Remark 1; Motzkin's
 * transposition theorem), for the numerically borderline cases the floating-point LP cannot decide.
 *
 * Let R be the rows off a flat S (rank S < n). Exactly one of these holds:
 * - (dual) weights y >= 0 on R with Σ y = 1, Σ y_i w_i = 0 (domain all) or >= 0 (orthant), and
 *   Σ y_i b_i >= 0: the rows of R are never all strictly negative, and S is covered;
 * - (primal) some x in the interior of D has w_i·x + b_i < 0 for every i in R: then x ∓ δv collide
 *   for v ⟂ S (./witness.ts).
 * Both are decided by the exact simplex (./lp/exact-simplex.ts). The primal is homogenized: find
 * (x, s) with s >= 0 and w_i·x + b_i·s <= −1 (and x >= 1 on the orthant); s > 0 gives the point x/s,
 * s = 0 a direction along which λ·x works for λ > max b_i.
 */

import type { Domain, Dual } from "./types.js";
import type { Budget } from "./budget.js";
import { ExactSpan, Fraction, gcdBigint, ratioToNumber, type IntegerLayer } from "./exact.js";
import { exactFeasiblePoint } from "./lp/exact-simplex.js";
import { flatNormal, pairAtRational, type ExactPair } from "./witness.js";

const STAGE = "the exact LP at a borderline flat";

/** Rows exactly off the flat spanned by `flatRows` (zero rows are in every flat). */
export function rowsOffFlat(
  ints: IntegerLayer,
  n: number,
  flatRows: readonly number[],
  budget?: Budget,
): number[] {
  const span = new ExactSpan(n);
  for (const i of flatRows) span.add(ints.W[i]);
  const off: number[] = [];
  for (let i = 0; i < ints.W.length; i++) {
    if ((i & 63) === 0) budget?.check(STAGE);
    if (!span.contains(ints.W[i])) off.push(i);
  }
  return off;
}

/**
 * Decides the flat exactly: a collision pair, or a dual on the rows off it (weights on the original
 * rows, as doubles rounding the exact ones).
 */
export function settleFlatExact(
  ints: IntegerLayer,
  domain: Domain,
  flatRows: readonly number[],
  budget?: Budget,
): { pair: ExactPair } | { dual: Dual } | null {
  const n = ints.W[0].length;
  const R = rowsOffFlat(ints, n, flatRows, budget);
  const v = flatNormal(ints, n, flatRows);
  if (!v) return null;
  const orthant = domain === "nonnegative";
  if (R.length > 0) {
    // Dual: variables y (|R|), z (n, orthant only), t; equations Σ y w − z = 0, Σ y b − t = 0, Σ y = 1.
    const k = R.length;
    const q = k + (orthant ? n : 0) + 1;
    const A: bigint[][] = [];
    for (let j = 0; j < n; j++) {
      const row = new Array<bigint>(q).fill(0n);
      R.forEach((i, t) => (row[t] = ints.W[i][j]));
      if (orthant) row[k + j] = -1n;
      A.push(row);
    }
    const biasRow = new Array<bigint>(q).fill(0n);
    R.forEach((i, t) => (biasRow[t] = ints.b[i]));
    biasRow[q - 1] = -1n;
    A.push(biasRow);
    const ones = new Array<bigint>(q).fill(0n);
    for (let t = 0; t < k; t++) ones[t] = 1n;
    A.push(ones);
    const c = [...new Array<bigint>(n + 1).fill(0n), 1n];
    const y = exactFeasiblePoint(A, c, budget, STAGE);
    if (y) {
      // Weights on the original rows: y_orig ∝ y_int · 2^shift (row i of ints is w_i · 2^shift_i).
      const rows: number[] = [];
      const w: Fraction[] = [];
      R.forEach((i, t) => {
        if (y[t].sign() > 0) {
          rows.push(i);
          w.push(y[t]);
        }
      });
      const sMax = rows.reduce((a, i) => Math.max(a, ints.shift[i]), -Infinity);
      const scaled = rows.map((i, t) => w[t].mul(new Fraction(1n, 1n << BigInt(sMax - ints.shift[i]))));
      let total = Fraction.ZERO;
      for (const f of scaled) total = total.add(f);
      const weights = scaled.map((f) => {
        const r = f.div(total);
        return ratioToNumber(r.num, r.den);
      });
      return { dual: { rows, weights } };
    }
  }
  // Primal: variables x (x⁺, x⁻ on R^n; x' = x − 1 on the orthant), s, slacks σ (|R|).
  const k = R.length;
  const nx = orthant ? n : 2 * n;
  const q = nx + 1 + k;
  const A: bigint[][] = [];
  const c: bigint[] = [];
  R.forEach((i, t) => {
    const row = new Array<bigint>(q).fill(0n);
    let shift = 0n;
    for (let j = 0; j < n; j++) {
      const w = ints.W[i][j];
      row[j] = w;
      if (!orthant) row[n + j] = -w;
      else shift += w;
    }
    row[nx] = ints.b[i];
    row[nx + 1 + t] = 1n;
    A.push(row);
    c.push(-1n - shift);
  });
  let X: bigint[];
  let D: bigint;
  if (k === 0) {
    X = new Array<bigint>(n).fill(orthant ? 1n : 0n);
    D = 1n;
  } else {
    const u = exactFeasiblePoint(A, c, budget, STAGE);
    if (!u) return null;
    const x = Array.from({ length: n }, (_, j) => (orthant ? u[j].add(Fraction.ONE) : u[j].sub(u[n + j])));
    const s = u[nx];
    let point: Fraction[];
    if (s.sign() > 0) point = x.map((e) => e.div(s));
    else {
      let bMax = 0n;
      for (const i of R) if (ints.b[i] > bMax) bMax = ints.b[i];
      const lambda = new Fraction(bMax + 1n);
      point = x.map((e) => e.mul(lambda));
    }
    D = 1n;
    for (const e of point) D = (D / gcdBigint(D, e.den)) * e.den;
    X = point.map((e) => (e.num * D) / e.den);
  }
  const pair = pairAtRational(ints, domain, X, D, v);
  return pair ? { pair } : null;
}
