/**
 * What sparse elimination gains on convolution matrices: the rank mod p of the convolution of C of
 * paired stride-2 transposed convolutions (the matrix rule `conv-pairs` ranks, built with the
 * toolkit's helpers), dense `modRank` against `sparseModRank`, in the same run; and both on iid
 * random patterns of growing density (no band to exploit), which sets the density threshold of
 * `exactRankBudgeted`.
 */

import { PRIMES, modRank } from "../src/core/modular.js";
import { countNonzeros, sparseModRank, sparseResidues } from "../src/core/sparse-rank.js";
import { dyadicRows } from "../src/core/exact.js";
import { Rng } from "../src/core/random.js";
import { convLayer, layerMatrix } from "../src/model/network.js";
import type { ConvParams } from "../src/model/conv-layer.js";
import { findConvPairs, subRecord } from "../src/network/conv-pairs.js";
import { timeSync } from "./common.js";

const P = PRIMES[0];

/** Kernels [C; −4C] of a 4×4, stride-2, padding-1 transposed convolution (the injective DCGAN's). */
export function pairedTransposed(cin: number, side: number, pairs: number, seed: number): ConvParams {
  const rng = new Rng(seed);
  const kernels = Array.from({ length: cin }, () => {
    const C = Array.from({ length: pairs }, () =>
      Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => Math.fround(rng.normal()))),
    );
    return [...C, ...C.map((k) => k.map((r) => r.map((v) => -4 * v)))];
  });
  return {
    op: "conv_transpose",
    inputShape: [cin, side, side],
    kernels: kernels as unknown as ConvParams["kernels"],
    stride: [2, 2],
    padding: [1, 1],
  };
}

/**
 * The integer rows of the convolution of C (one filter of each pair), as `conv-pairs` builds them
 * (also used by tests/core/sparse-rank.test.ts).
 */
export function halfRows(p: ConvParams): bigint[][] {
  const pairing = findConvPairs(p);
  const half = convLayer(
    subRecord(
      p,
      pairing.pairs.map(([a]) => a),
    ),
    "linear",
  );
  const W = layerMatrix(half);
  return dyadicRows(W, new Array<number>(W.length).fill(0)).W;
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const ratio = (r: number): string => (r >= 10 ? r.toFixed(0) : r.toFixed(1)) + "×";

function tableOf(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---:").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

/** The tables of dense against sparse rank mod p. */
export function benchSparseRank(quick: boolean): string {
  const repeats = quick ? 1 : 3;
  // [input channels, side, pairs]: n = channels · side² columns, as many rows.
  const convs: [number, number, number, boolean][] = quick
    ? [
        [16, 4, 4, true],
        [32, 4, 8, true],
      ]
    : [
        [32, 4, 8, true],
        [64, 4, 16, true],
        [96, 4, 24, true],
        [32, 8, 8, true],
        [48, 8, 12, false],
        [24, 16, 6, false],
      ];
  const convRows: string[][] = [];
  for (const [cin, side, pairs, dense] of convs) {
    const rows = halfRows(pairedTransposed(cin, side, pairs, 1000 + cin + side));
    const n = cin * side * side;
    const nnz = countNonzeros(rows, n);
    const s = timeSync(() => sparseModRank(sparseResidues(rows, n, P, nnz), P), repeats);
    const d = dense ? timeSync(() => modRank(rows, n, P), repeats) : null;
    convRows.push([
      `${cin}×${side}×${side} → ${pairs}×${2 * side}×${2 * side}`,
      `${rows.length}×${n}`,
      ((100 * nnz) / (rows.length * n)).toFixed(1) + "%",
      d ? fmt(d.ms) : "not run",
      fmt(s.ms),
      d ? ratio(d.ms / s.ms) : "–",
      d && d.value !== s.value ? `DISAGREE ${d.value} / ${s.value}` : String(s.value),
      d ? `${d.runs} / ${s.runs}` : `– / ${s.runs}`,
    ]);
  }
  // iid patterns: each entry nonzero with the given probability, values in [−1000, 1000].
  const n = quick ? 200 : 500;
  const densities = quick ? [0.01, 0.1, 1] : [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1];
  const randRows: string[][] = [];
  for (const density of densities) {
    const rng = new Rng(7 + Math.round(1000 * density));
    const rows = Array.from({ length: n }, () =>
      Array.from({ length: n }, () =>
        rng.uniform() < density ? BigInt(Math.floor(rng.uniform() * 2001) - 1000) : 0n,
      ),
    );
    const s = timeSync(() => sparseModRank(sparseResidues(rows, n, P), P), repeats);
    const d = timeSync(() => modRank(rows, n, P), repeats);
    randRows.push([
      String(density),
      fmt(d.ms),
      fmt(s.ms),
      ratio(d.ms / s.ms),
      d.value !== s.value ? `DISAGREE ${d.value} / ${s.value}` : String(s.value),
    ]);
  }
  return [
    "### Sparse rank mod p",
    "",
    `The rank mod p = ${P} of the convolution of C (one filter of each pair [C; −4C], the matrix rule \`conv-pairs\` ranks) of 4×4, stride-2, padding-1 transposed convolutions with N(0, 1) float32 weights (seeded): dense elimination (\`modRank\`) against sparse elimination in reverse Cuthill–McKee order (\`sparseModRank\`, including the reduction to sparse residues and the ordering). The two sizes of the 64×64 generator's later layers are run sparse only (dense would take minutes). Medians of ${repeats} run(s) after a warm-up; a case whose warm-up takes 1 s or more is measured once (runs: dense / sparse).`,
    "",
    ...tableOf(
      ["layer (in → C)", "matrix", "nonzeros", "dense ms", "sparse ms", "dense / sparse", "rank", "runs"],
      convRows,
    ),
    "",
    `Both on ${n}×${n} integer matrices with iid entries, nonzero with probability "density" (a pattern without a band: the worst case for fill-in).`,
    "",
    ...tableOf(["density", "dense ms", "sparse ms", "dense / sparse", "rank"], randRows),
  ].join("\n");
}
