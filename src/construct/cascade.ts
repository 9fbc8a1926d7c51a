/**
 * Deep injective networks without exponential width: the paper's Corollary 3 (Figure 5).
 *
 * With d_0 = n, d_{2k} = m ≥ 2n + 1 and d_j ≥ 2n + 1 for even j ≥ 2, the network
 *
 *     F_k = B_k ∘ f_k ∘ B_{k−1} ∘ f_{k−1} ∘ … ∘ B_1 ∘ f_1
 *
 * with injective f_j : R^{d_{2j−2}} → R^{d_{2j−1}} and random matrices B_j : R^{d_{2j−1}} → R^{d_{2j}}
 * whose joint law has a density is injective **almost surely**. Here each f_j is one Corollary 2
 * layer ReLU([B; −DB; M]·) (so d_{2j−1} ≥ 2 d_{2j−2}), injective on all of its input space, and each
 * B_j is an iid Gaussian linear layer (no activation). The projections B_j usually *reduce* the
 * dimension, so they are not injective as maps on their whole input space: injectivity of F_k is
 * not a layerwise property (Corollary 1 does not apply). It comes from the generic-projection
 * argument behind Theorem 5: the image of the previous layers is a piecewise-linear n-dimensional
 * set, and a generic linear map to dimension ≥ 2n + 1 is injective on it.
 *
 * Entries are scaled by 1/√fan-in so that norms stay of order one through the depth.
 */

import { Rng } from "../core/random.js";
import { assertRange, assertType, validateChoice } from "../core/validate.js";
import type { Network } from "../model/network.js";
import { gaussianMatrix, validateSeed, validateSize } from "./common.js";
import { constructDense, type DenseMeta } from "./dense.js";

/** Options of {@link constructCascade}. */
export interface CascadeOptions {
  /** @default 1 */
  seed?: number;
  /** Number k of (expansion, projection) pairs. @default widths.length, or 2 */
  depth?: number;
  /**
   * Expansion widths d_1, d_3, …, d_{2k−1} (length k); each must be ≥ 2 × its input dimension
   * (Corollary 2). @default twice the input dimension of each expansion
   */
  widths?: number[];
  /**
   * Intermediate projection dimensions d_2, d_4, …, d_{2k−2} (length k − 1); each ≥ 2n + 1
   * (Corollary 3). The last projection goes to m. @default m each
   */
  projections?: number[];
  /** Bias of the expansion layers (see `DenseBiasOption`; both keep them injective). @default "none" */
  bias?: "none" | "nonneg";
  /** Basis of the expansion layers. @default "gaussian" */
  basis?: "gaussian" | "orthogonal";
}

/** One layer of the cascade, for reports. */
export type CascadeLayerInfo =
  | { role: "expansion"; inDim: number; outDim: number; dense: DenseMeta }
  | { role: "projection"; inDim: number; outDim: number };

/** A Corollary 3 network and its dimensions. */
export interface CascadeConstruction {
  /** Layers: expansion (ReLU), projection (linear), … ; 2k layers. */
  network: Network;
  meta: {
    /** d_0 = n, d_1, …, d_{2k} = m. */
    dims: number[];
    depth: number;
    seed: number;
    layers: CascadeLayerInfo[];
    /** The dimension conditions that were checked, in words. */
    checks: string[];
  };
}

const FN = "constructCascade()";

function validateList(name: string, v: unknown): number[] {
  assertType(Array.isArray(v), () => `${FN}: ${name} must be an array of positive integers`);
  v.forEach((x, i) => validateSize(FN, `${name}[${i}]`, x));
  return v as number[];
}

/**
 * Builds a Corollary 3 cascade R^n → R^m: k Corollary 2 expansion layers (ReLU), each followed by a
 * random Gaussian linear projection. Injective almost surely (Corollary 3), not layerwise.
 *
 * @param n input dimension, ≥ 1
 * @param m output dimension, ≥ 2n + 1
 * @returns the network (2k dense layers) and its dimensions d_0, …, d_{2k}
 * @throws InputRangeError when m < 2n + 1, a projection dimension is < 2n + 1, an expansion width is
 *   < 2 × its input dimension, the list lengths disagree with the depth, or sizes are not positive integers
 *
 * @example
 * const { network } = constructCascade(3, 7, { depth: 2, seed: 1 }); // 3 → 6 → 7 → 14 → 7
 */
