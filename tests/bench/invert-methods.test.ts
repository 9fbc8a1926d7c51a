/**
 * The methods of `npm run bench:invert` (bench/invert-methods.ts): the compiled network computes
 * what the project computes, Lei et al.'s layerwise LP recovers z on expansive networks, the Adam
 * baseline is the project's gradientInversion with a deadline, and every method stops at its limit.
 */

import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Highs } from "highs";
import { highsLoader } from "../../bench/common.js";
import {
  adamInvert,
  compileNetwork,
  compiledForward,
  compiledLossAndGradient,
  leiInvert,
  projectInvert,
} from "../../bench/invert-methods.js";
import { Rng } from "../../src/core/random.js";
import { readOnnxModel } from "../../src/io/onnx.js";
import { gradientInversion, lossAndGradient } from "../../src/invert/gradient-inversion.js";
import { relativeError } from "../../src/invert/robust-layer.js";
import { stackedDenseGenerator } from "../../src/experiments/compressed-sensing.js";
import { forwardNetwork, type Network } from "../../src/model/network.js";

const DIR = join(import.meta.dirname, "../../examples/models");
const load = (name: string): Network =>
  readOnnxModel(new Uint8Array(readFileSync(join(DIR, `${name}.onnx`))), `${name}.onnx`);

let highs: Highs;
beforeAll(async () => {
  highs = await highsLoader();
});

/** A generator with a tanh output layer after stacked Corollary 2 ReLU layers (expansive). */
function tanhGenerator(seed: number): Network {
  const net = stackedDenseGenerator(3, [8, 20], seed);
  const rng = new Rng(seed + 99);
  net.layers.push({
    type: "dense",
    W: Array.from({ length: 30 }, () => Array.from({ length: 20 }, () => 0.3 * rng.normal())),
    b: Array.from({ length: 30 }, () => 0.1 * rng.normal()),
    activation: "tanh",
  });
  return net;
}

describe("the compiled network", () => {
  it.each(["mnist-vae-decoder-leaky", "mnist-dcgan32-generator"])(
    "%s: same forward pass, loss and gradient as the project's",
    (name) => {
      const net = load(name);
      const c = compileNetwork(net);
      const rng = new Rng(5);
      const z = Array.from({ length: net.inputDim }, () => rng.normal());
      const y = forwardNetwork(
        net,
        z.map((v) => v + 0.1),
      );
      expect(relativeError(Array.from(compiledForward(c, z)), forwardNetwork(net, z))).toBeLessThan(1e-12);
      const ours = compiledLossAndGradient(c, y, z);
      const theirs = lossAndGradient(net, undefined, y, z);
      expect(Math.abs(ours.loss - theirs.loss)).toBeLessThanOrEqual(1e-12 * theirs.loss);
      expect(relativeError(Array.from(ours.grad), theirs.grad)).toBeLessThan(1e-10);
    },
  );
});

describe("baseline (b): Adam with restarts", () => {
  it("is the project's gradientInversion (same starts, same iterates)", () => {
    const net = stackedDenseGenerator(3, [8, 20], 11);
    const y = forwardNetwork(net, [0.5, -1, 0.3]);
    const ours = adamInvert(
      compileNetwork(net),
      y,
      { timeLimitMs: 60_000 },
      {
        restarts: 2,
        iterations: 300,
        seed: 4,
      },
    );
    const theirs = gradientInversion(net, y, { restarts: 2, iterations: 300, seed: 4 });
    expect(ours.status).toBe("done");
    expect(relativeError(ours.z!, theirs.z)).toBeLessThan(1e-9);
  });

  it("stops at its deadline with the best iterate so far", () => {
    const c = compileNetwork(load("mnist-dcgan32-generator"));
    const y = Array.from(compiledForward(c, new Array<number>(32).fill(0.5)));
    const t0 = performance.now();
    const r = adamInvert(c, y, { timeLimitMs: 200 });
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(r.status).toMatch(/^time limit \(0 of 5 restarts done\)$/);
    expect(r.z).toHaveLength(32);
  });
});

describe("baseline (a): Lei et al.'s layerwise LP", () => {
  it("recovers z exactly from clean outputs of expansive ReLU networks", () => {
    for (const seed of [1, 2, 3]) {
      const net = stackedDenseGenerator(4, [10, 24, 50], 100 * seed);
      const rng = new Rng(seed);
      const z = Array.from({ length: 4 }, () => rng.normal());
      const r = leiInvert(highs, compileNetwork(net), forwardNetwork(net, z), 0, { timeLimitMs: 30_000 });
      expect(r.status).toBe("done");
      expect(relativeError(r.z!, z)).toBeLessThan(1e-5);
    }
  });

  it("handles a tanh output layer (the band through atanh), clean and noisy", () => {
    const net = tanhGenerator(7);
    const c = compileNetwork(net);
    const z = [0.7, -0.4, 1.1];
    const y = forwardNetwork(net, z);
    const clean = leiInvert(highs, c, y, 0, { timeLimitMs: 30_000 });
    expect(relativeError(clean.z!, z)).toBeLessThan(1e-4);
    const rng = new Rng(3);
    const noisy = leiInvert(
      highs,
      c,
      y.map((v) => v + 1e-3 * rng.normal()),
      1e-3,
      { timeLimitMs: 30_000 },
    );
    expect(noisy.status).toBe("done");
    expect(relativeError(noisy.z!, z)).toBeLessThan(0.2);
  });

  it("an output outside the range of tanh only grows the threshold (no error)", () => {
    const net = tanhGenerator(8);
    const y = forwardNetwork(net, [0.2, 0.1, -0.3]);
    y[0] = 1.05;
    const r = leiInvert(highs, compileNetwork(net), y, 1e-3, { timeLimitMs: 30_000 });
    expect(r.status).toBe("done");
    // y[0] is 0.05 above the range: the threshold had to grow past 0.05.
    expect(Number(/final τ = (\S+)$/.exec(r.note!)![1])).toBeGreaterThanOrEqual(0.05);
  });

  it("stops at its deadline", () => {
    const c = compileNetwork(load("mnist-vae-decoder"));
    const y = Array.from(compiledForward(c, new Array<number>(20).fill(0.3)));
    const t0 = performance.now();
    const r = leiInvert(highs, c, y, 0.05, { timeLimitMs: 300 });
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.status).toBe("time limit");
    expect(r.z).toBeNull();
  });
});

describe("the project's adapter", () => {
  it("invertGenerator, clean and noisy", () => {
    const net = stackedDenseGenerator(3, [8, 20], 21);
    const z = [0.3, -0.8, 0.5];
    const y = forwardNetwork(net, z);
    const clean = projectInvert(net, y, 0, { timeLimitMs: 30_000 });
    expect(clean.status).toBe("unique");
    expect(relativeError(clean.z!, z)).toBeLessThan(1e-8);
    const rng = new Rng(9);
    const noisy = projectInvert(
      net,
      y.map((v) => v + 1e-3 * rng.normal()),
      1e-3,
      { timeLimitMs: 30_000 },
    );
    expect(["unique", "found"]).toContain(noisy.status);
    expect(relativeError(noisy.z!, z)).toBeLessThan(0.1);
  });

  it("reports a time limit as a status, with the best estimate so far", () => {
    const net = load("mnist-vae-decoder");
    const y = forwardNetwork(net, new Array<number>(20).fill(0.2));
    const r = projectInvert(net, y, 0.01, { timeLimitMs: 1 });
    expect(r.status).toBe("time-limit");
    expect(r.z).toHaveLength(20);
  });
});
