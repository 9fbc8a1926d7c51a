/**
 * Benchmark of Theorem 4 (src/core/theorem4.ts): the box check of W|Z_P against the exact check of
 * the full convolution matrix (checkLayer on convMatrix, Theorem 1), side by side, on growing
 * signal sizes; and the agreement of the two on random small layers. Called by bench/main.ts:
 *
 *     const md = await benchTheorem4(quick);   // Markdown
 *
 * Each full check runs in a worker thread that is terminated at the time limit (20 s, or 3 s in
 * quick mode): checkLayer's rank and certificate stages do not watch the clock, so only a separate
 * thread can be stopped reliably. Once a size hits the limit, larger sizes of the same family are
 * not run. All kernels come from seeded generators (src/core/random.ts): verdicts are reproducible,
 * times vary from run to run.
 */

import os from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { type Boundary, type ConvSpec, convMatrix, convSpec } from "../src/core/convolution.js";
import { checkConv, checkConvExact } from "../src/core/theorem4.js";
import { checkLayer } from "../src/core/check-layer.js";
import { Rng } from "../src/core/random.js";
import type { Domain } from "../src/core/types.js";

// ---------------------------------------------------------------------------------------------
// Worker: one exact check of a full matrix
// ---------------------------------------------------------------------------------------------

interface FullJob {
  job: "theorem4-full";
  kernels: number[][][] | number[][][][];
  signal: number[];
  boundary: Boundary;
  timeLimitMs: number;
}

interface FullOutcome {
  injective: boolean | null;
  method: string;
  /** Building the dense matrix plus checkLayer, measured inside the worker. */
  ms: number;
}

if (!isMainThread && (workerData as FullJob | undefined)?.job === "theorem4-full") {
  const job = workerData as FullJob;
  const t0 = performance.now();
  const spec = convSpec(job.kernels, { signal: job.signal, boundary: job.boundary });
  const r = await checkConvExact(spec, { timeLimitMs: job.timeLimitMs });
  parentPort!.postMessage({ injective: r.injective, method: r.method, ms: performance.now() - t0 });
}

