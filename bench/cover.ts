/**
 * The certificate's re-check (issue 14, item 1): the replay of the branch and bound's own proof
 * tree (src/core/flat-proof.ts) against the independent exact cover check
 * (src/core/certificate.ts, exactCover) it replaced inside checkLayer, on the certificates of hard
 * injective Gaussian layers, and the re-check's share of the whole checkLayer call.
 */

import { checkLayer } from "../src/core/check-layer.js";
import { exactCover } from "../src/core/certificate.js";
import { dyadicRows } from "../src/core/exact.js";
import { decodeFlatProof, replayFlatProof } from "../src/core/flat-proof.js";
import { gaussianLayer } from "../src/experiments/phase.js";
import { median } from "./common.js";

/** Markdown section "d) certificate re-check". */
export async function benchCover(quick: boolean): Promise<string> {
  const cases: [n: number, m: number, seed: number][] = quick
    ? [
        [6, 36, 1],
        [7, 42, 1],
      ]
    : [
        [8, 56, 1],
        [8, 64, 2],
        [9, 72, 2],
        [9, 81, 1],
        [10, 70, 1],
        [10, 70, 2],
      ];
  const repeats = quick ? 1 : 3;
  const rows: string[] = [];
  const s = (ms: number) => (ms / 1000).toFixed(2);
  for (const [n, m, seed] of cases) {
    const { W, b } = gaussianLayer(n, m, false, seed);
    const totals: number[] = [];
    const rechecks: number[] = [];
    let r = await checkLayer(W, b, { domain: "all", proof: true });
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      r = await checkLayer(W, b, { domain: "all", proof: true });
      totals.push(performance.now() - t0);
      rechecks.push(r.stats.recheckMs ?? NaN);
    }
    if (!r.certificate?.proof) {
      rows.push(
        `| ${n} | ${m} | ${seed} | ${r.injective === false ? "not injective" : "unknown"} | | | | | | | |`,
      );
      continue;
    }
    const ints = dyadicRows(W, new Array<number>(m).fill(0));
    const supports = r.certificate.duals.map((d) => d.rows);
    const proof = decodeFlatProof(r.certificate.proof);
    const replayMs: number[] = [];
    const coverMs: number[] = [];
    let replayNodes = 0;
    let coverNodes = 0;
    for (let i = 0; i < repeats; i++) {
      let t = performance.now();
      const rep = replayFlatProof(ints, supports, n, proof);
      replayMs.push(performance.now() - t);
      if (!rep.valid)
        throw new Error(`bench: the proof of ${n}×${m} seed ${seed} does not replay: ${rep.reason}`);
      replayNodes = rep.nodes;
      t = performance.now();
      const c = exactCover(ints, supports, n);
      coverMs.push(performance.now() - t);
      if (c.uncovered) throw new Error(`bench: the certificate of ${n}×${m} seed ${seed} does not cover`);
      coverNodes = c.nodes;
    }
    const total = median(totals);
    const recheck = median(rechecks);
    const replay = median(replayMs);
    const cover = median(coverMs);
    rows.push(
      `| ${n} | ${m} | ${seed} | ${supports.length} | ${s(total)} | ${s(total - recheck)} | ${s(recheck)} | ${((100 * recheck) / total).toFixed(0)}% | ${s(replay)} (${replayNodes}) | ${s(cover)} (${coverNodes}) | ${(cover / replay).toFixed(1)}× |`,
    );
  }
  return [
    "### d) certificate re-check: replaying the search's proof, against the independent cover check",
    "",
    `Injective iid N(0,1) layers without bias (gaussianLayer of src/experiments/phase.ts, the phase transition's layers), domain R^n, one thread. ` +
      `"check s": one checkLayer call, median of ${repeats} after a warm-up; "re-check s": its exact re-check of the certificate (every dual's algebra, then the replay of the search's proof), and "share" that over the whole check; "search s" is the rest (rank test, falsifier, branch and bound). ` +
      `"replay s" and "cover s": the replay alone and the cover check it replaced, on the same certificate, medians of ${repeats}, with their nodes in parentheses.`,
    "",
    "| n | m | seed | duals | check s | search s | re-check s | share | replay s (nodes) | cover s (nodes) | cover / replay |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}
