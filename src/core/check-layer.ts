/**
 * checkLayer: the exact injectivity verdict for one ReLU layer x ↦ ReLU(W x + b)
 * (paper, Theorem 1, Lemma 1 as a sufficient test, Remark 1, Corollary 2; notes §1–§3).
 *
 * `auto` runs, in order: the rank test (rank W < n is never injective), the always-active test
 * (Corollary 2 structure, ./structure.ts), the randomized falsifier (./falsifier.ts), and the
 * exhaustive hyperplane search (./hyperplane-search.ts), sharing one pool of Motzkin duals. Every
 * verdict is re-checked before it is returned: a witness by a forward pass (exactly when possible),
 * a certificate by {@link verifyCertificate} (exactly for integral layers). A verdict that fails its
 * re-check is not returned; the answer is then `null` with the reason.
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
import { validateChoice, validateLayer, validatePositive, assertType } from "./validate.js";
import { normalizeLayer, type NormalizedLayer } from "./layer.js";
import { ExactSpan, integralRows } from "./exact.js";
import { numericalRank, smallestRightSingularVector } from "./linalg.js";
import { alwaysActiveCover } from "./structure.js";
import { falsify } from "./falsifier.js";
import { HyperplaneOracle, HyperplaneSearch, type SeparationCandidate } from "./hyperplane-search.js";
import { describeWitness, exactWitnessFromSeparation, witnessFromSeparation } from "./witness.js";
import { verifyCertificate } from "./certificate.js";
import { FlatSearch } from "./flat-search.js";

const METHODS: readonly Method[] = [
  "auto",
  "branch-and-bound",
  "exhaustive",
  "falsify",
  "structure",
  "lemma1",
];
const DOMAINS: readonly Domain[] = ["all", "nonnegative"];

/** Leaves per chunk of the exhaustive search between time checks. */
const CHUNK = 512;
/** Nodes per chunk of the branch and bound between time checks. */
const NODE_CHUNK = 256;
/** Yield to the event loop at least this often (ms), so that signals and timers run. */
const YIELD_MS = 50;

const yieldNow = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

class Stop extends Error {
  constructor(readonly why: "time" | "cancelled") {
    super(why);
  }
}

interface Context {
  W: number[][];
  b: number[];
  m: number;
  n: number;
  domain: Domain;
  tol: number;
  seed: number;
  ints: { W: bigint[][]; b: bigint[] } | null;
  deadline: number;
  options: CheckLayerOptions;
  stats: CheckStats;
  lastYield: number;
}

