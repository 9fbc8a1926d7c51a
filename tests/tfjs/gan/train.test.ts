/**
 * Training runs of the GAN experiment (src/tfjs/gan/train.ts) on the data-parallel trainer: a run
 * resumed from a checkpoint ends bit for bit where an uninterrupted run ends, whether it was
 * stopped by a signal or by a smaller step count; a checkpoint of other settings is refused; the
 * batches and latent codes depend on the seed and the step only. The workers run the compiled
 * dist/ modules (`npm test` builds first), so the module under test is imported from dist/ too.
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type * as Train from "../../../src/tfjs/gan/train.js";

const train = (await import(
  new URL("../../../dist/src/tfjs/gan/train.js", import.meta.url).href
)) as typeof Train;

/** 24 random "images" 32×32 in [−1, 1]. */
function data(): Train.GanData {
  const count = 24;
  const images = new Float32Array(count * 1024);
  let s = 7;
  for (let i = 0; i < images.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    images[i] = (s / 2 ** 32) * 2 - 1;
  }
  return { images, count, side: 32, channels: 1 };
}

const BASE = {
  dataset: "random",
  seed: 3,
  batch: 8,
  sizes: { arch: "dcgan" as const, z: 8, criticWidth: 4 },
  workers: 2,
};

function flat(r: Train.TrainGanResult): Float32Array[] {
  return r.state.weights.flatMap((ws) => ws.map((w) => w.values));
}

describe("trainGan", () => {
  it("a resumed run equals an uninterrupted one, bit for bit (injective generator)", async () => {
    const d = data();
    const full = await train.trainGan(d, { ...BASE, type: "injective", steps: 5 });
    expect(full.step).toBe(5);
    const dir = mkdtempSync(join(tmpdir(), "ir-gan-"));
    // Stopped by a signal after the second step (a checkpoint is written when it stops) …
    const ac = new AbortController();
    const part = await train.trainGan(d, {
      ...BASE,
      type: "injective",
      steps: 5,
      checkpointDir: dir,
      checkpointEvery: 100,
      onProgress: (p) => {
        if (p.step === 2) ac.abort();
      },
      signal: ac.signal,
    });
    expect(part).toMatchObject({ step: 2, stopped: true });
    // … then resumed to the end.
    const rest = await train.trainGan(d, { ...BASE, type: "injective", steps: 5, checkpointDir: dir });
    expect(rest).toMatchObject({ step: 5, resumedFrom: 2, stopped: false });
    const a = flat(full);
    const b = flat(rest);
    expect(b.length).toBe(a.length);
    a.forEach((v, i) => expect(Buffer.from(b[i].buffer).equals(Buffer.from(v.buffer))).toBe(true));
    expect(rest.history.at(-1)).toEqual(full.history.at(-1));
    // The weights moved between step 2 and step 5.
    expect(flat(part).some((v, i) => v.some((x, j) => x !== a[i][j]))).toBe(true);
  }, 300_000);

  it("resumes from a run with fewer steps, and refuses a checkpoint of other settings", async () => {
    const d = data();
    const dir = mkdtempSync(join(tmpdir(), "ir-gan-"));
    await train.trainGan(d, { ...BASE, type: "regular", steps: 2, checkpointDir: dir, checkpointEvery: 1 });
    const c = await train.readGanCheckpoint(dir);
    expect(c?.step).toBe(2);
    const longer = await train.trainGan(d, { ...BASE, type: "regular", steps: 3, checkpointDir: dir });
    expect(longer.resumedFrom).toBe(2);
    const full = await train.trainGan(d, { ...BASE, type: "regular", steps: 3 });
    const a = flat(full);
    flat(longer).forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(a[i])));
    await expect(
      train.trainGan(d, { ...BASE, type: "injective", steps: 3, checkpointDir: dir }),
    ).rejects.toThrow(
      /the checkpoint belongs to a run with other settings \(type: "regular" ≠ "injective"\)/,
    );
  }, 300_000);

  it("batches and latent codes depend on the seed and the step only", () => {
    expect(Array.from(train.stepLatents(1, 5, 2, 3))).toEqual(Array.from(train.stepLatents(1, 5, 2, 3)));
    expect(train.stepLatents(1, 5, 2, 3)).not.toEqual(train.stepLatents(1, 6, 2, 3));
    const p = train.epochPermutation(50, 2, 0);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(train.epochPermutation(50, 2, 1))).not.toEqual(Array.from(p));
  });

  it("the inference network's learning rate moves the inference network only", async () => {
    const d = data();
    const base = await train.trainGan(d, { ...BASE, type: "injective", steps: 1 });
    const fast = await train.trainGan(d, { ...BASE, type: "injective", steps: 1, inetLearningRate: 1e-3 });
    expect(base.config.inetLearningRate).toBe(2e-4);
    expect(fast.config.inetLearningRate).toBe(1e-3);
    const w = (r: Train.TrainGanResult, model: number) =>
      r.state.weights[model].map((t) => Array.from(t.values));
    // Models [G, D, Inet]: G and D do not see the Inet in an iteration, so they are equal.
    expect(w(fast, 0)).toEqual(w(base, 0));
    expect(w(fast, 1)).toEqual(w(base, 1));
    expect(w(fast, 2)).not.toEqual(w(base, 2));
    await expect(
      train.trainGan(d, { ...BASE, type: "injective", steps: 1, inetLearningRate: 0 }),
    ).rejects.toThrow(/inetLearningRate must be in \(0, 1\], got 0/);
  }, 300_000);

  it("refuses bad settings with one-line errors", async () => {
    const d = data();
    await expect(train.trainGan(d, { ...BASE, type: "injective", steps: 0 })).rejects.toThrow(
      /steps must be a positive integer/,
    );
    await expect(train.trainGan(d, { ...BASE, type: "injective", steps: 2, batch: 1 })).rejects.toThrow(
      /batch must be an integer ≥ 2/,
    );
    await expect(
      train.trainGan({ ...d, count: 25 }, { ...BASE, type: "injective", steps: 2 }),
    ).rejects.toThrow(/are not 25 images/);
  });
});
