/**
 * Benchmark of the exact single-layer verdict against two baselines measured in the same run
 * (issue 5, item 2), printed as one Markdown table.
 *
 *     npm run bench:verify                        # n ∈ {4, 6, 8, 10, 12}, α ∈ {3, 5, 7, 9}, 3 seeds
 *     npm run bench:verify -- --quick             # n ∈ {4, 6}, one seed, one run per case
 *     npm run bench:verify -- --min-n 14 --max-n 14 --time-limit 300   # n = 14 (only when asked)
 *     npm run bench:verify -- --max-n 8 --time-limit 30 --exhaustive-limit 10
 *     npm run bench:verify -- --max-n 8 --seeds 1 --no-native --python /usr/bin/python3
 *
 * Project: checkLayer(W, null, { method: "auto", timeLimitMs }) (rank, structure, a short falsifier,
 * then the branch and bound over flats of src/core/flat-search.ts).
 * Baseline (a): checkLayer(W, null, { method: "exhaustive", timeLimitMs }), the plain enumeration of
 * hyperplanes (its own, shorter limit: --exhaustive-limit).
 * Baseline (b): the feasibility MILP "is there x ≠ 0 with at most n−1 rows w_i·x >= 0" solved by the
 * `highs` npm package (WebAssembly), with HiGHS's own time_limit. The MILP is exact only for rows in
 * general position (true almost surely for the Gaussian layers used here).
 * Baseline (c), when a Python with scipy >= 1.9 is found (issue 14, item 4): the same MILP solved by
 * native HiGHS through scipy.optimize.milp (scripts/milp-native.py, bench/native-milp.ts); without
 * one, the run says it skipped this baseline and why. --no-native skips it, --python picks the Python.
 *
 * Every time is a median over repeats measured in this run; ratios compare numbers of the same run.
 * All layers are iid Gaussian from seeded generators (src/core/random.ts), so runs are reproducible.
 */

import os from "node:os";
import type { Highs } from "highs";
import { checkLayer } from "../src/core/check-layer.js";
import type { LayerCheckResult } from "../src/core/types.js";
import { Rng } from "../src/core/random.js";
import { constructDense } from "../src/construct/dense.js";
import {
  highsLoader,
  gaussianMatrix,
  LONG_MS,
  median,
  repeatsAfter,
  SHORT_FACTOR,
  SHORT_MS,
  type Timed,
  timeAsync as timeAsyncN,
} from "./common.js";
import { benchWorkers, workersTable } from "./parallel.js";
import { LayerWorkerPool } from "../src/parallel/layer-pool.js";
import { NativeMilp, probeNativeMilp, type NativeMilpAnswer, type NativeMilpProbe } from "./native-milp.js";

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

const USAGE =
  "usage: node dist/bench/verify.js [--quick] [--max-n N] [--min-n N] [--seeds K] [--workers K] [--no-workers-table] [--time-limit SECONDS] [--exhaustive-limit SECONDS] [--no-native] [--no-wasm] [--alphas A,B,...] [--python PATH]";

function parseArgs(argv: string[]): {
  quick: boolean;
  maxN: number;
  timeLimitS: number;
  exhaustiveLimitS: number;
  seeds: number | null;
  native: boolean;
  wasm: boolean;
  python: string | null;
  minN: number;
  workers: number;
  workersTable: boolean;
  alphas: number[] | null;
} {
  let quick = false;
  let seeds: number | null = null;
  let native = true;
  let wasm = true;
  let python: string | null = null;
  let maxN = Infinity;
  let minN = 0;
  let workers = 1;
  let workersTable = true;
  let timeLimitS = 60;
  let exhaustiveLimitS = 20;
  let alphas: number[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) {
        console.error(`bench:verify: ${a} needs a positive number\n${USAGE}`);
        process.exit(2);
      }
      return v;
    };
    if (a === "--quick") quick = true;
    else if (a === "--max-n") maxN = value();
    else if (a === "--min-n") minN = value();
    else if (a === "--workers") workers = Math.floor(value());
    else if (a === "--time-limit") timeLimitS = value();
    else if (a === "--exhaustive-limit") exhaustiveLimitS = value();
    else if (a === "--seeds") seeds = Math.min(9, Math.floor(value()));
    else if (a === "--no-native") native = false;
    else if (a === "--no-wasm") wasm = false;
    else if (a === "--no-workers-table") workersTable = false;
    else if (a === "--alphas") {
      alphas = (argv[++i] ?? "").split(",").map(Number);
      if (!alphas.length || alphas.some((x) => ![3, 5, 7, 9].includes(x))) {
        console.error(`bench:verify: --alphas takes grid ratios among 3,5,7,9, comma-separated\n${USAGE}`);
        process.exit(2);
      }
    } else if (a === "--python") {
      python = argv[++i] ?? null;
      if (!python) {
        console.error(`bench:verify: --python needs a path\n${USAGE}`);
        process.exit(2);
      }
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`bench:verify: unknown option ${a}\n${USAGE}`);
      process.exit(2);
    }
  }
  return {
    quick,
    maxN,
    timeLimitS,
    exhaustiveLimitS,
    seeds,
    native,
    wasm,
    python,
    minN,
    workers,
    workersTable,
    alphas,
  };
}