/**
 * Decides whether `x ↦ ReLU(W x + b)` is injective on `options.domain`.
 *
 * @param W weight matrix of shape (m, n), rows are output units; finite, non-empty
 * @param b bias of length m, or null/undefined for none
 * @returns the verdict (`true`, `false` with a witness, or `null` = unknown) with how it was
 *   obtained, a certificate or witness that has been re-checked, and search statistics
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
  assertType(typeof options === "object" && options !== null, () => `${fn}: options must be an object`);
  const domain = validateChoice(fn, "options.domain", options.domain ?? "all", DOMAINS);
  const method = validateChoice(fn, "options.method", options.method ?? "auto", METHODS);
  const tol = validatePositive(fn, "options.tolerance", options.tolerance ?? 1e-9);
  const timeLimit = validatePositive(fn, "options.timeLimitMs", options.timeLimitMs ?? Infinity, true);
  const exactMode = validateChoice(fn, "options.exact", options.exact ?? "auto", ["auto", "never"] as const);
  const seed = options.seed ?? 1;
  assertType(Number.isInteger(seed), () => `${fn}: options.seed must be an integer, got ${seed}`);
  const start = performance.now();
  const m = layer.W.length;
  const n = layer.W[0].length;
  const ctx: Context = {
    W: layer.W,
    b: layer.b,
    m,
    n,
    domain,
    tol,
    seed,
    ints: exactMode === "auto" ? integralRows(layer.W, layer.b) : null,
    deadline: start + timeLimit,
    options,
    stats: {
      hyperplanesVisited: 0,
      hyperplanesTotal: 0,
      distinctHyperplanes: 0,
      prunedByDuals: 0,
      lpSolves: 0,
      falsifierSamples: 0,
      timeMs: 0,
    },
    lastYield: start,
  };
  const result = await decide(ctx, method);
  result.stats.timeMs = performance.now() - start;
  return result;
}

function baseResult(ctx: Context, rank: number): Omit<LayerCheckResult, "injective" | "method" | "reason"> {
  const assumptions = [
    `tolerance ${ctx.tol} on unit rows (a row lies in a hyperplane when |<w, v>| <= tolerance)`,
    ctx.ints
      ? "W and b are integral (after scaling rows by powers of two): the verdict's evidence is re-checked in exact rational arithmetic"
      : "W or b is not integral: the verdict's evidence is re-checked in floating point to the tolerance",
  ];
  if (ctx.domain === "nonnegative")
    assumptions.push("inputs restricted to the nonnegative orthant (Remark 1)");
  return {
    domain: ctx.domain,
    assumptions,
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
  const { W, b, n, domain, tol } = ctx;
  const layer = normalizeLayer(W, b);
  const unitRows = Array.from({ length: layer.count }, (_, k) =>
    Array.from(layer.rows.subarray(k * n, (k + 1) * n)),
  );
  const rank = ctx.ints ? exactRankOf(ctx.ints.W, n) : numericalRank(unitRows, tol);
  const base = baseResult(ctx, rank);
  const unknown = (reason: string, m: LayerCheckResult["method"] = "none"): LayerCheckResult => ({
    ...base,
    injective: null,
    method: m,
    reason,
  });

  // Rank test: a direction in the null space of W collides everywhere.
  if (rank < n) return rankWitness(ctx, base, unitRows);

  try {
    if (method === "structure" || method === "auto") {
      const cover = alwaysActiveCover(layer, domain, tol);
      if (cover) {
        const res = finishInjective(ctx, base, cover.duals, "structure", structureReason(ctx, cover.groups));
        if (res.injective !== null || method === "structure") return res;
      } else if (method === "structure") {
        return unknown(
          `The always-active test does not apply: the rows contain no ${n} antiparallel pairs (w, −d·w) with b̂_i + b̂_j >= 0${domain === "nonnegative" ? " or nonnegative rows with nonnegative bias" : ""} whose lines span R^${n} (it is only a sufficient test).`,
          "structure",
        );
      }
    }
    if (method === "lemma1") return await lemma1(ctx, base);

    const oracle = new HyperplaneOracle(layer, domain, tol);
    if (method === "falsify" || method === "auto") {
      // In `auto` the falsifier only gets a short run: the branch and bound finds witnesses too.
      const restarts = ctx.options.falsifierRestarts ?? (method === "auto" ? 16 : 64 + 8 * ctx.m);
      const remaining = ctx.deadline - performance.now();
      const budget = method === "auto" ? Math.min(remaining * 0.05, 100) : remaining;
      const out = falsify(oracle, {
        restarts,
        seed: ctx.seed,
        deadline: performance.now() + budget,
        shouldStop: () => ctx.options.signal?.aborted === true,
      });
      ctx.stats.falsifierSamples = out.samples;
      copyCounters(ctx, oracle);
      if (out.candidate) {
        const res = finishWitness(ctx, base, layer, out.candidate, "falsify");
        if (res) return res;
      }
      checkStop(ctx);
      if (method === "falsify") {
        return unknown(
          `The falsifier found no collision in ${out.samples} random restarts (seed ${ctx.seed}); this proves nothing: use the exhaustive method for a verdict.`,
          "falsify",
        );
      }
    }
    if (method === "exhaustive") return await exhaustive(ctx, base, layer, oracle);
    return await branchAndBound(ctx, base, layer, oracle);
  } catch (e) {
    if (e instanceof Stop) {
      const s = ctx.stats;
      const progress =
        s.hyperplanesTotal > 0
          ? ` after ${s.hyperplanesVisited} of ${s.hyperplanesTotal} hyperplane candidates`
          : "";
      return unknown(
        e.why === "time"
          ? `Unknown: the time limit ran out${progress}; no collision was found so far.`
          : `Unknown: cancelled${progress}; no collision was found so far.`,
      );
    }
    throw e;
  }
}

function exactRankOf(Wint: bigint[][], n: number): number {
  const s = new ExactSpan(n);
  for (const r of Wint) {
    s.add(r);
    if (s.rank === n) break;
  }
  return s.rank;
}

function copyCounters(ctx: Context, oracle: HyperplaneOracle): void {
  ctx.stats.lpSolves = oracle.counters.lpSolves;
  ctx.stats.prunedByDuals = oracle.counters.prunedByDuals;
  ctx.stats.distinctHyperplanes = oracle.counters.distinct;
  ctx.stats.hyperplanesVisited = oracle.counters.leaves;
}

function checkStop(ctx: Context): void {
  if (ctx.options.signal?.aborted) throw new Stop("cancelled");
  if (performance.now() > ctx.deadline) throw new Stop("time");
}

/** Between chunks of a search: stop on the deadline or a cancel, and yield to the event loop now and then. */
async function pause(ctx: Context): Promise<void> {
  checkStop(ctx);
  if (performance.now() - ctx.lastYield > YIELD_MS) {
    await yieldNow();
    ctx.lastYield = performance.now();
    checkStop(ctx);
  }
}

