/**
 * General linear algebra on whole matrices (rank, null vectors) through ml-matrix's SVD.
 * Hot loops use the Float64Array kernels of ./dense.ts instead.
 *
 * ## Resource limits
 *
 * ml-matrix's SVD cannot be interrupted once it has started, and its cost grows as
 * m·n·min(m, n): a 2000 × 2000 matrix takes about two minutes. So every SVD here is guarded up
 * front ({@link guardSvd}): its time is estimated from the shape ({@link svdCostMs}, calibrated on
 * ml-matrix 6.15 under Node 20: about {@link SVD_NS_PER_UNIT} ns per unit of m·n·min(m, n)), and
 * when it cannot finish in the time left, or its matrices would exceed the memory limit, a
 * {@link ResourceLimitError} naming the stage is thrown before anything is allocated. The estimate
 * is the guard: an SVD that was started runs to its end, so on a slower machine it can overrun the
 * deadline by the estimate's error.
 */

import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { Budget, formatCount, matrixBytes } from "./budget.js";

/**
 * Cost of ml-matrix's SVD with left and right singular vectors, in nanoseconds per unit of
 * m·n·min(m, n) (measured: 14–16 ns for shapes from 400 × 400 to 800 × 800 and 1600 × 400).
 */
export const SVD_NS_PER_UNIT = 15;
/** The same without the left singular vectors (measured: 7–9 ns). */
export const SVD_NO_LEFT_NS_PER_UNIT = 10;

/** Estimated milliseconds of an SVD of an m × n matrix (see the module comment). */
export function svdCostMs(m: number, n: number, leftVectors = true): number {
  const units = m * n * Math.min(m, n);
  return (units * (leftVectors ? SVD_NS_PER_UNIT : SVD_NO_LEFT_NS_PER_UNIT)) / 1e6;
}

/**
 * Refuses an SVD of an m × n matrix that cannot finish in the budget's time, or whose matrices
 * (the copy, U, V) would exceed its memory limit: throws a {@link ResourceLimitError} naming
 * `stage`. Call it before building the matrix.
 * @param leftVectors whether U is computed
 * @param autoTranspose whether ml-matrix may transpose a wide matrix first (then V is
 *   min(m, n) × min(m, n); otherwise n × n)
 */
export function guardSvd(
  stage: string,
  m: number,
  n: number,
  budget: Budget,
  leftVectors = true,
  autoTranspose = false,
): void {
  const k = Math.min(m, n);
  const vSide = autoTranspose ? k : n;
  budget.reserve(
    stage,
    2 * matrixBytes(m, n) + (leftVectors ? matrixBytes(Math.max(m, n), k) : 0) + matrixBytes(vSide, vSide),
  );
  budget.reserveTime(
    stage,
    svdCostMs(m, n, leftVectors),
    `an SVD of a ${formatCount(m)} × ${formatCount(n)} matrix`,
  );
}

/** Cost of ml-matrix's QR decomposition and solve, ns per unit of m·n·min(m, n) (measured: 2–3 ns). */
export const QR_NS_PER_UNIT = 3;

/** Like {@link guardSvd}, for a QR decomposition (least squares) of an m × n matrix. */
export function guardQr(stage: string, m: number, n: number, budget: Budget): void {
  budget.reserve(stage, 2 * matrixBytes(m, n));
  budget.reserveTime(
    stage,
    (m * n * Math.min(m, n) * QR_NS_PER_UNIT) / 1e6,
    `a QR decomposition of a ${formatCount(m)} × ${formatCount(n)} matrix`,
  );
}

/** Largest absolute entry (a loop: no spread, any length). */
export function maxAbs(v: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) {
    const a = Math.abs(v[j]);
    if (a > s) s = a;
  }
  return s;
}

/**
 * Euclidean norm without overflow or underflow (scaled by the largest entry) and without spreading
 * the vector into arguments (`Math.hypot(...v)` overflows the stack at about 100,000 entries).
 */
/** Relative error ‖a − b‖₂ / ‖b‖₂ of an estimate a of b (‖a − b‖₂ when b = 0). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
}

export function norm2(v: ArrayLike<number>): number {
  const s = maxAbs(v);
  if (s === 0 || !Number.isFinite(s)) return s;
  let t = 0;
  for (let j = 0; j < v.length; j++) {
    const a = v[j] / s;
    t += a * a;
  }
  return s * Math.sqrt(t);
}

/**
 * Numerical rank: singular values above `tolerance` times the largest row norm.
 * Rows are typically unit vectors, so the threshold is absolute for them.
 * @param budget refuses an SVD that cannot finish in time or fit in memory (no limits without one)
 * @param stage the stage named in a {@link ResourceLimitError}
 */
export function numericalRank(
  rows: number[][],
  tolerance: number,
  budget: Budget = Budget.unlimited(),
  stage = "the SVD (numerical rank)",
): number {
  if (rows.length === 0) return 0;
  let scale = 0;
  for (const r of rows) scale = Math.max(scale, norm2(r));
  if (scale === 0) return 0;
  guardSvd(stage, rows.length, rows[0].length, budget, true, true);
  const svd = new SingularValueDecomposition(new Matrix(rows), { autoTranspose: true });
  return svd.diagonal.filter((s) => s > tolerance * scale).length;
}

/**
 * A unit vector v with ‖rows · v‖ minimal: a null vector when the rank is below n.
 * @param n number of columns (needed when rows is empty)
 * @param budget refuses an SVD that cannot finish in time or fit in memory (no limits without one)
 * @param stage the stage named in a {@link ResourceLimitError}
 */
export function smallestRightSingularVector(
  rows: number[][],
  n: number,
  budget: Budget = Budget.unlimited(),
  stage = "the SVD (null vector)",
): number[] {
  if (rows.length === 0) return Array.from({ length: n }, (_, j) => (j === 0 ? 1 : 0));
  const m = Math.max(rows.length, n);
  guardSvd(stage, m, n, budget, false);
  // Pad to at least n rows so that the SVD returns a full set of right singular vectors.
  const padded =
    rows.length >= n
      ? rows
      : rows.concat(Array.from({ length: n - rows.length }, () => new Array<number>(n).fill(0)));
  const svd = new SingularValueDecomposition(new Matrix(padded), { computeLeftSingularVectors: false });
  const s = svd.diagonal;
  let k = 0;
  for (let i = 1; i < s.length; i++) if (s[i] < s[k]) k = i;
  const V = svd.rightSingularVectors;
  return Array.from({ length: n }, (_, j) => V.get(j, k));
}
