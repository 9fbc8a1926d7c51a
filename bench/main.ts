/**
 * Benchmarks of the single-layer verifier, printed as Markdown tables (see docs/benchmarks.md).
 *
 *     npm run bench              # default sizes, 5 repeats (about 6 minutes)
 *     npm run bench -- --quick   # small sizes, 1 repeat (about 20 seconds)
 *
 * a) Per-LP cost: the separation LP of one hyperplane, our dense simplex (separateRows) against
 *    HiGHS-WASM called once per LP with a CPLEX LP text.
 * b) Exhaustive search: checkLayer(method "exhaustive") against a baseline that solves one LP per
 *    distinct hyperplane without reusing Motzkin duals.
 * c) auto (falsifier first) against exhaustive on layers that are very likely not injective.
 * d) The certificate's re-check: the replay of the search's proof against the cover check (./cover.ts).
 * e) The falsifier: auto without and with the LP-guided descent on near-threshold and injective
 *    layers, against native HiGHS when Python has scipy (./falsifier.ts; alone: npm run bench:falsifier).
 * Then the cost of exactness, the sparse rank mod p of convolution matrices against the dense one,
 * Theorem 4 and inversion (bench/exact.ts, bench/sparse-rank.ts, bench/theorem4.ts,
 * bench/inversion.ts).
 *
 * Every time is a median over repeats measured in this run; ratios compare numbers of the same run.
 * All layers are iid Gaussian from seeded generators (src/core/random.ts), so runs are reproducible.
 */

import { benchTheorem4 } from "./theorem4.js";
import { benchInversion } from "./inversion.js";
import { benchExact } from "./exact.js";
import { benchCover } from "./cover.js";
import { benchFalsifier } from "./falsifier.js";
import { benchSparseRank } from "./sparse-rank.js";
import os from "node:os";
import { Rng } from "../src/core/random.js";
import { normalizeLayer, type NormalizedLayer } from "../src/core/layer.js";
import { separateRows } from "../src/core/separation-lp.js";
import { solveDenseLp } from "../src/core/lp/simplex.js";
import { HyperplaneOracle, HyperplaneSearch } from "../src/core/hyperplane-search.js";
import { checkLayer } from "../src/core/check-layer.js";
import {
  highsLoader,
  gaussianMatrix,
  LONG_MS,
  type Timed,
  timeAsync as timeAsyncN,
  timeSync as timeSyncN,
  SHORT_FACTOR,
  SHORT_MS,
} from "./common.js";

// ---------------------------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------------------------

const args = process.argv.slice(2);
for (const a of args) {
  if (a !== "--quick" && a !== "--help" && a !== "-h") {
    console.error(`bench: unknown option ${a} (use --quick or nothing)`);
    process.exit(2);
  }
}
if (args.includes("--help") || args.includes("-h")) {
  console.log("usage: node dist/bench/main.js [--quick]");
  process.exit(0);
}
const QUICK = args.includes("--quick");
const REPEATS = QUICK ? 1 : 5;
const TOL = 1e-9;

const timeSync = <T>(f: () => T): Timed<T> => timeSyncN(f, REPEATS);
const timeAsync = <T>(f: () => Promise<T> | T): Promise<Timed<T>> => timeAsyncN(f, REPEATS);

/** How the medians were taken, for the table captions. */
const RUNS_NOTE = `Times are medians of ${REPEATS} run(s) after one warm-up run (${REPEATS * SHORT_FACTOR} when the warm-up run took under ${SHORT_MS} ms); a case whose warm-up run takes ${LONG_MS / 1000} s or more is measured once (column "runs").`;

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtUs = (us: number): string => (us >= 100 ? us.toFixed(0) : us.toFixed(1));
const fmtRatio = (r: number): string =>
  (r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toPrecision(2)) + "×";

