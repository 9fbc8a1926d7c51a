/**
 * Worker thread of `npm run bench:invert` (bench/invert-real.ts): runs one method on one image at a
 * time and posts the estimate, its status and its time back. The main thread ends the worker when
 * a method overruns its time limit (a synchronous call cannot be interrupted otherwise), so nothing
 * hangs.
 */

import { parentPort } from "node:worker_threads";
import { readFileSync } from "node:fs";
import type { Highs } from "highs";
import { readOnnxModel } from "../src/io/onnx.js";
import type { Network } from "../src/model/network.js";
import { highsLoader } from "./common.js";
import {
  adamInvert,
  compileNetwork,
  leiInvert,
  projectInvert,
  type CompiledNetwork,
  type MethodResult,
} from "./invert-methods.js";

/** A job: invert `y` by `method` on the model at `modelPath`. */
export interface Job {
  id: number;
  method: "project" | "lei" | "adam";
  modelPath: string;
  y: number[];
  /** Absolute noise standard deviation of y (0: clean). */
  sigma: number;
  timeLimitMs: number;
  seed: number;
}

/** The answer to a {@link Job}. */
export interface JobResult extends MethodResult {
  id: number;
  /** Wall-clock time of the method call, in ms (measured in the worker). */
  ms: number;
  error?: string;
}

const nets = new Map<string, Network>();
const compiled = new Map<string, CompiledNetwork>();
let highs: Highs | null = null;

function net(path: string): Network {
  let n = nets.get(path);
  if (!n) {
    n = readOnnxModel(new Uint8Array(readFileSync(path)), path);
    nets.set(path, n);
  }
  return n;
}

function compiledNet(path: string): CompiledNetwork {
  let c = compiled.get(path);
  if (!c) {
    c = compileNetwork(net(path));
    compiled.set(path, c);
  }
  return c;
}

/** Setup, not timed: reading (and for the baselines compiling) the model, loading HiGHS. */
async function prepare(method: Job["method"], modelPath: string): Promise<void> {
  if (method === "lei") highs ??= await highsLoader();
  if (method === "project") net(modelPath);
  else compiledNet(modelPath);
}

async function run(job: Job): Promise<JobResult> {
  await prepare(job.method, job.modelPath);
  const budget = { timeLimitMs: job.timeLimitMs };
  const t0 = performance.now();
  let r: MethodResult;
  if (job.method === "project") r = projectInvert(net(job.modelPath), job.y, job.sigma, budget);
  else if (job.method === "lei") r = leiInvert(highs!, compiledNet(job.modelPath), job.y, job.sigma, budget);
  else r = adamInvert(compiledNet(job.modelPath), job.y, budget, { seed: job.seed });
  return { id: job.id, ...r, ms: performance.now() - t0 };
}

/** A setup request: answered by `{ prepared: true }` or `{ prepared: false, error }`. */
export interface PrepareMessage {
  prepare: { method: Job["method"]; modelPath: string };
}

parentPort!.on("message", (msg: Job | PrepareMessage) => {
  if ("prepare" in msg) {
    prepare(msg.prepare.method, msg.prepare.modelPath).then(
      () => parentPort!.postMessage({ prepared: true }),
      (e: unknown) => parentPort!.postMessage({ prepared: false, error: String(e) }),
    );
    return;
  }
  const job = msg;
  run(job).then(
    (r) => parentPort!.postMessage(r),
    (e: unknown) =>
      parentPort!.postMessage({
        id: job.id,
        z: null,
        status: "error",
        ms: NaN,
        error: e instanceof Error ? e.message.split("\n")[0] : String(e),
      } satisfies JobResult),
  );
});
parentPort!.postMessage({ ready: true });
