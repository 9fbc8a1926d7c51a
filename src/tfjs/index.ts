/**
 * TensorFlow.js training on the CPU under Node (`injective-relu/tfjs`): the wasm training backend
 * with the kernels it lacks, the data-parallel trainer, and the DCGAN networks of the
 * injective-GAN experiment. See docs/tfjs.md.
 */

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
