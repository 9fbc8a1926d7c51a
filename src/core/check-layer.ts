/**
 * checkLayer: the exact injectivity verdict for one ReLU layer x ↦ ReLU(W x + b)
 * (paper, Theorem 1, Lemma 1 as a sufficient test, Remark 1, Corollary 2).
 *
 * The verdict is about W and b exactly as given: every finite double is a dyadic rational.
 * `auto` runs, in order: the exact rank test (rank W < n is never injective), the always-active
 * test (Corollary 2 structure, ./structure.ts), a short randomized falsifier (./falsifier.ts) and
 * the branch and bound over flats (./flat-search.ts), sharing one pool of Motzkin duals. These
 * searches run in floating point with a tolerance; nothing they find is trusted:
 * - a collision candidate becomes a witness only when its exact construction succeeds and an
 *   exact forward pass confirms it (./witness.ts);
 * - a certificate is re-verified in exact arithmetic (./certificate.ts). When the exact cover check
 *   finds a flat that no exact dual rules out, that flat is settled exactly ("repair"): the
 *   separation LP there gives a witness or a new dual, each re-checked exactly, until the cover
 *   holds or the flat stays undecided (numerically borderline: unknown).
 * So the tolerance can only turn a verdict into "unknown", never flip it.
 */

import type {
  CheckLayerOptions,
  CheckStats,
  Certificate,
  Domain,
  Dual,
  LayerCheckResult,
  Method,
  Witness,
} from "./types.js";
import {
  assertType,
  validateCallback,
  validateChoice,
  validateCount,
  validateDomain,
  validateLayer,
  validateOptions,
  validateSeed,
} from "./validate.js";
import { choleskySolve } from "./dense.js";
import { normalizeLayer, type NormalizedLayer } from "./layer.js";
import { dyadicRows, exactNullVector, exactRankBudgeted, type IntegerLayer } from "./exact.js";
import { independentModP } from "./modular.js";
import { alwaysActiveCover } from "./structure.js";
import { falsify, falsifyByDescent } from "./falsifier.js";
import { HyperplaneOracle, HyperplaneSearch, type SeparationCandidate } from "./hyperplane-search.js";
import { describeExactWitness, exactPairAt, pairAlong } from "./witness.js";
import { exactDualProblem } from "./certificate.js";
import { rowsOffFlat, settleFlatExact } from "./exact-flat.js";
import { FlatSearch } from "./flat-search.js";
import {
  encodeFlatProof,
  proofLength,
  type FlatProof,
  type ProofNode,
  type ProofSubtree,
  type ReplayResult,
} from "./flat-proof.js";
import {
  REPLAY_MIN_FARM_TOKENS,
  REPLAY_PIECES_PER_THREAD,
  coverInChunks,
  replayInChunks,
} from "./recheck-chunks.js";
import {
  PARALLEL_MIN_DUALS,
  PARALLEL_MIN_N,
  parallelCover,
  parallelDualChecks,
  parallelReplay,
  parallelFlatSearch,
  exactWitness,
  type ParallelContext,
} from "./parallel-search.js";
import { polishSeparation, separateRows } from "./separation-lp.js";
import { Budget, formatMs, ResourceLimitError } from "./budget.js";
import { DEFAULT_TOLERANCE, validateTolerance } from "./numerics.js";

const METHODS: readonly Method[] = [
  "auto",
  "branch-and-bound",
  "exhaustive",
  "falsify",
  "structure",
  "lemma1",
];

/** Leaves per chunk of the exhaustive search between time checks. */
const CHUNK = 512;
/** Nodes per chunk of the branch and bound between time checks. */
const NODE_CHUNK = 256;
/** Yield to the event loop at least this often (ms), so that signals and timers run. */
const YIELD_MS = 50;
/** Reweighting rounds per restart of the LP-guided descent. */
const DESCENT_ROUNDS = 6;
/** Time cap of the descent in `auto` per 8 of its restarts (ms), at most 5% of the time left. */
const DESCENT_MS_PER_8 = 250;

/**
 * Restarts of the LP-guided descent in `auto` (4 times as many with method `falsify`): 8 up to
 * n = 9, doubling with each n above, at most 256 (n >= 14). The exact search it saves on a
 * non-injective layer near the threshold grows about 4–5 times per unit of n, while a restart
 * costs a few ms: with 8 restarts the descent found 3 of the 78 n = 11 collisions that the phase
 * sweep's branch and bound had to find (10–50 s each), with 32 it finds 57 (docs/benchmarks.md,
 * "The descent's restarts grow with n").
 */
export function descentRestartsFor(n: number): number {
  return 8 * 2 ** Math.min(5, Math.max(0, n - 9));
}
/** Flats settled exactly after the search before the verdict is left unknown. */
const MAX_REPAIRS = 200;

const yieldNow = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

interface Context {
  W: number[][];
  b: number[];
  m: number;
  n: number;
  domain: Domain;
  tol: number;
  seed: number;
  ints: IntegerLayer;
  budget: Budget;
  options: CheckLayerOptions;
  stats: CheckStats;
  lastYield: number;
  /** When the check started (performance.now()). */
  start: number;
  /** Set when the search has finished and its certificate's exact re-check runs. */
  recheck?: RecheckState;
  /** The layer's name in the pool threads' caches (see {@link parallelOf}). */
  poolKey?: string;
  /** Why the pool failed; the check then runs in this thread. */
  poolFailure?: string;
}

/** The exact re-check after the search: what was finished before it, and how far it got. */
interface RecheckState {
  /** Milliseconds the search took (from the start of the check). */
  searchMs: number;
  /** Duals of the certificate under re-check. */
  duals: number;
  startedAt: number;
  /** Share of the search's proof replayed so far (by entries), while the replay runs. */
  replayed?: number;
}

/**
 * Decides whether `x ↦ ReLU(W x + b)` is injective on `options.domain`, for W and b exactly as given.
 *
 * @param W weight matrix of shape (m, n), rows are output units; finite, non-empty
 * @param b bias of length m, or null/undefined for none
 * @returns the verdict (`true` with a certificate, `false` with a witness, or `null` = unknown) with
 *   how it was obtained; a returned certificate or witness has been re-checked in exact arithmetic
 *
 * @example
 * const r = await checkLayer([[1, 0], [0, 1], [-1, 0], [0, -1]]); // [I; −I]
 * r.injective; // true (Corollary 2 structure), r.certificate verifies with verifyCertificate
 */
