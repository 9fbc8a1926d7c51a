/**
 * Reading TF.js layers models from disk: {@link tfjsModelJsonPath} recognizes a model (a folder
 * holding `model.json`, or such a file) and {@link readTfjsLayersModel} reads `model.json` and its
 * shards, confined to the model's folder (src/io/safe-file.ts), then parses them with
 * src/io/tfjs.ts.
 */

import { stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Network } from "../model/network.js";
import { loadTfjsLayersModel } from "./tfjs.js";
import { memoryLimitOf, readFileInFolder, readInputFile, type ReaderOptions } from "./safe-file.js";

/**
 * If `path` names a TF.js layers model, the path of its `model.json`: a directory holding a
 * `model.json`, or a `.json` file with a top-level `"modelTopology"` key (in its first megabyte).
 * Otherwise null (also for a path that cannot be read or is not a regular file; the caller reports
 * that). Only regular files are opened, non-blocking, and at most 1 MB is read.
 */
export async function tfjsModelJsonPath(path: string): Promise<string | null> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) {
      const inner = join(path, "model.json");
      return (await stat(inner)).isFile() ? inner : null;
    }
    if (!/\.json$/i.test(path) || !st.isFile()) return null;
    const head = await readInputFile(path, { expected: "a file", limit: Infinity, prefix: 1 << 20 });
    const text = new TextDecoder().decode(head).replace(/^\uFEFF/, "");
    return /^\s*\{[\s\S]*"modelTopology"\s*:/.test(text) ? path : null;
  } catch {
    return null;
  }
}

/**
 * Reads a TF.js layers model: `model.json` and the shards its `weightsManifest` names.
 *
 * Shard paths are confined to the folder of `model.json` (src/io/safe-file.ts): relative paths
 * only, resolved after symbolic links, never leaving the folder; each shard must be a regular file.
 * The manifest is validated before any shard is opened, and the reads are bounded by the bytes it
 * declares: a group's shards may not hold more than its weights need (a larger shard is refused
 * before it is read) nor less. See {@link parseTfjsLayersModel} for the model itself.
 * @param modelJsonPath the `model.json` file; it is also the name error messages start with
 * @param options the memory limit (default 2 GiB)
 * @throws FileFormatError for an unreadable, special, too large or corrupt model.json, a shard path
 *   that leaves the folder, a missing, special, short or long shard, or an unsupported model
 */
export async function readTfjsLayersModel(modelJsonPath: string, options?: ReaderOptions): Promise<Network> {
  const limit = memoryLimitOf("readTfjsLayersModel", options);
  const raw = await readInputFile(modelJsonPath, { expected: "a TF.js model.json file", limit });
  const folder = dirname(modelJsonPath);
  return loadTfjsLayersModel(
    raw,
    modelJsonPath,
    (p, shard) => readFileInFolder(folder, p, { source: modelJsonPath, what: "the weight shard", ...shard }),
    options,
  );
}
