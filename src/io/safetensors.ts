/**
 * safetensors import: {@link readSafetensorsModel} reads `model.safetensors` (tensors only) plus a
 * small JSON description of the layer order beside it, `model.layers.json`:
 *
 *     {"format": "injective-relu/safetensors-layers", "version": 1, "inputDim"?: n,
 *      "layers": [
 *        {"type": "dense", "weight": "0.weight", "bias"?: "0.bias", "activation": "relu",
 *         "alpha"?: 0.01, "transpose"?: false},
 *        {"type": "activation", "activation": "tanh" | "relu" | "leaky_relu" | ..., "alpha"?},
 *        {"type": "batchnorm", "gamma"?: "1.weight", "beta"?: "1.bias", "mean": "1.running_mean",
 *         "var": "1.running_var", "epsilon"?: 1e-5},
 *        {"type": "flatten" | "reshape", "outputShape"?: [...]}]}
 *
 * A dense weight is stored (out, in), as PyTorch's nn.Linear does, which is the toolkit's W; with
 * `"transpose": true` it is stored (in, out) (Keras / TF kernels) and transposed. The safetensors
 * file is an 8-byte little-endian header length, a JSON header `{name: {"dtype", "shape",
 * "data_offsets": [begin, end]}, "__metadata__"?}`, then the data (offsets relative to its start).
 * F32 and F64 tensors are supported. Every problem is a one-line {@link FileFormatError} starting
 * with the file name.
 */

import { readFile } from "node:fs/promises";
import {
  ACTIVATIONS,
  batchNormLayer,
  NETWORK_FORMAT,
  identityMatrix,
  reshapeLayer,
  validateNetwork,
  type Activation,
  type DenseLayerSpec,
  type Network,
} from "../network/network.js";
import { InputRangeError, InputTypeError } from "../core/validate.js";
import { describeFsError, FileFormatError } from "./errors.js";
import { importedNetwork } from "./imported-network.js";

/** The format tag of the layer description. */
export const SAFETENSORS_LAYERS_FORMAT = "injective-relu/safetensors-layers";

/** A decoded tensor. */
export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: number[];
}

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function product(dims: number[]): number {
  return dims.reduce((a, v) => a * v, 1);
}

const SIZES: Record<string, number> = { F32: 4, F64: 8 };

/**
 * Decodes a safetensors file into its tensors (F32 and F64 only).
 * @param bytes the file's contents
 * @param source the file name, put at the start of error messages
 * @throws FileFormatError for a truncated file, a corrupt header, bad offsets or another dtype
 */
