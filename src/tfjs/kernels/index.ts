/**
 * The kernels that training DCGAN-type models on the wasm backend needs and tfjs 4.22's wasm
 * backend lacks or runs slowly. They were found by running training steps of dense,
 * convolutional, transposed convolutional, batch-norm, ReLU/leaky-ReLU, tanh and sigmoid models
 * with Adam, binary cross-entropy and mean squared error, by comparing the kernel registries of
 * the `cpu` and `wasm` backends, and by profiling the steps (docs/tfjs.md).
 */

import * as tf from "@tensorflow/tfjs";
import { conv2DBackpropFilterConfig } from "./conv2d-backprop-filter.js";
import { conv2DBackpropInputConfig } from "./conv2d-backprop-input.js";
import { batchMatMulConfig } from "./batch-mat-mul.js";
import { tileConfig } from "./tile.js";
import { conv2DConfig, fusedConv2DConfig } from "./conv2d-same-padding.js";
import { rememberStockKernel } from "./wasm-ops.js";

export { stockKernel } from "./wasm-ops.js";

/** Kernels the wasm backend does not have: registered by {@link registerTrainingKernels}. */
export const MISSING_KERNELS: readonly tf.KernelConfig[] = [conv2DBackpropFilterConfig];

/**
 * Faster or corrected versions of kernels the wasm backend has: {@link registerTrainingKernels}
 * replaces the stock ones (still available through `stockKernel`).
 */
export const REPLACED_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropInputConfig,
  batchMatMulConfig,
  tileConfig,
  conv2DConfig,
  fusedConv2DConfig,
];

/**
 * Registers {@link MISSING_KERNELS} for the wasm backend and replaces the stock kernels listed in
 * {@link REPLACED_KERNELS} (`tf.registerKernel`). Calling it again does nothing.
 *
 * @returns the names of the kernels that this call registered.
 */
export function registerTrainingKernels(): string[] {
  const added: string[] = [];
  for (const config of MISSING_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) continue;
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  for (const config of REPLACED_KERNELS) {
    const current = tf.getKernel(config.kernelName, config.backendName);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) {
      rememberStockKernel(current);
      tf.unregisterKernel(config.kernelName, config.backendName);
    }
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}
