/**
 * Both cores on one layer: the branch and bound over flats (./flat-search.ts) and the exact cover
 * check of its certificate (./certificate.ts) split into subtrees that a pool of threads searches.
 *
 * Both searches branch the same way: a node is a flat with a set of forbidden rows, and the j-th
 * child of a node adds the j-th allowed row of a dual after forbidding the rows before it, so the
 * children partition the flats above their parent. Cut at a fixed depth, the tree therefore falls
 * into disjoint subtrees, each named by the rows on its path and the rows forbidden there
 * ({@link FlatNode}, {@link CoverNode}); a thread rebuilds the node and searches only below it.
 *
 * - The branch and bound hands the subtrees out one at a time, each with every dual known so far
 *   (the duals found in finished subtrees prune the later ones, as in the serial search). A thread
 *   re-checks a witness exactly before it reports it, like the serial search. The partition only
 *   decides how much work is redone: the duals are re-checked afterwards by the exact cover check,
 *   which alone proves injectivity.
 * - The cover check's subtrees need nothing but the duals' supports; any uncovered flat ends the
 *   check. A prime that is unlucky for the layer in any thread sends the whole check back to the
 *   serial {@link exactCover}.
 *
 * The verdict is the serial one (both searches are complete on their subtrees); when several
 * collisions exist the witness reported may be another one, and the certificate's duals may come
 * in another order. This module is pure: the threads are behind {@link LayerTaskPool} (Node's
 * worker_threads in src/parallel/layer-pool.ts), and a thread runs {@link runLayerTask}.
 */

import type { Domain, Dual, Witness } from "./types.js";
import { normalizeLayer, type NormalizedLayer } from "./layer.js";
import { dyadicRows, type IntegerLayer } from "./exact.js";
import type { PoolDual, SeparationCandidate } from "./hyperplane-search.js";
import {
  proofDuals,
  renumberProofDuals,
  replayProofSubtree,
  ReplayTables,
  type FlatProof,
  type ProofNode,
  type ProofSubtree,
} from "./flat-proof.js";
import { FlatSearch, type FlatNode } from "./flat-search.js";
import {
  coverModulo,
  coverOps,
  exactCover,
  exactDualProblem,
  type CoverNode,
  type CoverOps,
  type CoverResult,
} from "./certificate.js";
import { describeExactWitness, exactPairAt } from "./witness.js";
import { Budget, ResourceLimitError } from "./budget.js";
import { balancedBatches } from "./recheck-chunks.js";

/** The layer a task runs on; `key` names it for the threads' caches. */
export interface LayerTaskSetup {
  key: string;
  W: number[][];
  b: number[];
  domain: Domain;
  tolerance: number;
}

/**
 * Duals or supports in three flat arrays (one message copies three buffers, not thousands): item k
 * is `rows[offsets[k] .. offsets[k + 1])`, with `weights` alongside for duals.
 */
export interface PackedDuals {
  rows: Int32Array;
  offsets: Int32Array;
  weights: Float64Array;
}

/** Packs duals (or supports, without weights) for a message. */
export function packDuals(
  items: readonly { rows: ArrayLike<number>; weights?: ArrayLike<number> }[],
): PackedDuals {
  const offsets = new Int32Array(items.length + 1);
  for (let k = 0; k < items.length; k++) offsets[k + 1] = offsets[k] + items[k].rows.length;
  const rows = new Int32Array(offsets[items.length]);
  const weights = new Float64Array(items.some((d) => d.weights) ? rows.length : 0);
  items.forEach((d, k) => {
    rows.set(Array.from(d.rows), offsets[k]);
    if (d.weights && weights.length) weights.set(Array.from(d.weights), offsets[k]);
  });
  return { rows, offsets, weights };
}

/** The duals of {@link packDuals} (views into its arrays). */
export function unpackDuals(p: PackedDuals): PoolDual[] {
  const out: PoolDual[] = [];
  for (let k = 0; k + 1 < p.offsets.length; k++)
    out.push({
      rows: p.rows.subarray(p.offsets[k], p.offsets[k + 1]),
      weights: p.weights.subarray(p.offsets[k], p.offsets[k + 1]),
    });
  return out;
}

