/**
 * TensorFlow.js for injective networks (`injective-relu/tfjs`), after Puthawala et al., *Globally
 * Injective ReLU Networks*:
 *
 * - injective layers: {@link InjectiveDense} (Corollary 2, W = [B; −DB; M]),
 *   {@link InjectiveConv2d} and {@link InjectiveConv2dTranspose} (filters in pairs [C; −s²C], the
 *   paper's injective DCGAN), registered for serialization (importing this module registers them,
 *   so `tf.loadLayersModel` reads models that use them), and file IOHandlers for Node
 *   ({@link fileSaveHandler}, {@link fileLoadHandler});
 * - training on the CPU under Node: the wasm training backend with the kernels it lacks
 *   ({@link setupTrainingBackend}), the data-parallel trainer, and the DCGAN networks of the
 *   injective-GAN experiment.
 *
 * Needs `@tensorflow/tfjs`. See docs/tfjs.md.
 */

export {
  INITIALIZER_NAMES,
  pairScale,
  type InitializerName,
  type InjectiveActivation,
  type ScaleParameterization,
} from "./common.js";
export { InjectiveDense, softplusInverse, type InjectiveDenseArgs } from "./injective-dense.js";
export {
  InjectiveConv2d,
  InjectiveConv2dTranspose,
  convOutputLength,
  type InjectiveConvArgs,
} from "./injective-conv.js";
export { fileLoadHandler, fileSaveHandler, WEIGHTS_FILE } from "./file-io.js";
export {
  defaultWasmDir,
  setupTrainingBackend,
  type TrainingBackendInfo,
  type TrainingBackendOptions,
} from "./backend.js";
export { MISSING_KERNELS, REPLACED_KERNELS, registerTrainingKernels, stockKernel } from "./kernels/index.js";
export { DataParallelTrainer, type DataParallelOptions, type TrainingTask } from "./data-parallel.js";
export { buildDiscriminator, buildEncoder, buildGenerator, type DcganSizes } from "./dcgan.js";
export { adamStep, DCGAN_NETS, dcganBatch, dcganTask, type DcganNet, type DcganTask } from "./dcgan-steps.js";
export {
  buildGanDiscriminator,
  buildGanEncoder,
  buildGanGenerator,
  GENERATOR_TYPES,
  resolveGanSizes,
  type GanSizes,
  type GeneratorArch,
  type GeneratorType,
} from "./gan/models.js";
export {
  trainGan,
  readGanCheckpoint,
  CheckpointError,
  type GanData,
  type GanRunConfig,
  type TrainGanOptions,
  type TrainGanResult,
} from "./gan/train.js";
export {
  buildClassifier,
  classify,
  frechetDistance,
  inceptionScore,
  trainClassifier,
} from "./gan/metrics.js";
