/**
 * TF.js layers-model import (src/io/tfjs.ts): the example models written by
 * scripts/make-tfjs-models.mjs with @tensorflow/tfjs round-trip against tfjs's own predict()
 * outputs, the verdicts of checkNetwork are the expected ones, and bad files give one-line errors.
 */

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readNetworkFile } from "../../src/io/network-file.js";
import { parseTfjsLayersModel } from "../../src/io/tfjs.js";
import { readTfjsLayersModel } from "../../src/io/tfjs-file.js";
import { FileFormatError } from "../../src/io/errors.js";
import { forwardNetwork } from "../../src/model/network.js";
import { checkNetwork } from "../../src/network/check-network.js";

const DIR = "examples/models";
const expected = JSON.parse(readFileSync(join(DIR, "tfjs-expected.json"), "utf8")) as {
  models: Record<string, { inputs: number[][]; outputs: number[][] }>;
};

function expectClose(net: Parameters<typeof forwardNetwork>[0], name: string): void {
  const { inputs, outputs } = expected.models[name];
  inputs.forEach((z, k) => {
    const y = forwardNetwork(net, z);
    expect(y.length).toBe(outputs[k].length);
    y.forEach((v, i) =>
      expect(Math.abs(v - outputs[k][i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(outputs[k][i]))),
    );
  });
}

/** A copy of a model directory in a temp dir, to damage. */
function copyModel(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "tfjs-")), name);
  mkdirSync(dir);
  for (const f of ["model.json", "weights.bin"]) copyFileSync(join(DIR, name, f), join(dir, f));
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<FileFormatError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FileFormatError);
  const err = e as FileFormatError;
  expect(err.message).not.toContain("\n");
  return err;
}

