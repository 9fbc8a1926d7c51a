/**
 * Honest time limits (issue 12): the progress of checkLayer names its stages (the search, then the
 * exact re-check of the certificate), and when the limit runs out during the re-check, the reason
 * says that the search had finished (how long it took, how large the certificate is) and that only
 * the re-check was cut. The limit is made to run out at the start of the re-check by a progress
 * callback that waits until the deadline has passed, so the test does not depend on the machine.
 */

import { describe, expect, it } from "vitest";
import { checkLayer, constructGaussian } from "../../src/index.js";

/** Waits (busy) until `ms` have passed: a callback that takes its time, as a slow machine would. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* wait */
  }
}

describe("time-limit stages of checkLayer", () => {
  const { W } = constructGaussian(4, 40, { seed: 3 });

  it("progress shows the search, then the exact re-check of the certificate", async () => {
    const stages: string[] = [];
    const r = await checkLayer(W, null, {
      onProgress: (p) => {
        if (stages.at(-1) !== p.stage) stages.push(p.stage);
      },
    });
    expect(r.injective).toBe(true);
    expect(stages).toEqual(["branch-and-bound", "certificate"]);
  });

  it("a limit that runs out during the re-check says the search had finished", async () => {
    let waited = false;
    const r = await checkLayer(W, null, {
      timeLimitMs: 1_000,
      onProgress: (p) => {
        if (p.stage === "certificate" && !waited) {
          waited = true;
          spin(1_100);
        }
      },
    });
    expect(waited).toBe(true);
    expect(r.injective).toBeNull();
    expect(r.limit).toEqual({ kind: "time", stage: expect.stringMatching(/re-check|certificate/) });
    expect(r.reason).toMatch(/the search had finished in [\d.]+ (ms|s) without a collision/);
    expect(r.reason).toMatch(/a certificate of \d+ Motzkin dual\(s\)/);
    expect(r.reason).toMatch(/only the exact re-check of that certificate was cut short, after/);
    expect(r.reason).not.toMatch(/no collision was found so far/);
  });

  it("a limit that runs out during the search still says only that no collision was found so far", async () => {
    let waited = false;
    const r = await checkLayer(W, null, {
      timeLimitMs: 1_000,
      onProgress: (p) => {
        if (p.stage === "branch-and-bound" && !waited) {
          waited = true;
          spin(1_100);
        }
      },
    });
    expect(waited).toBe(true);
    expect(r.injective).toBeNull();
    expect(r.reason).toMatch(/no collision was found so far/);
    expect(r.reason).not.toMatch(/search had finished/);
  });
});
