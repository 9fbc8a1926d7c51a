/**
 * Parsing networks (src/model/network.ts) without file access, so that it runs in a browser too:
 * the project's network JSON ({@link parseNetworkJson}; the format is described in
 * src/io/network-file.ts, which reads files from disk and re-exports this module), and
 * {@link parseNetworkBytes} for a model given as files in memory (ONNX, network JSON, or a TF.js
 * `model.json` with its shards). {@link formatJson} is the compact, diff-friendly layout of the files
 * the CLI writes (one matrix row per line).
 */

import { InputRangeError, InputTypeError, isInputError } from "../core/validate.js";
import { layerFileForm, normalizeNetwork, validateNetwork, type Network } from "../model/network.js";
import { convGeometry } from "../model/conv-layer.js";
import { FileFormatError } from "./errors.js";
import { decodeUtf8, extensionOf } from "./layer-parse.js";
import { formatBytes } from "../core/budget.js";
import { checkDenseSize, memoryLimitOf, tooLarge, type ReaderOptions } from "./limits.js";
import { looksLikeOnnx, readOnnxModel } from "./onnx.js";
import { parseTfjsModelFiles } from "./tfjs.js";

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

/** A file given in memory: its name (without folders) and bytes. */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

/**
 * Reads a network from files in memory (dropped into a web page), as `readNetworkFile` reads one
 * from disk: an `.onnx` file (or bytes that look like an ONNX protobuf), the project's network
 * JSON, or a TF.js layers model (a `.json` file with `"modelTopology"`, whose weight shards are the
 * other files, looked up by name). With several files, the one to read is the `.onnx` file or the
 * JSON file; the others may only be TF.js weight shards.
 * @param files the files; the main one's name starts error messages
 * @param options the memory limit (default 2 GiB) and `channelsFirstImages`
 * @throws FileFormatError for an empty or malformed file, with the messages of `readNetworkFile`
 */
export async function parseNetworkBytes(
  files: readonly NamedBytes[],
  options?: ReaderOptions,
): Promise<Network> {
  const limit = memoryLimitOf("parseNetworkBytes", options);
  const opts = { ...options, memoryLimitBytes: limit };
  const mains = files.filter(
    (f) => [".onnx", ".json"].includes(extensionOf(f.name)) || looksLikeOnnx(f.bytes),
  );
  if (files.length === 0) throw new FileFormatError("(no file)", "expected a network file");
  const main = files.length === 1 ? files[0] : mains.length === 1 ? mains[0] : undefined;
  if (main === undefined)
    throw new FileFormatError(
      files.map((f) => f.name).join(", "),
      mains.length === 0
        ? "none of these files is an .onnx or .json model"
        : "give one model (an .onnx or .json file, with the weight shards of a TF.js model.json)",
    );
  const { name, bytes } = main;
  if (bytes.length > limit) tooLarge(name, `the file is ${formatBytes(bytes.length)}`, bytes.length, limit);
  if (extensionOf(name) === ".onnx" || looksLikeOnnx(bytes)) {
    if (bytes.length === 0) throw new FileFormatError(name, "the file is empty, expected an ONNX model");
    return readOnnxModel(bytes, name, opts);
  }
  const text = decodeUtf8(bytes, name);
  if (text === undefined) throw new FileFormatError(name, "is not valid UTF-8 text");
  if (text.trim() === "")
    throw new FileFormatError(name, "the file is empty, expected a network JSON object");
  if (/^\s*\{[\s\S]*"modelTopology"\s*:/.test(text.slice(0, 1 << 20))) {
    const shards = new Map(files.filter((f) => f !== main).map((f) => [f.name, f.bytes] as const));
    return parseTfjsModelFiles(bytes, shards, name, opts);
  }
  return parseNetworkJson(text, name, opts);
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
