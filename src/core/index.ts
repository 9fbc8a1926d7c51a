/**
 * Public API of the core: pure math, no I/O, runs in Node and in the browser.
 */

export type {
  Certificate,
  CheckLayerOptions,
  CheckStats,
  Domain,
  Dual,
  LayerCheckResult,
  Method,
  Progress,
  Witness,
} from "./types.js";
export { checkLayer, checkLayerWithin, descentRestartsFor, limitedLayerResult } from "./check-layer.js";
export {
  verifyCertificate,
  verifyCertificateAsync,
  exactCoverAt,
  coverSteps,
  type VerifyCertificateAsyncOptions,
  type CertificateCheck,
  type VerifyCertificateOptions,
} from "./certificate.js";
export { gcdBigint } from "./exact.js";
export { dualHoldsByFilter } from "./dual-filter.js";
export {
  replayFlatProof,
  replayProofSubtree,
  splitFlatProof,
  proofLength,
  ReplayTables,
  replaySteps,
  REPLAY_CHUNK_TOKENS,
  type ReplayStepOptions,
  type ReplayRun,
  type ReplayCounts,
  encodeFlatProof,
  decodeFlatProof,
  type ReplayOptions,
  type FlatProof,
  type EncodedFlatProof,
  type ReplayResult,
  type ProofNode,
  type ProofSubtree,
} from "./flat-proof.js";
export { replayInChunks, coverInChunks, balancedBatches, type ReplayChunkOptions } from "./recheck-chunks.js";
export { runSteps, runStepsAsync, type Steps } from "./steps.js";
export { verifyWitness, type WitnessCheck } from "./witness.js";
export {
  LayerTaskCache,
  PARALLEL_MIN_N,
  runLayerTask,
  type LayerTask,
  type LayerTaskPool,
  type LayerTaskResult,
} from "./parallel-search.js";
export { forwardLayer } from "./layer.js";
export { snapLayer, type SnapResult, type SnappedRow } from "./snap.js";
export { DEFAULT_TOLERANCE, MAX_TOLERANCE, validateTolerance } from "./numerics.js";
export { InputRangeError, InputTypeError, isInputError } from "./validate.js";
export {
  Budget,
  ResourceLimitError,
  isResourceLimitError,
  DEFAULT_MEMORY_LIMIT_BYTES,
  formatBytes,
  type BudgetOptions,
  type LimitKind,
} from "./budget.js";

export {
  inverseLipschitz,
  corollary2LowerBound,
  structureLowerBound,
  empiricalRatio,
  type InverseLipschitzOptions,
  type InverseLipschitzResult,
} from "./lipschitz.js";
export {
  enumerateCells,
  CellEnumerator,
  ArrangementLimitError,
  type ArrangementCell,
  type ArrangementOptions,
  type ArrangementResult,
} from "./arrangement.js";
export {
  convSpec,
  convolve,
  convMatrix,
  convMatrixSize,
  convOutputShape,
  convInputShape,
  nestedKernels,
  BOUNDARIES,
  type ConvSpec,
  type Boundary,
  type NestedKernels,
  type ConvSpecOptions,
} from "./convolution.js";
export {
  checkConv,
  checkConvExact,
  boxMatrix,
  boxMatrixSize,
  THEOREM4_TRUSTED_BOUNDARIES,
  type CheckConvOptions,
  type ConvCheckResult,
  type BoxTry,
} from "./theorem4.js";
