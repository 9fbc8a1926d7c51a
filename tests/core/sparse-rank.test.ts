/**
 * The sparse rank mod p (src/core/sparse-rank.ts) against the dense one (modRank): the same matrix
 * over GF(p) has one rank, whatever the order of elimination. Random small matrices of every kind,
 * and the convolution matrices that the rule `conv-pairs` ranks, built with the toolkit's helpers.
 */

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { PRIMES, modRank } from "../../src/core/modular.js";
import { columnOrder, countNonzeros, sparseModRank, sparseResidues } from "../../src/core/sparse-rank.js";
import { Budget, ResourceLimitError } from "../../src/core/budget.js";
import { dyadicRows, exactRank, exactRankBudgeted } from "../../src/core/exact.js";
import { Rng } from "../../src/core/random.js";
import { convLayer, layerMatrix } from "../../src/model/network.js";
import type { ConvParams } from "../../src/model/conv-layer.js";
import { findConvPairs } from "../../src/network/conv-pairs.js";
import { halfRows, pairedTransposed } from "../../bench/sparse-rank.js";

const P = PRIMES[0];

const sparseRank = (rows: bigint[][], n: number, p = P): number =>
  sparseModRank(sparseResidues(rows, n, p), p);

/**
 * Random integer matrices: a density, entries that are sometimes multiples of p, then copies of
 * rows, combinations of rows (rank deficiency) and zero rows.
 */
const matrices = fc
  .record({
    m: fc.integer({ min: 0, max: 14 }),
    n: fc.integer({ min: 1, max: 14 }),
    density: fc.constantFrom(0.05, 0.15, 0.3, 0.6, 1),
    seed: fc.integer({ min: 0, max: 1e9 }),
    copies: fc.integer({ min: 0, max: 3 }),
    combos: fc.integer({ min: 0, max: 3 }),
    zeros: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ m, n, density, seed, copies, combos, zeros }) => {
    const rng = new Rng(seed);
    const entry = (): bigint => {
      if (rng.uniform() >= density) return 0n;
      const u = rng.uniform();
      if (u < 0.1) return BigInt(P) * BigInt(Math.floor(rng.uniform() * 5) - 2); // ≡ 0 mod p
      if (u < 0.2) return BigInt(P) * 3n + 1n; // ≡ 1 mod p, beyond 2^26
      return BigInt(Math.floor(rng.uniform() * 19) - 9);
    };
    const rows = Array.from({ length: m }, () => Array.from({ length: n }, entry));
    const pick = (): bigint[] => rows[Math.floor(rng.uniform() * rows.length)];
    for (let t = 0; t < copies && rows.length > 0; t++) rows.push(pick().slice());
    for (let t = 0; t < combos && rows.length > 0; t++) {
      const [a, b] = [pick(), pick()];
      rows.push(a.map((v, j) => 2n * v - 3n * b[j]));
    }
    for (let t = 0; t < zeros; t++)
      rows.splice(Math.floor(rng.uniform() * (rows.length + 1)), 0, new Array<bigint>(n).fill(0n));
    return { rows, n };
  });

