/**
 * The DCGAN-type networks of the injective-GAN experiment (issue 11) at 32×32×1, as tfjs layers
 * models: a generator z → image, a discriminator image → logit and an inference network (conv
 * encoder) image → z. DCGAN conventions: 4×4 kernels with stride 2 and 'same' padding, batch
 * norm, ReLU in the generator with a tanh output, leaky ReLU (0.2) in the discriminator and the
 * encoder, no bias before a batch norm. The channel widths scale with `width`.
 *
 * With the defaults (z = 64, width = 32) the generator is 64 → 4×4×128 → 8×8×64 → 16×16×32 →
 * 32×32×1 and the discriminator and encoder mirror it (32×32×1 → 16×16×32 → 8×8×64 → 4×4×128).
 */

import * as tf from "@tensorflow/tfjs";

/** Sizes of the DCGAN networks. */
export interface DcganSizes {
  /** Latent dimension (default 64). */
  z?: number;
  /** Channels of the widest feature map (4×4) divided by 4 (default 32: 4×4×128). */
  width?: number;
  /** Image side: 32 (default) or 16 (two upsamplings instead of three, for fast tests). */
  image?: 16 | 32;
  /** Seed of the weight initializers (default: tfjs's unseeded initializers). */
  seed?: number;
}

interface Resolved {
  z: number;
  widths: number[];
  seed: number | undefined;
}

function resolve(sizes: DcganSizes): Resolved {
  const z = sizes.z ?? 64;
  const width = sizes.width ?? 32;
  const image = sizes.image ?? 32;
  if (!Number.isInteger(z) || z < 1) throw new RangeError(`DCGAN: z must be a positive integer, got ${z}`);
  if (!Number.isInteger(width) || width < 1)
    throw new RangeError(`DCGAN: width must be a positive integer, got ${width}`);
  if (image !== 16 && image !== 32)
    throw new RangeError(`DCGAN: image must be 16 or 32, got ${String(image)}`);
  // Channels from the 4×4 map outwards: 4·width, 2·width, width (32×32) or 4·width, 2·width (16×16).
  const widths = image === 32 ? [4 * width, 2 * width, width] : [4 * width, 2 * width];
  return { z, widths, seed: sizes.seed };
}

function init(seed: number | undefined, k: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform(seed === undefined ? {} : { seed: seed + k });
}

/**
 * The generator: Dense(z → 4·4·C0, no bias) → BN → ReLU → reshape → [ConvT(4, 2, same, no bias)
 * → BN → ReLU]… → ConvT(→ 1 channel, bias) → tanh.
 */
export function buildGenerator(sizes: DcganSizes = {}): tf.LayersModel {
  const { z, widths, seed } = resolve(sizes);
  const m = tf.sequential({ name: "generator" });
  let k = 0;
  m.add(
    tf.layers.dense({
      inputShape: [z],
      units: 16 * widths[0],
      useBias: false,
      kernelInitializer: init(seed, k++),
    }),
  );
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.reLU());
  m.add(tf.layers.reshape({ targetShape: [4, 4, widths[0]] }));
  for (const c of widths.slice(1)) {
    m.add(
      tf.layers.conv2dTranspose({
        filters: c,
        kernelSize: 4,
        strides: 2,
        padding: "same",
        useBias: false,
        kernelInitializer: init(seed, k++),
      }),
    );
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.reLU());
  }
  m.add(
    tf.layers.conv2dTranspose({
      filters: 1,
      kernelSize: 4,
      strides: 2,
      padding: "same",
      kernelInitializer: init(seed, k++),
    }),
  );
  m.add(tf.layers.activation({ activation: "tanh" }));
  return m;
}

function encoderBody(
  m: tf.Sequential,
  imageSide: number,
  widths: number[],
  seed: number | undefined,
): number {
  let k = 100;
  const reversed = [...widths].reverse();
  reversed.forEach((c, i) => {
    const conv = {
      filters: c,
      kernelSize: 4,
      strides: 2,
      padding: "same" as const,
      useBias: i === 0,
      kernelInitializer: init(seed, k++),
    };
    m.add(
      i === 0 ? tf.layers.conv2d({ ...conv, inputShape: [imageSide, imageSide, 1] }) : tf.layers.conv2d(conv),
    );
    if (i > 0) m.add(tf.layers.batchNormalization());
    m.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  });
  m.add(tf.layers.flatten());
  return k;
}

/**
 * The discriminator: [Conv(4, 2, same) → (BN) → LeakyReLU(0.2)]… → flatten → Dense(1): a logit
 * (use a sigmoid cross-entropy on it).
 */
export function buildDiscriminator(sizes: DcganSizes = {}): tf.LayersModel {
  const { widths, seed } = resolve(sizes);
  const m = tf.sequential({ name: "discriminator" });
  const k = encoderBody(m, 4 * 2 ** widths.length, widths, seed);
  m.add(tf.layers.dense({ units: 1, kernelInitializer: init(seed, k) }));
  return m;
}

/** The inference network (encoder): the discriminator's body → Dense(z), so that Inet(G(z)) ≈ z. */
export function buildEncoder(sizes: DcganSizes = {}): tf.LayersModel {
  const { z, widths, seed } = resolve(sizes);
  const m = tf.sequential({ name: "encoder" });
  const k = encoderBody(m, 4 * 2 ** widths.length, widths, seed);
  m.add(tf.layers.dense({ units: z, kernelInitializer: init(seed, k) }));
  return m;
}
