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
 * flatten/reshape is `W = I` with the recorded shapes in `reshape`. Files may also write them in the
 * short forms `{"type": "batchnorm", ...}` and `{"type": "flatten" | "reshape", ...}`, which
 * {@link normalizeNetwork} turns into dense layers ({@link batchNormLayer}, {@link reshapeLayer}).
 *
 * An activation alone (a ReLU or tanh that an exporter writes after a batch norm) is W = I with that
 * activation and an `identity` record, and I is never stored ({@link activationLayer}; file form
 * `{"type": "activation", "activation": "relu"}`).
 *
 * Convolutions and transposed convolutions (stride, symmetric zero padding, as in PyTorch and ONNX)
 * are dense layers too: b repeats the per-channel bias, and the parameters are kept in `conv`
 * (./conv-layer.ts, {@link convLayer}); the short file form is `{"type": "conv" | "conv_transpose",
 * "inputShape", "kernels", "bias"?, "stride"?, "padding"?, "activation"?, "alpha"?}`.
 *
 * ## Explicit matrices are built on demand
 *
 * A convolution, batch norm or reshape layer has no `W` in memory: its matrix is determined by its
 * record, and can be far too large to hold (a convolution on a 2000 × 2000 image has a
 * 4,000,000 × 4,000,000 matrix, 128 TB). Every consumer reads W through {@link layerMatrix}, which
 * returns the stored W of an ordinary dense layer, or builds the matrix of a structured layer after
 * reserving its memory in a {@link Budget} (a {@link ResourceLimitError} when it is above the
 * memory limit) and checking the time between chunks. The shapes come from {@link layerOutputDim}
 * and {@link layerInputDim} without building anything, and forward passes ({@link applyLayer}) use
 * the structure directly (a direct convolution, the batch-norm scales, a copy).
 *
 * Shapes: layer `l` has W of shape (d_{l+1}, d_l), rows are output units, and `b` of length
 * d_{l+1}; `d_0 = inputDim`. Pure TypeScript, no Node APIs.
 */

import { Budget, formatCount, matrixBytes } from "../core/budget.js";
import type { Domain } from "../core/types.js";
import { assertRange, assertType, validateChoice, validateMatrix, validateVector } from "../core/validate.js";
import {
  convForward,
  convForwardTranspose,
  convGeometry,
  convLayerBias,
  convLayerMatrix,
  convMatrixShape,
  normalizeConvParams,
  recordGeometry,
  type ConvParams,
} from "./conv-layer.js";
import { BATCHNORM_BIAS_AGREEMENT } from "../core/numerics.js";

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
  /**
   * Length of the flat vectors (set by {@link reshapeLayer}; it gives the layer's shape when W is
   * not stored). Not written to files: a reader knows it from the previous layer.
   */
  size?: number;
}

/**
 * An activation applied alone (W = I, no bias), as exporters write a ReLU or tanh after a batch
 * norm: the map is `h ↦ σ(h)` on flat vectors of length `size`, and I is never stored.
 */
export interface IdentityInfo {
  size: number;
}

/** The floating-point format a model's weights were stored (and its outputs computed) in. */
export type Precision = "float16" | "bfloat16" | "float32" | "float64";

/** The precisions of {@link Precision}, for validation. */
export const PRECISIONS: readonly Precision[] = ["float16", "bfloat16", "float32", "float64"];

/** A dense layer `h ↦ σ(W h + b)`. */
export interface DenseLayerSpec {
  type: "dense";
  /**
   * Weights, shape (out, in); rows are output units. Absent on a convolution, batch norm or
   * reshape layer (a `conv`, `batchnorm` or `reshape` record determines it): read W through
   * {@link layerMatrix}, which builds it on demand within a memory budget, and the shape through
   * {@link layerOutputDim} / {@link layerInputDim}.
   */
  W?: number[][];
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
   * Present when the layer is a convolution or transposed convolution (then W, when stored, is its
   * explicit matrix, and b repeats `conv.bias` over the output positions; see ./conv-layer.ts).
   */
  conv?: ConvParams;
  /** Present when the layer is an activation alone (then W = I, no bias; see {@link IdentityInfo}). */
  identity?: IdentityInfo;
}

