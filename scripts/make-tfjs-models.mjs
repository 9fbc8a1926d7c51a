#!/usr/bin/env node
/**
 * Writes the TF.js and safetensors example models of examples/models/ and their expected outputs:
 *
 *     node scripts/make-tfjs-models.mjs
 *
 * - tfjs-injective/ (Sequential): Dense 3 → 6 with Corollary 2 weights [B; −DB] (D = diag of powers
 *   of two), relu; Dense 6 → 6 tanh (invertible triangular); BatchNormalization; Dense 6 → 6 linear;
 *   LeakyReLU(alpha 0.25).
 * - tfjs-injective-functional/: the same layers and weights as a Functional model (tf.model).
 * - tfjs-noninjective/ (Sequential): Dense 3 → 6 with [B; DB] (no sign change, so every x with
 *   Bx < 0 maps to 0), relu; Dense 6 → 4 tanh.
 * - safetensors-injective.safetensors + safetensors-injective.layers.json: tfjs-injective's weights
 *   in PyTorch layout ("0.weight" is (out, in)), F32.
 *
 * The models are built with @tensorflow/tfjs (a devDependency; cpu backend), saved through
 * tf.io.withSaveHandler and written as model.json + weights.bin with node fs. tfjs-expected.json
 * holds tfjs's own predict() outputs (float32) at seeded inputs; the safetensors model shares the
 * outputs of tfjs-injective.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import console from "node:console";
import * as tf from "@tensorflow/tfjs";

const OUT = "examples/models";
await tf.setBackend("cpu");

// Corollary 2: W = [B; −DB], B invertible, D = diag(2, 0.5, 1).
const B = [
  [1, 0.5, 0],
  [0, 1, -0.25],
  [0.5, 0, 1],
];
const D = [2, 0.5, 1];
const W0inj = [...B, ...B.map((row, i) => row.map((v) => -D[i] * v))];
const W0non = [...B, ...B.map((row, i) => row.map((v) => D[i] * v))];
// Nonnegative biases keep each pair (row i, row n + i) from vanishing together.
const b0 = [0, 0.25, 0, 0, 0.25, 0.5];
// Lower triangular with nonzero diagonal: invertible.
const W1 = Array.from({ length: 6 }, (_, i) =>
  Array.from({ length: 6 }, (_, j) =>
    j === i ? 0.5 + 0.25 * (i % 2) : j < i ? 0.125 * (((i + j) % 3) - 1) : 0,
  ),
);
const b1 = [0, 0.125, -0.125, 0.25, 0, -0.25];
const bn = {
  gamma: [1, 2, 0.5, 1, 1.5, 1],
  beta: [0, 0.25, 0, -0.5, 0, 1],
  mean: [0.25, 0, 0, 0.5, 0, 0],
  var: [1, 4, 0.25, 1, 1, 2],
  epsilon: 0.001,
};
const W2 = Array.from({ length: 6 }, (_, i) =>
  Array.from({ length: 6 }, (_, j) => (j === i ? 1 : j === i - 1 ? 0.5 : 0)),
);
const b2 = [0.125, 0, 0, -0.125, 0, 0];
const Wn1 = [
  [1, 0.5, 0, 0.25, 0, 0],
  [0, 1, 0, 0, 0.5, 0],
  [0.25, 0, 1, 0, 0, 0.5],
  [0, 0, 0.5, 1, 0, 0],
];
const bn1 = [0, 0.25, 0, -0.25];

const T = (M) => M[0].map((_, j) => M.map((row) => row[j]));
/** tf kernel [in, out] from our W (out, in). */
const kernel = (W) => tf.tensor2d(T(W));

function injectiveLayers() {
  return [
    tf.layers.dense({
      units: 6,
      activation: "relu",
      inputShape: [3],
      name: "expand",
      weights: [kernel(W0inj), tf.tensor1d(b0)],
    }),
    tf.layers.dense({ units: 6, activation: "tanh", name: "mix", weights: [kernel(W1), tf.tensor1d(b1)] }),
    tf.layers.batchNormalization({
      name: "norm",
      epsilon: bn.epsilon,
      weights: [tf.tensor1d(bn.gamma), tf.tensor1d(bn.beta), tf.tensor1d(bn.mean), tf.tensor1d(bn.var)],
    }),
    tf.layers.dense({ units: 6, name: "out", weights: [kernel(W2), tf.tensor1d(b2)] }),
    tf.layers.leakyReLU({ alpha: 0.25, name: "leaky" }),
  ];
}