describe("sparseModRank", () => {
  it("equals the dense modRank on random matrices (sparse, dense, deficient, repeated and zero rows, multiples of p)", () => {
    fc.assert(
      fc.property(matrices, ({ rows, n }) => {
        expect(sparseRank(rows, n)).toBe(modRank(rows, n, P));
      }),
      { seed: 11, numRuns: 400 },
    );
  });

  it("equals the dense modRank for a small prime, where many minors vanish mod p", () => {
    fc.assert(
      fc.property(matrices, ({ rows, n }) => {
        expect(sparseRank(rows, n, 7)).toBe(modRank(rows, n, 7));
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it("handles the edge cases: no rows, zero rows only, every entry a multiple of p", () => {
    expect(sparseRank([], 3)).toBe(0);
    expect(sparseRank([[0n, 0n]], 2)).toBe(0);
    expect(sparseRank([[BigInt(P), -2n * BigInt(P)]], 2)).toBe(0);
    expect(sparseRank([[1n], [2n], [3n]], 1)).toBe(1);
    expect(sparseRank([[1n, 2n, 3n]], 3)).toBe(1);
    // A lower bound of the rational rank, strictly below it when p divides a minor.
    expect(
      sparseRank(
        [
          [1n, 1n],
          [1n, 8n],
        ],
        2,
        7,
      ),
    ).toBe(1);
    expect(
      exactRank(
        [
          [1n, 1n],
          [1n, 8n],
        ],
        2,
      ),
    ).toBe(2);
  });

  it("orders columns as a permutation", () => {
    fc.assert(
      fc.property(matrices, ({ rows, n }) => {
        const pos = columnOrder(sparseResidues(rows, n, P));
        expect([...pos].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, j) => j));
      }),
      { seed: 13, numRuns: 100 },
    );
  });

  it("reserves the memory of its pivot rows", () => {
    const rows = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: 40 }, (_, j) => BigInt((i * j) % 7) + (i === j ? 1n : 0n)),
    );
    const A = sparseResidues(rows, 40, P);
    expect(sparseModRank(A, P, new Budget(Infinity, undefined, 1e9))).toBe(modRank(rows, 40, P));
    expect(() => sparseModRank(A, P, new Budget(Infinity, undefined, 1000), "the small test")).toThrow(
      /pivot rows of the small test/,
    );
  });

  it("stops at the deadline, naming the stage", () => {
    const budget = new Budget(performance.now() - 1, undefined, 1e9);
    expect(() => sparseModRank(sparseResidues([[1n]], 1, P), P, budget, "the sparse test")).toThrow(
      ResourceLimitError,
    );
    expect(() => sparseModRank(sparseResidues([[1n]], 1, P), P, budget, "the sparse test")).toThrow(
      /the sparse test/,
    );
  });
});

/** The rows of the convolution of C of a fully paired layer, and its column count. */
function halfOf(p: ConvParams): { rows: bigint[][]; n: number } {
  expect(findConvPairs(p).unpaired).toEqual([]);
  return { rows: halfRows(p), n: p.inputShape.reduce((a, v) => a * v, 1) };
}

describe("sparseModRank on convolution matrices", () => {
  it("equals the dense modRank on paired transposed convolutions (full rank, and with channels dropped)", () => {
    for (const [cin, side, half, seed] of [
      [8, 4, 2, 1],
      [12, 4, 3, 2],
      [4, 8, 1, 3],
      [6, 6, 2, 4],
    ]) {
      const { rows, n } = halfOf(pairedTransposed(cin, side, half, seed));
      expect(countNonzeros(rows, n)).toBeLessThan(0.5 * rows.length * n);
      const dense = modRank(rows, n, P);
      expect(sparseRank(rows, n)).toBe(dense);
      expect(exactRankBudgeted(rows, n)).toBe(dense); // full rank: the sparse path decides
      // Fewer rows than columns, and a repeated block of rows: rank deficient.
      const cut = rows.slice(0, Math.floor(rows.length / 2));
      expect(sparseRank(cut, n)).toBe(modRank(cut, n, P));
      const doubled = [...cut, ...cut];
      expect(sparseRank(doubled, n)).toBe(modRank(doubled, n, P));
    }
  });

  it("equals the dense modRank on a convolution with a kernel of zeros (rank deficient)", () => {
    // 8 channels of 3×3 in (72 columns), 2 pairs out of 6×6; small integer weights, so that the
    // rational elimination after a deficient rank mod p is quick. Zeroing the second pair leaves
    // the 36 rows of C_0 (and their multiples): rank at most 36.
    const p = pairedTransposed(8, 3, 2, 5);
    const k = p.kernels as unknown as number[][][][];
    for (const perInput of k) {
      const c0 = perInput[0].map((r) => r.map((v) => Math.round(v)));
      const zero = c0.map((r) => r.map(() => 0));
      perInput.splice(
        0,
        4,
        c0,
        zero,
        c0.map((r) => r.map((v) => -4 * v)),
        zero,
      );
    }
    const W = layerMatrix(convLayer(p, "linear"));
    const rows = dyadicRows(W, new Array<number>(W.length).fill(0)).W;
    const n = W[0].length;
    const rank = modRank(rows, n, P);
    expect(rank).toBeLessThan(n);
    expect(sparseRank(rows, n)).toBe(rank);
    expect(exactRankBudgeted(rows, n)).toBe(exactRank(rows, n));
  });
});
