/**
 * Resource limits of the core stages: the Budget itself, the up-front SVD guard (ml-matrix's SVD
 * cannot be interrupted, and a 2000 × 2000 one took two minutes at a 5 s limit), the convolution
 * matrices and Theorem 4's boxes, the inverse Lipschitz constants, the cell enumeration, the dense
 * simplex, and spreads that used to overflow the stack. Time bounds are generous: the point is that
 * each call returns long before the work it refuses would have finished.
 */

import { describe, expect, it } from "vitest";
import {
  Budget,
  formatBytes,
  formatByteSize,
  matrixBytes,
  ResourceLimitError,
} from "../../src/core/budget.js";
import { checkLayerWithin } from "../../src/core/check-layer.js";
import { convMatrix, convSpec } from "../../src/core/convolution.js";
import { CellEnumerator, enumerateCells } from "../../src/core/arrangement.js";
import { inverseLipschitz, empiricalRatio } from "../../src/core/lipschitz.js";
import { norm2, numericalRank, smallestRightSingularVector, svdCostMs } from "../../src/core/linalg.js";
import { solveDenseLp } from "../../src/core/lp/simplex.js";
import { Rng } from "../../src/core/random.js";
import { checkConv, checkConvExact } from "../../src/core/theorem4.js";

function gaussian(m: number, n: number, seed = 1): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));
}

/** Runs f and returns its error and how long it took. */
function timed(f: () => unknown): { error: unknown; ms: number } {
  const t0 = performance.now();
  try {
    f();
    return { error: null, ms: performance.now() - t0 };
  } catch (e) {
    return { error: e, ms: performance.now() - t0 };
  }
}

describe("Budget", () => {
  it("formats sizes and limits, and names the stage and the limit", () => {
    expect(formatBytes(2.048e15)).toBe("2.05 PB");
    expect(formatBytes(1.28e14)).toBe("128 TB");
    expect(formatByteSize(2 * 1024 ** 3)).toBe("2G");
    expect(formatByteSize(10 * 1024 ** 2)).toBe("10M");
    expect(matrixBytes(1000, 1000)).toBeGreaterThan(8e6);
    const b = Budget.from("test", { memoryLimitBytes: 10 * 1024 ** 2 });
    expect(() => b.reserve("the explicit matrix of layer 3", 2e15)).toThrow(
      "the explicit matrix of layer 3 would need 2.00 PB, above the memory limit of 10M",
    );
    const e = (() => {
      try {
        b.reserveTime("the SVD", 5000, "an SVD of a 10 × 10 matrix");
      } catch (err) {
        return err as ResourceLimitError;
      }
      return null;
    })();
    expect(e).toBeNull(); // no deadline
    const short = Budget.from("test", { timeLimitMs: 50 });
    expect(() => short.reserveTime("the SVD", 5000, "an SVD")).toThrow(
      /the time limit ran out during the SVD \(an SVD takes about 5\.00 s and \d+ ms were left, so it was not started\)/,
    );
    const sub = short.sub(10);
    expect(sub.deadline).toBeLessThanOrEqual(short.deadline);
    expect(short.options().memoryLimitBytes).toBe(short.memoryLimitBytes);
  });
});

describe("SVD guard", () => {
  it("refuses a 2000 × 2000 SVD up front at a 1 s limit (it would take about two minutes)", () => {
    expect(svdCostMs(2000, 2000)).toBeGreaterThan(30_000);
    const A = gaussian(2000, 2000); // built before the budget starts
    const { error, ms } = timed(() => numericalRank(A, 1e-9, Budget.from("test", { timeLimitMs: 1000 })));
    expect(error).toBeInstanceOf(ResourceLimitError);
    expect((error as ResourceLimitError).kind).toBe("time");
    expect((error as Error).message).toMatch(/SVD .*2,000 × 2,000 matrix takes about/);
    expect(ms).toBeLessThan(10_000);
    const mem = timed(() =>
      smallestRightSingularVector(A, 2000, Budget.from("test", { memoryLimitBytes: 1e6 })),
    );
    expect((mem.error as ResourceLimitError).kind).toBe("memory");
  });

  it("small SVDs run as before, with or without a budget", () => {
    const A = [
      [1, 0],
      [0, 1],
      [1, 1],
    ];
    expect(numericalRank(A, 1e-9, Budget.from("test", { timeLimitMs: 5000 }))).toBe(2);
    expect(numericalRank(A, 1e-9)).toBe(2);
  });

  it("checkLayer within a 1 s budget answers unknown on a 2000 × 2000 layer, naming the stage", async () => {
    const G = gaussian(2000, 2000);
    const budget = Budget.from("test", { timeLimitMs: 1000 });
    const t0 = performance.now();
    const r = await checkLayerWithin(G, null, {}, budget, "L");
    expect(r.injective).toBeNull();
    expect(r.limit).toBeDefined();
    expect(r.reason).toMatch(
      /Unknown: (the time limit ran out during|.*would need .* above the memory limit)/,
    );
    expect(performance.now() - t0).toBeLessThan(15_000);
    // One row of 130,000 entries: a verdict or unknown, not a stack overflow.
    const wide = await checkLayerWithin(
      [new Array<number>(130_000).fill(1)],
      null,
      {},
      Budget.from("test", { timeLimitMs: 5000 }),
      "L",
    );
    expect([false, null]).toContain(wide.injective);
  });

  it("norms of long vectors need no spread (Math.hypot(...v) overflows the stack)", () => {
    const v = new Array<number>(300_000).fill(1e200);
    expect(norm2(v)).toBeCloseTo(1e200 * Math.sqrt(300_000), -190);
  });
});

