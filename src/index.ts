/**
 * injective-relu: verify, construct and invert globally injective ReLU networks.
 * The Node entry point: the core (pure math, also `injective-relu/core` for the browser), the
 * network model, the constructions, the network check, the inversion, the experiments and the file
 * formats (which use `node:fs`). TensorFlow.js layers are in `injective-relu/tfjs`.
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
  normalizeNetwork,
  forwardNetwork,
  applyLayer,
  preActivation,
  transposeApply,
  networkDims,
  outputDim,
  layerMatrix,
  layerInputDim,
  layerOutputDim,
  layerDomain,
  convLayer,
  batchNormLayer,
  reshapeLayer,
  activationLayer,
  ACTIVATIONS,
  PRECISIONS,
  NETWORK_FORMAT,
  type Network,
  type DenseLayerSpec,
  type Activation,
  type Precision,
  type ConvParams,
  type BatchNormParams,
  type ReshapeInfo,
} from "./model/network.js";
export { convForward } from "./model/conv-layer.js";
export {
  checkNetwork,
  corollary3Pattern,
  type CheckNetworkOptions,
  type NetworkCheckResult,
  type NetworkLayerReport,
  type NetworkWitness,
  type Corollary3Check,
} from "./network/check-network.js";
export { snapNetwork, type SnapNetworkResult, type SnappedLayer } from "./network/snap-network.js";
export {
  searchCollisions,
  type CollisionSearchOptions,
  type CollisionSearchResult,
} from "./network/collision-search.js";
export {
  invertLayer,
  type InvertibleLayer,
  type InvertLayerOptions,
  type LayerInverse,
} from "./invert/invert-layer.js";
export {
  invertNetwork,
  type InvertNetworkOptions,
  type NetworkInverse,
  type NetworkLayerInverse,
} from "./invert/invert-network.js";
export {
  invertLayerRobust,
  invertNetworkRobust,
  relativeError,
  type RobustLayerOptions,
  type RobustLayerInverse,
  type RobustNetworkOptions,
  type RobustNetworkInverse,
} from "./invert/robust-layer.js";
export {
  invertGenerator,
  invertGeneratorAsync,
  type InvertGeneratorOptions,
  type GeneratorInverse,
  type GeneratorStatus,
  type PatternCertificate,
} from "./invert/invert-generator.js";
export { invertGeneratorBatch, type BatchOptions, type BatchItem } from "./invert/invert-batch.js";
export { LayerWorkerPool, layerWorkerPool } from "./parallel/layer-pool.js";
export {
  gradientInversion,
  type GradientInversionOptions,
  type GradientInversionResult,
} from "./invert/gradient-inversion.js";
export { forwardErrorBound, type ForwardBound } from "./invert/precision.js";
export {
  denseGenerator,
  convGenerator,
  type DenseGeneratorOptions,
  type ConvGeneratorOptions,
} from "./invert/synthetic-generators.js";
export {
  compressedSensingExperiment,
  stackedDenseGenerator,
  type CompressedSensingOptions,
  type CompressedSensingResult,
  type CompressedSensingRow,
  type CompressedSensingTrial,
} from "./experiments/compressed-sensing.js";
export {
  pointwiseExact,
  pointwiseMonteCarlo,
  pointwiseCurve,
  type PointwiseMonteCarlo,
  type PointwiseCurveOptions,
} from "./experiments/pointwise.js";
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
export { readOnnxModel, looksLikeOnnx, SUPPORTED_ONNX_OPERATORS } from "./io/onnx.js";
export { parseTfjsLayersModel, SUPPORTED_TFJS_LAYERS } from "./io/tfjs.js";
export { readTfjsLayersModel } from "./io/tfjs-file.js";
export { readSafetensorsModel, parseSafetensors, parseSafetensorsLayers } from "./io/safetensors.js";
export { readNetworkFile, parseNetworkJson, writeNetworkFile, stringifyNetwork } from "./io/network-file.js";
export { parseLayerBytes } from "./io/layer-parse.js";
export { parseNetworkBytes } from "./io/network-parse.js";
export { phasePlotSpec } from "./experiments/phase-plot-spec.js";
export { parseNpy, writeNpy } from "./io/npy.js";
export { FileFormatError, FileTooLargeError } from "./io/errors.js";
export type { ReaderOptions } from "./io/safe-file.js";