/** A network `R^inputDim → R^out`: the layers applied in order. */
export interface Network {
  format: "injective-relu/network";
  version: 1;
  /** Input dimension n (= columns of the first layer's W). */
  inputDim: number;
  /** At least one layer; each layer's W has as many columns as the previous layer has rows. */
  layers: DenseLayerSpec[];
  /**
   * The floating-point format of the weights in the file the network was read from (the importers
   * set it: ONNX, TF.js and safetensors know their tensors' dtype; the coarsest one when they
   * differ). The framework computed the model's outputs in it, so it sets the default tolerance of
   * inversion (src/invert/precision.ts). Absent means float64 (a JSON network).
   */
  precision?: Precision;
}

/**
 * Number of outputs of a layer (rows of its W) without building W: from the stored W, or from the
 * layer's `conv`, `batchnorm` or `reshape` record.
 */
export function layerOutputDim(layer: DenseLayerSpec): number {
  if (layer.W) return layer.W.length;
  if (layer.conv) return convMatrixShape(recordGeometry(layer.conv)).rows;
  if (layer.batchnorm) return layer.batchnorm.gamma.length;
  if (layer.reshape) return reshapeSize(layer.reshape);
  if (layer.identity) return layer.identity.size;
  throw new Error(
    "layerOutputDim(): a layer without W must have a conv, batchnorm, reshape or identity record",
  );
}

/** Number of inputs of a layer (columns of its W) without building W (see {@link layerOutputDim}). */
export function layerInputDim(layer: DenseLayerSpec): number {
  if (layer.W) return layer.W[0].length;
  if (layer.conv) return convMatrixShape(recordGeometry(layer.conv)).cols;
  if (layer.batchnorm) return layer.batchnorm.gamma.length;
  if (layer.reshape) return reshapeSize(layer.reshape);
  if (layer.identity) return layer.identity.size;
  throw new Error(
    "layerInputDim(): a layer without W must have a conv, batchnorm, reshape or identity record",
  );
}

function reshapeSize(r: ReshapeInfo): number {
  const size =
    r.size ?? (r.outputShape ? shapeSize(r.outputShape) : r.inputShape ? shapeSize(r.inputShape) : NaN);
  if (!Number.isSafeInteger(size) || size <= 0)
    throw new Error("a reshape layer without W needs reshape.size (or its shapes)");
  return size;
}

/** Estimated bytes of a layer's explicit matrix (0 when it is stored already). */
export function layerMatrixBytes(layer: DenseLayerSpec): number {
  return layer.W ? 0 : matrixBytes(layerOutputDim(layer), layerInputDim(layer));
}

/**
 * Explicit matrices built on demand, per record object (a `conv`, `batchnorm` or `reshape` record;
 * copies of a layer share it), released with the record.
 */
const builtMatrices = new WeakMap<object, number[][]>();

/**
 * The explicit weight matrix W of a layer, shape ({@link layerOutputDim}, {@link layerInputDim}).
 * The one accessor of W: an ordinary dense layer returns its stored W; a convolution, batch norm or
 * reshape layer builds its matrix from its record (once per layer object, then cached) after
 * reserving the memory in `budget`, checking the time between chunks of rows.
 *
 * @param budget memory limit and deadline (default: the default memory limit, no deadline)
 * @param what the layer in words for the message ("layer 3")
 * @throws ResourceLimitError ("the explicit 4,000,000 × 4,000,000 matrix of layer 0 would need
 *   128 TB, above the memory limit of 2G …") when the matrix does not fit, or time runs out
 */
export function layerMatrix(
  layer: DenseLayerSpec,
  budget: Budget = Budget.unlimited(),
  what = "the layer",
): number[][] {
  if (layer.W) return layer.W;
  const key: object | undefined = layer.conv ?? layer.batchnorm ?? layer.reshape ?? layer.identity;
  const cached = key ? builtMatrices.get(key) : undefined;
  if (cached) return cached;
  let W: number[][];
  if (layer.conv) {
    W = convLayerMatrix(recordGeometry(layer.conv), layer.conv.op, budget, what);
  } else {
    const d = layerOutputDim(layer);
    const scales = layer.batchnorm ? batchNormScales(layer.batchnorm) : null;
    W = identityMatrix(d, budget, what, scales ?? undefined);
  }
  if (key) builtMatrices.set(key, W);
  return W;
}

/**
 * The d × d identity matrix (or diag(scales)), after reserving its memory in `budget` and checking
 * the time between chunks of rows.
 * @throws ResourceLimitError when it is above the memory limit or time runs out
 */