export function parseSafetensors(bytes: Uint8Array, source: string): Map<string, SafeTensor> {
  const fail = (problem: string): never => {
    throw new FileFormatError(source, problem);
  };
  if (bytes.length < 8)
    fail(`is ${bytes.length} bytes long, too short for a safetensors file (8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.length - 8)
    fail(
      `the header length is ${headerLen} bytes, but only ${bytes.length - 8} follow; the file is truncated or not a safetensors file`,
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").slice(0, 160);
    return fail(`the safetensors header is not valid JSON (${reason}); the file may be corrupt`);
  }
  if (!isObject(header)) return fail("the safetensors header is not a JSON object");
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const out = new Map<string, SafeTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const what = `tensor "${name}"`;
    if (!isObject(info) || typeof info.dtype !== "string" || !Array.isArray(info.shape))
      return fail(`${what} has no "dtype" and "shape" in the header`);
    const shape = info.shape as unknown[];
    if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
      fail(`${what} has shape ${JSON.stringify(shape)}, expected nonnegative integers`);
    const size = SIZES[info.dtype] ?? fail(`${what} has dtype ${info.dtype}; only F32 and F64 are supported`);
    const offs = info.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((v) => Number.isSafeInteger(v) && (v as number) >= 0) ||
      (offs[0] as number) > (offs[1] as number)
    )
      return fail(`${what} has data_offsets ${JSON.stringify(offs)}, expected [begin, end]`);
    const [begin, end] = offs as number[];
    const count = product(shape as number[]);
    if (end - begin !== count * size)
      fail(
        `${what} has ${end - begin} bytes (data_offsets [${begin}, ${end}]), expected ${count * size} (${count} ${info.dtype} values)`,
      );
    if (end > dataLen)
      fail(
        `${what} ends at byte ${end} of the data, but the data has ${dataLen} bytes; the file is truncated`,
      );
    const at = dataStart + begin;
    const data = Array.from({ length: count }, (_, i) =>
      size === 4 ? view.getFloat32(at + 4 * i, true) : view.getFloat64(at + 8 * i, true),
    );
    if (!data.every(Number.isFinite)) fail(`${what} has a non-finite value (NaN or ±Infinity)`);
    out.set(name, { dtype: info.dtype, shape: shape as number[], data });
  }
  return out;
}

/**
 * Builds a network from decoded tensors and the layer description (see the module comment).
 * @param tensors the tensors ({@link parseSafetensors})
 * @param description the parsed layer description
 * @param source the name error messages start with (the description file)
 * @throws FileFormatError for a malformed description, a missing tensor or shapes that do not chain
 */
export function parseSafetensorsLayers(
  tensors: Map<string, SafeTensor>,
  description: unknown,
  source: string,
): Network {
  const fail = (problem: string): never => {
    throw new FileFormatError(source, problem);
  };
  if (!isObject(description) || description.format !== SAFETENSORS_LAYERS_FORMAT)
    fail(`"format" must be "${SAFETENSORS_LAYERS_FORMAT}"`);
  const d = description as Json;
  if (d.version !== undefined && d.version !== 1)
    fail(`unsupported version ${String(d.version)} (this release reads 1)`);
  if (!Array.isArray(d.layers) || d.layers.length === 0) return fail('"layers" must be a non-empty array');
  let width: number | null =
    typeof d.inputDim === "number" && Number.isSafeInteger(d.inputDim) && d.inputDim > 0 ? d.inputDim : null;
  if (d.inputDim !== undefined && width === null) fail(`"inputDim" must be a positive integer`);
  let inputDim = width;
  const layers: DenseLayerSpec[] = [];

  const tensor = (desc: string, key: string, ref: unknown): SafeTensor => {
    if (typeof ref !== "string") return fail(`${desc}.${key} must be a tensor name (a string)`);
    return tensors.get(ref) ?? fail(`${desc}.${key}: no tensor "${ref}" in the safetensors file`);
  };
  const activationOf = (desc: string, L: Json): Partial<DenseLayerSpec> & { activation: Activation } => {
    const a = L.activation ?? "linear";
    if (typeof a !== "string" || !(ACTIVATIONS as readonly string[]).includes(a))
      return fail(`${desc}.activation is ${JSON.stringify(a)}; supported: ${ACTIVATIONS.join(", ")}`);
    if (a !== "leaky_relu") return { activation: a as Activation };
    const alpha = L.alpha ?? 0.01;
    if (typeof alpha !== "number" || !(alpha > 0) || !Number.isFinite(alpha))
      fail(`${desc}.alpha must be a positive number (leaky ReLU slope), got ${JSON.stringify(alpha)}`);
    return { activation: "leaky_relu", alpha: alpha as number };
  };
  const needWidth = (desc: string): number =>
    width ?? fail(`${desc} comes before any dense layer and "inputDim" is not given`);

  d.layers.forEach((layer: unknown, l: number) => {
    const desc = `layers[${l}]`;
    if (!isObject(layer)) return fail(`${desc} must be an object with a "type"`);
    const type = layer.type;
    if (type === "dense") {
      const w = tensor(desc, "weight", layer.weight);
      if (w.shape.length !== 2)
        fail(`${desc}.weight "${String(layer.weight)}" has shape [${w.shape.join(", ")}], expected a matrix`);
      const [r, c] = w.shape;
      const M = Array.from({ length: r }, (_, i) => w.data.slice(i * c, (i + 1) * c));
      const W = layer.transpose === true ? Array.from({ length: c }, (_, j) => M.map((row) => row[j])) : M;
      const inW = W[0]?.length ?? 0;
      if (width === null) {
        width = inW;
        inputDim = inW;
      } else if (inW !== width)
        fail(
          `${desc}.weight "${String(layer.weight)}" has ${inW} input columns${layer.transpose === true ? " (after transposing)" : ""}, but the previous output has dimension ${width}${layer.transpose === true ? "" : ' (a (in, out) kernel needs "transpose": true)'}`,
        );
      let b: number[] | undefined;
      if (layer.bias !== undefined && layer.bias !== null) {
        b = tensor(desc, "bias", layer.bias).data;
        if (b.length !== W.length)
          fail(`${desc}.bias "${String(layer.bias)}" has ${b.length} values, expected ${W.length}`);
      }
      layers.push({ type: "dense", W, ...(b ? { b } : {}), ...activationOf(desc, layer) });
      width = W.length;
    } else if (type === "activation") {
      layers.push({ type: "dense", W: identityMatrix(needWidth(desc)), ...activationOf(desc, layer) });
    } else if (type === "batchnorm") {
      const n = needWidth(desc);
      const vec = (key: string, def: number): number[] => {
        if (layer[key] === undefined || layer[key] === null) {
          if (key === "mean" || key === "var") return fail(`${desc}.${key} is missing`);
          return new Array<number>(n).fill(def);
        }
        const t = tensor(desc, key, layer[key]);
        if (t.data.length !== n)
          fail(`${desc}.${key} "${String(layer[key])}" has ${t.data.length} values, expected ${n}`);
        return t.data;
      };
      const epsilon = layer.epsilon ?? 1e-5;
      if (typeof epsilon !== "number") return fail(`${desc}.epsilon must be a number`);
      try {
        layers.push(
          validateNetwork("readSafetensorsModel", {
            format: NETWORK_FORMAT,
            version: 1,
            inputDim: n,
            layers: [
              batchNormLayer({
                gamma: vec("gamma", 1),
                beta: vec("beta", 0),
                mean: vec("mean", 0),
                var: vec("var", 1),
                epsilon,
              }),
            ],
          }).layers[0],
        );
      } catch (e) {
        if (e instanceof InputRangeError || e instanceof InputTypeError)
          fail(`${desc}: ${e.message.replace(/^readSafetensorsModel: layers\[0\]\.batchnorm:? ?/, "")}`);
        throw e;
      }
    } else if (type === "flatten" || type === "reshape") {
      const n = needWidth(desc);
      const os = layer.outputShape;
      if (
        os !== undefined &&
        !(
          Array.isArray(os) &&
          os.every((v) => Number.isSafeInteger(v) && v > 0) &&
          product(os as number[]) === n
        )
      )
        fail(`${desc}.outputShape must be positive integers with product ${n}, got ${JSON.stringify(os)}`);
      layers.push(reshapeLayer(n, { op: type, ...(os ? { outputShape: os as number[] } : {}) }));
    } else {
      fail(
        `${desc}.type is ${JSON.stringify(type)}; supported: dense, activation, batchnorm, flatten, reshape`,
      );
    }
  });
  return importedNetwork("readSafetensorsModel", inputDim!, layers, fail);
}

/** The layer description file of a safetensors file: `model.safetensors` → `model.layers.json`. */
export function safetensorsLayersPath(path: string): string {
  return path.replace(/\.safetensors$/i, "") + ".layers.json";
}

/**
 * Reads `X.safetensors` and its layer description `X.layers.json` (see the module comment).
 * @param path the `.safetensors` file; errors about the tensors start with it, errors about the
 *   description with the description's path
 * @throws FileFormatError for a missing or corrupt file or description
 */
export async function readSafetensorsModel(path: string): Promise<Network> {
  const layersPath = safetensorsLayersPath(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new FileFormatError(path, `cannot read file (${describeFsError(e)})`);
  }
  const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
  let text: string;
  try {
    text = await readFile(layersPath, "utf8");
  } catch (e) {
    throw new FileFormatError(
      path,
      `cannot read the layer description ${layersPath} (${describeFsError(e)}); a .safetensors file holds only tensors, the layer order goes in that file`,
    );
  }
  let description: unknown;
  try {
    description = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").slice(0, 160);
    throw new FileFormatError(layersPath, `invalid JSON (${reason})`);
  }
  return parseSafetensorsLayers(tensors, description, layersPath);
}
