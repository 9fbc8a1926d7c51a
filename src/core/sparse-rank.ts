/**
 * Sparse rank modulo a prime: Gaussian elimination that only touches nonzeros, for the very sparse,
 * nearly banded matrices of convolutions.
 *
 * The same contract as `modRank` (./modular.ts): the rank of integer rows over GF(p), a lower bound
 * of their rational rank. It implements
 *
 * - a fill-reducing column order: reverse Cuthill–McKee (Cuthill and McKee 1969; George and Liu,
 *   "Computer Solution of Large Sparse Positive Definite Systems", 1981, §4.3) on the column graph
 *   (two columns adjacent when a row holds both), walked through the rows without building that
 *   graph. For a convolution it numbers the columns by spatial wavefronts, so that every row spans
 *   a band of about (kernel/stride + 1) · width · channels positions;
 * - rows in the order of their first column in that order, and left-looking elimination into a
 *   row-echelon form: each row is reduced against the pivot rows found so far (a dense accumulator
 *   scanned from its first to its last nonzero) until its first nonzero has no pivot, and then it
 *   is a new pivot row. Pivot rows are never changed again, so fill-in stays inside the band.
 *
 * The rank over GF(p) does not depend on the order of rows or columns, so the answer is exactly the
 * dense elimination's. On a dense matrix the work is that of dense elimination, up to a constant.
 */

import type { Budget } from "./budget.js";
import { invMod } from "./modular.js";

/** A matrix of residues mod p in compressed sparse rows (distinct columns in each row, any order). */
export interface SparseResidues {
  m: number;
  n: number;
  /** Row i holds entries rowStart[i] … rowStart[i + 1] − 1 (length m + 1). */
  rowStart: Int32Array;
  /** Column of each entry. */
  cols: Int32Array;
  /** Residue of each entry, in [1, p). */
  vals: Float64Array;
}

/** Number of nonzero entries of integer rows (to choose between sparse and dense elimination). */
export function countNonzeros(rows: readonly (readonly bigint[])[], n: number): number {
  let nnz = 0;
  for (const r of rows) for (let j = 0; j < n; j++) if (r[j] !== 0n) nnz++;
  return nnz;
}

/**
 * Integer rows reduced mod p, in compressed sparse rows (entries that are multiples of p dropped).
 * @param nnz the number of nonzeros of `rows` when known ({@link countNonzeros}), to size the arrays
 */
export function sparseResidues(
  rows: readonly (readonly bigint[])[],
  n: number,
  p: number,
  nnz: number = countNonzeros(rows, n),
): SparseResidues {
  const m = rows.length;
  const rowStart = new Int32Array(m + 1);
  const cols = new Int32Array(nnz);
  const vals = new Float64Array(nnz);
  const P = BigInt(p);
  let k = 0;
  for (let i = 0; i < m; i++) {
    const r = rows[i];
    for (let j = 0; j < n; j++) {
      const v = r[j];
      if (v === 0n) continue;
      let x = Number(v % P);
      if (x < 0) x += p;
      if (x === 0) continue;
      cols[k] = j;
      vals[k++] = x;
    }
    rowStart[i + 1] = k;
  }
  return { m, n, rowStart, cols: cols.subarray(0, k), vals: vals.subarray(0, k) };
}

/**
 * Reverse Cuthill–McKee order of the columns of a sparse pattern: breadth-first search on the column
 * graph from a pseudo-peripheral column (George–Liu: restart from a farthest column of least degree
 * while the search gets deeper), neighbours in increasing degree, each component in turn; then
 * reversed. A row's columns are all visited when the row is first expanded, so every row is
 * expanded once and the search costs O(nonzeros). Columns without entries come last.
 * @returns pos, with pos[j] the position of column j in the order
 */