async function exhaustive(
  ctx: Context,
  base: ReturnType<typeof baseResult>,
  layer: NormalizedLayer,
  oracle: HyperplaneOracle,
): Promise<LayerCheckResult> {
  let rejected = 0;
  for (const dedupe of [true, false]) {
    const search = new HyperplaneSearch(oracle, dedupe);
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
      await pause(ctx);
    }
    const duals = oracle.duals.map((d) => toOriginalDual(layer, d.rows, d.weights));
    const res = finishInjective(ctx, base, duals, "exhaustive", exhaustiveReason(ctx, oracle, duals.length));
    if (res.injective !== null || !dedupe) {
      if (res.injective === null && rejected > 0) {
        res.reason += ` ${rejected} hyperplane(s) were nearly feasible but gave no witness clearly above the tolerance: the layer is numerically borderline.`;
      }
      return res;
    }
  }
  throw new Error("unreachable");
}

async function branchAndBound(
  ctx: Context,
  base: ReturnType<typeof baseResult>,
  layer: NormalizedLayer,
  oracle: HyperplaneOracle,
): Promise<LayerCheckResult> {
  let rejected = 0;
  let duals = oracle.duals.slice();
  let lpSolves = oracle.counters.lpSolves;
  let nodes = 0;
  // First with the packing bound (exact in general position); if the certificate then fails the
  // exact cover check, once more without it, reusing the duals (exact for every W).
  for (const packingBound of [true, false]) {
    const search = new FlatSearch(layer, ctx.domain, ctx.tol, { packingBound, duals });
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
      await pause(ctx);
    }
    const found = search.duals.map((d) => toOriginalDual(layer, d.rows, d.weights));
    const c = search.counters;
    const reason = `Injective on ${regionOf(ctx)}: a branch and bound over the flats of the rows (${nodes + c.nodes} nodes, ${ctx.stats.lpSolves} LPs) found no flat of rank < ${ctx.n} that meets all of ${found.length} Motzkin duals, so the rows active at any input span R^${ctx.n} (Theorem 1; the duals are the certificate).`;
    const res = finishInjective(ctx, base, found, "branch-and-bound", reason);
    if (res.injective !== null || !packingBound || rejected > 0) {
      if (res.injective === null && rejected > 0) {
        res.reason += ` ${rejected} flat(s) were nearly feasible but gave no witness clearly above the tolerance: the layer is numerically borderline.`;
      }
      return res;
    }
    duals = search.duals;
    lpSolves += c.lpSolves;
    nodes += c.nodes;
  }
  throw new Error("unreachable");
}

