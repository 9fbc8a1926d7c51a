#!/usr/bin/env node
/**
 * Trains and saves the example generators of docs/tfjs.md ("Injective layers"), after
 * `npm run build`:
 *
 *     npm run build && node scripts/make-tfjs-injective-models.mjs
 *
 * - examples/models/tfjs-injective-generator/: z (16) → InjectiveDense (16 pairs + 48 free rows,
 *   80 units) → Reshape 4×4×5 → InjectiveConv2dTranspose (5 pairs, 3×3, stride 1, same) → 4×4×10 →
 *   Conv2DTranspose (1 filter, 4×4, stride 4, tanh) → 16×16×1 (256 outputs);
 * - examples/models/tfjs-regular-generator/: the same shapes with Dense / Conv2DTranspose + ReLU.
 *
 * Both are trained for 20 Adam steps (learning rate 0.01, batch 32) to regress seeded random
 * images from seeded z, on tfjs's cpu backend, and saved with the package's file IOHandler.
 */

import console from "node:console";
import * as tf from "@tensorflow/tfjs";
import { InjectiveConv2dTranspose, InjectiveDense, fileSaveHandler } from "../dist/src/tfjs/index.js";

await tf.setBackend("cpu");

function generator(injective) {
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      injective
        ? new InjectiveDense({ inputShape: [16], extraUnits: 48, seed: 1, name: "fc" })
        : tf.layers.dense({
            inputShape: [16],
            units: 80,
            activation: "relu",
            kernelInitializer: init(1),
            name: "fc",
          }),
      tf.layers.reshape({ targetShape: [4, 4, 5], name: "to_image" }),
      injective
        ? new InjectiveConv2dTranspose({
            filters: 10,
            kernelSize: 3,
            padding: "same",
            seed: 2,
            name: "pairs",
          })
        : tf.layers.conv2dTranspose({
            filters: 10,
            kernelSize: 3,
            padding: "same",
            activation: "relu",
            kernelInitializer: init(2),
            name: "pairs",
          }),
      tf.layers.conv2dTranspose({
        filters: 1,
        kernelSize: 4,
        strides: 4,
        activation: "tanh",
        kernelInitializer: init(3),
        name: "out",
      }),
    ],
  });
}

for (const [name, injective] of [
  ["tfjs-injective-generator", true],
  ["tfjs-regular-generator", false],
]) {
  const model = generator(injective);
  const z = tf.randomNormal([32, 16], 0, 1, "float32", 10);
  const images = tf.randomUniform([32, 16, 16, 1], -1, 1, "float32", 11);
  model.compile({ optimizer: tf.train.adam(0.01), loss: "meanSquaredError" });
  const h = await model.fit(z, images, { epochs: 20, batchSize: 32, verbose: 0, shuffle: false });
  await model.save(fileSaveHandler(`examples/models/${name}`));
  console.log(`${name}: loss ${h.history.loss[0].toFixed(4)} → ${h.history.loss.at(-1).toFixed(4)}`);
}