export async function checkLayer(
  W: number[][],
  b?: number[] | null,
  options: CheckLayerOptions = {},
): Promise<LayerCheckResult> {
  const fn = "checkLayer()";
  const layer = validateLayer(fn, W, b);
  validateOptions(fn, options);
  const domain = validateDomain(fn, options.domain);
  const method = validateChoice(fn, "options.method", options.method ?? "auto", METHODS);
  const tol = validateTolerance(fn, options.tolerance);
  if (options.exact !== undefined)
    assertType(
      options.exact === "auto",
      () =>
        `${fn}: options.exact must be "auto" (every verdict is re-checked exactly; the "never" mode was removed), got ${JSON.stringify(options.exact)}`,
    );
  const seed = validateSeed(fn, options.seed);
  if (options.falsifierRestarts !== undefined)
    validateCount(fn, "options.falsifierRestarts", options.falsifierRestarts, 0);
  if (options.descentRestarts !== undefined)
    validateCount(fn, "options.descentRestarts", options.descentRestarts, 0);
  validateCallback(fn, "options.onProgress", options.onProgress);
  const budget = Budget.from(fn, options);
  const start = performance.now();
  const m = layer.W.length;
  const n = layer.W[0].length;
  const stats: CheckStats = {
    hyperplanesVisited: 0,
    hyperplanesTotal: 0,
    distinctHyperplanes: 0,
    prunedByDuals: 0,
    lpSolves: 0,
    falsifierSamples: 0,
    timeMs: 0,
  };
  let result: LayerCheckResult;
  try {
    // The integer form of every row: about 64 bytes per entry for ordinary doubles.
    budget.reserve("the exact integer form of W", 64 * m * (n + 1));
    const ints = dyadicRows(layer.W, layer.b, (i) => {
      if ((i & 63) === 0) budget.check("the exact integer form of W");
    });
    const ctx: Context = {
      W: layer.W,
      b: layer.b,
      m,
      n,
      domain,
      tol,
      seed,
      ints,
      budget,
      options,
      stats,
      lastYield: start,
      start,
    };
    result = await decide(ctx, method);
    if (ctx.poolFailure !== undefined)
      result.reason += ` (The thread pool failed (${ctx.poolFailure}); the check went on in one thread.)`;
  } catch (e) {
    if (!(e instanceof ResourceLimitError)) throw e;
    result = limitResult(e, { m, n, domain, tol, seed, stats });
  }
  result.stats.timeMs = performance.now() - start;
  return result;
}

/**
 * {@link checkLayer} on W, b within a shared `budget` (its time left, its signal and its memory
 * limit): for callers that run several stages on one budget (check-network, Theorem 4's boxes, the
 * inverse Lipschitz constants, the CLI).
 * @param what the layer in words, for the message when the budget has run out before the start
 * @throws ResourceLimitError when the budget has run out before the check starts
 */
export async function checkLayerWithin(
  W: number[][],
  b: number[] | null | undefined,
  options: Omit<CheckLayerOptions, "timeLimitMs" | "signal" | "memoryLimitBytes">,
  budget: Budget,
  what = "the layer",
): Promise<LayerCheckResult> {
  budget.check(`the check of ${what}`);
  return checkLayer(W, b, { ...options, ...budget.options() });
}

/**
 * The result of a layer check that a resource limit stopped before checkLayer could run (for
 * example while the layer's explicit matrix was refused): `injective: null`, method `none`, the
 * limit and the stage in the reason and in `limit` (rank -1: not computed).
 */
export function limitedLayerResult(
  m: number,
  n: number,
  e: ResourceLimitError,
  options: Pick<CheckLayerOptions, "domain" | "tolerance" | "seed"> = {},
): LayerCheckResult {
  return limitResult(e, {
    m,
    n,
    domain: options.domain ?? "all",
    tol: options.tolerance ?? DEFAULT_TOLERANCE,
    seed: options.seed ?? 1,
    stats: {
      hyperplanesVisited: 0,
      hyperplanesTotal: 0,
      distinctHyperplanes: 0,
      prunedByDuals: 0,
      lpSolves: 0,
      falsifierSamples: 0,
      timeMs: 0,
    },
  });
}

/** The unknown verdict of a run stopped by a resource limit, naming the stage. */
function limitResult(
  e: ResourceLimitError,
  c: {
    m: number;
    n: number;
    domain: Domain;
    tol: number;
    seed: number;
    stats: CheckStats;
    rank?: number;
    recheck?: RecheckState;
  },
): LayerCheckResult {
  const s = c.stats;
  const progress =
    s.hyperplanesTotal > 0
      ? ` after ${s.hyperplanesVisited} of ${s.hyperplanesTotal} hyperplane candidates`
      : /branch and bound/.test(e.stage) && s.nodes
        ? ` after ${s.nodes} nodes`
        : "";
  const what =
    e.kind === "time"
      ? `the time limit ran out during ${e.stage}${progress}`
      : e.kind === "cancelled"
        ? `cancelled during ${e.stage}${progress}`
        : e.message;
  const searchDone = c.recheck
    ? recheckCut(c.recheck)
    : /certificate|re-check/.test(e.stage)
      ? "; the search had finished without a collision, only its exact re-check was cut short"
      : "; no collision was found so far";
  return {
    injective: null,
    domain: c.domain,
    method: "none",
    reason: `Unknown: ${what}${searchDone}.`,
    assumptions: assumptionsFor(c.domain, c.tol),
    m: c.m,
    n: c.n,
    rank: c.rank ?? -1,
    exact: false,
    tolerance: c.tol,
    seed: c.seed,
    stats: c.stats,
    limit: { kind: e.kind, stage: e.stage },
  };
}

/**
 * The stage report of a re-check cut by a limit: the search had finished (how long it took, how
 * many duals), and the re-check ran this long. No estimate of the rest: the cover check's tree is
 * unbalanced, and its share-based estimate was off by a factor of 20 on a Gaussian 70×10 layer
 * (5 min predicted at 3%, 16 s needed), so saying nothing is more honest than a number.
 */
