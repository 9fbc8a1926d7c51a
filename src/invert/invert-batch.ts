/**
 * `invertGeneratorBatch(net, ys, options)`: {@link invertGenerator} on many outputs (images), in
 * worker threads (node:worker_threads, one per CPU by default: ./invert-worker.js beside this module,
 * so the pool runs from the built dist/ only; with one worker, or from the TypeScript sources, the
 * images are inverted in this thread).
 *
 * Each worker gets the network once, then one image at a time (a finished worker gets the next
 * image, so slow images do not hold the others back). `timeLimitMs` is per image: a worker checks it
 * between passes and returns the best estimate so far (status `time-limit`). The signal is shared
 * with the workers through a SharedArrayBuffer flag, so Ctrl-C stops a running inversion at its
 * next check. As a last guard, a worker that has not answered 30 s after its image's time limit is
 * terminated and the image gets status `time-limit` without an estimate (z = 0). Nothing waits
 * forever.
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { relativeError } from "../core/linalg.js";
import type { Network } from "../model/network.js";
import { invertGenerator, type GeneratorInverse, type InvertGeneratorOptions } from "./invert-generator.js";
import { loadLpSolver } from "./pattern-lp.js";

/** Options of {@link invertGeneratorBatch}. */
export interface BatchOptions extends InvertGeneratorOptions {
  /** Worker threads. @default the CPUs available (os.availableParallelism()) */
  workers?: number;
  /** Called after every image (in completion order). */
  onProgress?: (done: number, total: number, item: BatchItem) => void;
  /** The true inputs, one per image, to report the relative error ‖ẑ − z‖/‖z‖. */
  truths?: ArrayLike<number>[];
}

/** One image's result. */
export interface BatchItem extends GeneratorInverse {
  /** Position of the image in `ys`. */
  index: number;
  /** ‖ẑ − z‖₂ / ‖z‖₂ when the truth was given. */
  error?: number;
  /** An error that stopped this image (bad input); then z is zero and status "no-preimage". */
  failure?: string;
}

/** Message from the pool to a worker. */
export type WorkerRequest =
  | { kind: "init"; net: Network; options: InvertGeneratorOptions; cancel: SharedArrayBuffer }
  | { kind: "task"; index: number; y: Float64Array };

/** A worker's reply. */
export type WorkerReply =
  | { index: number; ok: true; result: GeneratorInverse }
  | { index: number; ok: false; message: string; inputError: boolean };

/** The default number of workers. */
export function defaultBatchWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** Relative error ‖a − b‖₂/‖b‖₂ (absolute when b = 0): src/core/linalg.ts `relativeError`. */
export const relativeL2 = relativeError;

/**
 * Inverts every output of `ys` (see the module comment).
 * @returns one {@link BatchItem} per image, in the order of `ys`
 * @throws the first input error (a y of the wrong length, NaN) before any work when found up front
 */
