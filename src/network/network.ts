/**
 * A minimal feed-forward network model: a chain of dense layers `h ↦ σ(W h + b)` with σ = ReLU or
 * the identity, as in the paper's equation (2), or a one-to-one activation (leaky ReLU with
 * alpha > 0, tanh, sigmoid; paper, Section 2). It is what the constructions return (Corollary 3's
 * cascades, Theorem 5's injective approximations) and what `src/io/network-file.ts` and
 * `src/io/onnx.ts` read.
 *
 * Batch normalization (inference mode) and flatten/reshape are affine maps on flat vectors, so in
 * memory they are dense layers too: a batch norm is `W = diag(s)`, `b = beta − mean·s` with
 * `s = gamma / sqrt(var + epsilon)`, linear activation, and keeps its parameters in `batchnorm`; a
 * flatten/reshape is `W = I` with the recorded shapes in `reshape`. Every consumer of `layers` that
 * understands dense layers therefore handles them correctly. Files may also write them in the short
 * forms `{"type": "batchnorm", ...}` and `{"type": "flatten" | "reshape", ...}`, which
 * {@link normalizeNetwork} turns into dense layers ({@link batchNormLayer}, {@link reshapeLayer}).
 *
 * Convolutions and transposed convolutions (stride, symmetric zero padding, as in PyTorch and ONNX)
 * are dense layers too: W is the explicit matrix of the cross-correlation, b repeats the
 * per-channel bias, and the parameters are kept in `conv` (./conv-layer.ts, {@link convLayer}); the
 * short file form is `{"type": "conv" | "conv_transpose", "inputShape", "kernels", "bias"?,
 * "stride"?, "padding"?, "activation"?, "alpha"?}`.
 *
 * Shapes: layer `l` has `W` of shape (d_{l+1}, d_l), rows are output units, and `b` of length
 * d_{l+1}; `d_0 = inputDim`. Pure TypeScript, no Node APIs.
 */

import { assertRange, assertType, validateChoice, validateMatrix, validateVector } from "../core/validate.js";
import {
  convGeometry,
  convLayerBias,
  convLayerMatrix,
  normalizeConvParams,
  type ConvParams,
} from "./conv-layer.js";

export type { ConvParams } from "./conv-layer.js";

/** The activations a dense layer may have. */
export const ACTIVATIONS = ["relu", "linear", "leaky_relu", "tanh", "sigmoid"] as const;

/** An activation of {@link ACTIVATIONS}. */
export type Activation = (typeof ACTIVATIONS)[number];

/** The one-to-one (strictly increasing) activations: leaky ReLU (alpha > 0), tanh, sigmoid. */
export const ONE_TO_ONE_ACTIVATIONS: readonly Activation[] = ["leaky_relu", "tanh", "sigmoid"];

/** Inference-mode batch-norm parameters: `y = gamma (x − mean) / sqrt(var + epsilon) + beta`. */
export interface BatchNormParams {
  gamma: number[];
  beta: number[];
  mean: number[];
  var: number[];
  epsilon: number;
}

/** Where a flatten/reshape layer came from; the map itself is the identity on flat vectors. */
export interface ReshapeInfo {
  op: "flatten" | "reshape";
  /** Input and output shapes (without the batch dimension), when known. */
  inputShape?: number[];
  outputShape?: number[];
}

/** A dense layer `h ↦ σ(W h + b)`. */
export interface DenseLayerSpec {
  type: "dense";
  /** Weights, shape (out, in); rows are output units. */
  W: number[][];
  /** Bias, length out; absent means zero. */
  b?: number[];
  /**
   * `relu`: σ = max(0, ·) entrywise; `linear`: σ = identity; `leaky_relu`: σ(t) = t for t >= 0 and
   * alpha·t otherwise; `tanh`; `sigmoid`: σ(t) = 1 / (1 + e^−t).
   */
  activation: Activation;
  /** Slope of `leaky_relu` for negative inputs (required for it, > 0, ≠ 1 allowed; ONNX default 0.01). */
  alpha?: number;
  /** Present when the layer is an inference-mode batch norm (then W = diag(s), b = beta − mean·s). */
  batchnorm?: BatchNormParams;
  /** Present when the layer is a flatten/reshape (then W = I, no bias, linear). */
  reshape?: ReshapeInfo;
  /**
   * Present when the layer is a convolution or transposed convolution (then W is its explicit
   * matrix and b repeats `conv.bias` over the output positions; see ./conv-layer.ts).
   */
  conv?: ConvParams;
}