function recheckCut(r: RecheckState): string {
  const ran = performance.now() - r.startedAt;
  return `; the search had finished in ${formatMs(r.searchMs)} without a collision (a certificate of ${r.duals} Motzkin dual(s)), and only the exact re-check of that certificate was cut short, after ${formatMs(ran)}${r.replayed !== undefined ? ` with ${(100 * r.replayed).toFixed(0)}% of the search's proof replayed` : ""} (its remaining time cannot be estimated in advance; a longer time limit lets it finish)`;
}

function assumptionsFor(domain: Domain, tol: number): string[] {
  const a = [
    "W and b are taken exactly as given (every finite double is an exact rational)",
    "a witness is confirmed by an exact rational forward pass, a certificate by exact rational algebra; no verdict rests on floating point",
    `the floating-point search uses tolerance ${tol} on unit rows; it can only leave a verdict unknown`,
  ];
  if (domain === "nonnegative") a.push("inputs restricted to the nonnegative orthant (Remark 1)");
  return a;
}

type Base = Omit<LayerCheckResult, "injective" | "method" | "reason">;

function baseResult(ctx: Context, rank: number): Base {
  return {
    domain: ctx.domain,
    assumptions: assumptionsFor(ctx.domain, ctx.tol),
    m: ctx.m,
    n: ctx.n,
    rank,
    exact: false,
    tolerance: ctx.tol,
    seed: ctx.seed,
    stats: ctx.stats,
  };
}

async function decide(ctx: Context, method: Method): Promise<LayerCheckResult> {
  const { W, b, n, domain, tol, budget } = ctx;
  const count = W.length;
  const rank = exactRankBudgeted(ctx.ints.W, n, budget);
  const base = baseResult(ctx, rank);
  const unknown = (reason: string, m: LayerCheckResult["method"] = "none"): LayerCheckResult => ({
    ...base,
    injective: null,
    method: m,
    reason,
  });

  try {
    // Rank test: a direction in the null space of W collides everywhere.
    if (rank < n) return rankWitness(ctx, base);
    // The searches' working memory: residuals of every row at every depth of the branch and bound.
    budget.reserve("the search's working memory", 8 * count * n * (n + 2) + 8 * count * n);
    const layer = normalizeLayer(W, b);

    if (method === "structure" || method === "auto") {
      budget.check("the structure test");
      // Lines chosen independent mod p (exact: independence mod p implies it over the rationals).
      const cover = alwaysActiveCover(layer, domain, tol, budget, (candidates) => {
        const orig = Array.from(candidates, (k) => layer.index[k]);
        const picked = new Set(independentModP(ctx.ints.W, n, orig, undefined, budget));
        return Array.from(candidates).filter((k) => picked.has(layer.index[k]));
      });
      if (cover) {
        const res = await certify(ctx, base, layer, cover.duals, "structure", false);
        if ("injective" in res) {
          if (res.injective === true) {
            res.reason = structureReason(ctx, cover.groups);
            return res;
          }
          if (method === "structure") return res;
        } else if (method === "structure")
          return unknown(
            "The always-active test found antiparallel pairs, but their duals do not cover every hyperplane in exact arithmetic (the rows are only nearly antiparallel); use another method.",
            "structure",
          );
      } else if (method === "structure") {
        return unknown(
          `The always-active test does not apply: the rows contain no ${n} antiparallel pairs (w, −d·w) with b̂_i + b̂_j >= 0${domain === "nonnegative" ? " or nonnegative rows with nonnegative bias" : ""} whose lines span R^${n} (it is only a sufficient test).`,
          "structure",
        );
      }
    }
    if (method === "lemma1") return await lemma1(ctx, base, layer);

    const oracle = new HyperplaneOracle(layer, domain, tol);
    if (method === "falsify" || method === "auto") {
      // First the LP-guided descent (issue 14, item 3): near the injectivity threshold it finds the
      // collisions that random starts miss, and where those hit, its first round hits too.
      const autoRestarts = descentRestartsFor(n);
      const descentRestarts =
        ctx.options.descentRestarts ?? (method === "auto" ? autoRestarts : 4 * autoRestarts);
      let descent = { restarts: 0, lps: 0 };
      if (descentRestarts > 0) {
        const left = budget.remainingMs();
        const descentTime =
          method === "auto" ? Math.min(left * 0.05, DESCENT_MS_PER_8 * (autoRestarts / 8)) : left;
        // On its own oracle: the duals of the hyperplanes it tries are not handed on, so that on a
        // miss the branch and bound runs exactly as it would without it (seeded with them it took
        // 15 times more nodes on a 50 × 9 layer whose collision the descent missed).
        const descentStart = performance.now();
        const side = new HyperplaneOracle(layer, domain, tol);
        // A candidate whose exact witness fails (feasible in floating point by a hair) does not
        // end the descent: it goes on with its other hyperplanes and restarts.
        let witnessed: LayerCheckResult | null = null;
        const found = falsifyByDescent(side, {
          restarts: descentRestarts,
          rounds: DESCENT_ROUNDS,
          seed: ctx.seed,
          deadline: performance.now() + descentTime,
          shouldStop: () => budget.signal?.aborted === true,
          accept: (candidate) => (witnessed = finishWitness(ctx, base, layer, candidate, "falsify")) !== null,
        });
        descent = { restarts: found.restarts, lps: found.lps + side.counters.lpSolves };
        ctx.stats.descentRestarts = descent.restarts;
        ctx.stats.descentLps = descent.lps;
        ctx.stats.descentMs = performance.now() - descentStart;
        if (found.candidate && witnessed) {
          const res: LayerCheckResult = witnessed;
          res.reason += ` (Found by the LP-guided descent, restart ${found.restarts}.)`;
          return res;
        }
        budget.check("the falsifier");
      }
      // Then random starts. In `auto` the falsifier only gets a short run: the branch and bound
      // finds witnesses too. Its duals seed the branch and bound.
      const restarts = ctx.options.falsifierRestarts ?? (method === "auto" ? 16 : 64 + 8 * ctx.m);
      const remaining = budget.remainingMs();
      const time = method === "auto" ? Math.min(remaining * 0.05, 100) : remaining;
      const out = falsify(oracle, {
        restarts,
        seed: ctx.seed,
        deadline: performance.now() + time,
        shouldStop: () => budget.signal?.aborted === true,
      });
      ctx.stats.falsifierSamples = out.samples;
      copyCounters(ctx, oracle);
      if (out.candidate) {
        const res = finishWitness(ctx, base, layer, out.candidate, "falsify");
        if (res) return res;
      }
      budget.check("the falsifier");
      if (method === "falsify") {
        return unknown(
          `The falsifier found no collision in ${out.samples} random restarts${descent.restarts ? ` and ${descent.restarts} restarts of the LP-guided descent (${descent.lps} LPs)` : ""} (seed ${ctx.seed}); this proves nothing: use the exhaustive method for a verdict.`,
          "falsify",
        );
      }
    }
    if (method === "exhaustive") return await exhaustive(ctx, base, layer, oracle);
    return await branchAndBound(ctx, base, layer, oracle);
  } catch (e) {
    if (e instanceof ResourceLimitError)
      return limitResult(e, {
        m: ctx.m,
        n,
        domain,
        tol,
        seed: ctx.seed,
        stats: ctx.stats,
        rank,
        ...(ctx.recheck ? { recheck: ctx.recheck } : {}),
      });
    throw e;
  }
}