/** The shared memory of a {@link SharedDualLog} (sent to every thread of one search). */
export interface SharedDualLogBuffers {
  ints: SharedArrayBuffer;
  floats: SharedArrayBuffer;
}

/**
 * An append-only log of duals in shared memory, so that the threads of one branch and bound see
 * each other's duals while they search (not only between subtrees). Entry at position p: `ints[p]`
 * is its length L (0 while it is being written), rows at `ints[p + 1 .. p + L]`, weights at the
 * same positions of `floats`; `ints[0]` is the next free position. A writer reserves its space
 * with one atomic add and publishes the length last; a full log refuses entries (the duals still
 * reach the certificate through the task results).
 */
export class SharedDualLog {
  private readonly ints: Int32Array;
  private readonly floats: Float64Array;

  constructor(readonly buffers: SharedDualLogBuffers) {
    this.ints = new Int32Array(buffers.ints);
    this.floats = new Float64Array(buffers.floats);
  }

  /** A log of `capacity` entries (rows plus one length per dual), or null without SharedArrayBuffer. */
  static create(capacity: number): SharedDualLog | null {
    if (typeof SharedArrayBuffer !== "function") return null;
    const log = new SharedDualLog({
      ints: new SharedArrayBuffer(4 * capacity),
      floats: new SharedArrayBuffer(8 * capacity),
    });
    Atomics.store(log.ints, 0, 1);
    return log;
  }

  /** Appends a dual; false when the log is full. */
  append(rows: ArrayLike<number>, weights: ArrayLike<number>): boolean {
    const len = rows.length;
    if (len === 0) return false;
    const p = Atomics.add(this.ints, 0, len + 1);
    if (p + len + 1 > this.ints.length) return false;
    for (let t = 0; t < len; t++) {
      this.ints[p + 1 + t] = rows[t];
      this.floats[p + 1 + t] = weights[t];
    }
    Atomics.store(this.ints, p, len);
    return true;
  }

  /** Visits the complete entries from position `from`; returns the position after the last one. */
  read(from: number, visit: (rows: Int32Array, weights: Float64Array) => void): number {
    let p = from;
    for (;;) {
      if (p >= this.ints.length) return p;
      const len = Atomics.load(this.ints, p);
      if (len <= 0) return p;
      visit(this.ints.subarray(p + 1, p + 1 + len), this.floats.subarray(p + 1, p + 1 + len));
      p += len + 1;
    }
  }
}

/** Entries of the shared dual log of one search: 2²⁰ (12 MiB; about 80,000 duals at n = 12). */
const LOG_CAPACITY = 1 << 20;

/** A subtree of the branch and bound. */
export interface FlatTask {
  kind: "flat";
  layer: LayerTaskSetup;
  packingBound: boolean;
  /** Names the search the task belongs to (a thread reuses its search for the next subtree of the same job). */
  job: string;
  /** Every dual known when the task starts (normalized row indices). */
  duals: PackedDuals;
  /** The search's shared dual log (null: no shared memory; duals are then shared between subtrees only). */
  log: SharedDualLogBuffers | null;
  node: FlatNode;
  /** Date.now() after which the task stops. */
  deadline: number;
}

/** A subtree of the exact cover check, modulo the `primeIndex`-th prime. */
export interface CoverTask {
  kind: "cover";
  layer: LayerTaskSetup;
  /** The duals' supports (original row indices; no weights). */
  supports: PackedDuals;
  primeIndex: number;
  node: CoverNode;
  deadline: number;
}

/** The exact algebra of a batch of a certificate's duals (original row indices, weights). */
export interface DualsTask {
  kind: "duals";
  layer: LayerTaskSetup;
  duals: PackedDuals;
  deadline: number;
}

/** A batch of subproofs of the search's proof to replay, each at its node (./flat-proof.ts). */
export interface ReplayTask {
  kind: "replay";
  layer: LayerTaskSetup;
  /** The certificate's dual supports (original row indices; no weights). */
  supports: PackedDuals;
  subtrees: ProofSubtree[];
  deadline: number;
}

export type LayerTask = FlatTask | CoverTask | DualsTask | ReplayTask;