const {
  quick: QUICK,
  maxN: MAX_N,
  timeLimitS: TIME_LIMIT_S,
  exhaustiveLimitS: EXH_LIMIT_S,
  seeds: SEEDS,
  native: NATIVE,
  wasm: WASM,
  python: PYTHON,
  minN: MIN_N,
  workers: WORKERS,
  workersTable: WORKERS_TABLE,
  alphas: ALPHAS_ARG,
} = parseArgs(process.argv.slice(2));
/** The project's threads per layer (`--workers`; 1: no pool). */
const pool = WORKERS >= 2 ? new LayerWorkerPool(WORKERS) : undefined;
const TIME_LIMIT_MS = TIME_LIMIT_S * 1000;
const EXH_LIMIT_MS = EXH_LIMIT_S * 1000;
const REPEATS = QUICK ? 1 : 3;
// n = 14 (issue 14's second target, up to an hour at --time-limit 300) only when --max-n asks for it.
const NS = (
  QUICK ? [4, 6] : [4, 6, 8, 10, 12, ...(MAX_N >= 14 && Number.isFinite(MAX_N) ? [14] : [])]
).filter((n) => n <= MAX_N && n >= MIN_N);
const ALPHAS = ALPHAS_ARG ?? [3, 5, 7, 9];
const SEEDS_PER_POINT = SEEDS ?? (QUICK ? 1 : 3);

/** Seed of instance k at (n, α): unique over the grid (n <= 99, α <= 9, k <= 9). */
const seedOf = (n: number, alpha: number, k: number): number => 500_000 + 100 * n + 10 * alpha + k;

// ---------------------------------------------------------------------------------------------
// Helpers (same conventions as bench/main.ts)
// ---------------------------------------------------------------------------------------------

const timeAsync = <T>(f: () => Promise<T> | T): Promise<Timed<T>> => timeAsyncN(f, REPEATS);

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtRatio = (r: number): string =>
  (r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toPrecision(2)) + "×";

/** A Markdown table; columns are right-aligned except those named in `left` (text). */
function table(header: string[], rows: string[][], left: string[] = []): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const sep = header.map((h) => (left.includes(h) ? ":---" : "---:"));
  return [line(header), `|${sep.join("|")}|`, ...rows.map(line)].join("\n");
}

