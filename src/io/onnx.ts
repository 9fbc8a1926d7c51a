/**
 * ONNX import: {@link readOnnxModel} turns an ONNX model (protobuf bytes, decoded with the
 * `onnx-proto` package) into a {@link Network} of dense layers.
 *
 * Supported: a linear chain of the operators `Gemm` (transA = 0, transB 0 or 1, alpha, beta),
 * `MatMul` (optionally followed by `Add` of a bias initializer), `Relu`, `LeakyRelu`, `Tanh`,
 * `Sigmoid`, `BatchNormalization` (inference mode), `Flatten` (axis 1), `Reshape` (keeping the
 * batch dimension), `Identity`, `Conv` and `ConvTranspose` (1-D or 2-D; strides, symmetric pads,
 * dilations 1, group 1, no auto_pad; ConvTranspose also output_padding 0 and no output_shape; they
 * become convolution layers, src/model/conv-layer.ts, and need the graph input's shape), plus
 * `Constant` nodes that only feed another node's parameters. A BatchNormalization after a
 * convolution (one scale per channel of a (c, H[, W]) shape) is expanded over the positions.
 * Every node must consume the previous node's output (the first one the graph input), and the last
 * output must be the graph output. Initializers are float32, float64, float16 or bfloat16 tensors,
 * stored as raw_data (little-endian) or in float_data / double_data / int32_data; Reshape shapes are
 * int64 (raw_data or int64_data). The bytes and every field used are validated first (see
 * {@link readOnnxModel}).
 *
 * The input shape (c, H[, W]) of the first node comes from the graph input's shape, without the
 * batch dimension.
 *
 * An activation right after a Gemm/MatMul(+Add)/Conv/ConvTranspose becomes that dense layer's activation; elsewhere
 * (for example after a BatchNormalization) it becomes a dense identity layer with that activation.
 * Everything else (other operators, branches, external data, unsupported element types, corrupt or
 * truncated bytes) is a one-line {@link FileFormatError} starting with the source name, naming the
 * operator and the node.
 */

import onnxProto from "onnx-proto";
import {
  batchNormLayer,
  convLayer,
  NETWORK_FORMAT,
  activationLayer,
  layerInputDim,
  layerOutputDim,
  reshapeLayer,
  validateNetwork,
  type Activation,
  type DenseLayerSpec,
  type Network,
  type Precision,
} from "../model/network.js";
import { convGeometry } from "../model/conv-layer.js";
import { formatBytes } from "../core/budget.js";
import { InputRangeError, InputTypeError } from "../core/validate.js";
import { clip, FileFormatError, show } from "./errors.js";
import { coarser, importedNetwork } from "./imported-network.js";
import { checkOnnxWire } from "./onnx-wire.js";
import { checkDenseSize, memoryLimitOf, tooLarge, type ReaderOptions } from "./limits.js";

const { onnx } = onnxProto;

/** The operators {@link readOnnxModel} understands, as listed in its error messages. */
export const SUPPORTED_ONNX_OPERATORS = [
  "Gemm",
  "MatMul+Add",
  "Relu",
  "LeakyRelu",
  "Tanh",
  "Sigmoid",
  "BatchNormalization",
  "Flatten",
  "Reshape",
  "Identity",
  "Conv",
  "ConvTranspose",
] as const;

const ACTIVATION_OPS: Record<string, Activation> = {
  Relu: "relu",
  LeakyRelu: "leaky_relu",
  Tanh: "tanh",
  Sigmoid: "sigmoid",
};

/** The first bytes of an ONNX file are usually `08 xx` (ir_version, field 1, varint). */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x08 && bytes[1] > 0 && bytes[1] < 0x20;
}

interface Tensor {
  dims: number[];
  data: number[];
  /** The ONNX element type (TensorProto.DataType). */
  type: number;
}

type LongLike = number | { toNumber(): number; toString(): string };

/**
 * An int64 field as a number: undefined when it is not a safe integer (protobufjs gives a Long for
 * int64 fields; `toNumber()` of a value beyond 2^53 is not a safe integer, so the test is exact).
 */
function safeInt(v: LongLike | null | undefined): number | undefined {
  if (v === null || v === undefined) return 0;
  const x = typeof v === "number" ? v : v.toNumber();
  return Number.isSafeInteger(x) ? x : undefined;
}

