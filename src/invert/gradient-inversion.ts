/**
 * The standard GAN-inversion baseline: minimize ‖A·G(z) − y‖² over z by gradient descent (Adam,
 * Kingma and Ba 2015) from several seeded random starts, keeping the best (as in Bora, Jalal, Price
 * and Dimakis, "Compressed sensing using generative models", ICML 2017, and the gradient baselines
 * of Lei et al. 2019). A = I gives plain inversion ‖G(z) − y‖²; a k×d matrix A gives compressed
 * sensing. G is a network of dense ReLU/linear layers; the forward and backward passes are written
 * by hand (no autodiff library).
 *
 * The objective is non-convex: a start can end in a local minimum, which is why several restarts
 * are run. Nothing here proves that the returned z is the global minimizer; compare its residual
 * with the noise level. The learning rate decays geometrically from `learningRate` to
 * `learningRate·finalLearningRateRatio` over the iterations, so that Adam settles instead of
 * oscillating at the scale of the step. Every random start comes from the reported `seed`.
 */

import { Rng } from "../core/random.js";
import { activate, derivative } from "./generator-ops.js";
import { assertRange, assertType, validateVector } from "../core/validate.js";
import {
  layerOutputDim,
  preActivation,
  transposeApply,
  validateNetwork,
  type Network,
} from "../model/network.js";

/** Options of {@link gradientInversion}. */
export interface GradientInversionOptions {
  /** Measurement matrix A (k × output dim); absent means the identity. */
  A?: number[][];
  /** Random starts z ~ N(0, initScale² I). @default 5 */
  restarts?: number;
  /** Adam iterations per start. @default 1500 */
  iterations?: number;
  /** Initial Adam step size. @default 0.1 */
  learningRate?: number;
  /** Final step size as a fraction of the initial one (geometric decay). @default 1e-3 */
  finalLearningRateRatio?: number;
  /** Standard deviation of the random starts. @default 1 */
  initScale?: number;
  /** Explicit starts, run before the random ones (they count toward `restarts`). */
  starts?: number[][];
  /** Seed of the random starts. @default 1 */
  seed?: number;
}

/** Result of {@link gradientInversion}. */
export interface GradientInversionResult {
  /** The best z found (lowest loss). */
  z: number[];
  /** Its loss ‖A G(z) − y‖². */
  loss: number;
  /** Relative residual ‖A G(z) − y‖₂ / ‖y‖₂ (absolute when y = 0). */
  residual: number;
  /** Final loss of every start, in order. */
  restartLosses: number[];
  /** Index of the best start. */
  bestRestart: number;
  iterations: number;
  seed: number;
  timeMs: number;
}

/** Loss ‖A·G(z) − y‖² and its gradient in z, by one forward and one backward pass. */
export function lossAndGradient(
  net: Network,
  A: number[][] | undefined,
  y: ArrayLike<number>,
  z: ArrayLike<number>,
): { loss: number; grad: number[] } {
  const pre: number[][] = [];
  const acts: ArrayLike<number>[] = [z];
  let h: ArrayLike<number> = z;
  for (const layer of net.layers) {
    // W h + b without the explicit matrix of a convolution (a direct loop).
    const p = preActivation(layer, h);
    const o = new Array<number>(p.length);
    for (let i = 0; i < p.length; i++) o[i] = activate(layer.activation, layer.alpha ?? 0, p[i]);
    pre.push(p);
    acts.push(o);
    h = o;
  }
  // Residual and dL/d(output).
  let g: number[];
  let loss = 0;
  if (A) {
    const r = A.map((row, i) => {
      let s = -y[i];
      for (let j = 0; j < row.length; j++) s += row[j] * h[j];
      return s;
    });
    for (const v of r) loss += v * v;
    g = new Array<number>(h.length).fill(0);
    for (let i = 0; i < A.length; i++) {
      const row = A[i];
      const f = 2 * r[i];
      for (let j = 0; j < row.length; j++) g[j] += f * row[j];
    }
  } else {
    g = new Array<number>(h.length);
    for (let i = 0; i < h.length; i++) {
      const d = h[i] - y[i];
      loss += d * d;
      g[i] = 2 * d;
    }
  }
  for (let l = net.layers.length - 1; l >= 0; l--) {
    const layer = net.layers[l];
    const gs = g.map(
      (gi, i) => gi * derivative(layer.activation, layer.alpha ?? 0, pre[l][i], acts[l + 1][i]),
    );
    g = transposeApply(layer, gs);
  }
  return { loss, grad: g };
}

