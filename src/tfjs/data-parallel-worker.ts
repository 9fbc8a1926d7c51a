/**
 * Worker thread of {@link DataParallelTrainer} (./data-parallel.ts): sets up its own wasm
 * backend, installs the all-worker batch statistics (./sync-moments.ts), builds the task with
 * the weights it is given, then for each step runs the task's optimizer steps through a
 * {@link Minimizer} that computes the gradient of this shard's weighted loss, sums the gradients
 * over the workers (./all-reduce.ts) and applies the optimizer.
 */

import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { AllReduce } from "./all-reduce.js";
import { setupTrainingBackend } from "./backend.js";
import {
  builtinTask,
  moduleTask,
  type TrainerState,
  type WorkerInit,
  type WorkerReply,
  type WorkerStep,
} from "./data-parallel.js";
import type { Minimizer, MultiStepTask } from "./dcgan-steps.js";
import { installSyncMoments } from "./sync-moments.js";

const port = parentPort;
if (!port) throw new Error("data-parallel-worker.js must run as a worker thread");

let task: MultiStepTask | null = null;
let group: AllReduce | null = null;
let optimizers: tf.Optimizer[] = [];
/** This worker's shard size ÷ batch size, during a step. */
let shardWeight = 1;

async function init(msg: WorkerInit): Promise<void> {
  await setupTrainingBackend();
  group = new AllReduce(msg.memory, msg.rank);
  installSyncMoments(group);
  task =
    "module" in msg.task
      ? await moduleTask(msg.task.module, msg.task.options)
      : builtinTask(msg.task.net, msg.task.sizes);
  const t = task;
  t.models.forEach((m, i) => m.setWeights(msg.weights[i].map((w) => tf.tensor(w.values, w.shape))));
  const { optimizer, learningRate, learningRates, beta1, beta2 } = msg.adam;
  optimizers = Array.from({ length: t.optimizers }, (_, slot) => {
    const lr = learningRates?.[slot] ?? learningRate;
    return optimizer === "sgd" ? tf.train.sgd(lr) : tf.train.adam(lr, beta1, beta2);
  });
}

/**
 * The workers' {@link Minimizer}: the gradient of this shard's weighted loss, summed over the
 * workers in one all-reduce of the concatenated values, then the optimizer's update.
 */
const minimizer: Minimizer = {
  minimize(loss, model, slot) {
    if (group === null) throw new Error("step before init");
    const g = group;
    const opt = optimizers[slot];
    if (opt === undefined) throw new RangeError(`no optimizer in slot ${slot}`);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.mul(loss(), shardWeight) as tf.Scalar, vars);
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
    opt.applyGradients(total);
    const v = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads), ...total.map((t) => t.tensor)]);
    return v;
  },
};

function step(msg: WorkerStep): number[] {
  if (task === null) throw new Error("step before init");
  const input = tf.tensor(msg.input, msg.inputShape);
  const target = tf.tensor(msg.target, msg.targetShape);
  shardWeight = msg.weight;
  try {
    return task.step(minimizer, input, target);
  } finally {
    tf.dispose([input, target]);
  }
}

/** Adam's running products β1^t and β2^t (not in `getWeights`; restored exactly, see setState). */
interface AdamPowers {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

function modelWeights(t: MultiStepTask): { shape: number[]; values: Float32Array }[][] {
  return t.models.map((m) =>
    m.getWeights().map((w) => ({ shape: w.shape, values: Float32Array.from(w.dataSync()) })),
  );
}

/** The models' weights and every optimizer's state (moments, iteration count, β powers). */
async function getState(t: MultiStepTask): Promise<TrainerState> {
  const opts: TrainerState["optimizers"] = [];
  for (const opt of optimizers) {
    const named = await opt.getWeights();
    const p = opt as unknown as AdamPowers;
    opts.push({
      variables: named.map((v) => ({
        name: v.name,
        shape: v.tensor.shape,
        values: Float32Array.from(v.tensor.dataSync()),
      })),
      powers: p.accBeta1 && p.accBeta2 ? [p.accBeta1.dataSync()[0], p.accBeta2.dataSync()[0]] : [],
    });
  }
  return { weights: modelWeights(t), optimizers: opts };
}

/** Restores a {@link getState} snapshot bit for bit. */
async function setState(t: MultiStepTask, state: TrainerState): Promise<void> {
  if (state.weights.length !== t.models.length || state.optimizers.length !== optimizers.length)
    throw new RangeError(
      `the state has ${state.weights.length} models and ${state.optimizers.length} optimizers, the task ${t.models.length} and ${optimizers.length}`,
    );
  t.models.forEach((m, i) => {
    const ws = state.weights[i].map((w) => tf.tensor(w.values, w.shape));
    m.setWeights(ws);
    tf.dispose(ws);
  });
  for (let i = 0; i < optimizers.length; i++) {
    const o = state.optimizers[i];
    const named = o.variables.map((v) => ({ name: v.name, tensor: tf.tensor(v.values, v.shape) }));
    await optimizers[i].setWeights(named);
    tf.dispose(named.map((v) => v.tensor));
    const p = optimizers[i] as unknown as AdamPowers;
    if (o.powers.length === 2 && p.accBeta1 && p.accBeta2) {
      p.accBeta1.assign(tf.scalar(o.powers[0]));
      p.accBeta2.assign(tf.scalar(o.powers[1]));
    }
  }
}

let queue: Promise<void> = Promise.resolve();
port.on(
  "message",
  (
    msg: WorkerInit | WorkerStep | { kind: "weights" | "state" } | { kind: "setState"; state: TrainerState },
  ) => {
    queue = queue.then(async () => {
      let reply: WorkerReply;
      try {
        if (msg.kind === "init") {
          await init(msg);
          reply = { kind: "ready" };
        } else if (msg.kind === "step") {
          const t = performance.now();
          const waited = group?.waitedMs ?? 0;
          const losses = step(msg);
          reply = {
            kind: "step",
            losses,
            ms: performance.now() - t,
            waitedMs: (group?.waitedMs ?? 0) - waited,
          };
        } else {
          if (task === null) throw new Error(`${msg.kind} before init`);
          if (msg.kind === "state") reply = { kind: "state", state: await getState(task) };
          else if (msg.kind === "setState") {
            await setState(task, msg.state);
            reply = { kind: "ready" };
          } else reply = { kind: "weights", weights: modelWeights(task) };
        }
      } catch (e) {
        reply = { kind: "error", message: e instanceof Error ? e.message : String(e) };
      }
      port.postMessage(reply);
    });
  },
);
