/**
 * Sample-quality metrics of the injective-GAN experiment, computed with a small classifier that
 * the toolkit trains on the same data set: the standard substitute for the Inception network on
 * MNIST-sized data (no Inception weights can be downloaded here, and Inception features of 32×32
 * digits would mean little). The numbers are therefore comparable between our runs, not with the
 * paper's Table 1.
 *
 * - Fréchet distance (the FID formula): W2² between the Gaussians fitted to the classifier's
 *   penultimate features (84 numbers) of real and generated images (Heusel et al. 2017);
 * - Inception-style score: exp(E_x KL(p(y|x) ‖ p(y))) with the classifier's class probabilities
 *   (Salimans et al. 2016), between 1 and the number of classes;
 * - W2 between the latent prior N(0, I) and the Gaussian fitted to Inet(G(z)), the paper's metric
 *   (src/experiments/gaussian-w2.ts).
 *
 * The classifier is LeNet-5 shaped: Conv(5×5, 6) → ReLU → MaxPool 2 → Conv(5×5, 16) → ReLU →
 * MaxPool 2 → Dense 120 → ReLU → Dense 84 → ReLU (the features) → Dense 10.
 */

import * as tf from "@tensorflow/tfjs";
import { fitGaussian, gaussianW2Squared } from "../../experiments/gaussian-w2.js";
import { epochPermutation } from "./train.js";

/** Builds the LeNet-type classifier for side×side×channels images and `classes` classes. */
export function buildClassifier(
  side: number,
  channels: number,
  classes: number,
  seed: number,
): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  const input = tf.input({ shape: [side, side, channels] });
  let x = tf.layers
    .conv2d({ filters: 6, kernelSize: 5, activation: "relu", kernelInitializer: init(0) })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 16, kernelSize: 5, activation: "relu", kernelInitializer: init(1) })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ units: 120, activation: "relu", kernelInitializer: init(2) })
    .apply(x) as tf.SymbolicTensor;
  const features = tf.layers
    .dense({ units: 84, activation: "relu", kernelInitializer: init(3), name: "features" })
    .apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: classes, kernelInitializer: init(4), name: "logits" })
    .apply(features) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [logits, features], name: "classifier" });
}

/** Options of {@link trainClassifier}. */
export interface ClassifierOptions {
  /** @default 3 */
  epochs?: number;
  /** @default 128 */
  batch?: number;
  /** @default 1 */
  seed?: number;
  /** Share of the images held out to measure the accuracy. @default 0.1 */
  holdout?: number;
  onProgress?: (done: number, total: number) => void;
}

/** A trained classifier and its accuracy on the held-out images. */
export interface TrainedClassifier {
  model: tf.LayersModel;
  accuracy: number;
  trainCount: number;
  testCount: number;
}

/**
 * Trains the classifier with Adam (learning rate 1e-3) on a seeded split of the images.
 *
 * @param images count × side × side × channels values in [−1, 1]
 * @param labels class of each image, 0 … classes − 1
 */
export async function trainClassifier(
  images: Float32Array,
  labels: Int32Array,
  side: number,
  channels: number,
  options: ClassifierOptions = {},
): Promise<TrainedClassifier> {
  const count = labels.length;
  const size = side * side * channels;
  const classes = labels.reduce((a, v) => Math.max(a, v), 0) + 1;
  const seed = options.seed ?? 1;
  const epochs = options.epochs ?? 3;
  const batch = options.batch ?? 128;
  const perm = epochPermutation(count, seed, -1);
  const testCount = Math.floor(count * (options.holdout ?? 0.1));
  const test = perm.subarray(0, testCount);
  const train = perm.subarray(testCount);
  const model = buildClassifier(side, channels, classes, seed);
  const opt = tf.train.adam(1e-3);
  const gather = (idx: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor2D } => {
    const xs = new Float32Array(idx.length * size);
    const ys = new Int32Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      xs.set(images.subarray(idx[i] * size, (idx[i] + 1) * size), i * size);
      ys[i] = labels[idx[i]];
    }
    return {
      x: tf.tensor4d(xs, [idx.length, side, side, channels]),
      y: tf.oneHot(tf.tensor1d(ys, "int32"), classes) as tf.Tensor2D,
    };
  };
  const stepsPerEpoch = Math.ceil(train.length / batch);
  let done = 0;
  for (let e = 0; e < epochs; e++) {
    const order = epochPermutation(train.length, seed, e);
    for (let s = 0; s < stepsPerEpoch; s++) {
      const idx = Array.from(order.subarray(s * batch, (s + 1) * batch), (k) => train[k]);
      const { x, y } = gather(idx);
      opt.minimize(() => {
        const [logits] = model.apply(x, { training: true }) as tf.Tensor[];
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      });
      tf.dispose([x, y]);
      options.onProgress?.(++done, epochs * stepsPerEpoch);
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  let correct = 0;
  for (let s = 0; s < testCount; s += 512) {
    const idx = test.subarray(s, Math.min(testCount, s + 512));
    const { x, y } = gather(idx);
    const pred = tf.tidy(() => ((model.predict(x) as tf.Tensor[])[0] as tf.Tensor2D).argMax(-1));
    const truth = tf.tidy(() => y.argMax(-1));
    const a = pred.dataSync();
    const b = truth.dataSync();
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) correct++;
    tf.dispose([x, y, pred, truth]);
  }
  opt.dispose();
  return { model, accuracy: testCount > 0 ? correct / testCount : NaN, trainCount: train.length, testCount };
}

/** The classifier's features (84 per image) and class probabilities, in batches. */
export function classify(
  model: tf.LayersModel,
  images: Float32Array,
  count: number,
  side: number,
  channels: number,
): { features: Float64Array[]; probs: Float64Array[] } {
  const size = side * side * channels;
  const features: Float64Array[] = [];
  const probs: Float64Array[] = [];
  for (let s = 0; s < count; s += 512) {
    const k = Math.min(count, s + 512) - s;
    const [f, p] = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(s * size, (s + k) * size), [k, side, side, channels]);
      const [logits, feats] = model.predict(x) as tf.Tensor[];
      return [feats.dataSync(), tf.softmax(logits).dataSync()];
    });
    const df = f.length / k;
    const dp = p.length / k;
    for (let i = 0; i < k; i++) {
      features.push(Float64Array.from(f.subarray(i * df, (i + 1) * df)));
      probs.push(Float64Array.from(p.subarray(i * dp, (i + 1) * dp)));
    }
  }
  return { features, probs };
}

/** The Fréchet distance between the Gaussians fitted to two feature sets (the FID formula). */
export function frechetDistance(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  const fa = fitGaussian(a);
  const fb = fitGaussian(b);
  return gaussianW2Squared(fa.mean, fa.covariance, fb.mean, fb.covariance);
}

/** exp(E_x KL(p(y|x) ‖ p(y))): the Inception-score formula on a classifier's probabilities. */
export function inceptionScore(probs: ArrayLike<number>[]): number {
  if (probs.length === 0) throw new RangeError("inceptionScore(): no samples");
  const k = probs[0].length;
  const marginal = new Float64Array(k);
  for (const p of probs) for (let j = 0; j < k; j++) marginal[j] += p[j] / probs.length;
  let kl = 0;
  for (const p of probs)
    for (let j = 0; j < k; j++)
      if (p[j] > 0) kl += (p[j] * Math.log(p[j] / Math.max(marginal[j], 1e-300))) / probs.length;
  return Math.exp(kl);
}
