/**
 * snapNetwork (src/network/snap-network.ts): a snapped row is the original turned by at most ε and
 * scaled by a positive factor; the factor is compensated downstream, so the snapped network
 * computes the same function up to the turn (the outputs agree to about ε), and layers whose
 * factor could not be compensated are left as they are.
 */

import { describe, it, expect } from "vitest";
import { snapNetwork } from "../../src/network/snap-network.js";
import { checkNetwork } from "../../src/network/check-network.js";
import {
  activationLayer,
  batchNormLayer,
  forwardNetwork,
  NETWORK_FORMAT,
  validateNetwork,
  type DenseLayerSpec,
} from "../../src/model/network.js";
import { Rng } from "../../src/core/random.js";

/** A ReLU layer with the pair (a, −3.1·a turned by about 1e-9): snapping scales that row by about 4/3.1. */
const pairLayer: DenseLayerSpec = {
  type: "dense",
  W: [
    [1, 2],
    [-3.1, -6.200000001],
    [0, 1],
    [0, -1],
  ],
  b: [0.5, 0.25, 0, 0],
  activation: "relu",
};

function net(...layers: DenseLayerSpec[]) {
  return validateNetwork("test", { format: NETWORK_FORMAT, version: 1, inputDim: 2, layers });
}

const rng = new Rng(5);
const inputs = Array.from({ length: 20 }, () => [rng.normal() * 2, rng.normal() * 2]);

describe("snapNetwork compensates the scale of a snapped row", () => {
  const tanh: DenseLayerSpec = {
    type: "dense",
    W: [
      [0.3, -0.7, 0.2, 1.1],
      [0.9, 0.4, -0.5, 0.1],
      [-0.2, 0.6, 0.8, -0.3],
    ],
    b: [0.1, -0.2, 0.05],
    activation: "tanh",
  };
  it("in the next dense layer's columns: the outputs agree to 1e-8", () => {
    const N = net(pairLayer, tanh);
    const s = snapNetwork(N, 1e-6);
    expect(s.layers.map((l) => l.index)).toEqual([0]);
    expect(s.layers[0].snapped[0].factor).toBeCloseTo(4 / 3.1, 6);
    for (const x of inputs) {
      const y = forwardNetwork(N, x);
      forwardNetwork(s.network, x).forEach((v, j) => expect(Math.abs(v - y[j])).toBeLessThan(1e-8));
    }
  });
  it("through a batch norm (its mean and shift scale) and a ReLU", () => {
    const bn = batchNormLayer({
      gamma: [1.5, -0.5, 2, 1],
      beta: [0.3, -0.1, 0.2, 0.4],
      mean: [0.5, 1, -0.2, 0.1],
      var: [1, 2, 0.5, 1],
      epsilon: 1e-5,
    });
    const N = net({ ...pairLayer, activation: "linear" }, bn, activationLayer(4, "relu"), tanh);
    const s = snapNetwork(N, 1e-6);
    expect(s.layers.map((l) => l.index)).toEqual([0]);
    for (const x of inputs) {
      const y = forwardNetwork(N, x);
      forwardNetwork(s.network, x).forEach((v, j) => expect(Math.abs(v - y[j])).toBeLessThan(1e-8));
    }
  });
  it("a factor left at the output is reported, and only scales the outputs", () => {
    const N = net(pairLayer);
    const s = snapNetwork(N, 1e-6);
    expect(s.outputScale).not.toBe(null);
    for (const x of inputs) {
      const y = forwardNetwork(N, x);
      forwardNetwork(s.network, x).forEach((v, j) =>
        expect(Math.abs(v - s.outputScale![j] * y[j])).toBeLessThan(1e-8 * (1 + Math.abs(v))),
      );
    }
  });
  it("leaves a layer alone when a tanh stands between it and the next weights", async () => {
    const N = net(pairLayer, activationLayer(4, "tanh"), tanh);
    const s = snapNetwork(N, 1e-6);
    expect(s.layers).toEqual([]);
    expect(s.notSnapped).toEqual([{ index: 0, reason: expect.stringMatching(/layer 1 applies tanh/) }]);
    expect(s.network.layers[0]).toBe(N.layers[0]);
    // Not snapped, the rounded pair keeps its wedge: the first layer is still decided as given.
    expect((await checkNetwork(s.network, { collisionSearch: false })).layers[0].injective).not.toBe(true);
  });
  it("leaves a tanh layer alone (a factor would change its function)", () => {
    const N = net({ ...pairLayer, activation: "tanh" });
    const s = snapNetwork(N, 1e-6);
    expect(s.layers).toEqual([]);
    expect(s.notSnapped[0].reason).toMatch(/activation tanh/);
  });
});
