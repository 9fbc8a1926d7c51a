/**
 * `Conv2D` and `FusedConv2D` for the wasm backend: the stock kernels, with 'same' padding passed
 * as the equivalent explicit padding. They compute the usual NHWC convolution
 *
 *     y[n, i, j, co] = Σ_{a, b, ci} x[n, i·sh + a·dh − pt, j·sw + b·dw − pl, ci] · W[a, b, ci, co]
 *
 * (plus bias and activation for the fused kernel), with x read as 0 outside the image.
 *
 * Why: in tfjs 4.22 the stock wasm kernels hand 'same' padding to XNNPACK as "TensorFlow SAME
 * padding", and the result is wrong for some shapes: in a sweep of 241 random convolutions
 * (strides 1–3, kernels 1–4, sides 2–9) 47 'same' cases differed from a direct sum, for example x [1, 5, 6, 2], W [4, 1, 2, 1], stride 2 (docs/tfjs.md), while explicit
 * padding was right in every case. Gradients of 'same' convolutions go through these kernels
 * too (the input gradient of a conv2dTranspose is a Conv2D).
 *
 * How: compute tfjs's own 'same' padding (`backend_util.computeConv2DInfo`: total padding
 * max((out − 1)·s + (k − 1)·d + 1 − in, 0), the smaller half on top/left) and call the stock
 * kernel with that explicit padding; other paddings are passed through unchanged.
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { stockKernelFunc } from "./wasm-ops.js";

interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | number[][];
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function explicitAttrs(x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.NamedAttrMap): tf.NamedAttrMap {
  const a = attrs as unknown as ConvAttrs;
  if (a.pad !== "same") return attrs;
  if (x.shape.length !== 4 || filter.shape.length !== 4) {
    throw new RangeError(`Conv2D needs rank-4 x and filter, got [${x.shape}] and [${filter.shape}]`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    "same",
    a.dimRoundingMode,
    false,
    "channelsLast",
  );
  const p = info.padInfo;
  return {
    ...attrs,
    pad: [
      [0, 0],
      [p.top, p.bottom],
      [p.left, p.right],
      [0, 0],
    ],
  } as unknown as tf.NamedAttrMap;
}

function withExplicitPadding(kernelName: string) {
  return (args: {
    inputs: tf.NamedTensorInfoMap;
    backend: tf.KernelBackend;
    attrs?: tf.NamedAttrMap;
  }): tf.TensorInfo => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    return stockKernelFunc(kernelName)({
      inputs: args.inputs,
      backend: args.backend as unknown as BackendWasm,
      attrs: explicitAttrs(x, filter, args.attrs ?? {}),
    });
  };
}

/** Kernel registration record for `tf.registerKernel` (wraps the stock wasm Conv2D). */
export const conv2DConfig: tf.KernelConfig = {
  kernelName: "Conv2D",
  backendName: "wasm",
  kernelFunc: withExplicitPadding("Conv2D") as unknown as tf.KernelFunc,
};

/** Kernel registration record for `tf.registerKernel` (wraps the stock wasm FusedConv2D). */
export const fusedConv2DConfig: tf.KernelConfig = {
  kernelName: "FusedConv2D",
  backendName: "wasm",
  kernelFunc: withExplicitPadding("FusedConv2D") as unknown as tf.KernelFunc,
};