export function columnOrder(A: SparseResidues): Int32Array {
  const { m, n, rowStart, cols } = A;
  // Column → rows (the transposed pattern), and each column's degree (number of rows holding it).
  const colStart = new Int32Array(n + 1);
  for (let k = 0; k < cols.length; k++) colStart[cols[k] + 1]++;
  for (let j = 0; j < n; j++) colStart[j + 1] += colStart[j];
  const colRows = new Int32Array(cols.length);
  const fill = colStart.slice(0, n);
  for (let i = 0; i < m; i++)
    for (let k = rowStart[i]; k < rowStart[i + 1]; k++) colRows[fill[cols[k]]++] = i;
  const degree = (j: number): number => colStart[j + 1] - colStart[j];

  const order = new Int32Array(n);
  const visited = new Uint8Array(n);
  const rowDone = new Uint8Array(m);
  let placed = 0;
  /**
   * Breadth-first search from `root`, written into order[placed …]: returns the end, the number of
   * levels and a last-level column of least degree; `keep` false undoes the marks (a trial search).
   */
  const bfs = (root: number, keep: boolean): { end: number; depth: number; far: number } => {
    let head = placed;
    let tail = placed;
    order[tail++] = root;
    visited[root] = 1;
    let depth = 0;
    let far = root;
    while (head < tail) {
      const levelEnd = tail;
      far = order[head];
      while (head < levelEnd) {
        const j = order[head++];
        if (degree(j) < degree(far)) far = j;
        const start = tail;
        for (let t = colStart[j]; t < colStart[j + 1]; t++) {
          const i = colRows[t];
          if (rowDone[i]) continue;
          rowDone[i] = 1;
          for (let k = rowStart[i]; k < rowStart[i + 1]; k++) {
            const c = cols[k];
            if (visited[c]) continue;
            visited[c] = 1;
            order[tail++] = c;
          }
        }
        // Neighbours by increasing degree (insertion sort: one column's new neighbours are few).
        for (let a = start + 1; a < tail; a++) {
          const c = order[a];
          const d = degree(c);
          let b = a - 1;
          while (b >= start && degree(order[b]) > d) {
            order[b + 1] = order[b];
            b--;
          }
          order[b + 1] = c;
        }
      }
      if (tail > levelEnd) depth++;
    }
    if (!keep)
      for (let t = placed; t < tail; t++) {
        const j = order[t];
        visited[j] = 0;
        for (let s = colStart[j]; s < colStart[j + 1]; s++) rowDone[colRows[s]] = 0;
      }
    return { end: tail, depth, far };
  };

  for (let seed = 0; seed < n; seed++) {
    if (visited[seed] || degree(seed) === 0) continue;
    // Pseudo-peripheral root of this component (George–Liu): a farthest column of least degree,
    // while that makes the search deeper.
    let root = seed;
    let trial = bfs(root, false);
    for (let tries = 0; tries < 5; tries++) {
      const next = bfs(trial.far, false);
      if (next.depth <= trial.depth) break;
      root = trial.far;
      trial = next;
    }
    placed = bfs(root, true).end;
  }
  for (let j = 0; j < n; j++) if (degree(j) === 0) order[placed++] = j;
  const pos = new Int32Array(n);
  for (let t = 0; t < n; t++) pos[order[t]] = n - 1 - t;
  return pos;
}

/** The rows with at least one entry (last position >= 0), in increasing order. */
function nonEmptyRows(last: Int32Array): Int32Array {
  let count = 0;
  for (let i = 0; i < last.length; i++) if (last[i] >= 0) count++;
  const out = new Int32Array(count);
  let t = 0;
  for (let i = 0; i < last.length; i++) if (last[i] >= 0) out[t++] = i;
  return out;
}

/** `rows` stably sorted by key[row] in [0, n) (a counting sort: O(rows + n)). */
function countingSort(rows: Int32Array, key: Int32Array, n: number): Int32Array {
  const start = new Int32Array(n + 1);
  for (const i of rows) start[key[i] + 1]++;
  for (let c = 0; c < n; c++) start[c + 1] += start[c];
  const out = new Int32Array(rows.length);
  for (const i of rows) out[start[key[i]]++] = i;
  return out;
}