/**
 * Gradient-descent inversion (see the module comment): Adam on ‖A·G(z) − y‖² from several seeded
 * starts.
 *
 * @param net the generator G (a network of dense layers, validated here)
 * @param y the (noisy) observation: length = output dim, or the number of rows of `A`
 * @param options A, restarts, iterations, learning rate, starts, seed
 * @returns the best z, its loss and relative residual, every start's final loss, and the time
 * @throws InputTypeError / InputRangeError for an invalid network, shapes that do not match, bad options
 *
 * @example
 * const r = gradientInversion(net, forwardNetwork(net, z), { restarts: 5, seed: 1 });
 * r.residual; // small when a start reached the global minimum
 */
export function gradientInversion(
  net: Network,
  y: number[],
  options: GradientInversionOptions = {},
): GradientInversionResult {
  const fn = "gradientInversion()";
  const t0 = performance.now();
  validateNetwork(fn, net);
  validateVector(fn, "y", y);
  assertType(typeof options === "object" && options !== null, () => `${fn}: options must be an object`);
  const out = layerOutputDim(net.layers[net.layers.length - 1]);
  const A = options.A;
  if (A) {
    assertType(Array.isArray(A) && A.length > 0, () => `${fn}: options.A must be a non-empty matrix`);
    A.forEach((row, i) => validateVector(fn, `options.A[${i}]`, row, out));
    assertRange(
      y.length === A.length,
      () => `${fn}: y has length ${y.length}, expected ${A.length} (rows of A)`,
    );
  } else {
    assertRange(y.length === out, () => `${fn}: y has length ${y.length}, expected ${out}`);
  }
  const n = net.inputDim;
  const restarts = options.restarts ?? 5;
  const iterations = options.iterations ?? 1500;
  const lr0 = options.learningRate ?? 0.1;
  const ratio = options.finalLearningRateRatio ?? 1e-3;
  const initScale = options.initScale ?? 1;
  const seed = options.seed ?? 1;
  assertRange(
    Number.isInteger(restarts) && restarts >= 1,
    () => `${fn}: options.restarts must be an integer >= 1`,
  );
  assertRange(
    Number.isInteger(iterations) && iterations >= 1,
    () => `${fn}: options.iterations must be an integer >= 1`,
  );
  assertRange(lr0 > 0 && Number.isFinite(lr0), () => `${fn}: options.learningRate must be > 0`);
  assertRange(ratio > 0 && ratio <= 1, () => `${fn}: options.finalLearningRateRatio must be in (0, 1]`);
  assertRange(initScale >= 0 && Number.isFinite(initScale), () => `${fn}: options.initScale must be >= 0`);
  const starts = options.starts ?? [];
  starts.forEach((s, i) => validateVector(fn, `options.starts[${i}]`, s, n));
  const rng = new Rng(seed);
  const decay = iterations > 1 ? Math.pow(ratio, 1 / (iterations - 1)) : 1;
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-12;

  let best: number[] = [];
  let bestLoss = Infinity;
  let bestRestart = 0;
  const restartLosses: number[] = [];
  for (let k = 0; k < Math.max(restarts, starts.length); k++) {
    const z =
      k < starts.length ? starts[k].slice() : Array.from({ length: n }, () => initScale * rng.normal());
    const mom = new Array<number>(n).fill(0);
    const vel = new Array<number>(n).fill(0);
    let lr = lr0;
    let runBest = z.slice();
    let runLoss = Infinity;
    for (let t = 1; t <= iterations; t++) {
      const { loss, grad } = lossAndGradient(net, A, y, z);
      if (loss < runLoss) {
        runLoss = loss;
        runBest = z.slice();
      }
      const c1 = 1 - Math.pow(beta1, t);
      const c2 = 1 - Math.pow(beta2, t);
      for (let j = 0; j < n; j++) {
        mom[j] = beta1 * mom[j] + (1 - beta1) * grad[j];
        vel[j] = beta2 * vel[j] + (1 - beta2) * grad[j] * grad[j];
        z[j] -= (lr * (mom[j] / c1)) / (Math.sqrt(vel[j] / c2) + eps);
      }
      lr *= decay;
    }
    const final = lossAndGradient(net, A, y, z).loss;
    if (final < runLoss) {
      runLoss = final;
      runBest = z.slice();
    }
    restartLosses.push(runLoss);
    if (runLoss < bestLoss) {
      bestLoss = runLoss;
      best = runBest;
      bestRestart = k;
    }
  }
  let yy = 0;
  for (const v of y) yy += v * v;
  return {
    z: best,
    loss: bestLoss,
    residual: yy > 0 ? Math.sqrt(bestLoss / yy) : Math.sqrt(bestLoss),
    restartLosses,
    bestRestart,
    iterations,
    seed,
    timeMs: performance.now() - t0,
  };
}
