/**
 * DataParallelTrainer (src/tfjs/data-parallel.ts): a step on two worker threads equals a
 * single-thread step on the whole batch up to float32 rounding, batch norm included (the
 * workers share batch statistics). Gradients are compared through one plain gradient-descent
 * step with learning rate 1 (the update is the gradient), losses through Adam steps. The workers
 * run the compiled dist/ modules (`npm test` builds first).
 */

import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupTrainingBackend } from "../../src/tfjs/backend.js";
import { DataParallelTrainer, type TrainingTask } from "../../src/tfjs/data-parallel.js";
import {
  adamStep,
  dcganBatch,
  dcganTask,
  ganIterationTask,
  localMinimizer,
  type DcganNet,
} from "../../src/tfjs/dcgan-steps.js";

const workerUrl = new URL("../../dist/src/tfjs/data-parallel-worker.js", import.meta.url);
const SIZES = { z: 8, width: 2, image: 16 as const, seed: 5 };

beforeAll(async () => {
  await setupTrainingBackend();
});

afterAll(async () => {
  await setupTrainingBackend();
});

function single(net: DcganNet, batch: number) {
  const task = dcganTask(net, SIZES);
  const { input, target } = dcganBatch(task, batch, 21);
  return {
    task,
    input,
    target,
    x: Float32Array.from(input.dataSync()),
    y: Float32Array.from(target.dataSync()),
  };
}