const geomean = (xs: number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

// ---------------------------------------------------------------------------------------------
// The MILP baseline
// ---------------------------------------------------------------------------------------------

/** Margin by which rows outside S must be negative. */
const DELTA = 1e-6;

/**
 * CPLEX LP text of: find x ∈ [−1, 1]^n, s ∈ {0, 1}^m with Σ s_i <= n − 1 and
 * w_i·x <= −δ + M_i s_i (M_i = ‖w_i‖₁ + δ, so s_i = 1 leaves row i free on the box). Rows with
 * s_i = 0 are negative by δ, so x ≠ 0 whenever m >= n. Pure feasibility (zero objective).
 */
function milpText(W: number[][]): string {
  const m = W.length;
  const n = W[0].length;
  const num = (v: number) => v.toPrecision(17);
  const lines = ["Minimize", " obj: 0 x0", "Subject To"];
  for (let i = 0; i < m; i++) {
    let expr = "";
    for (let j = 0; j < n; j++) {
      const w = W[i][j];
      expr += `${w < 0 ? " - " : expr === "" ? "" : " + "}${num(Math.abs(w))} x${j}`;
    }
    const M = W[i].reduce((s, v) => s + Math.abs(v), 0) + DELTA;
    lines.push(` r${i}: ${expr} - ${num(M)} s${i} <= ${num(-DELTA)}`);
  }
  lines.push(` card: ${Array.from({ length: m }, (_, i) => `s${i}`).join(" + ")} <= ${n - 1}`);
  lines.push("Bounds");
  for (let j = 0; j < n; j++) lines.push(` -1 <= x${j} <= 1`);
  lines.push("Binary");
  lines.push(` ${Array.from({ length: m }, (_, i) => `s${i}`).join(" ")}`);
  lines.push("End");
  return lines.join("\n");
}

interface MilpResult {
  /** true: infeasible (injective in general position); false: feasible; null: time limit or error. */
  injective: boolean | null;
  /** For a feasible answer: rows with w_i·x >= 0 at the returned x (must be <= n − 1). */
  nonnegRows?: number;
  status: string;
}

let highs: Highs;

function solveMilp(W: number[][], timeLimitS: number): MilpResult {
  const n = W[0].length;
  let sol;
  try {
    sol = highs.solve(milpText(W), {
      output_flag: false,
      time_limit: timeLimitS,
      mip_feasibility_tolerance: 1e-9,
      primal_feasibility_tolerance: 1e-9,
    });
  } catch (e) {
    return { injective: null, status: `error: ${(e as Error).message}` };
  }
  if (sol.Status === "Infeasible") return { injective: true, status: sol.Status };
  if (sol.Status === "Optimal") {
    // Re-check the returned point: at most n − 1 rows may be >= 0 there.
    const x = Array.from({ length: n }, (_, j) => sol.Columns[`x${j}`]?.Primal ?? 0);
    return { injective: false, nonnegRows: nonnegRowsAt(W, x), status: sol.Status };
  }
  return { injective: null, status: sol.Status };
}

/** The native baseline: a running scripts/milp-native.py, or null (then `probe` says why). */
let native: NativeMilp | null = null;
let probe: NativeMilpProbe = { available: false, reason: "--no-native" };

/**
 * Times the native MILP as {@link timeAsync} times the others (one warm-up run, then the median of
 * REPEATS runs, or more when it was short, none when it took LONG_MS or more), but with the time Python measured around
 * building the model and solving, so the process pipe and JSON are not counted.
 */
async function timeNative(W: number[][]): Promise<Timed<NativeMilpAnswer>> {
  if (!native) throw new Error("no native MILP");
  let value = await native.solve(W, TIME_LIMIT_S, DELTA);
  if (!(value.ms < LONG_MS)) return { ms: value.ms, runs: 1, value };
  const times: number[] = [];
  const runs = repeatsAfter(value.ms, REPEATS);
  for (let r = 0; r < runs; r++) {
    value = await native.solve(W, TIME_LIMIT_S, DELTA);
    times.push(value.ms);
  }
  return { ms: median(times), runs, value };
}

/** Rows with w_i·x >= 0 at x. */
const nonnegRowsAt = (W: number[][], x: number[]): number =>
  W.filter((w) => w.reduce((s, v, j) => s + v * x[j], 0) >= 0).length;

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const verdict = (v: boolean | null): string => (v === null ? "> limit" : v ? "injective" : "not injective");

interface Measured {
  row: string[];
  project: Timed<LayerCheckResult>;
  /** Decided by the project and by each baseline (null: that one hit its limit). */
  vp: boolean | null;
  ve: boolean | null;
  /** WebAssembly MILP verdict; undefined when that baseline is skipped (`--no-wasm`). */
  vm?: boolean | null;
  /** Native MILP verdict; undefined when that baseline is skipped. */
  vn?: boolean | null;
  exhMs: number;
  milpMs: number;
  nativeMs?: number;
}

/** Times the project and both baselines on one layer; the row's leading cells are `label`. */
async function measure(label: string[], W: number[][], disagreements: string[]): Promise<Measured> {
  const n = W[0].length;
  const proj = await timeAsync(() =>
    checkLayer(W, null, { timeLimitMs: TIME_LIMIT_MS, method: "auto", ...(pool ? { pool } : {}) }),
  );
  const exh = await timeAsync(() => checkLayer(W, null, { timeLimitMs: EXH_LIMIT_MS, method: "exhaustive" }));
  const milp = WASM ? await timeAsync(() => solveMilp(W, TIME_LIMIT_S)) : null;
  const nat = native ? await timeNative(W) : null;
  const vp = proj.value.injective;
  const ve = exh.value.injective;
  const vm = milp ? milp.value.injective : undefined;
  const vn = nat ? nat.value.injective : undefined;
  const exact = [vp, ve].filter((v): v is boolean => v !== null);
  const agreeExact = exact.length < 2 || exact[0] === exact[1];
  // The MILPs are compared with the exact verdict when there is one, else with each other.
  const reference = exact.length > 0 ? exact[0] : null;
  const milpDiffers = (v: boolean | null | undefined) => v != null && reference !== null && v !== reference;
  const milpsSplit = reference === null && vm != null && vn != null && vm !== vn;
  const reached = exact.length + (vm == null ? 0 : 1) + (vn == null ? 0 : 1);
  const agree = !agreeExact
    ? "NO"
    : milpDiffers(vm) && milpDiffers(vn)
      ? "both MILPs differ"
      : milpDiffers(vm)
        ? "MILP differs"
        : milpDiffers(vn)
          ? "native MILP differs"
          : milpsSplit
            ? "MILPs differ"
            : reached < 2
              ? "—"
              : "yes";
  if (agree !== "yes" && agree !== "—")
    disagreements.push(
      `${label.join(", ")}: project ${verdict(vp)}, exhaustive ${verdict(ve)}` +
        (milp ? `, MILP ${verdict(vm ?? null)}` : "") +
        (nat ? `, native MILP ${vn === null ? nat.value.status : verdict(vn ?? null)}` : ""),
    );
  const timeCell = (v: boolean | null, ms: number) => (v === null ? "> limit" : fmtMs(ms));
  const ratioCell = (vb: boolean | null, msb: number, limitMs: number): string => {
    if (vp === null) return "—";
    // A baseline that timed out took at least its limit: print a lower bound.
    if (vb === null) return `> ${fmtRatio(limitMs / proj.ms)}`;
    return fmtRatio(msb / proj.ms);
  };
  let milpVerdict = milp ? verdict(vm ?? null) : "skipped";
  if (milp && vm === false && (milp.value.nonnegRows ?? 0) > n - 1)
    milpVerdict += ` (point has ${milp.value.nonnegRows} rows >= 0)`;
  if (milp && vm === null && milp.value.status !== "Time limit reached") milpVerdict = milp.value.status;
  const nativeCells: string[] = [];
  if (nat) {
    let nativeMs = timeCell(vn ?? null, nat.ms);
    if (vn === null && nat.value.status !== "time limit") nativeMs = nat.value.status;
    else if (vn === false && nat.value.x && nonnegRowsAt(W, nat.value.x) > n - 1)
      nativeMs += ` (point has ${nonnegRowsAt(W, nat.value.x)} rows >= 0)`;
    nativeCells.push(nativeMs, ratioCell(vn ?? null, nat.ms, TIME_LIMIT_MS));
  }
  const row = [
    ...label,
    verdict(vp) + (vp === null ? "" : ` (${proj.value.method})`),
    timeCell(vp, proj.ms),
    timeCell(ve, exh.ms),
    milp ? timeCell(vm ?? null, milp.ms) : "skipped",
    milpVerdict,
    agree,
    milp ? ratioCell(vm ?? null, milp.ms, TIME_LIMIT_MS) : "—",
    ratioCell(ve, exh.ms, EXH_LIMIT_MS),
    ...nativeCells,
    `${proj.runs} / ${exh.runs} / ${milp ? milp.runs : "—"}${nat ? ` / ${nat.runs}` : ""}`,
  ];
  console.error(`[bench:verify] ${row.join(" | ")}`);
  return {
    row,
    project: proj,
    vp,
    ve,
    vm,
    vn,
    exhMs: exh.ms,
    milpMs: milp ? milp.ms : NaN,
    nativeMs: nat?.ms,
  };
}

/** The columns after the labels; the native ones only when that baseline runs. */
const resultHeader = (): string[] => [
  ...RESULT_HEADER.slice(0, -1),
  ...(native ? ["native MILP ms", "native MILP / project"] : []),
  native ? "runs (p / e / m / native)" : "runs",
];

const RESULT_HEADER = [
  "verdict (project)",
  "project ms",
  "exhaustive ms",
  "MILP ms",
  "MILP verdict",
  "agree?",
  "MILP / project",
  "exhaustive / project",
  "runs",
];

/** Integer matrix with entries uniform in {−2, …, 2} (many dependent subsets: not in general position). */
function integerMatrix(m: number, n: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: m }, () => Array.from({ length: n }, () => Math.floor(rng.uniform() * 5) - 2));
}

