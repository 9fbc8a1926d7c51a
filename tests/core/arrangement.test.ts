/**
 * Tests of the cell enumeration (src/core/arrangement.ts): cell counts against the known formulas
 * for arrangements in general position, degenerate rows (zero, duplicated, negated, parallel),
 * the orthant, the interior points and their margins, limits and cancellation, and validation.
 * An independent cross-check of the sign vectors against all 2^m patterns (HiGHS) is in
 * tests/core/lipschitz.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  ArrangementLimitError,
  CellEnumerator,
  enumerateCells,
  strictFeasiblePoint,
  type ArrangementCell,
} from "../../src/core/arrangement.js";
import { Rng } from "../../src/core/random.js";
import { InputRangeError, InputTypeError } from "../../src/core/validate.js";

const binom = (a: number, k: number): number => {
  if (k < 0 || k > a) return 0;
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (a - i)) / (i + 1);
  return Math.round(r);
};
/** m hyperplanes through 0 in general position in R^n. */
const centralCount = (m: number, n: number): number => {
  let s = 0;
  for (let k = 0; k < n; k++) s += binom(m - 1, k);
  return 2 * s;
};
/** m affine hyperplanes in general position in R^n. */
const affineCount = (m: number, n: number): number => {
  let s = 0;
  for (let k = 0; k <= n; k++) s += binom(m, k);
  return s;
};

const gaussian = (rng: Rng, m: number, n: number): number[][] =>
  Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));

/** Every cell's point is strictly on the stated side of every row, with the stated margin. */
function checkCells(W: number[][], b: number[] | null, cells: ArrangementCell[], orthant = false): void {
  const seen = new Set<string>();
  for (const cell of cells) {
    const key = cell.signs.join(",");
    expect(seen.has(key), `duplicate cell ${key}`).toBe(false);
    seen.add(key);
    expect(cell.margin).toBeGreaterThan(0);
    W.forEach((w, i) => {
      const norm = Math.hypot(...w);
      const v = w.reduce((s, wj, j) => s + wj * cell.point[j], b ? b[i] : 0);
      if (cell.signs[i] === 0) {
        expect(norm === 0 || norm < 1e-9).toBe(true);
      } else if (norm > 0) {
        expect(cell.signs[i] * v).toBeGreaterThanOrEqual(cell.margin * norm * (1 - 1e-9));
      } else {
        expect(Math.sign(b ? b[i] : 0)).toBe(cell.signs[i]);
      }
    });
    if (orthant) for (const x of cell.point) expect(x).toBeGreaterThanOrEqual(cell.margin * (1 - 1e-9));
  }
}

describe("cell counts of arrangements in general position", () => {
  const rng = new Rng(20240601);
  const shapes: [number, number][] = [
    [1, 1],
    [5, 1],
    [1, 2],
    [2, 2],
    [6, 2],
    [2, 3],
    [3, 3],
    [7, 3],
    [12, 3],
    [4, 4],
    [9, 4],
    [7, 5],
  ];
  for (const [m, n] of shapes) {
    it(`central, m = ${m}, n = ${n}: 2 Σ_{k<n} C(m−1, k) = ${centralCount(m, n)} cells`, async () => {
      const W = gaussian(rng, m, n);
      const r = await enumerateCells(W);
      expect(r.complete).toBe(true);
      expect(r.stopReason).toBeNull();
      expect(r.hyperplanes).toBe(n === 1 ? 1 : m); // in R^1 every row's hyperplane is {0}
      expect(r.cells.length).toBe(centralCount(m, n));
      checkCells(W, null, r.cells);
    });
    it(`affine, m = ${m}, n = ${n}: Σ_{k≤n} C(m, k) = ${affineCount(m, n)} cells`, async () => {
      const W = gaussian(rng, m, n);
      const b = Array.from({ length: m }, () => rng.normal());
      const r = await enumerateCells(W, b);
      expect(r.complete).toBe(true);
      expect(r.cells.length).toBe(affineCount(m, n));
      checkCells(W, b, r.cells);
    });
  }

  it("the sign vectors of a central arrangement come in opposite pairs (x and −x)", async () => {
    const W = gaussian(new Rng(5), 6, 3);
    const r = await enumerateCells(W);
    const keys = new Set(r.cells.map((c) => c.signs.join(",")));
    for (const c of r.cells) expect(keys.has(c.signs.map((s) => -s).join(","))).toBe(true);
  });

  it("large biases and tiny biases give the same counts (offsets are scaled)", async () => {
    const rng2 = new Rng(77);
    const W = gaussian(rng2, 8, 2);
    const b = Array.from({ length: 8 }, () => rng2.normal());
    for (const s of [1e-8, 1, 1e8]) {
      const scaled = b.map((v) => v * s);
      const r = await enumerateCells(W, scaled);
      expect(r.cells.length).toBe(affineCount(8, 2));
      checkCells(W, scaled, r.cells);
    }
  });
});

