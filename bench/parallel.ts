/**
 * Two threads on one layer (issue 14, item 2): `checkLayer` with a pool of k worker threads
 * (src/parallel/layer-pool.ts) against one thread, on hard injective Gaussian layers, in the same
 * run. Runs alternate (1, k, 1, k, …) so that a slow spell of the machine hits both; the table has
 * medians, the speed-up, and where the time went (search, certificate re-check).
 *
 *   node dist/bench/parallel.js [--quick] [--workers K] [--repeats R] [--grid MxNxSEED,...]
 *
 * `--grid` measures layers of `npm run bench:verify`'s Gaussian grid instead (its generator and
 * seeds, for example `--grid 108x12x501290`), in place of the default cases.
 *
 * Worker threads need the built dist/ (`npm run bench:verify` builds first and runs this section
 * last). Other processes busy on the same cores make the speed-up look smaller.
 */

import os from "node:os";
import { fileURLToPath } from "node:url";
import { checkLayer } from "../src/core/check-layer.js";
import { gaussianLayer } from "../src/experiments/phase.js";
import { LayerWorkerPool } from "../src/parallel/layer-pool.js";
import { gaussianMatrix, median } from "./common.js";

/** One layer's measurements. */
export interface WorkersRow {
  label: string;
  verdict: string;
  serialMs: number;
  parallelMs: number;
  serialSearchMs: number;
  parallelSearchMs: number;
  serialDuals: number;
  parallelDuals: number;
}

/** A layer to measure: its label and matrix. */
interface WorkersCase {
  label: string;
  W: number[][];
}

/** The layers: [n, m, seed] of the phase experiment's generator, injective and hard. */
function defaultCases(quick: boolean): WorkersCase[] {
  return phaseCases(quick).map(([n, m, seed]) => ({
    label: `${m}×${n}, seed ${seed}`,
    W: gaussianLayer(n, m, false, seed).W,
  }));
}

/** Layers of bench:verify's grid, `MxNxSEED` each (its generator, `gaussianMatrix`). */
function gridCases(spec: string): WorkersCase[] {
  return spec.split(",").map((item) => {
    const parts = item.split("x").map(Number);
    if (parts.length !== 3 || !parts.every((v) => Number.isInteger(v) && v >= 1)) {
      console.error(`bench/parallel: --grid takes MxNxSEED items, comma-separated (got "${item}")`);
      process.exit(2);
    }
    const [m, n, seed] = parts;
    return { label: `${m}×${n}, grid seed ${seed}`, W: gaussianMatrix(m, n, seed) };
  });
}

function phaseCases(quick: boolean): [number, number, number][] {
  return quick
    ? [[8, 48, 3]]
    : [
        [8, 48, 3],
        [10, 70, 1],
        [10, 70, 2],
        [10, 65, 1],
      ];
}

async function once(
  W: number[][],
  pool: LayerWorkerPool | undefined,
): Promise<{ ms: number; searchMs: number; duals: number; verdict: boolean | null }> {
  let searchEnd = 0;
  const t0 = performance.now();
  const r = await checkLayer(W, null, {
    ...(pool ? { pool } : {}),
    timeLimitMs: 600_000,
    onProgress: (p) => {
      if (p.stage === "certificate" && searchEnd === 0) searchEnd = performance.now();
    },
  });
  const ms = performance.now() - t0;
  return {
    ms,
    searchMs: (searchEnd || performance.now()) - t0,
    duals: r.certificate?.duals.length ?? 0,
    verdict: r.injective,
  };
}

/** Measures every case with 1 and `workers` threads, alternating, `repeats` times each. */
export async function benchWorkers(options: {
  quick: boolean;
  workers: number;
  repeats: number;
  /** `--grid`: bench:verify grid layers instead of the default cases. */
  grid?: string;
}): Promise<WorkersRow[]> {
  const pool = new LayerWorkerPool(options.workers);
  const rows: WorkersRow[] = [];
  try {
    for (const { label, W } of options.grid ? gridCases(options.grid) : defaultCases(options.quick)) {
      const serial: Awaited<ReturnType<typeof once>>[] = [];
      const parallel: Awaited<ReturnType<typeof once>>[] = [];
      for (let k = 0; k < options.repeats; k++) {
        serial.push(await once(W, undefined));
        parallel.push(await once(W, pool));
      }
      const verdicts = new Set([...serial, ...parallel].map((r) => r.verdict));
      rows.push({
        label,
        verdict: verdicts.size === 1 ? String([...verdicts][0]) : "DISAGREE",
        serialMs: median(serial.map((r) => r.ms)),
        parallelMs: median(parallel.map((r) => r.ms)),
        serialSearchMs: median(serial.map((r) => r.searchMs)),
        parallelSearchMs: median(parallel.map((r) => r.searchMs)),
        serialDuals: median(serial.map((r) => r.duals)),
        parallelDuals: median(parallel.map((r) => r.duals)),
      });
    }
  } finally {
    await pool.close();
  }
  return rows;
}

/** The markdown table of {@link benchWorkers}. */
export function workersTable(rows: WorkersRow[], workers: number): string {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const lines = [
    `| layer | verdict | 1 thread (s) | ${workers} threads (s) | speed-up | search: 1 / ${workers} (s) | re-check: 1 / ${workers} (s) | duals: 1 / ${workers} |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows)
    lines.push(
      `| ${r.label} | ${r.verdict} | ${s(r.serialMs)} | ${s(r.parallelMs)} | ${(r.serialMs / r.parallelMs).toFixed(2)}× | ${s(r.serialSearchMs)} / ${s(r.parallelSearchMs)} | ${s(r.serialMs - r.serialSearchMs)} / ${s(r.parallelMs - r.parallelSearchMs)} | ${r.serialDuals} / ${r.parallelDuals} |`,
    );
  return lines.join("\n");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes("--quick");
  const arg = (name: string, fallback: number): number => {
    const i = argv.indexOf(name);
    const v = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(v) || v < 1) {
      console.error(`bench/parallel: ${name} needs an integer >= 1`);
      process.exit(2);
    }
    return v;
  };
  const workers = arg("--workers", 2);
  const repeats = arg("--repeats", quick ? 1 : 3);
  const gi = argv.indexOf("--grid");
  const grid = gi >= 0 ? argv[gi + 1] : undefined;
  if (gi >= 0 && !grid) {
    console.error("bench/parallel: --grid needs MxNxSEED items");
    process.exit(2);
  }
  console.log(
    `### Two threads on one layer (${workers} worker threads against one; medians of ${repeats} alternating runs; ${os.cpus().length} CPUs, Node ${process.version})\n`,
  );
  console.log(
    workersTable(await benchWorkers({ quick, workers, repeats, ...(grid ? { grid } : {}) }), workers),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
