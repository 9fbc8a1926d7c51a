/**
 * Tests of the phase-transition engine (src/experiments/phase.ts): grid parsing and deduplication,
 * stable instance seeds, layer generation, shards, aggregation into PhasePoint rows, an in-process
 * run on small n, and determinism (the same counts whatever the execution order, batch size or
 * split into shards).
 */

import { describe, it, expect } from "vitest";
import { Rng } from "../../src/core/random.js";
import { isInputError } from "../../src/core/index.js";
import {
  aggregatePhase,
  buildPhaseReport,
  compareWithTasks,
  gaussianLayer,
  inProcessRunner,
  instanceSeed,
  parseIntegerList,
  parseRatioList,
  parseShard,
  phaseGrid,
  phaseKey,
  phaseTasks,
  ratioRange,
  runPhaseInstances,
  sortInstances,
  type PhaseCompute,
  type PhaseRunner,
  type PhaseSweepParams,
} from "../../src/experiments/phase.js";
import { wilsonInterval } from "../../src/experiments/phase-stats.js";
import type { PhaseInstance, PhasePoint } from "../../src/experiments/phase-types.js";

const SMALL: PhaseSweepParams = {
  ns: [2, 3],
  ratios: [2, 3, 4, 5],
  trials: 3,
  seed: 7,
  bias: false,
  timeLimitMs: 30_000,
};

const COMPUTE: PhaseCompute = {
  wallTimeMs: 0,
  instanceTimeMs: 0,
  cpus: 1,
  workers: 1,
  node: "",
  sessions: [],
};

/** Points without the timing columns (which are not part of the determinism claim). */
function counts(points: PhasePoint[]) {
  return points.map(({ medianTimeMs: _a, maxTimeMs: _b, ...rest }) => rest);
}

function inst(n: number, m: number, trial: number, injective: boolean | null, timeMs = 1): PhaseInstance {
  return { n, m, trial, seed: instanceSeed(1, n, m, trial, false), injective, method: "test", timeMs };
}

function expectInputError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(isInputError(caught), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(pattern);
}

describe("grid", () => {
  it("parses n ranges and lists, sorted and without repeats", () => {
    expect(parseIntegerList("2..10")).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(parseIntegerList("2,4,6")).toEqual([2, 4, 6]);
    expect(parseIntegerList("8, 2..4,3")).toEqual([2, 3, 4, 8]);
    expect(parseIntegerList("5")).toEqual([5]);
  });

  it("rejects bad n lists with input errors", () => {
    expectInputError(() => parseIntegerList("0..3"), />= 1/);
    expectInputError(() => parseIntegerList("2..x"), /integers/);
    expectInputError(() => parseIntegerList("4..2"), /empty range/);
    expectInputError(() => parseIntegerList("2.5"), /integers/);
    expectInputError(() => parseIntegerList(""), /expected a list/);
    expectInputError(() => parseIntegerList("2,,3"), /expected a list/);
  });

  it("parses start:stop:step inclusively, without float drift", () => {
    expect(parseRatioList("2:3:0.25")).toEqual([2, 2.25, 2.5, 2.75, 3]);
    const r = parseRatioList("2:3:0.1");
    expect(r).toHaveLength(11);
    expect(r[3]).toBe(2.3);
    expect(r[10]).toBe(3);
    expect(parseRatioList("2:12:0.25")).toHaveLength(41);
    expect(parseRatioList("2:4")).toEqual([2, 3, 4]);
    expect(parseRatioList("3,2,2.5")).toEqual([2, 2.5, 3]);
    expect(parseRatioList("2:3.1:0.5")).toEqual([2, 2.5, 3]);
    expect(ratioRange(1, 1, 1)).toEqual([1]);
  });

  it("rejects bad ratios with input errors", () => {
    expectInputError(() => parseRatioList("2:3:0"), /step must be > 0/);
    expectInputError(() => parseRatioList("2:3:-1"), /step must be > 0/);
    expectInputError(() => parseRatioList("3:2:1"), /smaller than the start/);
    expectInputError(() => parseRatioList("0:2:1"), /start must be > 0/);
    expectInputError(() => parseRatioList("2-3"), /expected/);
    expectInputError(() => parseRatioList("1:2:3:4"), /start:stop:step/);
    expectInputError(() => parseRatioList("2,-1"), /> 0/);
  });

  it("m = round(α n), equal (n, m) merged per n, ratio reported as m/n, m < 1 dropped", () => {
    // n = 2: 2·2 = 4, 2.2·2 = 4.4 → 4 (merged), 2.25·2 = 4.5 → 5, 3·2 = 6.
    // n = 3: 6, 6.6 → 7, 6.75 → 7 (merged), 9.
    expect(phaseGrid([3, 2], [2, 2.2, 2.25, 3])).toEqual([
      { n: 2, m: 4, ratio: 2 },
      { n: 2, m: 5, ratio: 2.5 },
      { n: 2, m: 6, ratio: 3 },
      { n: 3, m: 6, ratio: 2 },
      { n: 3, m: 7, ratio: 7 / 3 },
      { n: 3, m: 9, ratio: 3 },
    ]);
    expect(phaseGrid([1], [0.3, 1])).toEqual([{ n: 1, m: 1, ratio: 1 }]);
  });
});