export async function invertGeneratorBatch(
  net: Network,
  ys: ArrayLike<number>[],
  options: BatchOptions = {},
  workerUrl: URL = new URL("./invert-worker.js", import.meta.url),
): Promise<BatchItem[]> {
  const { workers: requested, onProgress, truths, signal, ...rest } = options;
  const workers = Math.max(1, Math.min(requested ?? defaultBatchWorkers(), ys.length));
  const results: BatchItem[] = new Array<BatchItem>(ys.length);
  let done = 0;
  const record = (index: number, r: GeneratorInverse | null, failure?: string): void => {
    const item: BatchItem = r
      ? { ...r, index }
      : {
          ...emptyResult(net.inputDim, failure ?? "the worker did not answer"),
          index,
          ...(failure ? { failure } : {}),
        };
    if (truths?.[index]) item.error = relativeL2(item.z, truths[index]);
    results[index] = item;
    done++;
    onProgress?.(done, ys.length, item);
  };
  // From the TypeScript sources (tests) there is no built worker script.
  const inProcess = workers <= 1 || import.meta.url.endsWith(".ts");
  if (inProcess) {
    if (rest.norm && rest.norm !== "l2" && !rest.lpSolver) rest.lpSolver = await loadLpSolver();
    for (let i = 0; i < ys.length; i++) {
      if (signal?.aborted) {
        record(i, { ...emptyResult(net.inputDim, "cancelled before this image was started") });
        continue;
      }
      record(i, invertGenerator(net, ys[i], { ...rest, ...(signal ? { signal } : {}) }));
      // Let timers and signal handlers run between images.
      await new Promise<void>((r) => setImmediate(r));
    }
    return results;
  }
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  const onAbort = () => Atomics.store(flag, 0, 1);
  signal?.addEventListener("abort", onAbort);
  if (signal?.aborted) onAbort();
  try {
    const { lpSolver: _solver, ...cloneable } = rest;
    await runPool(net, ys, cloneable, workers, workerUrl, cancel, record);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return results;
}

function runPool(
  net: Network,
  ys: ArrayLike<number>[],
  options: InvertGeneratorOptions,
  count: number,
  workerUrl: URL,
  cancel: SharedArrayBuffer,
  record: (index: number, r: GeneratorInverse | null, failure?: string) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let running = 0;
    let settled = false;
    const pool = new Set<Worker>();
    const guardMs = options.timeLimitMs !== undefined ? options.timeLimitMs + 30_000 : Infinity;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      Promise.all([...pool].map((w) => w.terminate())).then(
        () => (error === undefined ? resolve() : reject(error)),
        () => (error === undefined ? resolve() : reject(error)),
      );
    };
    const start = (): void => {
      const w = new Worker(workerUrl);
      pool.add(w);
      let current = -1;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const dispatch = () => {
        if (settled) return;
        if (next < ys.length) {
          current = next++;
          running++;
          w.postMessage({
            kind: "task",
            index: current,
            y: Float64Array.from(ys[current]),
          } satisfies WorkerRequest);
          if (Number.isFinite(guardMs))
            timer = setTimeout(() => {
              // The worker missed its deadline by 30 s: replace it.
              const idx = current;
              current = -1;
              running--;
              pool.delete(w);
              void w.terminate();
              record(idx, null, "the worker did not answer within the time limit and was stopped");
              start();
            }, guardMs);
        } else {
          pool.delete(w);
          void w.terminate();
          if (running === 0 && pool.size === 0) finish();
        }
      };
      w.on("message", (reply: WorkerReply) => {
        if (timer) clearTimeout(timer);
        if (reply.index !== current) return;
        current = -1;
        running--;
        if (reply.ok) record(reply.index, reply.result);
        else if (reply.inputError) record(reply.index, null, reply.message);
        else {
          finish(new Error(reply.message));
          return;
        }
        dispatch();
      });
      w.on("error", (e) => finish(e));
      w.on("exit", (code) => {
        if (!settled && current >= 0)
          finish(new Error(`an inversion worker exited unexpectedly (code ${code})`));
      });
      w.postMessage({ kind: "init", net, options, cancel } satisfies WorkerRequest);
      dispatch();
    };
    for (let i = 0; i < count; i++) start();
  });
}

/** A placeholder result for an image that has none (input error, worker stopped, cancelled). */
function emptyResult(n: number, reason: string): GeneratorInverse {
  return {
    z: new Array<number>(n).fill(0),
    status: /cancel|time limit/.test(reason) ? "time-limit" : "no-preimage",
    certified: false,
    certificate: null,
    residual: NaN,
    residualRms: NaN,
    tolerance: NaN,
    noise: 0,
    toleranceSource: "precision",
    precision: { model: "float64", y: "float64" },
    consistent: false,
    saturated: 0,
    method: "none",
    starts: [],
    timeMs: 0,
    reason,
  };
}