/** What a thread found in a subtree of the branch and bound. */
export interface FlatTaskResult {
  kind: "flat";
  /** Duals found in the subtree (not among the task's). */
  duals: PackedDuals;
  /** An exactly re-checked collision, which ends the search. */
  witness: Witness | null;
  /** Flats that looked feasible in floating point but gave no exact witness. */
  rejected: number;
  nodes: number;
  lpSolves: number;
  /** Set when the task stopped early (cancelled or past its deadline); the subtree is then unfinished. */
  stopped?: "time" | "cancelled";
  /** Milliseconds the thread spent on the task. */
  ms?: number;
  /**
   * The subtree's proof (./flat-proof.ts) when it finished: its dual indices point into
   * `proofDuals`, the rows of the duals it names.
   */
  proof?: { tokens: Int32Array; proofDuals: PackedDuals };
}

/** What a thread found in a subtree of the cover check. */
export interface CoverTaskResult {
  kind: "cover";
  uncovered: number[] | null;
  nodes: number;
  hyperplaneCuts: number;
  /** The prime was unlucky for the layer: the check must be redone serially. */
  unlucky: boolean;
  stopped?: "time" | "cancelled";
  /** Milliseconds the thread spent on the task. */
  ms?: number;
}

/** Which duals of a batch failed their exact algebra. */
export interface DualsTaskResult {
  kind: "duals";
  /** Positions in the batch of the duals that failed. */
  failed: number[];
  stopped?: "time" | "cancelled";
  ms?: number;
}

/** Whether a batch of subproofs holds. */
export interface ReplayTaskResult {
  kind: "replay";
  valid: boolean;
  /** Why not, when not valid. */
  reason: string;
  nodes: number;
  /** Subtrees replayed modulo another prime after a dependence mod the first one. */
  otherPrimes: number;
  /** Nodes the search left unsettled, for the caller's cover check (flat-proof.ts, `unsettled`). */
  unsettled?: ProofNode[];
  stopped?: "time" | "cancelled";
  ms?: number;
}

export type LayerTaskResult = FlatTaskResult | CoverTaskResult | DualsTaskResult | ReplayTaskResult;

/**
 * Threads that run {@link LayerTask}s: each calls {@link runLayerTask} with its own
 * {@link LayerTaskCache}. `run` resolves when the task is done; after `signal` aborts it resolves
 * soon with `stopped: "cancelled"`.
 */
export interface LayerTaskPool {
  /** Number of threads. */
  readonly size: number;
  run(task: LayerTask, signal: AbortSignal): Promise<LayerTaskResult>;
}

/** A thread's branch-and-bound search of one job, kept between its subtrees. */
interface FlatJob {
  id: string;
  search: FlatSearch;
  /** Keys of the duals the search has. */
  keys: Set<string>;
  log: SharedDualLog | null;
  /** Position in the shared log up to which the duals have been imported. */
  logAt: number;
  /** How many of the search's own duals are in the log. */
  published: number;
}

/** A thread's prepared layers, by key (the most recent few), and the cover check's last supports. */
export class LayerTaskCache {
  private readonly entries = new Map<string, { layer: NormalizedLayer; ints: IntegerLayer }>();
  private cover: { key: string; supports: number[][]; ops: CoverOps | null } | null = null;
  private flat: FlatJob | null = null;

  get(setup: LayerTaskSetup): { layer: NormalizedLayer; ints: IntegerLayer } {
    let e = this.entries.get(setup.key);
    if (!e) {
      e = { layer: normalizeLayer(setup.W, setup.b), ints: dyadicRows(setup.W, setup.b) };
      if (this.entries.size >= 4) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(setup.key, e);
    }
    return e;
  }

  /**
   * The search of a branch-and-bound task at the task's node: the thread's search of the same job
   * moved there (it keeps every dual it has seen), or a new one with the task's duals.
   */
  flatJob(task: FlatTask, layer: NormalizedLayer): FlatJob {
    const job = this.flat;
    if (job && job.id === task.job && job.search.done) {
      job.search.restart(task.node);
      // Without shared memory the other threads' duals come with the task.
      if (!job.log)
        for (const d of unpackDuals(task.duals)) {
          const key = dualKey(d);
          if (!job.keys.has(key)) {
            job.keys.add(key);
            job.search.importDual(d.rows, d.weights);
          }
        }
      return job;
    }
    const given = unpackDuals(task.duals);
    const search = new FlatSearch(layer, task.layer.domain, task.layer.tolerance, {
      packingBound: task.packingBound,
      duals: given,
      start: task.node,
      record: true,
    });
    this.flat = {
      id: task.job,
      search,
      keys: new Set(given.map(dualKey)),
      log: task.log ? new SharedDualLog(task.log) : null,
      logAt: 1,
      published: 0,
    };
    return this.flat;
  }

