/**
 * Two builds of the project on the same layers, in one process, alternating calls (a slow spell of
 * the machine hits both): `checkLayer` medians per layer, and a check that both give the same
 * verdict and (for the branch and bound) the same node count.
 *
 *   node dist/bench/compare-builds.js --old DIR --new DIR [--layers easy|injective|MxNxSEED,...] [--repeats R]
 *
 * DIR is a build's output folder (the one holding src/core/index.js), for example an older commit
 * built with `git worktree add /tmp/old COMMIT && cd /tmp/old && ln -s $PWD/node_modules . &&
 * npx tsc -p tsconfig.build.json --outDir /tmp/old-dist`. `easy`: the non-injective layers of the
 * bench:verify grid at n = 8, 10, 12 (α = 3 and 5, and 84 × 12 seed 501272); `injective`: five
 * injective grid layers at n = 10 and 11. One thread each.
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gaussianMatrix, median } from "./common.js";

type Check = (
  W: number[][],
  b: null,
) => Promise<{ injective: boolean | null; method: string; stats: { nodes?: number; recheckMs?: number } }>;

function parse(argv: string[]): { oldDir: string; newDir: string; layers: string; repeats: number } {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const oldDir = get("--old");
  const newDir = get("--new");
  if (!oldDir || !newDir) {
    console.error(
      "usage: node dist/bench/compare-builds.js --old DIR --new DIR [--layers easy|injective|MxNxSEED,...] [--repeats R]",
    );
    process.exit(2);
  }
  const layers = get("--layers") ?? "easy";
  const repeats = Number(get("--repeats") ?? (layers === "easy" ? 9 : 3));
  if (!Number.isInteger(repeats) || repeats < 1) {
    console.error("compare-builds: --repeats needs an integer >= 1");
    process.exit(2);
  }
  return { oldDir, newDir, layers, repeats };
}

function layerList(spec: string): [number, number, number][] {
  if (spec === "easy") {
    const out: [number, number, number][] = [];
    for (const n of [8, 10, 12])
      for (const a of [3, 5])
        for (let k = 0; k < 3; k++) out.push([a * n, n, 500_000 + 100 * n + 10 * a + k]);
    out.push([84, 12, 501_272]);
    return out;
  }
  if (spec === "injective")
    return [
      [70, 10, 501_070],
      [70, 10, 501_071],
      [90, 10, 501_090],
      [90, 10, 501_091],
      [99, 11, 501_190],
    ];
  return spec.split(",").map((item) => {
    const p = item.split("x").map(Number);
    if (p.length !== 3 || !p.every((v) => Number.isInteger(v) && v >= 1)) {
      console.error(`compare-builds: --layers takes easy, injective or MxNxSEED items (got "${item}")`);
      process.exit(2);
    }
    return [p[0], p[1], p[2]];
  });
}

async function load(dir: string): Promise<Check> {
  const mod = (await import(pathToFileURL(resolve(dir, "src/core/index.js")).href)) as { checkLayer: Check };
  return mod.checkLayer;
}

async function main(): Promise<void> {
  const { oldDir, newDir, layers, repeats } = parse(process.argv.slice(2));
  const [A, B] = [await load(oldDir), await load(newDir)];
  const list = layerList(layers);
  // Warm-up: the first calls of a process compile the pipeline.
  for (const [m, n, seed] of list.slice(0, 3))
    for (let r = 0; r < 2; r++) {
      await A(gaussianMatrix(m, n, seed), null);
      await B(gaussianMatrix(m, n, seed), null);
    }
  console.log(
    `| layer | seed | verdict (new) | nodes | old ms | new ms | old / new | re-check share (new) |`,
  );
  console.log(`| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |`);
  let logSum = 0;
  let differ = 0;
  for (const [m, n, seed] of list) {
    const W = gaussianMatrix(m, n, seed);
    const ta: number[] = [];
    const tb: number[] = [];
    let ra = await A(W, null);
    let rb = ra;
    for (let r = 0; r < repeats; r++) {
      let t = performance.now();
      ra = await A(W, null);
      ta.push(performance.now() - t);
      t = performance.now();
      rb = await B(W, null);
      tb.push(performance.now() - t);
    }
    const same = ra.injective === rb.injective && ra.stats.nodes === rb.stats.nodes;
    if (!same) differ++;
    const ma = median(ta);
    const mb = median(tb);
    logSum += Math.log(ma / mb);
    const share = rb.stats.recheckMs !== undefined ? `${((100 * rb.stats.recheckMs) / mb).toFixed(0)}%` : "—";
    console.log(
      `| ${m} × ${n} | ${seed} | ${rb.injective === null ? "unknown" : rb.injective ? "injective" : "not injective"} (${rb.method})${same ? "" : " DIFFERS"} | ${rb.stats.nodes ?? "—"} | ${ma.toFixed(1)} | ${mb.toFixed(1)} | ${(ma / mb).toFixed(2)}× | ${share} |`,
    );
  }
  console.log(
    `\nGeometric mean old / new: ${Math.exp(logSum / list.length).toFixed(2)}× over ${list.length} layers (medians of ${repeats} alternating runs); ${differ} layer(s) with a different verdict or node count.`,
  );
}

await main();
