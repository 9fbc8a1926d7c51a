/**
 * The 2-Wasserstein distance between Gaussians, the latent-space metric of the paper's injective-GAN
 * experiment (Section 4, Table 1: W2 between the latent prior N(0, I) and the Gaussian fitted to the
 * codes that the inference network gives for generated samples), and the Fréchet distance of
 * fitted features (the same formula on a classifier's features).
 *
 *     W2(N(μ1, Σ1), N(μ2, Σ2))² = ‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ2^½ Σ1 Σ2^½)^½)
 *
 * (Dowson and Landau 1982; Olkin and Pukelsheim 1982). The matrix square roots are symmetric ones,
 * from the eigendecomposition of a symmetric positive semidefinite matrix (eigenvalues below 0 by
 * rounding are set to 0), so the formula needs no iterative square root of a non-symmetric product.
 * Against N(0, I) it reduces to ‖μ‖² + tr(Σ) + k − 2 tr(Σ^½).
 *
 * Pure TypeScript on ml-matrix, no Node APIs.
 */

import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { assertRange, assertType } from "../core/validate.js";

/** A Gaussian fitted to samples. */
export interface GaussianFit {
  /** The mean (length k). */
  mean: number[];
  /** The covariance (k × k, symmetric), normalised by N − 1. */
  covariance: number[][];
  /** The number of samples. */
  count: number;
}

function validateSamples(fn: string, samples: unknown): number[][] {
  assertType(Array.isArray(samples), () => `${fn}: samples must be an array of vectors`);
  const rows = samples as unknown[];
  assertRange(rows.length >= 2, () => `${fn}: need at least 2 samples, got ${rows.length}`);
  const first = rows[0];
  assertType(Array.isArray(first) || ArrayBuffer.isView(first), () => `${fn}: samples[0] must be a vector`);
  const k = (first as ArrayLike<number>).length;
  assertRange(k >= 1, () => `${fn}: the samples are empty vectors`);
  return rows.map((r, i) => {
    assertType(Array.isArray(r) || ArrayBuffer.isView(r), () => `${fn}: samples[${i}] must be a vector`);
    const v = Array.from(r as ArrayLike<number>);
    assertRange(v.length === k, () => `${fn}: samples[${i}] has length ${v.length}, expected ${k}`);
    v.forEach((x, j) =>
      assertRange(
        typeof x === "number" && Number.isFinite(x),
        () => `${fn}: samples[${i}][${j}] is ${String(x)}; samples must be finite`,
      ),
    );
    return v;
  });
}

/**
 * The mean and covariance (normalised by N − 1) of N samples of dimension k.
 *
 * @param samples N vectors of length k (N >= 2, finite)
 * @throws TypeError / RangeError for fewer than 2 samples, ragged or non-finite samples
 */
export function fitGaussian(samples: ArrayLike<number>[]): GaussianFit {
  const rows = validateSamples("fitGaussian()", samples);
  const N = rows.length;
  const k = rows[0].length;
  const mean = new Array<number>(k).fill(0);
  for (const r of rows) for (let j = 0; j < k; j++) mean[j] += r[j] / N;
  const cov = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const r of rows)
    for (let a = 0; a < k; a++) {
      const da = r[a] - mean[a];
      for (let b = a; b < k; b++) cov[a][b] += da * (r[b] - mean[b]);
    }
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) {
      cov[a][b] /= N - 1;
      cov[b][a] = cov[a][b];
    }
  return { mean, covariance: cov, count: N };
}

/**
 * The symmetric square root of a symmetric positive semidefinite matrix, by its eigendecomposition
 * (eigenvalues below 0, which can only come from rounding or a matrix that is not PSD, count as 0).
 */
export function symmetricSqrt(S: number[][]): Matrix {
  const k = S.length;
  const M = new Matrix(S);
  // Symmetrise: the decomposition then uses the symmetric (Jacobi/QL) path.
  const sym = M.add(M.transpose()).div(2);
  const eig = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const V = eig.eigenvectorMatrix;
  const d = eig.realEigenvalues.map((l) => Math.sqrt(Math.max(0, l)));
  const R = new Matrix(k, k);
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += V.get(a, t) * d[t] * V.get(b, t);
      R.set(a, b, s);
      R.set(b, a, s);
    }
  return R;
}

function validateGaussian(fn: string, name: string, mean: unknown, cov: unknown): number {
  assertType(Array.isArray(mean), () => `${fn}: ${name} mean must be an array`);
  const k = (mean as unknown[]).length;
  assertRange(k >= 1, () => `${fn}: ${name} mean is empty`);
  assertRange(
    (mean as unknown[]).every((v) => typeof v === "number" && Number.isFinite(v)),
    () => `${fn}: ${name} mean must be finite`,
  );
  assertType(Array.isArray(cov), () => `${fn}: ${name} covariance must be a k × k array`);
  const rows = cov as unknown[];
  assertRange(
    rows.length === k &&
      rows.every(
        (r) =>
          Array.isArray(r) && r.length === k && r.every((v) => typeof v === "number" && Number.isFinite(v)),
      ),
    () => `${fn}: ${name} covariance must be a finite ${k} × ${k} matrix`,
  );
  return k;
}

/**
 * The squared 2-Wasserstein distance between N(μ1, Σ1) and N(μ2, Σ2) (the module comment's
 * formula). It is also the squared Fréchet distance of the two Gaussians (FID when they are fitted
 * to classifier features).
 *
 * @throws RangeError when the dimensions differ or an entry is not finite
 * @example
 * gaussianW2Squared([1, 0], [[1, 0], [0, 1]], [0, 0], [[1, 0], [0, 1]]); // 1 (the squared shift)
 */
export function gaussianW2Squared(mu1: number[], S1: number[][], mu2: number[], S2: number[][]): number {
  const fn = "gaussianW2Squared()";
  const k = validateGaussian(fn, "the first", mu1, S1);
  const k2 = validateGaussian(fn, "the second", mu2, S2);
  assertRange(k === k2, () => `${fn}: the Gaussians have dimensions ${k} and ${k2}`);
  let shift = 0;
  for (let j = 0; j < k; j++) shift += (mu1[j] - mu2[j]) ** 2;
  const r2 = symmetricSqrt(S2);
  const inner = r2.mmul(new Matrix(S1)).mmul(r2);
  const cross = symmetricSqrt(inner.to2DArray());
  let tr = 0;
  for (let j = 0; j < k; j++) tr += S1[j][j] + S2[j][j] - 2 * cross.get(j, j);
  // Rounding can make the trace term slightly negative when the Gaussians are equal.
  return shift + Math.max(0, tr);
}

/**
 * W2 between the latent prior N(0, I_k) and the Gaussian fitted to codes (the paper's Table 1
 * metric): √(‖μ‖² + tr(Σ) + k − 2 tr(Σ^½)).
 *
 * @param codes N inferred latent codes of length k (N >= 2)
 */
export function w2ToStandardNormal(codes: ArrayLike<number>[]): number {
  const fit = fitGaussian(codes);
  const k = fit.mean.length;
  const I = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (a === b ? 1 : 0)));
  return Math.sqrt(gaussianW2Squared(fit.mean, fit.covariance, new Array<number>(k).fill(0), I));
}
