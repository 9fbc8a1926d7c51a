/**
 * Worker threads (node:worker_threads) for the parallel branch and bound and cover check of
 * ../core/parallel-search.ts: a {@link LayerTaskPool} whose threads each run `runLayerTask`
 * (./layer-pool-worker.js beside this module, so the pool runs from the built dist/ only).
 *
 * A task carries a SharedArrayBuffer flag; aborting the task's signal sets it, and the thread stops
 * at its next chunk (tens of nodes) and answers `stopped: "cancelled"`. Threads are kept between
 * tasks and layers (each caches the layers it has prepared); {@link LayerWorkerPool.close} ends them.
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import {
  packDuals,
  type LayerTask,
  type LayerTaskPool,
  type LayerTaskResult,
} from "../core/parallel-search.js";

/** Message from the pool to a thread. */
export interface LayerWorkerRequest {
  id: number;
  task: LayerTask;
  /** Int32 flag: nonzero asks the thread to stop the task. */
  stop: SharedArrayBuffer;
}

/** A thread's answer. */
export type LayerWorkerReply =
  { id: number; ok: true; result: LayerTaskResult } | { id: number; ok: false; message: string };

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Pending {
  task: LayerTask;
  signal: AbortSignal;
  resolve: (r: LayerTaskResult) => void;
  reject: (e: Error) => void;
}

/** A pool of `size` threads; see the module header. */
export class LayerWorkerPool implements LayerTaskPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly inflight = new Map<
    number,
    { slot: Slot; pending: Pending; flag: Int32Array; onAbort: () => void }
  >();
  private nextId = 0;
  private closed = false;

  /**
   * @param size threads (at least 1)
   * @param workerUrl the thread script (default ./layer-pool-worker.js beside this module)
   */
  constructor(
    readonly size: number,
    workerUrl: URL = new URL("./layer-pool-worker.js", import.meta.url),
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`LayerWorkerPool: size must be an integer >= 1, got ${size}`);
    for (let k = 0; k < size; k++) {
      const worker = new Worker(workerUrl);
      // Idle threads do not keep the process alive.
      worker.unref();
      const slot: Slot = { worker, busy: false };
      worker.on("message", (reply: LayerWorkerReply) => this.answer(reply));
      worker.on("error", (e: Error) => this.fail(slot, e));
      worker.on("exit", (code) => {
        if (!this.closed) this.fail(slot, new Error(`a layer worker thread exited (code ${code})`));
      });
      this.slots.push(slot);
    }
  }

  run(task: LayerTask, signal: AbortSignal): Promise<LayerTaskResult> {
    if (this.closed) return Promise.reject(new Error("LayerWorkerPool: the pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, signal, resolve, reject });
      this.pump();
    });
  }

  /** Ends the threads (pending tasks are rejected). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error("LayerWorkerPool: the pool was closed"));
    for (const [, f] of this.inflight) f.pending.reject(new Error("LayerWorkerPool: the pool was closed"));
    this.inflight.clear();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const pending = this.queue.shift();
      if (!pending) return;
      if (pending.signal.aborted) {
        pending.resolve(stoppedResult(pending.task));
        continue;
      }
      const id = this.nextId++;
      const stop = new SharedArrayBuffer(4);
      const flag = new Int32Array(stop);
      const onAbort = () => Atomics.store(flag, 0, 1);
      pending.signal.addEventListener("abort", onAbort, { once: true });
      slot.busy = true;
      slot.worker.ref();
      this.inflight.set(id, { slot, pending, flag, onAbort });
      const request: LayerWorkerRequest = { id, task: pending.task, stop };
      slot.worker.postMessage(request);
    }
  }

  private answer(reply: LayerWorkerReply): void {
    const f = this.inflight.get(reply.id);
    if (!f) return;
    this.inflight.delete(reply.id);
    f.pending.signal.removeEventListener("abort", f.onAbort);
    f.slot.busy = false;
    f.slot.worker.unref();
    if (reply.ok) f.pending.resolve(reply.result);
    else f.pending.reject(new Error(reply.message));
    this.pump();
  }

  private fail(slot: Slot, e: Error): void {
    for (const [id, f] of this.inflight) {
      if (f.slot !== slot) continue;
      this.inflight.delete(id);
      f.pending.reject(e);
    }
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(e);
  }
}

function stoppedResult(task: LayerTask): LayerTaskResult {
  switch (task.kind) {
    case "flat":
      return {
        kind: "flat",
        duals: packDuals([]),
        witness: null,
        rejected: 0,
        nodes: 0,
        lpSolves: 0,
        stopped: "cancelled",
      };
    case "duals":
      return { kind: "duals", failed: [], stopped: "cancelled" };
    case "replay":
      return { kind: "replay", valid: false, reason: "", nodes: 0, otherPrimes: 0, stopped: "cancelled" };
    default:
      return {
        kind: "cover",
        uncovered: null,
        nodes: 0,
        hyperplaneCuts: 0,
        unlucky: false,
        stopped: "cancelled",
      };
  }
}

/**
 * A pool of `workers` threads for `checkLayer`'s `pool` option (default: the CPUs available to
 * this process), or null for one thread. Close it when done.
 */
export function layerWorkerPool(workers: number = availableParallelism()): LayerWorkerPool | null {
  return workers >= 2 ? new LayerWorkerPool(Math.floor(workers)) : null;
}
