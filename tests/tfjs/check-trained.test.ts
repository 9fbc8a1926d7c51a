/**
 * Trained models that use the injective TensorFlow.js layers (src/tfjs) are saved as model.json +
 * weights.bin, read back by the toolkit's own TF.js reader (src/io/tfjs.ts) with the layers
 * expanded to their exact effective weights, and proved injective by the exact checker (Corollary 2
 * for InjectiveDense, the rule `conv-pairs` or the exact check of the explicit matrix for the paired
 * convolutions). A regular model of the same shapes never gets "injective".
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as tf from "@tensorflow/tfjs";
import {
  InjectiveConv2d,
  InjectiveConv2dTranspose,
  InjectiveDense,
  fileLoadHandler,
  fileSaveHandler,
} from "../../src/tfjs/index.js";
import { readTfjsLayersModel } from "../../src/io/tfjs-file.js";
import { checkNetwork } from "../../src/network/check-network.js";
import { forwardNetwork, type Network } from "../../src/model/network.js";
import { checkLayer } from "../../src/core/check-layer.js";
import { invertGenerator } from "../../src/invert/invert-generator.js";

const dir = mkdtempSync(join(tmpdir(), "injective-tfjs-"));

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => {
  if (!process.env.KEEP_TFJS_TMP) rmSync(dir, { recursive: true, force: true });
});

/** A few Adam steps of a regression on random data (seeded). */
async function train(model: tf.LayersModel, steps: number, seed: number): Promise<void> {
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const outShape = model.outputs[0].shape.slice(1) as number[];
  const x = tf.randomNormal([32, ...inShape], 0, 1, "float32", seed);
  const y = tf.randomUniform([32, ...outShape], 0, 1, "float32", seed + 1);
  model.compile({ optimizer: tf.train.adam(0.01), loss: "meanSquaredError" });
  await model.fit(x, y, { epochs: steps, batchSize: 32, verbose: 0, shuffle: false });
}

/** Saves to `dir/name` and reads it back with the toolkit's reader. */
async function saveAndRead(model: tf.LayersModel, name: string): Promise<{ path: string; net: Network }> {
  const path = join(dir, name);
  await model.save(fileSaveHandler(path));
  return { path, net: await readTfjsLayersModel(join(path, "model.json")) };
}

/** The largest |tfjs predict − toolkit forward| over seeded inputs, relative to the output scale. */
function forwardGap(model: tf.LayersModel, net: Network, seed: number): number {
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const x = tf.randomNormal([6, ...inShape], 0, 1, "float32", seed);
  const ys = (model.predict(x) as tf.Tensor).reshape([6, -1]).arraySync() as number[][];
  const xs = x.reshape([6, -1]).arraySync() as number[][];
  let gap = 0;
  let scale = 0;
  xs.forEach((xi, r) => {
    const yi = forwardNetwork(net, xi);
    expect(yi.length).toBe(ys[r].length);
    yi.forEach((v, j) => {
      gap = Math.max(gap, Math.abs(v - ys[r][j]));
      scale = Math.max(scale, Math.abs(ys[r][j]));
    });
  });
  expect(scale).toBeGreaterThan(0);
  return gap / scale;
}

function cli(args: string[]): { status: number | null; json: Record<string, unknown> } {
  const r = spawnSync(process.execPath, ["dist/src/cli/main.js", ...args, "--json"], { encoding: "utf8" });
  return { status: r.status, json: JSON.parse(r.stdout) as Record<string, unknown> };
}

