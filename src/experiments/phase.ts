/**
 * The Gaussian phase-transition sweep (paper, Theorem 2; docs/phase.md). Theorem 2 says that a ReLU layer
 * x ↦ ReLU(W x) with iid N(0, 1) weights W of shape (m, n) is injective with high probability once
 * the expansivity α = m/n is large enough, and never when m < 2n (Corollary 2). This module measures
 * P(injective) as a function of α for small n with the exact verifier (src/core/check-layer.ts), so
 * that the finite-size crossings α_½(n) and their limit n → ∞ can be estimated
 * (./phase-stats.ts).
 *
 * Everything here is pure with respect to I/O, except through callbacks:
 *
 * - the grid: {@link parseIntegerList}, {@link parseRatioList}, {@link phaseGrid} (m = round(α n),
 *   equal (n, m) merged);
 * - the instances: {@link phaseTasks} lists every (n, m, trial) in one fixed order (the *global
 *   index* used by shards), {@link instanceSeed} derives each instance's seed from (run seed, n, m,
 *   trial, bias) by an integer hash, {@link gaussianLayer} draws W (and b) from that seed;
 * - running: {@link runPhaseTask} checks one instance, {@link runPhaseInstances} runs a list of
 *   tasks through a {@link PhaseRunner} (in-process here, a worker pool in ./phase-pool.ts) and
 *   hands finished instances to a checkpoint callback in batches;
 * - aggregation: {@link aggregatePhase} turns instances into {@link PhasePoint} rows, and
 *   {@link buildPhaseReport} adds the crossings, the extrapolation and the pointwise curve.
 *
 * Determinism: an instance's verdict depends only on its seed and the time limit, and aggregation
 * sorts by (n, m, trial), so the same run seed gives the same counts whatever the number of
 * workers, the batch sizes, the execution order or the split into shards. Timing columns, and the
 * `method` that reached a verdict (the falsifier has a time budget), are not part of that claim; a
 * verdict is exact either way. An instance that hits the time limit is *unknown* and is never
 * counted as injective or not injective, so timeouts are the one way timing can change counts.
 */

import { checkLayer } from "../core/check-layer.js";
import { Rng } from "../core/random.js";
import { assertRange } from "../core/validate.js";
import { estimateCrossings, extrapolateCrossing, wilsonInterval } from "./phase-stats.js";
import { pointwiseCurve } from "./pointwise.js";
import type {
  PhaseCrossing,
  PhaseExtrapolation,
  PhaseInstance,
  PhasePoint,
  PointwisePoint,
} from "./phase-types.js";

/** Default time limit per instance (ms): an instance still undecided then is unknown. */
export const DEFAULT_TIME_LIMIT_MS = 60_000;

/** Most grid points or instances a sweep may list (a guard against typos such as a step of 1e-9). */
export const MAX_INSTANCES = 50_000_000;

/** One grid point: m = round(α n) rows for n inputs; `ratio` is m / n. */
export interface PhaseGridPoint {
  n: number;
  m: number;
  ratio: number;
}

/** The identity of one instance of the sweep. */
export interface PhaseKey {
  n: number;
  m: number;
  trial: number;
}

/** One instance to check: its key, its seed, whether it has a bias, and its time limit. */
export interface PhaseTask extends PhaseKey {
  seed: number;
  bias: boolean;
  timeLimitMs: number;
}

/** What defines the instances of a sweep (everything but the shard). */
export interface PhaseSweepParams {
  /** Input dimensions, ascending, distinct. */
  ns: number[];
  /** Ratios α, ascending, distinct (the grid is m = round(α n)). */
  ratios: number[];
  /** Trials per grid point. */
  trials: number;
  /** Run seed (an integer). */
  seed: number;
  /** Layers with a bias b ~ N(0, I) as well. */
  bias: boolean;
  /** Time limit per instance (ms). */
  timeLimitMs: number;
}

/** A shard: the instances whose global index ≡ index − 1 (mod count); index is 1-based. */
export interface PhaseShard {
  index: number;
  count: number;
}