function copyCounters(ctx: Context, oracle: HyperplaneOracle): void {
  ctx.stats.lpSolves = oracle.counters.lpSolves;
  ctx.stats.prunedByDuals = oracle.counters.prunedByDuals;
  ctx.stats.distinctHyperplanes = oracle.counters.distinct;
  ctx.stats.hyperplanesVisited = oracle.counters.leaves;
}

/** Between chunks of a search: stop on the deadline or a cancel, and yield to the event loop now and then. */
async function pause(ctx: Context, stage: string): Promise<void> {
  ctx.budget.check(stage);
  if (performance.now() - ctx.lastYield > YIELD_MS) {
    await yieldNow();
    ctx.lastYield = performance.now();
    ctx.budget.check(stage);
  }
}

async function exhaustive(
  ctx: Context,
  base: Base,
  layer: NormalizedLayer,
  oracle: HyperplaneOracle,
): Promise<LayerCheckResult> {
  let rejected = 0;
  const search = new HyperplaneSearch(oracle, true);
  ctx.stats.hyperplanesTotal = search.total;
  while (!search.done) {
    const candidate = search.step(CHUNK);
    copyCounters(ctx, oracle);
    if (candidate) {
      const res = finishWitness(ctx, base, layer, candidate, "exhaustive");
      if (res) return res;
      rejected++;
    }
    ctx.options.onProgress?.({ stage: "exhaustive", done: search.progress(), total: search.total });
    await pause(ctx, "the exhaustive search");
  }
  const duals = oracle.duals.map((d) => toOriginalDual(layer, d.rows, d.weights));
  const res = await certify(ctx, base, layer, duals, "exhaustive", true);
  if (!("injective" in res)) throw new Error("unreachable: certify with repairs returns a verdict");
  if (res.injective === true) res.reason = exhaustiveReason(ctx, oracle, res.certificate!.duals.length);
  return borderline(res, rejected, "hyperplane(s)");
}

async function branchAndBound(
  ctx: Context,
  base: Base,
  layer: NormalizedLayer,
  oracle: HyperplaneOracle,
): Promise<LayerCheckResult> {
  let rejected = 0;
  let duals = oracle.duals.slice();
  let lpSolves = oracle.counters.lpSolves;
  let nodes = 0;
  // First with the packing bound (exact in general position); if the exact cover check then finds a
  // flat it cut, once more without it, reusing the duals (exact for every W); then exact repairs.
  for (const packingBound of [true, false]) {
    const pooled = parallelOf(ctx, "branch-and-bound");
    // The counts so far, across the threads, also when the run is cut short (then the verdict is
    // unknown and the stats say how far the search got).
    const par = pooled && {
      ...pooled,
      onCounts: (n: number, lps: number) => {
        ctx.stats.nodes = nodes + n;
        ctx.stats.lpSolves = lpSolves + lps;
      },
    };
    const out =
      par && (await onPool(ctx, () => parallelFlatSearch(par, layer, ctx.ints, packingBound, duals)));
    if (par && out) {
      lpSolves += out.lpSolves;
      nodes += out.nodes;
      ctx.stats.lpSolves = lpSolves;
      ctx.stats.nodes = nodes;
      rejected += out.rejected;
      if (out.witness) return witnessResult(ctx, base, out.witness, "branch-and-bound");
      const found = out.duals.map((d) => toOriginalDual(layer, d.rows, d.weights));
      const res = await certify(
        ctx,
        base,
        layer,
        found,
        "branch-and-bound",
        !packingBound || rejected > 0,
        out.proof,
      );
      if ("injective" in res) {
        if (res.injective === true)
          res.reason = `Injective on ${regionOf(ctx)}: a branch and bound over the flats of the rows, split over ${par.pool.size} threads (${nodes} nodes, ${lpSolves} LPs), found no flat of rank < ${ctx.n} that meets all of ${res.certificate!.duals.length} Motzkin duals, so the rows active at any input span R^${ctx.n} (Theorem 1; the duals are the certificate, re-checked in exact arithmetic${recheckHow(res.stats)}${res.stats.repairs ? `, after ${res.stats.repairs} flat(s) were settled exactly` : ""}).`;
        return borderline(res, rejected, "flat(s)");
      }
      duals = out.duals;
      continue;
    }
    // The proof (4 bytes per entry, held twice while it grows) stays within an eighth of the memory limit.
    const recordLimit = Math.floor(ctx.budget.memoryLimitBytes / 32);
    const search = new FlatSearch(layer, ctx.domain, ctx.tol, {
      packingBound,
      duals,
      record: true,
      recordLimit,
    });
    const sync = () => {
      ctx.stats.lpSolves = lpSolves + search.counters.lpSolves;
      ctx.stats.nodes = nodes + search.counters.nodes;
    };
    while (!search.done) {
      const candidate = search.step(NODE_CHUNK);
      sync();
      if (candidate) {
        const res = finishWitness(ctx, base, layer, candidate, "branch-and-bound");
        if (res) return res;
        search.skipWitness();
        rejected++;
      }
      ctx.options.onProgress?.({
        stage: "branch-and-bound",
        done: Math.round(search.progress() * 1e6),
        total: 1e6,
      });
      await pause(ctx, "the branch and bound");
    }
    const found = search.duals.map((d) => toOriginalDual(layer, d.rows, d.weights));
    const repairs = !packingBound || rejected > 0;
    const res = await certify(ctx, base, layer, found, "branch-and-bound", repairs, search.proof());
    if ("injective" in res) {
      if (res.injective === true) {
        const c = search.counters;
        res.reason = `Injective on ${regionOf(ctx)}: a branch and bound over the flats of the rows (${nodes + c.nodes} nodes, ${ctx.stats.lpSolves} LPs) found no flat of rank < ${ctx.n} that meets all of ${res.certificate!.duals.length} Motzkin duals, so the rows active at any input span R^${ctx.n} (Theorem 1; the duals are the certificate, re-checked in exact arithmetic${recheckHow(res.stats)}${res.stats.repairs ? `, after ${res.stats.repairs} flat(s) were settled exactly` : ""}).`;
      }
      return borderline(res, rejected, "flat(s)");
    }
    duals = search.duals;
    lpSolves += search.counters.lpSolves;
    nodes += search.counters.nodes;
  }
  throw new Error("unreachable");
}

