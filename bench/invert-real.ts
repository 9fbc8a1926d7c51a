/**
 * Benchmark: inverting real trained generators (issue 10, item 7), printed as Markdown tables.
 *
 *     npm run bench:invert                       # FC decoder and DCGAN, σ ∈ {0, 0.001, 0.01, 0.05}, 16 images, 60 s per image
 *     npm run bench:invert -- --quick            # the same models, σ ∈ {0, 0.01}, 2 images, 5 s per image (a smoke test)
 *     npm run bench:invert -- --models all       # also the LeakyReLU decoder
 *     npm run bench:invert -- --models mnist-dcgan32-generator --sigmas 0,0.01 --images 4 --time-limit 30
 *
 * Models: the committed ONNX exports of examples/models (scripts/train-mnist-decoder.py,
 * scripts/train-mnist-dcgan.py) and their committed test sets (z and torch's float32 y = G(z)).
 * For each model and noise level σ, seeded Gaussian noise of standard deviation σ·s is added to y,
 * where s = max |y| over the model's test images (the output scale), and every method inverts
 * every image:
 *
 * - project: `projectInvert` of bench/invert-methods.ts (`invertGenerator` with default options and
 *   the noise level; the adapter is the one place to swap the entry point);
 * - Lei LP: baseline (a), Lei et al.'s layerwise ℓ∞ LP solved by HiGHS (WebAssembly);
 * - Adam: baseline (b), Adam on ‖G(z) − y‖², 5 restarts × 1500 iterations.
 *
 * Reported per (model, σ, method): how many images got an estimate, the median and worst relative
 * error ‖ẑ − z‖/‖z‖ over the images (an image without an estimate counts as an infinite error),
 * the median and worst time per image, and for the project the ratios to the baselines of the same
 * run. Every method runs in a worker thread with the per-image time limit: the methods stop
 * themselves at the limit (returning their best estimate so far, or none), and a worker that has
 * not answered by 1.5× the limit + 10 s is terminated (status "killed"). After 3 images in a row
 * without an estimate because of the limit, the remaining images of that cell are skipped.
 */

import os from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { parseNpy } from "../src/io/npy.js";
import { Rng } from "../src/core/random.js";
import { median } from "./common.js";
import type { Job, JobResult } from "./invert-real-worker.js";

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

const USAGE =
  "usage: node dist/bench/invert-real.js [--quick] [--models a,b|all] [--sigmas 0,0.01] [--images N] [--time-limit SECONDS] [--methods project,lei,adam]";

interface ModelInfo {
  name: string;
  label: string;
  /** Relative error target on clean outputs (issue 10). */
  cleanTarget: number;
  /** Time target per image (issue 10), in ms, if any beyond "at most the Lei LP's". */
  timeTargetMs?: number;
}

const MODELS: ModelInfo[] = [
  {
    name: "mnist-vae-decoder",
    label: "FC VAE decoder 20→200→500→784 (ReLU, ReLU, sigmoid)",
    cleanTarget: 1e-4,
  },
  {
    name: "mnist-vae-decoder-leaky",
    label: "FC VAE decoder 20→200→500→784 (LeakyReLU 0.2, sigmoid)",
    cleanTarget: 1e-4,
  },
  {
    name: "mnist-dcgan32-generator",
    label: "DCGAN generator 32→1024→2048→4096→1024 (ConvT + folded BN + ReLU, ConvT + tanh)",
    cleanTarget: 1e-3,
    timeTargetMs: 5000,
  },
];

const METHODS = ["project", "lei", "adam"] as const;
type Method = (typeof METHODS)[number];
const METHOD_LABEL: Record<Method, string> = { project: "project", lei: "Lei LP", adam: "Adam" };

