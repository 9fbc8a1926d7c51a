#!/usr/bin/env node
/**
 * Measures Theorem 3's inverse Lipschitz constants on random injective layers and prints a
 * Markdown table (docs/stability.md shows its output). Needs the build: `npm run build` first.
 *
 *     node scripts/lipschitz-table.mjs [--layers N] [--samples N] [--seed S]
 *
 * Families (all seeded with src/core/random.ts): iid Gaussian layers without bias, drawn until
 * injective (as in docs/stability.md), Gaussian layers with a Gaussian bias,
 * and Corollary 2 layers [B; −DB; M] with B Gaussian and d uniform in [0.25, 4]. For each layer it
 * runs `inverseLipschitz` (exact C(W) by cell enumeration, empirical ratio with `--samples` pairs)
 * and reports ratios between the numbers. The ratios are reproducible; the times are not.
 */

import process from "node:process";
import console from "node:console";
import { inverseLipschitz, corollary2LowerBound } from "../dist/src/core/lipschitz.js";
import { Rng } from "../dist/src/core/random.js";

function option(name, fallback) {
  const k = process.argv.indexOf(name);
  if (k < 0) return fallback;
  const v = Number(process.argv[k + 1]);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`lipschitz-table: ${name} needs a positive integer, got ${process.argv[k + 1]}`);
    process.exit(3);
  }
  return v;
}

const LAYERS = option("--layers", 16);
const SAMPLES = option("--samples", 2000);
const SEED = option("--seed", 1);

const gaussian = (rng, m, n) =>
  Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));

/** Families: each draws one candidate layer; non-injective candidates are skipped. */
const FAMILIES = [
  {
    name: "Gaussian, no bias, n ≤ 3, m ∈ [2n, 4n] (as in docs/stability.md)",
    draw(rng) {
      const n = 2 + Math.floor(rng.uniform() * 2);
      const m = 2 * n + Math.floor(rng.uniform() * (2 * n + 1));
      return { W: gaussian(rng, m, n), b: null };
    },
  },
  {
    name: "Gaussian, no bias, n = 3, m = 18",
    draw: (rng) => ({ W: gaussian(rng, 18, 3), b: null }),
  },
  {
    name: "Gaussian with bias, n = 2, m = 10",
    draw: (rng) => ({ W: gaussian(rng, 10, 2), b: gaussian(rng, 1, 10)[0] }),
  },
  {
    name: "Corollary 2 [B; −DB], n = 3",
    draw(rng) {
      const B = gaussian(rng, 3, 3);
      const d = B.map(() => 0.25 * 16 ** rng.uniform());
      return { W: [...B, ...B.map((row, k) => row.map((v) => -d[k] * v))], b: null, B, d, extra: 0 };
    },
  },
  {
    name: "Corollary 2 [B; −DB; M], n = 3, 3 extra rows",
    draw(rng) {
      const B = gaussian(rng, 3, 3);
      const d = B.map(() => 0.25 * 16 ** rng.uniform());
      const M = gaussian(rng, 3, 3);
      return { W: [...B, ...B.map((row, k) => row.map((v) => -d[k] * v)), ...M], b: null, B, d, extra: 3 };
    },
  },
];

const fmt = (x, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : "–");
const range = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = [];
for (const [f, family] of FAMILIES.entries()) {
  const rng = new Rng(SEED * 1000 + f);
  const stats = [];
  let drawn = 0;
  while (stats.length < LAYERS && drawn < 50 * LAYERS) {
    drawn++;
    const L = family.draw(rng);
    const r = await inverseLipschitz(L.W, L.b, { samples: SAMPLES, seed: SEED + drawn });
    if (r.injective !== true || !r.exact) continue;
    if (r.empiricalRatio < r.C) throw new Error(`Theorem 3 violated on ${JSON.stringify(L)}`);
    const cor = L.B ? corollary2LowerBound(L.B, L.d, L.extra).sigmaLowerBound / r.sigmaMinActive : NaN;
    stats.push({
      m: r.m,
      cells: r.stats.cells,
      empOverC: r.empiricalRatio / r.C,
      empOverSharp: r.empiricalRatio / r.sharperC,
      empOverSigma: r.empiricalRatio / r.sigmaMinActive,
      blindOverC: r.empirical.blindRatio / r.C,
      blindOverSigma: r.empirical.blindRatio / r.sigmaMinActive,
      naiveOverSigma: r.naiveSigmaMin / r.sigmaMinActive,
      corOverSigma: cor,
      ms: r.stats.timeMs,
    });
  }
  const below = stats.filter((s) => s.empOverSigma < 1 - 1e-9).length;
  const blindBelow = stats.filter((s) => s.blindOverSigma < 1 - 1e-9).length;
  rows.push([
    family.name,
    `${stats.length} of ${drawn}`,
    range(stats.map((s) => s.m)),
    fmt(median(stats.map((s) => s.cells))),
    range(stats.map((s) => s.empOverC)),
    range(stats.map((s) => s.empOverSharp)),
    `${range(stats.map((s) => s.empOverSigma))} (${below} below 1)`,
    range(stats.map((s) => s.blindOverC)),
    `${range(stats.map((s) => s.blindOverSigma))} (${blindBelow} below 1)`,
    fmt(median(stats.map((s) => s.naiveOverSigma))),
    L_or_dash(stats.map((s) => s.corOverSigma)),
    fmt(median(stats.map((s) => s.ms)), 2),
  ]);
}

function L_or_dash(xs) {
  return xs.every((x) => Number.isNaN(x)) ? "–" : range(xs);
}

const header = [
  "family",
  "injective layers (of drawn)",
  "m",
  "cells (median)",
  "empirical / C",
  "empirical / sharper C",
  "empirical / σ_min active",
  "blind / C",
  "blind / σ_min active",
  "naive σ_min / σ_min active (median)",
  "Corollary 2 bound / σ_min active",
  "ms per layer (median)",
];
console.log(`Seed ${SEED}, ${LAYERS} injective layers per family, ${SAMPLES} sampled pairs per layer.\n`);
console.log(`| ${header.join(" | ")} |`);
console.log(`|${header.map((_, j) => (j === 0 ? ":---" : "---:")).join("|")}|`);
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
