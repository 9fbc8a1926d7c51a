/**
 * The playground's one door into the library. The math comes from the browser-safe entry point
 * `injective-relu/core` (aliased to src/core/index.ts in vite.config.ts); the few other modules
 * used here are pure too (no Node built-ins: the build refuses them, see no-node-builtins.ts):
 * the constructions, the readers that parse bytes, the network check, the phase plot's spec and
 * the CLI's words for verdicts.
 */

export {
  checkLayer,
  forwardLayer,
  inverseLipschitz,
  isInputError,
  type Domain,
  type InverseLipschitzResult,
  type LayerCheckResult,
  type Progress,
  type Witness,
} from "injective-relu/core";
export { constructDense } from "../../src/construct/dense.js";
export { constructGaussian } from "../../src/construct/gaussian.js";
export { parseLayerBytes } from "../../src/io/layer-parse.js";
export { parseNetworkBytes, type NamedBytes } from "../../src/io/network-parse.js";
export { checkNetwork, type NetworkCheckResult } from "../../src/network/check-network.js";
export { phasePlotSpec, type PhasePlotData } from "../../src/experiments/phase-plot-spec.js";
export { fmtMs, fmtNum, fmtVec, fmtVerdict, NETWORK_RULE_LABELS } from "../../src/cli/format.js";
export { describeNetworkResult, describeResult } from "../../src/cli/report.js";
export type { LayerFile } from "../../src/io/layer-parse.js";
export { Rng } from "../../src/core/random.js";
export { forwardNetwork, outputDim } from "../../src/model/network.js";
export { invertGenerator, type GeneratorInverse } from "../../src/invert/invert-generator.js";
