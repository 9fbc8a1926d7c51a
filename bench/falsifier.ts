/**
 * e) The falsifier (issue 14, item 3): checkLayer's `auto` with the random falsifier alone (the
 * behaviour before, `descentRestarts: 0`) against the default, where the LP-guided descent of
 * src/core/falsifier.ts runs before it, on the same layers in the same run: non-injective Gaussian
 * layers near the injectivity threshold (the `npm run bench:verify` grid's α = 5 points and phase
 * layers at α ≈ 5–5.5) and hard injective ones (to measure what the descent costs there). With a
 * Python that has scipy, also the native-HiGHS feasibility MILP of bench/verify.ts on the same
 * layers (skipped, with the reason, without one).
 *
 *     npm run bench:falsifier             # this section alone (also part of `npm run bench`)
 *     npm run bench:falsifier -- --quick  # small layers, one run each
 *
 * The two variants run interleaved (old, new, old, new, …) after one warm-up run each; times are
 * medians, ratios compare numbers of this run.
 */

import os from "node:os";
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkLayer, descentRestartsFor } from "../src/core/check-layer.js";
import type { LayerCheckResult } from "../src/core/types.js";
import { gaussianLayer } from "../src/experiments/phase.js";
import type { PhaseInstance } from "../src/experiments/phase-types.js";
import { gaussianMatrix, LONG_MS, median } from "./common.js";
import { NativeMilp, probeNativeMilp } from "./native-milp.js";

interface Case {
  /** Where the layer comes from, for the table. */
  source: "verify grid" | "phase";
  n: number;
  m: number;
  seed: number;
}

/** bench/verify.ts's grid seed of instance k at (n, α). */
const gridSeed = (n: number, alpha: number, k: number): number => 500_000 + 100 * n + 10 * alpha + k;

function cases(quick: boolean): Case[] {
  if (quick)
    return [
      { source: "verify grid", n: 6, m: 30, seed: gridSeed(6, 5, 0) },
      { source: "verify grid", n: 8, m: 40, seed: gridSeed(8, 5, 0) },
      { source: "phase", n: 8, m: 40, seed: 2 },
      { source: "phase", n: 7, m: 42, seed: 1 },
    ];
  const out: Case[] = [];
  // The issue's grid points at α = 5 (n >= 8), all not injective.
  for (const n of [8, 10, 12])
    for (let k = 0; k < 3; k++) out.push({ source: "verify grid", n, m: 5 * n, seed: gridSeed(n, 5, k) });
  // Near the threshold at n = 8…12 (phase generator), not injective, including cases the descent misses.
  for (const [n, m, seed] of [
    [8, 40, 2],
    [8, 44, 2],
    [9, 45, 1],
    [9, 50, 2],
    [10, 55, 2],
    [10, 55, 3],
    [11, 55, 1],
    [11, 61, 2],
    [12, 60, 3],
    [12, 66, 2],
  ])
    out.push({ source: "phase", n, m, seed });
  // Injective: the descent's cost (grid α = 7 and 9 at n = 8, the two hard 70 × 10 grid layers).
  for (const [n, alpha, k] of [
    [8, 7, 0],
    [8, 9, 0],
    [10, 7, 0],
    [10, 7, 1],
  ])
    out.push({ source: "verify grid", n, m: alpha * n, seed: gridSeed(n, alpha, k) });
  return out;
}

const layerOf = (c: Case): number[][] =>
  c.source === "phase" ? gaussianLayer(c.n, c.m, false, c.seed).W : gaussianMatrix(c.m, c.n, c.seed);

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtRatio = (r: number): string =>
  (r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toPrecision(2)) + "×";