describe("degenerate rows", () => {
  it("zero rows are no hyperplanes: their sign is the sign of their bias, 0 without bias", async () => {
    const W = [
      [1, 0],
      [0, 0],
      [0, 1],
      [0, 0],
      [0, 0],
    ];
    const b = [0, 2, 0, -1, 0];
    const r = await enumerateCells(W, b);
    expect(r.cells.length).toBe(4);
    expect(r.zeroRows).toEqual([1, 3, 4]);
    expect(r.hyperplanes).toBe(2);
    for (const c of r.cells) {
      expect(c.signs[1]).toBe(1);
      expect(c.signs[3]).toBe(-1);
      expect(c.signs[4]).toBe(0);
    }
    checkCells(W, b, r.cells);
  });

  it("an all-zero W has one cell", async () => {
    const r = await enumerateCells([[0, 0, 0]], [3]);
    expect(r.cells.length).toBe(1);
    expect(r.cells[0].signs).toEqual([1]);
    expect(r.hyperplanes).toBe(0);
  });

  it("duplicated, scaled and negated rows define one hyperplane; signs follow the scale", async () => {
    const W = [
      [1, 2],
      [2, 4],
      [-3, -6],
      [1, -1],
    ];
    const b = [1, 2, -3, 0];
    const r = await enumerateCells(W, b);
    expect(r.hyperplanes).toBe(2);
    expect(r.sameHyperplaneAs).toEqual([0, 0, 0, 3]);
    expect(r.cells.length).toBe(4);
    for (const c of r.cells) {
      expect(c.signs[1]).toBe(c.signs[0]);
      expect(c.signs[2]).toBe(-c.signs[0]);
    }
    checkCells(W, b, r.cells);
  });

  it("parallel rows with different biases: k parallel hyperplanes cut R^n into k + 1 slabs", async () => {
    const W = [
      [1, 1],
      [2, 2],
      [-1, -1],
      [3, 3],
    ];
    const b = [0, 1, 5, -2];
    const r = await enumerateCells(W, b);
    expect(r.hyperplanes).toBe(4);
    expect(r.cells.length).toBe(5);
    checkCells(W, b, r.cells);
  });

  it("antiparallel rows without bias (Corollary 2's pairs) are one hyperplane", async () => {
    const W = [
      [2, 1],
      [1, 3],
      [-2, -1],
      [-2, -6],
    ];
    const r = await enumerateCells(W);
    expect(r.hyperplanes).toBe(2);
    expect(r.cells.length).toBe(4);
    checkCells(W, null, r.cells);
  });

  it("m < n: a central arrangement of m independent hyperplanes has 2^m cells", async () => {
    const r = await enumerateCells([
      [1, 0, 0, 0],
      [0, 1, 1, 0],
      [0, 0, 1, 1],
    ]);
    expect(r.cells.length).toBe(8);
  });

  it("three concurrent lines through one point (not in general position) make 6 cells, not 7", async () => {
    const W = [
      [1, 0],
      [0, 1],
      [1, 1],
    ];
    const b = [-1, -1, -2]; // all through (1, 1)
    const r = await enumerateCells(W, b);
    expect(r.cells.length).toBe(6);
    checkCells(W, b, r.cells);
  });

  it("n = 1: m distinct points split the line into m + 1 intervals", async () => {
    const W = [[1], [-2], [0.5], [1]];
    const b = [0, 1, 2, 3];
    const r = await enumerateCells(W, b);
    expect(r.cells.length).toBe(5);
    checkCells(W, b, r.cells);
  });
});

