/**
 * Small degenerate layers and random dual supports for the property tests of the searches over
 * flats (tests/core/flat-search.test.ts, tests/core/parallel-search.test.ts): integer or Gaussian
 * rows, scaled and negated copies of earlier rows, zero rows, integer biases, both domains.
 */

import fc from "fast-check";
import type { Domain } from "../../src/core/types.js";
import { Rng } from "../../src/core/random.js";
import { dyadicRows, exactRankBudgeted } from "../../src/core/exact.js";
import { normalizeLayer } from "../../src/core/layer.js";
import { HyperplaneOracle, HyperplaneSearch } from "../../src/core/hyperplane-search.js";

export interface DegenerateCase {
  W: number[][];
  b: number[];
  domain: Domain;
}

/** Shape of {@link degenerateCaseArb}: n in [minN, maxN], m = n + [0, maxExtra]; row kinds by probability. */
export interface DegenerateShape {
  minN: number;
  maxN: number;
  maxExtra: number;
  /** A row is a copy (×−1, −2, 0.5 or 3) of an earlier row with this probability. */
  copy: number;
  /** A row is zero when u < zero (and it is not a copy). */
  zero: number;
}

/** Small layers with many dependencies: integer rows, then copies (scaled, negated) and zero rows. */
export function degenerateCaseArb(shape: DegenerateShape): fc.Arbitrary<DegenerateCase> {
  return fc
    .record({
      n: fc.integer({ min: shape.minN, max: shape.maxN }),
      extra: fc.integer({ min: 0, max: shape.maxExtra }),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
      bias: fc.boolean(),
      orthant: fc.boolean(),
      float: fc.boolean(),
    })
    .map(({ n, extra, seed, bias, orthant, float }) => {
      const rng = new Rng(seed);
      const m = n + extra;
      const W: number[][] = [];
      for (let i = 0; i < m; i++) {
        const u = rng.uniform();
        if (i > 0 && u < shape.copy) {
          const src = W[Math.floor(rng.uniform() * i)];
          const s = [-1, -2, 0.5, 3][Math.floor(rng.uniform() * 4)];
          W.push(src.map((v) => v * s));
        } else if (u < shape.zero) W.push(new Array<number>(n).fill(0));
        else
          W.push(Array.from({ length: n }, () => (float ? rng.normal() : Math.floor(rng.uniform() * 5) - 2)));
      }
      const b = W.map(() => (bias ? Math.floor(rng.uniform() * 5) - 2 : 0));
      return { W, b, domain: orthant ? ("nonnegative" as const) : ("all" as const) };
    });
}

/** `minCount + [0, spread)` random supports of 1 … min(m, n + 1) distinct rows of an m-row layer. */
export function randomSupports(rng: Rng, m: number, n: number, minCount: number, spread: number): number[][] {
  return Array.from({ length: minCount + Math.floor(rng.uniform() * spread) }, () => {
    const size = 1 + Math.floor(rng.uniform() * Math.min(m, n + 1));
    const set = new Set<number>();
    while (set.size < size) set.add(Math.floor(rng.uniform() * m));
    return [...set];
  });
}

/** The exact rank of W (its nonzero rows, over the rationals). */
export function exactRank(W: number[][]): number {
  const rows = W.filter((r) => r.some((v) => v !== 0));
  return rows.length === 0
    ? 0
    : exactRankBudgeted(dyadicRows(rows, new Array<number>(rows.length).fill(0)).W, W[0].length);
}

/** The reference: the plain hyperplane enumeration finds a collision (tolerance 1e-9). */
export function exhaustiveFindsCollision(c: DegenerateCase): boolean {
  const search = new HyperplaneSearch(new HyperplaneOracle(normalizeLayer(c.W, c.b), c.domain, 1e-9), false);
  while (!search.done) if (search.step(1000)) return true;
  return false;
}