  /** Forgets the branch-and-bound search (it stopped in the middle of a subtree). */
  dropFlatJob(): void {
    this.flat = null;
  }

  /** The supports of a cover task and their span operations (built once per layer, prime and supports). */
  coverOf(task: CoverTask, ints: IntegerLayer, n: number): { supports: number[][]; ops: CoverOps | null } {
    const key = `${task.layer.key}/${task.primeIndex}/${task.supports.rows.length}/${task.supports.offsets.length}`;
    if (this.cover?.key !== key) {
      const supports = unpackDuals(task.supports).map((d) => Array.from(d.rows));
      this.cover = { key, supports, ops: coverOps(ints, supports, n, task.primeIndex) };
    }
    return this.cover;
  }
}

/** Nodes per chunk between the checks of a task's stop flag and deadline. */
const TASK_CHUNK = 64;

/** A budget that also stops when `shouldStop()` turns true (a flag shared with the pool). */
class PolledBudget extends Budget {
  constructor(
    deadline: number,
    private readonly shouldStop: () => boolean,
  ) {
    super(performance.now() + Math.max(0, deadline - Date.now()), undefined, Infinity);
  }

  override check(stage: string): void {
    if (this.shouldStop()) throw new ResourceLimitError("cancelled", stage);
    super.check(stage);
  }
}

/**
 * Runs one task in this thread (what a pool's thread does).
 * @param shouldStop polled between chunks: true stops the task (`stopped: "cancelled"`)
 */
export function runLayerTask(
  task: LayerTask,
  cache: LayerTaskCache,
  shouldStop: () => boolean,
): LayerTaskResult {
  const started = performance.now();
  const out = runTask(task, cache, shouldStop);
  out.ms = performance.now() - started;
  return out;
}

