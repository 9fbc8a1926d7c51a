/**
 * The certificate's exact cover check (src/core/certificate.ts, exactCover) with and without the
 * hyperplane test at rank n − 2 (2 × 2 minors of the residuals mod p), on the certificates that
 * checkLayer produces for hard injective Gaussian layers, and the re-check's share of the whole
 * checkLayer call. Both variants run in this process on the same certificates.
 */

import { checkLayer } from "../src/core/check-layer.js";
import { exactCover } from "../src/core/certificate.js";
import { dyadicRows } from "../src/core/exact.js";
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
  for (const [n, m, seed] of cases) {
    const { W, b } = gaussianLayer(n, m, false, seed);
    const t0 = performance.now();
    const r = await checkLayer(W, b, { domain: "all" });
    const total = performance.now() - t0;
    if (!r.certificate) {
      rows.push(
        `| ${n} | ${m} | ${seed} | ${r.injective === false ? "not injective" : "unknown"} | | | | | | |`,
      );
      continue;
    }
    const ints = dyadicRows(W, new Array<number>(m).fill(0));
    const supports = r.certificate.duals.map((d) => d.rows);
    const time = (minorTests: boolean) => {
      const ms: number[] = [];
      let nodes = 0;
      for (let i = 0; i < repeats; i++) {
        const t = performance.now();
        const c = exactCover(ints, supports, n, undefined, undefined, { minorTests });
        ms.push(performance.now() - t);
        if (c.uncovered) throw new Error(`bench: the certificate of ${n}×${m} seed ${seed} does not cover`);
        nodes = c.nodes;
      }
      return { ms: median(ms), nodes };
    };
    const off = time(false);
    const on = time(true);
    rows.push(
      `| ${n} | ${m} | ${seed} | ${supports.length} | ${(total / 1000).toFixed(2)} | ${(off.ms / 1000).toFixed(2)} (${off.nodes}) | ${(on.ms / 1000).toFixed(2)} (${on.nodes}) | ${(off.ms / on.ms).toFixed(2)}× | ${((100 * on.ms) / total).toFixed(0)}% |`,
    );
  }
  return [
    "### d) certificate re-check: the cover check with and without the hyperplane test",
    "",
    `Injective iid N(0,1) layers without bias (gaussianLayer of src/experiments/phase.ts, the phase transition's layers), domain R^n. ` +
      `"check s": one checkLayer call (search and exact re-check, with the test); "cover" columns: the exact cover check of its certificate alone, median of ${repeats} run(s), with the search nodes in parentheses; "share": the cover check with the test over the whole check.`,
    "",
    "| n | m | seed | duals | check s | cover without s (nodes) | cover with s (nodes) | without / with | share |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}
