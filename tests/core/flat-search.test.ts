/**
 * The branch and bound over flats (src/core/flat-search.ts) and the exact cover check
 * (findUncovered in src/core/certificate.ts) against simple exhaustive references, on small random
 * and degenerate layers: integer entries, repeated, antiparallel and zero rows, rank deficiency,
 * bias, both domains.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { FlatSearch } from "../../src/core/flat-search.js";
import { exactCover, findUncovered } from "../../src/core/certificate.js";
import { dyadicRows, exactRankBudgeted } from "../../src/core/exact.js";
import { normalizeLayer } from "../../src/core/layer.js";
import { HyperplaneOracle, HyperplaneSearch } from "../../src/core/hyperplane-search.js";
import { checkLayer } from "../../src/core/check-layer.js";
import { verifyCertificate } from "../../src/core/certificate.js";
import { gaussianLayer } from "../../src/experiments/phase.js";
import { Rng } from "../../src/core/random.js";
import { degenerateCaseArb, randomSupports, type DegenerateCase } from "../support/degenerate-layers.js";

const SEED = Number(process.env.CHECK_LAYER_SEED ?? 42);
const TOL = 1e-9;

type Case = DegenerateCase;

/** Small layers with many dependencies: integer rows, then copies (scaled, negated) and zero rows. */
const caseArb = degenerateCaseArb({ minN: 1, maxN: 4, maxExtra: 8, copy: 0.25, zero: 0.3 });

/** Runs a search to the end: true when it finds a strictly feasible flat (a collision). */
function flatSearchFindsCollision(
  c: Case,
  packingBound: boolean,
): { collision: boolean; search: FlatSearch } {
  const layer = normalizeLayer(c.W, c.b);
  const search = new FlatSearch(layer, c.domain, TOL, { packingBound });
  while (!search.done) if (search.step(1000)) return { collision: true, search };
  return { collision: false, search };
}

function exhaustiveFindsCollision(c: Case): boolean {
  const layer = normalizeLayer(c.W, c.b);
  const search = new HyperplaneSearch(new HyperplaneOracle(layer, c.domain, TOL), false);
  while (!search.done) if (search.step(1000)) return true;
  return false;
}

/** Rank of W (unit rows, Gram–Schmidt): the searches assume rank n, as checkLayer does. */
function rankOf(W: number[][]): number {
  return checkRank(W.filter((r) => r.some((v) => v !== 0)));
}
function checkRank(rows: number[][]): number {
  const basis: number[][] = [];
  for (const r0 of rows) {
    const s = Math.hypot(...r0);
    let r = r0.map((v) => v / s);
    for (const q of basis) {
      const d = r.reduce((a, v, j) => a + v * q[j], 0);
      r = r.map((v, j) => v - d * q[j]);
    }
    const t = Math.hypot(...r);
    if (t > 1e-9) basis.push(r.map((v) => v / t));
  }
  return basis.length;
}

describe("FlatSearch agrees with the plain hyperplane enumeration", () => {
  it("with and without the packing bound, on degenerate small layers", () => {
    let collisions = 0;
    let runs = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        if (rankOf(c.W) < c.W[0].length) return; // the rank test settles these before any search
        runs++;
        const ref = exhaustiveFindsCollision(c);
        const exact = flatSearchFindsCollision(c, false);
        expect(exact.collision, JSON.stringify(c)).toBe(ref);
        // The packing bound may only cut more; the caller re-checks its certificate. On these
        // inputs it must still never invent a collision.
        const packed = flatSearchFindsCollision(c, true);
        if (ref === false) expect(packed.collision, JSON.stringify(c)).toBe(false);
        if (ref) collisions++;
      }),
      { seed: SEED, numRuns: 1500 },
    );
    expect(runs).toBeGreaterThan(500);
    expect(collisions).toBeGreaterThan(50);
    expect(runs - collisions).toBeGreaterThan(50);
  });

  it("checkLayer's branch and bound equals exhaustive on Gaussian layers near the threshold", async () => {
    const rng = new Rng(SEED);
    let agree = 0;
    for (let t = 0; t < 40; t++) {
      const n = 3 + (t % 3);
      const m = Math.round((3 + rng.uniform() * 5) * n);
      const W = Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));
      const a = await checkLayer(W, null, { method: "exhaustive" });
      const c = await checkLayer(W, null, { method: "branch-and-bound" });
      expect(c.injective, `n=${n} m=${m} t=${t}`).toBe(a.injective);
      if (c.injective === true) expect(c.certificate!.duals.length).toBeGreaterThan(0);
      agree++;
    }
    expect(agree).toBe(40);
  });
});

