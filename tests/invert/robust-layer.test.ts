/**
 * Tests of the robust (noise-aware) layerwise inversion (src/invert/robust-layer.ts): noise-free it
 * agrees with the exact inversion; with noise bounded by σ its error obeys the ℓ∞-LP bound
 * 2√m·σ/σ_min on Corollary 2 layers. All randomness is seeded.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { constructDense } from "../../src/construct/dense.js";
import { Rng } from "../../src/core/random.js";
import { stackedDenseGenerator } from "../../src/experiments/compressed-sensing.js";
import { invertLayer } from "../../src/invert/invert-layer.js";
import { invertNetwork } from "../../src/invert/invert-network.js";
import { invertLayerRobust, invertNetworkRobust, relativeError } from "../../src/invert/robust-layer.js";
import { applyLayer, forwardNetwork } from "../../src/model/network.js";

const SEEDS = { numRuns: 40, seed: 20240605 };

describe("invertLayerRobust", () => {
  it("noise-free: equals the exact inverse on Corollary 2 layers (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 4, maxLength: 4 }),
        (n, seed, xs) => {
          const L = constructDense(n, 2 * n + 1, { seed, bias: "paired", shuffle: true });
          const layer = { W: L.W, b: L.b, activation: "relu" as const };
          const x = xs.slice(0, n);
          const y = applyLayer({ type: "dense", ...layer }, x);
          const exact = invertLayer(layer, y);
          const robust = invertLayerRobust(layer, y);
          expect(exact.found).toBe(true);
          const scale = Math.max(1, ...x.map(Math.abs));
          for (let j = 0; j < n; j++) expect(Math.abs(robust.x[j] - exact.x[j])).toBeLessThan(1e-7 * scale);
          expect(robust.lpObjective).toBeLessThan(1e-9 * Math.max(1, ...y));
        },
      ),
      SEEDS,
    );
  });

  it("noise bounded by σ, threshold σ: ‖x̂ − x‖₂ <= 2√m·σ/σ_min on orthogonal Corollary 2 layers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.constantFrom(1e-4, 1e-3, 1e-2, 5e-2),
        (n, seed, sigma) => {
          const m = 3 * n;
          const L = constructDense(n, m, { seed, basis: "orthogonal", bias: "paired", shuffle: true });
          const layer = { W: L.W, b: L.b, activation: "relu" as const };
          const rng = new Rng(seed);
          const x = Array.from({ length: n }, () => rng.normal());
          const y = applyLayer({ type: "dense", ...layer }, x).map(
            (v) => v + sigma * (2 * rng.uniform() - 1),
          );
          const r = invertLayerRobust(layer, y, { noiseLevel: sigma, threshold: sigma });
          expect(r.lpStatus).toBe("optimal");
          // The truth is feasible with s = ‖e‖∞ <= σ, so the LP optimum is below σ.
          expect(r.lpObjective).toBeLessThanOrEqual(sigma * (1 + 1e-9));
          // σ_min of [B; −DB; M] restricted to one row of each pair is >= 1 (B orthogonal, D = I), up
          // to the pairs with |B_i x| <= ~σ that the threshold makes inactive (covered by the factor 2).
          const err = Math.hypot(...r.x.map((v, j) => v - x[j]));
          expect(err).toBeLessThanOrEqual(2 * 2 * Math.sqrt(m) * sigma);
          expect(r.fitResidual).toBeLessThanOrEqual(3 * sigma);
        },
      ),
      SEEDS,
    );
  });

  it("rejects bad options", () => {
    const layer = { W: [[1], [-1]], activation: "relu" as const };
    expect(() => invertLayerRobust(layer, [1, 0], { noiseLevel: -1 })).toThrow(RangeError);
    expect(() => invertLayerRobust(layer, [1], {})).toThrow(RangeError);
  });
});

describe("invertNetworkRobust", () => {
  it("noise-free: equals invertNetwork on stacked Corollary 2 layers", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const net = stackedDenseGenerator(3, [7, 16], seed);
      const rng = new Rng(seed);
      const x = [rng.normal(), rng.normal(), rng.normal()];
      const y = forwardNetwork(net, x);
      const exact = invertNetwork(net, y);
      const robust = invertNetworkRobust(net, y);
      expect(exact.status).toBe("found");
      expect(relativeError(robust.x, exact.x!)).toBeLessThan(1e-8);
      expect(robust.residual).toBeLessThan(1e-9);
    }
  });

  it("Gaussian noise σ: relative error about σ / σ_min, never far above it (10 seeds)", () => {
    const net = stackedDenseGenerator(3, [8, 20], 1, "orthogonal");
    const rng = new Rng(7);
    for (const sigma of [1e-3, 1e-2]) {
      const errs: number[] = [];
      for (let t = 0; t < 10; t++) {
        const x = [rng.normal(), rng.normal(), rng.normal()];
        const y = forwardNetwork(net, x).map((v) => v + sigma * rng.normal());
        const r = invertNetworkRobust(net, y, { noiseLevel: sigma });
        errs.push(relativeError(r.x, x));
        expect(r.residualInf).toBeLessThan(10 * sigma);
        expect(r.layers.map((l) => l.index)).toEqual([1, 0]);
      }
      const mean = errs.reduce((a, b) => a + b, 0) / errs.length;
      expect(mean).toBeLessThan(10 * sigma);
    }
  });
});