/** How the cover of a branch and bound's certificate was re-checked, for its reason. */
function recheckHow(stats: CheckStats): string {
  return stats.recheckBy === "proof replay"
    ? ": their algebra, and their cover by replaying the search's tree"
    : stats.recheckBy === "cover check"
      ? `: their algebra, and their cover by an independent search${stats.replayFailure ? ` (the replay of the search's tree did not hold: ${stats.replayFailure})` : ""}`
      : "";
}

/** The parallel context of a check, or null to run in this thread. */
function parallelOf(ctx: Context, stage: "branch-and-bound" | "certificate"): ParallelContext | null {
  const pool = ctx.options.pool;
  if (!pool || pool.size < 2 || ctx.n < PARALLEL_MIN_N || ctx.poolFailure !== undefined) return null;
  ctx.poolKey ??= `layer-${++poolKeys}-${Math.random().toString(36).slice(2)}`;
  const onProgress = ctx.options.onProgress;
  return {
    pool,
    setup: { key: ctx.poolKey, W: ctx.W, b: ctx.b, domain: ctx.domain, tolerance: ctx.tol },
    budget: ctx.budget,
    ...(onProgress
      ? { onProgress: (share: number) => onProgress({ stage, done: Math.round(share * 1e6), total: 1e6 }) }
      : {}),
  };
}
let poolKeys = 0;

/**
 * Runs a stage on the pool; when the pool itself fails (a thread crashed or the pool was closed),
 * records why and returns null, and the check goes on in this thread. Limits and cancels pass.
 */
async function onPool<T>(ctx: Context, run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof ResourceLimitError) throw e;
    ctx.poolFailure = e instanceof Error ? e.message : String(e);
    return null;
  }
}

function borderline(res: LayerCheckResult, rejected: number, what: string): LayerCheckResult {
  if (res.injective === null && rejected > 0)
    res.reason += ` ${rejected} ${what} looked feasible in floating point but gave no exact witness: the layer is numerically borderline.`;
  return res;
}

/** Converts weights on unit rows to weights on the original rows (summing to 1). */
function toOriginalDual(layer: NormalizedLayer, rows: ArrayLike<number>, weights: ArrayLike<number>): Dual {
  const orig: number[] = [];
  const w: number[] = [];
  let s = 0;
  // y_i / ‖w_i‖, scaled by the smallest norm so that nothing overflows.
  let minLog = Infinity;
  for (let t = 0; t < rows.length; t++) minLog = Math.min(minLog, layer.logNorm[rows[t]]);
  for (let t = 0; t < rows.length; t++) {
    const y = weights[t] * 2 ** (minLog - layer.logNorm[rows[t]]);
    orig.push(layer.index[rows[t]]);
    w.push(y);
    s += y;
  }
  const order = orig.map((_, t) => t).sort((a, c) => orig[a] - orig[c]);
  return { rows: order.map((t) => orig[t]), weights: order.map((t) => w[t] / s) };
}

/**
 * The exact certificate: keeps the duals whose algebra holds exactly, then runs the exact cover
 * check. With `repairs`, every uncovered flat is settled exactly (a witness, a new dual, or unknown);
 * without, an uncovered flat is returned to the caller.
 */