async function main(): Promise<void> {
  const started = performance.now();
  const cpus = os.cpus();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  highs = await highsLoader();
  if (NATIVE) {
    probe = probeNativeMilp(PYTHON ? [PYTHON] : undefined);
    if (probe.available) native = new NativeMilp(probe.python);
  }

  console.log(
    `## injective-relu verification benchmark (${QUICK ? "--quick" : "default"}${Number.isFinite(MAX_N) ? `, --max-n ${MAX_N}` : ""}${MIN_N > 0 ? `, --min-n ${MIN_N}` : ""}${SEEDS !== null ? `, --seeds ${SEEDS}` : ""}${WORKERS > 1 ? `, --workers ${WORKERS} (the project's column uses ${WORKERS} threads per layer)` : ""}${NATIVE ? "" : ", --no-native"}${WASM ? "" : ", --no-wasm"}${ALPHAS_ARG ? `, --alphas ${ALPHAS_ARG.join(",")}` : ""}, --time-limit ${TIME_LIMIT_S}, --exhaustive-limit ${EXH_LIMIT_S})`,
  );
  console.log("");
  console.log(
    `Machine: ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.release()}; date ${date}.`,
  );
  console.log("");
  console.log(
    probe.available
      ? `Native baseline: ${probe.python} with scipy ${probe.scipyVersion} (scipy.optimize.milp, HiGHS)` +
          (probe.toleranceHonored
            ? "; it takes mip_feasibility_tolerance 1e-9, so the native MILP is the same as the WebAssembly one."
            : `; this scipy does not pass mip_feasibility_tolerance to HiGHS (checked by scripts/milp-native.py on a known layer), and with HiGHS's default integrality tolerance 1e-6 and δ = ${DELTA} the MILP finds spurious points, so the native MILP uses δ = max(${DELTA}, 1e-4 · max_i ‖w_i‖₁) instead (same formulation otherwise). A larger δ can only miss witnesses of small margin; such misses show as verdict differences.`)
      : `Native baseline skipped: ${probe.reason}. (The WebAssembly HiGHS MILP still runs; it needs no Python.)`,
  );
  console.log("");

  // One warm-up pass over small layers outside the grid (seeds 400000+), untimed: the first calls of
  // a process compile the whole pipeline (and start the threads and the Python process), which the
  // per-case warm-up run of the first grid point would otherwise absorb only in part.
  for (const [m, n] of [
    [24, 8],
    [40, 8],
    [56, 8],
  ]) {
    const W = gaussianMatrix(m, n, 400_000 + 100 * n + m);
    for (let r = 0; r < 3; r++)
      await checkLayer(W, null, { timeLimitMs: TIME_LIMIT_MS, method: "auto", ...(pool ? { pool } : {}) });
    if (native) await native.solve(W, TIME_LIMIT_S, DELTA);
  }

  const disagreements: string[] = [];
  // Gaussian grid.
  const rows: string[][] = [];
  const ratiosMilp: number[] = [];
  const ratiosExh: number[] = [];
  const boundMilp: number[] = [];
  const boundExh: number[] = [];
  /** native MILP / project: decided by both; with the native time counted at its limit; per n. */
  const ratiosNative: number[] = [];
  const boundNative: number[] = [];
  const boundNativeByN = new Map<number, number[]>();
  let instances = 0;
  let undecided = 0;
  let worstUpTo10 = 0;
  for (const n of NS) {
    for (const alpha of ALPHAS) {
      for (let k = 0; k < SEEDS_PER_POINT; k++) {
        const m = alpha * n;
        const seed = seedOf(n, alpha, k);
        const r = await measure(
          [String(n), `${m} (${alpha})`, String(seed)],
          gaussianMatrix(m, n, seed),
          disagreements,
        );
        rows.push(r.row);
        instances++;
        if (r.vp === null) {
          undecided++;
          continue;
        }
        if (n <= 10) worstUpTo10 = Math.max(worstUpTo10, r.project.ms);
        if (r.ve !== null && r.vm != null) {
          ratiosMilp.push(r.milpMs / r.project.ms);
          ratiosExh.push(r.exhMs / r.project.ms);
        }
        if (r.vm !== undefined) boundMilp.push((r.vm === null ? TIME_LIMIT_MS : r.milpMs) / r.project.ms);
        boundExh.push((r.ve === null ? EXH_LIMIT_MS : r.exhMs) / r.project.ms);
        if (r.vn !== undefined && r.nativeMs !== undefined) {
          if (r.vn !== null) ratiosNative.push(r.nativeMs / r.project.ms);
          const bound = (r.vn === null ? TIME_LIMIT_MS : r.nativeMs) / r.project.ms;
          boundNative.push(bound);
          boundNativeByN.set(n, [...(boundNativeByN.get(n) ?? []), bound]);
        }
      }
    }
  }

  // Degenerate families: Corollary 2 layers with extra Gaussian rows (antiparallel pairs, decided
  // by the structure test), the same with one row of −DB removed (not in general position, the
  // search must decide), and small integer matrices.
  const degenerate: string[][] = [];
  const famNs = (QUICK ? [4] : [4, 6, 8]).filter((n) => n <= MAX_N && n >= MIN_N);
  for (const n of famNs) {
    for (const alpha of QUICK ? [5] : [3, 5, 7]) {
      const m = alpha * n;
      const seed = seedOf(n, alpha, 7);
      const { W } = constructDense(n, m, { seed, shuffle: false });
      degenerate.push(
        (await measure(["Corollary 2 [B; −DB; M]", String(n), String(m), String(seed)], W, disagreements))
          .row,
      );
      const cut = W.filter((_, i) => i !== n);
      degenerate.push(
        (await measure(["same, row n+1 removed", String(n), String(m - 1), String(seed)], cut, disagreements))
          .row,
      );
      degenerate.push(
        (
          await measure(
            ["integers in {−2..2}", String(n), String(m), String(seed)],
            integerMatrix(m, n, seed),
            disagreements,
          )
        ).row,
      );
    }
  }

  const fmtGeo = (xs: number[]) => (xs.length ? fmtRatio(geomean(xs)) : "—");
  console.log(
    [
      "### Exact verdicts on Gaussian layers: project against exhaustive and the HiGHS MILP",
      "",
      `iid N(0,1) layers W of shape (α n) × n, no bias, domain R^n, seeded (seed = 500000 + 100 n + 10 α + k). ` +
        `Project: checkLayer(W, null, { method: "auto", timeLimitMs: ${TIME_LIMIT_MS} }) ("verdict" shows the stage that settled it). ` +
        `Exhaustive: checkLayer(W, null, { method: "exhaustive", timeLimitMs: ${EXH_LIMIT_MS} }). ` +
        `MILP: the feasibility MILP "x ∈ [−1, 1]^n, s ∈ {0,1}^m, Σ s_i <= n − 1, w_i·x <= −δ + (‖w_i‖₁ + δ) s_i", δ = ${DELTA}, ` +
        `solved by the highs npm package (HiGHS compiled to WebAssembly, one instance loaded once before the run, single thread; building the LP text is included in its time), time_limit ${TIME_LIMIT_S} s; ` +
        (native
          ? `native MILP: the same MILP, HiGHS options and time limit (δ: see the native-baseline line above) in native HiGHS through scipy.optimize.milp (scripts/milp-native.py, one Python process started once, threads = 1; its time is measured inside Python around building the model and solving); `
          : "") +
        `feasible ⇒ not injective, infeasible ⇒ injective. The MILP is exact only for rows in general position (true almost surely here); ` +
        `a feasible point is re-checked by counting the rows with w_i·x >= 0. A call that hits its limit prints "> limit". ` +
        `Ratios are baseline time / project time from this run; "> r×" is a lower bound (the baseline hit its limit). ` +
        `Times are medians of ${REPEATS} run(s) after one warm-up run (${REPEATS * SHORT_FACTOR} when the warm-up run took under ${SHORT_MS} ms; and the process first checks three small layers outside the grid, untimed, to compile the pipeline); a case whose warm-up run takes ${LONG_MS / 1000} s or more is measured once (column "runs": project / exhaustive / MILP${native ? " / native MILP" : ""}). ` +
        `"agree?": "yes" when every verdict reached is the same; "MILP differs" / "native MILP differs" / "both MILPs differ" when only the MILP(s) (not exact without general position) disagree with the exact verdict, "MILPs differ" when the two MILPs disagree and no exact verdict was reached.`,
      "",
      table(["n", "m (α)", "seed", ...resultHeader()], rows, ["verdict (project)", "MILP verdict", "agree?"]),
      "",
      `Project: ${instances - undecided} of ${instances} instances decided; the slowest decided instance with n <= 10 took ${fmtMs(worstUpTo10)} ms.`,
      ratiosMilp.length > 0
        ? `Geometric mean over the ${ratiosMilp.length} instances decided by all three: MILP / project ${fmtGeo(ratiosMilp)}, exhaustive / project ${fmtGeo(ratiosExh)}. ` +
          `Over all ${boundMilp.length} instances the project decided, with a baseline's time counted as its limit where it hit it (so a lower bound): MILP / project ≥ ${fmtGeo(boundMilp)}, exhaustive / project ≥ ${fmtGeo(boundExh)}.`
        : WASM
          ? `No instance was decided by all three; no geometric mean.`
          : `The WebAssembly MILP was skipped (--no-wasm).`,
      native
        ? `Native MILP / project: geometric mean ${fmtGeo(ratiosNative)} over the ${ratiosNative.length} instances decided by both; ` +
          `≥ ${fmtGeo(boundNative)} over all ${boundNative.length} instances the project decided (native time counted at its limit where it hit it). ` +
          `Per n (same lower bounds), geometric mean and smallest: ` +
          [...boundNativeByN]
            .map(([n, xs]) => `n = ${n}: ${fmtGeo(xs)}, min ${fmtRatio(Math.min(...xs))}`)
            .join("; ") +
          "."
        : `Native baseline skipped: ${probe.available ? "" : probe.reason}.`,
      "",
      "### Degenerate families",
      "",
      `Not in general position: Corollary 2 layers from constructDense(n, m, { seed }) (pairs b_i, −d_i b_i, then Gaussian rows), the same with the first row of −DB removed (rank of the pairs drops; the structure test no longer applies), and integer matrices with entries uniform in {−2, …, 2}. Same columns and limits as above. The MILP assumes general position, so it may differ here; the project and the exhaustive method are exact for every W.`,
      "",
      table(["family", "n", "m", "seed", ...resultHeader()], degenerate, [
        "family",
        "verdict (project)",
        "MILP verdict",
        "agree?",
      ]),
      "",
      disagreements.length > 0
        ? `**Verdict differences (${disagreements.length}):**\n\n${disagreements.map((d) => `- ${d}`).join("\n")}`
        : "Verdict differences: none (among the verdicts that were reached).",
    ].join("\n"),
  );
  native?.close();
  await pool?.close();
  if (!WORKERS_TABLE) {
    console.log(`\nTotal benchmark time: ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    return;
  }
  // Both cores on one layer (issue 14, item 2): the same layers with 1 and 2 worker threads.
  console.log(
    [
      "",
      `### Two threads on one layer (bench/parallel.ts: medians of ${REPEATS} alternating runs, 1 and 2 worker threads)`,
      "",
      workersTable(await benchWorkers({ quick: QUICK, workers: 2, repeats: REPEATS }), 2),
      "",
      `Total benchmark time: ${((performance.now() - started) / 1000).toFixed(1)} s.`,
    ].join("\n"),
  );
}

await main();