const injective = tf.sequential({ layers: injectiveLayers() });
const input = tf.input({ shape: [3], name: "z" });
let h = input;
for (const layer of injectiveLayers()) h = layer.apply(h);
const functional = tf.model({ inputs: input, outputs: h, name: "functional_injective" });
const noninjective = tf.sequential({
  layers: [
    tf.layers.dense({
      units: 6,
      activation: "relu",
      inputShape: [3],
      name: "expand",
      weights: [kernel(W0non), tf.tensor1d(b0)],
    }),
    tf.layers.dense({
      units: 4,
      activation: "tanh",
      name: "project",
      weights: [kernel(Wn1), tf.tensor1d(bn1)],
    }),
  ],
});

async function save(model, dir) {
  mkdirSync(join(OUT, dir), { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
      };
      writeFileSync(join(OUT, dir, "model.json"), JSON.stringify(modelJson, null, 1) + "\n");
      writeFileSync(join(OUT, dir, "weights.bin"), Buffer.from(artifacts.weightData));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
}

// Seeded inputs (a small LCG, uniform on [−2, 2]).
let state = 12345;
const rand = () => {
  state = (state * 1103515245 + 12345) % 2147483648;
  return (state / 2147483648) * 4 - 2;
};
const inputs = Array.from({ length: 6 }, () => Array.from({ length: 3 }, () => Math.fround(rand())));

const expected = { tfjs: tf.version.tfjs, backend: tf.getBackend(), models: {} };
for (const [name, model] of [
  ["tfjs-injective", injective],
  ["tfjs-injective-functional", functional],
  ["tfjs-noninjective", noninjective],
]) {
  await save(model, name);
  const outputs = model.predict(tf.tensor2d(inputs)).arraySync();
  expected.models[name] = { modelJson: `${name}/model.json`, inputs, outputs };
}

// safetensors: the injective model's weights in PyTorch layout.
const tensors = {
  "0.weight": W0inj,
  "0.bias": b0,
  "2.weight": W1,
  "2.bias": b1,
  "4.weight": bn.gamma,
  "4.bias": bn.beta,
  "4.running_mean": bn.mean,
  "4.running_var": bn.var,
  "5.weight": W2,
  "5.bias": b2,
};
const header = {};
const chunks = [];
let offset = 0;
for (const [name, value] of Object.entries(tensors)) {
  const flat = value.flat();
  const shape = Array.isArray(value[0]) ? [value.length, value[0].length] : [value.length];
  const buf = Buffer.alloc(flat.length * 4);
  flat.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + buf.length] };
  chunks.push(buf);
  offset += buf.length;
}
header.__metadata__ = { source: "scripts/make-tfjs-models.mjs" };
let headerText = JSON.stringify(header);
headerText += " ".repeat((8 - (headerText.length % 8)) % 8);
const len = Buffer.alloc(8);
len.writeBigUInt64LE(BigInt(headerText.length));
writeFileSync(
  join(OUT, "safetensors-injective.safetensors"),
  Buffer.concat([len, Buffer.from(headerText), ...chunks]),
);
writeFileSync(
  join(OUT, "safetensors-injective.layers.json"),
  JSON.stringify(
    {
      format: "injective-relu/safetensors-layers",
      version: 1,
      layers: [
        { type: "dense", weight: "0.weight", bias: "0.bias", activation: "relu" },
        { type: "dense", weight: "2.weight", bias: "2.bias", activation: "tanh" },
        {
          type: "batchnorm",
          gamma: "4.weight",
          beta: "4.bias",
          mean: "4.running_mean",
          var: "4.running_var",
          epsilon: bn.epsilon,
        },
        { type: "dense", weight: "5.weight", bias: "5.bias", activation: "leaky_relu", alpha: 0.25 },
      ],
    },
    null,
    2,
  ) + "\n",
);
expected.models["safetensors-injective"] = {
  safetensors: "safetensors-injective.safetensors",
  inputs,
  outputs: expected.models["tfjs-injective"].outputs,
};
writeFileSync(join(OUT, "tfjs-expected.json"), JSON.stringify(expected, null, 1) + "\n");
console.log(`wrote ${Object.keys(expected.models).join(", ")} to ${OUT}`);
