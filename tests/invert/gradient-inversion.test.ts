/**
 * Tests of the gradient-descent inversion baseline (src/invert/gradient-inversion.ts): the hand-written
 * gradient matches finite differences, and Adam recovers z from a start near the truth. Seeded.
 */

import { describe, it, expect } from "vitest";
import { Rng } from "../../src/core/random.js";
import { stackedDenseGenerator } from "../../src/experiments/compressed-sensing.js";
import { gradientInversion, lossAndGradient } from "../../src/invert/gradient-inversion.js";
import { relativeError } from "../../src/invert/robust-layer.js";
import { forwardNetwork, layerOutputDim, type Network } from "../../src/model/network.js";

function withLinearHead(net: Network, seed: number): Network {
  const rng = new Rng(seed);
  const d = layerOutputDim(net.layers[net.layers.length - 1]);
  const W = Array.from({ length: d }, () => Array.from({ length: d }, () => rng.normal()));
  return { ...net, layers: [...net.layers, { type: "dense", W, activation: "linear" }] };
}

describe("lossAndGradient", () => {
  it("matches central finite differences (ReLU and linear layers, with and without A)", () => {
    const net = withLinearHead(stackedDenseGenerator(3, [7, 15], 4), 9);
    const rng = new Rng(3);
    const A = Array.from({ length: 5 }, () => Array.from({ length: 15 }, () => rng.normal()));
    for (const M of [undefined, A]) {
      const y = Array.from({ length: M ? 5 : 15 }, () => rng.normal());
      const z = [rng.normal(), rng.normal(), rng.normal()];
      const { grad } = lossAndGradient(net, M, y, z);
      for (let j = 0; j < 3; j++) {
        const h = 1e-6;
        const zp = z.slice();
        const zm = z.slice();
        zp[j] += h;
        zm[j] -= h;
        const fd = (lossAndGradient(net, M, y, zp).loss - lossAndGradient(net, M, y, zm).loss) / (2 * h);
        expect(Math.abs(fd - grad[j])).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
      }
    }
  });
});

describe("gradientInversion", () => {
  it("recovers z from a start near the truth on a small injective network; reports the residual", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const net = stackedDenseGenerator(2, [5, 12], seed, "orthogonal");
      const rng = new Rng(100 + seed);
      const z = [rng.normal(), rng.normal()];
      const y = forwardNetwork(net, z);
      const start = z.map((v) => v + 0.05 * rng.normal());
      const r = gradientInversion(net, y, { starts: [start], restarts: 1, iterations: 800, seed });
      expect(relativeError(r.z, z)).toBeLessThan(1e-3);
      expect(r.residual).toBeLessThan(1e-3);
      expect(r.restartLosses).toHaveLength(1);
      expect(r.timeMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("is reproducible from the seed", () => {
    const net = stackedDenseGenerator(2, [5], 1);
    const y = forwardNetwork(net, [0.3, -0.7]);
    const a = gradientInversion(net, y, { restarts: 2, iterations: 100, seed: 5 });
    const b = gradientInversion(net, y, { restarts: 2, iterations: 100, seed: 5 });
    expect(a.z).toEqual(b.z);
  });

  it("rejects a y that does not match A", () => {
    const net = stackedDenseGenerator(1, [3], 1);
    expect(() => gradientInversion(net, [1, 2], { A: [[1, 0, 0]] })).toThrow(RangeError);
  });
});
