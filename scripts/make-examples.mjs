#!/usr/bin/env node
/**
 * Writes the bundled example layers examples/layers/*.json, deterministically.
 *
 *     node scripts/make-examples.mjs [output directory, default examples/layers]
 *
 * Each file is `{ name, description, source, W, b, expected }` (the format read by
 * src/io/layer-file.ts). `expected[domain]` is the verdict known a priori from the paper, the
 * criterion in docs/verifier.md or the hand argument in the description, and null when there is
 * no such claim (iid Gaussian layers: Theorem 2 only speaks of probabilities as n → ∞).
 *
 * Gaussian entries come from a seeded mulberry32 generator with Box–Muller (the same stream as
 * `new Rng(seed).normal()` in src/core/random.ts), rounded to 6 significant digits; the seed is
 * printed in the description. Running the script twice gives byte-identical files.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import console from "node:console";

// ---------------------------------------------------------------------------------------------
// Seeded Gaussian numbers (mulberry32 + Box–Muller, as src/core/random.ts)
// ---------------------------------------------------------------------------------------------

function makeRng(seed) {
  let state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  let spare = null;
  const uniform = () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

/** Rounds to 6 significant digits (and turns -0 into 0). */
const round6 = (x) => Number(x.toPrecision(6)) + 0;

/** An m×n matrix of iid standard normal entries, row by row, rounded to 6 significant digits. */
function gaussian(m, n, seed) {
  const rng = makeRng(seed);
  return Array.from({ length: m }, () => Array.from({ length: n }, () => round6(rng.normal())));
}

// ---------------------------------------------------------------------------------------------
// Small exact helpers for the hand-checked constructions
// ---------------------------------------------------------------------------------------------

function det(A) {
  const n = A.length;
  if (n === 1) return A[0][0];
  let s = 0;
  for (let j = 0; j < n; j++) {
    const minor = A.slice(1).map((row) => row.filter((_, k) => k !== j));
    s += (j % 2 === 0 ? 1 : -1) * A[0][j] * det(minor);
  }
  return s;
}

/** −D B for a positive diagonal D given by its diagonal. */
function minusDB(d, B) {
  return B.map((row, i) => row.map((v) => -d[i] * v + 0));
}