function product(dims: number[]): number {
  return dims.reduce((a, v) => a * v, 1);
}

/** The precision of each floating-point ONNX element type (FLOAT, FLOAT16, DOUBLE, BFLOAT16). */
const FLOAT_PRECISION: Record<number, Precision> = {
  1: "float32",
  10: "float16",
  11: "float64",
  16: "bfloat16",
};

/** Float16 bits to a double (exact). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** BFloat16 bits to a double (exact): the high half of a float32. */
function bfloat16ToNumber(h: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, h << 16);
  return view.getFloat32(0);
}

/** Element sizes in raw_data, and names, of the element types read here. */
const ELEMENT: Record<number, { name: string; size: number }> = {
  1: { name: "FLOAT", size: 4 },
  6: { name: "INT32", size: 4 },
  7: { name: "INT64", size: 8 },
  10: { name: "FLOAT16", size: 2 },
  11: { name: "DOUBLE", size: 8 },
  16: { name: "BFLOAT16", size: 2 },
};

/**
 * Decodes a tensor to plain numbers, validating every field it uses: dims (non-negative safe
 * integers, a product within the memory limit), the element type, raw_data's length against dims
 * and the element size, or the typed field's length, and finite values. Weights may be FLOAT,
 * DOUBLE, FLOAT16 or BFLOAT16; INT64 and INT32 tensors (shapes) must hold safe integers.
 */
function decodeTensor(
  t: onnxProto.onnx.ITensorProto,
  what: string,
  fail: (p: string) => never,
  limit: number,
  source: string,
): Tensor {
  const T = onnx.TensorProto.DataType;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    fail(
      `${what} stores its data in an external file, which is not supported (re-export with the weights inside the model)`,
    );
  if (t.dataLocation !== undefined && t.dataLocation !== null && t.dataLocation !== 0)
    fail(`${what} has data_location ${t.dataLocation}, expected DEFAULT (0)`);
  if (t.segment) fail(`${what} is a segment of a larger tensor, which is not supported`);
  const rawDims = t.dims ?? [];
  if (rawDims.length > 64) fail(`${what} has ${rawDims.length} dims, more than 64`);
  const dims: number[] = [];
  for (const d of rawDims) {
    const v = safeInt(d);
    if (v === undefined || v < 0)
      fail(
        `${what} has dims [${rawDims.map(String).join(", ")}], expected non-negative integers`.slice(0, 300),
      );
    dims.push(v!);
  }
  const count = product(dims);
  if (!Number.isSafeInteger(count)) fail(`${what} has dims [${dims.join(", ")}], too many values`);
  if (!(count * 8 <= limit))
    tooLarge(source, `${what} has ${count} values (${formatBytes(count * 8)} in memory)`, count * 8, limit);
  const type = t.dataType ?? 0;
  const element = ELEMENT[type];
  if (!element) {
    const name = (T as unknown as Record<number, string>)[type] ?? String(type);
    return fail(
      `${what} has element type ${name}; only FLOAT, DOUBLE, FLOAT16, BFLOAT16 (and INT64 for shapes) are supported`,
    );
  }
  const typed: Record<number, ArrayLike<unknown> | null | undefined> = {
    1: t.floatData,
    6: t.int32Data,
    7: t.int64Data,
    10: t.int32Data,
    11: t.doubleData,
    16: t.int32Data,
  };
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const field = typed[type];
  const fieldLength = field ? field.length : 0;
  if (raw && fieldLength > 0) fail(`${what} has both raw_data and a typed data field`);
  const data = new Array<number>(count);
  if (raw) {
    if (raw.length !== count * element.size)
      fail(
        `${what} has ${raw.length} bytes of raw_data, expected ${count * element.size} (${count} ${element.name} values of ${element.size} bytes, dims [${dims.join(", ")}])`,
      );
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) {
      if (type === T.FLOAT) data[i] = view.getFloat32(4 * i, true);
      else if (type === T.DOUBLE) data[i] = view.getFloat64(8 * i, true);
      else if (type === T.FLOAT16) data[i] = halfToNumber(view.getUint16(2 * i, true));
      else if (type === T.BFLOAT16) data[i] = bfloat16ToNumber(view.getUint16(2 * i, true));
      else if (type === T.INT32) data[i] = view.getInt32(4 * i, true);
      else {
        const v = view.getBigInt64(8 * i, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
          fail(`${what} has the value ${v}, beyond 2^53 in magnitude`);
        data[i] = Number(v);
      }
    }
  } else {
    if (fieldLength !== count)
      fail(`${what} has ${fieldLength} values, expected ${count} (dims [${dims.join(", ")}])`);
    for (let i = 0; i < count; i++) {
      const v = (field as ArrayLike<unknown>)[i];
      if (type === T.INT64) {
        const x = safeInt(v as LongLike);
        if (x === undefined) fail(`${what} has a value beyond 2^53 in magnitude`);
        data[i] = x!;
      } else if (type === T.FLOAT16 || type === T.BFLOAT16) {
        // int32_data holds the 16-bit patterns.
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff)
          fail(`${what} has an int32_data entry that is not a 16-bit pattern`);
        data[i] = type === T.FLOAT16 ? halfToNumber(v as number) : bfloat16ToNumber(v as number);
      } else {
        if (typeof v !== "number") fail(`${what} has a value that is not a number`);
        data[i] = v as number;
      }
    }
  }
  if (!data.every(Number.isFinite)) fail(`${what} has a non-finite value (NaN or ±Infinity)`);
  return { dims, data, type };
}

