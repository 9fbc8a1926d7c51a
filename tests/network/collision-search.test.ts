/**
 * Tests of the sampled collision search (src/network/collision-search.ts): it finds collisions of
 * non-injective networks (folds, flat directions), reports ratio 1 for isometries, agrees with the
 * Jacobian computed by finite differences, and is reproducible from its seed.
 */

import { describe, it, expect } from "vitest";
import { InputRangeError } from "../../src/core/validate.js";
import { forwardWithJacobian, searchCollisions } from "../../src/network/collision-search.js";
import { forwardNetwork, type Network } from "../../src/model/network.js";

/** f(x) = (0, 0, s(x)), s a zigzag with s(−2) = 0, s(−1) = −1, s(1) = 1, s(2) = 0: not injective. */
const ZIGZAG: Network = {
  format: "injective-relu/network",
  version: 1,
  inputDim: 1,
  layers: [
    { type: "dense", W: [[1], [1], [1]], b: [2, 1, -1], activation: "relu" },
    {
      type: "dense",
      W: [
        [0, 0, 0],
        [0, 0, 0],
        [-1, 2, -2],
      ],
      activation: "linear",
    },
  ],
};

/** [I; −I] then [I, −I]: the identity of R^2 written as a ReLU network (injective, an isometry). */
const IDENTITY: Network = {
  format: "injective-relu/network",
  version: 1,
  inputDim: 2,
  layers: [
    {
      type: "dense",
      W: [
        [1, 0],
        [0, 1],
        [-1, 0],
        [0, -1],
      ],
      activation: "relu",
    },
    {
      type: "dense",
      W: [
        [1, 0, -1, 0],
        [0, 1, 0, -1],
      ],
      activation: "linear",
    },
  ],
};

describe("searchCollisions", () => {
  it("finds the fold of the zigzag", () => {
    const s = searchCollisions(ZIGZAG, { lo: -2, hi: 2, seed: 1 });
    expect(s.collisionFound).toBe(true);
    const { x1, x2 } = s.pair;
    expect(Math.abs(x1[0] - x2[0])).toBeGreaterThan(1e-3);
    const y1 = forwardNetwork(ZIGZAG, x1);
    const y2 = forwardNetwork(ZIGZAG, x2);
    expect(Math.hypot(...y1.map((v, i) => v - y2[i]))).toBeLessThan(1e-9);
  });

  it("finds a flat direction (a ReLU layer with too few rows)", () => {
    const flat: Network = {
      format: "injective-relu/network",
      version: 1,
      inputDim: 2,
      layers: [
        {
          type: "dense",
          W: [
            [1, 0],
            [0, 1],
            [-1, -1],
          ],
          activation: "relu",
        },
      ],
    };
    expect(searchCollisions(flat, { lo: -1, hi: 1, seed: 3 }).collisionFound).toBe(true);
  });

  it("an isometry has ratio 1 everywhere", () => {
    const s = searchCollisions(IDENTITY, { lo: -1, hi: 1, seed: 2, pairs: 300 });
    expect(s.collisionFound).toBe(false);
    expect(s.minRatio).toBeCloseTo(1, 9);
    expect(s.lipschitzEstimate).toBeCloseTo(1, 12);
    expect(s.minJacobianSigma).toBeCloseTo(1, 12);
  });

  it("is reproducible from the seed", () => {
    const a = searchCollisions(ZIGZAG, { lo: -2, hi: 2, seed: 7, pairs: 200 });
    const b = searchCollisions(ZIGZAG, { lo: -2, hi: 2, seed: 7, pairs: 200 });
    expect({ ...a, timeMs: 0 }).toEqual({ ...b, timeMs: 0 });
  });

  it("rejects a bad box and bad counts", () => {
    expect(() => searchCollisions(ZIGZAG, { lo: 1, hi: 1 })).toThrow(InputRangeError);
    expect(() => searchCollisions(ZIGZAG, { lo: 0, hi: 1, pairs: -1 })).toThrow(
      /options\.pairs must be a non-negative integer/,
    );
  });
});

describe("forwardWithJacobian", () => {
  it("matches finite differences inside a linear region", () => {
    const x = [0.35, -0.2]; // pre-activations 0.05, −0.35, 1.075: inside a region
    const net: Network = {
      format: "injective-relu/network",
      version: 1,
      inputDim: 2,
      layers: [
        {
          type: "dense",
          W: [
            [1, 2],
            [-1, 1],
            [0.5, -3],
          ],
          b: [0.1, 0.2, 0.3],
          activation: "relu",
        },
        {
          type: "dense",
          W: [
            [1, -1, 2],
            [0, 1, 1],
          ],
          b: [1, -1],
          activation: "linear",
        },
      ],
    };
    const { y, J } = forwardWithJacobian(net, x);
    expect(y).toEqual(forwardNetwork(net, x));
    const h = 1e-7;
    for (let j = 0; j < 2; j++) {
      const xp = x.map((v, k) => (k === j ? v + h : v));
      const yp = forwardNetwork(net, xp);
      yp.forEach((v, i) => expect(J[i][j]).toBeCloseTo((v - y[i]) / h, 5));
    }
  });
});