function parseArgs(argv: string[]) {
  let quick = false;
  let models: string[] | null = null;
  let sigmas: number[] | null = null;
  let images: number | null = null;
  let timeLimitS: number | null = null;
  let methods: Method[] = [...METHODS];
  const fail = (msg: string): never => {
    console.error(`bench:invert: ${msg}\n${USAGE}`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => argv[++i] ?? fail(`${a} needs a value`);
    if (a === "--quick") quick = true;
    else if (a === "--models") {
      models = next().split(",");
      if (models.length === 1 && models[0] === "all") models = MODELS.map((m) => m.name);
      for (const m of models) if (!MODELS.some((x) => x.name === m)) fail(`unknown model ${m}`);
    } else if (a === "--sigmas") {
      sigmas = next().split(",").map(Number);
      if (sigmas.some((s) => !Number.isFinite(s) || s < 0)) fail("--sigmas needs numbers >= 0");
    } else if (a === "--images") {
      images = Number(next());
      if (!Number.isInteger(images) || images < 1 || images > 16) fail("--images needs an integer in 1..16");
    } else if (a === "--time-limit") {
      timeLimitS = Number(next());
      if (!Number.isFinite(timeLimitS) || timeLimitS <= 0) fail("--time-limit needs a positive number");
    } else if (a === "--methods") {
      methods = next().split(",") as Method[];
      for (const m of methods) if (!METHODS.includes(m)) fail(`unknown method ${m}`);
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown option ${a}`);
  }
  return {
    quick,
    models: models ?? ["mnist-vae-decoder", "mnist-dcgan32-generator"],
    sigmas: sigmas ?? (quick ? [0, 0.01] : [0, 0.001, 0.01, 0.05]),
    images: images ?? (quick ? 2 : 16),
    timeLimitMs: (timeLimitS ?? (quick ? 5 : 60)) * 1000,
    methods,
  };
}

const ARGS = parseArgs(process.argv.slice(2));
const MODEL_DIR = join(import.meta.dirname, "../../examples/models");
/** Images in a row without an estimate (time limit) after which a cell's other images are skipped. */
const SKIP_AFTER = 3;

// ---------------------------------------------------------------------------------------------
// Workers: one per method, one job at a time, ended when a job overruns
// ---------------------------------------------------------------------------------------------

class MethodWorker {
  private worker: Worker | null = null;
  private prepared = new Set<string>();
  private nextId = 1;

  constructor(readonly method: Method) {}

  private async start(): Promise<Worker> {
    if (this.worker) return this.worker;
    const w = new Worker(new URL("./invert-real-worker.js", import.meta.url));
    await new Promise<void>((resolve, reject) => {
      w.once("message", () => resolve());
      w.once("error", reject);
    });
    this.worker = w;
    this.prepared.clear();
    return w;
  }

  private request<T>(w: Worker, msg: unknown, timeoutMs: number): Promise<T | "timeout"> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        resolve("timeout");
      }, timeoutMs);
      const onMessage = (m: T) => {
        cleanup();
        resolve(m);
      };
      const onError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const cleanup = () => {
        clearTimeout(timer);
        w.off("message", onMessage);
        w.off("error", onError);
      };
      w.on("message", onMessage);
      w.on("error", onError);
      w.postMessage(msg);
    });
  }

  async stop(): Promise<void> {
    if (this.worker) await this.worker.terminate();
    this.worker = null;
  }

  async run(
    modelPath: string,
    y: number[],
    sigma: number,
    timeLimitMs: number,
    seed: number,
  ): Promise<JobResult> {
    const id = this.nextId++;
    try {
      const w = await this.start();
      if (!this.prepared.has(modelPath)) {
        const p = await this.request<{ prepared: boolean; error?: string }>(
          w,
          { prepare: { method: this.method, modelPath } },
          600_000,
        );
        if (p === "timeout" || !p.prepared)
          throw new Error(`setup failed: ${p === "timeout" ? "timeout" : (p.error ?? "")}`);
        this.prepared.add(modelPath);
      }
      const job: Job = { id, method: this.method, modelPath, y, sigma, timeLimitMs, seed };
      const t0 = performance.now();
      const r = await this.request<JobResult>(w, job, 1.5 * timeLimitMs + 10_000);
      if (r === "timeout") {
        await this.stop();
        return { id, z: null, status: "killed", ms: performance.now() - t0 };
      }
      return r;
    } catch (e) {
      await this.stop();
      return { id, z: null, status: "error", ms: NaN, error: e instanceof Error ? e.message : String(e) };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Data and statistics
// ---------------------------------------------------------------------------------------------

function readRows(path: string): number[][] {
  const { shape, data } = parseNpy(new Uint8Array(readFileSync(path)), path);
  if (shape.length !== 2) throw new Error(`${path}: expected a 2-D array, got shape [${shape.join(", ")}]`);
  const [r, c] = shape;
  return Array.from({ length: r }, (_, i) => Array.from(data.subarray(i * c, (i + 1) * c)));
}

function relativeError(a: number[], b: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

interface Outcome {
  err: number;
  ms: number;
  status: string;
}

interface Cell {
  model: string;
  sigma: number;
  method: Method;
  outcomes: Outcome[];
}

const fmtErr = (x: number): string => (!Number.isFinite(x) ? "—" : x === 0 ? "0" : x.toExponential(1));
const fmtS = (ms: number): string =>
  !Number.isFinite(ms)
    ? "—"
    : ms >= 10_000
      ? (ms / 1000).toFixed(0)
      : ms >= 1000
        ? (ms / 1000).toFixed(1)
        : (ms / 1000).toFixed(2);
const fmtRatio = (r: number): string =>
  !Number.isFinite(r) ? "—" : (r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toPrecision(2)) + "×";

/** Status counts, most frequent first ("16 found" or "3 time limit, 13 skipped"). */
function statusSummary(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([s, k]) => `${k} ${s}`)
    .join(", ");
}

const stats = (c: Cell) => {
  const ran = c.outcomes.filter((o) => o.status !== "skipped");
  const errs = c.outcomes.map((o) => o.err);
  const times = ran.map((o) => o.ms).filter(Number.isFinite);
  return {
    withEstimate: c.outcomes.filter((o) => Number.isFinite(o.err)).length,
    medErr: errs.length ? median(errs) : NaN,
    maxErr: errs.length ? Math.max(...errs) : NaN,
    medMs: times.length ? median(times) : NaN,
    maxMs: times.length ? Math.max(...times) : NaN,
  };
};

/** A Markdown table; columns are right-aligned except those named in `left` (text). */
function table(header: string[], rows: string[][], left: string[] = []): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const sep = header.map((h) => (left.includes(h) ? ":---" : "---:"));
  return [line(header), `|${sep.join("|")}|`, ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const workers = new Map<Method, MethodWorker>(ARGS.methods.map((m) => [m, new MethodWorker(m)]));
  const cells: Cell[] = [];
  const models = MODELS.filter((m) => ARGS.models.includes(m.name));
  for (const [mi, model] of models.entries()) {
    const modelPath = join(MODEL_DIR, `${model.name}.onnx`);
    const Z = readRows(join(MODEL_DIR, `${model.name}-testset-z.npy`)).slice(0, ARGS.images);
    const Y = readRows(join(MODEL_DIR, `${model.name}-testset-y.npy`)).slice(0, ARGS.images);
    const scale = Math.max(...Y.flat().map(Math.abs));
    for (const [si, sigma] of ARGS.sigmas.entries()) {
      const noisy = Y.map((y, k) => {
        const rng = new Rng(1_000_000 + 10_000 * mi + 100 * si + k);
        return sigma === 0 ? y.slice() : y.map((v) => v + sigma * scale * rng.normal());
      });
      for (const method of ARGS.methods) {
        const cell: Cell = { model: model.name, sigma, method, outcomes: [] };
        let misses = 0;
        for (let k = 0; k < Z.length; k++) {
          if (misses >= SKIP_AFTER) {
            cell.outcomes.push({ err: Infinity, ms: NaN, status: "skipped" });
            continue;
          }
          const r = await workers
            .get(method)!
            .run(modelPath, noisy[k], sigma * scale, ARGS.timeLimitMs, k + 1);
          const err = r.z && r.z.every(Number.isFinite) ? relativeError(r.z, Z[k]) : Infinity;
          const status = r.status.startsWith("time limit (") ? "time limit (best so far)" : r.status;
          cell.outcomes.push({ err, ms: r.ms, status });
          const limited = /limit|killed/.test(r.status) && !Number.isFinite(err);
          misses = limited ? misses + 1 : 0;
          process.stderr.write(
            `${model.name} σ=${sigma} ${method} image ${k}: ${r.status}, error ${fmtErr(err)}, ${fmtS(r.ms)} s${r.error ? ` (${r.error})` : ""}\n`,
          );
        }
        cells.push(cell);
      }
    }
  }
  for (const w of workers.values()) await w.stop();
  const totalS = (performance.now() - t0) / 1000;

  // Tables.
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const out: string[] = [];
  out.push(
    `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${os.platform()} ${os.release()}; ${started.toISOString().slice(0, 16).replace("T", " ")} UTC.`,
    "",
    `Command: \`npm run bench:invert${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}\` (${ARGS.images} image(s) per model, σ ∈ {${ARGS.sigmas.join(", ")}}, time limit ${ARGS.timeLimitMs / 1000} s per image; total ${totalS.toFixed(0)} s).`,
    "",
    "Errors are ‖ẑ − z‖/‖z‖ (median and worst over the images; an image without an estimate counts as ∞, shown —); times are per image, in seconds. " +
      "Ratios compare the project's median with the baselines' medians in this run (error ÷ the better baseline's, time ÷ Lei LP's).",
  );
  for (const model of models) {
    out.push("", `**${model.name}**: ${model.label}`, "");
    const rows: string[][] = [];
    for (const sigma of ARGS.sigmas) {
      const here = cells.filter((c) => c.model === model.name && c.sigma === sigma);
      const byMethod = new Map(here.map((c) => [c.method, stats(c)]));
      const lei = byMethod.get("lei");
      const adam = byMethod.get("adam");
      const bestBase = Math.min(lei?.medErr ?? Infinity, adam?.medErr ?? Infinity);
      for (const c of here) {
        const s = byMethod.get(c.method)!;
        const isProject = c.method === "project";
        rows.push([
          String(sigma),
          METHOD_LABEL[c.method],
          statusSummary(c.outcomes),
          fmtErr(s.medErr),
          fmtErr(s.maxErr),
          fmtS(s.medMs),
          fmtS(s.maxMs),
          isProject && Number.isFinite(bestBase) ? fmtRatio(s.medErr / bestBase) : "",
          isProject && lei ? fmtRatio(s.medMs / lei.medMs) : "",
        ]);
      }
    }
    out.push(
      table(
        [
          "σ",
          "method",
          "status (images)",
          "median error",
          "worst error",
          "median s",
          "worst s",
          "error ÷ best baseline",
          "time ÷ Lei LP",
        ],
        rows,
        ["method", "status (images)"],
      ),
    );
  }

  // Targets of issue 10, for the project's method.
  if (ARGS.methods.includes("project")) {
    out.push("", "**Targets of issue 10** (the project's method, this run):", "");
    const rows: string[][] = [];
    for (const model of models) {
      const get = (sigma: number, m: Method) => {
        const c = cells.find((x) => x.model === model.name && x.sigma === sigma && x.method === m);
        return c ? stats(c) : null;
      };
      const clean = get(0, "project");
      const cleanLei = get(0, "lei");
      const verdict = (ok: boolean | null) => (ok === null ? "not measured" : ok ? "met" : "missed");
      const n = clean ? cells.find((x) => x.model === model.name && x.sigma === 0)!.outcomes.length : 0;
      const missing = clean ? n - clean.withEstimate : 0;
      const noEstimate = `missed: no estimate on ${missing} of ${n} images`;
      const cleanCell = !clean
        ? verdict(null)
        : `${verdict(clean.maxErr <= model.cleanTarget)} (worst ${fmtErr(clean.maxErr)} vs ≤ ${model.cleanTarget}${missing ? `; no estimate on ${missing} of ${n}` : ""})`;
      const timeCell =
        !clean || !cleanLei
          ? verdict(null)
          : missing
            ? noEstimate
            : `${verdict(clean.medMs <= cleanLei.medMs)} (median ${fmtS(clean.medMs)} s vs Lei LP ${fmtS(cleanLei.medMs)} s${cleanLei.withEstimate < n ? `, which gave no estimate on ${n - cleanLei.withEstimate} of ${n}` : ""})`;
      const limitCell = !model.timeTargetMs
        ? ""
        : !clean
          ? verdict(null)
          : missing
            ? noEstimate
            : `${verdict(clean.maxMs <= model.timeTargetMs)} (worst ${fmtS(clean.maxMs)} s vs ≤ ${model.timeTargetMs / 1000} s)`;
      const noisy = ARGS.sigmas.filter((s) => s > 0);
      const noisyParts = noisy.map((sg) => {
        const p = get(sg, "project");
        const base = Math.min(get(sg, "lei")?.medErr ?? Infinity, get(sg, "adam")?.medErr ?? Infinity);
        return {
          sg,
          ok: p !== null && Number.isFinite(p.medErr) && p.medErr <= base,
          p: p?.medErr ?? NaN,
          base,
        };
      });
      const noisyCell = !noisy.length
        ? verdict(null)
        : `${verdict(noisyParts.every((x) => x.ok))} (${noisyParts.map((x) => `σ = ${x.sg}: ${fmtErr(x.p)} vs ${fmtErr(x.base)}`).join("; ")})`;
      rows.push([model.name, cleanCell, timeCell, limitCell, noisyCell]);
    }
    out.push(
      table(
        [
          "model",
          "clean error",
          "clean time ≤ Lei LP",
          "≤ 5 s per image",
          "noisy median error ≤ better baseline",
        ],
        rows,
        [
          "model",
          "clean error",
          "clean time ≤ Lei LP",
          "≤ 5 s per image",
          "noisy median error ≤ better baseline",
        ],
      ),
    );
  }
  console.log(out.join("\n"));
}

await main();
