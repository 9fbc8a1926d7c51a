/**
 * One training step of each DCGAN network of src/tfjs/dcgan.ts on its own, as timed by
 * `npm run bench:train` and by scripts/bench-train-torch.py (the same definitions in PyTorch):
 *
 * - generator: mean squared error of G(z) against images x;
 * - discriminator: sigmoid cross-entropy (binary cross-entropy on logits) of D(x) against labels;
 * - encoder (inference network): mean squared error of E(x) against z.
 *
 * Each loss is a mean over the batch, so the gradient of a batch is the mean of the gradients
 * of equal shards; the data-parallel trainer relies on that.
 */

import * as tf from "@tensorflow/tfjs";
import { buildDiscriminator, buildEncoder, buildGenerator, type DcganSizes } from "./dcgan.js";

/** The networks of the experiment. */
export type DcganNet = "generator" | "discriminator" | "encoder";

/** The list of {@link DcganNet}s. */
export const DCGAN_NETS: readonly DcganNet[] = ["generator", "discriminator", "encoder"];

/** A network with its loss: `loss(input, target)` is a scalar mean over the batch. */
export interface DcganTask {
  net: DcganNet;
  model: tf.LayersModel;
  /** Shape of one input (without the batch axis). */
  inputShape: number[];
  /** Shape of one target (without the batch axis). */
  targetShape: number[];
  loss(input: tf.Tensor, target: tf.Tensor): tf.Scalar;
}

/** Builds the network `net` and its loss. */
export function dcganTask(net: DcganNet, sizes: DcganSizes = {}): DcganTask {
  const z = sizes.z ?? 64;
  const side = sizes.image ?? 32;
  const image = [side, side, 1];
  switch (net) {
    case "generator": {
      const model = buildGenerator(sizes);
      return {
        net,
        model,
        inputShape: [z],
        targetShape: image,
        loss: (input, target) =>
          tf.losses.meanSquaredError(target, model.apply(input, { training: true }) as tf.Tensor),
      };
    }
    case "discriminator": {
      const model = buildDiscriminator(sizes);
      return {
        net,
        model,
        inputShape: image,
        targetShape: [1],
        loss: (input, target) =>
          tf.losses.sigmoidCrossEntropy(target, model.apply(input, { training: true }) as tf.Tensor),
      };
    }
    case "encoder": {
      const model = buildEncoder(sizes);
      return {
        net,
        model,
        inputShape: image,
        targetShape: [z],
        loss: (input, target) =>
          tf.losses.meanSquaredError(target, model.apply(input, { training: true }) as tf.Tensor),
      };
    }
    default:
      throw new TypeError(`dcganTask: unknown network ${String(net)}`);
  }
}

/**
 * Deterministic example data for a task: inputs and targets of `batch` examples (z ~ N(0, I),
 * images uniform in [−1, 1], labels half 1 and half 0), from a seeded generator.
 */
export function dcganBatch(
  task: DcganTask,
  batch: number,
  seed: number,
): { input: tf.Tensor; target: tf.Tensor } {
  if (!Number.isInteger(batch) || batch < 1)
    throw new RangeError(`dcganBatch: batch must be a positive integer, got ${batch}`);
  const input =
    task.net === "generator"
      ? tf.randomNormal([batch, ...task.inputShape], 0, 1, "float32", seed)
      : tf.randomUniform([batch, ...task.inputShape], -1, 1, "float32", seed);
  let target: tf.Tensor;
  if (task.net === "generator")
    target = tf.randomUniform([batch, ...task.targetShape], -1, 1, "float32", seed + 1);
  else if (task.net === "encoder")
    target = tf.randomNormal([batch, ...task.targetShape], 0, 1, "float32", seed + 1);
  else {
    const half = batch >> 1;
    target = tf.concat([tf.ones([half, 1]), tf.zeros([batch - half, 1])]);
  }
  return { input, target };
}

/**
 * A training step of `task` with Adam (DCGAN settings by default: learning rate 2e-4, β1 = 0.5,
 * β2 = 0.999): returns a function that runs one step on (input, target) and returns the loss.
 */
