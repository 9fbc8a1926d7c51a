/**
 * Data-parallel training on several cores: {@link DataParallelTrainer} runs one worker thread
 * per shard of the batch, each with its own wasm backend (src/tfjs/backend.ts) and its own copy
 * of the model. A step splits the batch into contiguous shards; each worker computes the
 * gradient of its shard's share of the batch-mean loss, the workers sum their gradients with a
 * shared-memory all-reduce (./all-reduce.ts) and each applies the same Adam update, so their
 * copies stay bitwise identical. Batch normalization uses the statistics of the whole batch
 * (./sync-moments.ts), so a step equals a single-thread step on the whole batch up to float32
 * rounding.
 *
 * The model and its loss come from a task module that the workers import: by default the DCGAN
 * networks of ./dcgan-steps.ts (`net`), or the GAN iteration there (`net: "gan"`, several models
 * and optimizer steps), or any ES module exporting `createTask(options)` returning
 * `{ model, loss(input, target) }` or a `MultiStepTask` (`module`). Every loss must be a mean over
 * the batch.
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { allReduceMemory } from "./all-reduce.js";
import type { DcganSizes } from "./dcgan.js";
import {
  dcganTask,
  ganIterationTask,
  type DcganNet,
  type Minimizer,
  type MultiStepTask,
} from "./dcgan-steps.js";

/** A model and its batch-mean loss, as a task module's `createTask` may return it. */
export interface TrainingTask {
  model: tf.LayersModel;
  loss(input: tf.Tensor, target: tf.Tensor): tf.Scalar;
}

/** A single-model task as a {@link MultiStepTask} with one optimizer step. */
export function asMultiStep(task: TrainingTask | MultiStepTask): MultiStepTask {
  if ("models" in task) return task;
  const shape = (s: (number | null)[]): number[] => s.slice(1).map((d) => d ?? -1);
  return {
    models: [task.model],
    optimizers: 1,
    inputShape: shape(task.model.inputs[0].shape),
    targetShape: shape(task.model.outputs[0].shape),
    step: (m: Minimizer, input: tf.Tensor, target: tf.Tensor) => [
      m.minimize(() => task.loss(input, target), task.model, 0),
    ],
  };
}

/** The task of a DCGAN network ("generator", "discriminator", "encoder") or of the GAN iteration ("gan"). */
export function builtinTask(net: DcganNet | "gan", sizes: DcganSizes): MultiStepTask {
  return net === "gan" ? ganIterationTask(sizes) : asMultiStep(dcganTask(net, sizes));
}

/** Options of {@link DataParallelTrainer.create}. */
export interface DataParallelOptions {
  /**
   * A DCGAN network of ./dcgan-steps.ts (the default task: "generator"), or "gan": one iteration
   * of GAN training (ganIterationTask: discriminator, generator and encoder steps; inputs are real
   * images, targets latent codes).
   */
  net?: DcganNet | "gan";
  /** Sizes and weight seed of the DCGAN network. */
  sizes?: DcganSizes;
  /**
   * Instead of `net`: the URL (file: URL string) of an ES module exporting
   * `createTask(options): TrainingTask | MultiStepTask`, called with `taskOptions` in every
   * worker and once in the calling thread (for the initial weights).
   */
  module?: string;
  /** Passed to the module's `createTask` (must be structured-cloneable). */
  taskOptions?: unknown;
  /** Number of worker threads (default: `os.availableParallelism()`, the number of cores). */
  workers?: number;
  /**
   * The optimizer: "adam" (default) or "sgd" (plain gradient descent, w ← w − learningRate·g;
   * useful to compare gradients).
   */
  optimizer?: "adam" | "sgd";
  /** Adam settings (default: learning rate 2e-4, β1 = 0.5, β2 = 0.999, the DCGAN settings). */
  learningRate?: number;
  /**
   * A learning rate per optimizer slot of the task (for example the injective-GAN experiment's
   * generator, discriminator and inference network), overriding `learningRate` where given.
   */
  learningRates?: number[];
  beta1?: number;
  beta2?: number;
  /** The worker script (default: ./data-parallel-worker.js beside this module). */
  workerUrl?: URL;
}

/** What the trainer tells a worker at start-up. */
export interface WorkerInit {
  kind: "init";
  rank: number;
  memory: ReturnType<typeof allReduceMemory>;
  task: { net: DcganNet | "gan"; sizes: DcganSizes } | { module: string; options: unknown };
  /** Initial weights of each model of the task. */
  weights: { shape: number[]; values: Float32Array }[][];
  adam: {
    optimizer: "adam" | "sgd";
    learningRate: number;
    /** Per optimizer slot, overriding learningRate. */
    learningRates?: number[];
    beta1: number;
    beta2: number;
  };
}