/**
 * Rank mod p of a sparse matrix of residues (a lower bound of the rational rank of the integer
 * rows it reduces, equal to it for all but finitely many p), by sparse elimination in a
 * fill-reducing order (see the module comment). Checks the budget before each row, and reserves
 * the pivot rows' memory (12 bytes per stored entry) before it grows.
 * @param p a prime below 2^26 (products of two residues are exact in a double)
 * @param stage the stage name for a time-limit message
 */
export function sparseModRank(
  A: SparseResidues,
  p: number,
  budget?: Budget,
  stage = "the exact rank",
): number {
  const { m, n, rowStart, cols, vals } = A;
  const full = Math.min(m, n);
  if (full === 0 || cols.length === 0) return 0;
  const pos = columnOrder(A);
  // Each row's span [first, last] in the new order; rows by first position (then last).
  const first = new Int32Array(m).fill(n);
  const last = new Int32Array(m).fill(-1);
  for (let i = 0; i < m; i++)
    for (let k = rowStart[i]; k < rowStart[i + 1]; k++) {
      const c = pos[cols[k]];
      if (c < first[i]) first[i] = c;
      if (c > last[i]) last[i] = c;
    }
  const rowOrder = countingSort(countingSort(nonEmptyRows(last), last, n), first, n);

  // Pivot rows by their leading position: positions and residues after the leading 1, stored
  // one after the other in a pool that doubles when full (pivotAt = −1: no pivot there).
  const pivotAt = new Int32Array(n).fill(-1);
  const pivotLen = new Int32Array(n);
  const initial = Math.max(16, cols.length);
  budget?.reserve(`the pivot rows of ${stage}`, 12 * initial);
  let poolCols = new Int32Array(initial);
  let poolVals = new Float64Array(poolCols.length);
  let stored = 0;
  const acc = new Float64Array(n);
  let rank = 0;
  for (const i of rowOrder) {
    budget?.check(stage);
    let hi = last[i];
    for (let k = rowStart[i]; k < rowStart[i + 1]; k++) acc[pos[cols[k]]] = vals[k];
    let lead = -1;
    for (let c = first[i]; c <= hi; c++) {
      const f = acc[c];
      if (f === 0) continue;
      const at = pivotAt[c];
      if (at < 0) {
        lead = c;
        break;
      }
      // acc −= f · pivot row (its leading entry is 1, so acc[c] becomes 0).
      const g = p - f;
      const end = at + pivotLen[c];
      acc[c] = 0;
      for (let t = at; t < end; t++) {
        const q = poolCols[t];
        acc[q] = (acc[q] + g * poolVals[t]) % p;
      }
      if (end > at && poolCols[end - 1] > hi) hi = poolCols[end - 1];
    }
    if (lead < 0) continue; // dependent mod p: the accumulator is all zero again
    let count = 0;
    for (let c = lead + 1; c <= hi; c++) if (acc[c] !== 0) count++;
    if (stored + count > poolCols.length) {
      const size = Math.max(2 * poolCols.length, stored + count);
      budget?.reserve(`the pivot rows of ${stage}`, 12 * size);
      const grownCols = new Int32Array(size);
      const grownVals = new Float64Array(size);
      grownCols.set(poolCols.subarray(0, stored));
      grownVals.set(poolVals.subarray(0, stored));
      poolCols = grownCols;
      poolVals = grownVals;
    }
    const inv = invMod(acc[lead], p);
    acc[lead] = 0;
    pivotAt[lead] = stored;
    pivotLen[lead] = count;
    for (let c = lead + 1; c <= hi; c++) {
      const v = acc[c];
      if (v === 0) continue;
      poolCols[stored] = c;
      poolVals[stored++] = (v * inv) % p;
      acc[c] = 0;
    }
    if (++rank === full) break;
  }
  return rank;
}
