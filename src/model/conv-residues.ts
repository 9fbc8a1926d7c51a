/**
 * The matrix of a convolution reduced mod p in sparse rows, straight from its record, without the
 * dense matrix: what the sparse rank (src/core/sparse-rank.ts) needs to prove full column rank of
 * a convolution whose explicit matrix would not fit (the 12,288 × 12,288 last layer of a 64×64 RGB
 * generator has 151 million entries and 0.4% nonzeros).
 *
 * Each kernel weight is an exact dyadic rational mant · 2^exp; row r is scaled by 2^−e_r, e_r the
 * least exponent of its weights, which makes it integral (src/core/exact.ts, `dyadicRows`) and
 * does not change the rank. Its entries mod p are then (mant mod p) · (2^(exp − e_r) mod p).
 */

import { Budget, formatCount } from "../core/budget.js";
import { floatToDyadic } from "../core/exact.js";
import { modBig, mulMod } from "../core/modular.js";
import type { SparseResidues } from "../core/sparse-rank.js";
import { convMatrixShape, convRowEntries, type ConvGeometry, type ConvParams } from "./conv-layer.js";

/** Rows built between two time checks. */
const ROWS_PER_CHECK = 256;

/**
 * The explicit matrix of a convolution, each row scaled to integers by a power of two, mod p, in
 * compressed sparse rows (see the module comment). Its rank mod p is a lower bound of the rank of
 * the matrix over the rationals, as for the dense integer form.
 * @param g a validated geometry (`recordGeometry`)
 * @param p a prime below 2^26
 * @param budget the memory (12 bytes per nonzero, reserved first) and the deadline
 * @param what the layer in words, for messages ("layer 3")
 * @throws ResourceLimitError when the sparse rows exceed the memory limit or time runs out
 */
export function convResidues(
  g: ConvGeometry,
  op: ConvParams["op"],
  p: number,
  budget: Budget = Budget.unlimited(),
  what = "a convolution",
): SparseResidues {
  const { rows: m, cols: n } = convMatrixShape(g);
  const stage = `the sparse ${formatCount(m)} × ${formatCount(n)} matrix of ${what}`;
  // Every row holds at most c · Π kernel entries.
  const most = m * g.c * g.kSize.reduce((a, k) => a * k, 1);
  budget.reserve(stage, 12 * most);
  budget.check(stage);
  // Residue and exponent of every kernel weight, and 2^d mod p for every exponent difference d.
  const residue = new Float64Array(g.flat.length);
  const exponent = new Int32Array(g.flat.length);
  let lo = 0;
  let hi = 0;
  g.flat.forEach((w, t) => {
    if (w === 0) return;
    const { mant, exp } = floatToDyadic(w);
    residue[t] = modBig(mant, p);
    exponent[t] = exp;
    lo = Math.min(lo, exp);
    hi = Math.max(hi, exp);
  });
  const pow2 = new Float64Array(hi - lo + 1);
  pow2[0] = 1;
  for (let d = 1; d < pow2.length; d++) pow2[d] = mulMod(pow2[d - 1], 2, p);

  const rowStart = new Int32Array(m + 1);
  const cols = new Int32Array(most);
  const vals = new Float64Array(most);
  const rowCols: number[] = [];
  const rowKernel: number[] = [];
  const entries = convRowEntries(g, op);
  let k = 0;
  for (let r = 0; r < m; r++) {
    if (r % ROWS_PER_CHECK === 0 && r > 0) budget.check(stage);
    rowCols.length = 0;
    rowKernel.length = 0;
    entries(r, (j, t) => {
      rowCols.push(j);
      rowKernel.push(t);
    });
    let e = Infinity;
    for (const t of rowKernel) e = Math.min(e, exponent[t]);
    for (let s = 0; s < rowCols.length; s++) {
      const t = rowKernel[s];
      const v = mulMod(residue[t], pow2[exponent[t] - e], p);
      if (v === 0) continue;
      cols[k] = rowCols[s];
      vals[k++] = v;
    }
    rowStart[r + 1] = k;
  }
  return { m, n, rowStart, cols: cols.subarray(0, k), vals: vals.subarray(0, k) };
}
