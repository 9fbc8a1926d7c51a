/**
 * AllReduce (src/tfjs/all-reduce.ts) between real worker threads: many consecutive sums of
 * different lengths, each checked against the exact sum, so that a worker racing ahead into the
 * next call (the two alternating banks) would show up. The workers run the compiled dist/ module
 * (`npm test` builds first).
 */

import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { AllReduce, allReduceMemory } from "../../src/tfjs/all-reduce.js";

const moduleUrl = new URL("../../dist/src/tfjs/all-reduce.js", import.meta.url).href;

// Worker k, call c, element i contributes (k + 1) · (c + 1) + i / 8 (exact in float32); the lengths
// vary with c. The worker counts the sums that differ from the exact value.
const WORKER = `
const { workerData, parentPort } = require("node:worker_threads");
import(workerData.moduleUrl).then(({ AllReduce }) => {
  const { memory, rank, calls } = workerData;
  const group = new AllReduce(memory, rank);
  const W = memory.workers;
  let wrong = 0;
  for (let c = 0; c < calls; c++) {
    const n = 1 + ((c * 37) % 50);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (rank + 1) * (c + 1) + i / 8;
    const out = group.sum(data);
    for (let i = 0; i < n; i++) if (out[i] !== (W * (W + 1) / 2) * (c + 1) + W * (i / 8)) wrong++;
    if (out.length !== n) wrong++;
  }
  parentPort.postMessage(wrong);
});
`;

describe("AllReduce", () => {
  it("3 workers, 400 consecutive sums: every sum is exact", async () => {
    const memory = allReduceMemory(3, 64);
    const results = await Promise.all(
      [0, 1, 2].map(
        (rank) =>
          new Promise<number>((resolve, reject) => {
            const w = new Worker(WORKER, { eval: true, workerData: { memory, rank, calls: 400, moduleUrl } });
            w.once("message", (m: number) => {
              resolve(m);
              void w.terminate();
            });
            w.once("error", reject);
          }),
      ),
    );
    expect(results).toEqual([0, 0, 0]);
  });

  it("one worker returns a copy, and bad sizes and ranks are RangeErrors", () => {
    const memory = allReduceMemory(1, 4);
    const g = new AllReduce(memory, 0);
    const data = Float32Array.from([1, 2, 3]);
    const out = g.sum(data);
    expect(Array.from(out)).toEqual([1, 2, 3]);
    expect(out).not.toBe(data);
    expect(() => g.sum(new Float32Array(5))).toThrow(RangeError);
    expect(() => new AllReduce(memory, 1)).toThrow(RangeError);
    expect(() => allReduceMemory(0, 4)).toThrow(RangeError);
  });
});
