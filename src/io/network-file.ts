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
 * with the file name. The parsing (no file access) is in src/io/network-parse.ts, re-exported here.
 */

import { readFile, stat, writeFile } from "node:fs/promises";
import type { Network } from "../model/network.js";
import { describeFsError, FileFormatError } from "./errors.js";
import { decodeUtf8 } from "./layer-parse.js";
import { parseNetworkJson, stringifyNetwork } from "./network-parse.js";
import { looksLikeOnnx, readOnnxModel } from "./onnx.js";
import { memoryLimitOf, readInputFile, type ReaderOptions } from "./safe-file.js";
import { readSafetensorsModel } from "./safetensors.js";
import { readTfjsLayersModel, tfjsModelJsonPath } from "./tfjs-file.js";

export { formatJson, parseNetworkBytes, parseNetworkJson, stringifyNetwork } from "./network-parse.js";

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

/**
 * True for files that hold a whole network: `.onnx`, `.safetensors`, TF.js `model.json` (or a folder
 * holding one, as TF.js saves a model), or JSON with `layers`.
 */
export async function isNetworkFile(path: string): Promise<boolean> {
  const isDir = await stat(path).then(
    (st) => st.isDirectory(),
    () => false,
  );
  if (isDir && (await tfjsModelJsonPath(path)) !== null) return true;
  const lower = path.toLowerCase();
  if (lower.endsWith(".onnx") || lower.endsWith(".safetensors")) return true;
  if (!lower.endsWith(".json")) return false;
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > 64 * 1024 * 1024) return false;
    const obj = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    return (
      typeof obj === "object" && obj !== null && !("W" in obj) && ("layers" in obj || "modelTopology" in obj)
    );
  } catch {
    return false; // the layer reader reports unreadable or invalid files with a proper message
  }
}
