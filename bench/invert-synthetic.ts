/**
 * Measurements of invertGenerator (src/invert/invert-generator.ts) on seeded synthetic generators
 * of realistic sizes, float32 like a framework's exports: fully-connected decoders 20 → 200 → 500 →
 * 784 (ReLU and leaky ReLU, no bias, as Lei et al.'s VAE decoders), a generator that ends in a
 * projection (20 → 200 → 500 → 60, tanh), and a DCGAN-style generator on 32 × 32 images
 * (z = 32 → (128, 4, 4) → (64, 8, 8) → (32, 16, 16) → (1, 32, 32), ConvTranspose stride 2, batch
 * norm, ReLU, tanh). y = float32 forward pass + Gaussian noise σ. The baseline is Adam on
 * ‖G(z) − y‖² with seeded restarts (src/invert/gradient-inversion.ts).
 *
 *     npm run build && node dist/bench/invert-synthetic.js [--images N] [--adam-images N]
 *
 * Prints a markdown table: median / worst relative error ‖ẑ − z‖/‖z‖, median time per image, and
 * the statuses. Times are wall-clock on whatever else the machine is running.
 */

import { Rng } from "../src/core/random.js";
import { gradientInversion } from "../src/invert/gradient-inversion.js";
import { invertGenerator } from "../src/invert/invert-generator.js";
import { convGenerator, denseGenerator, forwardFloat32 } from "../src/invert/synthetic-generators.js";
import type { Network } from "../src/model/network.js";

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const IMAGES = arg("--images", 5);
const ADAM_IMAGES = arg("--adam-images", 2);

const models: { name: string; net: Network; adamIts: number }[] = [
  {
    name: "FC decoder 20→200→500→784, ReLU",
    net: denseGenerator(20, [200, 500, 784], 1, { biasScale: 0, precision: "float32" }),
    adamIts: 500,
  },
  {
    name: "FC decoder 20→200→500→784, leaky ReLU 0.2",
    net: denseGenerator(20, [200, 500, 784], 2, { biasScale: 0, hidden: "leaky_relu", precision: "float32" }),
    adamIts: 500,
  },
  {
    name: "projection 20→200→500→60, tanh",
    net: denseGenerator(20, [200, 500, 60], 3, { last: "tanh", precision: "float32" }),
    adamIts: 500,
  },
  {
    name: "DCGAN 32→(1,32,32), BN, tanh",
    net: convGenerator({
      z: 32,
      channels: [128, 64, 32, 1],
      base: 4,
      seed: 4,
      lastScale: 2,
      precision: "float32",
    }),
    adamIts: 300,
  },
];

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const median = (v: number[]) => {
  const s = v.slice().sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const fmt = (x: number) => (x === 0 ? "0" : x < 1e-3 || x >= 1e4 ? x.toExponential(1) : x.toPrecision(2));
const fmtT = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

const rows: string[] = [];
for (const { name, net, adamIts } of models) {
  for (const sigma of [0, 0.01, 0.05]) {
    const rng = new Rng(100 + Math.round(sigma * 1000));
    const ours: { err: number; ms: number; status: string }[] = [];
    const adam: { err: number; ms: number }[] = [];
    for (let k = 0; k < IMAGES; k++) {
      const z = Array.from({ length: net.inputDim }, () => Math.fround(rng.normal()));
      const y = forwardFloat32(net, z).map((v) => v + sigma * rng.normal());
      const r = invertGenerator(net, y, { noise: sigma, seed: k + 1, timeLimitMs: 60_000 });
      ours.push({ err: relErr(r.z, z), ms: r.timeMs, status: r.status });
      if (k < ADAM_IMAGES) {
        const g = gradientInversion(net, y, { restarts: 3, iterations: adamIts, seed: k + 1 });
        adam.push({ err: relErr(g.z, z), ms: g.timeMs });
      }
    }
    const statuses = new Map<string, number>();
    for (const o of ours) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    rows.push(
      `| ${name} | ${sigma} | ${fmt(median(ours.map((o) => o.err)))} / ${fmt(Math.max(...ours.map((o) => o.err)))} | ${fmtT(median(ours.map((o) => o.ms)))} | ${[...statuses].map(([s, c]) => `${c} ${s}`).join(", ")} | ${fmt(median(adam.map((a) => a.err)))} / ${fmt(Math.max(...adam.map((a) => a.err)))} | ${fmtT(median(adam.map((a) => a.ms)))} |`,
    );
    process.stderr.write(rows[rows.length - 1] + "\n");
  }
}
process.stdout.write(
  [
    `| model (float32) | σ | invertGenerator: median / worst error | median time | status | Adam (3 starts × its): median / worst error | median time |`,
    `|---|---|---|---|---|---|---|`,
    ...rows,
  ].join("\n") + "\n",
);
process.stdout.write(
  `\n${IMAGES} images per row (Adam: the first ${ADAM_IMAGES}); z ~ N(0, I) rounded to float32, y = float32 forward pass + N(0, σ²) noise; Adam: 3 seeded starts × 500 iterations (300 for the DCGAN), learning rate 0.1 decaying to 1e-4.\n`,
);
