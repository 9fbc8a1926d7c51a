/**
 * Batch statistics over all the workers of a data-parallel step ("synchronized batch norm"),
 * so that a step on shards gives the same result as a step on the whole batch.
 *
 * tfjs-layers' BatchNormalization computes the batch mean and variance with tfjs-core's
 * `moments(x, axes)`. {@link installSyncMoments} replaces that export of the CommonJS
 * `@tensorflow/tfjs-core` module (the one tfjs-layers calls) by a version that, whenever the
 * reduction axes include the batch axis 0, sums over all workers:
 *
 * - forward: mean = all-reduce(Σ x) / n, then var = all-reduce(Σ (x − mean)²) / n, with n the
 *   total number of reduced elements over all workers (the same two passes as `moments`);
 * - backward (tf.customGrad): the upstream gradients dmean and dvar are sums over the workers'
 *   shards of one global quantity, so they are all-reduced first; then, locally,
 *   dx = (dmean + 2·dvar·(x − mean)) / n.
 *
 * Reductions that do not include axis 0 (layer normalization) keep the original `moments`.
 * Only the data-parallel worker threads install it; the main thread's tfjs is left alone.
 */

import { createRequire } from "node:module";
import * as tf from "@tensorflow/tfjs";
import type { AllReduce } from "./all-reduce.js";

type Moments = (
  x: tf.Tensor,
  axis?: number | number[],
  keepDims?: boolean,
) => { mean: tf.Tensor; variance: tf.Tensor };

/** A tfjs-core `moments` whose batch statistics span all workers of `group`. */
export function syncMoments(group: AllReduce, original: Moments): Moments {
  return (x, axis, keepDims = false) => {
    const axes = tf.util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape);
    if (!axes.includes(0) || group.workers === 1) return original(x, axis, keepDims);
    const keptShape = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
    const localCount = axes.reduce((p, a) => p * x.shape[a], 1);
    const stats = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const xin = args[0] as tf.Tensor;
      const save = args[1] as tf.GradSaveFunc;
      const sums = tf.sum(xin, axes, true).dataSync() as Float32Array;
      const withCount = new Float32Array(sums.length + 1);
      withCount.set(sums);
      withCount[sums.length] = localCount;
      const reduced = group.sum(withCount);
      const n = reduced[sums.length];
      const mean = tf.div(tf.tensor(reduced.subarray(0, sums.length), keptShape), n);
      const sq = group.sum(tf.sum(tf.square(tf.sub(xin, mean)), axes, true).dataSync() as Float32Array);
      const variance = tf.div(tf.tensor(sq, keptShape), n);
      save([xin, mean]);
      const value = tf.stack([mean, variance]);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, m] = saved;
          const d = group.sum(dy.dataSync() as Float32Array);
          const dt = tf.tensor(d, dy.shape);
          const [dmean, dvar] = tf.unstack(dt);
          return tf.div(tf.add(dmean, tf.mul(tf.mul(dvar, 2), tf.sub(xs, m))), n);
        },
      };
    });
    const [mean, variance] = tf.unstack(stats(x));
    if (keepDims) return { mean, variance };
    const outShape = x.shape.filter((_, i) => !axes.includes(i));
    return { mean: tf.reshape(mean, outShape), variance: tf.reshape(variance, outShape) };
  };
}

/**
 * Replaces `moments` of the CommonJS tfjs-core module (used by tfjs-layers' batch norm) by
 * {@link syncMoments} for `group`. For worker threads of the data-parallel trainer only.
 *
 * @returns a function that restores the original.
 */
export function installSyncMoments(group: AllReduce): () => void {
  const core = createRequire(import.meta.url)("@tensorflow/tfjs-core") as { moments: Moments };
  const original = core.moments;
  core.moments = syncMoments(group, original);
  return () => {
    core.moments = original;
  };
}