export function identityMatrix(
  d: number,
  budget: Budget = Budget.unlimited(),
  what = "an identity layer",
  scales?: readonly number[],
): number[][] {
  const stage = `the explicit ${formatCount(d)} × ${formatCount(d)} matrix of ${what}`;
  budget.reserve(stage, matrixBytes(d, d));
  const W = new Array<number[]>(d);
  const rowsPerCheck = Math.max(1, Math.floor((1 << 20) / d));
  for (let i = 0; i < d; i++) {
    if (i % rowsPerCheck === 0) budget.check(stage);
    const row = new Array<number>(d).fill(0);
    row[i] = scales ? scales[i] : 1;
    W[i] = row;
  }
  return W;
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
    const records = ["conv", "batchnorm", "reshape", "identity"].filter((k) => L[k] !== undefined);
    assertRange(
      records.length <= 1,
      () =>
        `${fn}: ${name} has ${records.map((k) => `a "${k}"`).join(" and ")} record; a layer has at most one`,
    );
    let W: number[][] | null = null;
    let rows: number;
    let cols: number;
    if (L.W === undefined && records.length === 1) {
      // A structured layer without a stored matrix: the record gives the shape.
      ({ rows, cols } = recordShape(fn, name, L, width));
    } else {
      W = validateMatrix(fn, `${name}.W`, L.W);
      rows = W.length;
      cols = W[0].length;
    }
    assertRange(
      cols === width,
      () =>
        `${fn}: ${name}.W has ${cols} columns, but its input has dimension ${width}` +
        (l === 0 ? " (inputDim)" : ` (the number of rows of layers[${l - 1}].W)`),
    );
    if (L.b !== undefined && L.b !== null) {
      const b = validateVector(fn, `${name}.b`, L.b);
      assertRange(
        b.length === rows,
        () => `${fn}: ${name}.b has length ${b.length}, expected ${rows} (one entry per row of ${name}.W)`,
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
    if (L.batchnorm !== undefined) checkBatchNormRecord(fn, name, L, W, rows);
    if (L.reshape !== undefined) checkReshapeRecord(fn, name, L, W, rows);
    if (L.conv !== undefined) checkConvRecord(fn, name, L, W, rows);
    if (L.identity !== undefined) checkIdentityRecord(fn, name, L, W, rows);
    width = rows;
  });
  if (obj.precision !== undefined)
    assertType(
      PRECISIONS.includes(obj.precision as Precision),
      () =>
        `${fn}: "precision" must be one of ${PRECISIONS.map((p) => `"${p}"`).join(", ")}, got ${describe(obj.precision)}`,
    );
  return net as Network;
}

/** The shape of a layer without W, from its record (validated here). */
function recordShape(
  fn: string,
  name: string,
  L: Record<string, unknown>,
  width: number,
): { rows: number; cols: number } {
  if (L.conv !== undefined) {
    const g = convGeometry(fn, `${name}.conv`, L.conv);
    return convMatrixShape(g);
  }
  if (L.batchnorm !== undefined) {
    assertType(
      typeof L.batchnorm === "object" && L.batchnorm !== null && !Array.isArray(L.batchnorm),
      () => `${fn}: ${name}.batchnorm must be an object {gamma, beta, mean, var, epsilon}`,
    );
    const d = validateVector(
      fn,
      `${name}.batchnorm.gamma`,
      (L.batchnorm as Record<string, unknown>).gamma,
    ).length;
    return { rows: d, cols: d };
  }
  if (L.identity !== undefined) {
    const size = (L.identity as Record<string, unknown> | null)?.size;
    assertType(
      Number.isSafeInteger(size) && (size as number) > 0,
      () => `${fn}: ${name}.identity must be an object {"size": positive integer}`,
    );
    return { rows: size as number, cols: size as number };
  }
  const r = L.reshape as Record<string, unknown> | null;
  assertType(
    typeof r === "object" && r !== null && (r.op === "flatten" || r.op === "reshape"),
    () => `${fn}: ${name}.reshape must be an object {"op": "flatten" | "reshape", ...}`,
  );
  const size = r.size ?? width;
  assertRange(
    Number.isSafeInteger(size) && (size as number) > 0,
    () => `${fn}: ${name}.reshape.size must be a positive integer, got ${describe(size)}`,
  );
  return { rows: size as number, cols: size as number };
}

