/**
 * injective-relu: verify, construct and invert globally injective ReLU layers and networks.
 * The library entry point re-exports the core (pure math) and the file formats.
 */

export * from "./core/index.js";
export {
  readLayerFile,
  parseLayerJson,
  layerFromNpy,
  listLayerFiles,
  type LayerFile,
} from "./io/layer-file.js";
export { parseNpy, writeNpy } from "./io/npy.js";
export { FileFormatError } from "./io/errors.js";