describe("a trained dense model of InjectiveDense layers", () => {
  test("loads with its exact [B; −DB; M] weights and is proved injective (Corollary 2)", async () => {
    const model = tf.sequential({
      layers: [
        new InjectiveDense({ inputShape: [3], extraUnits: 1, seed: 1, name: "expand" }),
        new InjectiveDense({ seed: 2, name: "expand2", scaleParameterization: "exp" }),
        tf.layers.dense({ units: 14, activation: "tanh", name: "mix" }),
      ],
    });
    await train(model, 8, 10);
    const { path, net } = await saveAndRead(model, "dense");
    expect(net.layers.map((l) => [l.W?.length, l.activation])).toEqual([
      [7, "relu"],
      [14, "relu"],
      [14, "tanh"],
    ]);
    // Layer 0 is exactly [B; −DB; M]: row 3 + k = −d_k · row k, entry by entry, with d_k > 0.
    const W0 = net.layers[0].W!;
    for (let k = 0; k < 3; k++) {
      const d = -W0[3 + k][0] / W0[k][0];
      expect(d).toBeGreaterThan(0);
      W0[k].forEach((v, j) => expect(W0[3 + k][j]).toBe(-d * v));
      expect(net.layers[0].b![3 + k]).toBe(-d * net.layers[0].b![k]);
    }
    expect(forwardGap(model, net, 3)).toBeLessThan(1e-5);
    const r = await checkNetwork(net, { timeLimitMs: 30_000 });
    expect(r.injective).toBe(true);
    expect(r.layers.map((l) => [l.injective, l.method, l.exact])).toEqual([
      [true, "structure", true],
      [true, "structure", true],
      [true, "one-to-one-rank", true],
    ]);
    // The same through the CLI, on the saved folder.
    const c = cli(["check", path]);
    expect(c.status).toBe(0);
    expect(c.json.injective).toBe(true);
    // And tfjs reads the folder back (the layers are registered).
    const again = await tf.loadLayersModel(fileLoadHandler(path));
    const x = tf.randomNormal([4, 3], 0, 1, "float32", 5);
    const gap = tf.tidy(
      () =>
        tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, again.predict(x) as tf.Tensor))).dataSync()[0],
    );
    expect(gap).toBeLessThanOrEqual(1e-6);
  });

  test("the regular Dense twin of the same shapes is never called injective", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 7, activation: "relu", name: "expand" }),
        tf.layers.dense({ units: 14, activation: "relu", name: "expand2" }),
        tf.layers.dense({ units: 14, activation: "tanh", name: "mix" }),
      ],
    });
    await train(model, 8, 10);
    const { path, net } = await saveAndRead(model, "dense-regular");
    expect(forwardGap(model, net, 3)).toBeLessThan(1e-5);
    const r = await checkNetwork(net, { timeLimitMs: 30_000 });
    expect(r.injective).not.toBe(true);
    const first = await checkLayer(net.layers[0].W!, net.layers[0].b ?? null, { timeLimitMs: 30_000 });
    expect(first.injective).not.toBe(true);
    const c = cli(["check", path]);
    expect(c.status === 1 || c.status === 2).toBe(true);
    expect(c.json.injective).not.toBe(true);
  });
});

describe("a trained generator with InjectiveDense and InjectiveConv2dTranspose", () => {
  /** z (4) → InjectiveDense → 2×2×2 → paired transposed conv → 4×4×4 → 1-channel transposed conv, tanh. */
  function generator(injective: boolean): tf.Sequential {
    return tf.sequential({
      layers: [
        injective
          ? new InjectiveDense({ inputShape: [4], seed: 3, name: "fc" })
          : tf.layers.dense({ inputShape: [4], units: 8, activation: "relu", name: "fc" }),
        tf.layers.reshape({ targetShape: [2, 2, 2], name: "to_image" }),
        injective
          ? new InjectiveConv2dTranspose({
              filters: 4,
              kernelSize: 4,
              strides: 2,
              padding: "same",
              seed: 4,
              name: "up1",
            })
          : tf.layers.conv2dTranspose({
              filters: 4,
              kernelSize: 4,
              strides: 2,
              padding: "same",
              activation: "relu",
              name: "up1",
            }),
        tf.layers.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2, activation: "tanh", name: "out" }),
      ],
    });
  }

  test("loads (channels-last reordered), matches tfjs, and is proved injective layer by layer", async () => {
    const model = generator(true);
    await train(model, 6, 20);
    const { path, net } = await saveAndRead(model, "generator");
    expect(net.layers.map((l) => l.conv?.op ?? l.reshape?.op ?? "dense")).toEqual([
      "dense",
      "reshape",
      "conv_transpose",
      "conv_transpose",
    ]);
    expect(forwardGap(model, net, 7)).toBeLessThan(1e-5);
    const t0 = performance.now();
    const r = await checkNetwork(net, { timeLimitMs: 60_000 });
    const ms = performance.now() - t0;
    expect(r.injective).toBe(true);
    expect(r.layers.map((l) => [l.injective, l.exact])).toEqual([
      [true, true],
      [true, false], // a reshape: the identity, nothing to re-check
      [true, true],
      [true, true],
    ]);
    expect(r.layers[0].method).toBe("structure");
    expect(r.layers[2].method).toBe("structure");
    const c = cli(["check", path]);
    expect(c.status).toBe(0);
    expect(c.json.injective).toBe(true);
    // invert recovers z from tfjs's own float32 output G(z).
    const z = tf.randomNormal([1, 4], 0, 1, "float32", 8);
    const y = Array.from((model.predict(z) as tf.Tensor).dataSync());
    const inv = invertGenerator(net, y, { seed: 1 });
    expect(["unique", "found"]).toContain(inv.status);
    const zs = Array.from(z.dataSync());
    inv.z.forEach((v, j) => expect(Math.abs(v - zs[j])).toBeLessThan(1e-3));
    console.log(
      `generator: ${r.conclusion}, ${ms.toFixed(0)} ms; layers ${r.layers.map((l) => `${l.rule}/${l.method}`).join(", ")}`,
    );
  });

  test("its regular twin is never called injective", async () => {
    const model = generator(false);
    await train(model, 6, 20);
    const { path, net } = await saveAndRead(model, "generator-regular");
    expect(forwardGap(model, net, 7)).toBeLessThan(1e-5);
    const r = await checkNetwork(net, { timeLimitMs: 60_000 });
    expect(r.injective).not.toBe(true);
    const c = cli(["check", path]);
    expect(c.json.injective).not.toBe(true);
  });
});

