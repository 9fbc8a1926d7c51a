/**
 * Reading and writing networks (src/model/network.ts) as JSON:
 *
 *     {"format": "injective-relu/network", "version": 1, "inputDim": n,
 *      "layers": [{"type": "dense", "W": [[...]], "b"?: [...], "activation": "relu" | "linear"}, ...]}
 *
 * Layers may also be `{"type": "batchnorm", "gamma", "beta", "mean", "var", "epsilon"?}` or
 * `{"type": "flatten" | "reshape", "inputShape"?, "outputShape"?}` (see `normalizeNetwork`), and a
 * dense layer's activation may be "leaky_relu" (with "alpha"), "tanh" or "sigmoid". A file ending in
 * `.onnx`, or starting with the bytes of a protobuf ONNX model, is read by `src/io/onnx.ts`.
 *
 * Other top-level keys (such as "construction", written by `injective-relu construct`) are allowed
 * and ignored. As for layer files, every problem is a one-line {@link FileFormatError} that starts
 * with the file name. {@link formatJson} is the compact, diff-friendly layout used for the files
 * the CLI writes (one matrix row per line).
 */

import { writeFile } from "node:fs/promises";
import { InputRangeError, InputTypeError, isInputError } from "../core/validate.js";
import { layerFileForm, normalizeNetwork, validateNetwork, type Network } from "../model/network.js";
import { convGeometry } from "../model/conv-layer.js";
import { describeFsError, FileFormatError } from "./errors.js";
import { decodeUtf8 } from "./layer-file.js";
import { looksLikeOnnx, readOnnxModel } from "./onnx.js";
import { checkDenseSize, memoryLimitOf, readInputFile, type ReaderOptions } from "./safe-file.js";
import { readSafetensorsModel } from "./safetensors.js";
import { readTfjsLayersModel, tfjsModelJsonPath } from "./tfjs.js";

const FN = "readNetworkFile";

/** Turns a validation error of validateNetwork(FN, …) into a FileFormatError naming `source`. */
function withSource<T>(source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputTypeError || e instanceof InputRangeError) {
      const problem = e.message.startsWith(`${FN}: `) ? e.message.slice(FN.length + 2) : e.message;
      throw new FileFormatError(source, problem, { cause: e });
    }
    throw e;
  }
}