async function certify(
  ctx: Context,
  base: Base,
  layer: NormalizedLayer,
  duals: Dual[],
  method: "structure" | "exhaustive" | "branch-and-bound" | "lemma1",
  repairs: boolean,
  proof: FlatProof | null = null,
): Promise<LayerCheckResult | { uncovered: number[] }> {
  const { budget } = ctx;
  const stage = "the exact re-check of the certificate";
  const now = performance.now();
  const recheck: RecheckState = { searchMs: now - ctx.start, duals: duals.length, startedAt: now };
  ctx.recheck = recheck;
  ctx.options.onProgress?.({ stage: "certificate", done: 0, total: 1e6 });
  const kept: Dual[] = [];
  let dropped = 0;
  /** The verdict once the cover holds: the certificate (with the search's proof when asked for). */
  const proved = (keepProof: FlatProof | null): LayerCheckResult => {
    ctx.stats.recheckMs = performance.now() - now;
    const certificate: Certificate = {
      kind: "dual-cover",
      domain: ctx.domain,
      m: ctx.m,
      n: ctx.n,
      duals: kept,
      ...(keepProof ? { proof: encodeFlatProof(keepProof) } : {}),
    };
    return { ...base, injective: true, method, reason: "", certificate, exact: true };
  };
  // A short certificate is re-checked faster in one thread than split (measured: 350 duals at n = 8).
  const parDuals = duals.length >= PARALLEL_MIN_DUALS ? parallelOf(ctx, "certificate") : null;
  const pending = parDuals ? onPool(ctx, () => parallelDualChecks(parDuals, duals)) : null;
  pending?.catch(() => undefined);
  // With a pool, the proof's pieces are replayed there (the top of the tree and the cutting, here).
  const parReplay = proof ? parallelOf(ctx, "certificate") : null;
  const supports = duals.map((d) => d.rows);
  const onShare = (share: number): void => {
    recheck.replayed = share;
    ctx.options.onProgress?.({ stage: "certificate", done: Math.round(share * 1e6), total: 1e6 });
  };
  /** Set when a dual is dropped while the replay runs: its answer would not count. */
  let abandoned = false;
  const abandon = new Error("the replay is no longer needed");
  /** The replay, in pieces that yield to the event loop (progress, cancelling); farmed to the pool. */
  const replayProof = (): Promise<ReplayResult> =>
    replayInChunks(ctx.ints, supports, ctx.n, proof!, budget, {
      unsettled: true,
      pause: () => {
        if (abandoned) throw abandon;
        return pause(ctx, stage);
      },
      onShare,
      ...(parReplay
        ? {
            chunkTokens: Math.max(
              REPLAY_MIN_FARM_TOKENS,
              Math.ceil(proofLength(proof!) / (REPLAY_PIECES_PER_THREAD * parReplay.pool.size)),
            ),
            farm: async (pieces: ProofSubtree[]) => {
              // After the duals' algebra (one job on the pool at a time).
              await pendingDone;
              if (abandoned) throw abandon;
              return onPool(ctx, () => parallelReplay(parReplay, supports, pieces));
            },
          }
        : {}),
    });
  // While the pool checks the duals' algebra, this thread starts the replay (it counts only if no
  // dual is dropped). A limit hit here must not leave the pool's answer unhandled.
  const pendingDone = pending
    ? pending.then(
        () => undefined,
        () => undefined,
      )
    : Promise.resolve();
  const replaying = proof && pending ? replayProof() : null;
  replaying?.catch(() => undefined);
  const holds = pending ? await pending : null;
  for (let k = 0; k < duals.length; k++) {
    if (!holds && (k & 15) === 0) await pause(ctx, stage);
    if (holds ? holds[k] : exactDualProblem(ctx.ints, duals[k], ctx.domain, ctx.tol) === null)
      kept.push(duals[k]);
    else dropped++;
  }
  // The search's own proof tree, replayed (a fraction of the cover check's time); when it does not
  // hold (a dual was dropped, a node unsettled, rows not in general position), the cover check decides.
  if (proof && dropped === 0) {
    const replay = await (replaying ?? replayProof());
    ctx.stats.proofNodes = replay.nodes;
    // The nodes the search left unsettled (an LP it could not trust): the cover check of their
    // flats alone, with exact repairs, instead of the cover check of every flat.
    const settled = replay.valid
      ? await settleUnsettled(ctx, base, method, layer, kept, replay.unsettled ?? [])
      : null;
    if (settled && "injective" in settled) return settled;
    if (settled?.settled === true) {
      ctx.stats.recheckBy = "proof replay";
      ctx.stats.repairs = settled.repairs;
      if (settled.nodes) ctx.stats.unsettledNodes = settled.nodes;
      return proved(ctx.options.proof ? proof : null);
    }
    ctx.stats.replayFailure = settled?.settled === false ? settled.why : replay.reason;
  } else if (replaying) {
    // A dual was dropped: the replay's answer does not count; it stops at its next pause.
    abandoned = true;
    await replaying.catch(() => undefined);
  }
  ctx.stats.recheckBy = "cover check";
  recheck.replayed = undefined;
  let repaired = 0;
  for (;;) {
    ctx.options.onProgress?.({ stage: "certificate", done: 0, total: 1e6 });
    const onShare = ctx.options.onProgress
      ? (share: number) =>
          ctx.options.onProgress?.({ stage: "certificate", done: Math.round(share * 1e6), total: 1e6 })
      : undefined;
    const supports = kept.map((d) => d.rows);
    const par = supports.length >= PARALLEL_MIN_DUALS ? parallelOf(ctx, "certificate") : null;
    const cover =
      (par && (await onPool(ctx, () => parallelCover(par, ctx.ints, supports, ctx.n)))) ||
      (await coverInChunks(ctx.ints, supports, ctx.n, null, budget, () => pause(ctx, stage), onShare))!;
    if (!cover.uncovered) {
      ctx.stats.repairs = repaired;
      return proved(null);
    }
    if (!repairs) return { uncovered: cover.uncovered };
    if (repaired >= MAX_REPAIRS)
      return {
        ...base,
        injective: null,
        method,
        reason: `Unknown: after the search, ${repaired} flats had to be settled in exact arithmetic and more remain (the flat spanned by rows [${cover.uncovered.join(", ")}] is not yet ruled out); the layer is numerically borderline.`,
      };
    await pause(ctx, stage);
    const out = settleFlat(ctx, layer, cover.uncovered);
    repaired++;
    ctx.stats.repairs = repaired;
    if ("witness" in out) return repairWitness(ctx, base, method, out.witness, cover.uncovered);
    if ("dual" in out) {
      kept.push(out.dual);
      continue;
    }
    return {
      ...base,
      injective: null,
      method,
      reason: `Unknown: the search found no collision, but in exact arithmetic the flat spanned by rows [${cover.uncovered.join(", ")}] is neither ruled out by a dual nor gives a collision (${out.why}${dropped ? `; ${dropped} of the search's duals failed their exact algebra` : ""}): the layer is numerically borderline for the floating-point search.`,
    };
  }
}

/** The verdict when the exact settling of a flat of the re-check finds a collision. */
function repairWitness(
  ctx: Context,
  base: Base,
  method: LayerCheckResult["method"],
  witness: Witness,
  flatRows: readonly number[],
): LayerCheckResult {
  return {
    ...base,
    injective: false,
    method,
    reason: `${witnessReason(ctx, witness)} (Found when the exact re-check of the search's certificate settled the flat of rows [${flatRows.join(", ")}] exactly.)`,
    witness,
    exact: true,
  };
}

/**
 * Settles the nodes the search's proof left unsettled: for each, the exact cover check of its flats
 * only ({@link exactCoverAt}); a flat it finds uncovered is settled exactly ({@link settleFlat}):
 * a witness ends the check (returned as the verdict), a new dual joins `kept` and the node is
 * checked again. `settled: false` (with why) when a node cannot be checked on its own, or needs
 * more than {@link MAX_REPAIRS} repairs: the caller then runs the whole cover check.
 *
 * Repairs are always allowed here, also after a search with the packing bound: every cut of the
 * proof was replayed exactly, so an uncovered flat below an unsettled node is one the search never
 * looked at (its LP's dual failed its algebra), not a sign that a cut was wrong. Refusing them sent
 * a 69 × 12 Gaussian layer with one such node (at rank 11) to the whole cover check and then to a
 * second search without the bound: over 15 minutes in one thread instead of 2.
 */
async function settleUnsettled(
  ctx: Context,
  base: Base,
  method: "structure" | "exhaustive" | "branch-and-bound" | "lemma1",
  layer: NormalizedLayer,
  kept: Dual[],
  nodes: readonly ProofNode[],
): Promise<
  LayerCheckResult | { settled: true; repairs: number; nodes: number } | { settled: false; why: string }
