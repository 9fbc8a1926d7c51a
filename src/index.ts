/**
 * injective-relu: verify, construct and invert globally injective ReLU networks.
 * The library entry point re-exports the core (pure math), the constructions, the network model
 * and the file formats.
 */

export * from "./core/index.js";
export {
  constructDense,
  type DenseOptions,
  type DenseConstruction,
  type DenseMeta,
} from "./construct/dense.js";
export {
  constructGaussian,
  gaussianRegime,
  type GaussianOptions,
  type GaussianConstruction,
} from "./construct/gaussian.js";
export { pairedConvSpec, analyzePairedConv, type PairedConvAnalysis } from "./construct/conv-pairs.js";
export { constructCascade, type CascadeOptions, type CascadeConstruction } from "./construct/cascade.js";
export {
  injectivize,
  approximationError,
  type InjectivizeOptions,
  type InjectivizeResult,
} from "./construct/injectivize.js";
export {
  validateNetwork,
  forwardNetwork,
  networkDims,
  outputDim,
  layerMatrix,
  layerInputDim,
  layerOutputDim,
  type Network,
  type DenseLayerSpec,
} from "./network/network.js";
export {
  searchCollisions,
  type CollisionSearchOptions,
  type CollisionSearchResult,
} from "./network/collision-search.js";
export {
  readLayerFile,
  parseLayerJson,
  layerFromNpy,
  listLayerFiles,
  type LayerFile,
} from "./io/layer-file.js";
export {
  fitGaussian,
  gaussianW2Squared,
  symmetricSqrt,
  w2ToStandardNormal,
  type GaussianFit,
} from "./experiments/gaussian-w2.js";
export { readOnnxModel } from "./io/onnx.js";
export { readNetworkFile, parseNetworkJson, writeNetworkFile, stringifyNetwork } from "./io/network-file.js";
export { parseNpy, writeNpy } from "./io/npy.js";
export { FileFormatError, FileTooLargeError } from "./io/errors.js";
export type { ReaderOptions } from "./io/safe-file.js";