/** Runs one full check in a worker; null when it did not finish within `limitMs`. */
function fullCheckInWorker(job: Omit<FullJob, "job">, limitMs: number): Promise<FullOutcome | null> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { job: "theorem4-full", ...job } satisfies FullJob,
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve(null);
    }, limitMs);
    worker.once("message", (m: FullOutcome) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(m);
    });
    worker.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function mdTable(header: string[], rows: string[][], left: string[] = []): string {
  const align = header.map((h) => (left.includes(h) ? ":---" : "---:"));
  const esc = (c: string) => c.replace(/\|/g, "\\|");
  return [
    `| ${header.map(esc).join(" | ")} |`,
    `|${align.join("|")}|`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

function fmtMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

/** A ratio like 17.6×, 229× or 12,345×. */
const fmtRatio = (r: number): string =>
  r < 100 ? `${r.toPrecision(3)}×` : `${Math.round(r).toLocaleString("en-US")}×`;

const verdict = (v: boolean | null): string =>
  v === true ? "injective" : v === false ? "NOT injective" : "unknown";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Kernels of shape (q, c, O...) with iid N(0, 1) entries, in float32 (as trained weights are): with
 * s² in float32 too, the paired filters −s²C are exact in float64, so [C; −s²C] is exactly paired.
 */
function gaussianKernels(rng: Rng, q: number, c: number, O: number[]): number[][][] | number[][][][] {
  const g = () => Math.fround(rng.normal());
  const kernel = () =>
    O.length === 1
      ? Array.from({ length: O[0] }, g)
      : Array.from({ length: O[0] }, () => Array.from({ length: O[1] }, g));
  return Array.from({ length: q }, () => Array.from({ length: c }, kernel)) as number[][][] | number[][][][];
}

/** [C; −s²C] from p Gaussian kernels. */
function pairedKernels(
  rng: Rng,
  p: number,
  c: number,
  O: number[],
  s: number,
): number[][][] | number[][][][] {
  const C = gaussianKernels(rng, p, c, O) as unknown[];
  const s2 = Math.fround(s * s);
  const neg = (v: unknown): unknown => (Array.isArray(v) ? v.map(neg) : -s2 * (v as number));
  return [...C, ...C.map(neg)] as number[][][] | number[][][][];
}

interface Family {
  name: string;
  kernels: number[][][] | number[][][][];
  boundary: Boundary;
  sizes: number[][];
}

// ---------------------------------------------------------------------------------------------
// a) Box check against the full check on growing signals
// ---------------------------------------------------------------------------------------------

async function timingTable(quick: boolean): Promise<string> {
  const limitMs = quick ? 3000 : 20_000;
  const maxEntries = 3e7; // about 240 MB of doubles for the dense matrix
  const families: Family[] = [
    {
      name: "1-D, kernel 3, 1 channel, 6 Gaussian filters (seed 28)",
      kernels: gaussianKernels(new Rng(28), 6, 1, [3]),
      boundary: "zero",
      sizes: quick ? [[4], [6], [8], [64], [4096]] : [[4], [5], [6], [8], [16], [64], [1024], [1_000_000]],
    },
    {
      name: "2-D, 3×3 kernels, 2 channels, 4 Gaussian filters (seed 3)",
      kernels: gaussianKernels(new Rng(3), 4, 2, [3, 3]),
      boundary: "zero",
      sizes: quick
        ? [
            [3, 3],
            [4, 4],
            [8, 8],
            [64, 64],
          ]
        : [
            [3, 3],
            [4, 4],
            [5, 5],
            [6, 6],
            [8, 8],
            [16, 16],
            [32, 32],
            [64, 64],
          ],
    },
    {
      name: "2-D, 3×3 kernels, 1 channel, 10 pairs [C; −s²C], s = 0.8 (seed 5)",
      kernels: pairedKernels(new Rng(5), 10, 1, [3, 3], 0.8),
      boundary: "periodic",
      sizes: quick
        ? [
            [3, 3],
            [4, 4],
            [8, 8],
            [64, 64],
          ]
        : [
            [3, 3],
            [4, 4],
            [5, 5],
            [6, 6],
            [8, 8],
            [16, 16],
            [32, 32],
            [64, 64],
          ],
    },
  ];
  const rows: string[][] = [];
  for (const fam of families) {
    let timedOut = false;
    for (const signal of fam.sizes) {
      const spec = convSpec(fam.kernels, { signal, boundary: fam.boundary });
      // Box check: median of 3 runs after a warm-up run.
      const runs: number[] = [];
      let t4 = await checkConv(spec);
      for (let k = 0; k < 3; k++) {
        const t = performance.now();
        t4 = await checkConv(spec);
        runs.push(performance.now() - t);
      }
      const boxMs = median(runs);
      const full = { m: spec.filters * signal.reduce((a, b) => a * b, 1), n: 0 };
      full.n = spec.channels * signal.reduce((a, b) => a * b, 1);
      let fullTime: string;
      let fullVerdict: string;
      let ratio: string;
      if (timedOut) {
        fullTime = "not run (a smaller size hit the limit)";
        fullVerdict = "—";
        ratio = "—";
      } else if (full.m * full.n > maxEntries) {
        fullTime = `not run (${((full.m * full.n) / 1e6).toFixed(0)} M entries)`;
        fullVerdict = "—";
        ratio = "—";
      } else {
        const out = await fullCheckInWorker(
          { kernels: fam.kernels, signal, boundary: fam.boundary, timeLimitMs: limitMs },
          limitMs + 2000,
        );
        if (out === null || (out.injective === null && out.ms >= limitMs * 0.95)) {
          timedOut = true;
          fullTime = `> ${limitMs / 1000} s (time limit)`;
          fullVerdict = "—";
          ratio = `> ${fmtRatio(limitMs / boxMs)}`;
        } else {
          fullTime = fmtMs(out.ms);
          fullVerdict = `${verdict(out.injective)} (${out.method})`;
          ratio = fmtRatio(out.ms / boxMs);
        }
      }
      rows.push([
        fam.name,
        `${signal.join("×")}`,
        `${t4.box.join("×")}`,
        `${t4.boxMatrixSize.m}×${t4.boxMatrixSize.n}`,
        t4.injective === true ? "injective" : "not proved",
        fmtMs(boxMs),
        `${full.m}×${full.n}`,
        fullVerdict,
        fullTime,
        ratio,
      ]);
    }
  }
  return [
    `### a) Theorem 4's box check against the exact check of the full matrix`,
    ``,
    `Box: checkConv(spec) with its defaults (boxes P = O, O+1, … up to 12 columns, 2 s per box; the box that decided is shown), median of 3 runs after a warm-up run. Full: checkLayer(convMatrix(spec)) with method auto, in a worker thread stopped at ${limitMs / 1000} s; the time includes building the dense matrix. Once a size hits the limit, larger sizes are not run; matrices above ${maxEntries / 1e6} M entries are not built. "ratio" = full time / box time.`,
    ``,
    mdTable(
      [
        "layer",
        "signal",
        "box P",
        "W|Z_P",
        "Theorem 4",
        "box time",
        "full matrix",
        "full verdict",
        "full time",
        "ratio",
      ],
      rows,
      ["layer", "Theorem 4", "full verdict", "full time"],
    ),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// b) Agreement with the exact check on random small layers
// ---------------------------------------------------------------------------------------------

interface Tally {
  cases: number;
  proved: number;
  provedExactInjective: number;
  provedExactUnknown: number;
  disagreements: number;
  exactInjective: number;
  exactNot: number;
  exactUnknown: number;
  exactInjectiveNotProved: number;
  ms: number;
}

async function agreementTable(quick: boolean): Promise<string> {
  const perBoundary = quick ? 30 : 150;
  const rng = new Rng(20261128);
  const ri = (a: number, b: number) => a + Math.floor(rng.uniform() * (b - a + 1));
  const tallies = new Map<string, Tally>();
  const key = (family: string, boundary: Boundary) => `${family}|${boundary}`;
  for (const family of ["1–4 filters", "[C; −s²C], 1–4 pairs"]) {
    for (const boundary of ["zero", "periodic"] as Boundary[]) {
      const t: Tally = {
        cases: 0,
        proved: 0,
        provedExactInjective: 0,
        provedExactUnknown: 0,
        disagreements: 0,
        exactInjective: 0,
        exactNot: 0,
        exactUnknown: 0,
        exactInjectiveNotProved: 0,
        ms: 0,
      };
      tallies.set(key(family, boundary), t);
      const t0 = performance.now();
      while (t.cases < perBoundary) {
        const dims = rng.uniform() < 0.67 ? 1 : 2;
        const signal = dims === 1 ? [ri(4, 8)] : [ri(3, 4), ri(3, 4)];
        const O = signal.map(() => ri(2, 3));
        const c = ri(1, 2);
        const ints = rng.uniform() < 0.5;
        const el = () => (ints ? ri(-2, 2) : Math.fround(rng.normal()));
        const kernel = () =>
          dims === 1
            ? Array.from({ length: O[0] }, el)
            : Array.from({ length: O[0] }, () => Array.from({ length: O[1] }, el));
        const q = ri(1, 4);
        let kernels = Array.from({ length: q }, () => Array.from({ length: c }, kernel)) as unknown[];
        if (family.startsWith("[C")) {
          const s2 = ints ? 1 : Math.fround((0.5 + rng.uniform()) ** 2);
          const neg = (v: unknown): unknown =>
            Array.isArray(v) ? v.map(neg) : v === 0 ? 0 : -s2 * (v as number);
          kernels = [...kernels, ...kernels.map(neg)];
        }
        const n = c * signal.reduce((a, b) => a * b, 1);
        // The exact check of paired layers re-verifies a certificate whose cost grows like 2^n.
        if (family.startsWith("[C") && n > 12) continue;
        const domain: Domain = rng.uniform() < 0.75 ? "all" : "nonnegative";
        const spec: ConvSpec = convSpec(kernels, { signal, boundary });
        const t4 = await checkConv(spec, { domain, maxBoxColumns: 8, timeLimitMs: 500 });
        const exact = await checkLayer(convMatrix(spec), null, {
          domain,
          method: n <= 10 || family.startsWith("[C") ? "auto" : "falsify",
          timeLimitMs: 1000,
        });
        t.cases++;
        if (exact.injective === true) t.exactInjective++;
        else if (exact.injective === false) t.exactNot++;
        else t.exactUnknown++;
        if (t4.injective === true) {
          t.proved++;
          if (exact.injective === true) t.provedExactInjective++;
          else if (exact.injective === false) t.disagreements++;
          else t.provedExactUnknown++;
        } else if (exact.injective === true) {
          t.exactInjectiveNotProved++;
        }
      }
      t.ms = performance.now() - t0;
    }
  }
  const rows = [...tallies].map(([k, t]) => {
    const [family, boundary] = k.split("|");
    return [
      family,
      boundary,
      String(t.cases),
      String(t.proved),
      String(t.provedExactInjective),
      String(t.provedExactUnknown),
      String(t.disagreements),
      `${t.exactInjective} / ${t.exactNot} / ${t.exactUnknown}`,
      String(t.exactInjectiveNotProved),
      fmtMs(t.ms),
    ];
  });
  return [
    `### b) Theorem 4 against the exact check on random small layers`,
    ``,
    `Random layers (seeded): 1-D signals of length 4–8 or 2-D 3×3–4×4, kernels 2–3 wide, 1–2 channels, integer entries in [−2, 2] or N(0, 1), domain R^n (75%) or the nonnegative orthant; either 1–4 free filters or 1–4 pairs [C; −s²C] (paired layers with n <= 12 only). Theorem 4: checkConv with boxes up to 8 columns, 500 ms. Exact: checkLayer(convMatrix(spec)), exhaustive when n <= 10 or paired, else the falsifier only (collisions), 1 s. "disagree" counts layers proved by Theorem 4 on which the exact check found a collision (re-checked by a forward pass): a counterexample to the paper.`,
    ``,
    mdTable(
      [
        "filters",
        "boundary",
        "layers",
        "Theorem 4 proved",
        "… exact: injective",
        "… exact: unknown",
        "disagree",
        "exact: inj. / not / unknown",
        "exact injective, not proved",
        "time",
      ],
      rows,
      ["filters", "boundary"],
    ),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * Runs the Theorem 4 benchmark.
 * @param quick small sizes and a 3 s limit (seconds in total), instead of a 20 s limit
 * @returns Markdown: a heading, the machine, and two tables
 */
export async function benchTheorem4(quick: boolean): Promise<string> {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const parts = [
    `## Theorem 4: convolutional layers (${quick ? "--quick" : "default"})`,
    ``,
    `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.release()}; date ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}.`,
    ``,
    await timingTable(quick),
    ``,
    await agreementTable(quick),
  ];
  return parts.join("\n");
}