export function adamStep(
  task: DcganTask,
  options: { learningRate?: number; beta1?: number; beta2?: number } = {},
): (input: tf.Tensor, target: tf.Tensor) => number {
  const opt = tf.train.adam(options.learningRate ?? 2e-4, options.beta1 ?? 0.5, options.beta2 ?? 0.999);
  return (input, target) => {
    const vars = task.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = opt.minimize(() => task.loss(input, target), true, vars);
    if (loss === null) throw new TypeError("adamStep: the optimizer returned no loss");
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
}

/**
 * Runs one optimizer step: minimizes `loss` over the trainable weights of `model` with the
 * optimizer in slot `slot`, and returns the loss. The single-thread version is
 * {@link localMinimizer}; the data-parallel workers (./data-parallel.ts) provide one that sums the
 * gradients over the workers.
 */
export interface Minimizer {
  minimize(loss: () => tf.Scalar, model: tf.LayersModel, slot: number): number;
}

/** A {@link Minimizer} on the current thread, with one optimizer per slot. */
export function localMinimizer(optimizers: tf.Optimizer[]): Minimizer {
  return {
    minimize(loss, model, slot) {
      const opt = optimizers[slot];
      if (opt === undefined) throw new RangeError(`localMinimizer: no optimizer in slot ${slot}`);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const value = opt.minimize(loss, true, vars);
      if (value === null) throw new TypeError("localMinimizer: the optimizer returned no loss");
      const v = value.dataSync()[0];
      value.dispose();
      return v;
    },
  };
}

/**
 * A training task made of several models and optimizer steps, each loss a mean over the batch:
 * `step(minimizer, input, target)` runs the steps through `minimizer` and returns their losses.
 */
export interface MultiStepTask {
  models: tf.LayersModel[];
  /** Number of optimizers (slots) the steps use. */
  optimizers: number;
  /** Shape of one input (without the batch axis) and of one target. */
  inputShape: number[];
  targetShape: number[];
  step(minimizer: Minimizer, input: tf.Tensor, target: tf.Tensor): number[];
}

/**
 * One iteration of the experiment's GAN training (what a training run repeats), on a batch of
 * real images (input) and latent codes z (target): a discriminator step on the real images and
 * G(z) (sigmoid cross-entropy, labels 1 and 0; slot 1), a generator step through the
 * discriminator (sigmoid cross-entropy against label 1, the non-saturating loss; slot 0), and an
 * inference-network step (mean squared error of E(G(z)) against z on the same generated images;
 * slot 2). Models: [G, D, E]. Losses: [D, G, E].
 */
export function ganIterationTask(sizes: DcganSizes = {}): MultiStepTask {
  const G = buildGenerator(sizes);
  const D = buildDiscriminator({ ...sizes, seed: sizes.seed === undefined ? undefined : sizes.seed + 1000 });
  const E = buildEncoder({ ...sizes, seed: sizes.seed === undefined ? undefined : sizes.seed + 2000 });
  const side = sizes.image ?? 32;
  return {
    models: [G, D, E],
    optimizers: 3,
    inputShape: [side, side, 1],
    targetShape: [sizes.z ?? 64],
    step: (m, real, z) => ganStep(G, D, E, m, real, z),
  };
}

/**
 * The optimizer steps of one GAN iteration (see {@link ganIterationTask}) on models G, D, E
 * through `m` (slots 0, 1, 2 for G, D, E): returns the losses [D, G, E].
 */
export function ganStep(
  G: tf.LayersModel,
  D: tf.LayersModel,
  E: tf.LayersModel,
  m: Minimizer,
  real: tf.Tensor,
  z: tf.Tensor,
): number[] {
  const n = real.shape[0];
  const ones = tf.ones([n, 1]);
  const zeros = tf.zeros([n, 1]);
  const fake = tf.tidy(() => G.apply(z, { training: true }) as tf.Tensor);
  const d = m.minimize(
    () =>
      tf.add(
        tf.losses.sigmoidCrossEntropy(ones, D.apply(real, { training: true }) as tf.Tensor),
        tf.losses.sigmoidCrossEntropy(zeros, D.apply(fake, { training: true }) as tf.Tensor),
      ) as tf.Scalar,
    D,
    1,
  );
  const g = m.minimize(
    () =>
      tf.losses.sigmoidCrossEntropy(
        ones,
        D.apply(G.apply(z, { training: true }), { training: true }) as tf.Tensor,
      ) as tf.Scalar,
    G,
    0,
  );
  const e = m.minimize(
    () => tf.losses.meanSquaredError(z, E.apply(fake, { training: true }) as tf.Tensor) as tf.Scalar,
    E,
    2,
  );
  tf.dispose([ones, zeros, fake]);
  return [d, g, e];
}

/**
 * {@link ganIterationTask} on the current thread, with Adam (DCGAN settings by default).
 *
 * @returns the models [G, D, E] and a function running one iteration on (real images, z) that
 * returns the three losses.
 */
export function ganIteration(
  sizes: DcganSizes = {},
  options: { learningRate?: number; beta1?: number; beta2?: number } = {},
): { models: tf.LayersModel[]; step(real: tf.Tensor, z: tf.Tensor): { d: number; g: number; e: number } } {
  const task = ganIterationTask(sizes);
  const adam = (): tf.Optimizer =>
    tf.train.adam(options.learningRate ?? 2e-4, options.beta1 ?? 0.5, options.beta2 ?? 0.999);
  const minimizer = localMinimizer([adam(), adam(), adam()]);
  return {
    models: task.models,
    step(real, z) {
      const [d, g, e] = task.step(minimizer, real, z);
      return { d, g, e };
    },
  };
}
