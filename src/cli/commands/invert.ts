/**
 * `injective-relu invert MODEL --output y.(json|npy)|ys.npy|DIR`: find z with G(z) = y for one
 * output or many, by {@link invertGenerator} (src/invert/invert-generator.ts): exact layerwise
 * inversion on small networks, then the active-set refinement through the whole network, the
 * precision-aware tolerance, and the uniqueness certificate. Many images (an N × d .npy, a JSON
 * array of arrays, a folder) are inverted in worker threads (src/invert/invert-batch.ts) with a
 * progress bar, writing zs.npy and a per-image table. `--compare` also runs the baselines: the robust
 * layerwise LP (Lei et al. 2019; src/invert/robust-layer.ts) and gradient descent (Adam;
 * src/invert/gradient-inversion.ts).
 */

import { Command, InvalidArgumentError } from "commander";
import { writeFile } from "node:fs/promises";
import { FileFormatError } from "../../io/errors.js";
import { readNetworkFile } from "../../io/network-file.js";
import { writeNpy } from "../../io/npy.js";
import {
  invertGeneratorAsync,
  type GeneratorInverse,
  type InvertGeneratorOptions,
} from "../../invert/invert-generator.js";
import {
  defaultBatchWorkers,
  invertGeneratorBatch,
  relativeL2,
  type BatchItem,
} from "../../invert/invert-batch.js";
import { invertNetworkRobust } from "../../invert/robust-layer.js";
import { gradientInversion } from "../../invert/gradient-inversion.js";
import { forwardUnchecked, type Network } from "../../model/network.js";
import { InputRangeError } from "../../core/validate.js";
import { fmtMs, fmtNum, fmtVec, table } from "../format.js";
import { isResourceLimitError } from "../../core/budget.js";
import {
  memoryLimitOption,
  parseInteger,
  parsePositive,
  printJson,
  reportLimit,
  readerOptions,
} from "../options.js";
import { ProgressReporter, interruptSignal } from "../progress.js";
import { readOutputs, readTruths } from "./invert-input.js";

interface InvertCliOptions {
  output: string;
  tolerance?: number;
  json?: boolean;
  noise: number;
  noiseAware?: boolean;
  norm: "l2" | "linf" | "l1";
  truth?: string;
  compare?: boolean;
  restarts: number;
  iterations: number;
  lr: number;
  seed: number;
  starts?: number;
  workers?: number;
  out: string;
  timeLimit?: number;
  memoryLimit?: number;
}

/** Exit codes of `invert`: 0 unique, 1 found (not proved unique), 2 no preimage / local fit / limit, 3 bad input. */
export const INVERT_EXIT = { unique: 0, notUnique: 1, noPreimage: 2 } as const;

/** Exit code of one result. */
export function invertExitCode(r: Pick<GeneratorInverse, "status">): number {
  return r.status === "unique"
    ? INVERT_EXIT.unique
    : r.status === "found"
      ? INVERT_EXIT.notUnique
      : INVERT_EXIT.noPreimage;
}

/** Parses a number >= 0. */
function parseNonnegative(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x < 0) throw new InvalidArgumentError(`expected a number >= 0, got "${value}"`);
  return x;
}

function libraryOptions(
  opts: InvertCliOptions,
  yPrecision: InvertGeneratorOptions["yPrecision"],
): InvertGeneratorOptions {
  return {
    noise: opts.noise,
    ...(opts.tolerance !== undefined ? { tolerance: opts.tolerance } : {}),
    ...(opts.timeLimit !== undefined ? { timeLimitMs: opts.timeLimit * 1000 } : {}),
    ...(opts.memoryLimit !== undefined ? { memoryLimitBytes: opts.memoryLimit } : {}),
    ...(opts.starts !== undefined ? { starts: opts.starts } : {}),
    seed: opts.seed,
    yPrecision,
    norm: opts.norm,
  };
}

/** "unique (certified in its activation region)" and the like. */
function statusText(r: GeneratorInverse): string {
  switch (r.status) {
    case "unique":
      return r.certificate === "layerwise"
        ? "unique (every layer's preimage is unique)"
        : "unique (certified in its activation region)";
    case "found":
      return r.second
        ? "found, NOT unique (a second preimage is printed)"
        : "found, uniqueness not certified";
    case "local-fit":
      return "local fit only (no consistent fit found)";
    case "no-preimage":
      return "no preimage";
    default:
      return "time limit (best estimate so far)";
  }
}

