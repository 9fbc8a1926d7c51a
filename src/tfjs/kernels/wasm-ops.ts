/**
 * Thin wrappers that call the wasm backend's own kernels (XNNPACK convolutions and matrix
 * products, transposes, slices) from inside another kernel, on `TensorInfo`s, without going
 * through the engine. The kernels in this folder are built from these, so that they run at the
 * speed of the wasm backend's compiled code instead of JavaScript loops.
 *
 * Every function returns a new `TensorInfo` that the caller owns: dispose intermediate results
 * with {@link disposeInfo}.
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** A wasm kernel function called directly on `TensorInfo`s. */
export type WasmKernelFunc = (params: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo;

const stock = new Map<string, tf.KernelConfig>();

/** Records the wasm backend's own kernel before src/tfjs/kernels replaces it. */
export function rememberStockKernel(config: tf.KernelConfig): void {
  if (!stock.has(config.kernelName)) stock.set(config.kernelName, config);
}

/** The wasm backend's own kernel of that name (the stock one if it was replaced), if any. */
export function stockKernel(name: string): tf.KernelConfig | undefined {
  return stock.get(name) ?? tf.getKernel(name, "wasm");
}

/** The function of the wasm backend's own kernel of that name. */
export function stockKernelFunc(name: string): WasmKernelFunc {
  const config = stockKernel(name);
  if (config === undefined) throw new TypeError(`the wasm backend has no '${name}' kernel`);
  return config.kernelFunc as unknown as WasmKernelFunc;
}

const wasmKernel = stockKernelFunc;

/** Frees the wasm memory of an intermediate result. */
export function disposeInfo(backend: BackendWasm, info: tf.TensorInfo): void {
  backend.disposeData(info.dataId);
}

/** `tf.transpose(x, perm)` on the wasm backend. */
export function transposeInfo(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return wasmKernel("Transpose")({ inputs: { x }, backend, attrs: { perm } });
}

/** `tf.reshape(x, shape)` on the wasm backend (shares the data, adds a reference). */
export function reshapeInfo(backend: BackendWasm, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return wasmKernel("Reshape")({ inputs: { x }, backend, attrs: { shape } });
}

/** `tf.slice(x, begin, size)` on the wasm backend. */
export function sliceInfo(
  backend: BackendWasm,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  return wasmKernel("Slice")({ inputs: { x }, backend, attrs: { begin, size } });
}

/** A stride-1 NHWC convolution with explicit padding and dilations (XNNPACK). */
export function conv2dInfo(
  backend: BackendWasm,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  pad: [[number, number], [number, number]],
  dilations: [number, number],
): tf.TensorInfo {
  const attrs = {
    strides: [1, 1],
    pad: [[0, 0], pad[0], pad[1], [0, 0]],
    dataFormat: "NHWC",
    dilations,
    dimRoundingMode: undefined,
  } as unknown as tf.NamedAttrMap;
  return wasmKernel("Conv2D")({ inputs: { x, filter }, backend, attrs });
}

/** `tf.matMul(a, b, transposeA, transposeB)` on rank-3 (batched) inputs (XNNPACK). */
export function matMulInfo(
  backend: BackendWasm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo {
  return wasmKernel("BatchMatMul")({ inputs: { a, b }, backend, attrs: { transposeA, transposeB } });
}

/** The attributes shared by the convolution gradient kernels (tfjs-core's conv2d gradients). */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/**
 * The checks and geometry of a convolution gradient kernel: NHWC only, two rank-4 inputs (named
 * for the message), then tfjs's Conv2DInfo of the forward convolution (dilations 1, channels last).
 */
export function convGradInfo(
  kernel: string,
  attrs: ConvGradAttrs,
  inputs: [string, tf.TensorInfo][],
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new TypeError(`${kernel} on wasm supports NHWC only, got ${attrs.dataFormat}`);
  }
  if (inputs.some(([, t]) => t.shape.length !== 4)) {
    throw new RangeError(
      `${kernel} needs rank-4 ${inputs.map(([name]) => name).join(" and ")}, got ${inputs.map(([, t]) => `[${t.shape}]`).join(" and ")}`,
    );
  }
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}
