/**
 * General linear algebra on whole matrices (rank, null vectors) through ml-matrix's SVD.
 * Hot loops use the Float64Array kernels of ./dense.ts instead.
 */

import { Matrix, SingularValueDecomposition } from "ml-matrix";

/**
 * Numerical rank: singular values above `tolerance` times the largest row norm.
 * Rows are typically unit vectors, so the threshold is absolute for them.
 */
export function numericalRank(rows: number[][], tolerance: number): number {
  if (rows.length === 0) return 0;
  const scale = Math.max(...rows.map((r) => Math.hypot(...r)));
  if (scale === 0) return 0;
  const svd = new SingularValueDecomposition(new Matrix(rows), { autoTranspose: true });
  return svd.diagonal.filter((s) => s > tolerance * scale).length;
}

/**
 * A unit vector v with ‖rows · v‖ minimal: a null vector when the rank is below n.
 * @param n number of columns (needed when rows is empty)
 */
export function smallestRightSingularVector(rows: number[][], n: number): number[] {
  if (rows.length === 0) return Array.from({ length: n }, (_, j) => (j === 0 ? 1 : 0));
  // Pad to at least n rows so that the SVD returns a full set of right singular vectors.
  const padded =
    rows.length >= n
      ? rows
      : [...rows, ...Array.from({ length: n - rows.length }, () => new Array<number>(n).fill(0))];
  const svd = new SingularValueDecomposition(new Matrix(padded), { computeLeftSingularVectors: false });
  const s = svd.diagonal;
  let k = 0;
  for (let i = 1; i < s.length; i++) if (s[i] < s[k]) k = i;
  const V = svd.rightSingularVectors;
  return Array.from({ length: n }, (_, j) => V.get(j, k));
}