/** The layer types a file may use besides "dense" (see {@link normalizeNetwork}). */
const FILE_LAYER_TYPES: readonly string[] = [
  "batchnorm",
  "flatten",
  "reshape",
  "conv",
  "conv_transpose",
  "activation",
];

/**
 * An activation applied alone on vectors of length d (W = I, never stored; {@link layerMatrix}
 * builds I on demand): what an exporter's ReLU or tanh after a batch norm becomes.
 */
export function activationLayer(d: number, activation: Activation, alpha?: number): DenseLayerSpec {
  return {
    type: "dense",
    activation,
    ...(activation === "leaky_relu" ? { alpha: alpha ?? 0.01 } : {}),
    identity: { size: d },
  };
}

function checkIdentityRecord(
  fn: string,
  name: string,
  L: Record<string, unknown>,
  W: number[][] | null,
  rows: number,
): void {
  const size = (L.identity as Record<string, unknown> | null)?.size;
  assertRange(
    size === rows &&
      (L.b === undefined || L.b === null || (L.b as number[]).every((v) => v === 0)) &&
      (W === null ||
        (W.length === W[0].length && W.every((row, i) => row.every((v, j) => v === (i === j ? 1 : 0))))),
    () =>
      `${fn}: ${name} has an "identity" record, but it is not an activation alone (W = I of size identity.size, no bias)`,
  );
}

/**
 * The dense form of a convolution or transposed convolution (./conv-layer.ts): the parameters in
 * `conv`, b the per-channel bias repeated over the output positions (absent without a bias), and
 * no stored W ({@link layerMatrix} builds it on demand).
 * @param p the parameters (validated here)
 * @param activation the layer's activation (`alpha` for leaky ReLU)
 * @throws InputTypeError / InputRangeError for inconsistent parameters (messages start with `convLayer()`)
 * @throws ResourceLimitError when the repeated bias (one number per output) is above the default
 *   memory limit
 */
export function convLayer(
  p: ConvParams,
  activation: Activation = "linear",
  alpha?: number,
  fn = "convLayer()",
  name = "conv",
): DenseLayerSpec {
  const params = normalizeConvParams(fn, name, p);
  const g = recordGeometry(params, fn, name);
  if (params.bias) {
    const rows = convMatrixShape(g).rows;
    Budget.unlimited().reserve(
      `the bias vector (${formatCount(rows)} outputs) of ${name}`,
      matrixBytes(1, rows),
    );
  }
  return {
    type: "dense",
    ...(params.bias ? { b: convLayerBias(g, params.bias) } : {}),
    activation,
    ...(activation === "leaky_relu" ? { alpha: alpha ?? 0.01 } : {}),
    conv: params,
  };
}

function checkConvRecord(
  fn: string,
  name: string,
  L: Record<string, unknown>,
  W: number[][] | null,
  rows: number,
): void {
  const g = convGeometry(fn, `${name}.conv`, L.conv);
  const p = L.conv as ConvParams;
  const shape = convMatrixShape(g);
  assertRange(
    rows === shape.rows && (W === null || W[0].length === shape.cols),
    () =>
      `${fn}: ${name} has a "conv" record with input shape [${p.inputShape.join(", ")}] and output shape [${g.outputShape.join(", ")}], so W must be ${shape.rows}×${shape.cols}, but it is ${rows}×${W ? W[0].length : shape.cols}`,
  );
  const b = (L.b ?? null) as number[] | null;
  const refB = p.bias ? convLayerBias(g, p.bias) : null;
  const sameBias = refB
    ? b !== null && refB.every((v, i) => v === b[i])
    : b === null || b.every((v) => v === 0);
  // A stored W must be the convolution's matrix (compared row by row against the built one).
  const ref = W ? convLayerMatrix(g, p.op, Budget.unlimited(), `${name} (to compare with its W)`) : null;
  assertRange(
    sameBias && (W === null || W.every((row, i) => row.every((v, j) => v === ref![i][j]))),
    () =>
      `${fn}: ${name} has a "conv" record, but its W and b are not the matrix and the repeated bias of that ${p.op === "conv" ? "convolution" : "transposed convolution"}`,
  );
}

