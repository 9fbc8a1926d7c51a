/**
 * An exact (rational) phase-I simplex: is { u >= 0 : A u = c } nonempty, and a vertex of it.
 *
 * Used only where floating point cannot decide: a flat of the rows whose separation LP is
 * numerically borderline (a wedge 1e-17 wide, a dead zone of width 1e-300). The tableau holds exact
 * rationals and Bland's rule prevents cycling, so the answer is exact and the method terminates.
 * Sizes there are small (rows off one flat, n + 2 columns of the dual), and the caller's budget is
 * checked at every pivot.
 */

import type { Budget } from "../budget.js";
import { Fraction } from "../exact.js";

/**
 * A point u >= 0 with A u = c (exact), or null when there is none.
 * @param A integer matrix of shape (p, q)
 * @param c integer right-hand side of length p
 */
export function exactFeasiblePoint(
  A: readonly (readonly bigint[])[],
  c: readonly bigint[],
  budget?: Budget,
  stage = "the exact LP",
): Fraction[] | null {
  const p = A.length;
  const q = A[0]?.length ?? 0;
  // Tableau rows: [A | I_art | c] with c >= 0 (rows negated where needed); objective: min Σ art.
  const cols = q + p;
  const T: Fraction[][] = A.map((row, i) => {
    const sgn = c[i] < 0n ? -1n : 1n;
    const r: Fraction[] = new Array<Fraction>(cols + 1);
    for (let j = 0; j < q; j++) r[j] = new Fraction(row[j] * sgn);
    for (let k = 0; k < p; k++) r[q + k] = k === i ? Fraction.ONE : Fraction.ZERO;
    r[cols] = new Fraction(c[i] * sgn);
    return r;
  });
  const basis = Array.from({ length: p }, (_, i) => q + i);
  // Reduced costs of min Σ art: cost_j = −Σ_i T[i][j] for structural columns, 0 for artificials.
  const cost: Fraction[] = new Array<Fraction>(cols + 1).fill(Fraction.ZERO);
  for (let j = 0; j <= cols; j++) {
    if (j >= q && j < cols) continue;
    let s = Fraction.ZERO;
    for (let i = 0; i < p; i++) s = s.sub(T[i][j]);
    cost[j] = s;
  }
  for (;;) {
    budget?.check(stage);
    // Bland: the first column with a negative reduced cost enters.
    let enter = -1;
    for (let j = 0; j < cols; j++)
      if (cost[j].sign() < 0) {
        enter = j;
        break;
      }
    if (enter < 0) break;
    // Ratio test; ties by the smallest basic index (Bland).
    let leave = -1;
    let best: Fraction | null = null;
    for (let i = 0; i < p; i++) {
      const a = T[i][enter];
      if (a.sign() <= 0) continue;
      const ratio = T[i][cols].div(a);
      const cmp = best === null ? -1 : ratio.sub(best).sign();
      if (cmp < 0 || (cmp === 0 && basis[i] < basis[leave])) {
        best = ratio;
        leave = i;
      }
    }
    if (leave < 0) break; // unbounded below cannot happen (the objective is >= 0); stop safely
    pivot(T, cost, leave, enter, cols);
    basis[leave] = enter;
  }
  // Feasible iff the artificial sum (−cost[cols]) is 0.
  if (!cost[cols].isZero()) return null;
  const u: Fraction[] = new Array<Fraction>(q).fill(Fraction.ZERO);
  for (let i = 0; i < p; i++) if (basis[i] < q) u[basis[i]] = T[i][cols];
  // Independent check of the answer.
  for (let i = 0; i < p; i++) {
    let s = Fraction.ZERO;
    for (let j = 0; j < q; j++)
      if (A[i][j] !== 0n && !u[j].isZero()) s = s.add(u[j].mul(new Fraction(A[i][j])));
    if (!s.sub(new Fraction(c[i])).isZero()) return null;
  }
  return u.some((v) => v.sign() < 0) ? null : u;
}

function pivot(T: Fraction[][], cost: Fraction[], r: number, c: number, cols: number): void {
  const inv = Fraction.ONE.div(T[r][c]);
  const pr = T[r];
  for (let j = 0; j <= cols; j++) if (!pr[j].isZero()) pr[j] = pr[j].mul(inv);
  for (let i = 0; i < T.length; i++) {
    if (i === r) continue;
    const f = T[i][c];
    if (f.isZero()) continue;
    const row = T[i];
    for (let j = 0; j <= cols; j++) if (!pr[j].isZero()) row[j] = row[j].sub(f.mul(pr[j]));
  }
  const f = cost[c];
  if (!f.isZero()) for (let j = 0; j <= cols; j++) if (!pr[j].isZero()) cost[j] = cost[j].sub(f.mul(pr[j]));
}
