/**
 * `Tile` for the wasm backend, replacing the stock one for speed. It computes `tf.tile(x, reps)`:
 * the output has shape [s0·r0, s1·r1, …] and out[i0, i1, …] = x[i0 mod s0, i1 mod s1, …].
 *
 * Why: the gradient of batch normalization tiles a per-channel vector to the full activation
 * shape, and the stock wasm kernel, which computes a source index for every output element, took
 * a quarter of a DCGAN generator step (docs/tfjs.md).
 *
 * How: block copies on the wasm heap. Walking the axes from the outermost, each source block is
 * written once at its place in the output, then the finished block of axis d (all of its inner
 * axes already tiled) is duplicated r_d − 1 times with `copyWithin`, so every output element is
 * written by a memory move rather than an index computation.
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

type Heap = Float32Array | Int32Array | Uint8Array;

/** The kernel function (see the file header). */
export function tile(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as unknown as BackendWasm;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { reps } = (args.attrs ?? {}) as { reps: number[] };
  const shape = x.shape;
  const r = shape.length;
  if (!Array.isArray(reps) || reps.length !== r || reps.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new RangeError(`Tile: reps must be ${r} non-negative integers, got [${String(reps)}]`);
  }
  if (x.dtype === "string" || x.dtype === "complex64")
    throw new TypeError(`Tile on wasm does not support ${x.dtype}`);
  const outShape = shape.map((s, i) => s * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  const size = outShape.reduce((a, b) => a * b, 1);
  if (size === 0) return out;
  const src = backend.typedArrayFromHeap(x) as Heap;
  const dst = backend.typedArrayFromHeap(out) as Heap;
  if (r === 0) {
    dst[0] = src[0];
    return out;
  }
  // Element strides of the source and of the output.
  const srcStride = new Array<number>(r);
  const dstStride = new Array<number>(r);
  srcStride[r - 1] = 1;
  dstStride[r - 1] = 1;
  for (let d = r - 2; d >= 0; d--) {
    srcStride[d] = srcStride[d + 1] * shape[d + 1];
    dstStride[d] = dstStride[d + 1] * outShape[d + 1];
  }
  const fill = (d: number, s: number, o: number): void => {
    const n = shape[d];
    if (d === r - 1) {
      (dst as Float32Array).set((src as Float32Array).subarray(s, s + n), o);
    } else {
      for (let i = 0; i < n; i++) fill(d + 1, s + i * srcStride[d], o + i * dstStride[d]);
    }
    const block = n * dstStride[d];
    for (let k = 1; k < reps[d]; k++) dst.copyWithin(o + k * block, o, o + block);
  };
  fill(0, 0, 0);
  return out;
}

/** Kernel registration record for `tf.registerKernel` (replaces the stock wasm kernel). */
export const tileConfig: tf.KernelConfig = {
  kernelName: "Tile",
  backendName: "wasm",
  kernelFunc: tile as unknown as tf.KernelFunc,
};
