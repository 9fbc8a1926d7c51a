/**
 * The injective TensorFlow.js layers (src/tfjs): the structure of their outputs, serialization
 * round trips through an in-memory IOHandler, and one optimizer step (gradients reach every free
 * parameter, and the pairs stay exact).
 */

import { beforeAll, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs";
import {
  InjectiveConv2d,
  InjectiveConv2dTranspose,
  InjectiveDense,
  convOutputLength,
  pairScale,
} from "../../src/tfjs/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** Saves a model to memory and loads it back (tf.io.withSaveHandler / tf.io.fromMemory). */
async function roundTrip(
  model: tf.LayersModel,
): Promise<{ loaded: tf.LayersModel; artifacts: tf.io.ModelArtifacts }> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  return { loaded, artifacts: artifacts! };
}

function seededInput(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, "float32", seed);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe("InjectiveDense", () => {
  test("outputs [ReLU(z); d∘ReLU(−z); ReLU(Mx + β_M)] with z = xB + β, units 2n + extra", async () => {
    const layer = new InjectiveDense({ inputShape: [3], extraUnits: 2, seed: 7, initialScale: 0.5 });
    const model = tf.sequential({ layers: [layer] });
    // Non-zero biases, so that the bias path is exercised.
    const w = layer.getWeights();
    layer.setWeights([w[0], w[1], tf.tensor1d([0.5, -0.25, 1]), w[3], tf.tensor1d([0.125, -1])]);
    const x = seededInput([5, 3], 1);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([5, 8]);
    const [B, rho, beta, M, betaM] = layer.getWeights().map((t) => t.arraySync()) as [
      number[][],
      number[],
      number[],
      number[][],
      number[],
    ];
    expect(pairScale(rho[0], "softplus")).toBeCloseTo(0.5, 6);
    const xs = x.arraySync() as number[][];
    const ys = y.arraySync() as number[][];
    xs.forEach((xi, r) => {
      for (let k = 0; k < 3; k++) {
        const z = xi.reduce((a, v, j) => a + v * B[j][k], beta[k]);
        const d = pairScale(rho[k], "softplus");
        expect(ys[r][k]).toBeCloseTo(Math.max(0, z), 5);
        expect(ys[r][3 + k]).toBeCloseTo(d * Math.max(0, -z), 5);
        // One row of each pair is active at every input.
        expect(ys[r][k] > 0 || ys[r][3 + k] > 0 || Math.abs(z) < 1e-6).toBe(true);
      }
      for (let e = 0; e < 2; e++) {
        const v = xi.reduce((a, u, j) => a + u * M[j][e], betaM[e]);
        expect(ys[r][6 + e]).toBeCloseTo(Math.max(0, v), 5);
      }
    });
    const eff = layer.effectiveWeights();
    expect(eff.kernel.shape).toEqual([3, 8]);
    const ref = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, eff.kernel), eff.bias!));
    expect(maxAbsDiff(ref, y)).toBeLessThan(1e-5);
  });

  test("linear activation, no bias, exp scales", () => {
    const layer = new InjectiveDense({
      inputShape: [2],
      activation: "linear",
      useBias: false,
      scaleParameterization: "exp",
      initialScale: 2,
    });
    const model = tf.sequential({ layers: [layer] });
    expect(layer.getWeights().map((t) => t.shape)).toEqual([[2, 2], [2]]);
    const y = (model.predict(tf.tensor2d([[1, -2]])) as tf.Tensor).arraySync() as number[][];
    // The second half is −2 × the first, with no ReLU.
    expect(y[0][2]).toBeCloseTo(-2 * y[0][0], 5);
    expect(y[0][3]).toBeCloseTo(-2 * y[0][1], 5);
    expect(y[0].some((v) => v < 0)).toBe(true);
  });

  test("rejects bad options with messages naming the class", () => {
    expect(() => new InjectiveDense({ activation: "tanh" as "relu" })).toThrow(/InjectiveDense: activation/);
    expect(() => new InjectiveDense({ extraUnits: -1 })).toThrow(/InjectiveDense: extraUnits/);
    expect(() => new InjectiveDense({ initialScale: 0 })).toThrow(/initialScale/);
    expect(() => new InjectiveDense({ kernelInitializer: "ones" as "orthogonal" })).toThrow(
      /kernelInitializer/,
    );
    expect(() => tf.sequential({ layers: [new InjectiveDense({ inputShape: [2, 3] })] })).toThrow(
      /shape \[batch, n\]/,
    );
  });
});