/** A network `R^inputDim → R^out`: the layers applied in order. */
export interface Network {
  format: "injective-relu/network";
  version: 1;
  /** Input dimension n (= columns of the first layer's W). */
  inputDim: number;
  /** At least one layer; each layer's W has as many columns as the previous layer has rows. */
  layers: DenseLayerSpec[];
}

/** The format tag of {@link Network}. */
export const NETWORK_FORMAT = "injective-relu/network";

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 30 ? x.slice(0, 30) + "…" : x)}`;
  if (typeof x === "number") return String(x);
  return typeof x === "object" ? "an object" : typeof x;
}

/**
 * Validates a network: the format tag and version, a positive integer `inputDim`, a non-empty
 * array of dense layers with finite W (and b of matching length when present), a known
 * activation, and shapes that chain (`layers[0].W` has `inputDim` columns, `layers[l].W` has as
 * many columns as `layers[l−1].W` has rows).
 *
 * @param fn name of the calling function, put at the start of messages (`"forwardNetwork()"`)
 * @param net the value to check
 * @returns the same value, typed
 * @throws InputTypeError for wrong types, InputRangeError for wrong sizes, shapes or non-finite values
 */
export function validateNetwork(fn: string, net: unknown): Network {
  assertType(
    typeof net === "object" && net !== null && !Array.isArray(net),
    () => `${fn}: the network must be an object {"format": "${NETWORK_FORMAT}", ...}, got ${describe(net)}`,
  );
  const obj = net as Record<string, unknown>;
  assertType(
    obj.format === NETWORK_FORMAT,
    () =>
      `${fn}: "format" must be "${NETWORK_FORMAT}", got ${describe(obj.format)}` +
      ("W" in obj ? ' (this looks like a single layer {"W", "b"}; a network lists its layers)' : ""),
  );
  assertRange(
    obj.version === 1,
    () => `${fn}: unsupported network version ${describe(obj.version)} (this release reads version 1)`,
  );
  assertType(
    typeof obj.inputDim === "number",
    () => `${fn}: "inputDim" must be a positive integer, got ${describe(obj.inputDim)}`,
  );
  const inputDim = obj.inputDim;
  assertRange(
    Number.isSafeInteger(inputDim) && inputDim > 0,
    () => `${fn}: "inputDim" must be a positive integer, got ${inputDim}`,
  );
  assertType(
    Array.isArray(obj.layers),
    () => `${fn}: "layers" must be an array, got ${describe(obj.layers)}`,
  );
  const layers = obj.layers as unknown[];
  assertRange(layers.length > 0, () => `${fn}: "layers" is empty (a network needs at least one layer)`);
  let width = inputDim;
  layers.forEach((layer, l) => {
    const name = `layers[${l}]`;
    assertType(
      typeof layer === "object" && layer !== null && !Array.isArray(layer),
      () =>
        `${fn}: ${name} must be an object {"type": "dense", "W", "b"?, "activation"}, got ${describe(layer)}`,
    );
    const L = layer as Record<string, unknown>;
    assertType(L.type === "dense", () =>
      L.type === "conv" || L.type === "conv_transpose"
        ? `${fn}: ${name}.type must be "dense" in a network value, got "${L.type}" (the short file form of a convolution; pass the network through normalizeNetwork() first)`
        : FILE_LAYER_TYPES.includes(L.type as string)
          ? `${fn}: ${name} is a "${String(L.type)}" layer in its short file form; pass the network through normalizeNetwork() first`
          : `${fn}: ${name}.type must be "dense" (in a file also "batchnorm", "flatten", "reshape", "conv" or "conv_transpose"), got ${describe(L.type)}`,
    );
    const W = validateMatrix(fn, `${name}.W`, L.W);
    assertRange(
      W[0].length === width,
      () =>
        `${fn}: ${name}.W has ${W[0].length} columns, but its input has dimension ${width}` +
        (l === 0 ? " (inputDim)" : ` (the number of rows of layers[${l - 1}].W)`),
    );
    if (L.b !== undefined && L.b !== null) {
      const b = validateVector(fn, `${name}.b`, L.b);
      assertRange(
        b.length === W.length,
        () =>
          `${fn}: ${name}.b has length ${b.length}, expected ${W.length} (one entry per row of ${name}.W)`,
      );
    }
    const activation = validateChoice(fn, `${name}.activation`, L.activation, ACTIVATIONS);
    if (activation === "leaky_relu") {
      assertType(
        typeof L.alpha === "number",
        () => `${fn}: ${name}.alpha must be a number (the leaky ReLU slope), got ${describe(L.alpha)}`,
      );
      const alpha = L.alpha;
      assertRange(
        Number.isFinite(alpha) && alpha > 0,
        () =>
          `${fn}: ${name}.alpha must be a positive finite number, got ${alpha} (alpha = 0 is a ReLU: use "relu"; alpha < 0 is not one-to-one)`,
      );
    }
    if (L.batchnorm !== undefined) checkBatchNormRecord(fn, name, L, W);
    if (L.reshape !== undefined) checkReshapeRecord(fn, name, L, W);
    if (L.conv !== undefined) checkConvRecord(fn, name, L, W);
    width = W.length;
  });
  return net as Network;
}

/** The layer types a file may use besides "dense" (see {@link normalizeNetwork}). */
const FILE_LAYER_TYPES: readonly string[] = ["batchnorm", "flatten", "reshape", "conv", "conv_transpose"];

/**
 * The dense form of a convolution or transposed convolution (./conv-layer.ts): W its explicit
 * matrix, b the per-channel bias repeated over the output positions (absent without a bias).
 * @param p the parameters (validated here)
 * @param activation the layer's activation (`alpha` for leaky ReLU)
 * @throws InputTypeError / InputRangeError for inconsistent parameters (messages start with `convLayer()`)
 */
export function convLayer(
  p: ConvParams,
  activation: Activation = "linear",
  alpha?: number,
  fn = "convLayer()",
  name = "conv",
): DenseLayerSpec {
  const params = normalizeConvParams(fn, name, p);
  const g = convGeometry(fn, name, params);
  return {
    type: "dense",
    W: convLayerMatrix(g, params.op),
    ...(params.bias ? { b: convLayerBias(g, params.bias) } : {}),
    activation,
    ...(activation === "leaky_relu" ? { alpha: alpha ?? 0.01 } : {}),
    conv: params,
  };
}

function checkConvRecord(fn: string, name: string, L: Record<string, unknown>, W: number[][]): void {
  const g = convGeometry(fn, `${name}.conv`, L.conv);
  const p = L.conv as ConvParams;
  const ref = convLayerMatrix(g, p.op);
  const inDim = g.c * g.inSize.reduce((a, v) => a * v, 1);
  assertRange(
    W.length === ref.length && W[0].length === inDim,
    () =>
      `${fn}: ${name} has a "conv" record with input shape [${p.inputShape.join(", ")}] and output shape [${g.outputShape.join(", ")}], so W must be ${ref.length}×${inDim}, but it is ${W.length}×${W[0].length}`,
  );
  const b = (L.b ?? null) as number[] | null;
  const refB = p.bias ? convLayerBias(g, p.bias) : null;
  assertRange(
    W.every((row, i) => row.every((v, j) => v === ref[i][j])) &&
      (refB ? b !== null && refB.every((v, i) => v === b[i]) : b === null || b.every((v) => v === 0)),
    () =>
      `${fn}: ${name} has a "conv" record, but its W and b are not the matrix and the repeated bias of that ${p.op === "conv" ? "convolution" : "transposed convolution"}`,
  );
}

/** The per-channel scales gamma / sqrt(var + epsilon) of a batch norm. */
export function batchNormScales(p: BatchNormParams): number[] {
  return p.gamma.map((g, i) => g / Math.sqrt(p.var[i] + p.epsilon));
}

/** The dense form of an inference-mode batch norm (parameters validated by the caller). */
export function batchNormLayer(p: BatchNormParams): DenseLayerSpec {
  const s = batchNormScales(p);
  const d = s.length;
  return {
    type: "dense",
    W: s.map((si, i) => {
      const row = new Array<number>(d).fill(0);
      row[i] = si;
      return row;
    }),
    b: s.map((si, i) => p.beta[i] - p.mean[i] * si),
    activation: "linear",
    batchnorm: p,
  };
}

/** The dense form (identity) of a flatten/reshape on vectors of length d. */
export function reshapeLayer(d: number, info: ReshapeInfo): DenseLayerSpec {
  return {
    type: "dense",
    W: Array.from({ length: d }, (_, i) => {
      const row = new Array<number>(d).fill(0);
      row[i] = 1;
      return row;
    }),
    activation: "linear",
    reshape: info,
  };
}

function validateBatchNormParams(fn: string, name: string, L: Record<string, unknown>): BatchNormParams {
  const gamma = validateVector(fn, `${name}.gamma`, L.gamma);
  const d = gamma.length;
  const vec = (k: "beta" | "mean" | "var"): number[] => {
    const v = validateVector(fn, `${name}.${k}`, L[k]);
    assertRange(
      v.length === d,
      () => `${fn}: ${name}.${k} has length ${v.length}, expected ${d} (the length of ${name}.gamma)`,
    );
    return v;
  };
  const beta = vec("beta");
  const mean = vec("mean");
  const variance = vec("var");
  const epsilon = L.epsilon === undefined ? 1e-5 : L.epsilon;
  assertType(
    typeof epsilon === "number",
    () => `${fn}: ${name}.epsilon must be a number, got ${describe(epsilon)}`,
  );
  assertRange(
    Number.isFinite(epsilon) && epsilon >= 0,
    () => `${fn}: ${name}.epsilon must be a nonnegative finite number, got ${epsilon}`,
  );
  variance.forEach((v, i) =>
    assertRange(
      v + epsilon > 0,
      () =>
        `${fn}: ${name}: var[${i}] + epsilon = ${v + epsilon} must be positive (it is square-rooted and divided by)`,
    ),
  );
  return { gamma, beta, mean, var: variance, epsilon };
}

function checkBatchNormRecord(fn: string, name: string, L: Record<string, unknown>, W: number[][]): void {
  assertType(
    typeof L.batchnorm === "object" && L.batchnorm !== null && !Array.isArray(L.batchnorm),
    () => `${fn}: ${name}.batchnorm must be an object {gamma, beta, mean, var, epsilon}`,
  );
  const p = validateBatchNormParams(fn, `${name}.batchnorm`, L.batchnorm as Record<string, unknown>);
  const ref = batchNormLayer(p);
  const b = (L.b ?? []) as number[];
  assertRange(
    L.activation === "linear" &&
      W.length === ref.W.length &&
      W.every((row, i) => row.every((v, j) => v === ref.W[i][j])) &&
      ref.b!.every((v, i) => Math.abs(v - (b[i] ?? 0)) <= 1e-12 * Math.max(1, Math.abs(v))),
    () =>
      `${fn}: ${name} has a "batchnorm" record, but its W, b, activation are not diag(gamma / sqrt(var + epsilon)), beta − mean·scale, "linear"`,
  );
}

function checkShape(fn: string, name: string, x: unknown): void {
  if (x === undefined) return;
  assertType(
    Array.isArray(x) && x.every((v) => Number.isSafeInteger(v) && (v as number) > 0),
    () => `${fn}: ${name} must be an array of positive integers, got ${describe(x)}`,
  );
}

function shapeSize(shape: number[]): number {
  return shape.reduce((a, v) => a * v, 1);
}

function checkReshapeRecord(fn: string, name: string, L: Record<string, unknown>, W: number[][]): void {
  const r = L.reshape as Record<string, unknown> | null;
  assertType(
    typeof r === "object" && r !== null && (r.op === "flatten" || r.op === "reshape"),
    () => `${fn}: ${name}.reshape must be an object {"op": "flatten" | "reshape", ...}`,
  );
  checkShape(fn, `${name}.reshape.inputShape`, r.inputShape);
  checkShape(fn, `${name}.reshape.outputShape`, r.outputShape);
  for (const k of ["inputShape", "outputShape"] as const) {
    const shape = r[k] as number[] | undefined;
    if (shape)
      assertRange(
        shapeSize(shape) === W.length,
        () =>
          `${fn}: ${name}.reshape.${k} [${shape.join(", ")}] has ${shapeSize(shape)} entries, expected ${W.length}`,
      );
  }
  assertRange(
    L.activation === "linear" &&
      (L.b === undefined || L.b === null || (L.b as number[]).every((v) => v === 0)) &&
      W.length === W[0].length &&
      W.every((row, i) => row.every((v, j) => v === (i === j ? 1 : 0))),
    () => `${fn}: ${name} has a "reshape" record, but it is not the identity (W = I, no bias, "linear")`,
  );
}

/**
 * Turns a network value that may use the short file forms of layers into a valid {@link Network}
 * (then validates it):
 *
 * - `{"type": "batchnorm", "gamma", "beta", "mean", "var", "epsilon"?}` (epsilon defaults to
 *   1e-5, as in PyTorch and ONNX) becomes {@link batchNormLayer};
 * - `{"type": "flatten" | "reshape", "inputShape"?, "outputShape"?}` becomes the identity
 *   {@link reshapeLayer} on the current width (the shapes, when given, must have that many entries);
 * - `{"type": "conv" | "conv_transpose", "inputShape", "kernels", "bias"?, "stride"?, "padding"?,
 *   "activation"? (default "linear"), "alpha"?}` becomes {@link convLayer} (inputShape must have as
 *   many entries as the current width; stride and padding are a number or one per dimension).
 *
 * Dense layers are kept as they are. The input is not modified.
 * @throws InputTypeError / InputRangeError, messages starting with `fn` and naming the layer
 */
export function normalizeNetwork(fn: string, net: unknown): Network {
  if (
    typeof net !== "object" ||
    net === null ||
    Array.isArray(net) ||
    !Array.isArray((net as Record<string, unknown>).layers) ||
    typeof (net as Record<string, unknown>).inputDim !== "number"
  )
    return validateNetwork(fn, net);
  const obj = net as Record<string, unknown>;
  let width = obj.inputDim as number;
  const layers = (obj.layers as unknown[]).map((layer, l) => {
    const L = layer as Record<string, unknown> | null;
    const name = `layers[${l}]`;
    let out: unknown = layer;
    if (L && typeof L === "object" && L.type === "batchnorm") {
      const p = validateBatchNormParams(fn, name, L);
      assertRange(
        p.gamma.length === width,
        () =>
          `${fn}: ${name} (batchnorm) has ${p.gamma.length} channels, but its input has dimension ${width}`,
      );
      out = batchNormLayer(p);
    } else if (L && typeof L === "object" && (L.type === "flatten" || L.type === "reshape")) {
      checkShape(fn, `${name}.inputShape`, L.inputShape);
      checkShape(fn, `${name}.outputShape`, L.outputShape);
      const info: ReshapeInfo = {
        op: L.type,
        ...(L.inputShape ? { inputShape: L.inputShape as number[] } : {}),
        ...(L.outputShape ? { outputShape: L.outputShape as number[] } : {}),
      };
      out = reshapeLayer(width, info);
    } else if (L && typeof L === "object" && (L.type === "conv" || L.type === "conv_transpose")) {
      const activation = validateChoice(fn, `${name}.activation`, L.activation ?? "linear", ACTIVATIONS);
      const params = { ...L, op: L.type } as unknown as ConvParams;
      const layerOut = convLayer(params, activation, L.alpha as number | undefined, fn, name);
      assertRange(
        layerOut.W[0].length === width,
        () =>
          `${fn}: ${name} (${L.type}) has inputShape [${params.inputShape.join(", ")}] (${layerOut.W[0].length} entries), but its input has dimension ${width}`,
      );
      out = layerOut;
    }
    const W = (out as Record<string, unknown> | null)?.W;
    if (Array.isArray(W) && W.length > 0) width = W.length;
    return out;
  });
  return validateNetwork(fn, { ...obj, layers });
}

/**
 * The short file form of a layer: `{"type": "batchnorm", ...}` for a batch norm,
 * `{"type": "flatten" | "reshape", ...}` for a reshape, the dense layer otherwise.
 */
export function layerFileForm(layer: DenseLayerSpec): Record<string, unknown> {
  if (layer.batchnorm) return { type: "batchnorm", ...layer.batchnorm };
  if (layer.reshape) {
    const { op, ...shapes } = layer.reshape;
    return { type: op, ...shapes };
  }
  if (layer.conv) {
    const { op, ...params } = layer.conv;
    return {
      type: op,
      ...params,
      activation: layer.activation,
      ...(layer.activation === "leaky_relu" ? { alpha: layer.alpha } : {}),
    };
  }
  return { ...layer };
}

/** The elementwise activation σ of a dense layer. */
export function activationFunction(layer: DenseLayerSpec): (t: number) => number {
  switch (layer.activation) {
    case "relu":
      return (t) => (t < 0 ? 0 : t);
    case "leaky_relu": {
      const a = layer.alpha ?? 0.01;
      return (t) => (t < 0 ? a * t : t);
    }
    case "tanh":
      return Math.tanh;
    case "sigmoid":
      return (t) => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));
    default:
      return (t) => t;
  }
}

/**
 * The inverse of a one-to-one activation at v, or null when v is not in its range (tanh: (−1, 1);
 * sigmoid: (0, 1); leaky ReLU and linear: all of R). Not defined for ReLU (returns null).
 */
export function inverseActivation(layer: DenseLayerSpec, v: number): number | null {
  switch (layer.activation) {
    case "linear":
      return v;
    case "leaky_relu":
      return v < 0 ? v / (layer.alpha ?? 0.01) : v;
    case "tanh":
      return v > -1 && v < 1 ? Math.atanh(v) : null;
    case "sigmoid":
      return v > 0 && v < 1 ? Math.log(v) - Math.log1p(-v) : null;
    default:
      return null;
  }
}

/** The dimensions d_0 = inputDim, d_1, …, d_L of a (valid) network's layers. */
export function networkDims(net: Network): number[] {
  return [net.inputDim, ...net.layers.map((layer) => layer.W.length)];
}

/** Output dimension of a (valid) network. */
export function outputDim(net: Network): number {
  return net.layers[net.layers.length - 1].W.length;
}

/**
 * Applies one dense layer without validation: `σ(W h + b)`.
 * @param layer a layer whose W has `h.length` columns
 * @returns the `W.length` outputs
 */
export function applyLayer(layer: DenseLayerSpec, h: ArrayLike<number>): number[] {
  const { W, b } = layer;
  const out = new Array<number>(W.length);
  if (layer.reshape) {
    for (let i = 0; i < W.length; i++) out[i] = h[i];
    return out;
  }
  if (layer.batchnorm) {
    for (let i = 0; i < W.length; i++) out[i] = W[i][i] * h[i] + (b ? b[i] : 0);
    return out;
  }
  const sigma = layer.activation === "linear" ? null : activationFunction(layer);
  for (let i = 0; i < W.length; i++) {
    const row = W[i];
    let s = b ? b[i] : 0;
    for (let j = 0; j < row.length; j++) s += row[j] * h[j];
    out[i] = sigma ? sigma(s) : s;
  }
  return out;
}

/**
 * Forward pass of a network.
 * @param net a network (validated here)
 * @param x input of length `net.inputDim`
 * @returns the output, of length `W.length` of the last layer
 * @throws InputTypeError or InputRangeError for an invalid network or an input of the wrong length
 */
export function forwardNetwork(net: Network, x: number[]): number[] {
  const fn = "forwardNetwork()";
  validateNetwork(fn, net);
  validateVector(fn, "x", x);
  assertRange(
    x.length === net.inputDim,
    () => `${fn}: x has length ${x.length}, expected ${net.inputDim} (the network's inputDim)`,
  );
  return forwardUnchecked(net, x);
}

/** Forward pass without validation, for hot loops over a network validated once. */
export function forwardUnchecked(net: Network, x: ArrayLike<number>): number[] {
  let h: ArrayLike<number> = x;
  for (const layer of net.layers) h = applyLayer(layer, h);
  return h as number[];
}
