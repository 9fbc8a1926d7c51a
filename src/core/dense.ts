/**
 * Float64Array kernels for the hot loops: dot products and incremental Gram–Schmidt.
 * General linear algebra (SVD, rank of whole matrices) uses ml-matrix in ./linalg.ts.
 */

/** Dot product of a[aOff .. aOff+n) and b[bOff .. bOff+n). */
export function dotAt(
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  n: number,
): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += a[aOff + j] * b[bOff + j];
  return s;
}

/**
 * Residual of a vector against the first `k` rows of an orthonormal basis Q (row-major, width n),
 * written to `out`. Uses two passes of modified Gram–Schmidt for stability.
 * @returns the Euclidean norm of the residual
 */
export function residualAgainst(
  Q: Float64Array,
  k: number,
  n: number,
  v: ArrayLike<number>,
  vOff: number,
  out: Float64Array,
): number {
  for (let j = 0; j < n; j++) out[j] = v[vOff + j];
  for (let pass = 0; pass < 2; pass++) {
    for (let q = 0; q < k; q++) {
      const d = dotAt(Q, q * n, out, 0, n);
      if (d !== 0) for (let j = 0; j < n; j++) out[j] -= d * Q[q * n + j];
    }
  }
  let s = 0;
  for (let j = 0; j < n; j++) s += out[j] * out[j];
  return Math.sqrt(s);
}

/**
 * A unit vector orthogonal to the first k = n − 1 (or fewer) rows of the orthonormal Q.
 * Projects the coordinate vector e_j least covered by Q (its residual has norm >= sqrt(1/n)).
 */
export function orthogonalComplementVector(Q: Float64Array, k: number, n: number, out: Float64Array): void {
  let bestJ = 0;
  let bestCover = Infinity;
  for (let j = 0; j < n; j++) {
    let cover = 0;
    for (let q = 0; q < k; q++) cover += Q[q * n + j] * Q[q * n + j];
    if (cover < bestCover) {
      bestCover = cover;
      bestJ = j;
    }
  }
  const e = new Float64Array(n);
  e[bestJ] = 1;
  const norm = residualAgainst(Q, k, n, e, 0, out);
  for (let j = 0; j < n; j++) out[j] /= norm;
}

/**
 * Greedy rank of rows (row-major, width n) by Gram–Schmidt: a row counts when its residual against
 * the rows already kept exceeds `tolerance` (rows are expected to have unit norm).
 * @returns the indices (into `order`) of the kept rows
 */
export function greedyIndependent(
  rows: Float64Array,
  n: number,
  order: ArrayLike<number>,
  tolerance: number,
  limit = n,
): number[] {
  const Q = new Float64Array(n * n);
  const tmp = new Float64Array(n);
  const kept: number[] = [];
  for (let t = 0; t < order.length && kept.length < limit; t++) {
    const i = order[t];
    const r = residualAgainst(Q, kept.length, n, rows, i * n, tmp);
    if (r > tolerance) {
      for (let j = 0; j < n; j++) Q[kept.length * n + j] = tmp[j] / r;
      kept.push(i);
    }
  }
  return kept;
}

/**
 * Solves (A + μ I) x = rhs by Cholesky, for A symmetric positive semidefinite, n × n, row-major
 * (only its lower triangle is read). Null when a pivot is not above `minPivot`: A + μ I is then not
 * numerically positive definite (a caller can raise μ).
 */
export function choleskySolve(
  A: Float64Array,
  n: number,
  mu: number,
  rhs: ArrayLike<number>,
  minPivot = 0,
): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j] + (i === j ? mu : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > minPivot)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j];
    }
  }
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = rhs[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * x[k];
    x[i] = s / L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}
