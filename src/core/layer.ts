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
  /** Biases divided by the row norms, length count (clamped to ±1e150, see {@link normalizeLayer}). */
  bias: Float64Array;
  /** Original row index of each kept row. */
  index: Int32Array;
  /** log2 of the Euclidean norm of each kept original row (finite even where the norm overflows). */
  logNorm: Float64Array;
  /** Original rows that are zero (they never span anything). */
  zeroRows: number[];
}

/** x · 2^k without overflow or underflow of the factor itself. */
export function timesPow2(x: number, k: number): number {
  const h = Math.trunc(k / 2);
  return x * 2 ** h * 2 ** (k - h);
}

/** Largest |b̂| kept: beyond it a bias only says "always active" or "never active" to the float search. */
const BIAS_CLAMP = 1e150;

/**
 * Scales the nonzero rows of W to unit norm (their biases with them) and sets zero rows aside.
 * A row is zero only when all its entries are 0. Each row is first scaled by a power of two (exact)
 * so that its largest entry is in [1, 2), so that norms neither overflow (entries near 1e308) nor
 * underflow (subnormal entries). A bias ratio |b_i| / ‖w_i‖ beyond 1e150 is clamped for the float
 * search; verdicts are re-checked exactly on the original layer, so this can only cost a verdict.
 */
export function normalizeLayer(W: number[][], b: number[]): NormalizedLayer {
  const m = W.length;
  const n = W[0].length;
  const keep: number[] = [];
  const zeroRows: number[] = [];
  const exps: number[] = [];
  for (let i = 0; i < m; i++) {
    let maxAbs = 0;
    for (let j = 0; j < n; j++) maxAbs = Math.max(maxAbs, Math.abs(W[i][j]));
    if (maxAbs > 0) {
      keep.push(i);
      exps.push(Math.floor(Math.log2(maxAbs)));
    } else zeroRows.push(i);
  }
  const count = keep.length;
  const rows = new Float64Array(count * n);
  const bias = new Float64Array(count);
  const index = new Int32Array(count);
  const logNorm = new Float64Array(count);
  keep.forEach((i, k) => {
    const e = exps[k];
    let ss = 0;
    for (let j = 0; j < n; j++) {
      const v = timesPow2(W[i][j], -e);
      rows[k * n + j] = v;
      ss += v * v;
    }
    const s = Math.sqrt(ss);
    for (let j = 0; j < n; j++) rows[k * n + j] /= s;
    const bh = timesPow2(b[i], -e) / s;
    bias[k] = Math.max(-BIAS_CLAMP, Math.min(BIAS_CLAMP, bh));
    index[k] = i;
    logNorm[k] = Math.log2(s) + e;
  });
  return { n, m, count, rows, bias, index, logNorm, zeroRows };
}