export function constructCascade(n: number, m: number, options: CascadeOptions = {}): CascadeConstruction {
  validateSize(FN, "n", n);
  validateSize(FN, "m", m);
  assertType(typeof options === "object" && options !== null, () => `${FN}: options must be an object`);
  const seed = validateSeed(FN, options.seed ?? 1);
  const bias = validateChoice(FN, "options.bias", options.bias ?? "none", ["none", "nonneg"] as const);
  const basis = validateChoice(FN, "options.basis", options.basis ?? "gaussian", [
    "gaussian",
    "orthogonal",
  ] as const);
  const widthsGiven =
    options.widths === undefined ? undefined : validateList("options.widths", options.widths);
  const projGiven =
    options.projections === undefined ? undefined : validateList("options.projections", options.projections);
  const depth = validateSize(
    FN,
    "options.depth",
    options.depth ?? widthsGiven?.length ?? (projGiven ? projGiven.length + 1 : 2),
  );
  assertRange(
    m >= 2 * n + 1,
    () =>
      `${FN}: m = ${m} outputs is fewer than 2n + 1 = ${2 * n + 1} for n = ${n} inputs; Corollary 3 needs d_2k = m >= 2n + 1`,
  );
  assertRange(
    widthsGiven === undefined || widthsGiven.length === depth,
    () =>
      `${FN}: options.widths has ${widthsGiven!.length} entries but the depth is ${depth} (one width per expansion layer)`,
  );
  assertRange(
    projGiven === undefined || projGiven.length === depth - 1,
    () =>
      `${FN}: options.projections has ${projGiven!.length} entries but the depth ${depth} needs ${depth - 1} (the dimensions d_2, …, d_${2 * depth - 2}; the last projection goes to m)`,
  );
  const projections = [...(projGiven ?? new Array<number>(depth - 1).fill(m)), m];
  projections.forEach((d, j) =>
    assertRange(
      d >= 2 * n + 1,
      () =>
        `${FN}: options.projections[${j}] = ${d} is below 2n + 1 = ${2 * n + 1}; Corollary 3 needs every projection dimension d_${2 * j + 2} >= 2n + 1`,
    ),
  );

  const rng = new Rng(seed);
  const dims = [n];
  const layers: Network["layers"] = [];
  const info: CascadeLayerInfo[] = [];
  const checks = [`m = ${m} >= 2n + 1 = ${2 * n + 1} (Corollary 3)`];
  let inDim = n;
  for (let j = 0; j < depth; j++) {
    const width = widthsGiven?.[j] ?? 2 * inDim;
    assertRange(
      width >= 2 * inDim,
      () =>
        `${FN}: options.widths[${j}] = ${width} is below 2 × ${inDim} = ${2 * inDim}, the input dimension of expansion layer ${j + 1}; Corollary 2: a ReLU layer with fewer than twice as many outputs as inputs is never injective`,
    );
    checks.push(`expansion ${j + 1}: d_${2 * j + 1} = ${width} >= 2·d_${2 * j} = ${2 * inDim} (Corollary 2)`);
    // Each layer gets its own seed from the cascade's generator, so layers are independent draws.
    const layerSeed = Math.floor(rng.uniform() * 2 ** 31);
    const dense = constructDense(inDim, width, {
      seed: layerSeed,
      basis,
      bias,
      scale: 1 / Math.sqrt(inDim),
      biasScale: 0.1,
    });
    layers.push({ type: "dense", W: dense.W, ...(dense.b ? { b: dense.b } : {}), activation: "relu" });
    info.push({ role: "expansion", inDim, outDim: width, dense: dense.meta });
    dims.push(width);
    const out = projections[j];
    if (j < depth - 1)
      checks.push(`projection ${j + 1}: d_${2 * j + 2} = ${out} >= 2n + 1 = ${2 * n + 1} (Corollary 3)`);
    layers.push({
      type: "dense",
      W: gaussianMatrix(rng, out, width, 1 / Math.sqrt(width)),
      activation: "linear",
    });
    info.push({ role: "projection", inDim: width, outDim: out });
    dims.push(out);
    inDim = out;
  }
  return {
    network: { format: "injective-relu/network", version: 1, inputDim: n, layers },
    meta: { dims, depth, seed, layers: info, checks },
  };
}
