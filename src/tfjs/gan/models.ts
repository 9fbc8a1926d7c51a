/**
 * The networks of the injective-GAN experiment (Puthawala et al., *Globally Injective ReLU
 * Networks*, Section 4): a generator of each type with the same sizes, normalization and
 * initialisation, a discriminator and an inference network.
 *
 * Every ReLU layer of the generator is expansive by exactly 2 (the paper notes that the DCGAN's
 * layers are) and its last layer is square, so that the injective generator is injective as a
 * whole map (Corollary 1), not only up to its last layer. Two layouts:
 *
 * - **mlp** (the default for 32×32 images): z → FC(256) → BN → FC(512) → BN → FC(1024) → BN →
 *   FC(side²·channels, tanh) → image, the hidden widths doubling up to the output size (at most
 *   three hidden layers, each at least 2·z wide);
 * - **dcgan** (the default for 64×64): z → FC(16·c0, ReLU) → 4×4×c0 → [BN → ConvT(4, stride 2,
 *   same, ReLU)]… → BN → ConvT(→ channels) → tanh, with c_i = width·2^(L−1−i) channels at the
 *   4·2^i map. width ≤ 4·channels keeps the last transposed convolution from reducing the
 *   dimension; at 32×32×1 that leaves 14 000 weights (64 → 4×4×16 → 8×8×8 → 16×16×4 → 32×32×1),
 *   which in our trials did not learn MNIST in 600 steps, hence the mlp default there.
 *
 * The paper's injective DCGAN keeps the DCGAN's channel counts, so its last layer (a transposed
 * convolution to 64×64×3) reduces the dimension: it is injective up to that layer only. A
 * generator into 1 024 values with expansivity 2 per ReLU layer and an injective last layer has
 * at most 512 → 1 024 in its last ReLU layer, whatever its layer kind.
 *
 * - **regular**: `Dense` and `Conv2DTranspose` with a ReLU: by Corollary 2 an expansivity of 2 is
 *   the least an injective ReLU layer needs, and generic weights at that size are not injective;
 * - **injective**: the same sizes with {@link InjectiveDense} (Corollary 2, [B; −DB; M]) and
 *   {@link InjectiveConv2dTranspose} (filters in pairs [C; −s²C]): injective whenever B and the
 *   convolutions of C have full rank, which `injective-relu check` decides exactly (rules
 *   `dense-pairs` and `conv-pairs`).
 *
 * Batch normalization comes before each layer after the first (on its input) rather than after
 * it, in both types: a per-channel affine map after a paired layer would scale the two rows of a
 * pair independently and could open a dead zone between them, while before the layer it is an
 * invertible affine map of the input (its scales are nonzero) and keeps the pairs exact.
 *
 * The discriminator and the inference network (encoder, Inet with Inet(G(z)) ≈ z) are DCGAN
 * convolution stacks: [Conv(4, stride 2, same) → (BN) → LeakyReLU(0.2)]… → Dense (a logit, or
 * the latent code).
 */

import * as tf from "@tensorflow/tfjs";
import { InjectiveConv2dTranspose } from "../injective-conv.js";
import { InjectiveDense } from "../injective-dense.js";
import { InputRangeError, InputTypeError } from "../../core/validate.js";

import type { GeneratorArch, GeneratorType } from "./generator-kinds.js";

export { GENERATOR_TYPES, type GeneratorArch, type GeneratorType } from "./generator-kinds.js";

/** Sizes of the experiment's networks. */
export interface GanSizes {
  /**
   * The generator's layers: "mlp" (fully connected, the default for 32×32 images) or "dcgan"
   * (transposed convolutions; the default for 64×64). See the module comment.
   */
  arch?: GeneratorArch;
  /** Latent dimension. @default 64 */
  z?: number;
  /** Image side: 32 or 64. @default 32 */
  side?: 32 | 64;
  /** Image channels: 1 (grey) or 3 (RGB). @default 1 */
  channels?: 1 | 3;
  /** Channels of the generator's last hidden map (at most 4·channels). @default 4·channels */
  width?: number;
  /** Channels of the first convolution of the discriminator. @default 16 */
  criticWidth?: number;
  /** Channels of the first convolution of the inference network. @default criticWidth */
  encoderWidth?: number;
}

/** {@link GanSizes} with every default filled in. */
export type ResolvedGanSizes = Required<GanSizes>;