describe("FlatSearch with and without bit sets", () => {
  /** Runs a search to the end, skipping witnesses; returns its counters and recorded proof. */
  const run = (
    W: number[][],
    b: number[],
    domain: "all" | "nonnegative",
    packingBound: boolean,
    bitsets: boolean,
  ) => {
    const search = new FlatSearch(normalizeLayer(W, b), domain, TOL, { packingBound, bitsets, record: true });
    const witnesses: number[][] = [];
    while (!search.done) {
      const w = search.step(1000);
      if (w) {
        witnesses.push(Array.from(w.v));
        search.skipWitness();
      }
    }
    return {
      counters: search.counters,
      proof: Array.from(search.proof()!.tokens),
      witnesses,
      duals: search.duals.length,
    };
  };

  it("grow the same tree on degenerate small layers", () => {
    const arb = degenerateCaseArb({ minN: 2, maxN: 6, maxExtra: 14, copy: 0.2, zero: 0.1 });
    fc.assert(
      fc.property(arb, fc.boolean(), (c, packingBound) => {
        const a = run(c.W, c.b, c.domain, packingBound, true);
        const b = run(c.W, c.b, c.domain, packingBound, false);
        expect(a).toEqual(b);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("grow the same tree on Gaussian layers where the shortcuts cut most children", () => {
    const rng = new Rng(SEED + 1);
    for (let t = 0; t < 12; t++) {
      const n = 5 + (t % 3);
      const m = Math.round((6 + rng.uniform() * 2) * n);
      const W = Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));
      const zero = new Array<number>(m).fill(0);
      const a = run(W, zero, "all", true, true);
      const b = run(W, zero, "all", true, false);
      expect(a.counters.nodes).toBeGreaterThan(10);
      expect(a).toEqual(b);
    }
  });
});

describe("Duals among the forbidden rows", () => {
  /** Runs a search to the end; true when it finds a strictly feasible flat (a collision). */
  const collides = (c: Case, forbiddenDuals: boolean, packingBound: boolean) => {
    const search = new FlatSearch(normalizeLayer(c.W, c.b), c.domain, TOL, { forbiddenDuals, packingBound });
    while (!search.done) if (search.step(1000)) return { collision: true, search };
    return { collision: false, search };
  };

  it("decide as the search without them on degenerate layers at n = 5–7, and do cut", () => {
    const arb = degenerateCaseArb({ minN: 5, maxN: 7, maxExtra: 18, copy: 0.2, zero: 0.1 });
    let cuts = 0;
    let runs = 0;
    fc.assert(
      fc.property(arb, (c) => {
        if (rankOf(c.W) < c.W[0].length) return;
        runs++;
        const ref = collides(c, false, false);
        const withDuals = collides(c, true, false);
        expect(withDuals.collision, JSON.stringify(c)).toBe(ref.collision);
        const packed = collides(c, true, true);
        if (!ref.collision) expect(packed.collision, JSON.stringify(c)).toBe(false);
        cuts += withDuals.search.counters.cutByForbiddenDual + packed.search.counters.cutByForbiddenDual;
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(runs).toBeGreaterThan(100);
    expect(cuts).toBeGreaterThan(0);
  });

  it("leave certificates whose proof replays, on injective Gaussian layers near the threshold", async () => {
    let cuts = 0;
    let smaller = 0;
    for (const [n, m, seed] of [
      [8, 50, 3],
      [8, 52, 4],
      [9, 58, 5],
    ] as const) {
      const { W } = gaussianLayer(n, m, false, seed);
      const r = await checkLayer(W, null, { method: "branch-and-bound", proof: true });
      if (r.injective !== true) continue;
      const v = verifyCertificate(W, null, r.certificate!);
      expect(v.valid, v.reason).toBe(true);
      expect(v.coverNodes).toBe(0);
      const layer = normalizeLayer(W, new Array<number>(m).fill(0));
      const nodes = (forbiddenDuals: boolean) => {
        const s = new FlatSearch(layer, "all", TOL, { forbiddenDuals });
        while (!s.done) expect(s.step(100000)).toBeNull();
        if (forbiddenDuals) cuts += s.counters.cutByForbiddenDual;
        return s.counters.nodes;
      };
      if (nodes(true) < nodes(false)) smaller++;
    }
    expect(cuts).toBeGreaterThan(0);
    expect(smaller).toBeGreaterThan(0);
  });
});

/** Does some hyperplane spanned by n − 1 rows meet every support? (W of rank n.) */
function bruteUncovered(
  W: number[][],
  supports: number[][],
  rank: (rows: number[][]) => number = checkRank,
): boolean {
  const n = W[0].length;
  const rows = W.map((_, i) => i).filter((i) => W[i].some((v) => v !== 0));
  const k = n - 1;
  const inSpan = (basisRows: number[], i: number) =>
    rank([...basisRows.map((r) => W[r]), W[i]]) === rank(basisRows.map((r) => W[r]));
  const meetsAll = (basisRows: number[]) =>
    supports.every((s) => s.some((i) => W[i].every((v) => v === 0) || inSpan(basisRows, i)));
  if (k === 0) return meetsAll([]);
  const comb: number[] = [];
  const rec = (start: number): boolean => {
    if (comb.length === k) return meetsAll(comb);
    for (let t = start; t < rows.length; t++) {
      comb.push(rows[t]);
      if (rec(t + 1)) return true;
      comb.pop();
    }
    return false;
  };
  return rec(0);
}

describe("findUncovered (exact cover check) against enumeration of hyperplanes", () => {
  it("random families of supports on degenerate layers", () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 2 ** 30 }), (c, s) => {
        const n = c.W[0].length;
        if (rankOf(c.W) < n || n < 2) return;
        const rng = new Rng(s);
        const m = c.W.length;
        const supports = randomSupports(rng, m, n, 1, 6);
        const unit = c.W.map((r) => {
          const t = Math.hypot(...r);
          return t > 0 ? r.map((v) => v / t) : r;
        });
        const found = findUncovered(supports, n, floatOps(unit, n));
        expect(found.uncovered !== null, JSON.stringify({ W: c.W, supports })).toBe(
          bruteUncovered(c.W, supports),
        );
      }),
      { seed: SEED, numRuns: 800 },
    );
  });
});

describe("exactCover (modular spans, with the hyperplane test at rank n − 2) against enumeration", () => {
  it("random families of supports on degenerate integer layers", () => {
    let cut = 0;
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 2 ** 30 }), (c, s) => {
        const n = c.W[0].length;
        if (rankOf(c.W) < n || n < 3) return;
        const rng = new Rng(s);
        const m = c.W.length;
        const supports = randomSupports(rng, m, n, 2, 12);
        const ints = dyadicRows(c.W, new Array<number>(m).fill(0));
        const found = exactCover(ints, supports, n);
        // The reference in exact arithmetic too (the rows as given, not rounded to a tolerance).
        const exactRank = (rows: number[][]) =>
          rows.length === 0
            ? 0
            : exactRankBudgeted(dyadicRows(rows, new Array<number>(rows.length).fill(0)).W, n);
        const brute = bruteUncovered(c.W, supports, exactRank);
        expect(found.uncovered !== null, JSON.stringify({ W: c.W, supports })).toBe(brute);
        // The same verdict without the test.
        expect(
          exactCover(ints, supports, n, undefined, undefined, { minorTests: false }).uncovered !== null,
        ).toBe(brute);
        cut += found.hyperplaneCuts;
      }),
      { seed: SEED, numRuns: 1500 },
    );
    // The rank n − 2 test did cut (not only the ordinary expansion ran).
    expect(cut).toBeGreaterThan(100);
  });
});

/** A plain span implementation (fresh Gram–Schmidt per query) for the test. */
function floatOps(unit: number[][], n: number) {
  type S = number[][];
  const residual = (s: S, v: number[]) => {
    let r = v.slice();
    for (const q of s) {
      const d = r.reduce((a, x, j) => a + x * q[j], 0);
      r = r.map((x, j) => x - d * q[j]);
    }
    return r;
  };
  return {
    empty: (): S => [],
    contains: (s: S, row: number) => Math.hypot(...residual(s, unit[row])) <= 1e-9,
    extend: (s: S, row: number): S => {
      const r = residual(s, unit[row]);
      const t = Math.hypot(...r);
      return t > 1e-9 && s.length < n ? [...s, r.map((x) => x / t)] : s;
    },
    rank: (s: S) => s.length,
  };
}
