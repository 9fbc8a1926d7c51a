/**
 * Worker thread of the phase-transition pool (./phase-pool.ts): receives {@link PhaseTask}s one at
 * a time, checks each with {@link runPhaseTask}, and posts back the instance (or the error).
 */

import { parentPort } from "node:worker_threads";
import { runPhaseTask, type PhaseTask } from "./phase.js";
import type { PhaseWorkerReply } from "./phase-pool.js";

const port = parentPort;
if (!port) throw new Error("phase-worker.js must run as a worker thread");

port.on("message", (task: PhaseTask) => {
  runPhaseTask(task).then(
    (instance) => port.postMessage({ ok: true, instance } satisfies PhaseWorkerReply),
    (e: unknown) =>
      port.postMessage({
        ok: false,
        message: e instanceof Error ? e.message : String(e),
        inputError: (e as { isInputError?: unknown } | null)?.isInputError === true,
      } satisfies PhaseWorkerReply),
  );
});
