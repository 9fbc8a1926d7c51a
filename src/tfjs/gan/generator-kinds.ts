/**
 * The names of the injective-GAN experiment's generator kinds (Section 4), without TensorFlow.js,
 * so that the command line can parse its options before it loads the networks.
 */

/** The generator's layer kind: fully connected or transposed convolutions. */
export type GeneratorArch = "mlp" | "dcgan";

/** The two generator types that the experiment compares. */
export type GeneratorType = "regular" | "injective";

/** The generator types. */
export const GENERATOR_TYPES: readonly GeneratorType[] = ["regular", "injective"];