> {
  let repaired = 0;
  for (const node of nodes) {
    for (;;) {
      await pause(ctx, "the exact re-check of the certificate");
      const cover = await coverInChunks(
        ctx.ints,
        kept.map((d) => d.rows),
        ctx.n,
        { chosen: node.path, forbidden: node.forbidden },
        ctx.budget,
        () => pause(ctx, "the exact re-check of the certificate"),
      );
      if (!cover)
        return {
          settled: false,
          why: `the cover check cannot start at the unsettled node of rows [${node.path.join(", ")}]`,
        };
      if (!cover.uncovered) break;
      if (repaired >= MAX_REPAIRS)
        return {
          settled: false,
          why: `the unsettled node of rows [${node.path.join(", ")}] still has an uncovered flat after ${repaired} flats were settled exactly`,
        };
      const out = settleFlat(ctx, layer, cover.uncovered);
      repaired++;
      if ("witness" in out) return repairWitness(ctx, base, method, out.witness, cover.uncovered);
      if (!("dual" in out))
        return {
          settled: false,
          why: `the flat of rows [${cover.uncovered.join(", ")}] could not be settled exactly (${out.why})`,
        };
      kept.push(out.dual);
    }
  }
  return { settled: true, repairs: repaired, nodes: nodes.length };
}

/**
 * Settles one flat exactly: the rows off it (exactly) either can all be made strictly negative at
 * a point (a witness), or admit a Motzkin dual (a new dual of the certificate).
 */
function settleFlat(
  ctx: Context,
  layer: NormalizedLayer,
  flatRows: number[],
): { witness: Witness } | { dual: Dual } | { why: string } {
  const { n, ints, domain } = ctx;
  const normIndex = new Map<number, number>();
  for (let k = 0; k < layer.count; k++) normIndex.set(layer.index[k], k);
  const off = rowsOffFlat(ints, n, flatRows, ctx.budget)
    .map((i) => normIndex.get(i))
    .filter((k): k is number => k !== undefined);
  const tryPoint = (x: ArrayLike<number>): { witness: Witness } | null => {
    const pair = exactPairAt(ints, domain, x, flatRows);
    const witness = pair && describeExactWitness(ints, ctx.W, ctx.b, pair, domain, ctx.tol);
    return witness ? { witness } : null;
  };
  let why: string;
  if (off.length === 0) {
    const x = new Float64Array(n).fill(domain === "nonnegative" ? 1 : 0);
    const found = tryPoint(x);
    if (found) return found;
    why = "every row lies in the flat, but no exact collision was built at a float point";
  } else {
    // Floating point first (fast), then the exact LPs when it cannot decide.
    const R = Int32Array.from(off);
    ctx.stats.lpSolves++;
    const sep = separateRows(layer, R, domain, 0);
    if (sep.feasible) {
      const first = tryPoint(sep.x);
      if (first) return first;
      ctx.stats.lpSolves++;
      const best = polishSeparation(layer, R, domain, sep);
      const polished = tryPoint(best.x);
      if (polished) return polished;
      why = `the separation LP finds margin ${sep.margin.toExponential(2)} > 0, but its point does not make every row off the flat strictly negative in exact arithmetic`;
    } else {
      const rows: number[] = [];
      const w: number[] = [];
      for (let t = 0; t < R.length; t++)
        if (sep.weights[t] > 0) {
          rows.push(R[t]);
          w.push(sep.weights[t]);
        }
      const dual = rows.length ? toOriginalDual(layer, rows, w) : null;
      const problem = dual ? exactDualProblem(ints, dual, domain, ctx.tol) : "no dual";
      if (dual && problem === null) return { dual };
      why = `the separation LP's margin is ${sep.margin.toExponential(2)} <= 0, but its dual fails in exact arithmetic (${problem})`;
    }
  }
  ctx.stats.exactLps = (ctx.stats.exactLps ?? 0) + 1;
  const exact = settleFlatExact(ints, domain, flatRows, ctx.budget);
  if (exact && "pair" in exact) {
    const witness = describeExactWitness(ints, ctx.W, ctx.b, exact.pair, domain, ctx.tol);
    if (witness) return { witness };
  } else if (exact && "dual" in exact) {
    const problem = exactDualProblem(ints, exact.dual, domain, ctx.tol);
    if (problem === null) return { dual: exact.dual };
    why += `; the exact LP's dual failed its re-check (${problem})`;
  }
  return { why: `${why}; the exact LP did not settle it either` };
}

function finishWitness(
  ctx: Context,
  base: Base,
  layer: NormalizedLayer,
  cand: SeparationCandidate,
  method: "falsify" | "exhaustive" | "branch-and-bound" | "lemma1",
): LayerCheckResult | null {
  const setup = { W: ctx.W, b: ctx.b, domain: ctx.domain, tolerance: ctx.tol };
  const witness = exactWitness(setup, layer, ctx.ints, cand);
  return witness ? witnessResult(ctx, base, witness, method) : null;
}

/** The verdict "not injective" with an exactly re-checked witness. */
function witnessResult(
  ctx: Context,
  base: Base,
  witness: Witness,
  method: "falsify" | "exhaustive" | "branch-and-bound" | "lemma1",
): LayerCheckResult {
  return { ...base, injective: false, method, reason: witnessReason(ctx, witness), witness, exact: true };
}

function rankWitness(ctx: Context, base: Base): LayerCheckResult {
  const { n, domain } = ctx;
  // Wide layers (m < n) on R^n: a point where every row is strictly negative (x = −Wᵀ(WWᵀ)⁻¹(1 + b)
  // in floating point, checked exactly) collides along any direction, here e_1. This avoids an exact
  // null vector, whose entries grow like m times the entries' bits.
  let witness = domain === "all" && ctx.m < n ? allNegativeWitness(ctx) : null;
  if (!witness) {
    const v = exactNullVector(ctx.ints.W, n, ctx.budget);
    const x = new Array<number>(n).fill(domain === "nonnegative" ? 1 : 0);
    const pair = pairAlong(ctx.ints, domain, x, v);
    witness = pair && describeExactWitness(ctx.ints, ctx.W, ctx.b, pair, domain, ctx.tol);
  }
  if (!witness) throw new Error("checkLayer(): the exact null-space witness failed its re-check (a bug)");
  return {
    ...base,
    injective: false,
    method: "rank",
    reason: `Not injective: W has rank ${base.rank} < n = ${n} (exact), so F(x) = F(x + t·v) for every x and every v in the null space of W.`,
    witness,
    exact: true,
  };
}

