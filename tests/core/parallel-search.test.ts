/**
 * The parallel branch and bound and cover check (src/core/parallel-search.ts): the subtrees of a
 * split partition the serial searches (same verdicts as the exhaustive references), and checkLayer
 * with a pool gives the serial verdicts, with witnesses and certificates that re-check. The pool
 * here runs the tasks in this thread (tests/parallel/ runs real worker threads).
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { FlatSearch, type FlatNode } from "../../src/core/flat-search.js";
import { coverModulo, exactCover, exactDualProblem } from "../../src/core/certificate.js";
import { Budget } from "../../src/core/budget.js";
import { dyadicRows } from "../../src/core/exact.js";
import { normalizeLayer } from "../../src/core/layer.js";
import { checkLayer } from "../../src/core/check-layer.js";
import { verifyCertificate } from "../../src/core/certificate.js";
import { verifyWitness } from "../../src/core/witness.js";
import {
  LayerTaskCache,
  packDuals,
  parallelCover,
  parallelDualChecks,
  runLayerTask,
  unpackDuals,
  type LayerTask,
  type LayerTaskPool,
  type LayerTaskResult,
} from "../../src/core/parallel-search.js";
import type { Domain } from "../../src/core/types.js";
import { decodeFlatProof, replayFlatProof, replayProofSubtree } from "../../src/core/flat-proof.js";
import { Rng } from "../../src/core/random.js";
import {
  degenerateCaseArb,
  exactRank,
  exhaustiveFindsCollision,
  randomSupports,
  type DegenerateCase,
} from "../support/degenerate-layers.js";

const SEED = Number(process.env.CHECK_LAYER_SEED ?? 42);
const TOL = 1e-9;

type Case = DegenerateCase;

/** Small degenerate layers (integer rows, scaled and negated copies, zero rows), n = 3…6. */
const caseArb = degenerateCaseArb({ minN: 3, maxN: 6, maxExtra: 12, copy: 0.2, zero: 0.25 });

/** The split search: the top to `depth`, then every subtree in order with the duals known so far. */
function splitFindsCollision(c: Case, depth: number): { collision: boolean; tasks: number } {
  const layer = normalizeLayer(c.W, c.b);
  const top = new FlatSearch(layer, c.domain, TOL, { packingBound: false, splitDepth: depth });
  while (!top.done) if (top.step(1000)) return { collision: true, tasks: 0 };
  let duals = top.duals.slice();
  for (const node of top.frontier) {
    const sub = new FlatSearch(layer, c.domain, TOL, { packingBound: false, duals, start: node });
    while (!sub.done) if (sub.step(1000)) return { collision: true, tasks: top.frontier.length };
    duals = sub.duals.slice();
  }
  return { collision: false, tasks: top.frontier.length };
}

describe("the subtrees of a split partition the branch and bound", () => {
  it("the split search finds a collision iff the exhaustive search does (depths 1 and 2)", () => {
    let split = 0;
    let collisions = 0;
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 2 }), (c, depth) => {
        if (exactRank(c.W) < c.W[0].length) return;
        const ref = exhaustiveFindsCollision(c);
        const out = splitFindsCollision(c, depth);
        expect(out.collision, JSON.stringify(c)).toBe(ref);
        if (out.tasks > 1) split++;
        if (ref) collisions++;
      }),
      { seed: SEED, numRuns: 600 },
    );
    expect(split).toBeGreaterThan(100);
    expect(collisions).toBeGreaterThan(30);
  });

  it("a start node rebuilds the node of the serial search (path, forbidden rows)", () => {
    const rng = new Rng(SEED);
    const n = 5;
    const W = Array.from({ length: 30 }, () => Array.from({ length: n }, () => rng.normal()));
    const layer = normalizeLayer(W, new Array<number>(30).fill(0));
    const top = new FlatSearch(layer, "all", TOL, { splitDepth: 2 });
    while (!top.done) top.step(1000);
    expect(top.frontier.length).toBeGreaterThan(4);
    for (const node of top.frontier) {
      expect(node.path).toHaveLength(2);
      for (const r of node.path) expect(node.forbidden).not.toContain(r);
    }
    // A forbidden row on the path is not a node of the search.
    const bad: FlatNode = { path: [top.frontier[1].path[0]], forbidden: [top.frontier[1].path[0]] };
    expect(() => new FlatSearch(layer, "all", TOL, { start: bad })).toThrow(/not a node/);
  });
});

