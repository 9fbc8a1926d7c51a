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
 * F32, F64, F16 and BF16 tensors are supported. Every problem is a one-line {@link FileFormatError}
 * starting with the file name.
 *
 * The header is validated as the format requires (https://github.com/huggingface/safetensors): a
 * header length of at most 100 MB inside the file, UTF-8 JSON starting with `{`, known dtypes,
 * shapes whose product matches the byte range, and byte ranges that tile the data exactly (in
 * order, no overlap, no gap, nothing after the last tensor). The layer description must be a
 * regular file in the folder of the `.safetensors` file (after symbolic links are followed).
 */

import { basename, dirname } from "node:path";
import {
  ACTIVATIONS,
  batchNormLayer,
  NETWORK_FORMAT,
  activationLayer,
  reshapeLayer,
  validateNetwork,
  type Activation,
  type DenseLayerSpec,
  type Network,
  type Precision,
} from "../model/network.js";
import { InputRangeError, InputTypeError } from "../core/validate.js";
import { formatBytes } from "../core/budget.js";
import { clip, FileFormatError, show } from "./errors.js";
import { coarser, importedNetwork } from "./imported-network.js";
import { decodeUtf8 } from "./layer-parse.js";
import {
  checkDenseSize,
  memoryLimitOf,
  readFileInFolder,
  readInputFile,
  tooLarge,
  type ReaderOptions,
} from "./safe-file.js";

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

/** The precision of each dtype read here. */
const DTYPE_PRECISION: Record<string, Precision> = {
  F64: "float64",
  F32: "float32",
  F16: "float16",
  BF16: "bfloat16",
};

/** Element sizes of the dtypes read here. */
const SIZES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

/** The other dtypes of the safetensors format (refused with "not supported", not "unknown"). */
const OTHER_DTYPES = [
  "BOOL",
  "U8",
  "I8",
  "I16",
  "U16",
  "I32",
  "U32",
  "I64",
  "U64",
  "F8_E5M2",
  "F8_E4M3",
  "F8_E8M0",
  "F6_E2M3",
  "F6_E3M2",
  "F4",
  "C64",
];

/** The format's limit on the header length (as in the reference implementation). */
const MAX_HEADER_BYTES = 100_000_000;

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const scratch = new DataView(new ArrayBuffer(4));

/** A little-endian bfloat16 (the high half of a float32) to a double (exact). */
function bfloat16(lo: number, hi: number): number {
  scratch.setUint8(0, 0);
  scratch.setUint8(1, 0);
  scratch.setUint8(2, lo);
  scratch.setUint8(3, hi);
  return scratch.getFloat32(0, true);
}

/**
 * Decodes a safetensors file into its tensors (F32, F64, F16 and BF16), validating the header (see
 * the module comment).
 * @param bytes the file's contents
 * @param source the file name, put at the start of error messages
 * @param options the memory limit for the decoded tensors (default 2 GiB)
 * @throws FileFormatError for a truncated file, a corrupt header, bad offsets or another dtype
 */
export function parseSafetensors(
  bytes: Uint8Array,
  source: string,
  options?: ReaderOptions,
): Map<string, SafeTensor> {
  const limit = memoryLimitOf("parseSafetensors", options);
  const fail = (problem: string): never => {
    throw new FileFormatError(source, problem);
  };
  if (bytes.length < 8)
    fail(`is ${bytes.length} bytes long, too short for a safetensors file (8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawLen = view.getBigUint64(0, true);
  if (rawLen > BigInt(bytes.length - 8))
    fail(
      `the header length is ${rawLen} bytes, but only ${bytes.length - 8} follow; the file is truncated or not a safetensors file`,
    );
  const headerLen = Number(rawLen);
  if (headerLen > MAX_HEADER_BYTES)
    fail(`the header length is ${headerLen} bytes, more than the format's limit of ${MAX_HEADER_BYTES}`);
  if (headerLen < 2 || bytes[8] !== 0x7b) fail("the safetensors header does not start with '{'");
  let headerText: string;
  try {
    headerText = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail("the safetensors header is not valid UTF-8; the file may be corrupt");
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").slice(0, 160);
    return fail(`the safetensors header is not valid JSON (${reason}); the file may be corrupt`);
  }
  if (!isObject(header)) return fail("the safetensors header is not a JSON object");
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const entries: {
    name: string;
    dtype: string;
    size: number;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  let decoded = 0;
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!isObject(info) || !Object.values(info).every((v) => typeof v === "string"))
        fail('"__metadata__" must be an object of strings');
      continue;
    }
    const what = `tensor "${clip(name, 60)}"`;
    if (!isObject(info) || typeof info.dtype !== "string" || !Array.isArray(info.shape))
      return fail(`${what} has no "dtype" and "shape" in the header`);
    const dtype = info.dtype;
    const shape = info.shape as unknown[];
    if (shape.length > 64 || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
      fail(`${what} has shape ${show(shape)}, expected nonnegative integers`);
    const size =
      SIZES[dtype] ??
      (OTHER_DTYPES.includes(dtype)
        ? fail(`${what} has dtype ${dtype}; only F32, F64, F16 and BF16 are supported`)
        : fail(`${what} has an unknown dtype ${show(dtype, 20)}`));
    const offs = info.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((v) => Number.isSafeInteger(v) && (v as number) >= 0) ||
      (offs[0] as number) > (offs[1] as number)
    )
      return fail(`${what} has data_offsets ${show(offs)}, expected [begin, end]`);
    const [begin, end] = offs as number[];
    const count = product(shape as number[]);
    if (!Number.isSafeInteger(count * size) || end - begin !== count * size)
      fail(
        `${what} has ${end - begin} bytes (data_offsets [${begin}, ${end}]), expected ${count * size} (${count} ${dtype} values)`,
      );
    if (end > dataLen)
      fail(
        `${what} ends at byte ${end} of the data, but the data has ${dataLen} bytes; the file is truncated`,
      );
    decoded += count * 8;
    if (!(decoded <= limit))
      tooLarge(source, `the tensors need ${formatBytes(decoded)} in memory`, decoded, limit);
    entries.push({ name, dtype, size, shape: shape as number[], begin, end });
  }
  // The byte ranges must tile the data: in order, without overlap, gap or trailing bytes.
  const sorted = entries.slice().sort((x, y) => x.begin - y.begin || x.end - y.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at)
      fail(
        e.begin < at
          ? `tensor "${clip(e.name, 60)}" (data_offsets [${e.begin}, ${e.end}]) overlaps the tensor before it, which ends at byte ${at}`
          : `the bytes ${at} to ${e.begin} of the data belong to no tensor (a gap before tensor "${clip(e.name, 60)}")`,
      );
    at = e.end;
  }
  if (at !== dataLen)
    fail(
      `the data has ${dataLen} bytes, but the tensors cover only ${at} (trailing bytes after the last tensor)`,
    );
  const out = new Map<string, SafeTensor>();
  for (const e of entries) {
    const count = (e.end - e.begin) / e.size;
    const base = dataStart + e.begin;
    const data = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const o = base + e.size * i;
      data[i] =
        e.dtype === "F32"
          ? view.getFloat32(o, true)
          : e.dtype === "F64"
            ? view.getFloat64(o, true)
            : e.dtype === "F16"
              ? halfToNumber(view.getUint16(o, true))
              : bfloat16(bytes[o], bytes[o + 1]);
    }
    if (!data.every(Number.isFinite))
      fail(`tensor "${clip(e.name, 60)}" has a non-finite value (NaN or ±Infinity)`);
    out.set(e.name, { dtype: e.dtype, shape: e.shape, data });
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
  options?: ReaderOptions,
): Network {
  const limit = memoryLimitOf("parseSafetensorsLayers", options);
  const dense = (what: string, rows: number, cols: number): void =>
    checkDenseSize(source, what, rows, cols, limit);
  const fail = (problem: string): never => {
    throw new FileFormatError(source, problem);
  };
  if (!isObject(description) || description.format !== SAFETENSORS_LAYERS_FORMAT)
    fail(`"format" must be "${SAFETENSORS_LAYERS_FORMAT}"`);
  const d = description as Json;
  if (d.version !== undefined && d.version !== 1)
    fail(`unsupported version ${show(d.version, 20)} (this release reads 1)`);
  if (!Array.isArray(d.layers) || d.layers.length === 0) return fail('"layers" must be a non-empty array');
  let width: number | null =
    typeof d.inputDim === "number" && Number.isSafeInteger(d.inputDim) && d.inputDim > 0 ? d.inputDim : null;
  if (d.inputDim !== undefined && width === null) fail(`"inputDim" must be a positive integer`);
  let inputDim = width;
  const layers: DenseLayerSpec[] = [];

  let precision: Precision | undefined;
  const tensor = (desc: string, key: string, ref: unknown): SafeTensor => {
    if (typeof ref !== "string") return fail(`${desc}.${key} must be a tensor name (a string)`);
    const t =
      tensors.get(ref) ?? fail(`${desc}.${key}: no tensor "${clip(ref, 60)}" in the safetensors file`);
    precision = coarser(precision, DTYPE_PRECISION[t.dtype] ?? "float64");
    return t;
  };
  const activationOf = (desc: string, L: Json): Partial<DenseLayerSpec> & { activation: Activation } => {
    const a = L.activation ?? "linear";
    if (typeof a !== "string" || !(ACTIVATIONS as readonly string[]).includes(a))
      return fail(`${desc}.activation is ${show(a, 40)}; supported: ${ACTIVATIONS.join(", ")}`);
    if (a !== "leaky_relu") return { activation: a as Activation };
    const alpha = L.alpha ?? 0.01;
    if (typeof alpha !== "number" || !(alpha > 0) || !Number.isFinite(alpha))
      fail(`${desc}.alpha must be a positive number (leaky ReLU slope), got ${show(alpha, 40)}`);
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
      if (w.shape.length !== 2 || w.shape[0] === 0 || w.shape[1] === 0)
        fail(
          `${desc}.weight "${clip(String(layer.weight), 60)}" has shape [${w.shape.join(", ")}], expected a matrix`,
        );
      const [r, c] = w.shape;
      const M = Array.from({ length: r }, (_, i) => w.data.slice(i * c, (i + 1) * c));
      const W = layer.transpose === true ? Array.from({ length: c }, (_, j) => M.map((row) => row[j])) : M;
      const inW = W[0]?.length ?? 0;
      if (width === null) {
        width = inW;
        inputDim = inW;
      } else if (inW !== width)
        fail(
          `${desc}.weight "${clip(String(layer.weight), 60)}" has ${inW} input columns${layer.transpose === true ? " (after transposing)" : ""}, but the previous output has dimension ${width}${layer.transpose === true ? "" : ' (a (in, out) kernel needs "transpose": true)'}`,
        );
      let b: number[] | undefined;
      if (layer.bias !== undefined && layer.bias !== null) {
        b = tensor(desc, "bias", layer.bias).data;
        if (b.length !== W.length)
          fail(`${desc}.bias "${clip(String(layer.bias), 60)}" has ${b.length} values, expected ${W.length}`);
      }
      layers.push({ type: "dense", W, ...(b ? { b } : {}), ...activationOf(desc, layer) });
      width = W.length;
    } else if (type === "activation") {
      const { activation, alpha } = activationOf(desc, layer);
      layers.push(activationLayer(needWidth(desc), activation, alpha));
    } else if (type === "batchnorm") {
      const n = needWidth(desc);
      dense(desc, n, 1); // batch norm is lazy: only its parameter vectors are held
      const vec = (key: string, def: number): number[] => {
        if (layer[key] === undefined || layer[key] === null) {
          if (key === "mean" || key === "var") return fail(`${desc}.${key} is missing`);
          return new Array<number>(n).fill(def);
        }
        const t = tensor(desc, key, layer[key]);
        if (t.data.length !== n)
          fail(`${desc}.${key} "${clip(String(layer[key]), 60)}" has ${t.data.length} values, expected ${n}`);
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
          os.length <= 64 &&
          os.every((v) => Number.isSafeInteger(v) && v > 0) &&
          product(os as number[]) === n
        )
      )
        fail(`${desc}.outputShape must be positive integers with product ${n}, got ${show(os, 60)}`);
      layers.push(reshapeLayer(n, { op: type, ...(os ? { outputShape: os as number[] } : {}) }));
    } else {
      fail(`${desc}.type is ${show(type, 40)}; supported: dense, activation, batchnorm, flatten, reshape`);
    }
  });
  return importedNetwork("readSafetensorsModel", inputDim!, layers, fail, precision);
}