/** The witness of {@link rankWitness}'s fast path for wide layers, or null when it does not apply. */
function allNegativeWitness(ctx: Context): Witness | null {
  const { W, b, m, n } = ctx;
  ctx.budget.reserve("the null-space witness", 8 * m * (m + n));
  // Unit rows, so that the system is well scaled; the point only needs to be strictly feasible.
  const layer = normalizeLayer(W, b);
  if (layer.count < m) return null; // a zero row is never negative
  const G = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    if ((i & 31) === 0) ctx.budget.check("the null-space witness");
    for (let k = 0; k <= i; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += layer.rows[i * n + j] * layer.rows[k * n + j];
      G[i * m + k] = s;
    }
  }
  const u = choleskySolve(
    G,
    m,
    0,
    Array.from({ length: m }, (_, i) => 1 + Math.abs(layer.bias[i])),
    1e-12,
  );
  if (!u) return null;
  const x = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) x[j] -= u[i] * layer.rows[i * n + j];
  const e1 = Array.from({ length: n }, (_, j) => (j === 0 ? 1n : 0n));
  const pair = pairAlong(ctx.ints, ctx.domain, x, e1);
  return pair && describeExactWitness(ctx.ints, ctx.W, ctx.b, pair, ctx.domain, ctx.tol);
}

async function lemma1(ctx: Context, base: Base, layer: NormalizedLayer): Promise<LayerCheckResult> {
  // W|b>=0 without bias: rows with b_i < 0 become zero rows (only the "if" direction of Lemma 1 holds).
  const reducedW = ctx.W.map((row, i) => (ctx.b[i] >= 0 ? row : row.map(() => 0)));
  const zeros = new Array<number>(ctx.m).fill(0);
  const dropped = ctx.b.filter((v) => v < 0).length;
  if (reducedW.every((r) => r.every((v) => v === 0))) {
    return {
      ...base,
      injective: null,
      method: "lemma1",
      reason: "Lemma 1 does not apply: every bias is negative, so W|b≥0 = 0.",
    };
  }
  const inner = await checkLayer(reducedW, zeros, {
    ...ctx.options,
    method: "auto",
    timeLimitMs: Math.max(1, ctx.budget.remainingMs()),
  });
  Object.assign(ctx.stats, { ...inner.stats, timeMs: 0 });
  if (inner.injective === true && inner.certificate) {
    const res = await certify(ctx, base, layer, inner.certificate.duals, "lemma1", false);
    if ("injective" in res && res.injective === true) {
      res.reason = `Injective by Lemma 1 (sufficient direction): W|b≥0, with the ${dropped} row(s) of negative bias set to zero, is injective without bias (${inner.method}), and its certificate re-verifies exactly for (W, b).`;
      return res;
    }
    return {
      ...base,
      injective: null,
      method: "lemma1",
      reason:
        "Lemma 1 gave no answer: the certificate of W|b≥0 does not re-verify for (W, b) in exact arithmetic.",
    };
  }
  if (inner.injective === false) {
    return {
      ...base,
      injective: null,
      method: "lemma1",
      reason: `Lemma 1 does not apply: W|b≥0 (the ${dropped} row(s) of negative bias set to zero) is not injective. Lemma 1's "only if" direction is false (see docs/verifier.md), so this says nothing about (W, b): use the exhaustive method.`,
    };
  }
  return { ...base, injective: null, method: "lemma1", reason: `Lemma 1 gave no answer: ${inner.reason}` };
}

function regionOf(ctx: Context): string {
  return ctx.domain === "nonnegative" ? "the nonnegative orthant" : `R^${ctx.n}`;
}

function structureReason(ctx: Context, groups: { kind: string; rows: number[] }[]): string {
  const pairs = groups.filter((g) => g.kind === "pair");
  const singles = groups.filter((g) => g.kind !== "pair");
  const parts: string[] = [];
  if (pairs.length)
    parts.push(
      `${pairs.length} antiparallel pair(s) (w, −d·w) whose biases keep one row of each pair active (rows ${pairs.map((g) => g.rows.join("/")).join(", ")})`,
    );
  if (singles.length)
    parts.push(
      `${singles.length} nonnegative row(s) with nonnegative bias, active on all of the orthant (rows ${singles.map((g) => g.rows[0]).join(", ")})`,
    );
  return `Injective on ${regionOf(ctx)}: ${parts.join(" and ")} are active at every input and span R^${ctx.n}, so the active rows always span R^${ctx.n} (Theorem 1; the Corollary 2 structure [B; −DB; M]; re-checked in exact arithmetic).`;
}

function exhaustiveReason(ctx: Context, oracle: HyperplaneOracle, duals: number): string {
  const c = oracle.counters;
  return `Injective on ${regionOf(ctx)}: each of the ${c.distinct} distinct hyperplanes spanned by ${ctx.n - 1} rows is ruled out by a Motzkin dual (${duals} duals, ${c.lpSolves} LPs), so no input has active rows of rank < ${ctx.n} (Theorem 1, exhaustive search; the certificate is re-checked in exact arithmetic).`;
}

function witnessReason(ctx: Context, w: Witness): string {
  // Long vectors are shortened (the witness itself holds every coordinate).
  const fmt = (x: number[]) => {
    const shown = x.length > 8 ? [...x.slice(0, 4), NaN, ...x.slice(-3)] : x;
    const parts = shown.map((v) =>
      Number.isNaN(v) ? `… (${x.length - 7} more) …` : String(Number(v.toPrecision(6))),
    );
    return `[${parts.join(", ")}]`;
  };
  return `Not injective on ${regionOf(ctx)}: at x1 = ${fmt(w.x1)} only ${w.activeRows.length} row(s) are active (${w.activeRows.length ? w.activeRows.slice(0, 20).join(", ") + (w.activeRows.length > 20 ? ", …" : "") : "none"}), of rank ${w.activeRank} < ${ctx.n}, so F(x1) = F(x2) with x2 = ${fmt(w.x2)} (checked exactly${w.exactX1 ? "; the exact points are given as fractions" : ""}).`;
}