function runTask(task: LayerTask, cache: LayerTaskCache, shouldStop: () => boolean): LayerTaskResult {
  const { layer, ints } = cache.get(task.layer);
  if (task.kind === "duals") {
    const failed: number[] = [];
    const duals = unpackDuals(task.duals);
    for (let k = 0; k < duals.length; k++) {
      if ((k & 15) === 0 && (shouldStop() || Date.now() > task.deadline))
        return { kind: "duals", failed, stopped: shouldStop() ? "cancelled" : "time" };
      const d = { rows: Array.from(duals[k].rows), weights: Array.from(duals[k].weights) };
      if (exactDualProblem(ints, d, task.layer.domain, task.layer.tolerance) !== null) failed.push(k);
    }
    return { kind: "duals", failed };
  }
  const budget = new PolledBudget(task.deadline, shouldStop);
  if (task.kind === "replay") {
    const supports = unpackDuals(task.supports).map((d) => Array.from(d.rows));
    let nodes = 0;
    let otherPrimes = 0;
    const unsettled: ProofNode[] = [];
    const tables = new ReplayTables(ints, supports, layer.n);
    try {
      for (const subtree of task.subtrees) {
        const r = replayProofSubtree(ints, supports, layer.n, subtree, budget, { unsettled: true, tables });
        nodes += r.nodes;
        otherPrimes += r.otherPrimes ?? 0;
        if (!r.valid) return { kind: "replay", valid: false, reason: r.reason, nodes, otherPrimes };
        if (r.unsettled) unsettled.push(...r.unsettled);
      }
    } catch (e) {
      if (!(e instanceof ResourceLimitError)) throw e;
      return { kind: "replay", valid: false, reason: "", nodes, otherPrimes, stopped: stopKind(e) };
    }
    return {
      kind: "replay",
      valid: true,
      reason: "",
      nodes,
      otherPrimes,
      ...(unsettled.length ? { unsettled } : {}),
    };
  }
  if (task.kind === "cover") {
    try {
      const { supports, ops } = cache.coverOf(task, ints, layer.n);
      const out = coverModulo(
        ints,
        supports,
        layer.n,
        task.primeIndex,
        budget,
        undefined,
        { start: task.node },
        ops,
      );
      if (!out) return { kind: "cover", uncovered: null, nodes: 0, hyperplaneCuts: 0, unlucky: true };
      return {
        kind: "cover",
        uncovered: out.uncovered,
        nodes: out.nodes,
        hyperplaneCuts: out.hyperplaneCuts,
        unlucky: false,
      };
    } catch (e) {
      if (!(e instanceof ResourceLimitError)) throw e;
      return {
        kind: "cover",
        uncovered: null,
        nodes: 0,
        hyperplaneCuts: 0,
        unlucky: false,
        stopped: stopKind(e),
      };
    }
  }
  const job = cache.flatJob(task, layer);
  const { search, keys, log } = job;
  const foundBefore = search.found.length;
  const nodesBefore = search.counters.nodes;
  const lpsBefore = search.counters.lpSolves;
  /** Publishes this search's new duals, then imports the other threads' (each dual once). */
  const exchange = (): void => {
    if (!log) return;
    for (; job.published < search.found.length; job.published++) {
      const d = search.found[job.published];
      keys.add(dualKey(d));
      log.append(d.rows, d.weights);
    }
    job.logAt = log.read(job.logAt, (rows, weights) => {
      const key = dualKey({ rows });
      if (keys.has(key)) return;
      keys.add(key);
      search.importDual(rows, weights);
    });
  };
  let rejected = 0;
  const result = (witness: Witness | null, stopped?: "time" | "cancelled"): FlatTaskResult => {
    // An unfinished search cannot take the next subtree.
    if (!search.done) cache.dropFlatJob();
    return {
      kind: "flat",
      duals: packDuals(search.found.slice(foundBefore)),
      witness,
      rejected,
      nodes: search.counters.nodes - nodesBefore,
      lpSolves: search.counters.lpSolves - lpsBefore,
      ...(stopped ? { stopped } : {}),
      ...(search.done && !witness ? { proof: subtreeProof(search) } : {}),
    };
  };
  exchange();
  while (!search.done) {
    if (shouldStop()) return result(null, "cancelled");
    if (Date.now() > task.deadline) return result(null, "time");
    const candidate = search.step(TASK_CHUNK);
    if (candidate) {
      const witness = exactWitness(task.layer, layer, ints, candidate);
      if (witness) return result(witness);
      search.skipWitness();
      rejected++;
    }
    exchange();
  }
  exchange();
  return result(null);
}

/** A finished subtree's proof, its duals named by their rows (the threads number duals differently). */
function subtreeProof(search: FlatSearch): { tokens: Int32Array; proofDuals: PackedDuals } {
  const { tokens } = search.proof()!;
  const used = proofDuals(tokens);
  const local = new Map(used.map((k, t) => [k, t]));
  const renumbered = renumberProofDuals(tokens, (k) => local.get(k) ?? -1)!;
  return {
    tokens: renumbered,
    proofDuals: packDuals(
      used.map((k) => search.duals[k] ?? { rows: new Int32Array(0), weights: new Float64Array(0) }),
    ),
  };
}

function stopKind(e: ResourceLimitError): "time" | "cancelled" {
  return e.kind === "cancelled" ? "cancelled" : "time";
}

/** A candidate flat turned into an exactly re-checked collision, or null. */
export function exactWitness(
  setup: Pick<LayerTaskSetup, "W" | "b" | "domain" | "tolerance">,
  layer: NormalizedLayer,
  ints: IntegerLayer,
  cand: SeparationCandidate,
): Witness | null {
  const flat = cand.hyperplaneRows.map((i) => layer.index[i]);
  const pair = exactPairAt(ints, setup.domain, cand.x, flat, cand.v);
  if (!pair) return null;
  return describeExactWitness(ints, setup.W, setup.b, pair, setup.domain, setup.tolerance);
}

