/**
 * `Conv2DBackpropInput` for the wasm backend, replacing the stock one for speed. It is the
 * forward pass of `conv2dTranspose` and the input gradient of every convolution. The stock wasm
 * kernel of tfjs 4.22 is a direct loop in C++ without SIMD; in a DCGAN training step it took
 * about half of the time (docs/tfjs.md).
 *
 * What it computes (NHWC, dilations 1): for the output gradient dy of shape [N, Ho, Wo, Cout],
 * the filter W of shape [kh, kw, Cin, Cout], strides (sh, sw) and the forward convolution's
 * padding (top pt, left pl; 'same', 'valid' or explicit), the input gradient of shape
 * `inputShape` = [N, H, W, Cin]
 *
 *     dx[n, i·sh + a − pt, j·sw + b − pl, ci] += Σ_co dy[n, i, j, co] · W[a, b, ci, co]
 *
 * over all n, i, j, a, b (terms that fall outside the image are dropped).
 *
 * How: a matrix product and a scatter-add ("col2im"). The product
 * cols = dy (as [N·Ho·Wo, Cout]) × Wᵀ (W as [kh·kw·Cin, Cout], transposed explicitly) runs in
 * the backend's XNNPACK matrix multiply and does all the arithmetic of the transposed convolution, without the zero
 * multiplications of the "upsample and convolve" formulation; the scatter-add of each row's
 * kh·kw blocks of Cin values into dx is a loop over the wasm heap (one add per product entry).
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  convGradInfo,
  disposeInfo,
  matMulInfo,
  reshapeInfo,
  transposeInfo,
  type ConvGradAttrs,
} from "./wasm-ops.js";

interface Conv2DBackpropInputAttrs extends ConvGradAttrs {
  inputShape: [number, number, number, number];
}

/** The kernel function (see the file header). */
export function conv2DBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as unknown as BackendWasm;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const info = convGradInfo(
    "Conv2DBackpropInput",
    attrs,
    [
      ["dy", dy],
      ["filter", filter],
    ],
    attrs.inputShape,
    filter.shape as [number, number, number, number],
  );
  const [n, h, w, cin] = attrs.inputShape;
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    outHeight: ho,
    outWidth: wo,
  } = info;
  const cout = info.outChannels;
  if (dy.shape[0] !== n || dy.shape[1] !== ho || dy.shape[2] !== wo || dy.shape[3] !== cout) {
    throw new RangeError(`Conv2DBackpropInput: dy has shape [${dy.shape}], expected [${info.outShape}]`);
  }
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const rows = n * ho * wo;
  const block = kh * kw * cin;
  const dy2 = reshapeInfo(backend, dy, [rows, cout]);
  const w2 = reshapeInfo(backend, filter, [block, cout]);
  // The stock matrix product is fast only without transposes: transpose the (small) filter.
  const wt = transposeInfo(backend, w2, [1, 0]);
  const cols = matMulInfo(backend, dy2, wt, false, false);
  for (const t of [dy2, w2, wt]) disposeInfo(backend, t);
  const out = backend.makeOutput([n, h, w, cin], "float32");
  // Views into the wasm heap, taken after the last allocation (a heap growth detaches them).
  const src = backend.typedArrayFromHeap(cols) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const row = ((b * ho + i) * wo + j) * block;
        for (let a = 0; a < kh; a++) {
          const y = i * sh + a - pt;
          if (y < 0 || y >= h) continue;
          const rowA = row + a * kw * cin;
          const dstY = (b * h + y) * w;
          for (let c = 0; c < kw; c++) {
            const x = j * sw + c - pl;
            if (x < 0 || x >= w) continue;
            let s = rowA + c * cin;
            let d = (dstY + x) * cin;
            const end = d + cin;
            while (d < end) dst[d++] += src[s++];
          }
        }
      }
    }
  }
  disposeInfo(backend, cols);
  return out;
}

/** Kernel registration record for `tf.registerKernel` (replaces the stock wasm kernel). */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropInput",
  backendName: "wasm",
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};