/**
 * Fills in the defaults of {@link GanSizes} and checks them.
 *
 * @throws RangeError when a size is not a positive integer, the side is not 32 or 64, the
 * channels are not 1 or 3, the width exceeds 4·channels, or 16·c0 < 2·z (the first layer would
 * not be expansive by 2).
 */
export function resolveGanSizes(sizes: GanSizes = {}): ResolvedGanSizes {
  const fn = "resolveGanSizes()";
  const side = sizes.side ?? 32;
  const channels = sizes.channels ?? 1;
  if (side !== 32 && side !== 64)
    throw new InputRangeError(`${fn}: side must be 32 or 64, got ${String(side)}`);
  if (channels !== 1 && channels !== 3)
    throw new InputRangeError(`${fn}: channels must be 1 or 3, got ${String(channels)}`);
  const z = sizes.z ?? 64;
  const width = sizes.width ?? 4 * channels;
  const criticWidth = sizes.criticWidth ?? 16;
  const encoderWidth = sizes.encoderWidth ?? criticWidth;
  for (const [k, v] of [
    ["z", z],
    ["width", width],
    ["criticWidth", criticWidth],
    ["encoderWidth", encoderWidth],
  ] as const)
    if (!Number.isInteger(v) || v < 1)
      throw new InputRangeError(`${fn}: ${k} must be a positive integer, got ${v}`);
  if (width > 4 * channels)
    throw new InputRangeError(
      `${fn}: width ${width} > 4·channels = ${4 * channels}: the last layer would reduce the dimension`,
    );
  const c0 = generatorChannels({
    arch: "dcgan",
    z,
    side,
    channels,
    width,
    criticWidth,
    encoderWidth: criticWidth,
  })[0];
  if (16 * c0 < 2 * z)
    throw new InputRangeError(
      `${fn}: the first layer has 16·${c0} = ${16 * c0} units, fewer than 2·z = ${2 * z}`,
    );
  if (width % 2 !== 0) throw new InputRangeError(`${fn}: width must be even (paired channels), got ${width}`);
  const arch = sizes.arch ?? (side === 32 ? "mlp" : "dcgan");
  if (arch !== "mlp" && arch !== "dcgan")
    throw new InputRangeError(`${fn}: arch must be "mlp" or "dcgan", got ${String(arch)}`);
  if (arch === "mlp" && side * side * channels > 4096)
    throw new InputRangeError(
      `${fn}: arch "mlp" is for images of at most 4096 values (its last layer is square); use "dcgan" for ${side}×${side}×${channels}`,
    );
  return { arch, z, side, channels, width, criticWidth, encoderWidth };
}

/** The widths of the fully connected generator's hidden layers: doubling up to the output size. */
export function mlpWidths(s: ResolvedGanSizes): number[] {
  const out = s.side * s.side * s.channels;
  const w: number[] = [out];
  while (w[0] / 2 >= 2 * s.z && w.length < 3) w.unshift(w[0] / 2);
  return w;
}

/** The channels of the generator's hidden maps, from 4×4 outwards. */
export function generatorChannels(s: ResolvedGanSizes): number[] {
  const maps = Math.log2(s.side / 4);
  return Array.from({ length: maps }, (_, i) => s.width * 2 ** (maps - 1 - i));
}

function init(seed: number, k: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: seed + k });
}

/**
 * The generator of type `type` (see the module comment); the same `seed` gives both types the
 * same initial B / C where their shapes agree. `outputBias` initialises the bias of the last layer
 * (before the tanh): atanh of the data's mean pixel puts the initial samples at the mean
 * brightness, which a bias trained by Adam at learning rate 2e-4 would take thousands of steps to
 * reach on MNIST's mostly black images (see {@link dataOutputBias}).
 */