describe("instance seeds and layers", () => {
  it("the seed derivation is pinned (a change would silently change every published table)", () => {
    expect(instanceSeed(1, 2, 4, 0, false)).toBe(2132626322);
    expect(instanceSeed(1, 2, 4, 1, false)).toBe(420086203);
    expect(instanceSeed(1, 2, 4, 0, true)).toBe(3838710681);
    expect(instanceSeed(42, 10, 120, 199, true)).toBe(36462462);
    expect(instanceSeed(-7, 3, 9, 5, false)).toBe(1892898367);
    expect(instanceSeed(2 ** 40 + 3, 3, 9, 5, false)).toBe(248377602);
    expect(instanceSeed(3, 3, 9, 5, false)).toBe(1152836564);
  });

  it("seeds are unsigned 32-bit integers, distinct across every argument", () => {
    const seen = new Set<number>();
    for (const seed of [1, 2])
      for (const n of [2, 3])
        for (const m of [4, 5, 6])
          for (let trial = 0; trial < 20; trial++)
            for (const bias of [false, true]) {
              const s = instanceSeed(seed, n, m, trial, bias);
              expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
              seen.add(s);
            }
    expect(seen.size).toBe(2 * 2 * 3 * 20 * 2);
  });

  it("W is drawn row by row from new Rng(seed), then b; no bias gives null", () => {
    const { W, b } = gaussianLayer(2, 3, true, 5);
    const rng = new Rng(5);
    const draws = Array.from({ length: 9 }, () => rng.normal());
    expect(W).toEqual([draws.slice(0, 2), draws.slice(2, 4), draws.slice(4, 6)]);
    expect(b).toEqual(draws.slice(6, 9));
    const plain = gaussianLayer(2, 3, false, 5);
    expect(plain.W).toEqual(W);
    expect(plain.b).toBeNull();
  });
});

describe("tasks and shards", () => {
  it("lists (n, m, trial) in the global order with derived seeds", () => {
    const tasks = phaseTasks(SMALL);
    expect(tasks).toHaveLength(phaseGrid(SMALL.ns, SMALL.ratios).length * 3);
    expect(tasks[0]).toEqual({
      n: 2,
      m: 4,
      trial: 0,
      seed: instanceSeed(7, 2, 4, 0, false),
      bias: false,
      timeLimitMs: 30_000,
    });
    expect(tasks.slice(0, 4).map(phaseKey)).toEqual(["2,4,0", "2,4,1", "2,4,2", "2,6,0"]);
  });

  it("shards partition the tasks, round-robin and balanced", () => {
    const all = phaseTasks(SMALL).map(phaseKey);
    for (const count of [1, 2, 3, 5, 7]) {
      const parts = Array.from({ length: count }, (_, k) =>
        phaseTasks(SMALL, { index: k + 1, count }).map(phaseKey),
      );
      expect(parts.flat().sort()).toEqual([...all].sort());
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(parts[0][0]).toBe(all[0]);
      if (count > 1) expect(parts[1][0]).toBe(all[1]);
    }
  });

  it("parses and validates k/N", () => {
    expect(parseShard("3/8")).toEqual({ index: 3, count: 8 });
    expectInputError(() => parseShard("9/8"), /1 <= k <= N/);
    expectInputError(() => parseShard("0/2"), /1 <= k <= N/);
    expectInputError(() => parseShard("1/0"), /1 <= k <= N/);
    expectInputError(() => parseShard("two"), /k\/N/);
  });
});

