/**
 * The ReLU layer F(x) = ReLU(W x + b) (paper, equation (2) with one layer) and its normalized form.
 *
 * Injectivity does not change when a row and its bias are scaled by the same positive number
 * (ReLU(c·z) = c·ReLU(z) for c > 0), so the searches work on unit rows; zero rows never help the
 * rows at a point span R^n and are set aside.
 */

import { validateLayer, validateVector } from "./validate.js";

/**
 * Forward pass `ReLU(W x + b)`.
 * @param W shape (m, n), rows are output units
 * @param b length m, or null/undefined for no bias
 * @param x length n
 * @returns the m outputs
 */
export function forwardLayer(W: number[][], b: number[] | null | undefined, x: number[]): number[] {
  const { W: Wv, b: bv } = validateLayer("forwardLayer()", W, b);
  validateVector("forwardLayer()", "x", x, Wv[0].length);
  return Wv.map((row, i) => Math.max(0, dotArr(row, x) + bv[i]));
}

function dotArr(a: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * x[j];
  return s;
}

/** A layer with unit rows, as the searches use it. */
export interface NormalizedLayer {
  /** Input dimension. */
  n: number;
  /** Number of rows of the original W. */
  m: number;
  /** Number of nonzero rows kept. */
  count: number;
  /** Unit rows, row-major, shape (count, n). */
  rows: Float64Array;
  /** Biases divided by the row norms, length count. */
  bias: Float64Array;
  /** Original row index of each kept row. */
  index: Int32Array;
  /** Euclidean norm of each kept original row. */
  norm: Float64Array;
  /** Original rows that are zero (they never span anything). */
  zeroRows: number[];
}

/**
 * Scales the nonzero rows of W to unit norm (their biases with them) and sets zero rows aside.
 * A row is zero only when all its entries are 0: each row is scaled on its own, so rows of very
 * different magnitudes (1e10 next to 1e-10) are treated alike.
 */
export function normalizeLayer(W: number[][], b: number[]): NormalizedLayer {
  const m = W.length;
  const n = W[0].length;
  const norms = W.map((row) => Math.hypot(...row));
  const keep: number[] = [];
  const zeroRows: number[] = [];
  for (let i = 0; i < m; i++) {
    if (norms[i] > 0) keep.push(i);
    else zeroRows.push(i);
  }
  const count = keep.length;
  const rows = new Float64Array(count * n);
  const bias = new Float64Array(count);
  const index = new Int32Array(count);
  const norm = new Float64Array(count);
  keep.forEach((i, k) => {
    const s = norms[i];
    for (let j = 0; j < n; j++) rows[k * n + j] = W[i][j] / s;
    bias[k] = b[i] / s;
    index[k] = i;
    norm[k] = s;
  });
  return { n, m, count, rows, bias, index, norm, zeroRows };
}
