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
 * many p). Row by row into an echelon basis, each row reduced mod p only when it is reached, and
 * done as soon as the rank is min(m, n): a full-rank layer costs about n rows, not m. Checks the
 * budget every 16 rows.
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
  const full = Math.min(m, n);
  const P = BigInt(p);
  // Basis rows, row-major, each scaled to 1 at its pivot column and zero at the pivot columns of
  // the rows before it (it was reduced by them), so reducing by them in order is enough.
  const B = new Float64Array(full * n);
  const pivots = new Int32Array(full);
  const v = new Float64Array(n);
  let rank = 0;
  for (let i = 0; i < m && rank < full; i++) {
    if ((i & 15) === 0) budget?.check(stage);
    const r = rows[i];
    for (let j = 0; j < n; j++) {
      const x = r[j];
      if (x === 0n) v[j] = 0;
      else {
        const y = Number(x % P);
        v[j] = y < 0 ? y + p : y;
      }
    }
    for (let t = 0; t < rank; t++) {
      const f = v[pivots[t]];
      if (f === 0) continue;
      const o = t * n;
      for (let j = 0; j < n; j++) {
        const b = B[o + j];
        if (b === 0) continue;
        let x = v[j] - mulMod(f, b, p);
        if (x < 0) x += p;
        v[j] = x;
      }
    }
    let col = 0;
    while (col < n && v[col] === 0) col++;
    if (col === n) continue;
    const inv = invMod(v[col], p);
    const o = rank * n;
    for (let j = 0; j < n; j++) B[o + j] = v[j] === 0 ? 0 : mulMod(v[j], inv, p);
    pivots[rank++] = col;
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
