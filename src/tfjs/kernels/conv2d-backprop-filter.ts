/**
 * `Conv2DBackpropFilter` for the wasm backend (missing in tfjs 4.22, tfjs issue 8474): the
 * gradient of a 2-D convolution with respect to its filter. Conv2D, Conv2DBackpropInput (so
 * `conv2dTranspose`) and the fused convolution all need it in their gradients.
 *
 * What it computes (NHWC, dilations 1): for x of shape [N, H, W, Cin], the output gradient dy of
 * shape [N, Ho, Wo, Cout], strides (sh, sw) and the padding (top pt, left pl) that the forward
 * convolution used ('same', 'valid' or explicit),
 *
 *     dW[a, b, ci, co] = Σ_{n, i, j} x[n, i·sh + a − pt, j·sw + b − pl, ci] · dy[n, i, j, co],
 *
 * with x read as 0 outside the image; dW has the shape `filterShape` = [kh, kw, Cin, Cout].
 *
 * How: this is itself a stride-1 convolution, run by the backend's XNNPACK Conv2D. Put the input
 * channels in the batch and the images in the channels, x' = transpose(x) of shape
 * [Cin, H, W, N], and use the output gradient as the filter, dy' = transpose(dy) of shape
 * [Ho, Wo, N, Cout], dilated by the strides (sh, sw). Then
 *
 *     conv(x', dy')[ci, a, b, co] = Σ_{i, j, n} x'[ci, a + i·sh − pt, b + j·sw − pl, n] · dy'[i, j, n, co]
 *
 * which is dW[a, b, ci, co]: padding the top and left by (pt, pl), and the bottom and right so
 * that the output has kh × kw positions. When that bottom (right) padding would be negative, the
 * last rows (columns) of x are never read by the forward convolution and are sliced off instead.
 * A final transpose gives [kh, kw, Cin, Cout].
 *
 * For few input channels (Cin ≤ 4: the image side of a network) that convolution has only
 * Cin·kh·kw output pixels and runs poorly; then dW = colsᵀ·dy is one XNNPACK matrix product of
 * the im2col matrix colsᵀ (kh·kw·Cin × N·Ho·Wo, written on the wasm heap by a loop, zeros
 * outside the image) with dy (N·Ho·Wo × Cout). On the DCGAN's 32×32×1 layers this took 1–3 ms
 * against 7–11 ms for the convolution; for 32 and more channels both took the same time.
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  conv2dInfo,
  convGradInfo,
  disposeInfo,
  type ConvGradAttrs,
  matMulInfo,
  reshapeInfo,
  sliceInfo,
  transposeInfo,
} from "./wasm-ops.js";

interface Conv2DBackpropFilterAttrs extends ConvGradAttrs {
  filterShape: [number, number, number, number];
}

/** The kernel function (see the file header). */
export function conv2DBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as unknown as BackendWasm;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const xShape = x.shape as [number, number, number, number];
  const info = convGradInfo(
    "Conv2DBackpropFilter",
    attrs,
    [
      ["x", x],
      ["dy", dy],
    ],
    xShape,
    attrs.filterShape,
  );
  const [n, h, w] = xShape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (
    dy.shape[0] !== n ||
    dy.shape[1] !== info.outHeight ||
    dy.shape[2] !== info.outWidth ||
    dy.shape[3] !== info.outChannels
  ) {
    throw new RangeError(`Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const [ho, wo] = [info.outHeight, info.outWidth];
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  if (xShape[3] <= IM2COL_MAX_CHANNELS)
    return byIm2col(backend, x, dy, attrs.filterShape, [sh, sw], [pt, pl], [ho, wo]);
  let pb = kh + (ho - 1) * sh - h - pt;
  let pr = kw + (wo - 1) * sw - w - pl;
  const toFree: tf.TensorInfo[] = [];
  let xs = x;
  if (pb < 0 || pr < 0) {
    xs = sliceInfo(backend, x, [0, 0, 0, 0], [n, h + Math.min(pb, 0), w + Math.min(pr, 0), xShape[3]]);
    toFree.push(xs);
    pb = Math.max(pb, 0);
    pr = Math.max(pr, 0);
  }
  const xt = transposeInfo(backend, xs, [3, 1, 2, 0]);
  toFree.push(xt);
  const dyt = transposeInfo(backend, dy, [1, 2, 0, 3]);
  toFree.push(dyt);
  const conv = conv2dInfo(
    backend,
    xt,
    dyt,
    [
      [pt, pb],
      [pl, pr],
    ],
    [sh, sw],
  );
  toFree.push(conv);
  const out = transposeInfo(backend, conv, [1, 2, 0, 3]);
  for (const t of toFree) disposeInfo(backend, t);
  return out;
}

/** Up to this many input channels, the im2col product is used instead of the convolution. */
const IM2COL_MAX_CHANNELS = 4;

/** dW = colsᵀ · dy with the im2col matrix written on the wasm heap (see the file header). */
function byIm2col(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  filterShape: [number, number, number, number],
  [sh, sw]: [number, number],
  [pt, pl]: [number, number],
  [ho, wo]: [number, number],
): tf.TensorInfo {
  const [n, h, w, cin] = x.shape;
  const [kh, kw, , cout] = filterShape;
  const rows = n * ho * wo;
  const colsT = backend.makeOutput([kh * kw * cin, rows], "float32");
  // Views into the wasm heap, taken after the last allocation (a heap growth detaches them).
  const dst = backend.typedArrayFromHeap(colsT) as Float32Array;
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  let o = 0;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      for (let ci = 0; ci < cin; ci++) {
        for (let bn = 0; bn < n; bn++) {
          for (let i = 0; i < ho; i++) {
            const y = i * sh + a - pt;
            if (y < 0 || y >= h) {
              dst.fill(0, o, o + wo);
              o += wo;
              continue;
            }
            const rowBase = (bn * h + y) * w;
            for (let j = 0; j < wo; j++) {
              const xx = j * sw + b - pl;
              dst[o++] = xx >= 0 && xx < w ? src[(rowBase + xx) * cin + ci] : 0;
            }
          }
        }
      }
    }
  }
  const dy2 = reshapeInfo(backend, dy, [rows, cout]);
  const prod = matMulInfo(backend, colsT, dy2, false, false);
  const out = reshapeInfo(backend, prod, filterShape);
  for (const t of [colsT, dy2, prod]) disposeInfo(backend, t);
  return out;
}

/** Kernel registration record for `tf.registerKernel`. */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