describe("an image output with several channels", () => {
  test("check reads it in channels-first order and proves it; the strict reader refuses it", async () => {
    const model = tf.sequential({
      layers: [
        new InjectiveDense({ inputShape: [4], seed: 51, name: "fc" }),
        tf.layers.reshape({ targetShape: [2, 2, 2] }),
        new InjectiveConv2dTranspose({
          filters: 4,
          kernelSize: 4,
          strides: 2,
          padding: "same",
          seed: 52,
          name: "up",
        }),
      ],
    });
    await train(model, 3, 50);
    const path = join(dir, "multi-channel");
    await model.save(fileSaveHandler(path));
    await expect(readTfjsLayersModel(join(path, "model.json"))).rejects.toThrow(
      /output has shape \[4, 4, 4\]/,
    );
    const c = cli(["check", path]);
    expect(c.status).toBe(0);
    expect(c.json.injective).toBe(true);
    expect((c.json.layers as { rule: string }[]).map((l) => l.rule)).toEqual([
      "relu",
      "identity",
      "conv-exact",
    ]);
  });
});

describe("a larger paired transposed convolution (the rule conv-pairs)", () => {
  test("8×8×8 → 16×16×16 with 8 pairs: proved by the exact rank of C's convolution, no explicit check of the full matrix", async () => {
    const model = tf.sequential({
      layers: [
        new InjectiveDense({ inputShape: [8], extraUnits: 16, seed: 5, name: "fc" }),
        tf.layers.reshape({ targetShape: [4, 4, 2] }),
        new InjectiveConv2dTranspose({
          filters: 8,
          kernelSize: 4,
          strides: 2,
          padding: "same",
          seed: 6,
          name: "up1",
        }),
        new InjectiveConv2dTranspose({
          filters: 16,
          kernelSize: 4,
          strides: 2,
          padding: "same",
          seed: 7,
          name: "up2",
        }),
        tf.layers.conv2d({ filters: 1, kernelSize: 1, name: "down" }),
      ],
    });
    await train(model, 3, 30);
    const { net } = await saveAndRead(model, "larger");
    expect(forwardGap(model, net, 9)).toBeLessThan(1e-5);
    // The prefix up to the paired layer of 512 inputs (> 64: no explicit exact check).
    const prefix: Network = { ...net, layers: net.layers.slice(0, 4) };
    const t0 = performance.now();
    const r = await checkNetwork(prefix, { timeLimitMs: 60_000 });
    const ms = performance.now() - t0;
    console.log(
      `larger prefix: ${r.conclusion}, ${ms.toFixed(0)} ms; layers ${r.layers.map((l) => `${l.rule}/${l.method}/${l.timeMs.toFixed(0)}ms`).join(", ")}`,
    );
    expect(r.layers[3]).toMatchObject({ rule: "conv-pairs", injective: true, exact: true, n: 512, m: 4096 });
    expect(r.injective).toBe(true);
  });
});

describe("a trained encoder with InjectiveConv2d, Flatten and InjectiveDense", () => {
  test("image → paired convolution (conv-pairs) → Flatten (columns reordered) → InjectiveDense: proved", async () => {
    const model = tf.sequential({
      layers: [
        new InjectiveConv2d({
          inputShape: [9, 9, 1],
          filters: 2,
          kernelSize: 3,
          padding: "same",
          seed: 41,
          name: "conv",
        }),
        tf.layers.flatten(),
        new InjectiveDense({ seed: 42, name: "fc", scaleParameterization: "exp" }),
      ],
    });
    await train(model, 4, 40);
    const { net } = await saveAndRead(model, "encoder");
    expect(forwardGap(model, net, 11)).toBeLessThan(1e-5);
    const r = await checkNetwork(net, { timeLimitMs: 60_000 });
    expect(r.layers.map((l) => [l.rule, l.injective, l.exact])).toEqual([
      ["conv-pairs", true, true],
      ["identity", true, false],
      // 162 columns: the exact pairs of InjectiveDense and the exact rank of B (rule dense-pairs).
      ["dense-pairs", true, true],
    ]);
    expect(r.layers[2].method).toBe("structure");
    expect(r.injective).toBe(true);
  });
});

describe("the committed examples (docs/tfjs.md)", () => {
  test("the trained injective generator is proved, its regular twin has a witness", async () => {
    const inj = await checkNetwork(
      await readTfjsLayersModel("examples/models/tfjs-injective-generator/model.json"),
    );
    expect(inj.injective).toBe(true);
    expect(inj.layers.map((l) => [l.rule, l.method])).toEqual([
      ["relu", "structure"],
      ["identity", "identity"],
      ["conv-pairs", "structure"],
      ["conv-exact", "one-to-one-rank"],
    ]);
    const reg = await checkNetwork(
      await readTfjsLayersModel("examples/models/tfjs-regular-generator/model.json"),
    );
    expect(reg.injective).toBe(false);
    expect(reg.witness?.exact).toBe(true);
  });
});
