/**
 * Worker thread of {@link invertGeneratorBatch} (./invert-batch.ts): receives the network and the
 * options once, then images one at a time, and posts back each {@link invertGenerator} result (or
 * the error). The pool's cancel flag (a SharedArrayBuffer) is read as the signal of every inversion.
 */

import { parentPort } from "node:worker_threads";
import type { Network } from "../network/network.js";
import type { WorkerReply, WorkerRequest } from "./invert-batch.js";
import { invertGenerator, type InvertGeneratorOptions } from "./invert-generator.js";

const port = parentPort;
if (!port) throw new Error("invert-worker.js must run as a worker thread");

let net: Network | null = null;
let options: InvertGeneratorOptions = {};

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
    return;
  }
  try {
    const result = invertGenerator(net!, msg.y, options);
    port.postMessage({ index: msg.index, ok: true, result } satisfies WorkerReply);
  } catch (e) {
    port.postMessage({
      index: msg.index,
      ok: false,
      message: e instanceof Error ? e.message : String(e),
      inputError: (e as { isInputError?: unknown } | null)?.isInputError === true,
    } satisfies WorkerReply);
  }
});