export function buildGanGenerator(
  type: GeneratorType,
  sizes: GanSizes,
  seed: number,
  outputBias = 0,
): tf.Sequential {
  if (type !== "regular" && type !== "injective")
    throw new InputTypeError(
      `buildGanGenerator(): type must be "regular" or "injective", got ${String(type)}`,
    );
  const s = resolveGanSizes(sizes);
  if (s.arch === "mlp") return mlpGenerator(type, s, seed, outputBias);
  const ch = generatorChannels(s);
  const m = tf.sequential({ name: `${type}_generator` });
  const units = 16 * ch[0];
  if (type === "injective")
    m.add(new InjectiveDense({ inputShape: [s.z], extraUnits: units - 2 * s.z, seed, name: "fc" }));
  else
    m.add(
      tf.layers.dense({
        inputShape: [s.z],
        units,
        activation: "relu",
        kernelInitializer: init(seed, 0),
        name: "fc",
      }),
    );
  m.add(tf.layers.reshape({ targetShape: [4, 4, ch[0]], name: "to_map" }));
  ch.slice(1).forEach((c, i) => {
    m.add(tf.layers.batchNormalization({ name: `bn${i + 1}` }));
    const conv = { filters: c, kernelSize: 4, strides: 2, padding: "same" as const, name: `up${i + 1}` };
    m.add(
      type === "injective"
        ? new InjectiveConv2dTranspose({ ...conv, seed: seed + i + 1 })
        : tf.layers.conv2dTranspose({ ...conv, activation: "relu", kernelInitializer: init(seed, i + 1) }),
    );
  });
  m.add(tf.layers.batchNormalization({ name: `bn${ch.length}` }));
  m.add(
    tf.layers.conv2dTranspose({
      filters: s.channels,
      kernelSize: 4,
      strides: 2,
      padding: "same",
      activation: "tanh",
      kernelInitializer: init(seed, ch.length),
      biasInitializer: tf.initializers.constant({ value: outputBias }),
      name: "out",
    }),
  );
  return m;
}

function mlpGenerator(
  type: GeneratorType,
  s: ResolvedGanSizes,
  seed: number,
  outputBias: number,
): tf.Sequential {
  const widths = mlpWidths(s);
  const m = tf.sequential({ name: `${type}_generator` });
  let input = s.z;
  widths.forEach((units, i) => {
    if (i > 0) m.add(tf.layers.batchNormalization({ name: `bn${i}` }));
    const first = i === 0 ? { inputShape: [s.z] } : {};
    m.add(
      type === "injective"
        ? new InjectiveDense({ ...first, extraUnits: units - 2 * input, seed: seed + i, name: `fc${i}` })
        : tf.layers.dense({
            ...first,
            units,
            activation: "relu",
            kernelInitializer: init(seed, i),
            name: `fc${i}`,
          }),
    );
    input = units;
  });
  m.add(tf.layers.batchNormalization({ name: `bn${widths.length}` }));
  m.add(
    tf.layers.dense({
      units: s.side * s.side * s.channels,
      activation: "tanh",
      kernelInitializer: init(seed, widths.length),
      biasInitializer: tf.initializers.constant({ value: outputBias }),
      name: "out",
    }),
  );
  m.add(tf.layers.reshape({ targetShape: [s.side, s.side, s.channels], name: "to_image" }));
  return m;
}

/** atanh of the mean pixel of images in [−1, 1] (clamped to ±0.95): the generator's initial output bias. */
export function dataOutputBias(images: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < images.length; i++) sum += images[i];
  const m = Math.max(-0.95, Math.min(0.95, sum / Math.max(1, images.length)));
  return Math.atanh(m);
}

function criticBody(m: tf.Sequential, s: ResolvedGanSizes, width: number, seed: number): void {
  const maps = Math.log2(s.side / 4);
  for (let i = 0; i < maps; i++) {
    const conv = {
      filters: width * 2 ** i,
      kernelSize: 4,
      strides: 2,
      padding: "same" as const,
      useBias: i === 0,
      kernelInitializer: init(seed, i),
    };
    m.add(
      i === 0
        ? tf.layers.conv2d({ ...conv, inputShape: [s.side, s.side, s.channels] })
        : tf.layers.conv2d(conv),
    );
    if (i > 0) m.add(tf.layers.batchNormalization());
    m.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  }
  m.add(tf.layers.flatten());
}

/** The discriminator: image → logit (train it with a sigmoid cross-entropy). */
export function buildGanDiscriminator(sizes: GanSizes, seed: number): tf.Sequential {
  const s = resolveGanSizes(sizes);
  const m = tf.sequential({ name: "discriminator" });
  criticBody(m, s, s.criticWidth, seed);
  m.add(tf.layers.dense({ units: 1, kernelInitializer: init(seed, 50) }));
  return m;
}

/** The inference network Inet: image → latent code (trained so that Inet(G(z)) ≈ z). */
export function buildGanEncoder(sizes: GanSizes, seed: number): tf.Sequential {
  const s = resolveGanSizes(sizes);
  const m = tf.sequential({ name: "encoder" });
  criticBody(m, s, s.encoderWidth, seed);
  m.add(tf.layers.dense({ units: s.z, kernelInitializer: init(seed, 50) }));
  return m;
}
