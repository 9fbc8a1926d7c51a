/**
 * Inversion on random injective generators of 2 to 4 layers (stacked Corollary 2 layers), as
 * property tests over seeds: exact to 1e-9 relative on noiseless outputs; with Gaussian noise σ
 * the `--noise-aware` inversion (robust LP + joint polish) has an error of the order of σ.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { Rng } from "../../src/core/random.js";
import { forwardNetwork } from "../../src/model/network.js";
import { invertNetwork } from "../../src/invert/invert-network.js";
import { invertNetworkRobust, relativeError } from "../../src/invert/robust-layer.js";
import { stackedDenseGenerator } from "../../src/experiments/compressed-sensing.js";

const generator = (n: number, depth: number, seed: number) => {
  const widths: number[] = [];
  let d = n;
  for (let k = 0; k < depth; k++) widths.push((d = 2 * d + 1 + (seed % 3)));
  return stackedDenseGenerator(n, widths, seed);
};

describe("inversion of 2- to 4-layer injective generators", () => {
  it("noiseless: z recovered to 1e-9 relative (fast-check over seeds, depths and sizes)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 0, max: 1e6 }),
        (n, depth, seed) => {
          const net = generator(n, depth, seed);
          const rng = new Rng(seed);
          const z = Array.from({ length: n }, () => rng.normal());
          const r = invertNetwork(net, forwardNetwork(net, z));
          expect(r.status).toBe("found");
          expect(relativeError(r.x!, z)).toBeLessThanOrEqual(1e-9);
        },
      ),
      { seed: 11, numRuns: 60 },
    );
  });

  it("noisy: the error is of the order of the noise (median over 16 seeds <= 5σ, for σ = 0.01)", () => {
    const sigma = 0.01;
    for (const depth of [2, 3, 4]) {
      const errors: number[] = [];
      for (let s = 0; s < 16; s++) {
        const net = generator(3, depth, 500 + 17 * s + depth);
        const rng = new Rng(s + 1);
        const z = Array.from({ length: 3 }, () => rng.normal());
        const y = forwardNetwork(net, z).map((v) => v + sigma * rng.normal());
        errors.push(relativeError(invertNetworkRobust(net, y, { noiseLevel: sigma }).x, z));
      }
      errors.sort((a, b) => a - b);
      const median = (errors[7] + errors[8]) / 2;
      expect(
        median,
        `depth ${depth}: errors ${errors.map((e) => e.toExponential(1)).join(", ")}`,
      ).toBeLessThanOrEqual(5 * sigma);
    }
  });
});