/** The per-channel scales gamma / sqrt(var + epsilon) of a batch norm. */
export function batchNormScales(p: BatchNormParams): number[] {
  return p.gamma.map((g, i) => g / Math.sqrt(p.var[i] + p.epsilon));
}

/**
 * The dense form of an inference-mode batch norm (parameters validated by the caller): the
 * parameters in `batchnorm`, b = beta − mean·scale, linear, and no stored W (it is diag(scale);
 * {@link layerMatrix} builds it on demand).
 */
export function batchNormLayer(p: BatchNormParams): DenseLayerSpec {
  const s = batchNormScales(p);
  return {
    type: "dense",
    b: s.map((si, i) => p.beta[i] - p.mean[i] * si),
    activation: "linear",
    batchnorm: p,
  };
}

/**
 * The dense form of a flatten/reshape on vectors of length d: the identity, with the shapes and d
 * in `reshape` and no stored W ({@link layerMatrix} builds I on demand).
 */
export function reshapeLayer(d: number, info: ReshapeInfo): DenseLayerSpec {
  return {
    type: "dense",
    activation: "linear",
    reshape: { ...info, size: d },
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

function checkBatchNormRecord(
  fn: string,
  name: string,
  L: Record<string, unknown>,
  W: number[][] | null,
  rows: number,
): void {
  assertType(
    typeof L.batchnorm === "object" && L.batchnorm !== null && !Array.isArray(L.batchnorm),
    () => `${fn}: ${name}.batchnorm must be an object {gamma, beta, mean, var, epsilon}`,
  );
  const p = validateBatchNormParams(fn, `${name}.batchnorm`, L.batchnorm as Record<string, unknown>);
  const scales = batchNormScales(p);
  const refB = batchNormLayer(p).b!;
  const b = (L.b ?? []) as number[];
  assertRange(
    L.activation === "linear" &&
      rows === scales.length &&
      (W === null || W.every((row, i) => row.every((v, j) => v === (i === j ? scales[i] : 0)))) &&
      refB.every((v, i) => Math.abs(v - (b[i] ?? 0)) <= BATCHNORM_BIAS_AGREEMENT * Math.max(1, Math.abs(v))),
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

function checkReshapeRecord(
  fn: string,
  name: string,
  L: Record<string, unknown>,
  W: number[][] | null,
  rows: number,
): void {
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
        shapeSize(shape) === rows,
        () =>
          `${fn}: ${name}.reshape.${k} [${shape.join(", ")}] has ${shapeSize(shape)} entries, expected ${rows}`,
      );
  }
  if (r.size !== undefined)
    assertRange(
      r.size === rows,
      () => `${fn}: ${name}.reshape.size is ${describe(r.size)}, expected ${rows}`,
    );
  assertRange(
    L.activation === "linear" &&
      (L.b === undefined || L.b === null || (L.b as number[]).every((v) => v === 0)) &&
      (W === null ||
        (W.length === W[0].length && W.every((row, i) => row.every((v, j) => v === (i === j ? 1 : 0))))),
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
 * - `{"type": "activation", "activation", "alpha"?}` becomes {@link activationLayer} (an activation
 *   alone on the current width, W = I never stored).
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
    } else if (L && typeof L === "object" && L.type === "activation") {
      const activation = validateChoice(fn, `${name}.activation`, L.activation, ACTIVATIONS);
      out = activationLayer(width, activation, L.alpha as number | undefined);
      if (activation === "leaky_relu") (out as DenseLayerSpec).alpha = L.alpha as number;
    } else if (L && typeof L === "object" && (L.type === "conv" || L.type === "conv_transpose")) {
      const activation = validateChoice(fn, `${name}.activation`, L.activation ?? "linear", ACTIVATIONS);
      const params = { ...L, op: L.type } as unknown as ConvParams;
      const layerOut = convLayer(params, activation, L.alpha as number | undefined, fn, name);
      const inDim = layerInputDim(layerOut);
      assertRange(
        inDim === width,
        () =>
          `${fn}: ${name} (${L.type}) has inputShape [${params.inputShape.join(", ")}] (${inDim} entries), but its input has dimension ${width}`,
      );
      out = layerOut;
    }
    const o = out as Record<string, unknown> | null;
    if (o && (o.conv || o.batchnorm || o.reshape || o.identity) && o.W === undefined) {
      width = layerOutputDim(o as unknown as DenseLayerSpec);
    } else {
      const W = o?.W;
      if (Array.isArray(W) && W.length > 0) width = W.length;
    }
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
    // The size is known from the previous layer when the file is read.
    const { op, size: _size, ...shapes } = layer.reshape;
    return { type: op, ...shapes };
  }
  if (layer.identity && !layer.W)
    return {
      type: "activation",
      activation: layer.activation,
      ...(layer.activation === "leaky_relu" ? { alpha: layer.alpha } : {}),
    };
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
  const dims = [net.inputDim];
  for (const layer of net.layers) dims.push(layerOutputDim(layer));
  return dims;
}

/** Output dimension of a (valid) network. */
export function outputDim(net: Network): number {
  return layerOutputDim(net.layers[net.layers.length - 1]);
}

/**
 * The pre-activation `W h + b` of a layer, without validation. Structured layers without a stored W
 * are applied directly (a convolution by a direct loop, a batch norm by its scales, a reshape as a
 * copy); no explicit matrix is built.
 * @param layer a layer with `h.length` inputs
 * @returns its {@link layerOutputDim} pre-activations
 */
export function preActivation(layer: DenseLayerSpec, h: ArrayLike<number>): number[] {
  const { W, b } = layer;
  if (!W && (layer.reshape || layer.identity)) {
    const out = new Array<number>(h.length);
    for (let i = 0; i < h.length; i++) out[i] = h[i];
    return out;
  }
  if (!W && layer.batchnorm) {
    const s = batchNormScales(layer.batchnorm);
    const out = new Array<number>(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s[i] * h[i] + (b ? b[i] : 0);
    return out;
  }
  if (!W && layer.conv) {
    // The bias is in b (repeated over the positions), added here like a dense layer's.
    const out = convForward(recordGeometry(layer.conv), layer.conv.op, h);
    if (b) for (let i = 0; i < out.length; i++) out[i] += b[i];
    return out;
  }
  const M = layerMatrix(layer);
  const out = new Array<number>(M.length);
  for (let i = 0; i < M.length; i++) {
    const row = M[i];
    let s = b ? b[i] : 0;
    for (let j = 0; j < row.length; j++) s += row[j] * h[j];
    out[i] = s;
  }
  return out;
}

/**
 * `Wᵀ g` for a layer (the backward pass of its linear part), without validation and without
 * building the explicit matrix of a structured layer.
 * @param g a vector of the layer's output length
 * @returns a vector of its input length
 */
export function transposeApply(layer: DenseLayerSpec, g: ArrayLike<number>): number[] {
  const { W } = layer;
  if (!W && (layer.reshape || layer.identity)) return Array.from(g);
  if (!W && layer.batchnorm) {
    const s = batchNormScales(layer.batchnorm);
    return s.map((si, i) => si * g[i]);
  }
  if (!W && layer.conv) return convForwardTranspose(recordGeometry(layer.conv), layer.conv.op, g);
  const M = layerMatrix(layer);
  const out = new Array<number>(M[0].length).fill(0);
  for (let i = 0; i < M.length; i++) {
    const gi = g[i];
    if (gi === 0) continue;
    const row = M[i];
    for (let j = 0; j < row.length; j++) out[j] += gi * row[j];
  }
  return out;
}

/**
 * Applies one dense layer without validation: `σ(W h + b)` ({@link preActivation}, then σ; no
 * explicit matrix is built for a structured layer).
 * @param layer a layer with `h.length` inputs
 * @returns its {@link layerOutputDim} outputs
 */
export function applyLayer(layer: DenseLayerSpec, h: ArrayLike<number>): number[] {
  const out = preActivation(layer, h);
  if (layer.activation === "linear") return out;
  const sigma = activationFunction(layer);
  for (let i = 0; i < out.length; i++) out[i] = sigma(out[i]);
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

/**
 * The domain of layer l: after a ReLU or a sigmoid (positive outputs) the nonnegative orthant,
 * after a flatten/reshape (the identity) the domain of that layer, otherwise all of R^d.
 */
export function layerDomain(net: Network, l: number): Domain {
  // Skip back over flatten/reshape layers (a loop: their number is up to the input).
  let k = l;
  while (k > 0 && net.layers[k - 1].reshape) k--;
  if (k === 0) return "all";
  const prev = net.layers[k - 1];
  return prev.activation === "relu" || prev.activation === "sigmoid" ? "nonnegative" : "all";
}