describe("the subtrees of a split partition the exact cover check", () => {
  it("some subtree (or the top) is uncovered iff exactCover finds an uncovered flat", () => {
    let split = 0;
    let uncovered = 0;
    fc.assert(
      fc.property(
        caseArb,
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 2 }),
        (c, s, depth) => {
          const n = c.W[0].length;
          if (exactRank(c.W) < n) return;
          const rng = new Rng(s);
          const m = c.W.length;
          const supports = randomSupports(rng, m, n, 2, 14);
          const ints = dyadicRows(c.W, new Array<number>(m).fill(0));
          const ref = exactCover(ints, supports, n).uncovered !== null;
          const top = coverModulo(ints, supports, n, 0, undefined, undefined, { splitDepth: depth });
          if (!top) return; // an unlucky prime: the parallel check falls back to exactCover
          let found = top.uncovered !== null;
          for (const node of top.frontier ?? []) {
            if (found) break;
            const sub = coverModulo(ints, supports, n, 0, undefined, undefined, { start: node });
            if (sub?.uncovered) {
              found = true;
              // The flat returned contains the subtree's rows.
              for (const r of node.chosen) expect(sub.uncovered).toContain(r);
            }
          }
          expect(found, JSON.stringify({ W: c.W, supports, depth })).toBe(ref);
          if ((top.frontier?.length ?? 0) > 1) split++;
          if (ref) uncovered++;
        },
      ),
      { seed: SEED, numRuns: 1200 },
    );
    expect(split).toBeGreaterThan(200);
    expect(uncovered).toBeGreaterThan(50);
  });
});

/** A pool whose "threads" run the tasks in this thread, one after another. */
class InThreadPool implements LayerTaskPool {
  private readonly cache = new LayerTaskCache();
  tasks = 0;
  readonly kinds: Record<string, number> = {};
  constructor(readonly size: number) {}
  async run(task: LayerTask, signal: AbortSignal): Promise<LayerTaskResult> {
    await new Promise((r) => setTimeout(r, 0));
    this.tasks++;
    this.kinds[task.kind] = (this.kinds[task.kind] ?? 0) + 1;
    return runLayerTask(task, this.cache, () => signal.aborted);
  }
}