/** Converts weights on unit rows to weights on the original rows (summing to 1). */
function toOriginalDual(layer: NormalizedLayer, rows: ArrayLike<number>, weights: ArrayLike<number>): Dual {
  const orig: number[] = [];
  const w: number[] = [];
  let s = 0;
  // y_i / ‖w_i‖, scaled by the smallest norm so that tiny rows do not overflow.
  let minNorm = Infinity;
  for (let t = 0; t < rows.length; t++) minNorm = Math.min(minNorm, layer.norm[rows[t]]);
  for (let t = 0; t < rows.length; t++) {
    const y = weights[t] * (minNorm / layer.norm[rows[t]]);
    orig.push(layer.index[rows[t]]);
    w.push(y);
    s += y;
  }
  const order = orig.map((_, t) => t).sort((a, c) => orig[a] - orig[c]);
  return { rows: order.map((t) => orig[t]), weights: order.map((t) => w[t] / s) };
}

function finishInjective(
  ctx: Context,
  base: ReturnType<typeof baseResult>,
  duals: Dual[],
  method: "structure" | "exhaustive" | "branch-and-bound" | "lemma1",
  reason: string,
): LayerCheckResult {
  const certificate: Certificate = { kind: "dual-cover", domain: ctx.domain, m: ctx.m, n: ctx.n, duals };
  const check = verifyCertificate(ctx.W, ctx.b, certificate, {
    tolerance: ctx.tol,
    exact: ctx.ints ? "auto" : "never",
    deadline: ctx.deadline,
  });
  if (check.timedOut) throw new Stop(ctx.options.signal?.aborted ? "cancelled" : "time");
  if (!check.valid) {
    return {
      ...base,
      injective: null,
      method,
      reason: `Unknown: the search found no collision, but its certificate failed the independent re-check (${check.reason}).`,
    };
  }
  return { ...base, injective: true, method, reason, certificate, exact: check.exact };
}

function finishWitness(
  ctx: Context,
  base: ReturnType<typeof baseResult>,
  layer: NormalizedLayer,
  cand: SeparationCandidate,
  method: "falsify" | "exhaustive" | "branch-and-bound" | "lemma1",
): LayerCheckResult | null {
  let pair: { x1: number[]; x2: number[] } | null = null;
  if (ctx.ints) {
    pair = exactWitnessFromSeparation(
      ctx.ints.W,
      cand.hyperplaneRows.map((i) => layer.index[i]),
      cand.x,
      cand.v,
      cand.margin,
    );
  }
  pair ??= witnessFromSeparation(cand.x, cand.v, cand.margin);
  const { witness, check } = describeWitness(ctx.W, ctx.b, pair, ctx.domain, ctx.tol, (rows) =>
    rankOfRows(ctx, rows),
  );
  if (!check.valid) return null;
  return {
    ...base,
    injective: false,
    method,
    reason: witnessReason(ctx, witness),
    witness,
    exact: check.exact,
  };
}

function rankOfRows(ctx: Context, rows: number[]): number {
  if (ctx.ints)
    return exactRankOf(
      rows.map((i) => ctx.ints!.W[i]),
      ctx.n,
    );
  return numericalRank(
    rows
      .map((i) => ctx.W[i])
      .filter((r) => r.some((v) => v !== 0))
      .map((r) => {
        const s = Math.hypot(...r);
        return r.map((v) => v / s);
      }),
    ctx.tol,
  );
}

