/**
 * A pool of worker threads (node:worker_threads) that runs phase-transition tasks in parallel: a
 * {@link PhaseRunner} for ./phase.ts. Each worker (./phase-worker.js next to this module, so the
 * pool runs from the built dist/ only) gets one task at a time; a finished worker gets the next
 * task, so slow instances do not hold the others back. With one worker the tasks run in this
 * thread ({@link inProcessRunner}), which also works from the TypeScript sources.
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { inProcessRunner, type PhaseRunner, type PhaseTask } from "./phase.js";
import type { PhaseInstance } from "./phase-types.js";

/** A worker's reply to one task. */
export type PhaseWorkerReply =
  { ok: true; instance: PhaseInstance } | { ok: false; message: string; inputError: boolean };

/** The default number of workers: the CPUs available to this process (os.availableParallelism()). */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

/** An error raised inside a worker, re-thrown in the main thread. */
export class PhaseWorkerError extends Error {
  constructor(
    message: string,
    readonly isInputError: boolean,
  ) {
    super(message);
    this.name = "PhaseWorkerError";
  }
}

/**
 * A runner with `workers` worker threads (at most one per task); `workers <= 1` runs in-process.
 * @param workerUrl the worker script (default ./phase-worker.js beside this module)
 */
export function phaseRunner(workers: number, workerUrl?: URL): PhaseRunner {
  if (workers <= 1) return inProcessRunner;
  return (tasks, hooks) => runPool(tasks, Math.floor(workers), hooks, workerUrl);
}

function runPool(
  tasks: readonly PhaseTask[],
  workers: number,
  hooks: Parameters<PhaseRunner>[1],
  workerUrl = new URL("./phase-worker.js", import.meta.url),
): Promise<void> {
  const count = Math.min(workers, tasks.length);
  if (count === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const pool: Worker[] = [];
    let next = 0;
    let running = 0;
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      Promise.all(pool.map((w) => w.terminate())).then(
        () => (error === undefined ? resolve() : reject(error)),
        () => (error === undefined ? resolve() : reject(error)),
      );
    };
    const dispatch = (w: Worker) => {
      if (settled) return;
      if (next < tasks.length && !hooks.signal?.aborted) {
        running++;
        w.postMessage(tasks[next++]);
      } else if (running === 0) {
        finish();
      }
    };
    for (let i = 0; i < count; i++) {
      const w = new Worker(workerUrl);
      pool.push(w);
      w.on("message", (reply: PhaseWorkerReply) => {
        running--;
        if (!reply.ok) {
          finish(new PhaseWorkerError(reply.message, reply.inputError));
          return;
        }
        try {
          hooks.onInstance(reply.instance);
        } catch (e) {
          finish(e);
          return;
        }
        dispatch(w);
      });
      w.on("error", (e) => finish(e));
      w.on("exit", (code) => {
        if (!settled) finish(new Error(`a phase worker exited unexpectedly (code ${code})`));
      });
    }
    for (const w of pool) dispatch(w);
  });
}
