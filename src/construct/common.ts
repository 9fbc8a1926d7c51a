/**
 * Helpers shared by the constructions (Corollaries 2–3, Theorem 2, Theorem 5): size checks, seeded
 * Gaussian matrices and singular values. Randomness comes only from the seeded {@link Rng}.
 */

import { Matrix, SingularValueDecomposition } from "ml-matrix";
import type { Rng } from "../core/random.js";
import { assertRange, assertType } from "../core/validate.js";

/**
 * Validates a size (a dimension, a depth): a positive safe integer.
 * @param fn name of the calling function, for messages
 * @param name name of the argument, for messages
 * @throws InputTypeError when `x` is not a number, InputRangeError when it is not a positive integer
 */
export function validateSize(fn: string, name: string, x: unknown): number {
  assertType(
    typeof x === "number",
    () => `${fn}: ${name} must be a positive integer, got ${x === null ? "null" : typeof x}`,
  );
  assertRange(Number.isSafeInteger(x) && x > 0, () => `${fn}: ${name} must be a positive integer, got ${x}`);
  return x;
}

export { validateSeed } from "../core/validate.js";

/**
 * A matrix of iid N(0, scale²) entries.
 * @returns shape (rows, cols)
 */
export function gaussianMatrix(rng: Rng, rows: number, cols: number, scale = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * rng.normal()));
}

/** Singular values of a matrix (rows given), largest first. */
export function singularValues(A: number[][]): number[] {
  const svd = new SingularValueDecomposition(new Matrix(A), {
    autoTranspose: true,
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
  });
  return [...svd.diagonal].sort((a, b) => b - a);
}

/** Spectral norm ‖A‖₂ (largest singular value). */
export function spectralNorm(A: number[][]): number {
  return singularValues(A)[0];
}

/**
 * Numerical rank and 2-norm condition number of a square or rectangular matrix. The rank counts
 * singular values above `1e-12 · σ_max · max(rows, cols)`; the condition number is σ_max / σ_min
 * (Infinity when σ_min = 0).
 */
export function rankAndCondition(A: number[][]): { rank: number; condition: number; singular: number[] } {
  const s = singularValues(A);
  const top = s[0];
  const threshold = 1e-12 * top * Math.max(A.length, A[0].length);
  const rank = top === 0 ? 0 : s.filter((v) => v > threshold).length;
  const smallest = s[s.length - 1];
  return { rank, condition: smallest > 0 ? top / smallest : Infinity, singular: s };
}

/** Matrix product A·B of row-major arrays (A: p×q, B: q×r). */
export function matMul(A: number[][], B: number[][]): number[][] {
  const q = B.length;
  const r = B[0].length;
  return A.map((row) => {
    const out = new Array<number>(r).fill(0);
    for (let k = 0; k < q; k++) {
      const a = row[k];
      if (a === 0) continue;
      const Bk = B[k];
      for (let j = 0; j < r; j++) out[j] += a * Bk[j];
    }
    return out;
  });
}

/** The p×p identity, optionally scaled. */
export function identity(p: number, scale = 1): number[][] {
  return Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => (i === j ? scale : 0)));
}

/** A uniformly random permutation of 0..p−1 (Fisher–Yates). */
export function randomPermutation(rng: Rng, p: number): number[] {
  const perm = Array.from({ length: p }, (_, i) => i);
  for (let i = p - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}