/** A step request for one worker: its shard and its share of the batch. */
export interface WorkerStep {
  kind: "step";
  input: Float32Array;
  inputShape: number[];
  target: Float32Array;
  targetShape: number[];
  /** shard size ÷ batch size: the weight of this shard's mean loss in the batch mean. */
  weight: number;
}

/**
 * A snapshot of a trainer: every model's weights (`getWeights()` order, batch-norm statistics
 * included) and every optimizer's state (its `getWeights()`: iteration count and moments; and
 * Adam's running powers β1^t, β2^t, which `setWeights` would otherwise recompute with a rounding
 * difference). Restoring it with {@link DataParallelTrainer.setState} continues the run bit for bit.
 */
export interface TrainerState {
  weights: { shape: number[]; values: Float32Array }[][];
  optimizers: {
    variables: { name: string; shape: number[]; values: Float32Array }[];
    powers: number[];
  }[];
}

/** Replies of a worker. */
export type WorkerReply =
  | { kind: "ready" }
  | { kind: "state"; state: TrainerState }
  | { kind: "step"; losses: number[]; ms: number; waitedMs: number }
  | { kind: "weights"; weights: { shape: number[]; values: Float32Array }[][] }
  | { kind: "error"; message: string };

/** Loads a task module's `createTask` and builds its task. */
export async function moduleTask(module: string, options: unknown): Promise<MultiStepTask> {
  const mod = (await import(module)) as { createTask?: (o: unknown) => TrainingTask | MultiStepTask };
  if (typeof mod.createTask !== "function")
    throw new TypeError(`DataParallelTrainer: ${module} exports no createTask`);
  return asMultiStep(mod.createTask(options));
}

async function loadTask(options: DataParallelOptions): Promise<MultiStepTask> {
  if (options.module !== undefined) return moduleTask(options.module, options.taskOptions);
  return builtinTask(options.net ?? "generator", options.sizes ?? {});
}

/** Data-parallel training steps in worker threads (see the file header). */
export class DataParallelTrainer {
  private pending: ((reply: WorkerReply) => void)[] = [];
  private disposed = false;
  /**
   * Per worker, the last step's time in the worker and the part of it spent blocked at the
   * all-reduce barriers (waiting for the other workers), in ms.
   */
  lastStep: { ms: number[]; waitedMs: number[] } = { ms: [], waitedMs: [] };
  private replies: WorkerReply[][] = [];

  private constructor(
    private readonly workers: Worker[],
    /** Input shape (without the batch axis) and target shape of the task. */
    readonly inputShape: number[],
    readonly targetShape: number[],
  ) {
    workers.forEach((w, k) => {
      this.replies[k] = [];
      w.on("message", (reply: WorkerReply) => this.deliver(k, reply));
      w.on("error", (e: Error) => this.deliver(k, { kind: "error", message: e.message }));
      w.on("exit", (code: number) => {
        if (!this.disposed)
          this.deliver(k, { kind: "error", message: `worker ${k} exited with code ${code}` });
      });
    });
  }

