/**
 * The exact expansion of the injective TensorFlow.js layers (src/tfjs) for the model reader
 * (./tfjs.ts), with no dependency on TensorFlow.js.
 *
 * The layers save their free parameters, not their effective weights: `InjectiveDense` saves B
 * (`basis`), ρ (`scale_param`, d = softplus(ρ) or exp(ρ)), β (`bias`) and the extra rows;
 * `InjectiveConv2d(Transpose)` saves C (`kernel`), ρ and β. The reader rebuilds d in float32 exactly
 * as tfjs's `cpu` backend computes it ({@link pairScale}) and then the second row of every pair,
 * −d·B (Corollary 2) or −s²·C (the paper's DCGAN pairs), as the exact product in float64: a float32
 * times a float32 has at most 48 significant bits and, when nonzero, a magnitude of at least 2^-298,
 * so the product is always exact. The imported layer is therefore exactly [B; −DB; M] (or
 * [C; −s²C]) and the exact checker proves it injective by its structure. tfjs itself evaluates the same layer in float32, so
 * its outputs differ from the imported network's by float32 rounding (about 1e-7 relative).
 */

export { pairScale, type ScaleParameterization } from "../tfjs/pair-scale.js";

/** −d·v in float64 (exact for float32 d and v, see the module comment); −0 becomes 0. */
export function negScaled(d: number, v: number): number {
  return v === 0 ? 0 : -d * v;
}

/** The layer classes of src/tfjs, as they appear in a model.json. */
export const INJECTIVE_TFJS_LAYERS = [
  "InjectiveDense",
  "InjectiveConv2d",
  "InjectiveConv2dTranspose",
] as const;