describe("checkLayer with a pool", () => {
  it("packs and unpacks duals", () => {
    const duals = [
      { rows: Int32Array.from([0, 3, 5]), weights: Float64Array.from([0.2, 0.3, 0.5]) },
      { rows: Int32Array.from([]), weights: Float64Array.from([]) },
      { rows: Int32Array.from([7]), weights: Float64Array.from([1]) },
    ];
    const back = unpackDuals(packDuals(duals));
    expect(back.map((d) => [Array.from(d.rows), Array.from(d.weights)])).toEqual(
      duals.map((d) => [Array.from(d.rows), Array.from(d.weights)]),
    );
  });

  it("gives the serial verdicts on layers with n = 6 and 7, with re-checked witnesses and certificates", async () => {
    const rng = new Rng(SEED + 7);
    const verdicts = { true: 0, false: 0 };
    let replayed = 0;
    for (let t = 0; t < 16; t++) {
      const n = 6 + (t % 2);
      const m = Math.round((4 + rng.uniform() * 4) * n);
      const integer = t % 4 === 3;
      const W = Array.from({ length: m }, () =>
        Array.from({ length: n }, () => (integer ? Math.floor(rng.uniform() * 7) - 3 : rng.normal())),
      );
      const b = t % 3 === 0 ? W.map(() => rng.normal()) : null;
      const domain: Domain = t % 5 === 4 ? "nonnegative" : "all";
      const serial = await checkLayer(W, b, { domain, method: "branch-and-bound" });
      for (const size of [2, 3]) {
        const pool = new InThreadPool(size);
        const par = await checkLayer(W, b, { domain, method: "branch-and-bound", pool });
        expect(par.injective, `t=${t} size=${size}`).toBe(serial.injective);
        expect(pool.tasks).toBeGreaterThan(0);
        if (par.injective === true) {
          const v = verifyCertificate(W, b, par.certificate!, { domain });
          expect(v.valid, v.reason).toBe(true);
          expect(par.reason).toMatch(new RegExp(`split over ${size} threads`));
          // The subtrees' proofs, renumbered into the merged duals, replay as one proof.
          if (!integer) expect(par.stats.recheckBy, par.stats.replayFailure).toBe("proof replay");
          if (par.stats.recheckBy === "proof replay") {
            replayed++;
            // The subtrees' proofs were replayed on the pool.
            expect(pool.kinds.replay, JSON.stringify(pool.kinds)).toBeGreaterThan(0);
          }
        }
        if (par.injective === false) expect(verifyWitness(W, b, par.witness!, domain).valid).toBe(true);
      }
      if (serial.injective !== null) verdicts[String(serial.injective) as "true" | "false"]++;
    }
    expect(verdicts.true).toBeGreaterThan(2);
    expect(verdicts.false).toBeGreaterThan(2);
    expect(replayed).toBeGreaterThan(2);
  });

  it("layers below n = 6 run in one thread", async () => {
    const pool = new InThreadPool(2);
    await checkLayer(
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [-1, -1, -1],
        [1, 1, -1],
        [2, -1, 3],
      ],
      null,
      {
        method: "branch-and-bound",
        pool,
      },
    );
    expect(pool.tasks).toBe(0);
  });

  it("a cancelled check with a pool answers unknown", async () => {
    const rng = new Rng(SEED + 11);
    const n = 8;
    const W = Array.from({ length: 52 }, () => Array.from({ length: n }, () => rng.normal()));
    const controller = new AbortController();
    const pool = new InThreadPool(2);
    const run = checkLayer(W, null, { method: "branch-and-bound", pool, signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    const r = await run;
    expect(r.injective).toBe(null);
    expect(r.reason).toMatch(/cancel/i);
  });
});

describe("the pool's cover check and dual algebra", () => {
  const ctxOf = (W: number[][], b: number[], size: number) => ({
    pool: new InThreadPool(size),
    setup: { key: `t-${Math.random()}`, W, b, domain: "all" as const, tolerance: TOL },
    budget: Budget.unlimited(),
  });

  it("parallelCover agrees with exactCover on random supports over degenerate layers", async () => {
    const rng = new Rng(SEED + 3);
    let uncovered = 0;
    let runs = 0;
    for (let t = 0; t < 150; t++) {
      const c = fc.sample(caseArb, { seed: SEED + t, numRuns: 1 })[0];
      const n = c.W[0].length;
      if (exactRank(c.W) < n) continue;
      const m = c.W.length;
      const supports = randomSupports(rng, m, n, 2, 14);
      const ints = dyadicRows(c.W, new Array<number>(m).fill(0));
      const ref = exactCover(ints, supports, n).uncovered !== null;
      const ctx = ctxOf(c.W, new Array<number>(m).fill(0), 2 + (t % 2));
      const got = await parallelCover(ctx, ints, supports, n);
      expect(got.uncovered !== null, JSON.stringify({ W: c.W, supports })).toBe(ref);
      if (got.uncovered) {
        // The flat returned is uncovered: its span meets every support (checked by the serial check with it as the start).
        expect(got.uncovered.length).toBeLessThan(n);
        uncovered++;
      }
      runs++;
    }
    expect(runs).toBeGreaterThan(60);
    expect(uncovered).toBeGreaterThan(10);
    expect(runs - uncovered).toBeGreaterThan(10);
  });

  it("parallelDualChecks flags exactly the duals whose algebra fails", async () => {
    const rng = new Rng(SEED + 5);
    const n = 6;
    const W = Array.from({ length: 40 }, () => Array.from({ length: n }, () => rng.normal()));
    const b = new Array<number>(40).fill(0);
    const r = await checkLayer(W, b, { method: "branch-and-bound" });
    expect(r.injective).toBe(true);
    const duals = r.certificate!.duals.map((d) => ({ rows: d.rows.slice(), weights: d.weights.slice() }));
    // Tamper with every fifth dual: another row set with the same weights.
    const tampered = new Set<number>();
    for (let k = 0; k < duals.length; k += 5) {
      duals[k].rows = duals[k].rows.map((i) => (i + 1) % 40).sort((a, c) => a - c);
      tampered.add(k);
    }
    const ints = dyadicRows(W, b);
    const ok = await parallelDualChecks(ctxOf(W, b, 2), duals);
    for (let k = 0; k < duals.length; k++)
      expect(ok[k], `dual ${k}`).toBe(exactDualProblem(ints, duals[k], "all", TOL) === null);
    expect([...tampered].filter((k) => !ok[k]).length).toBeGreaterThan(0);
  });
});

describe("a pool that fails", () => {
  it("the check goes on in one thread, with the serial verdict, and says so", async () => {
    const rng = new Rng(SEED + 9);
    const n = 7;
    const W = Array.from({ length: 45 }, () => Array.from({ length: n }, () => rng.normal()));
    const serial = await checkLayer(W, null, { method: "branch-and-bound" });
    const broken: LayerTaskPool = {
      size: 2,
      run: () => Promise.reject(new Error("a layer worker thread exited (code 1)")),
    };
    const r = await checkLayer(W, null, { method: "branch-and-bound", pool: broken });
    expect(r.injective).toBe(serial.injective);
    expect(r.reason).toMatch(
      /thread pool failed \(a layer worker thread exited \(code 1\)\); the check went on in one thread/,
    );
  });
});

describe("replaying a split proof subtree by subtree", () => {
  it("the deferred subtrees hold, count the same nodes, and a tampered one is refused", async () => {
    const rng = new Rng(SEED + 11);
    let checked = 0;
    let withForbidden = 0;
    let refused = 0;
    for (let t = 0; t < 8 && checked < 3; t++) {
      const n = 6 + (t % 2);
      const m = Math.round(8 * n);
      const W = Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));
      const pool = new InThreadPool(2);
      const res = await checkLayer(W, null, { method: "branch-and-bound", pool, proof: true });
      if (res.injective !== true || !res.certificate?.proof) continue;
      const proof = decodeFlatProof(res.certificate.proof);
      if (!proof.subproofs?.length) continue;
      checked++;
      const ints = dyadicRows(W, new Array<number>(m).fill(0));
      const supports = res.certificate.duals.map((d) => d.rows);
      const whole = replayFlatProof(ints, supports, n, proof);
      expect(whole.valid, whole.reason).toBe(true);
      const top = replayFlatProof(ints, supports, n, proof, undefined, { defer: true });
      expect(top.valid, top.reason).toBe(true);
      expect(top.deferred!.length).toBe(proof.subproofs.length);
      let nodes = top.nodes;
      for (const sub of top.deferred!) {
        const r = replayProofSubtree(ints, supports, n, sub);
        expect(r.valid, r.reason).toBe(true);
        nodes += r.nodes;
      }
      expect(nodes).toBe(whole.nodes);
      // Tampered: a subtree whose path lost a row, or whose proof lost its last entry.
      const sub = top.deferred!.find((d) => d.path.length >= 2)!;
      const shorter = { ...sub, path: sub.path.slice(0, -1) };
      expect(replayProofSubtree(ints, supports, n, shorter).valid).toBe(false);
      const cut = { ...sub, proof: { tokens: sub.proof.tokens.slice(0, -1) } };
      expect(replayProofSubtree(ints, supports, n, cut).valid).toBe(false);
      // Fewer forbidden rows claim more flats. Where the subtree's proof used them (a branch over a
      // dual's allowed rows, a forbidden leaf, a skipped child), it no longer matches and is refused;
      // a proof that never touched them proves the larger claim too, and may pass.
      for (const d of top.deferred!) {
        if (d.forbidden.length === 0) continue;
        withForbidden++;
        if (!replayProofSubtree(ints, supports, n, { ...d, forbidden: [] }).valid) refused++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);
    expect(withForbidden).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