function attr(node: onnxProto.onnx.INodeProto, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

/** The attribute reader of a node: defaults for missing attributes, failures for bad values. */
function attrs(node: onnxProto.onnx.INodeProto, desc: string, fail: (p: string) => never) {
  return {
    float(name: string, def: number): number {
      const a = attr(node, name);
      return a && a.f !== null && a.f !== undefined ? a.f : def;
    },
    int(name: string, def: number): number {
      const a = attr(node, name);
      if (!a || a.i === null || a.i === undefined) return def;
      return safeInt(a.i) ?? fail(`${desc} has attribute ${name} = ${String(a.i)}, beyond 2^53 in magnitude`);
    },
    ints(name: string): number[] | undefined {
      const a = attr(node, name);
      if (!a || !a.ints || a.ints.length === 0) return undefined;
      if (a.ints.length > 64) fail(`${desc} has ${a.ints.length} values in attribute ${name}, more than 64`);
      return a.ints.map(
        (v) => safeInt(v) ?? fail(`${desc} has a value beyond 2^53 in magnitude in attribute ${name}`),
      );
    },
  };
}

/**
 * Nested arrays of the given shape from C-order data: a loop over the dims from the innermost out
 * (no recursion, whatever the number of dims).
 */
function nest(data: number[], dims: number[]): unknown {
  let level: unknown[] = data.slice();
  for (let k = dims.length - 1; k >= 1; k--) {
    const size = dims[k];
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i += size) next.push(level.slice(i, i + size));
    level = next;
  }
  return level;
}

function transpose(M: number[][]): number[][] {
  return M[0].map((_, j) => M.map((row) => row[j]));
}

/** Rows of a 2-D tensor (both dims checked positive by the caller). */
function matrix(t: Tensor): number[][] {
  const [r, c] = t.dims;
  return Array.from({ length: r }, (_, i) => t.data.slice(i * c, (i + 1) * c));
}

/**
 * Reads an ONNX model of a dense network (see the module comment).
 *
 * The bytes are checked before they are decoded (src/io/onnx-wire.ts: no nesting beyond a fixed
 * depth, every length inside its message), and every field the reader uses is validated: dims,
 * element types, data lengths, attribute values, and the size of every dense matrix the model
 * implies (a reshape's identity, a batch norm's diagonal, a convolution's matrix) against the
 * memory limit, before it is built.
 *
 * @param bytes the model file's contents
 * @param source the file name, put at the start of error messages
 * @param options the memory limit (default 2 GiB)
 * @returns the network, validated
 * @throws FileFormatError (one line, starting with `source`) for corrupt bytes, an unsupported
 *   operator (`unsupported operator MaxPool (node "pool1"); supported: Gemm, MatMul+Add, ...`), a graph
 *   that is not a linear chain, bad initializers, or a layer above the memory limit
 */