/** How a parallel search is run: the pool, the budget, and progress. */
export interface ParallelContext {
  pool: LayerTaskPool;
  setup: LayerTaskSetup;
  budget: Budget;
  /** Share of the subtrees finished. */
  onProgress?: (share: number) => void;
  /**
   * Called with the branch and bound's node and LP counts so far, across every thread, whenever
   * they grow (also from subtrees stopped by the deadline or a cancel), so that a run cut short
   * still reports the work done.
   */
  onCounts?: (nodes: number, lpSolves: number) => void;
}

/** Layers from this n up are split over a pool (below, one thread is faster). */
export const PARALLEL_MIN_N = 6;

/**
 * Certificates from this many duals up are re-checked on the pool; shorter ones in one thread
 * (a 48 × 8 layer's 350 duals took 0.19 s in one thread and 0.26 s on two).
 */
export const PARALLEL_MIN_DUALS = 500;

/**
 * Depth of the split: two rows, about (n + 1)² subtrees on Gaussian layers. Measured on a 70 × 10
 * layer: depth 2 costs 0–10% more work than the serial search, depth 3 (450–500 subtrees) 40%.
 */
const SPLIT_DEPTH = 2;

/**
 * Runs `tasks` on the pool, at most `pool.size` at a time, in order. `make(i)` builds the i-th
 * task when a thread is free (so that it can carry what earlier ones found); `take` sees each
 * result and returns true to stop the rest. Throws the budget's ResourceLimitError when the
 * deadline passes or the run is cancelled.
 */
async function runAll<T extends LayerTaskResult>(
  ctx: ParallelContext,
  count: number,
  make: (i: number) => LayerTask,
  take: (result: T, index: number) => boolean,
  stage: string,
  seen?: (result: T) => void,
): Promise<void> {
  const { pool, budget } = ctx;
  const controller = new AbortController();
  const abort = () => controller.abort();
  budget.signal?.addEventListener("abort", abort);
  const timer = Number.isFinite(budget.remainingMs())
    ? setTimeout(abort, budget.remainingMs() + 1)
    : undefined;
  let next = 0;
  let finished = 0;
  let stop = false;
  let found = false;
  let incomplete: "time" | "cancelled" | null = null;
  let failure: unknown = null;
  try {
    await new Promise<void>((resolve) => {
      let running = 0;
      const settle = (): void => {
        if (running === 0 && (stop || next >= count)) resolve();
        else launch();
      };
      const launch = (): void => {
        while (!stop && running < pool.size && next < count) {
          const index = next++;
          const task = make(index);
          running++;
          pool.run(task, controller.signal).then(
            (r) => {
              running--;
              finished++;
              seen?.(r as T);
              if (found) {
                // Stopped after a result ended the search: nothing more is needed from it.
              } else if (r.stopped) {
                incomplete ??= r.stopped;
                stop = true;
                controller.abort();
              } else if (take(r as T, index)) {
                found = true;
                stop = true;
                controller.abort();
              }
              ctx.onProgress?.(finished / count);
              settle();
            },
            (e: unknown) => {
              running--;
              failure ??= e;
              stop = true;
              controller.abort();
              settle();
            },
          );
        }
        if (running === 0) resolve();
      };
      launch();
    });
  } finally {
    clearTimeout(timer);
    budget.signal?.removeEventListener("abort", abort);
  }
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  budget.check(stage);
  // A subtree left unfinished (its thread's clock ran out first) leaves the search incomplete.
  if (incomplete && !found) throw new ResourceLimitError(incomplete, stage);
}

/** What {@link parallelFlatSearch} found. */
export interface ParallelFlatResult {
  /** Every dual (the start duals first), normalized row indices. */
  duals: PoolDual[];
  witness: Witness | null;
  rejected: number;
  nodes: number;
  lpSolves: number;
  /**
   * The search's proof (./flat-proof.ts) over the indices of `duals`, with one subproof per
   * subtree; null when a subtree's proof was missing or named a dual not in `duals`.
   */
  proof: FlatProof | null;
}

/**
 * The branch and bound over flats on a pool: the top of the tree in this thread, then its subtrees
 * on the pool, each with every dual known when it starts. The serial search's verdict; see the
 * module header.
 * @throws ResourceLimitError when the budget runs out or the run is cancelled
 */
