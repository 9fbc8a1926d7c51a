/**
 * Linear algebra modulo a prime: fast, exact proofs of independence for integer rows.
 *
 * For integer rows, rank mod p <= rank over the rationals for every prime p (a nonzero minor mod p
 * is a nonzero integer). So rows found independent mod p ARE independent (a proof, in word-sized
 * arithmetic), while rows found dependent mod p are dependent over the rationals unless p divides
 * every relevant minor, which the callers rule out by an exact rational check ("confirm"). Primes
 * are below 2^26, so a product of two residues is below 2^52 and exact in a double.
 */

import type { Budget } from "./budget.js";

/** Primes below 2^26, tried in order (a later one when an earlier one is unlucky for the input). */
export const PRIMES: readonly number[] = [67108859, 67108837, 67108819, 67108777, 67108763, 67108757];

/** x mod p in [0, p) for a bigint. */
export function modBig(x: bigint, p: number): number {
  const r = Number(x % BigInt(p));
  return r < 0 ? r + p : r;
}

/** a · b mod p for residues a, b in [0, p) (p < 2^26, so a·b is exact). */
export function mulMod(a: number, b: number, p: number): number {
  return (a * b) % p;
}

/** The inverse of a nonzero residue a mod p (extended Euclid). */
export function invMod(a: number, p: number): number {
  let [r0, r1] = [p, a];
  let [t0, t1] = [0, 1];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return t0 < 0 ? t0 + p : t0;
}

/** Integer rows reduced mod p, row-major (shape m × n). */
export function reduceRows(rows: readonly (readonly bigint[])[], n: number, p: number): Float64Array {
  const out = new Float64Array(rows.length * n);
  const P = BigInt(p);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (let j = 0; j < n; j++) {
      const v = r[j];
      if (v === 0n) continue;
      const x = Number(v % P);
      out[i * n + j] = x < 0 ? x + p : x;
    }
  }
  return out;
}

/**
 * Rank mod p of integer rows (a lower bound of the rational rank, equal to it for all but finitely
 * many p). Gaussian elimination on a copy; checks the budget between pivots.
 * @param stage the stage name for a time-limit message
 */
export function modRank(
  rows: readonly (readonly bigint[])[],
  n: number,
  p: number,
  budget?: Budget,
  stage = "the exact rank",
): number {
  const m = rows.length;
  const A = reduceRows(rows, n, p);
  let rank = 0;
  const used = new Uint8Array(m);
  for (let col = 0; col < n && rank < Math.min(m, n); col++) {
    budget?.check(stage);
    let piv = -1;
    for (let i = 0; i < m; i++)
      if (!used[i] && A[i * n + col] !== 0) {
        piv = i;
        break;
      }
    if (piv < 0) continue;
    used[piv] = 1;
    rank++;
    const inv = invMod(A[piv * n + col], p);
    for (let j = col; j < n; j++) A[piv * n + j] = mulMod(A[piv * n + j], inv, p);
    for (let i = 0; i < m; i++) {
      if (used[i]) continue;
      const f = A[i * n + col];
      if (f === 0) continue;
      const o = i * n;
      const po = piv * n;
      for (let j = col; j < n; j++) {
        const pv = A[po + j];
        if (pv === 0) continue;
        let v = A[o + j] - mulMod(f, pv, p);
        if (v < 0) v += p;
        A[o + j] = v;
      }
    }
  }
  return rank;
}

/**
 * Greedy choice of rows independent mod p (hence over the rationals), in the given order, up to n.
 * @param rows integer rows (all of length n)
 * @param order indices into `rows`, tried in this order
 */
export function independentModP(
  rows: readonly (readonly bigint[])[],
  n: number,
  order: ArrayLike<number>,
  p: number = PRIMES[0],
  budget?: Budget,
): number[] {
  const basis: { pivot: number; v: Float64Array }[] = [];
  const chosen: number[] = [];
  const P = BigInt(p);
  for (let t = 0; t < order.length && chosen.length < n; t++) {
    budget?.check("the structure test");
    const r = rows[order[t]];
    const v = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const x = Number(r[j] % P);
      v[j] = x < 0 ? x + p : x;
    }
    for (const b of basis) {
      const f = v[b.pivot];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        if (b.v[j] === 0) continue;
        let x = v[j] - mulMod(f, b.v[j], p);
        if (x < 0) x += p;
        v[j] = x;
      }
    }
    let piv = -1;
    for (let j = 0; j < n && piv < 0; j++) if (v[j] !== 0) piv = j;
    if (piv < 0) continue;
    const inv = invMod(v[piv], p);
    for (let j = 0; j < n; j++) if (v[j] !== 0) v[j] = mulMod(v[j], inv, p);
    basis.push({ pivot: piv, v });
    chosen.push(order[t]);
  }
  return chosen;
}