/** The human report of one inversion. */
export function describeInverse(r: GeneratorInverse, error?: number): string {
  const lines: string[] = [];
  const head = r.status === "unique" || r.status === "found" ? "Preimage" : "Best estimate";
  lines.push(`${head}: z = ${fmtVec(r.z, 10)}`);
  if (r.second) lines.push(`  second preimage: z2 = ${fmtVec(r.second, 10)}`);
  lines.push(`  status: ${statusText(r)}`);
  const tolWhat =
    r.toleranceSource === "option"
      ? "--tolerance"
      : r.toleranceSource === "noise"
        ? `noise σ`
        : r.precision.model === "float64" && r.precision.y === "float64"
          ? "float64"
          : `the ${worse(r.precision.model, r.precision.y)} rounding bound`;
  const exact =
    r.toleranceSource === "precision" &&
    r.consistent &&
    worse(r.precision.model, r.precision.y) !== "float64";
  lines.push(
    r.toleranceSource === "noise"
      ? `  relative residual ‖G(z) − y‖∞/‖y‖∞ = ${sci(r.residual)}; rms residual ${sci(r.residualRms)} (noise σ = ${sci(r.noise)}: ${r.consistent ? "consistent" : "not consistent"})`
      : `  relative residual ‖G(z) − y‖∞/‖y‖∞ = ${sci(r.residual)} (rms ${sci(r.residualRms)}); tolerance ${sci(r.tolerance)} (${tolWhat})` +
          (exact ? `: exact up to ${worse(r.precision.model, r.precision.y)} rounding` : ""),
  );
  if (error !== undefined) lines.push(`  relative error ‖z − z_true‖/‖z_true‖ = ${fmtNum(error, 3)}`);
  if (r.zErrorBound !== undefined)
    lines.push(
      `  error bound (first order, from the rounding bound): ‖z − z_true‖₂ <= ${fmtNum(r.zErrorBound, 3)}`,
    );
  if (r.saturated > 0) lines.push(`  ${r.saturated} saturated output(s) treated as inequalities`);
  lines.push(`  ${r.reason}`);
  const jac = r.starts.reduce((a, s) => a + s.jacobians, 0);
  lines.push(`  method: ${r.method}; ${r.starts.length} start(s), ${jac} Jacobian(s); ${fmtMs(r.timeMs)}`);
  return lines.join("\n");
}

/** A small number in scientific notation, a moderate one plainly. */
function sci(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6) ? x.toExponential(2) : fmtNum(x, 3);
}

function worse(a: string, b: string): string {
  const order = ["float64", "float32", "float16", "bfloat16"];
  return order.indexOf(a) >= order.indexOf(b) ? a : b;
}

/** `--compare` (and `--noise-aware`): the project's method and the baselines, in one table. */
function runCompare(
  net: Network,
  y: number[],
  r: GeneratorInverse,
  opts: InvertCliOptions,
  truth?: Float64Array,
): void {
  const rel = (x: number[]) => relativeL2(forwardUnchecked(net, x), y);
  const rows: { method: string; x: number[]; error: number | null; residual: number; timeMs: number }[] = [];
  rows.push({
    method: `invertGenerator (${r.method})`,
    x: r.z,
    error: truth ? relativeL2(r.z, truth) : null,
    residual: rel(r.z),
    timeMs: r.timeMs,
  });
  const limits = {
    ...(opts.timeLimit !== undefined ? { timeLimitMs: opts.timeLimit * 1000 } : {}),
    ...(opts.memoryLimit !== undefined ? { memoryLimitBytes: opts.memoryLimit } : {}),
  };
  try {
    const lpNorm = opts.norm === "linf" ? "linf" : "l1";
    const robust = invertNetworkRobust(net, y, { noiseLevel: opts.noise, norm: lpNorm, ...limits });
    rows.push({
      method: `robust LP (layerwise, ${lpNorm}, σ = ${opts.noise})`,
      x: robust.x,
      error: truth ? relativeL2(robust.x, truth) : null,
      residual: robust.residual,
      timeMs: robust.timeMs,
    });
  } catch (e) {
    if (!isResourceLimitError(e)) throw e;
    process.stdout.write(`robust LP: stopped (${e.message})\n`);
  }
  if (opts.compare) {
    const g = gradientInversion(net, y, {
      restarts: opts.restarts,
      iterations: opts.iterations,
      learningRate: opts.lr,
      seed: opts.seed,
    });
    rows.push({
      method: `gradient (Adam, ${opts.restarts} starts × ${opts.iterations} its, seed ${opts.seed})`,
      x: g.z,
      error: truth ? relativeL2(g.z, truth) : null,
      residual: g.residual,
      timeMs: g.timeMs,
    });
  }
  if (opts.json) {
    printJson({ ...jsonResult(r), methods: rows });
    return;
  }
  process.stdout.write(describeInverse(r, truth ? relativeL2(r.z, truth) : undefined) + "\n");
  for (const row of rows.slice(1)) process.stdout.write(`${row.method}: z = ${fmtVec(row.x, 6)}\n`);
  process.stdout.write(
    table(
      ["method", "rel. error ‖ẑ − z‖/‖z‖", "rel. residual ‖G(ẑ) − y‖/‖y‖", "time"],
      rows.map((row) => [
        row.method,
        row.error === null ? "(no --truth)" : sci(row.error),
        sci(row.residual),
        fmtMs(row.timeMs),
      ]),
    ) + "\n",
  );
}