function rankWitness(
  ctx: Context,
  base: ReturnType<typeof baseResult>,
  unitRows: number[][],
): LayerCheckResult {
  const { n, domain } = ctx;
  let v: number[];
  let exactDir = false;
  if (ctx.ints) {
    const s = new ExactSpan(n);
    for (const r of ctx.ints.W) s.add(r);
    const vi = s.orthogonalVector();
    const maxAbs = vi.reduce((a, e) => (e < 0n ? (a > -e ? a : -e) : a > e ? a : e), 0n);
    const p = maxAbs.toString(2).length; // 2^p > max |v_j|
    v = vi.map((e) => Number(e) / 2 ** p);
    exactDir = vi.every((e) => (e < 0n ? -e : e) < 1n << 53n);
  } else {
    v = smallestRightSingularVector(unitRows, n);
    const s = Math.max(...v.map(Math.abs));
    v = v.map((e) => e / s / 2);
  }
  const x1 = new Array<number>(n).fill(domain === "nonnegative" ? 1 : 0);
  const x2 = x1.map((e, j) => e + v[j]);
  const { witness, check } = describeWitness(ctx.W, ctx.b, { x1, x2 }, domain, ctx.tol, (rows) =>
    rankOfRows(ctx, rows),
  );
  if (!check.valid) {
    return {
      ...base,
      injective: null,
      method: "rank",
      reason: `Unknown: W has numerical rank ${base.rank} < n = ${n}, but the null-space witness failed its re-check (${check.reason}); the matrix is numerically borderline.`,
    };
  }
  void exactDir;
  return {
    ...base,
    injective: false,
    method: "rank",
    reason: `Not injective: W has rank ${base.rank} < n = ${n}, so F(x) = F(x + t·v) for every x and every v in the null space of W.`,
    witness,
    exact: check.exact,
  };
}

async function lemma1(ctx: Context, base: ReturnType<typeof baseResult>): Promise<LayerCheckResult> {
  // W|b>=0 without bias: rows with b_i < 0 become zero rows (notes §2: only the "if" direction holds).
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
    timeLimitMs: Math.max(1, ctx.deadline - performance.now()),
  });
  Object.assign(ctx.stats, { ...inner.stats, timeMs: 0 });
  if (inner.injective === true && inner.certificate) {
    return finishInjective(
      ctx,
      base,
      inner.certificate.duals,
      "lemma1",
      `Injective by Lemma 1 (sufficient direction): W|b≥0, with the ${dropped} row(s) of negative bias set to zero, is injective without bias (${inner.method}), and its certificate re-verifies for (W, b).`,
    );
  }
  if (inner.injective === false) {
    return {
      ...base,
      injective: null,
      method: "lemma1",
      reason: `Lemma 1 does not apply: W|b≥0 (the ${dropped} row(s) of negative bias set to zero) is not injective. Lemma 1's "only if" direction is false (notes §2), so this says nothing about (W, b): use the exhaustive method.`,
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
  return `Injective on ${regionOf(ctx)}: ${parts.join(" and ")} are active at every input and span R^${ctx.n}, so the active rows always span R^${ctx.n} (Theorem 1; the Corollary 2 structure [B; −DB; M]).`;
}

function exhaustiveReason(ctx: Context, oracle: HyperplaneOracle, duals: number): string {
  const c = oracle.counters;
  return `Injective on ${regionOf(ctx)}: each of the ${c.distinct} distinct hyperplanes spanned by ${ctx.n - 1} rows is ruled out by a Motzkin dual (${duals} duals, ${c.lpSolves} LPs), so no input has active rows of rank < ${ctx.n} (Theorem 1, exhaustive search).`;
}

function witnessReason(ctx: Context, w: Witness): string {
  const fmt = (x: number[]) => `[${x.map((v) => Number(v.toPrecision(6))).join(", ")}]`;
  return `Not injective on ${regionOf(ctx)}: at x1 = ${fmt(w.x1)} only ${w.activeRows.length} row(s) are active (${w.activeRows.length ? w.activeRows.join(", ") : "none"}), of rank ${w.activeRank} < ${ctx.n}, so F(x1) = F(x2) with x2 = ${fmt(w.x2)}${w.exact ? " (checked exactly)" : ""}.`;
}