/** Line and column of a character offset. */
function where(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return ` at line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/**
 * Refuses, before they are built, the dense matrices that the short forms of layers imply and that
 * would not fit in the memory limit: the identity of a flatten/reshape and the diagonal of a batch
 * norm (width × width), and the matrix of a convolution (output size × input size), also for the
 * `conv` and `batchnorm` records of dense layers, whose reference matrices are rebuilt to check them.
 * Anything malformed is left to normalizeNetwork, which reports it.
 */
function checkImpliedSizes(value: unknown, source: string, limit: number): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  const obj = value as Record<string, unknown>;
  if (!Array.isArray(obj.layers) || typeof obj.inputDim !== "number") return;
  // normalizeNetwork builds the short forms before validateNetwork looks at inputDim.
  if (!Number.isSafeInteger(obj.inputDim) || obj.inputDim <= 0)
    throw new FileFormatError(source, `"inputDim" must be a positive integer, got ${obj.inputDim}`);
  let width = obj.inputDim;
  const convSize = (name: string, p: unknown): number | null => {
    try {
      const g = convGeometry(FN, name, p);
      const out = g.outputShape.reduce((a, v) => a * v, 1);
      // Convolutions are lazy (their matrix is built only when a rule needs it, within the
      // budget); only their bias vector over the output positions is held.
      checkDenseSize(source, name, out, 1, limit);
      return out;
    } catch (e) {
      if (e instanceof FileFormatError || !isInputError(e)) throw e;
      return null; // malformed: normalizeNetwork reports it
    }
  };
  const layers = obj.layers as unknown[];
  for (let l = 0; l < layers.length; l++) {
    const L = layers[l];
    if (typeof L !== "object" || L === null || Array.isArray(L)) return;
    const layer = L as Record<string, unknown>;
    const name = `layers[${l}]`;
    const type = layer.type;
    if (type === "batchnorm") {
      const d = Array.isArray(layer.gamma) ? layer.gamma.length : width;
      checkDenseSize(source, `${name} (batchnorm)`, d, 1, limit);
      if (d > 0) width = d;
    } else if (type === "flatten" || type === "reshape" || type === "activation") {
      // The identity on flat vectors: nothing is built, the width stays.
      continue;
    } else if (type === "conv" || type === "conv_transpose") {
      const out = convSize(`${name} (${type})`, { ...layer, op: type });
      if (out === null) return;
      width = out;
    } else {
      if (layer.conv !== undefined) convSize(`${name}.conv`, layer.conv);
      const bn = layer.batchnorm as Record<string, unknown> | null | undefined;
      if (typeof bn === "object" && bn !== null && Array.isArray(bn.gamma))
        checkDenseSize(source, `${name}.batchnorm`, bn.gamma.length, 1, limit);
      if (Array.isArray(layer.W) && layer.W.length > 0) width = layer.W.length;
    }
  }
}

/**
 * Parses a network from JSON text and validates it (shapes chain, finite numbers, known layer types
 * and activations). The result holds only the {@link Network} fields; other keys are dropped.
 *
 * @param text the file contents
 * @param source the file name, put at the start of error messages
 * @param options the memory limit for the matrices that short layer forms imply (default 2 GiB)
 * @throws FileFormatError for invalid JSON, a missing or wrong format tag, an unsupported version,
 *   a malformed layer (the message names the layer: `layers[1].W has 5 columns, but …`), or a layer
 *   whose dense matrix would exceed the memory limit
 */
export function parseNetworkJson(text: string, source: string, options?: ReaderOptions): Network {
  const limit = memoryLimitOf("parseNetworkJson", options);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    let reason = e.message.replace(/\s+/g, " ").trim();
    if (reason.length > 160) reason = reason.slice(0, 160) + "…";
    const pos = /at position (\d+)/.exec(e.message);
    throw new FileFormatError(source, `invalid JSON (${reason})${pos ? where(text, Number(pos[1])) : ""}`);
  }
  checkImpliedSizes(value, source, limit);
  const net = withSource(source, () => normalizeNetwork(FN, value));
  return {
    format: net.format,
    version: net.version,
    inputDim: net.inputDim,
    layers: net.layers.map((layer) => ({
      type: "dense",
      ...(layer.W ? { W: layer.W } : {}),
      ...(layer.b !== undefined && layer.b !== null ? { b: layer.b } : {}),
      activation: layer.activation,
      ...(layer.activation === "leaky_relu" ? { alpha: layer.alpha } : {}),
      ...(layer.batchnorm ? { batchnorm: layer.batchnorm } : {}),
      ...(layer.reshape ? { reshape: layer.reshape } : {}),
      ...(layer.conv ? { conv: layer.conv } : {}),
      ...(layer.identity ? { identity: layer.identity } : {}),
    })),
    ...(net.precision ? { precision: net.precision } : {}),
  };
}

/**
 * Reads and validates a network file: JSON (see {@link parseNetworkJson}) or, for a name ending in
 * `.onnx` or bytes that look like an ONNX protobuf, an ONNX model (`readOnnxModel`). A `.safetensors`
 * file (with its `.layers.json` beside it) is read by `readSafetensorsModel`, and a TF.js layers
 * model (a directory holding `model.json`, or a `.json` file with `"modelTopology"`) by
 * `readTfjsLayersModel`.
 *
 * The file must be a regular file (a directory, device, FIFO or socket is refused without reading
 * from it) no larger than the memory limit; see docs/file-formats.md for what the readers guarantee.
 * @param path the file; it is also the name error messages start with
 * @param options the memory limit (default 2 GiB)
 * @throws FileFormatError for a missing, unreadable, special, too large, empty or malformed file, or
 *   a directory
 */
export async function readNetworkFile(path: string, options?: ReaderOptions): Promise<Network> {
  const limit = memoryLimitOf("readNetworkFile", options);
  const opts = { memoryLimitBytes: limit };
  if (/\.safetensors$/i.test(path)) return readSafetensorsModel(path, opts);
  const tfjsModelJson = await tfjsModelJsonPath(path);
  if (tfjsModelJson !== null)
    return readTfjsLayersModel(tfjsModelJson, {
      ...opts,
      ...(options?.channelsFirstImages ? { channelsFirstImages: true } : {}),
    });
  const expected = /\.onnx$/i.test(path) ? "an .onnx model file" : "a network .json file";
  const bytes = await readInputFile(path, { expected, limit });
  if (/\.onnx$/i.test(path) || looksLikeOnnx(bytes)) {
    if (bytes.length === 0) throw new FileFormatError(path, "the file is empty, expected an ONNX model");
    return readOnnxModel(bytes, path, opts);
  }
  const text = decodeUtf8(bytes, path);
  if (text === undefined) throw new FileFormatError(path, "is not valid UTF-8 text");
  if (text.trim() === "")
    throw new FileFormatError(path, "the file is empty, expected a network JSON object");
  return parseNetworkJson(text, path, opts);
}

/**
 * JSON text with arrays of numbers on one line and everything else indented by two spaces, so a
 * matrix prints one row per line. Numbers are written in full precision (they read back exactly).
 */
export function formatJson(value: unknown, indent = ""): string {
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((v) => typeof v === "number" || v === null))
      return `[${value.map((v) => JSON.stringify(v) ?? "null").join(", ")}]`;
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(",\n")}\n${indent}]`;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The JSON text of a network file: the network's fields first, then `extra` top-level keys (for
 * example `{"construction": {...}}`), which readers ignore.
 * @throws InputTypeError / InputRangeError for an invalid network
 */
export function stringifyNetwork(net: Network, extra: Record<string, unknown> = {}): string {
  validateNetwork("stringifyNetwork()", net);
  const { format, version, inputDim, precision } = net;
  const layers = net.layers.map(layerFileForm);
  return (
    formatJson({ format, version, inputDim, ...(precision ? { precision } : {}), layers, ...extra }) + "\n"
  );
}

/**
 * Writes a network file ({@link stringifyNetwork}).
 * @throws FileFormatError naming `path` when the file cannot be written
 */
export async function writeNetworkFile(
  path: string,
  net: Network,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const text = stringifyNetwork(net, extra);
  try {
    await writeFile(path, text);
  } catch (e) {
    throw new FileFormatError(path, `cannot write file (${describeFsError(e)})`);
  }
}
