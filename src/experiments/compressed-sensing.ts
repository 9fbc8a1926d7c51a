/**
 * Compressed sensing with a generative prior (Bora, Jalal, Price and Dimakis, "Compressed sensing
 * using generative models", ICML 2017): observe y = A·G(z) + e with a seeded Gaussian A of k rows
 * (entries N(0, 1/k), k < output dimension) and noise e ~ N(0, σ² I_k), and recover z by gradient
 * descent on ‖A·G(z) − y‖² (Adam with restarts, src/invert/gradient-inversion.ts). The experiment
 * reports the relative error ‖ẑ − z‖₂/‖z‖₂ as k varies, over several seeded trials.
 *
 * Only method (a), gradient descent, is implemented. A layerwise method (an LP over the last layer's
 * preimage combined with A) is not: the range of a ReLU layer is a union of polyhedra, so the LP
 * would have to fix an activation pattern first; this is left for later (docs/networks.md).
 *
 * {@link stackedDenseGenerator} builds the small injective generator used by the tests and the docs:
 * Corollary 2 layers (constructDense, paired bias) stacked, injective by Corollary 1.
 */

import { constructDense } from "../construct/dense.js";
import { Budget, matrixBytes } from "../core/budget.js";
import { Rng } from "../core/random.js";
import { assertRange, assertType, validateSeed } from "../core/validate.js";
import { gradientInversion, type GradientInversionOptions } from "../invert/gradient-inversion.js";
import { relativeError } from "../invert/robust-layer.js";
import { forwardUnchecked, layerOutputDim, validateNetwork, type Network } from "../model/network.js";

/** Options of {@link compressedSensingExperiment}. */
export interface CompressedSensingOptions {
  /** Numbers of measurements k to try. */
  ks: number[];
  /** Standard deviation σ of the measurement noise. @default 0 */
  noise?: number;
  /** Trials per k (a fresh z, A and e each). @default 5 */
  trials?: number;
  /** Seed of every random draw (trial t of every k uses the same z). @default 1 */
  seed?: number;
  /** Options of the gradient solver (A and seed are set here). */
  gradient?: Omit<GradientInversionOptions, "A" | "seed">;
  /**
   * Memory limit in bytes: the measurement matrices A (k × d each, for the largest k) must fit,
   * else a ResourceLimitError names them before anything is drawn. @default 2 GiB
   */
  memoryLimitBytes?: number;
}

/** One trial. */
export interface CompressedSensingTrial {
  k: number;
  trial: number;
  /** ‖ẑ − z‖₂ / ‖z‖₂. */
  error: number;
  /** ‖A G(ẑ) − y‖₂ / ‖y‖₂. */
  residual: number;
  timeMs: number;
}

/** Summary of one k. */
export interface CompressedSensingRow {
  k: number;
  meanError: number;
  medianError: number;
  /** Trials with error <= 0.1. */
  recovered: number;
  meanResidual: number;
  meanTimeMs: number;
  trials: CompressedSensingTrial[];
}

/** Result of {@link compressedSensingExperiment}. */
export interface CompressedSensingResult {
  inputDim: number;
  outputDim: number;
  noise: number;
  seed: number;
  rows: CompressedSensingRow[];
}

const FN = "compressedSensingExperiment()";

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Runs the compressed-sensing experiment (see the module comment) on a generator G.
 *
 * @param net the generator G: R^n → R^d (validated here)
 * @param options the list of k (each 1 <= k), noise σ, trials, seed, gradient-solver options
 * @returns one row per k: mean and median relative error of ẑ, recovered count, mean residual, time
 * @throws InputTypeError / InputRangeError for an invalid network or options
 * @throws ResourceLimitError when A (k × d) is above the memory limit
 *
 * @example
 * compressedSensingExperiment(stackedDenseGenerator(2, [5, 12], 1), { ks: [2, 4, 8], trials: 3 });
 */
export function compressedSensingExperiment(
  net: Network,
  options: CompressedSensingOptions,
): CompressedSensingResult {
  validateNetwork(FN, net);
  assertType(typeof options === "object" && options !== null, () => `${FN}: options must be an object`);
  const { ks } = options;
  assertType(Array.isArray(ks) && ks.length > 0, () => `${FN}: options.ks must be a non-empty array`);
  ks.forEach((k) =>
    assertRange(Number.isInteger(k) && k >= 1, () => `${FN}: every k must be an integer >= 1, got ${k}`),
  );
  const noise = options.noise ?? 0;
  assertRange(Number.isFinite(noise) && noise >= 0, () => `${FN}: options.noise must be >= 0`);
  const trials = options.trials ?? 5;
  assertRange(Number.isInteger(trials) && trials >= 1, () => `${FN}: options.trials must be an integer >= 1`);
  const seed = validateSeed(FN, options.seed);
  const n = net.inputDim;
  const d = layerOutputDim(net.layers[net.layers.length - 1]);
  const kMax = ks.reduce((a, k) => Math.max(a, k), 0);
  assertRange(
    kMax < d,
    () =>
      `${FN}: every k must be below the output dimension d = ${d} (compressed sensing takes k < d measurements), got k = ${kMax}`,
  );
  Budget.from(FN, { memoryLimitBytes: options.memoryLimitBytes }).reserve(
    `the measurement matrix A (${kMax} × ${d})`,
    matrixBytes(kMax, d),
  );
  const zRng = new Rng(seed);
  const truths = Array.from({ length: trials }, () => Array.from({ length: n }, () => zRng.normal()));
  const rows: CompressedSensingRow[] = ks.map((k) => {
    const list: CompressedSensingTrial[] = truths.map((z, t) => {
      const rng = new Rng(seed * 1_000_003 + k * 1009 + t);
      const A = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal() / Math.sqrt(k)));
      const x = forwardUnchecked(net, z);
      const y = A.map((row) => row.reduce((s, a, j) => s + a * x[j], 0) + noise * rng.normal());
      const r = gradientInversion(net, y, { ...options.gradient, A, seed: seed + 7919 * t + k });
      return { k, trial: t, error: relativeError(r.z, z), residual: r.residual, timeMs: r.timeMs };
    });
    const errs = list.map((r) => r.error);
    return {
      k,
      meanError: errs.reduce((a, b) => a + b, 0) / errs.length,
      medianError: median(errs),
      recovered: errs.filter((e) => e <= 0.1).length,
      meanResidual: list.reduce((a, r) => a + r.residual, 0) / list.length,
      meanTimeMs: list.reduce((a, r) => a + r.timeMs, 0) / list.length,
      trials: list,
    };
  });
  return { inputDim: n, outputDim: d, noise, seed, rows };
}

/**
 * A small injective generator: Corollary 2 ReLU layers (constructDense with paired bias) of the
 * given widths stacked on R^n (each width >= 2 × the previous one). Injective by Corollary 1.
 *
 * @param n input dimension
 * @param widths output widths of the layers
 * @param seed seed of layer k is seed + k
 * @param basis basis of each layer's B (`orthogonal` gives σ_min(B) = 1, well conditioned)
 */
export function stackedDenseGenerator(
  n: number,
  widths: number[],
  seed: number,
  basis: "gaussian" | "orthogonal" = "gaussian",
): Network {
  let dIn = n;
  const layers: Network["layers"] = widths.map((w, k) => {
    const L = constructDense(dIn, w, { seed: seed + k, bias: "paired", basis });
    dIn = w;
    return { type: "dense", W: L.W, b: L.b, activation: "relu" };
  });
  return { format: "injective-relu/network", version: 1, inputDim: n, layers };
}
