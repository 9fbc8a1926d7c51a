/**
 * `injective-relu phase --n 2..10 --ratio 2:12:0.25 --trials 200 --seed S [--bias] [--workers K]
 * [--shard k/N] [--out DIR] [--time-limit SECONDS] [--json]`: the Gaussian phase-transition sweep of
 * src/experiments/phase.ts (paper, Theorem 2), with a checkpoint that a re-run resumes, worker
 * threads, shards for job arrays, and `phase merge DIR... --out DIR` to join the shards.
 * See docs/phase.md.
 */

import { Command, InvalidArgumentError } from "commander";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { isInputError } from "../../core/index.js";
import {
  buildPhaseReport,
  compareWithTasks,
  DEFAULT_TIME_LIMIT_MS,
  parseIntegerList,
  parseRatioList,
  parseShard,
  phaseKey,
  phaseTasks,
  runPhaseInstances,
  sortInstances,
  type PhaseCompute,
  type PhaseReport,
  type PhaseSession,
  type PhaseShard,
  type PhaseSweepParams,
} from "../../experiments/phase.js";
import { defaultWorkerCount, phaseRunner } from "../../experiments/phase-pool.js";
import { combinePhaseReports, type CombinedPhaseReport } from "../../experiments/phase-combine.js";
import type { PhaseInstance } from "../../experiments/phase-types.js";
import { FileFormatError } from "../../io/errors.js";
import {
  appendInstances,
  appendSession,
  diffRunParams,
  ensureWritableDir,
  INSTANCES_FILE,
  readCheckpoint,
  readPhaseReport,
  readRunFile,
  readSessions,
  RUN_FILE,
  shardLabel,
  writeCombinedOutputs,
  writeInstances,
  writePhaseOutputs,
  writeRunFile,
  writeSessions,
  type PhaseRunFile,
} from "../../io/phase-files.js";
import { EXIT } from "../exit-codes.js";
import { fmtMs, fmtNum, table } from "../format.js";
import { parseInteger, parsePositive, printJson } from "../options.js";
import { interruptSignal, ProgressReporter } from "../progress.js";

/** Default of --pointwise-n. */
export const DEFAULT_POINTWISE_NS = "100,500,1000,2000,5000";
/**
 * Default of --out: a folder named after the run's parameters under `phase-runs/` in the working
 * directory (never the committed `results/phase`), so that re-running the same command resumes it.
 */
export function defaultPhaseOut(o: {
  n: number[];
  ratio: { spec: string };
  trials: number;
  seed: number;
  bias?: boolean;
  shard?: PhaseShard;
}): string {
  const ns =
    o.n.length > 1 && o.n.every((v, i) => i === 0 || v === o.n[i - 1] + 1)
      ? `${o.n[0]}-${o.n[o.n.length - 1]}`
      : o.n.join(",");
  const ratio = o.ratio.spec.replace(/[^0-9.,:-]/g, "").replace(/:/g, "-");
  const parts = [`n${ns}`, `ratio${ratio}`, `trials${o.trials}`, `seed${o.seed}`];
  if (o.bias) parts.push("bias");
  if (o.shard) parts.push(`shard${o.shard.index}of${o.shard.count}`);
  return join("phase-runs", parts.join("_"));
}

interface PhaseCliOptions {
  n: number[];
  ratio: { spec: string; values: number[] };
  trials: number;
  seed: number;
  bias?: boolean;
  workers: number;
  shard?: PhaseShard;
  out?: string;
  timeLimit: number;
  pointwiseN: number[];
  batchSize?: number;
  redoUnknown?: boolean;
  json?: boolean;
}

interface MergeCliOptions {
  out: string;
  allowPartial?: boolean;
  pointwiseN: number[];
  json?: boolean;
}

/** Turns a library parser's input error into commander's one-line "argument is invalid". */
function asOption<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (e) {
      if (isInputError(e)) throw new InvalidArgumentError(e.message);
      throw e;
    }
  };
}

function parseAtLeastOne(value: string): number {
  const x = parseInteger(value);
  if (x < 1) throw new InvalidArgumentError(`expected an integer >= 1, got "${value}"`);
  return x;
}