describe("the nonnegative orthant", () => {
  it("lines through 0 that cross the open quadrant: k of them make k + 1 cells", async () => {
    const W = [
      [1, -1], // crosses the quadrant
      [1, 2], // does not (positive on the quadrant)
      [-2, 1], // crosses
      [-1, -3], // does not (negative on the quadrant)
      [3, -1], // crosses
    ];
    const r = await enumerateCells(W, null, { domain: "nonnegative" });
    expect(r.cells.length).toBe(4);
    checkCells(W, null, r.cells, true);
    for (const c of r.cells) {
      expect(c.signs[1]).toBe(1);
      expect(c.signs[3]).toBe(-1);
    }
  });

  it("the coordinate hyperplanes are the boundary, not cells: the identity has one cell", async () => {
    const r = await enumerateCells(
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      null,
      { domain: "nonnegative" },
    );
    expect(r.cells.length).toBe(1);
    expect(r.cells[0].signs).toEqual([1, 1, 1]);
  });

  it("a hyperplane that misses the orthant splits nothing; a bias can move it in", async () => {
    const W = [[1, 1]];
    expect((await enumerateCells(W, [1], { domain: "nonnegative" })).cells.length).toBe(1);
    expect((await enumerateCells(W, [-1], { domain: "nonnegative" })).cells.length).toBe(2);
  });

  it("orthant cells are the cells of R^n that meet the open orthant", async () => {
    const rng = new Rng(9);
    const W = gaussian(rng, 7, 3);
    const b = Array.from({ length: 7 }, () => rng.normal());
    const all = await enumerateCells(W, b);
    const pos = await enumerateCells(W, b, { domain: "nonnegative" });
    const keys = new Set(all.cells.map((c) => c.signs.join(",")));
    expect(pos.cells.length).toBeGreaterThan(0);
    expect(pos.cells.length).toBeLessThanOrEqual(all.cells.length);
    for (const c of pos.cells) expect(keys.has(c.signs.join(","))).toBe(true);
    checkCells(W, b, pos.cells, true);
  });
});

describe("limits, streaming and the LP helper", () => {
  const W = gaussian(new Rng(3), 14, 3);

  it("maxCells truncates and proves that more cells exist", async () => {
    const r = await enumerateCells(W, null, { maxCells: 10 });
    expect(r.complete).toBe(false);
    expect(r.stopReason).toBe("cell-limit");
    expect(r.cells.length).toBe(10);
    const exact = await enumerateCells(W, null, { maxCells: centralCount(14, 3) });
    expect(exact.complete).toBe(true);
    expect(exact.cells.length).toBe(centralCount(14, 3));
  });

  it('onLimit "throw" throws an ArrangementLimitError', async () => {
    await expect(enumerateCells(W, null, { maxCells: 3, onLimit: "throw" })).rejects.toBeInstanceOf(
      ArrangementLimitError,
    );
  });

  it("an aborted signal cancels; a tiny time limit stops with time-limit", async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await enumerateCells(W, null, { signal: ac.signal });
    expect(r.stopReason).toBe("cancelled");
    expect(r.complete).toBe(false);
    const big = gaussian(new Rng(4), 40, 4);
    const t = await enumerateCells(big, null, { timeLimitMs: 5 });
    expect(t.stopReason).toBe("time-limit");
    expect(t.complete).toBe(false);
  });

  it("streaming: onCell returning false keeps cells out of the result; the class yields them one by one", async () => {
    let seen = 0;
    const r = await enumerateCells(W, null, {}, () => {
      seen++;
      return false;
    });
    expect(r.cells.length).toBe(0);
    expect(seen).toBe(centralCount(14, 3));
    expect(r.stats.cells).toBe(seen);
    const e = new CellEnumerator(W);
    let k = 0;
    while (e.next() !== null) k++;
    expect(k).toBe(seen);
    expect(e.complete).toBe(true);
  });

  it("strictFeasiblePoint: feasible systems give a point with margin > 0, infeasible ones a dual certificate", () => {
    // x > 0 and x < −1 in R^1 (rows 1 and −1, offsets 0 and −1): infeasible.
    const a = Float64Array.from([1, -1]);
    const c = Float64Array.from([0, -1]);
    const bad = strictFeasiblePoint(a, c, [1, 1], [0, 1], 1, "all");
    expect(bad.margin).toBeLessThanOrEqual(0);
    expect(bad.dual[0]).toBeGreaterThan(0);
    expect(bad.dual[1]).toBeGreaterThan(0);
    const good = strictFeasiblePoint(a, c, [1, -1], [0, 1], 1, "all");
    expect(good.margin).toBeGreaterThan(0);
    expect(good.x[0]).toBeGreaterThan(0);
  });

  it("validation names the function and the argument", async () => {
    await expect(enumerateCells([[1, Number.NaN]])).rejects.toThrow(InputRangeError);
    await expect(enumerateCells([[1, Number.NaN]])).rejects.toThrow(/enumerateCells\(\): W must be finite/);
    await expect(enumerateCells([[1]], [1, 2])).rejects.toThrow(/enumerateCells\(\): b has length 2/);
    await expect(enumerateCells([[1]], null, { domain: "positive" as unknown as "all" })).rejects.toThrow(
      InputTypeError,
    );
    await expect(enumerateCells([[1]], null, { maxCells: 0 })).rejects.toThrow(/options.maxCells/);
  });
});