export function readOnnxModel(bytes: Uint8Array, source: string, options?: ReaderOptions): Network {
  const limit = memoryLimitOf("readOnnxModel", options);
  const fail = (problem: string): never => {
    throw new FileFormatError(source, problem);
  };
  const wire = checkOnnxWire(bytes);
  if (wire !== null)
    fail(`not a valid ONNX model (malformed protobuf: ${wire}); the file may be corrupt or truncated`);
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return fail(
      `not a valid ONNX model (protobuf decoding failed: ${msg}); the file may be corrupt or truncated`,
    );
  }
  const graph = model.graph;
  if (!graph || !graph.node || graph.node.length === 0)
    return fail("not a valid ONNX model (no graph with nodes); the file may be corrupt or not an ONNX model");
  for (const op of model.opsetImport ?? [])
    if (op.domain && op.domain !== "ai.onnx")
      fail(`uses the operator set domain ${show(op.domain)}, only the default ONNX domain is supported`);
  const dense = (what: string, rows: number, cols: number): void =>
    checkDenseSize(source, what, rows, cols, limit);

  const rawInits = new Map<string, onnxProto.onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) rawInits.set(t.name ?? "", t);
  // Constant nodes feed parameters (for example Reshape's shape); they are not part of the chain.
  const nodes = graph.node.filter((node) => {
    if (node.opType !== "Constant") return true;
    const v = attr(node, "value")?.t;
    if (!v || !node.output?.[0])
      fail(
        `Constant node ${show(node.name ?? "")} has no tensor "value" attribute (only tensor constants are supported)`,
      );
    rawInits.set(node.output![0], v!);
    return false;
  });
  const cache = new Map<string, Tensor>();
  let precision: Precision | undefined;
  const init = (name: string, what: string): Tensor => {
    const hit = cache.get(name);
    if (hit) return hit;
    const t = rawInits.get(name);
    if (!t)
      return fail(
        `${what} ${show(name)} is not an initializer or constant (only a linear chain with constant weights is supported)`,
      );
    const decoded = decodeTensor(t, `initializer ${show(name)}`, fail, limit, source);
    const dtype = FLOAT_PRECISION[decoded.type];
    if (dtype) precision = coarser(precision, dtype);
    cache.set(name, decoded);
    return decoded;
  };
  /** A weight matrix: a 2-D floating-point tensor with positive dims. */
  const weightMatrix = (name: string, what: string): Tensor => {
    const B = init(name, what);
    if (B.dims.length !== 2 || B.dims[0] === 0 || B.dims[1] === 0)
      fail(`${what} has dims [${B.dims.join(", ")}], expected a matrix (2 positive dims)`);
    if (B.type === onnx.TensorProto.DataType.INT64 || B.type === onnx.TensorProto.DataType.INT32)
      fail(`${what} is an integer tensor, expected FLOAT, DOUBLE, FLOAT16 or BFLOAT16`);
    return B;
  };
  /** A parameter vector (bias, batch-norm statistics): floating point. */
  const floats = (name: string, what: string): number[] => {
    const t = init(name, what);
    if (t.type === onnx.TensorProto.DataType.INT64 || t.type === onnx.TensorProto.DataType.INT32)
      fail(`${what} is an integer tensor, expected FLOAT, DOUBLE, FLOAT16 or BFLOAT16`);
    return t.data;
  };

  const inputs = (graph.input ?? []).filter((i) => !rawInits.has(i.name ?? ""));
  if (inputs.length !== 1)
    return fail(
      `the graph has ${inputs.length} non-initializer inputs, expected exactly one (a linear chain)`,
    );
  const inputName = inputs[0].name ?? "";
  const inDims = (inputs[0].type?.tensorType?.shape?.dim ?? []).map((d) => {
    if (d.dimValue === null || d.dimValue === undefined) return null;
    const v = safeInt(d.dimValue);
    return v !== undefined && v > 0 ? v : null;
  });
  // Shape without the batch dimension, when known.
  let shape: number[] | null =
    inDims.length >= 2 && inDims.length <= 65 && inDims.slice(1).every((d) => d !== null)
      ? (inDims.slice(1) as number[])
      : null;
  if (shape && !Number.isSafeInteger(product(shape)))
    fail(`the graph input has shape [${shape.join(", ")}], too many values`);
  let inputDim: number | null = shape ? product(shape) : null;
  let width: number | null = inputDim;

  const layers: DenseLayerSpec[] = [];
  let fusable = false; // the last layer came from Gemm/MatMul(+Add) and has no activation yet
  let afterMatMul = false; // the last node was a MatMul, so an Add is its bias
  let current = inputName;

  const setWidth = (nodeDesc: string, inWidth: number): void => {
    if (width === null) {
      width = inWidth;
      inputDim ??= inWidth;
    } else if (width !== inWidth)
      fail(
        `${nodeDesc} expects an input of dimension ${inWidth}, but the previous output has dimension ${width}`,
      );
  };

  for (const node of nodes) {
    const op = node.opType ?? "";
    const nodeName = node.name ?? "";
    const desc = `${clip(op)} (node ${show(nodeName)})`;
    const a = attrs(node, desc, fail);
    const ins = (node.input ?? []).filter((s) => s !== "");
    if (node.domain && node.domain !== "ai.onnx")
      fail(
        `unsupported operator ${clip(node.domain)}.${clip(op)} (node ${show(nodeName)}); supported: ${SUPPORTED_ONNX_OPERATORS.join(", ")}`,
      );
    const known =
      op in ACTIVATION_OPS ||
      [
        "Gemm",
        "MatMul",
        "Add",
        "BatchNormalization",
        "Flatten",
        "Reshape",
        "Identity",
        "Conv",
        "ConvTranspose",
      ].includes(op);
    if (!known)
      fail(
        `unsupported operator ${clip(op)} (node ${show(nodeName)}); supported: ${SUPPORTED_ONNX_OPERATORS.join(", ")}`,
      );
    const chainIn = op === "Add" ? ins.find((s) => !rawInits.has(s)) : ins[0];
    if (chainIn !== current)
      fail(
        `${desc} consumes ${show(chainIn ?? "")}, not the previous output ${show(current)}: only a linear chain of nodes is supported`,
      );
    if ((node.output ?? []).length < 1) fail(`${desc} has no output`);
    const wasMatMul = afterMatMul;
    afterMatMul = false;

    if (op === "Gemm") {
      if (a.int("transA", 0) !== 0) fail(`${desc} has transA = 1, only transA = 0 is supported`);
      const transB = a.int("transB", 0);
      const alpha = a.float("alpha", 1);
      const beta = a.float("beta", 1);
      const B = weightMatrix(ins[1] ?? "", `${desc}: the weight B`);
      const M = matrix(B);
      const W = (transB ? M : transpose(M)).map((row) => row.map((v) => alpha * v));
      setWidth(desc, W[0].length);
      let b: number[] | undefined;
      if (ins[2]) {
        const C = floats(ins[2], `${desc}: the bias C`);
        const out = W.length;
        if (C.length === out) b = C.map((v) => beta * v);
        else if (C.length === 1) b = new Array<number>(out).fill(beta * C[0]);
        else fail(`${desc}: C has ${C.length} values, expected ${out} (one per output) or 1`);
      }
      layers.push({ type: "dense", W, ...(b ? { b } : {}), activation: "linear" });
      width = W.length;
      shape = [width];
      fusable = true;
    } else if (op === "MatMul") {
      const B = weightMatrix(ins[1] ?? "", `${desc}: the weight`);
      const W = transpose(matrix(B));
      setWidth(desc, W[0].length);
      layers.push({ type: "dense", W, activation: "linear" });
      width = W.length;
      shape = [width];
      fusable = true;
      afterMatMul = true;
    } else if (op === "Add") {
      const last = layers[layers.length - 1];
      if (!wasMatMul || !last)
        fail(
          `${desc} is supported only as the bias right after a MatMul (MatMul+Add); use Gemm for other layers`,
        );
      const biasName = ins.find((s) => s !== current) ?? "";
      const C = floats(biasName, `${desc}: the bias`);
      const out = layerOutputDim(last);
      if (C.length !== out && C.length !== 1)
        fail(`${desc}: the bias has ${C.length} values, expected ${out}`);
      last.b = Array.from({ length: out }, (_, i) => (C.length === 1 ? C[0] : C[i]));
    } else if (op in ACTIVATION_OPS) {
      const activation = ACTIVATION_OPS[op];
      const extra: Partial<DenseLayerSpec> =
        activation === "leaky_relu" ? { alpha: a.float("alpha", 0.01) } : {};
      if (activation === "leaky_relu" && !(extra.alpha! > 0 && Number.isFinite(extra.alpha)))
        fail(`${desc} has alpha = ${extra.alpha}, only alpha > 0 (one-to-one) is supported`);
      const last = layers[layers.length - 1];
      if (fusable && last && last.activation === "linear") {
        Object.assign(last, { activation, ...extra });
      } else {
        if (width === null) fail(`${desc} comes before any layer and the input shape is unknown`);
        const d = width!;
        layers.push(activationLayer(d, activation, extra.alpha));
      }
      fusable = false;
    } else if (op === "BatchNormalization") {
      if (a.int("training_mode", 0) !== 0)
        fail(`${desc} has training_mode = 1, only inference mode is supported`);
      let [gamma, beta, mean, variance] = [1, 2, 3, 4].map((k, j) =>
        floats(ins[k] ?? "", `${desc}: ${["scale", "B", "mean", "var"][j]}`),
      );
      // After a convolution: one parameter per channel of the (c, H[, W]) shape, repeated over the positions.
      if (shape && shape.length >= 2 && gamma.length === shape[0] && width === product(shape)) {
        const per = product(shape.slice(1));
        dense(desc, width, 1); // batch norm is lazy: only its parameter vectors are held
        const expand = (v: number[]): number[] =>
          Array.from({ length: v.length * per }, (_, i) => v[Math.floor(i / per)]);
        [gamma, beta, mean, variance] = [gamma, beta, mean, variance].map(expand);
      }
      setWidth(desc, gamma.length);
      dense(desc, gamma.length, 1);
      try {
        layers.push(
          validateNetwork("readOnnxModel", {
            format: NETWORK_FORMAT,
            version: 1,
            inputDim: gamma.length,
            layers: [batchNormLayer({ gamma, beta, mean, var: variance, epsilon: a.float("epsilon", 1e-5) })],
          }).layers[0],
        );
      } catch (e) {
        if (e instanceof InputRangeError || e instanceof InputTypeError)
          fail(`${desc}: ${e.message.replace(/^readOnnxModel: layers\[0\]\.batchnorm:? ?/, "")}`);
        throw e;
      }
      fusable = false;
    } else if (op === "Conv" || op === "ConvTranspose") {
      // Conv needs an image-like input: on a flat vector (or an unknown shape) it is not supported.
      if (!shape || shape.length < 2 || shape.length > 3)
        fail(
          `unsupported operator ${op} (node ${show(nodeName)}); supported: ${SUPPORTED_ONNX_OPERATORS.join(", ")} (${op} only on an input of shape (c, L) or (c, H, W) without the batch dimension, but ${shape ? `the previous output has shape [${shape.join(", ")}]` : "the input shape is unknown: give the graph input a fixed shape"})`,
        );
      const K = init(ins[1] ?? "", `${desc}: the weight W`);
      const dims = K.dims.length - 2;
      if (dims !== shape!.length - 1)
        fail(
          `${desc}: the weight has dims [${K.dims.join(", ")}], but the input has shape [${shape!.join(", ")}] (expected a ${shape!.length - 1}-D kernel)`,
        );
      if (K.dims.some((d) => d === 0))
        fail(`${desc}: the weight has dims [${K.dims.join(", ")}], expected positive dims`);
      const autoPad = attr(node, "auto_pad")?.s;
      const autoPadText = autoPad ? new TextDecoder().decode(autoPad) : "NOTSET";
      if (autoPadText !== "NOTSET")
        fail(
          `${desc} has auto_pad = ${clip(autoPadText)}, only explicit pads (auto_pad NOTSET) are supported`,
        );
      if (a.int("group", 1) !== 1)
        fail(`${desc} has group = ${a.int("group", 1)}, only group = 1 is supported`);
      const dil = a.ints("dilations") ?? new Array<number>(dims).fill(1);
      if (dil.some((v) => v !== 1))
        fail(`${desc} has dilations [${dil.join(", ")}], only dilation 1 is supported`);
      const ks = a.ints("kernel_shape");
      if (ks && ks.join(",") !== K.dims.slice(2).join(","))
        fail(`${desc} has kernel_shape [${ks.join(", ")}], but the weight has dims [${K.dims.join(", ")}]`);
      const strides = a.ints("strides") ?? new Array<number>(dims).fill(1);
      const pads = a.ints("pads") ?? new Array<number>(2 * dims).fill(0);
      if (strides.length !== dims || pads.length !== 2 * dims)
        fail(
          `${desc} has strides [${strides.join(", ")}] and pads [${pads.join(", ")}], expected ${dims} and ${2 * dims} entries`,
        );
      if (pads.some((v, d) => d < dims && v !== pads[d + dims]))
        fail(`${desc} has asymmetric pads [${pads.join(", ")}], only symmetric padding is supported`);
      if (op === "ConvTranspose") {
        const outPad = a.ints("output_padding") ?? [];
        if (outPad.some((v) => v !== 0))
          fail(`${desc} has output_padding [${outPad.join(", ")}], only output_padding 0 is supported`);
        if (attr(node, "output_shape"))
          fail(`${desc} has an output_shape attribute, which is not supported (use pads)`);
      }
      let bias: number[] | undefined;
      if (ins[2]) bias = floats(ins[2], `${desc}: the bias B`);
      try {
        const layer = convLayer(
          {
            op: op === "Conv" ? "conv" : "conv_transpose",
            inputShape: shape!.slice(),
            kernels: nest(K.data, K.dims) as number[][][],
            ...(bias ? { bias } : {}),
            stride: strides,
            padding: pads.slice(0, dims),
          },
          "linear",
          undefined,
          "readOnnxModel",
          "conv",
        );
        setWidth(desc, layerInputDim(layer));
        layers.push(layer);
        width = layerOutputDim(layer);
        shape = convGeometry("readOnnxModel", "conv", layer.conv).outputShape;
      } catch (e) {
        if (e instanceof InputRangeError || e instanceof InputTypeError)
          fail(`${desc}: ${e.message.replace(/^readOnnxModel: conv:? ?/, "")}`);
        throw e;
      }
      fusable = true;
    } else if (op === "Flatten" || op === "Reshape") {
      let outShape: number[] | undefined;
      if (op === "Flatten") {
        if (a.int("axis", 1) !== 1)
          fail(`${desc} has axis ≠ 1, only flattening after the batch dimension is supported`);
      } else {
        const st = init(ins[1] ?? "", `${desc}: the shape`);
        if (st.type !== onnx.TensorProto.DataType.INT64) fail(`${desc}: the shape is not an INT64 tensor`);
        const s = st.data;
        if (s.length < 1) fail(`${desc}: empty target shape`);
        if (s.length > 65) fail(`${desc}: the target shape has ${s.length} entries, more than 65`);
        const rest = s.slice(1);
        if (rest.filter((v) => v === -1).length > 1 || rest.some((v) => v < -1))
          fail(`${desc}: unsupported target shape [${s.join(", ")}]`);
        if (rest.includes(-1) || rest.includes(0)) {
          if (width === null) fail(`${desc}: the target shape has -1 or 0 and the input shape is unknown`);
          rest.forEach((v, i) => {
            if (v === 0) rest[i] = shape?.[i] ?? fail(`${desc}: cannot resolve 0 in the target shape`);
          });
          const known = product(rest.filter((v) => v !== -1));
          if (rest.includes(-1)) rest[rest.indexOf(-1)] = width! / known;
        }
        outShape = rest;
      }
      if (width === null) fail(`${desc} comes before any layer and the input shape is unknown`);
      const d = width!;
      if (outShape && (product(outShape) !== d || !outShape.every((v) => Number.isSafeInteger(v) && v > 0)))
        fail(
          `${desc}: the target shape [${outShape.join(", ")}] does not have ${d} entries (the batch dimension must stay first)`,
        );
      layers.push(
        reshapeLayer(d, {
          op: op === "Flatten" ? "flatten" : "reshape",
          ...(shape ? { inputShape: shape } : {}),
          outputShape: outShape ?? [d],
        }),
      );
      shape = outShape ?? [d];
      fusable = false;
    } else {
      // Identity: no layer.
    }
    current = node.output![0];
  }
  const outputs = graph.output ?? [];
  if (outputs.length !== 1 || outputs[0].name !== current)
    fail(
      `the graph output is ${outputs.length === 0 ? "missing" : outputs.length > 3 ? `${outputs.length} outputs` : outputs.map((o) => show(o.name ?? "")).join(", ")}, expected the last node's output ${show(current)} (a linear chain)`,
    );
  if (layers.length === 0) fail("the graph has no dense, normalization or reshape layers");
  return importedNetwork("readOnnxModel", inputDim!, layers, fail, precision);
}
