/**
 * The GAN metrics (src/tfjs/gan/metrics.ts) against hand-computed cases: the score of uniform and
 * of confident, balanced predictions; the Fréchet distance of equal and shifted feature sets; the
 * classifier's shapes and its accuracy on an easy synthetic task.
 */

import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupTrainingBackend } from "../../../src/tfjs/backend.js";
import {
  buildClassifier,
  classify,
  frechetDistance,
  inceptionScore,
  trainClassifier,
} from "../../../src/tfjs/gan/metrics.js";

beforeAll(async () => {
  await setupTrainingBackend();
});

describe("inceptionScore", () => {
  it("is 1 for identical predictions and k for confident predictions spread over k classes", () => {
    expect(
      inceptionScore([
        [0.2, 0.8],
        [0.2, 0.8],
      ]),
    ).toBeCloseTo(1, 12);
    const eye = [0, 1, 2, 3].map((k) => [0, 1, 2, 3].map((j) => (j === k ? 1 : 0)));
    expect(inceptionScore(eye)).toBeCloseTo(4, 12);
    // Two classes, p(y|x) = (0.9, 0.1) and (0.1, 0.9): exp(0.9 ln 1.8 + 0.1 ln 0.2).
    expect(
      inceptionScore([
        [0.9, 0.1],
        [0.1, 0.9],
      ]),
    ).toBeCloseTo(Math.exp(0.9 * Math.log(1.8) + 0.1 * Math.log(0.2)), 12);
  });
});

describe("frechetDistance", () => {
  it("is 0 for the same features and the squared shift for shifted ones", () => {
    const a = [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [0.5, 0.2],
    ];
    expect(frechetDistance(a, a)).toBeLessThan(1e-9);
    const b = a.map(([x, y]) => [x + 3, y - 4]);
    expect(frechetDistance(a, b)).toBeCloseTo(25, 8);
  });
});

describe("the classifier", () => {
  it("gives 84 features and class probabilities, and learns an easy task", async () => {
    const m = buildClassifier(32, 1, 3, 1);
    const out = m.predict(tf.zeros([2, 32, 32, 1])) as tf.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([
      [2, 3],
      [2, 84],
    ]);
    tf.dispose(out);
    // Class k: a bright square in one of three places.
    const count = 300;
    const images = new Float32Array(count * 1024).fill(-1);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const k = i % 3;
      labels[i] = k;
      for (let r = 0; r < 8; r++)
        for (let c = 0; c < 8; c++) images[i * 1024 + (4 + r) * 32 + 4 + 10 * k + c] = 1;
    }
    const t = await trainClassifier(images, labels, 32, 1, { epochs: 4, batch: 32, seed: 3 });
    expect(t.testCount).toBe(30);
    expect(t.accuracy).toBeGreaterThan(0.9);
    const c = classify(t.model, images, 6, 32, 1);
    expect(c.features).toHaveLength(6);
    expect(c.features[0]).toHaveLength(84);
    for (const p of c.probs) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});
