/**
 * Worker thread of {@link invertGeneratorBatch} (./invert-batch.ts): receives the network and the
 * options once, then images one at a time, and posts back each {@link invertGenerator} result (or
 * the error). The pool's cancel flag (a SharedArrayBuffer) is read as the signal of every inversion.
 */

import { parentPort } from "node:worker_threads";
import type { Network } from "../model/network.js";
import type { WorkerReply, WorkerRequest } from "./invert-batch.js";
import { invertGenerator, type InvertGeneratorOptions } from "./invert-generator.js";
import { loadLpSolver } from "./pattern-lp.js";

const port = parentPort;
if (!port) throw new Error("invert-worker.js must run as a worker thread");

let net: Network | null = null;
let options: InvertGeneratorOptions = {};
/** HiGHS, when the fit needs it (norm l1 or linf), loaded once. */
let ready: Promise<void> = Promise.resolve();

port.on("message", (msg: WorkerRequest) => {
  if (msg.kind === "init") {
    net = msg.net;
    const flag = new Int32Array(msg.cancel);
    // Budget only reads `aborted`.
    const signal = {
      get aborted() {
        return Atomics.load(flag, 0) === 1;
      },
    } as unknown as AbortSignal;
    options = { ...msg.options, signal };
    if (options.norm && options.norm !== "l2")
      ready = loadLpSolver().then((lpSolver) => {
        options = { ...options, lpSolver };
      });
    return;
  }
  const task = msg;
  ready
    .then(() => {
      const result = invertGenerator(net!, task.y, options);
      port.postMessage({ index: task.index, ok: true, result } satisfies WorkerReply);
    })
    .catch((e: unknown) => {
      port.postMessage({
        index: task.index,
        ok: false,
        message: e instanceof Error ? e.message : String(e),
        inputError: (e as { isInputError?: unknown } | null)?.isInputError === true,
      } satisfies WorkerReply);
    });
});
