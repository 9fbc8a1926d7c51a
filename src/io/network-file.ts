/**
 * Reading and writing networks (src/network/network.ts) as JSON:
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

import { readFile, stat, writeFile } from "node:fs/promises";
import { InputRangeError, InputTypeError } from "../core/validate.js";
import { layerFileForm, normalizeNetwork, validateNetwork, type Network } from "../network/network.js";
import { describeFsError, FileFormatError } from "./errors.js";
import { looksLikeOnnx, readOnnxModel } from "./onnx.js";
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
 * Parses a network from JSON text and validates it (shapes chain, finite numbers, known layer types
 * and activations). The result holds only the {@link Network} fields; other keys are dropped.
 *
 * @param text the file contents
 * @param source the file name, put at the start of error messages
 * @throws FileFormatError for invalid JSON, a missing or wrong format tag, an unsupported version,
 *   or a malformed layer (the message names the layer: `layers[1].W has 5 columns, but …`)
 */
export function parseNetworkJson(text: string, source: string): Network {
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
    })),
  };
}

/**
 * Reads and validates a network file: JSON (see {@link parseNetworkJson}) or, for a name ending in
 * `.onnx` or bytes that look like an ONNX protobuf, an ONNX model (`readOnnxModel`). A `.safetensors`
 * file (with its `.layers.json` beside it) is read by `readSafetensorsModel`, and a TF.js layers
 * model (a directory holding `model.json`, or a `.json` file with `"modelTopology"`) by
 * `readTfjsLayersModel`.
 * @param path the file; it is also the name error messages start with
 * @throws FileFormatError for a missing, unreadable, empty or malformed file, or a directory
 */
export async function readNetworkFile(path: string): Promise<Network> {
  if (/\.safetensors$/i.test(path)) return readSafetensorsModel(path);
  const tfjsModelJson = await tfjsModelJsonPath(path);
  if (tfjsModelJson !== null) return readTfjsLayersModel(tfjsModelJson);
  let bytes: Buffer;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new FileFormatError(path, "is a directory, expected a network .json file");
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof FileFormatError) throw e;
    throw new FileFormatError(path, `cannot read file (${describeFsError(e)})`);
  }
  if (/\.onnx$/i.test(path) || looksLikeOnnx(bytes)) {
    if (bytes.length === 0) throw new FileFormatError(path, "the file is empty, expected an ONNX model");
    return readOnnxModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
  }
  const text = bytes.toString("utf8");
  if (text.trim() === "")
    throw new FileFormatError(path, "the file is empty, expected a network JSON object");
  return parseNetworkJson(text.replace(/^\uFEFF/, ""), path);
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
  const { format, version, inputDim } = net;
  const layers = net.layers.map(layerFileForm);
  return formatJson({ format, version, inputDim, layers, ...extra }) + "\n";
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