const geomean = (xs: number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

/** How a verdict was reached: the stage, and for `falsify` which falsifier. */
function how(r: LayerCheckResult): string {
  const v = r.injective === null ? "unknown" : r.injective ? "injective" : "not injective";
  if (r.injective === null) return v;
  if (r.method === "falsify") return `${v} (${r.stats.descentLps ? "descent" : "random starts"})`;
  return `${v} (${r.method})`;
}

/** Markdown section "e) the falsifier". */
export async function benchFalsifier(quick: boolean, options: { native?: boolean } = {}): Promise<string> {
  const repeats = quick ? 1 : 3;
  const timeLimitMs = quick ? 20_000 : 60_000;
  const probe = options.native === false ? null : probeNativeMilp();
  const native = probe?.available ? new NativeMilp(probe.python) : null;
  const rows: string[] = [];
  const helpNonInj: number[] = [];
  const costInj: number[] = [];
  const nativeOverNew: number[] = [];
  const nativeOverOld: number[] = [];
  const helped: string[] = [];
  const notHelped: string[] = [];
  const run = (W: number[][], descent: boolean) =>
    checkLayer(W, null, { timeLimitMs, ...(descent ? {} : { descentRestarts: 0 }) });
  for (const c of cases(quick)) {
    const W = layerOf(c);
    // Warm-up (one run each); long cases are measured once, by it.
    let t = performance.now();
    let oldRes = await run(W, false);
    const oldTimes = [performance.now() - t];
    t = performance.now();
    let newRes = await run(W, true);
    const newTimes = [performance.now() - t];
    const descentMs = [newRes.stats.descentMs ?? 0];
    if (oldTimes[0] < LONG_MS && newTimes[0] < LONG_MS) {
      oldTimes.length = 0;
      newTimes.length = 0;
      descentMs.length = 0;
      for (let r = 0; r < repeats; r++) {
        t = performance.now();
        oldRes = await run(W, false);
        oldTimes.push(performance.now() - t);
        t = performance.now();
        newRes = await run(W, true);
        newTimes.push(performance.now() - t);
        descentMs.push(newRes.stats.descentMs ?? 0);
      }
    }
    const oldMs = median(oldTimes);
    const newMs = median(newTimes);
    const label = `${c.m}×${c.n} (${c.source} seed ${c.seed})`;
    if (oldRes.injective !== null && newRes.injective !== null && oldRes.injective !== newRes.injective)
      throw new Error(`bench: the two variants disagree on ${label}`);
    const decided = oldRes.injective !== null && newRes.injective !== null;
    const ratio = oldMs / newMs;
    if (newRes.injective === false) {
      if (decided) helpNonInj.push(ratio);
      (newRes.stats.descentLps && newRes.method === "falsify" ? helped : notHelped).push(label);
    } else if (decided) costInj.push(ratio);
    let nativeCells = ["—", "—"];
    if (native) {
      const a = await native.solve(W, timeLimitMs / 1000, 1e-6);
      if (a.injective === null) nativeCells = [a.status === "time limit" ? "> limit" : a.status, "—"];
      else {
        nativeCells = [fmtMs(a.ms), fmtRatio(a.ms / newMs)];
        if (c.n >= 8 && newRes.injective === false) {
          nativeOverNew.push(a.ms / newMs);
          if (oldRes.injective !== null) nativeOverOld.push(a.ms / oldMs);
        }
      }
    }
    const oldCell = oldRes.injective === null ? "> limit" : fmtMs(oldMs);
    const newCell = newRes.injective === null ? "> limit" : fmtMs(newMs);
    const row = [
      String(c.n),
      `${c.m} (${(c.m / c.n).toFixed(1)})`,
      `${c.source} ${c.seed}`,
      how(oldRes),
      oldCell,
      how(newRes),
      newCell,
      fmtMs(median(descentMs)),
      decided ? fmtRatio(ratio) : oldRes.injective === null ? `> ${fmtRatio(timeLimitMs / newMs)}` : "—",
      ...nativeCells,
      String(oldTimes.length),
    ];
    console.error(`[bench:falsifier] ${row.join(" | ")}`);
    rows.push(`| ${row.join(" | ")} |`);
  }
  native?.close();
  const fmtGeo = (xs: number[]) => (xs.length ? fmtRatio(geomean(xs)) : "—");
  const fmtMin = (xs: number[]) => (xs.length ? fmtRatio(Math.min(...xs)) : "—");
  return [
    "### e) the falsifier: random starts alone against the LP-guided descent + random starts (issue 14, item 3)",
    "",
    `iid N(0,1) layers without bias, domain R^n: the α = 5 points of \`npm run bench:verify\`'s grid (gaussianMatrix, seed 500000 + 100 n + 10 α + k), ` +
      `phase-transition layers (gaussianLayer of src/experiments/phase.ts) near the threshold, and injective layers (the descent's cost). ` +
      `"old": checkLayer(W, null, { descentRestarts: 0 }), the pipeline before (rank, structure, 16 random restarts, branch and bound); ` +
      `"new": the default checkLayer(W, null), where the LP-guided descent (\`descentRestartsFor(n)\` restarts: 8 up to n = 9, doubling with each n above; at most 6 reweighted-ℓ1 rounds each) runs before the random starts. ` +
      `Time limit ${timeLimitMs / 1000} s. "descent ms": the time the new run spent in the descent (included in "new ms"). ` +
      `Both variants run interleaved after one warm-up run each; times are medians of ${repeats} run(s), a case whose warm-up takes ${LONG_MS / 1000} s or more is measured once (column "runs"). ` +
      (native
        ? `Native MILP: bench/verify.ts's feasibility MILP in native HiGHS (scripts/milp-native.py, ${probe?.available ? `${probe.python}, scipy ${probe.scipyVersion}` : ""}), one run, time measured inside Python.`
        : `Native MILP skipped: ${probe ? (probe.available ? "" : probe.reason) : "--no-native"}.`),
    "",
    "| n | m (α) | layer | old: verdict (stage) | old ms | new: verdict (stage) | new ms | descent ms | old / new | native MILP ms | native / new | runs |",
    "|---:|---:|:---|:---|---:|:---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Not injective: old / new geometric mean ${fmtGeo(helpNonInj)} (smallest ${fmtMin(helpNonInj)}) over ${helpNonInj.length} layers decided by both; ` +
      `the descent found the collision on ${helped.length} of ${helped.length + notHelped.length}` +
      (notHelped.length ? ` (not on ${notHelped.join(", ")})` : "") +
      `. Injective: old / new geometric mean ${fmtGeo(costInj)} (smallest ${fmtMin(costInj)}) over ${costInj.length} layers.` +
      (native
        ? ` Native MILP over the project on the layers that are not injective, n >= 8 (native decided): new ${fmtGeo(nativeOverNew)} (smallest ${fmtMin(nativeOverNew)}) over ${nativeOverNew.length}, old ${fmtGeo(nativeOverOld)} (smallest ${fmtMin(nativeOverOld)}) over ${nativeOverOld.length}.`
        : ""),
  ].join("\n");
}

/**
 * Section "the descent's restarts grow with n": the collisions a phase sweep's falsifiers missed
 * (its non-injective instances decided by the branch and bound), checked again with the descent's
 * old budget in `auto` (8 restarts) and the default (`descentRestartsFor(n)`), the whole `auto`
 * check each, one run, with the instance's seed; and, on `injective` of its injective instances,
 * what the larger budget costs (the descent alone: method `falsify` without random starts).
 */
export async function benchPhaseMisses(dir: string, limit: number, injective: number): Promise<string> {
  const all = readFileSync(join(dir, "instances.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as PhaseInstance);
  const misses = all.filter((r) => r.injective === false && r.method === "branch-and-bound").slice(0, limit);
  const injectives = all.filter((r) => r.injective === true);
  const step = Math.max(1, Math.floor(injectives.length / Math.max(1, injective)));
  const sample = injectives.filter((_, i) => i % step === 0).slice(0, injective);
  const timeLimitMs = 600_000;
  const rows: string[] = [];
  let oldTotal = 0;
  let newTotal = 0;
  let byDescent = 0;
  for (const r of misses) {
    const { W } = gaussianLayer(r.n, r.m, false, r.seed);
    let t = performance.now();
    const oldRes = await checkLayer(W, null, { seed: r.seed, timeLimitMs, descentRestarts: 8 });
    const oldMs = performance.now() - t;
    t = performance.now();
    const newRes = await checkLayer(W, null, { seed: r.seed, timeLimitMs });
    const newMs = performance.now() - t;
    if (oldRes.injective !== false || newRes.injective !== false)
      throw new Error(`bench: instance m = ${r.m}, trial ${r.trial} is not decided "not injective" by both`);
    oldTotal += oldMs;
    newTotal += newMs;
    if (newRes.method === "falsify" && newRes.stats.descentLps) byDescent++;
    const row = [
      String(r.n),
      String(r.m),
      String(r.trial),
      String(r.seed),
      fmtMs(r.timeMs),
      how(oldRes),
      fmtMs(oldMs),
      how(newRes),
      fmtMs(newMs),
      String(newRes.stats.descentRestarts ?? 0),
      fmtRatio(oldMs / newMs),
    ];
    console.error(`[bench:falsifier] ${row.join(" | ")}`);
    rows.push(`| ${row.join(" | ")} |`);
  }
  const costs: number[] = [];
  const added: number[] = [];
  for (const r of sample) {
    const { W } = gaussianLayer(r.n, r.m, false, r.seed);
    const alone = (restarts: number) =>
      checkLayer(W, null, {
        seed: r.seed,
        method: "falsify",
        falsifierRestarts: 0,
        descentRestarts: restarts,
      });
    const a = await alone(8);
    const b = await alone(descentRestartsFor(r.n));
    if (a.injective === false || b.injective === false)
      throw new Error(`bench: an injective instance was falsified`);
    const extra = (b.stats.descentMs ?? 0) - (a.stats.descentMs ?? 0);
    added.push(extra);
    costs.push(extra / r.timeMs);
  }
  const n = misses[0]?.n ?? sample[0]?.n ?? 0;
  return [
    `### The descent's restarts grow with n: the collisions of \`${dir}\` that the falsifiers missed`,
    "",
    `The non-injective instances of that sweep that its branch and bound had to decide (the first ${misses.length} in file order), ` +
      `each checked by the whole \`auto\` pipeline with the instance's seed, one run: "old": \`{ descentRestarts: 8 }\` (the default before), ` +
      `"new": the default (\`descentRestartsFor(${n})\` = ${descentRestartsFor(n)} restarts). "sweep ms": the instance's time in the sweep. Time limit ${timeLimitMs / 1000} s.`,
    "",
    "| n | m | trial | seed | sweep ms | old: verdict (stage) | old ms | new: verdict (stage) | new ms | descent restarts (new) | old / new |",
    "|---:|---:|---:|---:|---:|:---|---:|:---|---:|---:|---:|",
    ...rows,
    "",
    `The descent found ${byDescent} of these ${misses.length} collisions; all of them took ${(oldTotal / 1000).toFixed(1)} s before and ${(newTotal / 1000).toFixed(1)} s now (${fmtRatio(oldTotal / Math.max(1, newTotal))}).` +
      (sample.length
        ? ` On ${sample.length} injective instances of the sweep (every ${step}th), the larger budget adds ${fmtMs(median(added))} ms of descent (median; at most ${fmtMs(Math.max(...added))} ms), ${(100 * median(costs)).toFixed(2)}% of the instance's time in the sweep (median; at most ${(100 * Math.max(...costs)).toFixed(2)}%).`
        : ""),
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const usage = "usage: [--quick] [--no-native] | --phase-misses DIR [--limit K] [--injective K]";
  const valueOf = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const phaseDir = valueOf("--phase-misses");
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (["--phase-misses", "--limit", "--injective"].includes(a)) i++;
    else if (a !== "--quick" && a !== "--no-native") {
      console.error(`bench:falsifier: unknown option ${a} (${usage})`);
      process.exit(2);
    }
  }
  const count = (name: string, fallback: number): number => {
    const v = Number(valueOf(name) ?? fallback);
    if (!Number.isInteger(v) || v < 0) {
      console.error(`bench:falsifier: ${name} needs an integer >= 0 (${usage})`);
      process.exit(2);
    }
    return v;
  };
  const cpus = os.cpus();
  const started = performance.now();
  console.log(
    `Machine: ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.release()}; date ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}.`,
  );
  console.log("");
  if (phaseDir)
    console.log(await benchPhaseMisses(phaseDir, count("--limit", 1_000_000), count("--injective", 20)));
  else console.log(await benchFalsifier(args.includes("--quick"), { native: !args.includes("--no-native") }));
  console.log("");
  console.log(`Total time: ${((performance.now() - started) / 1000).toFixed(1)} s.`);
}