/** A Markdown table; columns are right-aligned except those named in `left` (text). */
function table(header: string[], rows: string[][], left: string[] = []): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const sep = header.map((h) => (left.includes(h) ? ":---" : "---:"));
  return [line(header), `|${sep.join("|")}|`, ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// a) Per-LP cost: separateRows against HiGHS
// ---------------------------------------------------------------------------------------------

/** The separation LP of `R` = all rows, in CPLEX LP format: maximize t s.t. ŵ_i·x + b̂_i + t <= 0, t <= 1, x free. */
function cplexLp(layer: NormalizedLayer): string {
  const { n, count, rows, bias } = layer;
  const num = (v: number) => v.toPrecision(17);
  const lines = ["Maximize", " obj: t", "Subject To"];
  for (let i = 0; i < count; i++) {
    let expr = "";
    for (let j = 0; j < n; j++) {
      const w = rows[i * n + j];
      expr += `${w < 0 ? " - " : expr === "" ? "" : " + "}${num(Math.abs(w))} x${j}`;
    }
    lines.push(` c${i}: ${expr} + t <= ${num(-bias[i])}`);
  }
  lines.push("Bounds", " -inf <= t <= 1");
  for (let j = 0; j < n; j++) lines.push(` x${j} free`);
  lines.push("End");
  return lines.join("\n");
}

/**
 * The baseline of the free x: the same LP with x split as x⁺ − x⁻ (2n + 1 columns, both parts
 * >= 0), the formulation of separateRows before 2026-12-03. Returns t*.
 */
function splitSeparation(layer: NormalizedLayer, R: Int32Array): number {
  const { n, rows, bias } = layer;
  const k = R.length;
  let maxB = 0;
  for (let t = 0; t < k; t++) maxB = Math.max(maxB, bias[R[t]]);
  const K = 1 + maxB;
  const cols = 2 * n + 1;
  const A = new Float64Array((k + 1) * cols);
  const r = new Float64Array(k + 1);
  for (let t = 0; t < k; t++) {
    for (let j = 0; j < n; j++) {
      A[t * cols + j] = rows[R[t] * n + j];
      A[t * cols + n + j] = -rows[R[t] * n + j];
    }
    A[t * cols + 2 * n] = 1;
    r[t] = K - bias[R[t]];
  }
  A[k * cols + 2 * n] = 1;
  r[k] = K + 1;
  const c = new Float64Array(cols);
  c[2 * n] = 1;
  return solveDenseLp(A, k + 1, cols, r, c, undefined, true).z[2 * n] - K;
}

/** Instances per size: the LPs differ in W and b, so that both signs of t* occur. */
const LP_INSTANCES = 16;
/** Mean of the Gaussian biases: about half of the LPs are then strictly feasible (t* > 0). */
const LP_BIAS_MEAN = -1.5;

async function perLpCost(): Promise<string> {
  const highs = await highsLoader();
  // [n, |R|, biased]: with the N(−1.5, 1) biases about half of the LPs are strictly feasible; with
  // b = 0 and |R| >= 2n (almost) none is, which is the branch and bound's common case (a new dual).
  const sizes: [number, number, boolean][] = QUICK
    ? [
        [4, 20, true],
        [8, 60, true],
        [8, 60, false],
      ]
    : [
        [4, 20, true],
        [8, 60, true],
        [12, 120, true],
        [8, 60, false],
        [12, 120, false],
        [14, 126, false],
      ];
  const rows: string[][] = [];
  for (const [n, k, biased] of sizes) {
    const layers: NormalizedLayer[] = [];
    for (let s = 0; s < LP_INSTANCES; s++) {
      const seed = 100_000 + 1000 * n + s;
      const W = gaussianMatrix(k, n, seed);
      const rng = new Rng(seed + 7);
      const b = Array.from({ length: k }, () => (biased ? LP_BIAS_MEAN + rng.normal() : 0));
      layers.push(normalizeLayer(W, b));
    }
    const R = Int32Array.from({ length: k }, (_, i) => i);
    const texts = layers.map(cplexLp);
    const opts = { output_flag: false } as const;

    // Agreement of t* (sign and value) on every instance.
    let agree = 0;
    let feasible = 0;
    let maxDiff = 0;
    let maxDiffSplit = 0;
    for (let s = 0; s < LP_INSTANCES; s++) {
      const ours = separateRows(layers[s], R, "all", TOL);
      const sol = highs.solve(texts[s], opts);
      if (sol.Status !== "Optimal") throw new Error(`bench: HiGHS status ${sol.Status}`);
      const tHighs = sol.Columns.t?.Primal ?? 0;
      if (ours.feasible === tHighs > TOL) agree++;
      if (ours.feasible) feasible++;
      maxDiff = Math.max(maxDiff, Math.abs(ours.margin - tHighs));
      maxDiffSplit = Math.max(maxDiffSplit, Math.abs(ours.margin - splitSeparation(layers[s], R)));
    }

    // Time: as many passes over the instances as fit in a few milliseconds, per repeat.
    const passesOurs = QUICK ? 100 : 200;
    const passesHighs = QUICK ? 3 : 10;
    const ours = timeSync(() => {
      let sink = 0;
      for (let p = 0; p < passesOurs; p++)
        for (const L of layers) sink += separateRows(L, R, "all", TOL).margin;
      return sink;
    });
    const split = timeSync(() => {
      let sink = 0;
      for (let p = 0; p < passesOurs; p++) for (const L of layers) sink += splitSeparation(L, R);
      return sink;
    });
    const theirs = timeSync(() => {
      let sink = 0;
      for (let p = 0; p < passesHighs; p++)
        for (const t of texts) sink += highs.solve(t, opts).ObjectiveValue;
      return sink;
    });
    const usOurs = (ours.ms * 1000) / (passesOurs * LP_INSTANCES);
    const usHighs = (theirs.ms * 1000) / (passesHighs * LP_INSTANCES);
    const usSplit = (split.ms * 1000) / (passesOurs * LP_INSTANCES);
    rows.push([
      String(n),
      String(k),
      biased ? `N(${LP_BIAS_MEAN}, 1)` : "0",
      fmtUs(usOurs),
      fmtUs(usSplit),
      fmtRatio(usSplit / usOurs),
      maxDiffSplit.toExponential(1),
      fmtUs(usHighs),
      fmtRatio(usHighs / usOurs),
      `${feasible}/${LP_INSTANCES}`,
      `${agree}/${LP_INSTANCES}`,
      maxDiff.toExponential(1),
    ]);
  }
  return [
    "### a) Per-LP cost",
    "",
    `The separation LP of one hyperplane: maximize t s.t. ŵ_i·x + b̂_i + t <= 0 (i in R), t <= 1, x free, on unit rows. ` +
      `${LP_INSTANCES} instances per size with iid N(0,1) rows and N(${LP_BIAS_MEAN}, 1) biases (about half strictly feasible) or none (b = 0, |R| >= 2n: a Motzkin dual, the branch and bound's common case), seeded. ` +
      `Ours: separateRows (dense simplex, x free). Split: the same simplex on x = x⁺ − x⁻ (twice the columns; the formulation before 2026-12-03), "max \\|Δt*\\| split" its largest difference from ours. HiGHS: highs.solve() on the prebuilt CPLEX LP text (text building not timed), one fresh solver per call. ` +
      `"t* > 0": strictly feasible instances; "agree": same sign of t* in ours and HiGHS; "max \\|Δt*\\| HiGHS": largest difference of their optimal values. ` +
      `Times are medians of ${REPEATS} run(s) after one warm-up run, each run ${QUICK ? "a few" : "many"} passes over the instances.`,
    "",
    table(
      [
        "n",
        "\\|R\\|",
        "bias",
        "ours µs/LP",
        "split µs/LP",
        "split / ours",
        "max \\|Δt*\\| split",
        "HiGHS µs/LP",
        "HiGHS / ours",
        "t* > 0",
        "agree",
        "max \\|Δt*\\| HiGHS",
      ],
      rows,
    ),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// b) Exhaustive search: dual reuse against one LP per distinct hyperplane
// ---------------------------------------------------------------------------------------------

/** The baseline: the same enumeration, one LP per distinct hyperplane, no dual reuse; stops at the first witness. */
function baselineSearch(W: number[][]): { injective: boolean; lpSolves: number } {
  const layer = normalizeLayer(W, new Array<number>(W.length).fill(0));
  const oracle = new HyperplaneOracle(layer, "all", TOL, false);
  const search = new HyperplaneSearch(oracle);
  while (!search.done) {
    if (search.step(512)) return { injective: false, lpSolves: oracle.counters.lpSolves };
  }
  return { injective: true, lpSolves: oracle.counters.lpSolves };
}

const verdict = (v: boolean | null): string => (v === null ? "unknown" : v ? "injective" : "not injective");

async function exhaustiveSearch(): Promise<string> {
  const ns = QUICK ? [3, 4] : [3, 4, 5];
  const alphas = QUICK ? [5, 7] : [5, 7, 9];
  const rows: string[][] = [];
  for (const n of ns) {
    for (const alpha of alphas) {
      const m = alpha * n;
      const seed = 200_000 + 100 * n + alpha;
      const W = gaussianMatrix(m, n, seed);
      const ours = await timeAsync(() => checkLayer(W, null, { method: "exhaustive" }));
      const base = timeSync(() => baselineSearch(W));
      const vOurs = ours.value.injective;
      const vBase = base.value.injective;
      rows.push([
        String(n),
        `${m} (${alpha})`,
        String(seed),
        vOurs === vBase ? verdict(vOurs) : `DISAGREE: ${verdict(vOurs)} / ${verdict(vBase)}`,
        fmtMs(ours.ms),
        String(ours.value.stats.lpSolves),
        String(ours.value.stats.prunedByDuals),
        fmtMs(base.ms),
        String(base.value.lpSolves),
        fmtRatio(base.ms / ours.ms),
        `${ours.runs} / ${base.runs}`,
      ]);
    }
  }
  return [
    "### b) Exhaustive search",
    "",
    `iid N(0,1) layers without bias, domain R^n, seeded. Ours: checkLayer(W, null, { method: "exhaustive" }) ` +
      `(hyperplanes settled by earlier Motzkin duals when possible; includes validation, the rank test and the re-check of the certificate or witness). ` +
      `Baseline: the same enumeration (HyperplaneSearch) with HyperplaneOracle(layer, "all", 1e-9, false): one LP per distinct hyperplane, no dual reuse. ` +
      `Both stop at the first witness. ${RUNS_NOTE}`,
    "",
    table(
      [
        "n",
        "m (α)",
        "seed",
        "verdict",
        "ours ms",
        "ours LPs",
        "pruned by duals",
        "baseline ms",
        "baseline LPs",
        "baseline / ours",
        "runs",
      ],
      rows,
      ["verdict"],
    ),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// c) auto (falsifier first) against exhaustive on layers that are very likely not injective
// ---------------------------------------------------------------------------------------------

/** Guard against a slow machine; a case that hits it reports "unknown". */
const C_TIME_LIMIT_MS = 60_000;

async function autoVsExhaustive(): Promise<string> {
  // α = 3 as asked; α = 5 (default mode only) is closer to the threshold, where witnesses are rarer.
  const cases: [n: number, alpha: number][] = QUICK
    ? [
        [4, 3],
        [6, 3],
      ]
    : [
        [4, 3],
        [6, 3],
        [8, 3],
        [6, 5],
        [8, 5],
      ];
  const seedsPer = QUICK ? 1 : 3;
  const rows: string[][] = [];
  for (const [n, alpha] of cases) {
    for (let s = 0; s < seedsPer; s++) {
      const m = alpha * n;
      const seed = 300_000 + 100 * n + 10 * alpha + s;
      const W = gaussianMatrix(m, n, seed);
      const opts = { timeLimitMs: C_TIME_LIMIT_MS };
      const auto = await timeAsync(() => checkLayer(W, null, { ...opts, method: "auto" }));
      const exh = await timeAsync(() => checkLayer(W, null, { ...opts, method: "exhaustive" }));
      const va = auto.value.injective;
      const ve = exh.value.injective;
      rows.push([
        String(n),
        `${m} (${alpha})`,
        String(seed),
        va === ve ? verdict(va) : `DISAGREE: ${verdict(va)} / ${verdict(ve)}`,
        auto.value.method,
        fmtMs(auto.ms),
        String(auto.value.stats.falsifierSamples),
        String(auto.value.stats.lpSolves),
        fmtMs(exh.ms),
        String(exh.value.stats.lpSolves),
        `${exh.value.stats.hyperplanesVisited} / ${exh.value.stats.hyperplanesTotal}`,
        fmtRatio(exh.ms / auto.ms),
        `${auto.runs} / ${exh.runs}`,
      ]);
    }
  }
  return [
    "### c) auto vs exhaustive on (very likely) non-injective layers",
    "",
    `iid N(0,1) layers without bias, domain R^n, seeded; α = m/n = 3 is below Theorem 2's 3.4 (very likely not injective)` +
      `${QUICK ? "" : "; the α = 5 rows are an extra, closer to the threshold (about 6.7 for large n), where witnesses are rarer"}. ` +
      `Time to the verdict: the first witness, including its re-check (the whole search when the layer turns out injective). ` +
      `"settled by": the stage of auto that produced the verdict; "restarts": falsifier restarts used by auto; "candidates visited": hyperplane candidates the exhaustive search enumerated, of all (n−1)-subsets. ` +
      `Time limit ${C_TIME_LIMIT_MS / 1000} s per call. ${RUNS_NOTE}`,
    "",
    table(
      [
        "n",
        "m (α)",
        "seed",
        "verdict",
        "settled by",
        "auto ms",
        "restarts",
        "auto LPs",
        "exhaustive ms",
        "exhaustive LPs",
        "candidates visited",
        "exhaustive / auto",
        "runs",
      ],
      rows,
      ["verdict", "settled by"],
    ),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const cpus = os.cpus();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  console.log(`## injective-relu benchmarks (${QUICK ? "--quick" : "default"})`);
  console.log("");
  console.log(
    `Machine: ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.release()}; date ${date}.`,
  );
  for (const section of [
    perLpCost,
    exhaustiveSearch,
    autoVsExhaustive,
    () => benchCover(QUICK),
    () => benchFalsifier(QUICK),
    () => benchExact(QUICK),
    () => benchSparseRank(QUICK),
    () => benchTheorem4(QUICK),
    () => benchInversion(QUICK),
  ]) {
    console.log("");
    console.log(await section());
  }
  console.log("");
  console.log(`Total benchmark time: ${((performance.now() - started) / 1000).toFixed(1)} s.`);
}

await main();
