/**
 * Random layers with iid Gaussian weights, the setting of the paper's Theorem 2 (injectivity for
 * Gaussian weights): with c = m/n fixed and n → ∞, P{x ↦ ReLU(Wx) injective} → 1 when c ≳ 10.5 and
 * → 0 when c ≲ 3.4. Injectivity of such a layer is therefore only *probable*, never guaranteed, and
 * for small n the probabilities are far from these limits: check each layer with `checkLayer`
 * (the CLI does, and prints the exact verdict). docs/phase.md records
 * the later numbers: a proved upper bound 7.6477 on the threshold (Maillard, Bandeira, Belius,
 * Dokmanić, Nakajima 2023) and a predicted sharp threshold ≈ 6.7 (1RSB 6.7157, full RSB ≈ 6.698;
 * Stojnic 2024).
 */

import { Rng } from "../core/random.js";
import { assertType, validatePositive } from "../core/validate.js";
import { gaussianMatrix, validateSeed, validateSize } from "./common.js";

/** Where a ratio c = m/n falls among the known results (no bias, iid N(0, 1) entries). */
export interface GaussianRegime {
  /** c = m / n. */
  ratio: number;
  /**
   * - `never`: c < 2, no W is injective (Corollary 2);
   * - `unlikely`: c ≤ 3.4, probability → 0 as n → ∞ (Theorem 2);
   * - `below-threshold`: 3.4 < c < 6.7, Theorem 2 is silent; predicted → 0 (Maillard et al. 2023; docs/phase.md);
   * - `above-threshold`: 6.7 ≤ c ≤ 7.6477, predicted → 1, not proved;
   * - `likely`: c > 7.6477, probability → 1 (proved: Maillard et al. 2023 for c > 7.6477, the paper's Theorem 2 for c > 10.5).
   */
  kind: "never" | "unlikely" | "below-threshold" | "above-threshold" | "likely";
  /** One sentence saying what is known. */
  summary: string;
}

/** The predicted sharp threshold of the ratio m/n (Maillard et al. 2023, 1RSB/full RSB ≈ 6.7; docs/phase.md). */
export const PREDICTED_THRESHOLD = 6.7;

/**
 * What is known about the injectivity of an m×n Gaussian layer (asymptotically in n).
 * @param n inputs, m outputs (positive integers)
 */
export function gaussianRegime(n: number, m: number): GaussianRegime {
  const fn = "gaussianRegime()";
  validateSize(fn, "n", n);
  validateSize(fn, "m", m);
  const ratio = m / n;
  const c = `m/n = ${Number(ratio.toPrecision(4))}`;
  const finite = `; for n = ${n} the probability is between these limits, so the exact check decides`;
  if (ratio < 2) {
    return {
      ratio,
      kind: "never",
      summary: `${c} < 2: never injective, for any W (Corollary 2)`,
    };
  }
  if (ratio <= 3.4) {
    return {
      ratio,
      kind: "unlikely",
      summary: `${c} <= 3.4: P(injective) → 0 as n → ∞ (Theorem 2)${finite}`,
    };
  }
  if (ratio < PREDICTED_THRESHOLD) {
    return {
      ratio,
      kind: "below-threshold",
      summary: `${c} is between Theorem 2's bounds 3.4 and 10.5 and below the predicted sharp threshold ≈ 6.7 (Maillard et al. 2023; docs/phase.md): P(injective) is predicted to → 0 as n → ∞${finite}`,
    };
  }
  if (ratio <= 7.6477) {
    return {
      ratio,
      kind: "above-threshold",
      summary: `${c} is above the predicted sharp threshold ≈ 6.7 but below the proved bound 7.6477 (Maillard et al. 2023; docs/phase.md): P(injective) is predicted, not proved, to → 1 as n → ∞${finite}`,
    };
  }
  return {
    ratio,
    kind: "likely",
    summary: `${c} > ${ratio > 10.5 ? "10.5: P(injective) → 1 as n → ∞ (Theorem 2)" : "7.6477: P(injective) → 1 as n → ∞ (Maillard et al. 2023; Theorem 2 alone needs > 10.5)"}${finite}`,
  };
}

/** Options of {@link constructGaussian}. */
export interface GaussianOptions {
  /** @default 1 */
  seed?: number;
  /** Standard deviation of the entries (injectivity does not depend on it). @default 1 */
  scale?: number;
}

/** An iid Gaussian layer and what is known about it. */
export interface GaussianConstruction {
  /** Shape (m, n), entries iid N(0, scale²), no bias. */
  W: number[][];
  meta: { seed: number; scale: number; regime: GaussianRegime };
}

/**
 * Draws an m×n layer with iid N(0, scale²) entries and no bias (Theorem 2's model). Its injectivity is
 * only probable: decide it with `checkLayer(W)`.
 *
 * @param n inputs (columns), m outputs (rows): positive integers (m < 2n is allowed; it is never injective)
 * @returns W of shape (m, n) and the regime of m/n
 * @throws InputRangeError for non-positive or non-integer sizes
 */
export function constructGaussian(n: number, m: number, options: GaussianOptions = {}): GaussianConstruction {
  const fn = "constructGaussian()";
  validateSize(fn, "n", n);
  validateSize(fn, "m", m);
  assertType(typeof options === "object" && options !== null, () => `${fn}: options must be an object`);
  const seed = validateSeed(fn, options.seed ?? 1);
  const scale = validatePositive(fn, "options.scale", options.scale ?? 1);
  const W = gaussianMatrix(new Rng(seed), m, n, scale);
  return { W, meta: { seed, scale, regime: gaussianRegime(n, m) } };
}
