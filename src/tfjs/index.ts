/**
 * Injective layers for TensorFlow.js (`injective-relu/tfjs`), after Puthawala et al., *Globally
 * Injective ReLU Networks*: {@link InjectiveDense} (Corollary 2, W = [B; −DB; M]),
 * {@link InjectiveConv2d} and {@link InjectiveConv2dTranspose} (filters in pairs [C; −s²C], the
 * paper's injective DCGAN), all registered for serialization, plus file IOHandlers for Node
 * ({@link fileSaveHandler}, {@link fileLoadHandler}). Importing this module registers the layers, so
 * `tf.loadLayersModel` can read models that use them. Needs the peer dependency `@tensorflow/tfjs`.
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
