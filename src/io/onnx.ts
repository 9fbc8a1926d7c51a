/**
 * ONNX import: {@link readOnnxModel} turns an ONNX model (protobuf bytes, decoded with the
 * `onnx-proto` package) into a {@link Network} of dense layers.
 *
 * Supported: a linear chain of the operators `Gemm` (transA = 0, transB 0 or 1, alpha, beta),
 * `MatMul` (optionally followed by `Add` of a bias initializer), `Relu`, `LeakyRelu`, `Tanh`,
 * `Sigmoid`, `BatchNormalization` (inference mode), `Flatten` (axis 1), `Reshape` (keeping the
 * batch dimension), `Identity`, `Conv` and `ConvTranspose` (1-D or 2-D; strides, symmetric pads,
 * dilations 1, group 1, no auto_pad; ConvTranspose also output_padding 0 and no output_shape; they
 * become convolution layers, src/network/conv-layer.ts, and need the graph input's shape), plus
 * `Constant` nodes that only feed another node's parameters. A BatchNormalization after a
 * convolution (one scale per channel of a (c, H[, W]) shape) is expanded over the positions.
 * Every node must consume the previous node's output (the first one the graph input), and the last
 * output must be the graph output. Initializers are float32 or float64 tensors, stored as raw_data
 * (little-endian) or in float_data / double_data; Reshape shapes are int64 (raw_data or int64_data).
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
  identityMatrix,
  layerInputDim,
  layerOutputDim,
  reshapeLayer,
  validateNetwork,
  type Activation,
  type DenseLayerSpec,
  type Network,
} from "../network/network.js";
import { convGeometry } from "../network/conv-layer.js";
import { InputRangeError, InputTypeError } from "../core/validate.js";
import { FileFormatError } from "./errors.js";
import { importedNetwork } from "./imported-network.js";

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
}

type LongLike = number | { toNumber(): number };

function toNum(v: LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : v.toNumber();
}

function product(dims: number[]): number {
  return dims.reduce((a, v) => a * v, 1);
}

/** Decodes a float/double/int64 tensor to plain numbers. */
function decodeTensor(t: onnxProto.onnx.ITensorProto, what: string, fail: (p: string) => never): Tensor {
  const dims = (t.dims ?? []).map(toNum);
  const count = product(dims);
  const type = t.dataType ?? 0;
  const T = onnx.TensorProto.DataType;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    fail(
      `${what} stores its data in an external file, which is not supported (re-export with the weights inside the model)`,
    );
  let data: number[];
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const fromRaw = (size: number, get: (off: number) => number): number[] => {
    if (raw!.length !== count * size)
      fail(
        `${what} has ${raw!.length} bytes of raw_data, expected ${count * size} (${count} values of ${size} bytes, dims [${dims.join(", ")}])`,
      );
    return Array.from({ length: count }, (_, i) => get(i * size));
  };
  if (type === T.FLOAT) {
    data = view ? fromRaw(4, (o) => view.getFloat32(o, true)) : (t.floatData ?? []).slice();
  } else if (type === T.DOUBLE) {
    data = view ? fromRaw(8, (o) => view.getFloat64(o, true)) : (t.doubleData ?? []).slice();
  } else if (type === T.INT64) {
    data = view ? fromRaw(8, (o) => Number(view.getBigInt64(o, true))) : (t.int64Data ?? []).map(toNum);
  } else {
    const name = (T as unknown as Record<number, string>)[type] ?? String(type);
    return fail(`${what} has element type ${name}; only FLOAT, DOUBLE (and INT64 for shapes) are supported`);
  }
  if (data.length !== count)
    fail(`${what} has ${data.length} values, expected ${count} (dims [${dims.join(", ")}])`);
  if (type !== T.INT64 && !data.every(Number.isFinite))
    fail(`${what} has a non-finite value (NaN or ±Infinity)`);
  return { dims, data };
}

