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
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { conv2dInfo, disposeInfo, sliceInfo, transposeInfo } from "./wasm-ops.js";

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
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
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new TypeError(`Conv2DBackpropFilter on wasm supports NHWC only, got ${attrs.dataFormat}`);
  }
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new RangeError(`Conv2DBackpropFilter needs rank-4 x and dy, got [${x.shape}] and [${dy.shape}]`);
  }
  const xShape = x.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
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

/** Kernel registration record for `tf.registerKernel`. */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
