/**
 * Smoke test of the compressed-sensing experiment (src/experiments/compressed-sensing.ts): on a tiny
 * injective generator, the mean recovery error over seeded trials decreases as k grows.
 */

import { describe, it, expect } from "vitest";
import {
  compressedSensingExperiment,
  stackedDenseGenerator,
} from "../../src/experiments/compressed-sensing.js";

describe("compressedSensingExperiment", () => {
  it("error decreases as k grows (mean over seeds), tiny network", () => {
    const net = stackedDenseGenerator(2, [5, 12], 1);
    const r = compressedSensingExperiment(net, {
      ks: [1, 6],
      trials: 6,
      noise: 0.001,
      seed: 3,
      gradient: { restarts: 5, iterations: 800, learningRate: 0.1 },
    });
    expect(r.rows.map((row) => row.k)).toEqual([1, 6]);
    expect(r.rows[1].meanError).toBeLessThan(r.rows[0].meanError);
    expect(r.rows[1].medianError).toBeLessThan(0.1);
    expect(r.rows[0].trials).toHaveLength(6);
  });

  it("rejects k < 1", () => {
    const net = stackedDenseGenerator(1, [3], 1);
    expect(() => compressedSensingExperiment(net, { ks: [0] })).toThrow(RangeError);
  });
});