function attr(node: onnxProto.onnx.INodeProto, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

function attrFloat(node: onnxProto.onnx.INodeProto, name: string, def: number): number {
  const a = attr(node, name);
  return a && a.f !== null && a.f !== undefined ? a.f : def;
}

function attrInt(node: onnxProto.onnx.INodeProto, name: string, def: number): number {
  const a = attr(node, name);
  return a && a.i !== null && a.i !== undefined ? toNum(a.i) : def;
}

function attrInts(node: onnxProto.onnx.INodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a && a.ints && a.ints.length > 0 ? a.ints.map(toNum) : undefined;
}

/** Nested arrays of the given shape from C-order data. */
function nest(data: number[], dims: number[]): unknown {
  if (dims.length === 1) return data.slice();
  const [d, ...rest] = dims;
  const size = product(rest);
  return Array.from({ length: d }, (_, i) => nest(data.slice(i * size, (i + 1) * size), rest));
}

function transpose(M: number[][]): number[][] {
  return M[0].map((_, j) => M.map((row) => row[j]));
}

/** Rows of a 2-D tensor. */
function matrix(t: Tensor): number[][] {
  const [r, c] = t.dims;
  return Array.from({ length: r }, (_, i) => t.data.slice(i * c, (i + 1) * c));
}

/**
 * Reads an ONNX model of a dense network (see the module comment).
 *
 * @param bytes the model file's contents
 * @param source the file name, put at the start of error messages
 * @returns the network, validated
 * @throws FileFormatError (one line, starting with `source`) for corrupt bytes, an unsupported
 *   operator (`unsupported operator MaxPool (node "pool1"); supported: Gemm, MatMul+Add, ...`), a graph
 *   that is not a linear chain, or bad initializers
 */
export function readOnnxModel(bytes: Uint8Array, source: string): Network {
  const fail = (problem: string): never => {
    throw new FileFormatError(source, problem);
  };
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
      fail(`uses the operator set domain "${op.domain}", only the default ONNX domain is supported`);

  const rawInits = new Map<string, onnxProto.onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) rawInits.set(t.name ?? "", t);
  // Constant nodes feed parameters (for example Reshape's shape); they are not part of the chain.
  const nodes = graph.node.filter((node) => {
    if (node.opType !== "Constant") return true;
    const v = attr(node, "value")?.t;
    if (!v || !node.output?.[0])
      fail(
        `Constant node "${node.name ?? ""}" has no tensor "value" attribute (only tensor constants are supported)`,
      );
    rawInits.set(node.output![0], v!);
    return false;
  });
  const cache = new Map<string, Tensor>();
  const init = (name: string, what: string): Tensor => {
    const hit = cache.get(name);
    if (hit) return hit;
    const t = rawInits.get(name);
    if (!t)
      return fail(
        `${what} "${name}" is not an initializer or constant (only a linear chain with constant weights is supported)`,
      );
    const decoded = decodeTensor(t, `initializer "${name}"`, fail);
    cache.set(name, decoded);
    return decoded;
  };

  const inputs = (graph.input ?? []).filter((i) => !rawInits.has(i.name ?? ""));
  if (inputs.length !== 1)
    return fail(
      `the graph has ${inputs.length} non-initializer inputs, expected exactly one (a linear chain)`,
    );
  const inputName = inputs[0].name ?? "";
  const inDims = (inputs[0].type?.tensorType?.shape?.dim ?? []).map((d) =>
    d.dimValue !== null && d.dimValue !== undefined && toNum(d.dimValue) > 0 ? toNum(d.dimValue) : null,
  );
  // Shape without the batch dimension, when known.
  let shape: number[] | null =
    inDims.length >= 2 && inDims.slice(1).every((d) => d !== null) ? (inDims.slice(1) as number[]) : null;
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
    const desc = `${op} (node "${nodeName}")`;
    const ins = (node.input ?? []).filter((s) => s !== "");
    if (node.domain && node.domain !== "ai.onnx")
      fail(
        `unsupported operator ${node.domain}.${op} (node "${nodeName}"); supported: ${SUPPORTED_ONNX_OPERATORS.join(", ")}`,
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
        `unsupported operator ${op} (node "${nodeName}"); supported: ${SUPPORTED_ONNX_OPERATORS.join(", ")}`,
      );
    const chainIn = op === "Add" ? ins.find((s) => !rawInits.has(s)) : ins[0];
    if (chainIn !== current)
      fail(
        `${desc} consumes "${chainIn ?? ""}", not the previous output "${current}": only a linear chain of nodes is supported`,
      );
    if ((node.output ?? []).length < 1) fail(`${desc} has no output`);
    const wasMatMul = afterMatMul;
    afterMatMul = false;

    if (op === "Gemm") {
      if (attrInt(node, "transA", 0) !== 0) fail(`${desc} has transA = 1, only transA = 0 is supported`);
      const transB = attrInt(node, "transB", 0);
      const alpha = attrFloat(node, "alpha", 1);
      const beta = attrFloat(node, "beta", 1);
      const B = init(ins[1] ?? "", `${desc}: the weight B`);
      if (B.dims.length !== 2) fail(`${desc}: B has dims [${B.dims.join(", ")}], expected a matrix`);
      const M = matrix(B);
      const W = (transB ? M : transpose(M)).map((row) => row.map((v) => alpha * v));
      setWidth(desc, W[0].length);
      let b: number[] | undefined;
      if (ins[2]) {
        const C = init(ins[2], `${desc}: the bias C`);
        const out = W.length;
        if (C.data.length === out) b = C.data.map((v) => beta * v);
        else if (C.data.length === 1) b = new Array<number>(out).fill(beta * C.data[0]);
        else fail(`${desc}: C has ${C.data.length} values, expected ${out} (one per output) or 1`);
      }
      layers.push({ type: "dense", W, ...(b ? { b } : {}), activation: "linear" });
      width = W.length;
      shape = [width];
      fusable = true;
    } else if (op === "MatMul") {
      const B = init(ins[1] ?? "", `${desc}: the weight`);
      if (B.dims.length !== 2) fail(`${desc}: the weight has dims [${B.dims.join(", ")}], expected a matrix`);
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
      const C = init(biasName, `${desc}: the bias`);
      const out = layerOutputDim(last);
      if (C.data.length !== out && C.data.length !== 1)
        fail(`${desc}: the bias has ${C.data.length} values, expected ${out}`);
      last.b = Array.from({ length: out }, (_, i) => (C.data.length === 1 ? C.data[0] : C.data[i]));
    } else if (op in ACTIVATION_OPS) {
      const activation = ACTIVATION_OPS[op];
      const extra: Partial<DenseLayerSpec> =
        activation === "leaky_relu" ? { alpha: attrFloat(node, "alpha", 0.01) } : {};
      if (activation === "leaky_relu" && !(extra.alpha! > 0))
        fail(`${desc} has alpha = ${extra.alpha}, only alpha > 0 (one-to-one) is supported`);
      const last = layers[layers.length - 1];
      if (fusable && last && last.activation === "linear") {
        Object.assign(last, { activation, ...extra });
      } else {
        if (width === null) fail(`${desc} comes before any layer and the input shape is unknown`);
        layers.push({ type: "dense", W: identityMatrix(width!), activation, ...extra });
      }
      fusable = false;
    } else if (op === "BatchNormalization") {
      if (attrInt(node, "training_mode", 0) !== 0)
        fail(`${desc} has training_mode = 1, only inference mode is supported`);
      let [gamma, beta, mean, variance] = [1, 2, 3, 4].map(
        (k, j) => init(ins[k] ?? "", `${desc}: ${["scale", "B", "mean", "var"][j]}`).data,
      );
      // After a convolution: one parameter per channel of the (c, H[, W]) shape, repeated over the positions.
      if (shape && shape.length >= 2 && gamma.length === shape[0] && width === product(shape)) {
        const per = product(shape.slice(1));
        const expand = (v: number[]): number[] =>
          Array.from({ length: v.length * per }, (_, i) => v[Math.floor(i / per)]);
        [gamma, beta, mean, variance] = [gamma, beta, mean, variance].map(expand);
      }
      setWidth(desc, gamma.length);
      try {
        layers.push(
          validateNetwork("readOnnxModel", {
            format: NETWORK_FORMAT,
            version: 1,
            inputDim: gamma.length,
            layers: [
              batchNormLayer({ gamma, beta, mean, var: variance, epsilon: attrFloat(node, "epsilon", 1e-5) }),
            ],
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
          `unsupported operator ${op} (node "${nodeName}"); supported: ${SUPPORTED_ONNX_OPERATORS.join(", ")} (${op} only on an input of shape (c, L) or (c, H, W) without the batch dimension, but ${shape ? `the previous output has shape [${shape.join(", ")}]` : "the input shape is unknown: give the graph input a fixed shape"})`,
        );
      const K = init(ins[1] ?? "", `${desc}: the weight W`);
      const dims = K.dims.length - 2;
      if (dims !== shape!.length - 1)
        fail(
          `${desc}: the weight has dims [${K.dims.join(", ")}], but the input has shape [${shape!.join(", ")}] (expected a ${shape!.length - 1}-D kernel)`,
        );
      const autoPad = attr(node, "auto_pad")?.s;
      const autoPadText = autoPad ? new TextDecoder().decode(autoPad) : "NOTSET";
      if (autoPadText !== "NOTSET")
        fail(`${desc} has auto_pad = ${autoPadText}, only explicit pads (auto_pad NOTSET) are supported`);
      if (attrInt(node, "group", 1) !== 1)
        fail(`${desc} has group = ${attrInt(node, "group", 1)}, only group = 1 is supported`);
      const dil = attrInts(node, "dilations") ?? new Array<number>(dims).fill(1);
      if (dil.some((v) => v !== 1))
        fail(`${desc} has dilations [${dil.join(", ")}], only dilation 1 is supported`);
      const ks = attrInts(node, "kernel_shape");
      if (ks && ks.join(",") !== K.dims.slice(2).join(","))
        fail(`${desc} has kernel_shape [${ks.join(", ")}], but the weight has dims [${K.dims.join(", ")}]`);
      const strides = attrInts(node, "strides") ?? new Array<number>(dims).fill(1);
      const pads = attrInts(node, "pads") ?? new Array<number>(2 * dims).fill(0);
      if (strides.length !== dims || pads.length !== 2 * dims)
        fail(
          `${desc} has strides [${strides.join(", ")}] and pads [${pads.join(", ")}], expected ${dims} and ${2 * dims} entries`,
        );
      if (pads.some((v, d) => d < dims && v !== pads[d + dims]))
        fail(`${desc} has asymmetric pads [${pads.join(", ")}], only symmetric padding is supported`);
      if (op === "ConvTranspose") {
        const outPad = attrInts(node, "output_padding") ?? [];
        if (outPad.some((v) => v !== 0))
          fail(`${desc} has output_padding [${outPad.join(", ")}], only output_padding 0 is supported`);
        if (attr(node, "output_shape"))
          fail(`${desc} has an output_shape attribute, which is not supported (use pads)`);
      }
      let bias: number[] | undefined;
      if (ins[2]) bias = init(ins[2], `${desc}: the bias B`).data;
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
        if (attrInt(node, "axis", 1) !== 1)
          fail(`${desc} has axis ≠ 1, only flattening after the batch dimension is supported`);
      } else {
        const s = init(ins[1] ?? "", `${desc}: the shape`).data;
        if (s.length < 1) fail(`${desc}: empty target shape`);
        const rest = s.slice(1);
        if (rest.filter((v) => v === -1).length > 1 || rest.some((v) => v < -1))
          fail(`${desc}: unsupported target shape [${s.join(", ")}]`);
        if (rest.includes(-1) || rest.includes(0)) {
          if (width === null) fail(`${desc}: the target shape has -1 or 0 and the input shape is unknown`);
          rest.forEach((v, i) => {
            if (v === 0) rest[i] = shape?.[i] ?? fail(`${desc}: cannot resolve 0 in the target shape`);
          });
          const known = product(rest.filter((v) => v !== -1));
          rest[rest.indexOf(-1)] = width! / known;
        }
        outShape = rest;
      }
      if (width === null) fail(`${desc} comes before any layer and the input shape is unknown`);
      const d = width!;
      if (outShape && product(outShape) !== d)
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
      `the graph output is ${outputs.map((o) => `"${o.name ?? ""}"`).join(", ") || "missing"}, expected the last node's output "${current}" (a linear chain)`,
    );
  if (layers.length === 0) fail("the graph has no dense, normalization or reshape layers");
  return importedNetwork("readOnnxModel", inputDim!, layers, fail);
}