describe("aggregation", () => {
  it("counts verdicts, leaves unknowns out of p, adds the Wilson interval and times", () => {
    const instances = [
      inst(2, 5, 0, true, 4),
      inst(2, 5, 1, false, 1),
      inst(2, 5, 2, true, 2),
      inst(2, 5, 3, null, 10),
      inst(2, 4, 0, false, 3),
    ];
    const [a, b] = aggregatePhase(instances, { bias: false });
    expect(a).toEqual({
      n: 2,
      m: 4,
      ratio: 2,
      bias: false,
      trials: 1,
      injective: 0,
      notInjective: 1,
      unknown: 0,
      p: 0,
      low: wilsonInterval(0, 1).low,
      high: wilsonInterval(0, 1).high,
      medianTimeMs: 3,
      maxTimeMs: 3,
    });
    expect(b).toMatchObject({ m: 5, ratio: 2.5, trials: 4, injective: 2, notInjective: 1, unknown: 1 });
    expect(b.p).toBeCloseTo(2 / 3, 15);
    expect(b.low).toBe(wilsonInterval(2, 3).low);
    expect(b.high).toBe(wilsonInterval(2, 3).high);
    expect(b.medianTimeMs).toBe(3); // (2 + 4) / 2
    expect(b.maxTimeMs).toBe(10);
  });

  it("does not depend on the order of the instances", () => {
    const instances = [inst(3, 6, 0, false), inst(2, 5, 1, true), inst(2, 5, 0, null), inst(3, 9, 0, true)];
    const a = aggregatePhase(instances, { bias: false });
    expect(aggregatePhase([...instances].reverse(), { bias: false })).toEqual(a);
    expect(a.map((p) => `${p.n},${p.m}`)).toEqual(["2,5", "3,6", "3,9"]);
  });

  it("with a grid: a row per grid point (trials 0, p null when empty); off-grid and duplicates are errors", () => {
    const grid = phaseGrid([2], [2, 3]);
    const points = aggregatePhase([inst(2, 6, 0, true)], { bias: true, grid });
    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({ m: 4, trials: 0, p: null, low: null, high: null, bias: true });
    expect(points[1]).toMatchObject({ m: 6, trials: 1, p: 1 });
    expectInputError(() => aggregatePhase([inst(2, 5, 0, true)], { bias: false, grid }), /not on the grid/);
    expectInputError(
      () => aggregatePhase([inst(2, 4, 0, true), inst(2, 4, 0, false)], { bias: false }),
      /duplicate/,
    );
  });

  it("compareWithTasks finds missing and foreign instances", () => {
    const tasks = phaseTasks({ ...SMALL, seed: 1, ns: [2], ratios: [2] }); // (2, 4) × 3 trials
    const { missing, foreign } = compareWithTasks(tasks, [
      inst(2, 4, 0, true),
      inst(2, 4, 7, true),
      { ...inst(2, 4, 1, true), seed: 99 },
    ]);
    expect(missing.map(phaseKey)).toEqual(["2,4,1", "2,4,2"]);
    expect(foreign.map(phaseKey)).toEqual(["2,4,7", "2,4,1"]);
  });
});

