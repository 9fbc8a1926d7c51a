/**
 * A thread of ./layer-pool.ts: runs one layer task at a time with `runLayerTask`
 * (../core/parallel-search.ts), keeping its prepared layers between tasks.
 */

import { parentPort } from "node:worker_threads";
import { LayerTaskCache, runLayerTask } from "../core/parallel-search.js";
import type { LayerWorkerReply, LayerWorkerRequest } from "./layer-pool.js";

const cache = new LayerTaskCache();
const port = parentPort;
if (!port) throw new Error("layer-pool-worker: run as a worker thread");
port.on("message", (req: LayerWorkerRequest) => {
  const flag = new Int32Array(req.stop);
  let reply: LayerWorkerReply;
  try {
    reply = {
      id: req.id,
      ok: true,
      result: runLayerTask(req.task, cache, () => Atomics.load(flag, 0) !== 0),
    };
  } catch (e) {
    reply = { id: req.id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
