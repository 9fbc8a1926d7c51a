/**
 * The TF.js reader's convolution support (src/io/tfjs.ts), against tfjs's own outputs: Conv2D and
 * Conv2DTranspose with "same" and "valid" padding, the channels-last order mapped to the toolkit's
 * channels-first convolutions through the Dense (and batch norm) before them and the Dense after a
 * Flatten; and the one-line errors for what the toolkit cannot express.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { fileSaveHandler } from "../../src/tfjs/index.js";
import { readTfjsLayersModel } from "../../src/io/tfjs-file.js";
import { forwardNetwork } from "../../src/model/network.js";

const dir = mkdtempSync(join(tmpdir(), "tfjs-reader-"));
let count = 0;

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Saves the model and reads it with the toolkit (throws the reader's error). */
async function load(model: tf.LayersModel) {
  const path = join(dir, `m${count++}`);
  await model.save(fileSaveHandler(path));
  return readTfjsLayersModel(join(path, "model.json"));
}

/** Randomizes every weight (biases and batch-norm statistics too), seeded. */
function randomize(model: tf.LayersModel, seed: number): void {
  model.setWeights(
    model.weights.map((w, i) =>
      w.name.includes("variance")
        ? tf.randomUniform(w.shape as number[], 0.5, 2, "float32", seed + i)
        : tf.randomNormal(w.shape as number[], 0, 0.5, "float32", seed + i),
    ),
  );
}

async function expectSameOutputs(model: tf.LayersModel, seed: number): Promise<void> {
  const net = await load(model);
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const x = tf.randomNormal([4, ...inShape], 0, 1, "float32", seed);
  const ys = (model.predict(x) as tf.Tensor).reshape([4, -1]).arraySync() as number[][];
  const xs = x.reshape([4, -1]).arraySync() as number[][];
  xs.forEach((xi, r) => {
    const yi = forwardNetwork(net, xi);
    expect(yi.length).toBe(ys[r].length);
    const scale = Math.max(...ys[r].map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    yi.forEach((v, j) => expect(Math.abs(v - ys[r][j])).toBeLessThan(1e-5 * Math.max(1, scale)));
  });
}

describe("Conv2D and Conv2DTranspose import", () => {
  test("image input (one channel), same and valid padding, strides, Flatten then Dense", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [6, 5, 1],
          filters: 3,
          kernelSize: 3,
          padding: "same",
          activation: "relu",
        }),
        tf.layers.conv2d({ filters: 4, kernelSize: [2, 3], strides: [2, 1], activation: "tanh" }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 5 }),
      ],
    });
    randomize(model, 1);
    await expectSameOutputs(model, 2);
  });

  test("a DCGAN-style head: Dense, BatchNormalization, ReLU, Reshape, Conv2DTranspose (same, valid)", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 12, useBias: false }),
        tf.layers.batchNormalization(),
        tf.layers.reLU(),
        tf.layers.reshape({ targetShape: [2, 2, 3] }),
        tf.layers.conv2dTranspose({
          filters: 2,
          kernelSize: 4,
          strides: 2,
          padding: "same",
          activation: "relu",
        }),
        tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, activation: "sigmoid" }),
      ],
    });
    randomize(model, 3);
    await expectSameOutputs(model, 4);
  });
});

describe("a DCGAN-style generator with batch norm after its transposed convolutions", () => {
  test("Dense, BN, ReLU, Reshape, ConvT, BN (per channel), ReLU, ConvT tanh: the import matches tfjs", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 16, useBias: false }),
        tf.layers.batchNormalization(),
        tf.layers.reLU(),
        tf.layers.reshape({ targetShape: [2, 2, 4] }),
        tf.layers.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: "same", useBias: false }),
        tf.layers.batchNormalization({ epsilon: 1e-5 }),
        tf.layers.reLU(),
        tf.layers.conv2dTranspose({
          filters: 1,
          kernelSize: 4,
          strides: 2,
          padding: "same",
          activation: "tanh",
        }),
      ],
    });
    randomize(model, 7);
    await expectSameOutputs(model, 8);
    const net = await load(model);
    const kind = (l: (typeof net.layers)[number]): string =>
      l.conv
        ? l.conv.op
        : l.batchnorm
          ? "batchnorm"
          : l.reshape
            ? "reshape"
            : l.identity
              ? l.activation
              : "dense";
    expect(net.layers.map(kind)).toEqual([
      "dense",
      "batchnorm",
      "relu",
      "reshape",
      "conv_transpose",
      "batchnorm",
      "relu",
      "conv_transpose",
    ]);
  });
});

describe("what the toolkit cannot express is a one-line error", () => {
  test("asymmetric 'same' padding", async () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 2, padding: "same" })],
    });
    await expect(load(model)).rejects.toThrow(/"same" padding with kernel 2×2 .* asymmetric/);
  });

  test("an image input with several channels, and an output with several channels", async () => {
    const input = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [4, 4, 2], filters: 2, kernelSize: 3 }), tf.layers.flatten()],
    });
    await expect(load(input)).rejects.toThrow(/channels-last order.*model input has several channels/);
    const output = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [2], units: 8 }),
        tf.layers.reshape({ targetShape: [2, 2, 2] }),
        tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 }),
      ],
    });
    await expect(load(output)).rejects.toThrow(/output has shape \[4, 4, 2\].*channels first/);
  });

  test("dilation", async () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 1, kernelSize: 3, dilationRate: 2 })],
    });
    await expect(load(model)).rejects.toThrow(/dilation_rate/);
  });
});

describe("channelsFirstImages (what check uses)", () => {
  /** x (batch, H, W, C) in TF.js order → each sample flat in the order (c, h, w). */
  const chw = (t: tf.Tensor): number[][] =>
    tf.transpose(t, [0, 3, 1, 2]).reshape([t.shape[0], -1]).arraySync() as number[][];

  test("an image input and an image output with several channels are read in channels-first order", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 3, activation: "relu" }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 8 }),
        tf.layers.reshape({ targetShape: [2, 2, 2] }),
        tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 }),
      ],
    });
    randomize(model, 5);
    await expect(load(model)).rejects.toThrow(/model input has several channels/);
    const path = join(dir, `m${count++}`);
    await model.save(fileSaveHandler(path));
    const net = await readTfjsLayersModel(join(path, "model.json"), { channelsFirstImages: true });
    const x = tf.randomNormal([3, 4, 4, 2], 0, 1, "float32", 6);
    const y = model.predict(x) as tf.Tensor;
    const xs = chw(x);
    const ys = chw(y);
    xs.forEach((xi, r) => {
      const out = forwardNetwork(net, xi);
      const scale = Math.max(...ys[r].map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      out.forEach((v, j) => expect(Math.abs(v - ys[r][j])).toBeLessThan(1e-5 * Math.max(1, scale)));
    });
  });
});