/** The JSON form of one result (`x` repeats z for the older readers of `invert --json`). */
function jsonResult(r: GeneratorInverse, extra: Record<string, unknown> = {}) {
  const unique = r.status === "unique" ? true : r.second ? false : null;
  return { x: r.z, ...r, unique, ...extra };
}

/** The `invert` command (register it in src/cli/main.ts). */
export function invertCommand(): Command {
  const cmd = new Command("invert")
    .description("find z with G(z) = y (one output or many), and say whether it is certified unique")
    .argument("<model>", "network file (JSON, .onnx, TF.js model.json, .safetensors)")
    .requiredOption(
      "--output <file|dir>",
      "the output(s) to invert: a JSON array (or array of arrays), a .npy of shape (d), (N, d) or (N, …image shape), or a folder of .npy/.json images",
    )
    .option(
      "--noise <sigma>",
      "standard deviation σ of additive noise on y (0: exact up to rounding)",
      parseNonnegative,
      0,
    )
    .option(
      "--tolerance <t>",
      "relative residual that counts as exact (default: from the model's precision)",
      parsePositive,
    )
    .option("--truth <file>", "the true input(s) z (JSON or .npy; one row per image) to print the error")
    .option("--out <file>", "many images: where to write the estimates (N × n .npy)", "zs.npy")
    .option("--workers <k>", "many images: worker threads (default: the CPUs available)", parseInteger)
    .option(
      "--starts <n>",
      "random starts of the active-set refinement (default 8, 4 with noise)",
      parseInteger,
    )
    .option("--seed <n>", "seed of the random starts (and of the gradient baseline)", parseInteger, 1)
    .option("--json", "print machine-readable JSON on stdout")
    .option("--compare", "also run the baselines: robust layerwise LP and gradient descent (Adam)")
    .option(
      "--noise-aware",
      "also run the robust layerwise LP (Lei et al. 2019) and compare (y is noisy: give --noise σ)",
    )
    .option(
      "--norm <norm>",
      "the fit: l2 (least squares, Gaussian noise), l1 (robust to a few wrong entries) or linf (--noise bounds every entry); l1 and linf solve LPs on the activation pattern with HiGHS",
      "l2",
    )
    .option("--restarts <n>", "gradient baseline: random starts", parseInteger, 5)
    .option("--iterations <n>", "gradient baseline: Adam iterations per start", parseInteger, 1500)
    .option("--lr <rate>", "gradient baseline: initial learning rate", parsePositive, 0.1)
    .option(
      "--time-limit <seconds>",
      "per image: return the best estimate so far after this long",
      parsePositive,
    )
    .addOption(memoryLimitOption());
  cmd.addHelpText(
    "after",
    `
Exit codes (the worst image decides for many): 0 found and certified unique, 1 found but not
certified unique (a second preimage is printed when one was found), 2 no consistent fit (local fit,
no preimage, or the time limit), 3 bad input (an unreadable file, y of the wrong length or shape,
NaN in y).`,
  );
  cmd.action(async (path: string, opts: InvertCliOptions) => {
    if (opts.norm !== "l2" && opts.norm !== "l1" && opts.norm !== "linf")
      throw new InputRangeError(`invert: --norm must be l2, l1 or linf, got "${String(opts.norm)}"`);
    if (opts.workers !== undefined && opts.workers < 1)
      throw new InputRangeError(`invert: --workers must be at least 1, got ${opts.workers}`);
    const net = await readNetworkFile(path, readerOptions(opts));
    const outputs = await readOutputs(opts.output, net, opts.memoryLimit);
    const truths = opts.truth ? await readTruths(opts.truth, net.inputDim, outputs.ys.length) : undefined;
    const libOpts = libraryOptions(opts, outputs.precision);
    try {
      if (!outputs.batch) {
        const y = Array.from(outputs.ys[0]);
        const r = await invertGeneratorAsync(net, y, libOpts);
        if (opts.compare || opts.noiseAware) runCompare(net, y, r, opts, truths?.[0]);
        else if (opts.json) printJson(jsonResult(r, truths ? { error: relativeL2(r.z, truths[0]) } : {}));
        else process.stdout.write(describeInverse(r, truths ? relativeL2(r.z, truths[0]) : undefined) + "\n");
        process.exitCode = invertExitCode(r);
        return;
      }
      await runBatch(net, outputs.ys, outputs.names, libOpts, opts, truths);
    } catch (e) {
      if (!isResourceLimitError(e)) throw e;
      process.exitCode = reportLimit(path, e, opts.json);
    }
  });
  return cmd;
}

