/**
 * The worker-thread pool (src/parallel/layer-pool.ts) with checkLayer, and `check --workers`: the
 * same verdicts as one thread over seeds and thread counts, witnesses and certificates that
 * re-check, cancellation, errors. Worker threads run the built dist/ (`npm test` builds first).
 */

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkLayer } from "../../src/core/check-layer.js";
import { verifyCertificate } from "../../src/core/certificate.js";
import { verifyWitness } from "../../src/core/witness.js";
import { gaussianLayer } from "../../src/experiments/phase.js";
import { LayerWorkerPool, layerWorkerPool } from "../../src/parallel/layer-pool.js";
import type { LayerTask } from "../../src/core/parallel-search.js";
import { packDuals } from "../../src/core/parallel-search.js";
import { runCli } from "../support/cli.js";

const workerUrl = new URL("../../dist/src/parallel/layer-pool-worker.js", import.meta.url);
const pools: LayerWorkerPool[] = [];

beforeAll(() => {
  expect(existsSync(workerUrl), "run `npm run build` first (npm test does)").toBe(true);
  pools.push(new LayerWorkerPool(2, workerUrl), new LayerWorkerPool(3, workerUrl));
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe("checkLayer on worker threads", () => {
  it("gives the one-thread verdicts on Gaussian layers at n = 6…8, over seeds and 2 or 3 threads", async () => {
    const seen = { true: 0, false: 0 };
    for (const [n, m, seed] of [
      [6, 30, 1],
      [6, 36, 2],
      [7, 35, 3],
      [7, 45, 4],
      [8, 40, 5],
      [8, 52, 6],
    ] as const) {
      const { W, b } = gaussianLayer(n, m, seed % 2 === 0, seed);
      const serial = await checkLayer(W, b);
      for (const pool of pools) {
        const r = await checkLayer(W, b, { pool });
        expect(r.injective, `${m}×${n} seed ${seed}, ${pool.size} threads`).toBe(serial.injective);
        if (r.injective === true) {
          expect(verifyCertificate(W, b, r.certificate!).valid).toBe(true);
          if (r.method === "branch-and-bound") {
            expect(r.reason).toContain(`split over ${pool.size} threads`);
            // The threads' subtree proofs came back and replayed with the top's.
            expect(r.stats.recheckBy, r.stats.replayFailure).toBe("proof replay");
          }
        }
        if (r.injective === false) expect(verifyWitness(W, b, r.witness!, "all").valid).toBe(true);
      }
      if (serial.injective !== null) seen[String(serial.injective) as "true" | "false"]++;
    }
    expect(seen.true).toBeGreaterThan(0);
    expect(seen.false).toBeGreaterThan(0);
  }, 120_000);

  it("stops at the time limit and answers unknown", async () => {
    const { W } = gaussianLayer(11, 77, false, 1);
    const t0 = performance.now();
    const r = await checkLayer(W, null, { pool: pools[0], timeLimitMs: 400 });
    expect(r.injective).toBe(null);
    expect(r.reason).toMatch(/time limit/);
    expect(performance.now() - t0).toBeLessThan(5000);
  }, 30_000);

  it("a run cut short reports the nodes searched by every thread", async () => {
    const { W } = gaussianLayer(11, 77, false, 1);
    const counts: number[] = [];
    const r = await checkLayer(W, null, {
      pool: pools[0],
      timeLimitMs: 3000,
      onProgress: () => counts.push(0),
    });
    expect(r.injective).toBe(null);
    const nodes = r.stats.nodes ?? 0;
    expect(nodes).toBeGreaterThan(0);
    expect(r.reason).toContain(`during the branch and bound after ${nodes} nodes`);
    // Subtrees had finished on the threads (progress was reported for them), and their nodes are in
    // the count: before, a parallel run cut short reported no nodes at all.
    expect(counts.length).toBeGreaterThan(0);
  }, 30_000);

  it("a task the thread cannot run rejects with its message; an aborted task answers stopped", async () => {
    const pool = new LayerWorkerPool(2, workerUrl);
    try {
      const bad = {
        kind: "cover",
        layer: {
          key: "bad",
          W: [
            [1, 0],
            [0, 1],
          ],
          b: [0, 0],
          domain: "all",
          tolerance: 1e-9,
        },
        supports: packDuals([{ rows: [0, 1] }]),
        primeIndex: 0,
        node: { chosen: [0, 0], forbidden: [] },
        deadline: Date.now() + 10_000,
      } satisfies LayerTask;
      await expect(pool.run(bad, new AbortController().signal)).rejects.toThrow(/start node/);
      const controller = new AbortController();
      controller.abort();
      const r = await pool.run({ ...bad, node: { chosen: [], forbidden: [] } }, controller.signal);
      expect(r.stopped).toBe("cancelled");
    } finally {
      await pool.close();
    }
    await expect(pool.run({} as LayerTask, new AbortController().signal)).rejects.toThrow(/closed/);
  });

  it("layerWorkerPool(1) is no pool", () => {
    expect(layerWorkerPool(1)).toBe(null);
    expect(() => new LayerWorkerPool(0, workerUrl)).toThrow(/size/);
  });
});

describe("check --workers", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "injective-relu-workers-"));
  });

  it("gives the same verdict and certificate size with 1 and 2 threads", () => {
    const { W } = gaussianLayer(8, 48, false, 3);
    const f = join(dir, "l.json");
    writeFileSync(f, JSON.stringify({ W }));
    const one = runCli(["check", f, "--json"], dir);
    const two = runCli(["check", f, "--json", "--workers", "2"], dir);
    expect(one.code).toBe(0);
    expect(two.code, two.err).toBe(0);
    const a = JSON.parse(one.out) as { injective: boolean; reason: string };
    const b = JSON.parse(two.out) as { injective: boolean; reason: string };
    expect(b.injective).toBe(a.injective);
    expect(b.reason).toContain("split over 2 threads");
  }, 60_000);

  it("refuses a bad thread count in one line", () => {
    const r = runCli(["check", "examples/layers", "--workers", "0"], join(import.meta.dirname, "../.."));
    expect(r.code).toBe(3);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/--workers/);
  });
});