describe("InjectiveConv2d / InjectiveConv2dTranspose", () => {
  test("output channels k and p + k are ReLU(t) and s²·ReLU(−t)", () => {
    for (const Layer of [InjectiveConv2d, InjectiveConv2dTranspose]) {
      const layer = new Layer({
        filters: 6,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        inputShape: [5, 4, 2],
        seed: 3,
        initialScale: 0.25,
      });
      const model = tf.sequential({ layers: [layer] });
      const w = layer.getWeights();
      layer.setWeights([w[0], w[1], tf.tensor1d([0.5, -0.5, 0.25])]);
      const x = seededInput([2, 5, 4, 2], 4);
      const y = model.predict(x) as tf.Tensor4D;
      const transpose = Layer === InjectiveConv2dTranspose;
      expect(y.shape).toEqual([
        2,
        convOutputLength(5, 3, 2, "same", transpose),
        convOutputLength(4, 3, 2, "same", transpose),
        6,
      ]);
      // The plain convolution of C plus β, computed by tfjs's own layer with the same kernel.
      const K = layer.getWeights()[0] as tf.Tensor4D;
      const t = transpose
        ? tf.conv2dTranspose(x as tf.Tensor4D, K, [2, y.shape[1], y.shape[2], 3], 2, "same")
        : tf.conv2d(x as tf.Tensor4D, K, 2, "same");
      const tb = tf.add(t, tf.tensor1d([0.5, -0.5, 0.25]));
      const [first, second] = tf.split(y, 2, -1);
      expect(maxAbsDiff(first, tf.relu(tb))).toBeLessThan(1e-5);
      expect(maxAbsDiff(second, tf.mul(tf.relu(tf.neg(tb)), 0.25))).toBeLessThan(1e-5);
      expect(layer.pairScales().arraySync()[0]).toBeCloseTo(0.25, 6);
    }
  });

  test("valid padding shapes match tf.layers.conv2d / conv2dTranspose", () => {
    const pairs: [tf.layers.Layer, tf.layers.Layer][] = [
      [
        new InjectiveConv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 1], inputShape: [7, 6, 3] }),
        tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 1], inputShape: [7, 6, 3] }),
      ],
      [
        new InjectiveConv2dTranspose({ filters: 4, kernelSize: 4, strides: 2, inputShape: [3, 5, 3] }),
        tf.layers.conv2dTranspose({ filters: 4, kernelSize: 4, strides: 2, inputShape: [3, 5, 3] }),
      ],
    ];
    for (const [ours, theirs] of pairs) {
      const a = tf.sequential({ layers: [ours] });
      const b = tf.sequential({ layers: [theirs] });
      expect(a.outputs[0].shape).toEqual(b.outputs[0].shape);
    }
  });

  test("rejects an odd number of filters and other bad options", () => {
    expect(() => new InjectiveConv2dTranspose({ filters: 5, kernelSize: 3 })).toThrow(/filters must be even/);
    expect(() => new InjectiveConv2d({ filters: 4, kernelSize: 0 })).toThrow(/kernelSize/);
    expect(() => new InjectiveConv2d({ filters: 4, kernelSize: 3, padding: "causal" as "same" })).toThrow(
      /padding/,
    );
  });
});

