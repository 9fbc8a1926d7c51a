/**
 * Dense kernels on Float64Array for the inversion: Householder QR of a tall m × n matrix (n small,
 * the latent dimension) and the singular values of its R factor, for the rank test of the pattern
 * certificate (the singular values of R are those of the matrix, without squaring its condition
 * number as JᵀJ would).
 *
 * Pure TypeScript, no Node APIs.
 */

import { Matrix, SingularValueDecomposition } from "ml-matrix";
import type { Budget } from "../core/budget.js";

/**
 * The R factor (n × n, upper triangular, row-major) of the QR decomposition of the rows `rows` of
 * a row-major matrix with n columns.
 */
export function qrR(M: Float64Array, n: number, rows: ArrayLike<number>, budget?: Budget): Float64Array {
  const m = rows.length;
  // Column-major copy of the selected rows.
  const A = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    const src = rows[r] * n;
    for (let j = 0; j < n; j++) A[j * m + r] = M[src + j];
  }
  const R = new Float64Array(n * n);
  const v = new Float64Array(m);
  for (let k = 0; k < Math.min(m, n); k++) {
    if ((k & 15) === 0) budget?.check("a QR decomposition");
    const col = k * m;
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[col + i] * A[col + i];
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = A[col + k] > 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i] = A[col + i];
    v[k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      const cj = j * m;
      let s = 0;
      for (let i = k; i < m; i++) s += v[i] * A[cj + i];
      const f = (2 * s) / vv;
      for (let i = k; i < m; i++) A[cj + i] -= f * v[i];
    }
  }
  for (let i = 0; i < Math.min(m, n); i++) for (let j = i; j < n; j++) R[i * n + j] = A[j * m + i];
  return R;
}

/** Singular values (descending) of an n × n row-major matrix. */
export function singularValues(R: Float64Array, n: number): number[] {
  const rows = Array.from({ length: n }, (_, i) => Array.from(R.subarray(i * n, (i + 1) * n)));
  const svd = new SingularValueDecomposition(new Matrix(rows), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
  });
  return svd.diagonal.slice().sort((a, b) => b - a);
}
