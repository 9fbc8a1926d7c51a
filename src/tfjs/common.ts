/**
 * Shared pieces of the injective TensorFlow.js layers (./injective-dense.ts, ./injective-conv.ts):
 * the positive parameterization of the pair scales, the initializers a config may name, and the
 * exact float32 reproduction of the scales that the model reader (src/io/tfjs.ts) uses.
 *
 * The scales d > 0 of Corollary 2's `[B; −DB]` (and s² > 0 of the paper's DCGAN pairs
 * `[C; −s²C]`) are not trained directly: the layer trains a free vector ρ and uses d = softplus(ρ)
 * (default) or d = exp(ρ), which is positive for every ρ, so no optimizer step can break the
 * structure.
 */

import * as tf from "@tensorflow/tfjs";
import type { ScaleParameterization } from "./pair-scale.js";

export { pairScale, type ScaleParameterization } from "./pair-scale.js";

/** The activation of an injective layer: the built-in ReLU, or none (apply ReLU yourself). */
export type InjectiveActivation = "relu" | "linear";

/** The initializers a config may name (serialized by name, with `seed`). */
export const INITIALIZER_NAMES = [
  "glorotUniform",
  "glorotNormal",
  "heUniform",
  "heNormal",
  "leCunUniform",
  "leCunNormal",
  "orthogonal",
] as const;

/** A tfjs initializer (the type `tf.initializers.*()` returns). */
export type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** The name of an initializer of {@link INITIALIZER_NAMES}. */
export type InitializerName = (typeof INITIALIZER_NAMES)[number];

/** The constructor arguments every tfjs layer takes (`name`, `inputShape`, `trainable`, …). */
export type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** The free parameter ρ with pair scale 1: log(e − 1) for softplus, 0 for exp. */
export function unitScaleParameter(parameterization: ScaleParameterization): number {
  return parameterization === "exp" ? 0 : Math.log(Math.E - 1);
}

/** The positive scales of the free vector ρ as a tensor (differentiable). */
export function scalesOf(rho: tf.Tensor, parameterization: ScaleParameterization): tf.Tensor {
  return parameterization === "exp" ? tf.exp(rho) : tf.softplus(rho);
}

/** The initializer named `name`, seeded. */
export function initializerOf(name: InitializerName, seed: number | undefined): Initializer {
  const args = seed === undefined ? {} : { seed };
  switch (name) {
    case "glorotUniform":
      return tf.initializers.glorotUniform(args);
    case "glorotNormal":
      return tf.initializers.glorotNormal(args);
    case "heUniform":
      return tf.initializers.heUniform(args);
    case "heNormal":
      return tf.initializers.heNormal(args);
    case "leCunUniform":
      return tf.initializers.leCunUniform(args);
    case "leCunNormal":
      return tf.initializers.leCunNormal(args);
    case "orthogonal":
      return tf.initializers.orthogonal(args);
  }
}

/** Throws a config error naming the layer class. */
export function configError(cls: string, message: string): never {
  throw new Error(`${cls}: ${message}`);
}

/** Validates the common options: activation, scale parameterization, initializer name, seed. */
export function validateCommon(
  cls: string,
  args: {
    activation?: unknown;
    scaleParameterization?: unknown;
    kernelInitializer?: unknown;
    seed?: unknown;
  },
): {
  activation: InjectiveActivation;
  scaleParameterization: ScaleParameterization;
  kernelInitializer: InitializerName;
  seed: number | undefined;
} {
  const activation = args.activation ?? "relu";
  if (activation !== "relu" && activation !== "linear")
    configError(cls, `activation must be "relu" or "linear", got ${String(activation)}`);
  const scaleParameterization = args.scaleParameterization ?? "softplus";
  if (scaleParameterization !== "softplus" && scaleParameterization !== "exp")
    configError(
      cls,
      `scaleParameterization must be "softplus" or "exp", got ${String(scaleParameterization)}`,
    );
  const kernelInitializer = args.kernelInitializer ?? "glorotUniform";
  if (!(INITIALIZER_NAMES as readonly unknown[]).includes(kernelInitializer))
    configError(
      cls,
      `kernelInitializer must be one of ${INITIALIZER_NAMES.join(", ")}, got ${String(kernelInitializer)}`,
    );
  const seed = args.seed ?? undefined;
  if (seed !== undefined && !(typeof seed === "number" && Number.isSafeInteger(seed)))
    configError(cls, `seed must be an integer, got ${String(seed)}`);
  return {
    activation: activation as InjectiveActivation,
    scaleParameterization: scaleParameterization as ScaleParameterization,
    kernelInitializer: kernelInitializer as InitializerName,
    seed: seed as number | undefined,
  };
}

/** A positive integer option. */
export function positiveInt(cls: string, name: string, v: unknown, min = 1): number {
  if (!(typeof v === "number" && Number.isSafeInteger(v) && v >= min))
    configError(cls, `${name} must be an integer >= ${min}, got ${String(v)}`);
  return v as number;
}

/** A per-dimension pair of positive integers (a number means the same in both dimensions). */
export function pairOf(cls: string, name: string, v: unknown, def?: number): [number, number] {
  const raw = v === undefined && def !== undefined ? def : v;
  const arr = typeof raw === "number" ? [raw, raw] : raw;
  if (!Array.isArray(arr) || arr.length !== 2)
    configError(cls, `${name} must be a positive integer or an array of 2, got ${JSON.stringify(v)}`);
  return [positiveInt(cls, `${name}[0]`, arr[0]), positiveInt(cls, `${name}[1]`, arr[1])];
}