function assert(cond, message) {
  if (!cond) throw new Error(`make-examples: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// The examples
// ---------------------------------------------------------------------------------------------

const B2 = [
  [2, 1],
  [1, 3],
];
const D2 = [1, 2];
assert(det(B2) !== 0, "B2 must be a basis");
const fig2center = [...B2, ...minusDB(D2, B2)];

const B3 = [
  [1, 2, 0],
  [0, 1, -1],
  [2, 0, 1],
];
const D3 = [1, 2, 3];
const M3 = [
  [1, 1, 1],
  [-1, 3, 2],
];
assert(det(B3) === -3, "B3 must be a basis with det −3");

const rankDeficient = [
  [1, 2, 3],
  [2, 4, 6],
  [-1, 0, 1],
  [0, -2, -4],
];
const nullVector = [1, -2, 1];
assert(
  rankDeficient.every((row) => row.reduce((s, v, j) => s + v * nullVector[j], 0) === 0),
  "(1, -2, 1) must be in the null space of the rank-deficient example",
);

const SEED_WIDE = 2021;
const SEED_NARROW = 3400;

/** @type {{file: string, name: string, description: string, source: string, W: number[][], b: number[] | null, expected: {all: boolean | null, nonnegative: boolean | null}}[]} */
const examples = [
  {
    file: "01-identity-2d.json",
    name: "Identity I_2",
    description:
      "Full rank but not injective on R^2: at x = (-1, 0) only row 1 is active (rows are numbered from 0, as in the CLI), so ReLU(I x) maps (-1, 0) and (-2, 0) to (0, 0). On the open orthant both rows are active, so it is injective there.",
    source: "paper, remark after Definition 1 (R^n) and Remark 2 (orthant)",
    W: [
      [1, 0],
      [0, 1],
    ],
    b: null,
    expected: { all: false, nonnegative: true },
  },
  {
    file: "02-identity-pair-3d.json",
    name: "[I; -I] in R^3",
    description:
      "Corollary 2 with B = I, D = I (m = 2n = 6): of each pair (e_j, -e_j) one row is active at every x, and these rows span R^3.",
    source: "paper, Corollary 2 (equation (5))",
    W: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, -1],
    ],
    b: null,
    expected: { all: true, nonnegative: true },
  },
  {
    file: "03-figure2-left.json",
    name: "Figure 2 (left)",
    description:
      "Four full-rank rows at angles 0, 90, 206.6 and 243.4 degrees: no x != 0 has Wx <= 0 (largest gap 116.6 < 180), yet two wedges see one active row (rows numbered from 0: at x = (1, -0.2) only row 0; at x = (-0.2, 1) only row 1), so ReLU(Wx) collides there. On the open orthant rows 0 and 1 are both active and span R^2: injective.",
    source: "paper, Figure 2 (left), concrete vectors chosen by hand",
    W: [
      [1, 0],
      [0, 1],
      [-1, -2],
      [-2, -1],
    ],
    b: null,
    expected: { all: false, nonnegative: true },
  },
  {
    file: "04-figure2-center.json",
    name: "Figure 2 (center)",
    description:
      "A minimally expansive injective layer [B; -DB] with B = [[2,1],[1,3]] (det 5) and D = diag(1, 2): of each antiparallel pair one row is active at every x, and the active rows always contain a basis.",
    source: "paper, Figure 2 (center) and Corollary 2",
    W: fig2center,
    b: null,
    expected: { all: true, nonnegative: true },
  },
  {
    file: "05-corollary2-extra-rows.json",
    name: "Corollary 2 with extra rows",
    description:
      "[B; -DB; M] with B = [[1,2,0],[0,1,-1],[2,0,1]] (det -3), D = diag(1, 2, 3) and two arbitrary integer rows M: injective for every M, because one row of each pair (b_j, -d_j b_j) is active at every x.",
    source: "paper, Corollary 2 (the construction with m > 2n)",
    W: [...B3, ...minusDB(D3, B3), ...M3],
    b: null,
    expected: { all: true, nonnegative: true },
  },
  {
    file: "06-figure2-center-minus-row.json",
    name: "Figure 2 (center) minus one row",
    description:
      "Example 04 without its last row: m = 3 < 2n = 4, so by Corollary 2 it is not injective on R^2 (at x = (3, -2) only row 0 is active; rows are numbered from 0). On the open orthant rows (2,1) and (1,3) are both positive and span R^2, so it is injective there: Corollary 2 is about R^n only.",
    source: "paper, Corollary 2 (m < 2n), orthant case by hand (Remark 1)",
    W: fig2center.slice(0, 3),
    b: null,
    expected: { all: false, nonnegative: true },
  },
  {
    file: "07-lemma1-counterexample.json",
    name: "Lemma 1 counterexample",
    description:
      "n = 1, W = [1; -1], b = [1; -0.5]: F(x) = (x+1, 0) for x >= -0.5, (0, -x-0.5) for x <= -1 and both entries positive in between, so F is injective; yet W|b>=0 = [1; 0] gives ReLU(x), which is not. Lemma 1 is only sufficient.",
    source: "docs/verifier.md (Lemma 1 is only sufficient), against the paper's Lemma 1",
    W: [[1], [-1]],
    b: [1, -0.5],
    expected: { all: true, nonnegative: true },
  },
  {
    file: "08-rank-deficient.json",
    name: "Rank-deficient 4x3",
    description:
      "Integer 4x3 matrix of rank 2 (rows numbered from 0: row 1 = 2 row 0, row 3 = -(row 0 + row 2)): F(x) = F(x + t v) for v = (1, -2, 1) in the null space, also inside the open orthant.",
    source: "hand construction (rank W < n is never injective)",
    W: rankDeficient,
    b: null,
    expected: { all: false, nonnegative: false },
  },
  {
    file: "09-one-dimensional.json",
    name: "n = 1: [2; -3]",
    description:
      "In one dimension a pair of opposite rows suffices: for x > 0 row 0 is active, for x < 0 row 1 (numbered from 0), and F(0) = 0 is hit only at 0.",
    source: "paper, Corollary 2 with n = 1 (B = [2], D = [1.5])",
    W: [[2], [-3]],
    b: null,
    expected: { all: true, nonnegative: true },
  },
  {
    file: "10-gaussian-n4-alpha10.json",
    name: "Gaussian n = 4, alpha = 10",
    description: `iid N(0,1) entries, m = 40, n = 4, seed ${SEED_WIDE} (mulberry32 + Box-Muller, rounded to 6 digits). Theorem 2: injective with probability -> 1 for alpha >= 10.5 as n -> infinity; at n = 4 this is only a likely outcome, so no a-priori verdict.`,
    source: "paper, Theorem 2 (random layer)",
    W: gaussian(40, 4, SEED_WIDE),
    b: null,
    expected: { all: null, nonnegative: null },
  },
  {
    file: "11-gaussian-n4-alpha3.json",
    name: "Gaussian n = 4, alpha = 3",
    description: `iid N(0,1) entries, m = 12, n = 4, seed ${SEED_NARROW} (mulberry32 + Box-Muller, rounded to 6 digits). Theorem 2: injective with probability -> 0 for alpha <= 3.4 as n -> infinity; at n = 4 only likely, so no a-priori verdict.`,
    source: "paper, Theorem 2 (random layer)",
    W: gaussian(12, 4, SEED_NARROW),
    b: null,
    expected: { all: null, nonnegative: null },
  },
  {
    file: "12-bias-gap.json",
    name: "Bias opens a gap",
    description:
      "W = [1; -1] is injective without bias (example 09's shape), but b = [-1; -1] makes both rows negative on (-1, 1): F = 0 there, on R and on the orthant (any two points of [0, 1)).",
    source: "hand construction (bias; docs/verifier.md, The criterion)",
    W: [[1], [-1]],
    b: [-1, -1],
    expected: { all: false, nonnegative: false },
  },
  {
    file: "13-counting-is-not-enough.json",
    name: "Counting is not enough",
    description:
      "Every closed half-plane holds at least 2 = n rows, but rows 0 and 1 (numbered from 0) are parallel: at x = (1, 0) only they are active (rank 1), so F(1, 0) = F(1, 0.5). Degenerate rows need ranks, not counts; the collision also occurs in the orthant (x = (1, 0.1)).",
    source: "docs/verifier.md (The criterion; degenerate weights)",
    W: [
      [1, 0],
      [2, 0],
      [-1, 1],
      [-1, -1],
      [-1, 0],
    ],
    b: null,
    expected: { all: false, nonnegative: false },
  },
];

// ---------------------------------------------------------------------------------------------
// Output: 2-space JSON with each row of W on one line
// ---------------------------------------------------------------------------------------------

function formatExample(ex) {
  const s = (v) => JSON.stringify(v);
  const rows = ex.W.map((row) => `    [${row.map(s).join(", ")}]`).join(",\n");
  return (
    [
      "{",
      `  "name": ${s(ex.name)},`,
      `  "description": ${s(ex.description)},`,
      `  "source": ${s(ex.source)},`,
      `  "W": [\n${rows}\n  ],`,
      `  "b": ${ex.b === null ? "null" : `[${ex.b.map(s).join(", ")}]`},`,
      `  "expected": { "all": ${s(ex.expected.all)}, "nonnegative": ${s(ex.expected.nonnegative)} }`,
      "}",
    ].join("\n") + "\n"
  );
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = resolve(process.argv[2] ?? join(root, "examples", "layers"));
mkdirSync(outDir, { recursive: true });
for (const ex of examples) {
  const n = ex.W[0].length;
  assert(
    ex.W.every((row) => row.length === n && row.every(Number.isFinite)),
    `${ex.file}: W is not a matrix`,
  );
  assert(ex.b === null || ex.b.length === ex.W.length, `${ex.file}: b has the wrong length`);
  const text = formatExample(ex);
  const parsed = JSON.parse(text);
  assert(JSON.stringify(parsed.W) === JSON.stringify(ex.W), `${ex.file}: W does not round-trip`);
  writeFileSync(join(outDir, ex.file), text);
  console.log(`wrote ${join(outDir, ex.file)} (${ex.W.length}x${n})`);
}
