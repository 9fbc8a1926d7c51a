/**
 * The native-HiGHS baseline of `npm run bench:verify` (bench/native-milp.ts, scripts/milp-native.py):
 * the probe explains why it skips, and, where a Python with scipy >= 1.9 is installed, the script's
 * verdicts on small layers are the known ones. Without scipy those cases are skipped, not failed.
 */

import { describe, it, expect, afterAll } from "vitest";
import { NativeMilp, probeNativeMilp, scipyHasMilp } from "../../bench/native-milp.js";
import { gaussianMatrix } from "../../bench/common.js";
import { checkLayer } from "../../src/core/check-layer.js";

describe("probeNativeMilp", () => {
  it("reads scipy versions: milp from 1.9 on", () => {
    expect(scipyHasMilp("1.9.0")).toBe(true);
    expect(scipyHasMilp("1.10.1")).toBe(true);
    expect(scipyHasMilp("2.0.0rc1")).toBe(true);
    expect(scipyHasMilp("1.8.1")).toBe(false);
    expect(scipyHasMilp("garbage")).toBe(false);
  });

  it("says why it skips when the Python does not exist", () => {
    const p = probeNativeMilp(["/nonexistent/python3"]);
    expect(p.available).toBe(false);
    if (!p.available) expect(p.reason).toBe("/nonexistent/python3: not found");
  });
});

const probe = probeNativeMilp();
const skipReason = probe.available ? "" : ` (skipped: ${probe.reason})`;

describe.skipIf(!probe.available)(`scripts/milp-native.py${skipReason}`, () => {
  const solver = probe.available ? new NativeMilp(probe.python) : null;
  afterAll(() => solver?.close());
  const solve = (W: number[][]) => solver!.solve(W, 30, 1e-6);
  const nonneg = (W: number[][], x: number[]) =>
    W.filter((w) => w.reduce((s, v, j) => s + v * x[j], 0) >= 0).length;

  it("not injective: three rows in a half-plane, with a witness where at most n − 1 rows are >= 0", async () => {
    const W = [
      [1, 0],
      [1, 1],
      [1, -1],
    ];
    const a = await solve(W);
    expect(a.injective).toBe(false);
    expect(a.ms).toBeGreaterThan(0);
    expect(nonneg(W, a.x!)).toBeLessThanOrEqual(1);
  });

  it("injective: six directions around the circle, gaps below 90°", async () => {
    const W = [0, 50, 110, 170, 230, 290].map((deg) => [
      Math.cos((deg * Math.PI) / 180),
      Math.sin((deg * Math.PI) / 180),
    ]);
    const a = await solve(W);
    expect(a.injective).toBe(true);
    expect(a.x).toBeNull();
  });

  it("agrees with checkLayer on Gaussian 4-column layers, including the tolerance probe's layer", async () => {
    // Seed 500450 (20×4) is the layer where an integrality tolerance of 1e-6 gives a spurious point.
    for (const [m, seed] of [
      [12, 500430],
      [20, 500450],
      [28, 500470],
    ]) {
      const W = gaussianMatrix(m, 4, seed);
      const exact = (await checkLayer(W, null, { method: "auto" })).injective;
      expect(exact).not.toBeNull();
      const a = await solve(W);
      expect(a.injective, `m = ${m}, seed ${seed}`).toBe(exact);
      if (a.injective === false) expect(nonneg(W, a.x!)).toBeLessThanOrEqual(3);
    }
  });
});