describe("running", () => {
  it("in-process smoke run, n <= 4: every verdict decided, m < 2n never injective (Corollary 2)", async () => {
    const params: PhaseSweepParams = { ...SMALL, ns: [2, 3, 4], ratios: [1.5, 2, 3, 5, 8], trials: 2 };
    const tasks = phaseTasks(params);
    const batches: number[] = [];
    const progress: number[] = [];
    const r = await runPhaseInstances(tasks, {
      batchSize: 4,
      onBatch: (b) => batches.push(b.length),
      onProgress: (done, total) => {
        expect(total).toBe(tasks.length);
        progress.push(done);
      },
    });
    expect(r.cancelled).toBe(false);
    expect(r.instances).toHaveLength(tasks.length);
    expect(batches.reduce((s, x) => s + x, 0)).toBe(tasks.length);
    expect(batches.slice(0, -1).every((x) => x === 4)).toBe(true);
    expect(progress.at(-1)).toBe(tasks.length);
    for (const i of r.instances) {
      expect(i.injective).not.toBeNull();
      expect(typeof i.method).toBe("string");
      expect(i.timeMs).toBeGreaterThanOrEqual(0);
      if (i.m < 2 * i.n) expect(i.injective).toBe(false);
    }
    const points = aggregatePhase(r.instances, { bias: false, grid: phaseGrid(params.ns, params.ratios) });
    expect(points.every((p) => p.trials === 2 && p.unknown === 0)).toBe(true);
  });

  it("the same seed gives the same counts whatever the order, batch size or shard split", async () => {
    const tasks = phaseTasks(SMALL);
    const grid = phaseGrid(SMALL.ns, SMALL.ratios);
    const reference = aggregatePhase((await runPhaseInstances(tasks)).instances, { bias: false, grid });
    expect(reference.some((p) => p.injective > 0) && reference.some((p) => p.notInjective > 0)).toBe(true);

    // A runner that runs the tasks in reverse order.
    const reversed: PhaseRunner = (ts, hooks) => inProcessRunner([...ts].reverse(), hooks);
    const batched: PhaseInstance[] = [];
    await runPhaseInstances(tasks, { runner: reversed, batchSize: 5, onBatch: (b) => batched.push(...b) });
    expect(counts(aggregatePhase(batched, { bias: false, grid }))).toEqual(counts(reference));

    // Three shards, run separately, then concatenated in another order.
    const parts: PhaseInstance[][] = [];
    for (let k = 1; k <= 3; k++) {
      parts.push(
        (await runPhaseInstances(phaseTasks(SMALL, { index: k, count: 3 }), { batchSize: 1 })).instances,
      );
    }
    const merged = [...parts[2], ...parts[0], ...parts[1]];
    expect(counts(aggregatePhase(merged, { bias: false, grid }))).toEqual(counts(reference));
    expect(sortInstances(merged).map(phaseKey)).toEqual(tasks.map(phaseKey));
  });

  it("with --bias the layers differ and the seeds differ", async () => {
    const tasks = phaseTasks({ ...SMALL, ns: [2], ratios: [3], trials: 2, bias: true });
    expect(tasks.every((t) => t.bias)).toBe(true);
    expect(tasks[0].seed).not.toBe(phaseTasks({ ...SMALL, ns: [2], ratios: [3], trials: 2 })[0].seed);
    const r = await runPhaseInstances(tasks);
    expect(r.instances.map((i) => i.injective === null)).toEqual([false, false]);
  });

  it("an aborted signal stops after the running instance, and every finished one reaches onBatch", async () => {
    const tasks = phaseTasks(SMALL);
    const controller = new AbortController();
    const flushed: PhaseInstance[] = [];
    const r = await runPhaseInstances(tasks, {
      signal: controller.signal,
      batchSize: 2,
      onBatch: (b) => flushed.push(...b),
      onProgress: (done) => {
        if (done === 3) controller.abort();
      },
    });
    expect(r.cancelled).toBe(true);
    expect(r.instances).toHaveLength(3);
    expect(flushed).toEqual(r.instances);
  });
});

describe("report", () => {
  it("a whole sweep gets crossings and the pointwise curve; a shard's report is partial", async () => {
    const tasks = phaseTasks(SMALL);
    const { instances } = await runPhaseInstances(tasks);
    const params = { ...SMALL, ratioSpec: "2:5:1", shard: null, pointwiseNs: [50] };
    const full = buildPhaseReport({
      params,
      instances,
      expectedInstances: tasks.length,
      partial: false,
      compute: COMPUTE,
    });
    expect(full.complete).toBe(true);
    expect(full.missingInstances).toBe(0);
    expect(full.points).toHaveLength(phaseGrid(SMALL.ns, SMALL.ratios).length);
    expect(full.crossings.map((c) => c.n)).toEqual([2, 3]);
    expect([...new Set(full.pointwise.map((p) => p.n))]).toEqual([2, 3, 50]);

    const half = instances.slice(0, 5);
    const shard = buildPhaseReport({
      params: { ...params, shard: "1/2" },
      instances: half,
      expectedInstances: tasks.length,
      partial: true,
      compute: COMPUTE,
    });
    expect(shard).toMatchObject({
      complete: false,
      partial: true,
      doneInstances: 5,
      crossings: [],
      pointwise: [],
    });
    expect(shard.extrapolation).toBeNull();
  });
});