export async function parallelFlatSearch(
  ctx: ParallelContext,
  layer: NormalizedLayer,
  ints: IntegerLayer,
  packingBound: boolean,
  startDuals: readonly PoolDual[],
): Promise<ParallelFlatResult> {
  const { setup, budget } = ctx;
  const stage = "the branch and bound";
  const top = new FlatSearch(layer, setup.domain, setup.tolerance, {
    packingBound,
    duals: startDuals,
    splitDepth: SPLIT_DEPTH,
    record: true,
  });
  let rejected = 0;
  while (!top.done) {
    budget.check(stage);
    const candidate = top.step(TASK_CHUNK);
    ctx.onCounts?.(top.counters.nodes, top.counters.lpSolves);
    if (candidate) {
      const witness = exactWitness(setup, layer, ints, candidate);
      if (witness)
        return {
          duals: top.duals,
          witness,
          rejected,
          nodes: top.counters.nodes,
          lpSolves: top.counters.lpSolves,
          proof: null,
        };
      top.skipWitness();
      rejected++;
    }
  }
  const duals = top.duals.slice();
  const seen = new Set(duals.map(dualKey));
  let nodes = top.counters.nodes;
  let lpSolves = top.counters.lpSolves;
  let witness: Witness | null = null;
  const frontier = top.frontier;
  const subproofs: (ParallelSubproof | undefined)[] = new Array(frontier.length);
  const log = SharedDualLog.create(LOG_CAPACITY);
  // With the log, the threads read the top's duals there and the tasks carry none.
  const logged = log !== null && duals.every((d) => log.append(d.rows, d.weights));
  let packed = packDuals(logged ? [] : duals);
  let packedCount = duals.length;
  const job = `${setup.key}/${packingBound}/${++jobs}`;
  await runAll<FlatTaskResult>(
    ctx,
    frontier.length,
    (i) => {
      if (!logged && packedCount !== duals.length) {
        packed = packDuals(duals);
        packedCount = duals.length;
      }
      return {
        kind: "flat",
        job,
        layer: setup,
        packingBound,
        duals: packed,
        log: log?.buffers ?? null,
        node: frontier[i],
        deadline: deadlineOf(budget),
      };
    },
    (r, i) => {
      rejected += r.rejected;
      subproofs[i] = r.proof;
      for (const d of unpackDuals(r.duals)) {
        const key = dualKey(d);
        if (!seen.has(key)) {
          seen.add(key);
          duals.push(d);
        }
      }
      if (r.witness) witness ??= r.witness;
      return witness !== null;
    },
    stage,
    (r) => {
      nodes += r.nodes;
      lpSolves += r.lpSolves;
      ctx.onCounts?.(nodes, lpSolves);
    },
  );
  return {
    duals,
    witness,
    rejected,
    nodes,
    lpSolves,
    proof: witness ? null : assembleProof(top, duals, subproofs),
  };
}

type ParallelSubproof = FlatTaskResult["proof"];

/** The top's proof with the subtrees' proofs as its subproofs, every dual renumbered into `duals`. */
function assembleProof(
  top: FlatSearch,
  duals: readonly PoolDual[],
  subproofs: readonly ParallelSubproof[],
): FlatProof | null {
  const index = new Map(duals.map((d, k) => [dualKey(d), k]));
  const subs: FlatProof[] = [];
  for (const sub of subproofs) {
    if (!sub) return null;
    const named = unpackDuals(sub.proofDuals).map((d) => index.get(dualKey(d)) ?? -1);
    const tokens = renumberProofDuals(sub.tokens, (k) => named[k] ?? -1);
    if (!tokens) return null;
    subs.push({ tokens });
  }
  return { tokens: top.proof()!.tokens, subproofs: subs };
}

/**
 * The exact cover check on a pool: the top of the tree in this thread, the subtrees on the pool,
 * all modulo the first prime; an unlucky prime anywhere redoes the check serially
 * ({@link exactCover}). The same verdict as {@link exactCover}; the uncovered flat returned may be
 * another one when there are several.
 * @throws ResourceLimitError when the budget runs out or the run is cancelled
 */
