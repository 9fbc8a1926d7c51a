/**
 * The training task of the injective-GAN experiment for the data-parallel trainer
 * (../data-parallel.ts, option `module`): one iteration trains the discriminator, the generator
 * and the inference network on a batch of real images (inputs) and latent codes (targets), with
 * the losses of {@link ganStep} (non-saturating GAN loss; Inet by mean squared error on G(z)).
 */

import type { MultiStepTask } from "../dcgan-steps.js";
import { ganStep } from "../dcgan-steps.js";
import {
  buildGanDiscriminator,
  buildGanEncoder,
  buildGanGenerator,
  resolveGanSizes,
  type GanSizes,
  type GeneratorType,
} from "./models.js";

/** What a worker needs to build the task (structured-cloneable). */
export interface GanTaskOptions {
  type: GeneratorType;
  sizes: GanSizes;
  /** Seed of the initial weights (G: seed, D: seed + 1000, Inet: seed + 2000). */
  seed: number;
  /** Initial bias of the generator's last layer (see buildGanGenerator). @default 0 */
  outputBias?: number;
}

/** The models [G, D, Inet] of a run and one iteration's optimizer steps (slots G 0, D 1, Inet 2). */
export function createTask(options: GanTaskOptions): MultiStepTask {
  const s = resolveGanSizes(options.sizes);
  const G = buildGanGenerator(options.type, s, options.seed, options.outputBias ?? 0);
  const D = buildGanDiscriminator(s, options.seed + 1000);
  const E = buildGanEncoder(s, options.seed + 2000);
  return {
    models: [G, D, E],
    optimizers: 3,
    inputShape: [s.side, s.side, s.channels],
    targetShape: [s.z],
    step: (m, real, z) => ganStep(G, D, E, m, real, z),
  };
}