// ---------------------------------------------------------------------------------------------
// Grid

/**
 * Parses a list of positive integers: `"2..10"` (inclusive range), `"2,4,6"`, or a mix
 * (`"2..4,8"`). The result is sorted and without repeats.
 * @throws InputRangeError on bad syntax, non-integers or values < 1
 */
export function parseIntegerList(spec: string, what = "n"): number[] {
  const out = new Set<number>();
  const parts = spec.split(",").map((s) => s.trim());
  assertRange(
    spec.trim() !== "" && parts.every((p) => p !== ""),
    () => `${what}: expected a list like 2..10 or 2,4,6, got "${spec}"`,
  );
  for (const part of parts) {
    const range = /^(\S+?)\.\.(\S+)$/.exec(part);
    const [a, b] = range ? [range[1], range[2]] : [part, part];
    const lo = Number(a);
    const hi = Number(b);
    assertRange(
      /^[+]?\d+$/.test(a) && /^[+]?\d+$/.test(b) && Number.isSafeInteger(lo) && Number.isSafeInteger(hi),
      () => `${what}: expected integers in "${part}" (a list like 2..10 or 2,4,6)`,
    );
    assertRange(lo >= 1 && hi >= 1, () => `${what}: values must be >= 1, got "${part}"`);
    assertRange(lo <= hi, () => `${what}: empty range "${part}" (the start is larger than the end)`);
    assertRange(hi - lo < 1_000_000, () => `${what}: range "${part}" is too long`);
    for (let v = lo; v <= hi; v++) out.add(v);
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * The ratios start, start + step, …, up to stop (inclusive, to a relative tolerance of 1e-9 of the
 * step), each rounded to 12 significant digits so that `2:3:0.1` gives 2.3, not 2.3000000000000003.
 * @throws InputRangeError when start <= 0, step <= 0, stop < start or the list is huge
 */
export function ratioRange(start: number, stop: number, step: number): number[] {
  assertRange(
    [start, stop, step].every(Number.isFinite),
    () => `ratio: expected finite numbers, got ${start}:${stop}:${step}`,
  );
  assertRange(start > 0, () => `ratio: the start must be > 0, got ${start}`);
  assertRange(step > 0, () => `ratio: the step must be > 0, got ${step}`);
  assertRange(stop >= start, () => `ratio: the stop (${stop}) is smaller than the start (${start})`);
  const count = Math.floor((stop - start) / step + 1e-9) + 1;
  assertRange(count <= 1_000_000, () => `ratio: ${start}:${stop}:${step} has too many values (${count})`);
  return Array.from({ length: count }, (_, i) => Number((start + i * step).toPrecision(12)));
}

/**
 * Parses ratios: `"start:stop:step"` (inclusive, see {@link ratioRange}), `"start:stop"` (step 1),
 * a single value, or a comma-separated list of values. The result is sorted and without repeats.
 * @throws InputRangeError on bad syntax or non-positive values
 */
export function parseRatioList(spec: string): number[] {
  const s = spec.trim();
  const num = (t: string): number => {
    const x = t.trim() === "" ? NaN : Number(t);
    assertRange(
      Number.isFinite(x),
      () => `ratio: expected start:stop:step (e.g. 2:12:0.25) or a list 2,3,4, got "${spec}"`,
    );
    return x;
  };
  let values: number[];
  if (s.includes(":")) {
    const parts = s.split(":");
    assertRange(
      parts.length === 2 || parts.length === 3,
      () => `ratio: expected start:stop:step (e.g. 2:12:0.25), got "${spec}"`,
    );
    values = ratioRange(num(parts[0]), num(parts[1]), parts.length === 3 ? num(parts[2]) : 1);
  } else {
    values = s.split(",").map(num);
    for (const v of values) assertRange(v > 0, () => `ratio: values must be > 0, got ${v}`);
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * The grid points: for each n (ascending) and each ratio α, m = Math.round(α n); equal (n, m) are
 * merged and points with m < 1 dropped. Each point's ratio is m / n.
 */
export function phaseGrid(ns: readonly number[], ratios: readonly number[]): PhaseGridPoint[] {
  const out: PhaseGridPoint[] = [];
  for (const n of [...new Set(ns)].sort((a, b) => a - b)) {
    assertRange(Number.isInteger(n) && n >= 1, () => `phaseGrid(): n must be an integer >= 1, got ${n}`);
    const ms = new Set<number>();
    for (const a of ratios) {
      assertRange(Number.isFinite(a) && a > 0, () => `phaseGrid(): ratios must be > 0, got ${a}`);
      const m = Math.round(a * n);
      if (m >= 1) ms.add(m);
    }
    for (const m of [...ms].sort((a, b) => a - b)) out.push({ n, m, ratio: m / n });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Seeds, layers, tasks

/** murmur3's 32-bit finalizer: a bijective avalanche mix of a 32-bit integer. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds one 32-bit word into a running hash (murmur3's block step, then a finalizer). */
function combine(h: number, word: number): number {
  let k = Math.imul(word >>> 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  return fmix32(h);
}

/**
 * The seed of one instance: a murmur3-style hash of (run seed, n, m, trial, bias) to an unsigned
 * 32-bit integer. It is stable across versions (the tests pin values), so a seed printed in a
 * result file regenerates its layer with {@link gaussianLayer}.
 *
 * @param runSeed any safe integer (negative and > 2^32 are fine: both halves are hashed)
 */
export function instanceSeed(runSeed: number, n: number, m: number, trial: number, bias: boolean): number {
  assertRange(
    Number.isSafeInteger(runSeed),
    () => `instanceSeed(): the seed must be an integer, got ${runSeed}`,
  );
  const big = BigInt(runSeed);
  const lo = Number(BigInt.asUintN(32, big));
  const hi = Number(BigInt.asUintN(32, big >> 32n));
  let h = 0x5eed_7a5e;
  for (const word of [lo, hi, n, m, trial, bias ? 1 : 0]) h = combine(h, word);
  return h;
}

/**
 * The random layer of one instance: W of shape (m, n) with iid N(0, 1) entries drawn row by row from
 * `new Rng(seed)`, then (with `bias`) b of length m from the same generator; otherwise b is null.
 */
export function gaussianLayer(
  n: number,
  m: number,
  bias: boolean,
  seed: number,
): { W: number[][]; b: number[] | null } {
  const rng = new Rng(seed);
  const W: number[][] = [];
  for (let i = 0; i < m; i++) {
    const row = new Array<number>(n);
    for (let j = 0; j < n; j++) row[j] = rng.normal();
    W.push(row);
  }
  const b = bias ? Array.from({ length: m }, () => rng.normal()) : null;
  return { W, b };
}

/** "n,m,trial": the key of an instance in maps and error messages. */
export function phaseKey(k: PhaseKey): string {
  return `${k.n},${k.m},${k.trial}`;
}

/** Number of instances of a sweep (grid points × trials). */
export function countInstances(grid: readonly PhaseGridPoint[], trials: number): number {
  return grid.length * trials;
}

/**
 * Every task of a sweep in the global order (n ascending, then m ascending, then trial), or only
 * those of one shard: the tasks whose global index i satisfies i ≡ shard.index − 1 (mod
 * shard.count), which spreads the trials of every grid point evenly over the shards.
 */
export function phaseTasks(params: PhaseSweepParams, shard: PhaseShard | null = null): PhaseTask[] {
  const { trials, seed, bias, timeLimitMs } = params;
  assertRange(
    Number.isInteger(trials) && trials >= 1,
    () => `phaseTasks(): trials must be >= 1, got ${trials}`,
  );
  if (shard) validateShard(shard);
  const grid = phaseGrid(params.ns, params.ratios);
  const total = countInstances(grid, trials);
  assertRange(total <= MAX_INSTANCES, () => `the sweep has ${total} instances (more than ${MAX_INSTANCES})`);
  const out: PhaseTask[] = [];
  let index = 0;
  for (const { n, m } of grid) {
    for (let trial = 0; trial < trials; trial++, index++) {
      if (shard && index % shard.count !== shard.index - 1) continue;
      out.push({ n, m, trial, seed: instanceSeed(seed, n, m, trial, bias), bias, timeLimitMs });
    }
  }
  return out;
}

/** Checks 1 <= index <= count (integers). @throws InputRangeError */
export function validateShard(shard: PhaseShard): void {
  const { index, count } = shard;
  assertRange(
    Number.isInteger(index) && Number.isInteger(count) && count >= 1 && index >= 1 && index <= count,
    () => `shard: expected k/N with 1 <= k <= N, got ${index}/${count}`,
  );
}

/** Parses `"k/N"` (1-based k). @throws InputRangeError */
export function parseShard(spec: string): PhaseShard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  assertRange(m !== null, () => `shard: expected k/N (for example 1/4), got "${spec}"`);
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  validateShard(shard);
  return shard;
}

// ---------------------------------------------------------------------------------------------
// Running

/** Checks one instance: draws its layer ({@link gaussianLayer}) and runs the exact verifier. */
export async function runPhaseTask(task: PhaseTask): Promise<PhaseInstance> {
  const { W, b } = gaussianLayer(task.n, task.m, task.bias, task.seed);
  const r = await checkLayer(W, b, { timeLimitMs: task.timeLimitMs, seed: task.seed });
  return {
    n: task.n,
    m: task.m,
    trial: task.trial,
    seed: task.seed,
    injective: r.injective,
    method: r.method,
    timeMs: r.stats.timeMs,
  };
}

/** Hooks a {@link PhaseRunner} calls. */
export interface PhaseRunnerHooks {
  /** Called once per finished instance (synchronously, in completion order). */
  onInstance: (instance: PhaseInstance) => void;
  /** When aborted, the runner starts no new task, finishes the ones running, and returns. */
  signal?: AbortSignal;
}

/** Runs tasks (in any order, with any parallelism) and reports each finished instance. */
export type PhaseRunner = (tasks: readonly PhaseTask[], hooks: PhaseRunnerHooks) => Promise<void>;

/** A turn of the event loop (so that signal handlers, such as Ctrl-C's, get to run). */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) =>
    typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0),
  );

/** Runs the tasks one after the other in this thread. */
export const inProcessRunner: PhaseRunner = async (tasks, hooks) => {
  for (const task of tasks) {
    await nextTurn();
    if (hooks.signal?.aborted) return;
    hooks.onInstance(await runPhaseTask(task));
  }
};

/** Options of {@link runPhaseInstances}. */
export interface RunPhaseOptions {
  /** How to run the tasks. @default inProcessRunner */
  runner?: PhaseRunner;
  /** Instances per checkpoint batch. @default 4 */
  batchSize?: number;
  /** Also end a batch when this long (ms) has passed since the last one. @default 10000 */
  flushIntervalMs?: number;
  /** Stops after the instances running now (the current batch is still handed to onBatch). */
  signal?: AbortSignal;
  /** Receives each batch of finished instances, synchronously (for an append-only checkpoint). */
  onBatch?: (instances: PhaseInstance[]) => void;
  /** Called after each finished instance with the number done in this call and the number of tasks. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs a list of tasks through a runner, handing finished instances to `onBatch` in batches (a
 * batch ends after `batchSize` instances or `flushIntervalMs`, and at the end).
 * @returns the instances finished (in completion order) and whether the signal stopped the run early
 */
export async function runPhaseInstances(
  tasks: readonly PhaseTask[],
  options: RunPhaseOptions = {},
): Promise<{ instances: PhaseInstance[]; cancelled: boolean }> {
  const runner = options.runner ?? inProcessRunner;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 4));
  const flushMs = options.flushIntervalMs ?? 10_000;
  const instances: PhaseInstance[] = [];
  let batch: PhaseInstance[] = [];
  let lastFlush = performance.now();
  const flush = () => {
    if (batch.length > 0) options.onBatch?.(batch);
    batch = [];
    lastFlush = performance.now();
  };
  try {
    await runner(tasks, {
      signal: options.signal,
      onInstance: (inst) => {
        instances.push(inst);
        batch.push(inst);
        if (batch.length >= batchSize || performance.now() - lastFlush >= flushMs) flush();
        options.onProgress?.(instances.length, tasks.length);
      },
    });
  } finally {
    flush();
  }
  return { instances, cancelled: instances.length < tasks.length };
}

// ---------------------------------------------------------------------------------------------
// Aggregation

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return 0;
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/** Sorts instances by (n, m, trial) (a copy). */
export function sortInstances(instances: readonly PhaseInstance[]): PhaseInstance[] {
  return [...instances].sort((a, b) => a.n - b.n || a.m - b.m || a.trial - b.trial);
}

/**
 * Aggregates instances into one {@link PhasePoint} per grid point, sorted by (n, m). The result
 * does not depend on the order of `instances`. With `grid`, every grid point gets a row (trials 0
 * when it has no instance yet) and instances off the grid are an error; without it, only points
 * with instances appear. `trials` counts the instances present; unknowns count in `trials` and
 * `unknown` only, and p = injective / (injective + notInjective) with its Wilson 95% interval.
 * @throws InputRangeError when two instances have the same (n, m, trial)
 */
export function aggregatePhase(
  instances: readonly PhaseInstance[],
  options: { bias: boolean; grid?: readonly PhaseGridPoint[] },
): PhasePoint[] {
  const groups = new Map<string, PhaseInstance[]>();
  const pointKey = (n: number, m: number) => `${n},${m}`;
  if (options.grid) for (const g of options.grid) groups.set(pointKey(g.n, g.m), []);
  const seen = new Set<string>();
  for (const inst of instances) {
    const key = phaseKey(inst);
    assertRange(!seen.has(key), () => `duplicate instance n=${inst.n} m=${inst.m} trial ${inst.trial}`);
    seen.add(key);
    const pk = pointKey(inst.n, inst.m);
    let g = groups.get(pk);
    if (!g) {
      assertRange(!options.grid, () => `instance n=${inst.n} m=${inst.m} is not on the grid of this run`);
      g = [];
      groups.set(pk, g);
    }
    g.push(inst);
  }
  const points: PhasePoint[] = [];
  for (const [pk, group] of groups) {
    const [n, m] = pk.split(",").map(Number);
    const injective = group.filter((i) => i.injective === true).length;
    const notInjective = group.filter((i) => i.injective === false).length;
    const decided = injective + notInjective;
    const times = group.map((i) => i.timeMs).sort((a, b) => a - b);
    const ci = decided > 0 ? wilsonInterval(injective, decided) : null;
    points.push({
      n,
      m,
      ratio: m / n,
      bias: options.bias,
      trials: group.length,
      injective,
      notInjective,
      unknown: group.length - decided,
      p: decided > 0 ? injective / decided : null,
      low: ci ? ci.low : null,
      high: ci ? ci.high : null,
      medianTimeMs: median(times),
      maxTimeMs: times.length ? times[times.length - 1] : 0,
    });
  }
  return points.sort((a, b) => a.n - b.n || a.m - b.m);
}

/**
 * Compares the instances present with the full task list of a sweep.
 * @returns the keys missing and the instances that are not tasks of the sweep (or have another seed)
 */
export function compareWithTasks(
  tasks: readonly PhaseTask[],
  instances: readonly PhaseInstance[],
): { missing: PhaseKey[]; foreign: PhaseInstance[] } {
  const byKey = new Map(tasks.map((t) => [phaseKey(t), t]));
  const present = new Set<string>();
  const foreign: PhaseInstance[] = [];
  for (const inst of instances) {
    const t = byKey.get(phaseKey(inst));
    if (!t || t.seed !== inst.seed) foreign.push(inst);
    else present.add(phaseKey(inst));
  }
  const missing = tasks.filter((t) => !present.has(phaseKey(t))).map(({ n, m, trial }) => ({ n, m, trial }));
  return { missing, foreign };
}

// ---------------------------------------------------------------------------------------------
// Report

/** Compute used by a run: one entry per session (an invocation that ran instances). */
export interface PhaseSession {
  /** ISO time the session started. */
  startedAt: string;
  wallTimeMs: number;
  /** Instances finished in this session. */
  instances: number;
  /** Worker threads (1 = in-process). */
  workers: number;
  /** CPUs available to the process (os.availableParallelism()). */
  cpus: number;
  /** Node.js version. */
  node: string;
  /** The shard it ran, "k/N", or null. */
  shard: string | null;
  /** Whether it ran to the end of its tasks (false: interrupted). */
  completed: boolean;
  /**
   * With `--redo-unknown`: the unknown instances it took out of the checkpoint to decide again, and
   * the time they had taken (compute spent, no longer in any instance's `timeMs`).
   */
  redoneUnknown?: { instances: number; timeMs: number };
}

/** The compute section of phase.json. */
export interface PhaseCompute {
  /** Sum of the sessions' wall times (shards run in parallel add up: this is machine time). */
  wallTimeMs: number;
  /** Sum of the instances' check times (their `timeMs`). */
  instanceTimeMs: number;
  /** CPUs and workers of the invocation that wrote the report (workers null for a merge). */
  cpus: number;
  workers: number | null;
  node: string;
  /** Every recorded session (a session killed with SIGKILL is not recorded). */
  sessions: PhaseSession[];
}

/** The content of phase.json (and of `phase --json`). */
export interface PhaseReport {
  format: "injective-relu/phase";
  version: 1;
  params: PhaseSweepParams & {
    /** The --ratio option as given. */
    ratioSpec: string;
    /** The shard this report covers ("k/N"), null for a whole sweep or a merge. */
    shard: string | null;
    /** Extra n of the pointwise curve. */
    pointwiseNs: number[];
  };
  /** True when every instance of the sweep (or of the shard) is present. */
  complete: boolean;
  /** True for the report of one shard (only its own instances). */
  partial: boolean;
  expectedInstances: number;
  doneInstances: number;
  missingInstances: number;
  points: PhasePoint[];
  crossings: PhaseCrossing[];
  extrapolation: PhaseExtrapolation | null;
  pointwise: PointwisePoint[];
  compute: PhaseCompute;
  /** Paths written (absent when nothing was written). */
  files?: { csv: string; json: string; svg: string; png: string };
}

/**
 * Builds the report of a sweep from its instances: the points ({@link aggregatePhase} on the full
 * grid), and, unless `partial` (one shard), the crossings, the extrapolation and the pointwise
 * curve at the swept n and at `pointwiseNs`, on the same ratios.
 */
export function buildPhaseReport(input: {
  params: PhaseReport["params"];
  instances: readonly PhaseInstance[];
  expectedInstances: number;
  partial: boolean;
  compute: PhaseCompute;
}): PhaseReport {
  const { params, instances, partial } = input;
  const grid = phaseGrid(params.ns, params.ratios);
  const points = aggregatePhase(instances, { bias: params.bias, grid });
  const crossings = partial ? [] : estimateCrossings(points);
  const extrapolation = partial ? null : extrapolateCrossing(crossings);
  const pointwise = partial
    ? []
    : pointwiseCurve({
        ns: [...new Set([...params.ns, ...params.pointwiseNs])].sort((a, b) => a - b),
        ratios: params.ratios,
        bias: params.bias,
        trials: params.trials,
        seed: params.seed,
      });
  return {
    format: "injective-relu/phase",
    version: 1,
    params,
    complete: instances.length === input.expectedInstances,
    partial,
    expectedInstances: input.expectedInstances,
    doneInstances: instances.length,
    missingInstances: input.expectedInstances - instances.length,
    points,
    crossings,
    extrapolation,
    pointwise,
    compute: input.compute,
  };
}