export async function parallelCover(
  ctx: ParallelContext,
  ints: IntegerLayer,
  supports: number[][],
  n: number,
): Promise<CoverResult> {
  const { setup, budget } = ctx;
  const stage = "the certificate's cover check";
  const top = coverModulo(ints, supports, n, 0, budget, undefined, { splitDepth: SPLIT_DEPTH });
  if (!top) return exactCover(ints, supports, n, budget);
  if (top.uncovered || !top.frontier?.length) return top;
  const frontier = top.frontier;
  const packed = packDuals(supports.map((rows) => ({ rows })));
  let nodes = top.nodes;
  let hyperplaneCuts = top.hyperplaneCuts;
  let uncovered: number[] | null = null;
  let unlucky = false;
  await runAll<CoverTaskResult>(
    ctx,
    frontier.length,
    (i) => ({
      kind: "cover",
      layer: setup,
      supports: packed,
      primeIndex: 0,
      node: frontier[i],
      deadline: deadlineOf(budget),
    }),
    (r) => {
      nodes += r.nodes;
      hyperplaneCuts += r.hyperplaneCuts;
      if (r.unlucky) unlucky = true;
      if (r.uncovered) uncovered ??= r.uncovered;
      return unlucky || uncovered !== null;
    },
    stage,
  );
  if (unlucky) return exactCover(ints, supports, n, budget);
  return { uncovered, nodes, hyperplaneCuts };
}

let jobs = 0;

/**
 * Replays the subproofs a replay deferred ({@link replayProofSubtree}) on the pool, in batches.
 * @returns whether all hold (with the first reason when not), and the nodes replayed
 * @throws ResourceLimitError when the budget runs out or the run is cancelled
 */
export async function parallelReplay(
  ctx: ParallelContext,
  supports: readonly (readonly number[])[],
  subtrees: readonly ProofSubtree[],
): Promise<{ valid: boolean; reason: string; nodes: number; otherPrimes: number; unsettled: ProofNode[] }> {
  const packed = packDuals(supports.map((rows) => ({ rows: Int32Array.from(rows) })));
  const unsettled: ProofNode[] = [];
  // Batches of about equal work (proof entries), the largest first: the pool takes them in order.
  const batches = balancedBatches(subtrees, 4 * ctx.pool.size);
  let nodes = 0;
  let otherPrimes = 0;
  let reason: string | null = null;
  await runAll<ReplayTaskResult>(
    ctx,
    batches.length,
    (i) => ({
      kind: "replay",
      layer: ctx.setup,
      supports: packed,
      subtrees: batches[i],
      deadline: deadlineOf(ctx.budget),
    }),
    (r) => {
      nodes += r.nodes;
      otherPrimes += r.otherPrimes;
      if (!r.valid) reason ??= r.reason;
      if (r.unsettled) unsettled.push(...r.unsettled);
      return reason !== null;
    },
    "the replay of the search's proof",
  );
  return { valid: reason === null, reason: reason ?? "", nodes, otherPrimes, unsettled };
}

/**
 * The exact algebra of every dual (exactDualProblem in ./certificate.ts) on the pool, in batches.
 * @returns for each dual, whether it holds exactly
 * @throws ResourceLimitError when the budget runs out or the run is cancelled
 */
export async function parallelDualChecks(ctx: ParallelContext, duals: readonly Dual[]): Promise<boolean[]> {
  const ok = new Array<boolean>(duals.length).fill(true);
  const batches = Math.min(duals.length, 4 * ctx.pool.size);
  const bounds = Array.from({ length: batches + 1 }, (_, k) => Math.round((k * duals.length) / batches));
  await runAll<DualsTaskResult>(
    ctx,
    batches,
    (i) => ({
      kind: "duals",
      layer: ctx.setup,
      duals: packDuals(duals.slice(bounds[i], bounds[i + 1])),
      deadline: deadlineOf(ctx.budget),
    }),
    (r, i) => {
      for (const k of r.failed) ok[bounds[i] + k] = false;
      return false;
    },
    "the exact re-check of the certificate",
  );
  return ok;
}

function deadlineOf(budget: Budget): number {
  const left = budget.remainingMs();
  return Number.isFinite(left) ? Date.now() + left : Number.MAX_SAFE_INTEGER;
}

function dualKey(d: { rows: ArrayLike<number> }): string {
  return Array.from(d.rows).join(",");
}