function parsePointwiseNs(value: string): number[] {
  return value.trim() === "none" || value.trim() === "" ? [] : parseIntegerList(value, "pointwise-n");
}

function toolVersion(): string {
  try {
    const url = new URL("../../../../package.json", import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** An argument as it would be typed in a POSIX shell. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Throws when two instances have the same (n, m, trial). */
function assertNoDuplicates(path: string, instances: readonly PhaseInstance[]): void {
  const seen = new Set<string>();
  for (const inst of instances) {
    const key = phaseKey(inst);
    if (seen.has(key))
      throw new FileFormatError(path, `holds instance n=${inst.n} m=${inst.m} trial ${inst.trial} twice`);
    seen.add(key);
  }
}

function describeKeys(keys: readonly { n: number; m: number; trial: number }[], max = 3): string {
  const shown = keys.slice(0, max).map((k) => `n=${k.n} m=${k.m} trial ${k.trial}`);
  return keys.length > max ? `${shown.join(", ")}, … (${keys.length} in all)` : shown.join(", ");
}

/** The `phase` command, with its `merge` subcommand (register it in src/cli/main.ts). */
export function phaseCommand(): Command {
  const cores = defaultWorkerCount();
  const cmd = new Command("phase")
    .description(
      "Gaussian phase transition (Theorem 2): P(ReLU(W x [+ b]) injective) for iid N(0, 1) W of shape (m, n), m = round(α n), by the exact verifier",
    )
    // --n and --ratio are required, but checked in the action: commander would also demand them of
    // `phase merge`.
    .option(
      "--n <list>",
      "input dimensions: a range 2..10 or a list 2,4,6 (required)",
      asOption(parseIntegerList),
    )
    .option(
      "--ratio <start:stop:step>",
      "ratios α = m/n, inclusive (e.g. 2:12:0.25), or a list 2,3,4 (required)",
      asOption((v: string) => ({ spec: v, values: parseRatioList(v) })),
    )
    .option("--trials <n>", "random layers per grid point", parseAtLeastOne, 200)
    .option("--seed <n>", "run seed (every instance's seed is derived from it)", parseInteger, 1)
    .option("--bias", "layers with a bias b ~ N(0, I) too (default: no bias)")
    .option(
      "--workers <k>",
      `worker threads (1 = in this process); default: the available CPUs (${cores} here)`,
      parseAtLeastOne,
      cores,
    )
    .option(
      "--shard <k/N>",
      "run only shard k of N (instances with global index ≡ k−1 mod N)",
      asOption(parseShard),
    )
    .option(
      "--out <dir>",
      "directory of the checkpoint and the outputs (a re-run resumes); default: phase-runs/<parameters>",
    )
    .option(
      "--time-limit <seconds>",
      "time limit per instance; an instance still undecided is unknown",
      parsePositive,
      DEFAULT_TIME_LIMIT_MS / 1000,
    )
    .option(
      "--pointwise-n <list>",
      'extra n for the pointwise curve P(active rows span R^n), on the same ratios ("none": none)',
      asOption(parsePointwiseNs),
      parsePointwiseNs(DEFAULT_POINTWISE_NS),
    )
    .option("--batch-size <k>", "instances per checkpoint write (default: 4 per worker)", parseAtLeastOne)
    .option(
      "--redo-unknown",
      "when resuming, decide the checkpoint's unknown instances again (for example those that hit the time limit because the machine was busy)",
    )
    .option("--json", "print phase.json on stdout")
    .enablePositionalOptions();
  cmd.addHelpText(
    "after",
    `
Outputs in --out: run.json (parameters), instances.jsonl (checkpoint, one instance per line),
sessions.jsonl (compute), and when the sweep is complete phase.csv, phase.json, phase.svg, phase.png.
Re-running the same command resumes from the checkpoint; other parameters with the same --out are refused.
A sharded run (--shard k/N) writes only its checkpoint: join the shards with \`phase merge\`.

Exit codes: 0 done, 3 bad input, 4 internal error, 130 interrupted (Ctrl-C; the checkpoint is kept).

Examples:
  injective-relu phase --n 2..6 --ratio 2:8:0.5 --trials 50 --out results/phase
  injective-relu phase --n 2..10 --ratio 2:12:0.25 --trials 200 --shard 3/8 --out shards/3
  injective-relu phase merge shards/* --out results/phase`,
  );
  cmd.action(async (opts: Partial<PhaseCliOptions>) => {
    for (const [key, flag] of [
      ["n", "--n <list>"],
      ["ratio", "--ratio <start:stop:step>"],
    ] as const) {
      if (opts[key] === undefined)
        cmd.error(`error: required option '${flag}' not specified`, {
          code: "commander.missingMandatoryOptionValue",
        });
    }
    process.exitCode = await runPhaseCommand(opts as PhaseCliOptions);
  });
  cmd.addCommand(mergeCommand());
  cmd.addCommand(combineCommand());
  // The top-level program hands `phase merge DIRS --out X` to `phase` with "--out X" still to parse,
  // and `phase` knows --out, --json and --pointwise-n too: pass the values given on to `merge`.
  cmd.hook("preSubcommand", (phase, sub) => {
    const shared = new Set(["out", "json", "pointwiseN"]);
    for (const option of phase.options) {
      const name = option.attributeName();
      if (phase.getOptionValueSource(name) !== "cli") continue;
      if (!shared.has(name) || (sub.name() === "combine" && name === "pointwiseN"))
        throw new InvalidInput(`option ${option.long} does not apply to phase ${sub.name()}`);
      sub.setOptionValueWithSource(name, phase.getOptionValue(name), "cli");
    }
  });
  return cmd;
}

interface CombineCliOptions {
  out: string;
  fitMinN: number;
  json?: boolean;
}

function combineCommand(): Command {
  const cmd = new Command("combine")
    .description(
      "join the reports of finished sweeps at different n (for example n <= 8, then n = 9 and 10 with fewer trials) and recompute the crossings and the extrapolation",
    )
    .argument("<dirs...>", "directories of finished sweeps (each with its phase.json)")
    .requiredOption("--out <dir>", "directory of the combined phase.json, phase.csv and plots")
    .option(
      "--fit-min-n <n>",
      "smallest n used by the extrapolation drawn in the plot (others are reported as a sensitivity check)",
      parseAtLeastOne,
      4,
    )
    .option("--json", "print the combined phase.json on stdout")
    .exitOverride();
  cmd.action(async (dirs: string[], opts: CombineCliOptions) => {
    process.exitCode = await runCombineCommand(dirs, opts);
  });
  return cmd;
}

async function runCombineCommand(dirs: string[], opts: CombineCliOptions): Promise<number> {
  const sources = dirs.map((dir) => ({ dir, report: readPhaseReport(dir) }));
  ensureWritableDir(opts.out);
  let report: CombinedPhaseReport;
  try {
    report = combinePhaseReports(sources, opts.fitMinN);
  } catch (e) {
    if (isInputError(e)) throw new InvalidInput((e as Error).message);
    throw e;
  }
  report = await writeCombinedOutputs(opts.out, report);
  if (opts.json) {
    printJson(report);
    return EXIT.injective;
  }
  const lines = [
    `Combined ${sources.length} sweep(s): ${sources
      .map((x) => `${x.dir} (n = ${x.report.params.ns.join(", ")}, ${x.report.params.trials} trials)`)
      .join("; ")}`,
    "",
    "Crossings α_½(n), where P(injective) = 1/2:",
    table(
      ["n", "α_½", "95% interval", "fit"],
      report.crossings.map((c) => [
        String(c.n),
        c.alpha === null ? "not bracketed" : fmtNum(c.alpha, 4),
        c.low === null || c.high === null ? "-" : `[${fmtNum(c.low, 4)}, ${fmtNum(c.high, 4)}]`,
        c.method,
      ]),
    ),
    "",
    "Extrapolation n → ∞ by the smallest n used:",
    table(
      ["n from", "α_½(∞)", "± stderr", "95% interval", "fit"],
      report.extrapolations.map(({ minN, result: e }) =>
        e
          ? [
              `${minN}`,
              fmtNum(e.alpha, 4),
              fmtNum(e.stderr, 2),
              `[${fmtNum(e.low, 4)}, ${fmtNum(e.high, 4)}]`,
              e.fit,
            ]
          : [`${minN}`, "-", "-", "-", "fewer than 3 crossings"],
      ),
    ),
    "",
    `Written: ${Object.values(report.files ?? {}).join(", ")}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  return EXIT.injective;
}

function mergeCommand(): Command {
  const cmd = new Command("merge")
    .description("join the checkpoints of shards (or partial runs) of one sweep and write the outputs")
    .argument("<dirs...>", "the --out directories of the shards")
    .requiredOption("--out <dir>", "directory of the merged checkpoint and outputs")
    .option("--allow-partial", "merge even when instances are missing (they are counted and reported)")
    .option(
      "--pointwise-n <list>",
      'extra n for the pointwise curve ("none": none)',
      asOption(parsePointwiseNs),
      parsePointwiseNs(DEFAULT_POINTWISE_NS),
    )
    .option("--json", "print phase.json on stdout")
    .exitOverride();
  cmd.action(async (dirs: string[], opts: MergeCliOptions) => {
    process.exitCode = await runMergeCommand(dirs, opts);
  });
  return cmd;
}

async function runPhaseCommand(opts: PhaseCliOptions): Promise<number> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const params: PhaseSweepParams = {
    ns: opts.n,
    ratios: opts.ratio.values,
    trials: opts.trials,
    seed: opts.seed,
    bias: opts.bias === true,
    timeLimitMs: opts.timeLimit * 1000,
  };
  const shard = opts.shard ?? null;
  const tasks = phaseTasks(params, shard);
  if (tasks.length === 0 && shard === null)
    throw new InvalidInput("the grid is empty (every m = round(α n) is < 1)");
  const out = opts.out ?? defaultPhaseOut(opts);
  ensureWritableDir(out);
  const runFile: PhaseRunFile = {
    format: "injective-relu/phase-run",
    version: 1,
    ...params,
    ratioSpec: opts.ratio.spec,
    shard,
    toolVersion: toolVersion(),
    createdAt: startedAt,
  };
  const existing = readRunFile(out);
  if (existing) {
    const diffs = diffRunParams(existing, runFile);
    if (diffs.length > 0) {
      throw new FileFormatError(
        join(out, RUN_FILE),
        `belongs to a run with other parameters (${diffs.join("; ")}): re-run with the same parameters to resume, or use another --out`,
      );
    }
  } else {
    if (readCheckpoint(out).instances.length > 0)
      throw new FileFormatError(join(out, INSTANCES_FILE), `has no ${RUN_FILE} beside it: use another --out`);
    writeRunFile(out, runFile);
  }
  const checkpointPath = join(out, INSTANCES_FILE);
  const checkpoint = readCheckpoint(out, { repair: true });
  assertNoDuplicates(checkpointPath, checkpoint.instances);
  const { foreign } = compareWithTasks(tasks, checkpoint.instances);
  if (foreign.length > 0) {
    throw new FileFormatError(
      checkpointPath,
      `holds ${foreign.length} instance(s) that are not part of this run (${describeKeys(foreign, 1)}): use another --out`,
    );
  }
  // --redo-unknown: the unknowns leave the checkpoint (rewritten atomically) and run again. A kill
  // before they are decided again leaves them simply not done.
  let redone: { instances: number; timeMs: number } | null = null;
  if (opts.redoUnknown) {
    const unknown = checkpoint.instances.filter((i) => i.injective === null);
    if (unknown.length > 0) {
      checkpoint.instances = checkpoint.instances.filter((i) => i.injective !== null);
      writeInstances(out, checkpoint.instances);
      redone = { instances: unknown.length, timeMs: unknown.reduce((a, i) => a + i.timeMs, 0) };
    }
  }
  const done = new Set(checkpoint.instances.map(phaseKey));
  const todo = tasks.filter((t) => !done.has(phaseKey(t)));
  const workers = Math.max(1, Math.min(opts.workers, todo.length));
  const label = shardLabel(shard);

  const progress = new ProgressReporter("phase", !opts.json && process.stderr.isTTY === true, "instances");
  const interrupt = interruptSignal();
  let ran: { instances: PhaseInstance[]; cancelled: boolean };
  let sessionRecorded = false;
  const recordSession = (instances: number, completed: boolean) => {
    if (sessionRecorded || instances === 0) return;
    sessionRecorded = true;
    appendSession(out, {
      startedAt,
      wallTimeMs: performance.now() - t0,
      instances,
      workers,
      cpus: availableParallelism(),
      node: process.version,
      shard: label,
      completed,
      ...(redone ? { redoneUnknown: redone } : {}),
    });
  };
  let finished = 0;
  try {
    ran = await runPhaseInstances(todo, {
      runner: phaseRunner(workers),
      batchSize: opts.batchSize ?? 4 * workers,
      signal: interrupt.signal,
      onBatch: (batch) => appendInstances(out, batch),
      onProgress: (d) => {
        finished = d;
        progress.onProgress({
          stage: label ? `shard ${label}` : "sweep",
          done: checkpoint.instances.length + d,
          total: tasks.length,
        });
      },
    });
  } catch (e) {
    recordSession(finished, false);
    throw e;
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  recordSession(ran.instances.length, !ran.cancelled);
  const all = [...checkpoint.instances, ...ran.instances];
  const command = ["injective-relu", ...process.argv.slice(2)].map(shellQuote).join(" ");

  if (ran.cancelled) {
    const message =
      `Interrupted: ${all.length} of ${tasks.length} instances done, kept in ${checkpointPath}.\n` +
      `Resume with the same command:\n  ${command}\n`;
    if (opts.json) {
      printJson({
        interrupted: true,
        doneInstances: all.length,
        expectedInstances: tasks.length,
        checkpoint: checkpointPath,
        resume: command,
      });
      process.stderr.write(message);
    } else {
      process.stdout.write(message);
    }
    return EXIT.cancelled;
  }

  const compute = computeOf(readSessions(out), all, workers);
  let report = buildPhaseReport({
    params: { ...params, ratioSpec: opts.ratio.spec, shard: label, pointwiseNs: opts.pointwiseN },
    instances: sortInstances(all),
    expectedInstances: tasks.length,
    partial: shard !== null,
    compute,
  });
  if (shard === null) report = await writePhaseOutputs(out, report);
  if (opts.json) {
    printJson(report);
    return EXIT.injective;
  }
  const lines = [header(report)];
  lines.push(
    `${tasks.length} instances${label ? ` in shard ${label}` : ""}: ${checkpoint.instances.length} from the checkpoint${checkpoint.truncated ? " (a truncated last line was dropped)" : ""}, ${ran.instances.length} run now${redone ? ` (${redone.instances} of them unknown before, decided again)` : ""} with ${workers} worker${workers === 1 ? "" : "s"} on ${availableParallelism()} CPUs in ${fmtMs(performance.now() - t0)}`,
  );
  lines.push("", describeReport(report));
  if (shard !== null) {
    lines.push(
      "",
      `Shard ${label}: these are partial counts (only this shard's trials). Checkpoint: ${checkpointPath}.`,
      `When every shard is done: injective-relu phase merge DIR1 DIR2 … --out DIR`,
    );
  }
  process.stdout.write(lines.join("\n") + "\n");
  return EXIT.injective;
}

/** A bad command line that commander cannot see (an empty grid). */
class InvalidInput extends Error {
  readonly isInputError = true;
}

function computeOf(
  sessions: PhaseSession[],
  instances: readonly PhaseInstance[],
  workers: number | null,
): PhaseCompute {
  return {
    wallTimeMs: sessions.reduce((s, x) => s + x.wallTimeMs, 0),
    instanceTimeMs: instances.reduce((s, x) => s + x.timeMs, 0),
    cpus: availableParallelism(),
    workers,
    node: process.version,
    sessions,
  };
}

async function runMergeCommand(dirs: string[], opts: MergeCliOptions): Promise<number> {
  const t0 = performance.now();
  const outAbs = resolve(opts.out);
  const runs: PhaseRunFile[] = [];
  for (const dir of dirs) {
    if (resolve(dir) === outAbs)
      throw new InvalidInput(`--out ${opts.out} is one of the merged directories: choose another`);
    const run = readRunFile(dir);
    if (!run) throw new FileFormatError(dir, `is not a phase run directory (no ${RUN_FILE})`);
    runs.push(run);
  }
  const first = runs[0];
  for (let i = 1; i < runs.length; i++) {
    const diffs = diffRunParams(first, runs[i], { ignoreShard: true });
    if (diffs.length > 0)
      throw new InvalidInput(
        `${dirs[0]} and ${dirs[i]} are runs with other parameters (${diffs.join("; ")})`,
      );
  }
  const params: PhaseSweepParams = {
    ns: first.ns,
    ratios: first.ratios,
    trials: first.trials,
    seed: first.seed,
    bias: first.bias,
    timeLimitMs: first.timeLimitMs,
  };
  const tasks = phaseTasks(params, null);
  const owner = new Map<string, string>();
  const duplicates: { n: number; m: number; trial: number; dirs: string[] }[] = [];
  const all: PhaseInstance[] = [];
  let truncated = 0;
  for (const dir of dirs) {
    const cp = readCheckpoint(dir);
    if (cp.truncated) truncated++;
    const { foreign } = compareWithTasks(tasks, cp.instances);
    if (foreign.length > 0) {
      throw new FileFormatError(
        join(dir, INSTANCES_FILE),
        `holds ${foreign.length} instance(s) that are not part of this sweep (${describeKeys(foreign, 1)})`,
      );
    }
    for (const inst of cp.instances) {
      const key = phaseKey(inst);
      const prev = owner.get(key);
      if (prev !== undefined) {
        duplicates.push({ n: inst.n, m: inst.m, trial: inst.trial, dirs: [prev, dir] });
        continue;
      }
      owner.set(key, dir);
      all.push(inst);
    }
  }
  if (duplicates.length > 0) {
    const d = duplicates[0];
    throw new InvalidInput(
      `the shards overlap: ${duplicates.length} duplicate instance(s), e.g. n=${d.n} m=${d.m} trial ${d.trial} in both ${d.dirs[0]} and ${d.dirs[1]} (${describeKeys(duplicates)})`,
    );
  }
  const { missing } = compareWithTasks(tasks, all);
  if (missing.length > 0 && !opts.allowPartial) {
    throw new InvalidInput(
      `${missing.length} of ${tasks.length} instances are missing (${describeKeys(missing)}): finish or add the missing shards, or pass --allow-partial`,
    );
  }
  ensureWritableDir(opts.out);
  const mergedRun: PhaseRunFile = {
    ...first,
    shard: null,
    mergedFrom: dirs,
    createdAt: new Date().toISOString(),
  };
  const existing = readRunFile(opts.out);
  if (existing) {
    const diffs = diffRunParams(existing, mergedRun);
    if (diffs.length > 0) {
      throw new FileFormatError(
        join(opts.out, RUN_FILE),
        `belongs to a run with other parameters (${diffs.join("; ")}): use another --out`,
      );
    }
  }
  writeRunFile(opts.out, mergedRun);
  const sorted = sortInstances(all);
  writeInstances(opts.out, sorted);
  const sessions = dirs.flatMap((d) => readSessions(d));
  writeSessions(opts.out, sessions);
  let report = buildPhaseReport({
    params: { ...params, ratioSpec: first.ratioSpec, shard: null, pointwiseNs: opts.pointwiseN },
    instances: sorted,
    expectedInstances: tasks.length,
    partial: false,
    compute: computeOf(sessions, sorted, null),
  });
  report = await writePhaseOutputs(opts.out, report);
  if (opts.json) {
    printJson(report);
    return EXIT.injective;
  }
  const lines = [header(report)];
  lines.push(
    `Merged ${dirs.length} director${dirs.length === 1 ? "y" : "ies"} (${dirs.join(", ")}) in ${fmtMs(performance.now() - t0)}: ${sorted.length} of ${tasks.length} instances` +
      (truncated > 0 ? `; ${truncated} checkpoint(s) had a truncated last line, ignored` : ""),
  );
  if (missing.length > 0) {
    const perN = new Map<number, number>();
    for (const k of missing) perN.set(k.n, (perN.get(k.n) ?? 0) + 1);
    lines.push(
      `PARTIAL: ${missing.length} instances missing (${[...perN].map(([n, c]) => `n=${n}: ${c}`).join(", ")}); the counts below cover the instances present`,
    );
  }
  lines.push("", describeReport(report));
  process.stdout.write(lines.join("\n") + "\n");
  return EXIT.injective;
}

function header(r: PhaseReport): string {
  const p = r.params;
  return (
    `Gaussian phase transition (Theorem 2): W with iid N(0, 1) entries${p.bias ? ", b ~ N(0, I)" : ", no bias"}; ` +
    `n = ${p.ns.join(", ")}; α = ${p.ratioSpec} (m = round(α n)); ${p.trials} trials per point; seed ${p.seed}; ` +
    `time limit ${fmtNum(p.timeLimitMs / 1000)} s per instance`
  );
}

function fmtP(x: number | null): string {
  return x === null ? "-" : fmtNum(x, 3);
}

/** The tables per n, the crossings, the extrapolation and the files written. */
export function describeReport(r: PhaseReport): string {
  const lines: string[] = [];
  for (const n of r.params.ns) {
    const pts = r.points.filter((p) => p.n === n);
    if (pts.length === 0) continue;
    lines.push(
      `n = ${n}`,
      table(
        ["m", "ratio", "trials", "injective", "not", "unknown", "p", "95% interval", "median time"],
        pts.map((p) => [
          String(p.m),
          fmtNum(p.ratio, 4),
          String(p.trials),
          String(p.injective),
          String(p.notInjective),
          String(p.unknown),
          fmtP(p.p),
          p.low === null || p.high === null ? "-" : `[${fmtP(p.low)}, ${fmtP(p.high)}]`,
          p.trials > 0 ? fmtMs(p.medianTimeMs) : "-",
        ]),
      ),
      "",
    );
  }
  if (!r.partial) {
    if (r.crossings.length > 0) {
      lines.push(
        "Crossings α_½(n), where P(injective) = 1/2 (the fit of each n is in phase.json):",
        table(
          ["n", "α_½", "95% interval"],
          r.crossings.map((c) => [
            String(c.n),
            c.alpha === null ? "not bracketed" : fmtNum(c.alpha, 4),
            c.low === null || c.high === null ? "-" : `[${fmtNum(c.low, 4)}, ${fmtNum(c.high, 4)}]`,
          ]),
        ),
        "",
      );
    }
    const e = r.extrapolation;
    lines.push(
      e
        ? `Extrapolation n → ∞: α_½ = ${fmtNum(e.alpha, 4)} ± ${fmtNum(e.stderr, 2)}, 95% interval [${fmtNum(e.low, 4)}, ${fmtNum(e.high, 4)}] (${e.fit}; n = ${e.ns.join(", ")})`
        : "Extrapolation n → ∞: not available (too few crossings)",
    );
    if (r.pointwise.length > 0) {
      const ns = [...new Set(r.pointwise.map((q) => q.n))];
      lines.push(
        `Pointwise curve P(active rows span R^n): ${r.pointwise.length} points at n = ${ns.join(", ")} (in phase.json and phase.csv)`,
      );
    }
  }
  if (r.files) lines.push(`Written: ${[r.files.csv, r.files.json, r.files.svg, r.files.png].join(", ")}`);
  lines.push(
    `Compute: ${fmtMs(r.compute.wallTimeMs)} wall time over ${r.compute.sessions.length} session(s), ${fmtMs(r.compute.instanceTimeMs)} in the verifier`,
  );
  return lines.join("\n");
}