/** The layer description file of a safetensors file: `model.safetensors` → `model.layers.json`. */
export function safetensorsLayersPath(path: string): string {
  return path.replace(/\.safetensors$/i, "") + ".layers.json";
}

/**
 * Reads `X.safetensors` and its layer description `X.layers.json` (see the module comment). The
 * `.safetensors` file must be a regular file no larger than the memory limit; the description must
 * be a regular file in the same folder (after symbolic links are followed), at most 64 MB.
 * @param path the `.safetensors` file; errors about the tensors start with it, errors about the
 *   description with the description's path
 * @param options the memory limit (default 2 GiB)
 * @throws FileFormatError for a missing, special, too large or corrupt file or description
 */
export async function readSafetensorsModel(path: string, options?: ReaderOptions): Promise<Network> {
  const limit = memoryLimitOf("readSafetensorsModel", options);
  const layersPath = safetensorsLayersPath(path);
  const bytes = await readInputFile(path, { expected: "a .safetensors file", limit });
  const tensors = parseSafetensors(bytes, path, { memoryLimitBytes: limit });
  const maxDescription = Math.min(limit, 64 * 1024 * 1024);
  const raw = await readFileInFolder(dirname(path), basename(layersPath), {
    source: path,
    what: "the layer description",
    maxBytes: maxDescription,
    tooLarge: () => `a layer description may hold at most ${maxDescription} bytes`,
  }).catch((e: unknown) => {
    if (e instanceof FileFormatError && /^cannot read .*\(no such file\)$/.test(e.problem))
      throw new FileFormatError(
        path,
        `cannot read the layer description ${layersPath} (no such file); a .safetensors file holds only tensors, the layer order goes in that file`,
      );
    throw e;
  });
  const text = decodeUtf8(raw, layersPath);
  if (text === undefined) throw new FileFormatError(layersPath, "is not valid UTF-8 text");
  let description: unknown;
  try {
    description = JSON.parse(text);
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").slice(0, 160);
    throw new FileFormatError(layersPath, `invalid JSON (${reason})`);
  }
  return parseSafetensorsLayers(tensors, description, layersPath, { memoryLimitBytes: limit });
}
