/**
 * Reading one ReLU layer x -> ReLU(Wx + b) from disk: a JSON file `{"W": [[...]], "b": [...], ...}`
 * with optional metadata, or a `.npy` file holding W alone. {@link readLayerFile} picks the format
 * by extension (sniffing the content for other extensions) and parses the bytes with
 * src/io/layer-parse.ts (re-exported here), which reports every problem as a one-line
 * {@link FileFormatError} that starts with the file name. {@link listLayerFiles} lists the layer
 * files of a directory.
 */

import { readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { describeFsError, FileFormatError } from "./errors.js";
import { parseLayerBytes, type LayerFile } from "./layer-parse.js";
import { memoryLimitOf, readInputFile, type ReaderOptions } from "./safe-file.js";

export {
  decodeUtf8,
  extensionOf,
  jsonErrorOffset,
  layerFromNpy,
  parseLayerBytes,
  parseLayerJson,
  type LayerFile,
} from "./layer-parse.js";

const LAYER_EXTENSIONS = [".json", ".npy"];

/**
 * Reads a layer file. The format follows the extension: `.json` ({@link parseLayerJson}) or `.npy`
 * ({@link layerFromNpy}), case-insensitive. For any other extension the content decides: a file
 * starting with the `.npy` magic string is read as `.npy`, anything else as JSON.
 *
 * The file must be a regular file (a directory, device, FIFO or socket is refused without reading
 * from it) no larger than the memory limit.
 *
 * @param path the file; it is also the name error messages start with
 * @param options the memory limit (default 2 GiB)
 * @returns the layer, with `path` set
 * @throws FileFormatError for a missing, unreadable, special, too large or malformed file, or a
 *   directory
 */
export async function readLayerFile(path: string, options?: ReaderOptions): Promise<LayerFile> {
  const limit = memoryLimitOf("readLayerFile", options);
  const bytes = await readInputFile(path, { expected: "a .json or .npy file", limit });
  const layer = parseLayerBytes(bytes, path, { memoryLimitBytes: limit });
  return { ...layer, path };
}

/**
 * Lists layer files. For a directory: the `.json` and `.npy` files directly in it (extension
 * case-insensitive, symbolic links to files included, subdirectories not searched), sorted by name.
 * For a file: just that path.
 *
 * @param pathOrDir a layer file or a directory of layer files
 * @returns paths, each joined onto `pathOrDir` for a directory
 * @throws FileFormatError if the path cannot be read or the directory holds no layer file
 */
export async function listLayerFiles(pathOrDir: string): Promise<string[]> {
  let isDir: boolean;
  try {
    isDir = (await stat(pathOrDir)).isDirectory();
  } catch (e) {
    throw new FileFormatError(pathOrDir, `cannot read file (${describeFsError(e)})`);
  }
  if (!isDir) return [pathOrDir];

  let entries;
  try {
    entries = await readdir(pathOrDir, { withFileTypes: true });
  } catch (e) {
    throw new FileFormatError(pathOrDir, `cannot read directory (${describeFsError(e)})`);
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (!LAYER_EXTENSIONS.includes(extname(entry.name).toLowerCase())) continue;
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      isFile = await stat(join(pathOrDir, entry.name)).then(
        (st) => st.isFile(),
        () => false,
      );
    }
    if (isFile) names.push(entry.name);
  }
  if (names.length === 0) throw new FileFormatError(pathOrDir, "no .json or .npy files in this directory");
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => join(pathOrDir, name));
}