describe("DataParallelTrainer", () => {
  it.each([
    ["generator", 6],
    ["discriminator", 7],
    ["encoder", 6],
  ] as [DcganNet, number][])(
    "%s, batch %i: the gradient on 2 workers equals the whole-batch gradient",
    async (net, batch) => {
      const s = single(net, batch);
      const w0 = s.task.model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      const vars = s.task.model.trainableWeights.map((w) => w.read() as tf.Variable);
      tf.train.sgd(1).minimize(() => s.task.loss(s.input, s.target), false, vars);
      const w1 = s.task.model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      const trainer = await DataParallelTrainer.create({
        net,
        sizes: SIZES,
        workers: 2,
        optimizer: "sgd",
        learningRate: 1,
        workerUrl,
      });
      try {
        await trainer.step(s.x, s.y, batch);
        const w2 = await trainer.getWeights();
        expect(w2.length).toBe(w1.length);
        let moved = 0;
        w1.forEach((a, i) => {
          let diff = 0;
          let upd = 0;
          for (let j = 0; j < a.length; j++) {
            diff = Math.max(diff, Math.abs(a[j] - w2[i].values[j]));
            upd = Math.max(upd, Math.abs(a[j] - w0[i][j]));
          }
          if (upd > 0) moved++;
          // Relative to the largest entry of the update (the gradient, or the moving statistics' change).
          expect(diff, `${s.task.model.weights[i].name}`).toBeLessThanOrEqual(1e-4 * Math.max(upd, 1e-12));
        });
        expect(moved).toBe(w1.length);
      } finally {
        await trainer.dispose();
        s.task.model.dispose();
      }
    },
  );

  it("3 Adam steps of the generator: the losses equal the single-thread ones to 1e-4 relative", async () => {
    const s = single("generator", 8);
    const step = adamStep(s.task);
    const expected = [0, 1, 2].map(() => step(s.input, s.target));
    const trainer = await DataParallelTrainer.create({
      net: "generator",
      sizes: SIZES,
      workers: 2,
      workerUrl,
    });
    try {
      const got: number[] = [];
      for (let k = 0; k < 3; k++) got.push(await trainer.step(s.x, s.y, 8));
      got.forEach((l, k) =>
        expect(Math.abs(l - expected[k]) / Math.abs(expected[k]), `step ${k}`).toBeLessThanOrEqual(1e-4),
      );
      expect(got[2]).toBeLessThan(got[0]);
    } finally {
      await trainer.dispose();
      s.task.model.dispose();
    }
  });

  it("the GAN iteration (D, G through D, encoder) on 2 workers equals the single-thread one", async () => {
    const batch = 6;
    const real = tf.randomUniform([batch, 16, 16, 1], -1, 1, "float32", 31);
    const z = tf.randomNormal([batch, SIZES.z], 0, 1, "float32", 32);
    const task = ganIterationTask(SIZES);
    const w0 = task.models.map((m) => m.getWeights().map((w) => Float32Array.from(w.dataSync())));
    const lr = 0.05;
    const expected = task.step(localMinimizer([0, 1, 2].map(() => tf.train.sgd(lr))), real, z);
    const w1 = task.models.map((m) => m.getWeights().map((w) => Float32Array.from(w.dataSync())));
    const trainer = await DataParallelTrainer.create({
      net: "gan",
      sizes: SIZES,
      workers: 2,
      optimizer: "sgd",
      learningRate: lr,
      workerUrl,
    });
    try {
      const losses = await trainer.stepLosses(
        Float32Array.from(real.dataSync()),
        Float32Array.from(z.dataSync()),
        batch,
      );
      expect(losses.length).toBe(3);
      losses.forEach((l, i) =>
        expect(Math.abs(l - expected[i]) / Math.abs(expected[i]), `loss ${i}`).toBeLessThanOrEqual(1e-4),
      );
      const w2 = await trainer.getAllWeights();
      w1.forEach((ws, m) =>
        ws.forEach((a, i) => {
          let diff = 0;
          let upd = 0;
          for (let j = 0; j < a.length; j++) {
            diff = Math.max(diff, Math.abs(a[j] - w2[m][i].values[j]));
            upd = Math.max(upd, Math.abs(a[j] - w0[m][i][j]));
          }
          expect(upd, `model ${m} weight ${i}`).toBeGreaterThan(0);
          expect(diff, `model ${m} weight ${i}`).toBeLessThanOrEqual(1e-3 * upd);
        }),
      );
    } finally {
      await trainer.dispose();
      task.models.forEach((m) => m.dispose());
      tf.dispose([real, z]);
    }
  });

  it("trains a model from a task module (dense layers with batch norm) like a single thread", async () => {
    const module = new URL("./fixtures/dense-task.mjs", import.meta.url).href;
    const taskOptions = { inputs: 5, seed: 3 };
    const { createTask } = (await import(module)) as { createTask: (o: unknown) => TrainingTask };
    const task = createTask(taskOptions);
    const batch = 9;
    const x = tf.randomNormal([batch, 5], 0, 1, "float32", 1);
    const y = tf.randomUniform([batch, 2], -1, 1, "float32", 2);
    const w0 = task.model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    const vars = task.model.trainableWeights.map((w) => w.read() as tf.Variable);
    tf.train.sgd(1).minimize(() => task.loss(x, y), false, vars);
    const w1 = task.model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    const trainer = await DataParallelTrainer.create({
      module,
      taskOptions,
      workers: 2,
      optimizer: "sgd",
      learningRate: 1,
      workerUrl,
    });
    try {
      await trainer.step(Float32Array.from(x.dataSync()), Float32Array.from(y.dataSync()), batch);
      const w2 = await trainer.getWeights();
      w1.forEach((a, i) => {
        let diff = 0;
        let upd = 0;
        for (let j = 0; j < a.length; j++) {
          diff = Math.max(diff, Math.abs(a[j] - w2[i].values[j]));
          upd = Math.max(upd, Math.abs(a[j] - w0[i][j]));
        }
        const name = task.model.weights[i].name;
        expect(upd, name).toBeGreaterThan(0);
        expect(diff, name).toBeLessThanOrEqual(1e-4 * upd);
      });
    } finally {
      await trainer.dispose();
      task.model.dispose();
      tf.dispose([x, y]);
    }
  });

  it("rejects bad arguments with one-line RangeErrors", async () => {
    await expect(DataParallelTrainer.create({ workers: 0, workerUrl })).rejects.toThrow(RangeError);
    const trainer = await DataParallelTrainer.create({
      net: "discriminator",
      sizes: SIZES,
      workers: 2,
      workerUrl,
    });
    try {
      await expect(trainer.step(new Float32Array(3), new Float32Array(1), 1)).rejects.toThrow(RangeError);
      await expect(trainer.step(new Float32Array(5), new Float32Array(2), 2)).rejects.toThrow(
        /expected 512 inputs/,
      );
    } finally {
      await trainer.dispose();
    }
  });
});
