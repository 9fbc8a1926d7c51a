/**
 * Seeded random generators for tests and measurements of the inversion (./invert-generator.ts):
 * fully-connected decoders (as in Lei et al.'s VAE decoders, 20 → 200 → 500 → 784), generators that
 * end in a dimension-reducing projection (Corollary 3), and DCGAN-style convolutional generators
 * (a transposed convolution from z to a small image, then transposed convolutions with stride 2 and
 * padding 1 that double the size, batch norm and ReLU between them, tanh or sigmoid at the end, as
 * PyTorch's DCGAN example builds them).
 *
 * Weights are Gaussian with He scaling (variance 2 / fan-in), so activations stay of order 1.
 * Pure TypeScript, no Node APIs.
 */

import { Rng } from "../core/random.js";
import {
  activationFunction,
  forwardUnchecked,
  normalizeNetwork,
  type Activation,
  type Network,
  type Precision,
} from "../model/network.js";

/** Options of {@link denseGenerator}. */
export interface DenseGeneratorOptions {
  /** Hidden activation. @default "relu" */
  hidden?: Activation;
  /** Slope of a leaky ReLU. @default 0.2 */
  alpha?: number;
  /** Activation of the last layer. @default "linear" */
  last?: Activation;
  /** Standard deviation of the biases (0: no bias). @default 0.1 */
  biasScale?: number;
  /** Scale of the last layer's weights (to make tanh saturate). @default 1 */
  lastScale?: number;
  /** Round every weight to float32 and record the precision. */
  precision?: Precision;
}

const fround32 = (v: number): number => Math.fround(v);

function gaussianMatrix(
  rng: Rng,
  m: number,
  n: number,
  std: number,
  round: (v: number) => number,
): number[][] {
  return Array.from({ length: m }, () => Array.from({ length: n }, () => round(std * rng.normal())));
}

/**
 * A fully-connected generator n → widths[0] → … → widths[last]: hidden layers with `hidden`
 * activation, the last with `last`.
 */
export function denseGenerator(
  n: number,
  widths: number[],
  seed: number,
  options: DenseGeneratorOptions = {},
): Network {
  const rng = new Rng(seed);
  const round = options.precision === "float32" ? fround32 : (v: number) => v;
  const hidden = options.hidden ?? "relu";
  const biasScale = options.biasScale ?? 0.1;
  let d = n;
  const layers = widths.map((w, k) => {
    const isLast = k === widths.length - 1;
    const activation = isLast ? (options.last ?? "linear") : hidden;
    const std = Math.sqrt(2 / d) * (isLast ? (options.lastScale ?? 1) : 1);
    const W = gaussianMatrix(rng, w, d, std, round);
    const b = biasScale > 0 ? Array.from({ length: w }, () => round(biasScale * rng.normal())) : undefined;
    d = w;
    return {
      type: "dense",
      W,
      ...(b ? { b } : {}),
      activation,
      ...(activation === "leaky_relu" ? { alpha: options.alpha ?? 0.2 } : {}),
    };
  });
  return normalizeNetwork("denseGenerator()", {
    format: "injective-relu/network",
    version: 1,
    inputDim: n,
    layers,
    ...(options.precision ? { precision: options.precision } : {}),
  });
}

/** Options of {@link convGenerator}. */
export interface ConvGeneratorOptions {
  /** Latent dimension. */
  z: number;
  /** Channels after each transposed convolution; the last entry is the image's channels. */
  channels: number[];
  /** Side of the first image (the first layer maps (z, 1, 1) to (channels[0], base, base)). */
  base: number;
  seed: number;
  /** Kernel, stride and padding of the upsampling layers. @default 4, 2, 1 (doubles the size) */
  kernel?: number;
  stride?: number;
  padding?: number;
  /** Batch norm (inference mode) after every hidden layer. @default true */
  batchNorm?: boolean;
  /** Output activation. @default "tanh" */
  out?: Activation;
  /** Scale of the last layer's weights (larger: more tanh saturation). @default 1 */
  lastScale?: number;
  /** Round every parameter to float32 and record the precision. */
  precision?: Precision;
}