async function runBatch(
  net: Network,
  ys: Float64Array[],
  names: string[],
  libOpts: InvertGeneratorOptions,
  opts: InvertCliOptions,
  truths?: Float64Array[],
): Promise<void> {
  const workers = opts.workers ?? defaultBatchWorkers();
  const progress = new ProgressReporter("invert", undefined, "images");
  const { signal, dispose } = interruptSignal();
  let items: BatchItem[];
  const t0 = performance.now();
  try {
    items = await invertGeneratorBatch(net, ys, {
      ...libOpts,
      workers,
      signal,
      ...(truths ? { truths } : {}),
      onProgress: (done, total) => progress.onProgress({ stage: "inverting", done, total }),
    });
  } finally {
    progress.stop();
    dispose();
  }
  const wall = performance.now() - t0;
  const n = net.inputDim;
  const data = new Float64Array(items.length * n);
  items.forEach((it, k) => data.set(it.z, k * n));
  try {
    await writeFile(opts.out, writeNpy([items.length, n], data));
  } catch (e) {
    throw new FileFormatError(opts.out, `cannot write the estimates (${(e as Error).message})`);
  }
  const counts = new Map<string, number>();
  for (const it of items) counts.set(it.status, (counts.get(it.status) ?? 0) + 1);
  const median = (v: number[]) => {
    const s = v.filter(Number.isFinite).sort((a, b) => a - b);
    return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
  };
  const summary = {
    images: items.length,
    statuses: Object.fromEntries(counts),
    medianTimeMs: median(items.map((i) => i.timeMs)),
    wallMs: wall,
    workers: Math.min(workers, items.length),
    ...(truths
      ? {
          medianError: median(items.map((i) => i.error ?? NaN)),
          worstError: Math.max(...items.map((i) => i.error ?? 0)),
        }
      : {}),
    out: opts.out,
  };
  if (opts.json) {
    printJson({
      summary,
      results: items.map((it, k) => ({ name: names[k], ...jsonResult(it) })),
    });
  } else {
    process.stdout.write(
      table(
        ["image", "status", "certified", "residual", ...(truths ? ["error"] : []), "time"],
        items.map((it, k) => [
          names[k],
          it.failure ? `${it.status} (${it.failure})` : it.status,
          it.certified ? "yes" : "no",
          sci(it.residual),
          ...(truths ? [sci(it.error ?? NaN)] : []),
          fmtMs(it.timeMs),
        ]),
      ) + "\n",
    );
    process.stdout.write(
      `${items.length} image(s): ${[...counts].map(([s, c]) => `${c} ${s}`).join(", ")}; median time ${fmtMs(summary.medianTimeMs)} per image, ${fmtMs(wall)} in all on ${summary.workers} worker(s)` +
        (truths
          ? `; median error ${fmtNum(summary.medianError!, 3)}, worst ${fmtNum(summary.worstError!, 3)}`
          : "") +
        `\nEstimates written to ${opts.out} (${items.length} × ${n}, float64)\n`,
    );
  }
  process.exitCode = Math.max(...items.map((it) => (it.failure ? 3 : invertExitCode(it))));
}
