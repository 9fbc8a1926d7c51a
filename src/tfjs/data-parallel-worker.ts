/**
 * Worker thread of {@link DataParallelTrainer} (./data-parallel.ts): sets up its own wasm
 * backend, installs the all-worker batch statistics (./sync-moments.ts), builds the task with
 * the weights it is given, then for each step computes the gradient of its shard's weighted loss,
 * sums the gradients over the workers (./all-reduce.ts) and applies Adam.
 */

import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { AllReduce } from "./all-reduce.js";
import { setupTrainingBackend } from "./backend.js";
import type { TrainingTask, WorkerInit, WorkerReply, WorkerStep } from "./data-parallel.js";
import { dcganTask } from "./dcgan-steps.js";
import { installSyncMoments } from "./sync-moments.js";

const port = parentPort;
if (!port) throw new Error("data-parallel-worker.js must run as a worker thread");

let task: TrainingTask | null = null;
let group: AllReduce | null = null;
let optimizer: tf.Optimizer | null = null;

async function init(msg: WorkerInit): Promise<void> {
  await setupTrainingBackend();
  group = new AllReduce(msg.memory, msg.rank);
  installSyncMoments(group);
  if ("module" in msg.task) {
    const mod = (await import(msg.task.module)) as { createTask: (o: unknown) => TrainingTask };
    task = mod.createTask(msg.task.options);
  } else {
    task = dcganTask(msg.task.net, msg.task.sizes);
  }
  task.model.setWeights(msg.weights.map((w) => tf.tensor(w.values, w.shape)));
  optimizer =
    msg.adam.optimizer === "sgd"
      ? tf.train.sgd(msg.adam.learningRate)
      : tf.train.adam(msg.adam.learningRate, msg.adam.beta1, msg.adam.beta2);
}

function step(msg: WorkerStep): number {
  if (task === null || group === null || optimizer === null) throw new Error("step before init");
  const t = task;
  const g = group;
  const vars = t.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const input = tf.tensor(msg.input, msg.inputShape);
  const target = tf.tensor(msg.target, msg.targetShape);
  const { value, grads } = tf.variableGrads(
    () => tf.mul(t.loss(input, target), msg.weight) as tf.Scalar,
    vars,
  );
  // Sum the gradients over the workers, in one all-reduce of the concatenated values.
  const names = vars.map((v) => v.name);
  const sizes = names.map((n) => grads[n].size);
  const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let off = 0;
  names.forEach((n, i) => {
    flat.set(grads[n].dataSync() as Float32Array, off);
    off += sizes[i];
  });
  const summed = g.sum(flat);
  off = 0;
  const total: { name: string; tensor: tf.Tensor }[] = names.map((name, i) => {
    const tensor = tf.tensor(summed.subarray(off, off + sizes[i]), grads[name].shape);
    off += sizes[i];
    return { name, tensor };
  });
  optimizer.applyGradients(total);
  const loss = value.dataSync()[0];
  tf.dispose([input, target, value, ...Object.values(grads), ...total.map((t) => t.tensor)]);
  return loss;
}

let queue: Promise<void> = Promise.resolve();
port.on("message", (msg: WorkerInit | WorkerStep | { kind: "weights" }) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      if (msg.kind === "init") {
        await init(msg);
        reply = { kind: "ready" };
      } else if (msg.kind === "step") {
        const t = performance.now();
        const waited = group?.waitedMs ?? 0;
        const loss = step(msg);
        reply = { kind: "step", loss, ms: performance.now() - t, waitedMs: (group?.waitedMs ?? 0) - waited };
      } else {
        if (task === null) throw new Error("weights before init");
        reply = {
          kind: "weights",
          weights: task.model
            .getWeights()
            .map((w) => ({ shape: w.shape, values: Float32Array.from(w.dataSync()) })),
        };
      }
    } catch (e) {
      reply = { kind: "error", message: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
});