/**
 * A DCGAN-style generator (see the module comment): (z, 1, 1) → (c0, base, base) → (c1, 2·base,
 * 2·base) → … with batch norm and ReLU between layers and `out` at the end.
 */
export function convGenerator(options: ConvGeneratorOptions): Network {
  const rng = new Rng(options.seed);
  const round = options.precision === "float32" ? fround32 : (v: number) => v;
  const k = options.kernel ?? 4;
  const s = options.stride ?? 2;
  const p = options.padding ?? 1;
  const outAct: Activation = options.out ?? "tanh";
  const layers: unknown[] = [];
  let c = options.z;
  let side = 1;
  options.channels.forEach((q, idx) => {
    const first = idx === 0;
    const isLast = idx === options.channels.length - 1;
    const kk = first ? options.base : k;
    const stride = first ? 1 : s;
    const pad = first ? 0 : p;
    const fanIn = (c * kk * kk) / (stride * stride);
    const std = Math.sqrt(2 / fanIn) * (isLast ? (options.lastScale ?? 1) : 1);
    const kernels = Array.from({ length: c }, () =>
      Array.from({ length: q }, () =>
        Array.from({ length: kk }, () => Array.from({ length: kk }, () => round(std * rng.normal()))),
      ),
    );
    const bias = Array.from({ length: q }, () => round(0.05 * rng.normal()));
    layers.push({
      type: "conv_transpose",
      inputShape: [c, side, side],
      kernels,
      bias,
      stride,
      padding: pad,
      activation: isLast ? outAct : options.batchNorm === false ? "relu" : "linear",
    });
    side = (side - 1) * stride - 2 * pad + kk;
    if (!isLast && options.batchNorm !== false) {
      const per = side * side;
      const expand = (v: number[]) => Array.from({ length: q * per }, (_, i) => v[Math.floor(i / per)]);
      const gamma = Array.from({ length: q }, () => round(1 + 0.1 * rng.normal()));
      const beta = Array.from({ length: q }, () => round(0.1 * rng.normal()));
      const mean = Array.from({ length: q }, () => round(0.1 * rng.normal()));
      const variance = Array.from({ length: q }, () => round(1 + 0.1 * Math.abs(rng.normal())));
      layers.push({
        type: "batchnorm",
        gamma: expand(gamma),
        beta: expand(beta),
        mean: expand(mean),
        var: expand(variance),
      });
      layers.push({ type: "activation", activation: "relu" });
    }
    c = q;
  });
  return normalizeNetwork("convGenerator()", {
    format: "injective-relu/network",
    version: 1,
    inputDim: options.z,
    layers,
    ...(options.precision ? { precision: options.precision } : {}),
  });
}

/**
 * A float32 forward pass, as a framework computes it (to make test outputs): dense layers accumulate
 * their dot products in float32 (every product and partial sum rounded), other layers
 * (convolutions, batch norms) are computed in float64 and rounded to float32 once, and every
 * activation output is rounded (so a tanh of a large pre-activation is exactly ±1, as in PyTorch).
 */
export function forwardFloat32(net: Network, z: ArrayLike<number>): number[] {
  let h = Array.from(z, Math.fround);
  for (const L of net.layers) {
    let pre: number[];
    if (L.W) {
      pre = L.W.map((row, i) => {
        let s = 0;
        for (let j = 0; j < row.length; j++) s = Math.fround(s + Math.fround(row[j] * h[j]));
        return Math.fround(s + (L.b ? L.b[i] : 0));
      });
    } else {
      const linear = { ...L, activation: "linear" as const };
      const one: Network = {
        format: "injective-relu/network",
        version: 1,
        inputDim: h.length,
        layers: [linear],
      };
      pre = forwardUnchecked(one, h).map(Math.fround);
    }
    const sigma = activationFunction(L);
    h = pre.map((t) => Math.fround(sigma(t)));
  }
  return h;
}