describe("serialization", () => {
  test("a model with all three layers saves to memory and reloads with the same outputs (1e-6)", async () => {
    const model = tf.sequential({
      layers: [
        new InjectiveDense({ inputShape: [3], extraUnits: 2, seed: 11, scaleParameterization: "exp" }),
        tf.layers.reshape({ targetShape: [2, 2, 2] }),
        new InjectiveConv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: "same", seed: 12 }),
        new InjectiveConv2d({
          filters: 6,
          kernelSize: 2,
          activation: "linear",
          useBias: false,
          seed: 13,
          initialScale: 3,
        }),
      ],
    });
    // Train one step so that biases and scales are not at their initial values.
    const x = seededInput([8, 3], 5);
    const target = tf.randomUniform(
      model.outputs[0].shape.map((d) => d ?? 8) as number[],
      -1,
      1,
      "float32",
      6,
    );
    model.compile({ optimizer: tf.train.adam(0.05), loss: "meanSquaredError" });
    await model.fit(x, target, { epochs: 1, batchSize: 8, verbose: 0 });
    const { loaded, artifacts } = await roundTrip(model);
    const topology = JSON.stringify(artifacts.modelTopology);
    for (const cls of ["InjectiveDense", "InjectiveConv2dTranspose", "InjectiveConv2d"])
      expect(topology).toContain(`"class_name":"${cls}"`);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    expect(loaded.layers[0]).toBeInstanceOf(InjectiveDense);
    expect(loaded.layers[2]).toBeInstanceOf(InjectiveConv2dTranspose);
    expect(loaded.layers[3]).toBeInstanceOf(InjectiveConv2d);
    const xs = seededInput([4, 3], 9);
    const a = model.predict(xs) as tf.Tensor;
    const b = loaded.predict(xs) as tf.Tensor;
    expect(a.shape).toEqual(b.shape);
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-6);
    expect(tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0])).toBeGreaterThan(0);
  });
});

describe("gradients", () => {
  test("one Adam step changes every free parameter, and the pairs stay exact", () => {
    const dense = new InjectiveDense({ inputShape: [3], extraUnits: 1, seed: 21 });
    const conv = new InjectiveConv2dTranspose({ filters: 4, kernelSize: 2, strides: 2, seed: 22 });
    const model = tf.sequential({ layers: [dense, tf.layers.reshape({ targetShape: [1, 1, 7] }), conv] });
    // Nonzero biases, so the ReLU pattern does not depend on the sign of 0.
    dense.setWeights([
      ...dense.getWeights().slice(0, 2),
      tf.tensor1d([0.1, -0.2, 0.3]),
      ...dense.getWeights().slice(3),
    ]);
    const before = model.getWeights().map((t) => t.arraySync());
    const x = seededInput([16, 3], 31);
    const target = tf.randomNormal([16, 2, 2, 4], 0, 1, "float32", 32);
    const opt = tf.train.adam(0.01);
    opt.minimize(
      () => tf.losses.meanSquaredError(target, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    );
    const after = model.getWeights().map((t) => t.arraySync());
    const names = model.weights.map((w) => w.name.split("/").pop());
    expect(names).toEqual([
      "basis",
      "scale_param",
      "bias",
      "extra_kernel",
      "extra_bias",
      "kernel",
      "scale_param",
      "bias",
    ]);
    after.forEach((w, i) => expect(w, names[i]).not.toEqual(before[i]));
    // The layer still computes [B; −DB] exactly in its own parameterization: the second half of the
    // effective kernel is −d times the first, with d = softplus(ρ) > 0, entry by entry in float32.
    const { kernel } = dense.effectiveWeights();
    const K = kernel.arraySync();
    const rho = after[1] as number[];
    for (let j = 0; j < 3; j++)
      for (let k = 0; k < 3; k++) {
        const d = pairScale(rho[k], "softplus");
        expect(d).toBeGreaterThan(0);
        expect(K[j][3 + k]).toBe(Math.fround(-d * K[j][k]));
      }
    for (const s of conv.pairScales().arraySync()) expect(s).toBeGreaterThan(0);
  });
});
