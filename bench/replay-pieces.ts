/**
 * The replay of the search's proof whole against in pieces (src/core/recheck-chunks.ts), in one
 * process, alternating: medians of the replay's time, and the longest time the event loop waited
 * (a 5 ms timer) while the pieces ran with a yield between them.
 *
 *   node dist/bench/replay-pieces.js [--layers MxNxSEED,...] [--repeats R]
 *
 * A layer MxNxSEED is the bench:verify grid's Gaussian matrix (`gaussianMatrix(M, N, SEED)`); the
 * default is 70x10x501070 (a proof of about one million entries).
 */

import { checkLayer } from "../src/core/check-layer.js";
import { dyadicRows } from "../src/core/exact.js";
import {
  decodeFlatProof,
  proofLength,
  replayFlatProof,
  REPLAY_CHUNK_TOKENS,
} from "../src/core/flat-proof.js";
import { replayInChunks } from "../src/core/recheck-chunks.js";
import { gaussianMatrix, median } from "./common.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const layers = (arg("--layers") ?? "70x10x501070").split(",").map((s) => {
  const [m, n, seed] = s.split("x").map(Number);
  if (![m, n, seed].every((v) => Number.isInteger(v) && v > 0)) {
    console.error(`replay-pieces: a layer is MxNxSEED, got ${s}`);
    process.exit(2);
  }
  return { m, n, seed };
});
const repeats = Number(arg("--repeats") ?? 5);
if (!Number.isInteger(repeats) || repeats < 1) {
  console.error("replay-pieces: --repeats needs an integer >= 1");
  process.exit(2);
}

const yieldNow = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

console.log(
  `### The replay whole and in pieces of at most ${REPLAY_CHUNK_TOKENS} entries (medians of ${repeats} alternating runs; Node ${process.version})\n`,
);
console.log(
  "| layer | proof entries | nodes | whole (ms) | in pieces (ms) | pieces / whole | longest event-loop wait in pieces (ms) |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const { m, n, seed } of layers) {
  const W = gaussianMatrix(m, n, seed);
  const r = await checkLayer(W, null, { proof: true });
  if (r.injective !== true || !r.certificate?.proof) {
    console.log(`| ${m} × ${n}, seed ${seed} | — | — | — | — | — | not injective: no proof |`);
    continue;
  }
  const proof = decodeFlatProof(r.certificate.proof);
  const ints = dyadicRows(W, new Array<number>(m).fill(0));
  const supports = r.certificate.duals.map((d) => d.rows);
  const whole: number[] = [];
  const pieces: number[] = [];
  let wait = 0;
  let nodes = 0;
  for (let k = 0; k < repeats; k++) {
    let t = performance.now();
    const a = replayFlatProof(ints, supports, n, proof);
    whole.push(performance.now() - t);
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      wait = Math.max(wait, now - last);
      last = now;
    }, 5);
    t = performance.now();
    let lastYield = t;
    const b = await replayInChunks(ints, supports, n, proof, undefined, {
      pause: async () => {
        if (performance.now() - lastYield < 50) return;
        await yieldNow();
        lastYield = performance.now();
      },
    });
    pieces.push(performance.now() - t);
    await yieldNow();
    clearInterval(timer);
    if (!a.valid || !b.valid || a.nodes !== b.nodes) throw new Error("the replays disagree");
    nodes = a.nodes;
  }
  const w = median(whole);
  const p = median(pieces);
  console.log(
    `| ${m} × ${n}, seed ${seed} | ${proofLength(proof)} | ${nodes} | ${w.toFixed(0)} | ${p.toFixed(0)} | ${(p / w).toFixed(2)}× | ${wait.toFixed(0)} |`,
  );
}