describe("convolution matrices and Theorem 4", () => {
  const k = [
    [
      [
        [1, 0],
        [0, 0],
      ],
    ],
    [
      [
        [-1, 0],
        [0, 0],
      ],
    ],
  ];

  it("convMatrix and checkConvExact refuse a 2000 × 2000 signal before allocating", async () => {
    const spec = convSpec(k, { signal: [2000, 2000] });
    const { error, ms } = timed(() => convMatrix(spec));
    expect((error as Error).message).toMatch(/8,000,000 × 4,000,000 convolution matrix would need 256 TB/);
    expect(ms).toBeLessThan(5000);
    const r = await checkConvExact(spec, { memoryLimitBytes: 1e9 });
    expect(r.injective).toBeNull();
    expect(r.reason).toMatch(/memory limit/);
  });

  it("a huge fixed box answers unknown naming the box matrix; the automatic boxes still work", async () => {
    const spec = convSpec(k, { signal: [2000, 2000] });
    const r = await checkConv(spec, { box: [1500, 1500], memoryLimitBytes: 1e8 });
    expect(r.injective).toBeNull();
    expect(r.layerCheck.reason).toMatch(/box matrix W\|Z_P of the box 1500×1500 would need/);
    const auto = await checkConv(spec, { timeLimitMs: 10_000 });
    expect(auto.tries.length).toBeGreaterThan(0);
  });
});

describe("inverse Lipschitz constants and cells", () => {
  it("refuses σ_min(W) of a 700 × 700 layer up front at a 200 ms limit", async () => {
    const t0 = performance.now();
    await expect(inverseLipschitz(gaussian(700, 700), null, { timeLimitMs: 200 })).rejects.toThrow(
      /the time limit ran out during the SVD σ_min\(W\)/,
    );
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it("the empirical ratio stops at its time limit with the pairs tried so far", () => {
    const t0 = performance.now();
    const r = empiricalRatio(gaussian(300, 60), null, { samples: 1e7, timeLimitMs: 300 });
    expect(r.stopped).toMatch(/time limit/);
    expect(Number.isFinite(r.ratio)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it("the cell enumeration checks the clock while it groups many rows, and bounds what it keeps", async () => {
    const W = gaussian(6000, 60, 3);
    const t0 = performance.now();
    const e = new CellEnumerator(W, null, { timeLimitMs: 50 });
    expect(e.next()).toBeNull();
    expect(e.stopReason).toBe("time-limit");
    expect(performance.now() - t0).toBeLessThan(10_000);
    const r = await enumerateCells(gaussian(12, 3, 4), null, { memoryLimitBytes: 2000 });
    expect(r.complete).toBe(false);
    expect(r.stopReason).toBe("memory-limit");
    expect(r.cells.length).toBeGreaterThan(0);
  });
});

describe("dense simplex", () => {
  it("reserves its tableau and checks the time between pivots", () => {
    const rows = 3000;
    const cols = 3000;
    const A = new Float64Array(1); // never read: the tableau is refused first
    expect(() =>
      solveDenseLp(
        A,
        rows,
        cols,
        new Float64Array(rows),
        new Float64Array(cols),
        undefined,
        false,
        Budget.from("test", { memoryLimitBytes: 1e6 }),
        "the test LP",
      ),
    ).toThrow(/the test LP would need/);
  });
});