  /**
   * Starts the workers, each with the task's initial weights (made once in this thread, so every
   * copy starts from the same weights as a single-thread model built with the same options).
   *
   * @throws RangeError when `workers` is not a positive integer.
   */
  static async create(options: DataParallelOptions = {}): Promise<DataParallelTrainer> {
    const n = options.workers ?? availableParallelism();
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`DataParallelTrainer: workers must be a positive integer, got ${n}`);
    const task = await loadTask(options);
    const { inputShape, targetShape } = task;
    const weights = task.models.map((m) =>
      m.getWeights().map((w) => ({ shape: w.shape, values: Float32Array.from(w.dataSync()) })),
    );
    const params = Math.max(...weights.map((ws) => ws.reduce((s, w) => s + w.values.length, 0)));
    task.models.forEach((m) => m.dispose());
    const memory = allReduceMemory(n, params + 16);
    const url = options.workerUrl ?? new URL("./data-parallel-worker.js", import.meta.url);
    const workers = Array.from({ length: n }, () => new Worker(url));
    const trainer = new DataParallelTrainer(workers, inputShape, targetShape);
    const optimizer = options.optimizer ?? "adam";
    if (optimizer !== "adam" && optimizer !== "sgd")
      throw new TypeError(`DataParallelTrainer: optimizer must be "adam" or "sgd", got ${String(optimizer)}`);
    const adam = {
      optimizer,
      learningRate: options.learningRate ?? 2e-4,
      ...(options.learningRates ? { learningRates: options.learningRates.slice() } : {}),
      beta1: options.beta1 ?? 0.5,
      beta2: options.beta2 ?? 0.999,
    };
    const taskSpec =
      options.module !== undefined
        ? { module: options.module, options: options.taskOptions }
        : { net: options.net ?? "generator", sizes: options.sizes ?? {} };
    try {
      await trainer.all(
        workers.map(
          (_, rank) => ({ kind: "init", rank, memory, task: taskSpec, weights, adam }) satisfies WorkerInit,
        ),
      );
    } catch (e) {
      await trainer.dispose();
      throw e;
    }
    return trainer;
  }

  private deliver(k: number, reply: WorkerReply): void {
    this.replies[k].push(reply);
    const waiting = this.pending;
    this.pending = [];
    for (const f of waiting) f(reply);
  }

  private async next(k: number): Promise<WorkerReply> {
    while (this.replies[k].length === 0)
      await new Promise<WorkerReply>((resolve) => this.pending.push(resolve));
    return this.replies[k].shift() as WorkerReply;
  }

  private async all(
    messages: (WorkerInit | WorkerStep | { kind: "weights" } | { kind: "setState"; state: TrainerState })[],
  ): Promise<WorkerReply[]> {
    messages.forEach((m, k) => this.workers[k].postMessage(m));
    const replies = await Promise.all(this.workers.map((_, k) => this.next(k)));
    const err = replies.find((r) => r.kind === "error");
    if (err !== undefined && err.kind === "error")
      throw new Error(`DataParallelTrainer worker: ${err.message}`);
    return replies;
  }

  /**
   * One training step on a batch of `batch` examples (inputs and targets flattened row-major);
   * returns the batch-mean loss before the update.
   *
   * @throws RangeError when the arrays do not hold `batch` examples or the batch is smaller than
   * the number of workers.
   */
  async step(input: Float32Array, target: Float32Array, batch: number): Promise<number> {
    return (await this.stepLosses(input, target, batch))[0];
  }

  /**
   * {@link step} for tasks with several optimizer steps: returns the loss of each (batch means,
   * before their updates).
   */
  async stepLosses(input: Float32Array, target: Float32Array, batch: number): Promise<number[]> {
    const n = this.workers.length;
    const inSize = this.inputShape.reduce((a, b) => a * b, 1);
    const outSize = this.targetShape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(batch) || batch < n)
      throw new RangeError(`DataParallelTrainer.step: batch must be an integer ≥ ${n}, got ${batch}`);
    if (input.length !== batch * inSize || target.length !== batch * outSize) {
      throw new RangeError(
        `DataParallelTrainer.step: expected ${batch * inSize} inputs and ${batch * outSize} targets, got ${input.length} and ${target.length}`,
      );
    }
    const messages: WorkerStep[] = [];
    let start = 0;
    for (let k = 0; k < n; k++) {
      const size = Math.floor(batch / n) + (k < batch % n ? 1 : 0);
      messages.push({
        kind: "step",
        input: input.slice(start * inSize, (start + size) * inSize),
        inputShape: [size, ...this.inputShape],
        target: target.slice(start * outSize, (start + size) * outSize),
        targetShape: [size, ...this.targetShape],
        weight: size / batch,
      });
      start += size;
    }
    const replies = await this.all(messages);
    this.lastStep = {
      ms: replies.map((r) => (r.kind === "step" ? r.ms : NaN)),
      waitedMs: replies.map((r) => (r.kind === "step" ? r.waitedMs : NaN)),
    };
    const losses: number[] = [];
    for (const r of replies)
      if (r.kind === "step") r.losses.forEach((l, i) => (losses[i] = (losses[i] ?? 0) + l));
    return losses;
  }

  /**
   * The current weights of the first model (of worker 0; all copies are identical), in
   * `model.getWeights()` order.
   */
  async getWeights(): Promise<{ shape: number[]; values: Float32Array }[]> {
    return (await this.getAllWeights())[0];
  }

  /** The current weights of every model of the task. */
  async getAllWeights(): Promise<{ shape: number[]; values: Float32Array }[][]> {
    this.workers[0].postMessage({ kind: "weights" });
    const reply = await this.next(0);
    if (reply.kind !== "weights") throw new Error(`DataParallelTrainer: unexpected reply ${reply.kind}`);
    return reply.weights;
  }

  /** A snapshot of the models and optimizers (of worker 0; all copies are identical). */
  async getState(): Promise<TrainerState> {
    this.workers[0].postMessage({ kind: "state" });
    const reply = await this.next(0);
    if (reply.kind === "error") throw new Error(`DataParallelTrainer worker: ${reply.message}`);
    if (reply.kind !== "state") throw new Error(`DataParallelTrainer: unexpected reply ${reply.kind}`);
    return reply.state;
  }

  /** Restores a {@link getState} snapshot in every worker (for resuming a run). */
  async setState(state: TrainerState): Promise<void> {
    await this.all(this.workers.map(() => ({ kind: "setState" as const, state })));
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
