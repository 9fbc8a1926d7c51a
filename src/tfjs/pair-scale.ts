/**
 * The positive scale of a pair in the injective layers (Corollary 2's D, the paper's s²), from its
 * free parameter ρ, exactly as TensorFlow.js computes it in float32. Shared by the layers
 * (./common.ts) and the reader (src/io/tfjs-injective.ts), which rebuilds the exact pairs from the
 * saved ρ. No TensorFlow.js import: the reader must not load it.
 */

/** How a layer maps its free parameter ρ to the positive pair scale. */
export type ScaleParameterization = "softplus" | "exp";

/**
 * The float32 value that tfjs's `cpu` backend computes for softplus(ρ) or exp(ρ) of a float32 ρ:
 * the formula of tfjs-backend-cpu's Softplus kernel (ρ itself above −log(ε) − 2, exp(ρ) below
 * log(ε) + 2, log(1 + exp(ρ)) between, with ε = 2^-23), evaluated in double precision and rounded
 * to float32.
 * @param rho the saved free parameter (a float32 value)
 * @param parameterization `softplus` or `exp`
 * @returns the scale, a float32 value (positive unless it underflows to 0)
 */
export function pairScale(rho: number, parameterization: ScaleParameterization): number {
  if (parameterization === "exp") return Math.fround(Math.exp(rho));
  const threshold = Math.log(1.1920928955078125e-7) + 2;
  const e = Math.exp(rho);
  const v = rho < threshold ? e : rho > -threshold ? rho : Math.log(1 + e);
  return Math.fround(v);
}
