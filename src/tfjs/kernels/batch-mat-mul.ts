/**
 * `BatchMatMul` for the wasm backend, replacing the stock one for speed when an operand is
 * transposed. It computes, for every batch index, A·B, Aᵀ·B, A·Bᵀ or Aᵀ·Bᵀ of the last two axes
 * (with the batch axes broadcast), exactly as the stock kernel does.
 *
 * Why: in tfjs 4.22's wasm backend only the product without transposes runs at XNNPACK speed;
 * with `transposeB` it was about 6× slower and with `transposeA` about 18× slower on a
 * 1024×128 by 128×1024 product (docs/tfjs.md). The gradient of every dense layer uses both
 * (dx = dy·Wᵀ, dW = xᵀ·dy).
 *
 * How: a transposed operand is first transposed explicitly by the backend's Transpose kernel
 * (swapping the last two axes, a copy of the operand), then the stock kernel runs the
 * untransposed product.
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { disposeInfo, stockKernelFunc, transposeInfo } from "./wasm-ops.js";

function swapLastTwo(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  const r = x.shape.length;
  if (r < 2) throw new RangeError(`BatchMatMul needs operands of rank ≥ 2, got [${x.shape}]`);
  const perm = x.shape.map((_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transposeInfo(backend, x, perm);
}

/** The kernel function (see the file header). */
export function batchMatMul(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as unknown as BackendWasm;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const stock = stockKernelFunc("BatchMatMul");
  if (!transposeA && !transposeB) {
    return stock({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
  }
  const at = transposeA ? swapLastTwo(backend, a) : a;
  const bt = transposeB ? swapLastTwo(backend, b) : b;
  const out = stock({ inputs: { a: at, b: bt }, backend, attrs: { transposeA: false, transposeB: false } });
  if (transposeA) disposeInfo(backend, at);
  if (transposeB) disposeInfo(backend, bt);
  return out;
}

/** Kernel registration record for `tf.registerKernel` (replaces the stock wasm kernel). */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: "BatchMatMul",
  backendName: "wasm",
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