describe("TF.js layers models", () => {
  for (const name of ["tfjs-injective", "tfjs-injective-functional", "tfjs-noninjective"]) {
    it(`${name}: the import matches tfjs's predict() to 1e-5`, async () => {
      expectClose(await readTfjsLayersModel(join(DIR, name, "model.json")), name);
    });
  }

  it("readNetworkFile dispatches a directory and a model.json to the TF.js importer", async () => {
    const a = await readNetworkFile(join(DIR, "tfjs-injective"));
    const b = await readNetworkFile(join(DIR, "tfjs-injective", "model.json"));
    expect(a).toEqual(b);
    expect(a.inputDim).toBe(3);
    expect(a.layers.map((l) => l.activation)).toEqual(["relu", "tanh", "linear", "leaky_relu"]);
    expect(a.layers[2].batchnorm?.epsilon).toBeCloseTo(0.001, 9);
    expect(a.layers[3].alpha).toBeCloseTo(0.25, 9);
  });

  it("checkNetwork: the injective generator is injective, the other one is not", async () => {
    const inj = await checkNetwork(await readNetworkFile(join(DIR, "tfjs-injective")));
    expect(inj.injective).toBe(true);
    const non = await checkNetwork(await readNetworkFile(join(DIR, "tfjs-noninjective")));
    expect(non.injective).toBe(false);
  });

  it("an unsupported layer class is named with the layer", async () => {
    const dir = copyModel("tfjs-injective");
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    json.modelTopology.config.layers[1].class_name = "SeparableConv2D";
    writeFileSync(join(dir, "model.json"), JSON.stringify(json));
    const e = await errorOf(readNetworkFile(dir));
    expect(e.message).toMatch(
      /model\.json: unsupported layer class SeparableConv2D \(layer "mix"\); supported: Dense/,
    );
  });

  it("corrupt JSON, a missing shard and a short shard are one-line errors", async () => {
    const dir = copyModel("tfjs-injective");
    const path = join(dir, "model.json");
    const good = readFileSync(path, "utf8");
    writeFileSync(path, good.slice(0, 200));
    expect((await errorOf(readTfjsLayersModel(path))).message).toMatch(/^.*model\.json: invalid JSON/);

    writeFileSync(path, good);
    const bin = readFileSync(join(dir, "weights.bin"));
    writeFileSync(join(dir, "weights.bin"), bin.subarray(0, bin.length - 8));
    expect((await errorOf(readTfjsLayersModel(path))).message).toMatch(
      /"weights\.bin" hold \d+ bytes, but their float32 weights need \d+ \(truncated\)/,
    );

    writeFileSync(path, good.replace('"weights.bin"', '"missing.bin"'));
    expect((await errorOf(readTfjsLayersModel(path))).message).toMatch(
      /cannot read the weight shard "missing\.bin" \(no such file\)/,
    );
  });

  it("parseTfjsLayersModel: branches, a missing weight, activations and center/scale false", () => {
    const dense = (name: string, units: number, extra: object = {}) => ({
      class_name: "Dense",
      config: { name, units, activation: "linear", use_bias: false, ...extra },
    });
    const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);
    const model = (layers: object[], weights: object[]) => ({
      modelTopology: { class_name: "Sequential", config: { name: "m", layers } },
      weightsManifest: [{ paths: ["w.bin"], weights }],
    });
    // Dense 2 → 2 (kernel [[1, 2], [3, 4]] so W = [[1, 3], [2, 4]]), Activation relu fuses.
    const m1 = model(
      [
        dense("d", 2, { batch_input_shape: [null, 2] }),
        { class_name: "Activation", config: { name: "a", activation: "relu" } },
      ],
      [{ name: "d/kernel", shape: [2, 2], dtype: "float32" }],
    );
    const net = parseTfjsLayersModel(m1, f32([1, 2, 3, 4]), "m.json");
    expect(net.layers).toHaveLength(1);
    expect(net.layers[0]).toMatchObject({
      W: [
        [1, 3],
        [2, 4],
      ],
      activation: "relu",
    });

    expect(() => parseTfjsLayersModel(m1, f32([1, 2, 3]), "m.json")).toThrow(
      /m\.json: the weight shards hold 12 bytes/,
    );
    const bad = model(
      [dense("d", 2, { batch_input_shape: [null, 2], activation: "softmax" })],
      [{ name: "d/kernel", shape: [2, 2], dtype: "float32" }],
    );
    expect(() => parseTfjsLayersModel(bad, f32([1, 2, 3, 4]), "m.json")).toThrow(/activation "softmax"/);
    const noBias = model(
      [dense("d", 2, { batch_input_shape: [null, 2], use_bias: true })],
      [{ name: "d/kernel", shape: [2, 2], dtype: "float32" }],
    );
    expect(() => parseTfjsLayersModel(noBias, f32([1, 2, 3, 4]), "m.json")).toThrow(
      /the weight "d\/bias" is not in the weightsManifest/,
    );

    // BatchNormalization with center = scale = false: only moving_mean / moving_variance.
    const bn = model(
      [
        { class_name: "InputLayer", config: { name: "in", batch_input_shape: [null, 2] } },
        { class_name: "BatchNormalization", config: { name: "bn", center: false, scale: false, epsilon: 0 } },
      ],
      [
        { name: "bn/moving_mean", shape: [2], dtype: "float32" },
        { name: "bn/moving_variance", shape: [2], dtype: "float32" },
      ],
    );
    const bnNet = parseTfjsLayersModel(bn, f32([1, -1, 4, 0.25]), "m.json");
    expect(forwardNetwork(bnNet, [3, 1])).toEqual([1, 4]);

    // A Functional model with a branch is refused.
    const branch = {
      modelTopology: {
        class_name: "Functional",
        config: {
          layers: [
            {
              name: "in",
              class_name: "InputLayer",
              config: { name: "in", batch_input_shape: [null, 2] },
              inbound_nodes: [],
            },
            { name: "a", class_name: "Flatten", config: { name: "a" }, inbound_nodes: [[["in", 0, 0, {}]]] },
            { name: "b", class_name: "Flatten", config: { name: "b" }, inbound_nodes: [[["in", 0, 0, {}]]] },
          ],
          input_layers: [["in", 0, 0]],
          output_layers: [["b", 0, 0]],
        },
      },
      weightsManifest: [],
    };
    expect(() => parseTfjsLayersModel(branch, [], "m.json")).toThrow(
      /m\.json: layer "b" consumes "in", not the previous layer "a": only a linear chain/,
    );
    expect(() => parseTfjsLayersModel({ format: "graph-model" }, [], "m.json")).toThrow(/no "modelTopology"/);
  });
});
