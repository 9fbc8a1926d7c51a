/**
 * Statistics of the phase-transition experiment (src/experiments/phase-stats.ts): Wilson intervals
 * against published values, the logistic crossing on synthetic data with a known α_½ (expected and
 * seeded binomial counts), the separated and unbracketed cases, and the a + c/n extrapolation.
 */

import { describe, it, expect } from "vitest";
import { Rng } from "../../src/core/random.js";
import {
  estimateCrossings,
  extrapolateCrossing,
  studentT975,
  wilsonInterval,
  Z95,
} from "../../src/experiments/phase-stats.js";
import type { PhaseCrossing, PhasePoint } from "../../src/experiments/phase-types.js";

function point(n: number, ratio: number, injective: number, notInjective: number, unknown = 0): PhasePoint {
  const decided = injective + notInjective;
  const w = wilsonInterval(injective, decided);
  return {
    n,
    m: Math.round(ratio * n),
    ratio,
    bias: false,
    trials: decided + unknown,
    injective,
    notInjective,
    unknown,
    p: decided === 0 ? null : injective / decided,
    low: decided === 0 ? null : w.low,
    high: decided === 0 ? null : w.high,
    medianTimeMs: 1,
    maxTimeMs: 1,
  };
}

const sigmoid = (t: number): number => 1 / (1 + Math.exp(-t));

describe("wilsonInterval", () => {
  it("matches known values (0/10, 10/10, 5/10, 1/100)", () => {
    const a = wilsonInterval(0, 10);
    expect(a.low).toBe(0);
    expect(a.high).toBeCloseTo(0.27753, 5);
    const b = wilsonInterval(10, 10);
    expect(b.low).toBeCloseTo(0.72247, 5);
    expect(b.high).toBe(1);
    const c = wilsonInterval(5, 10);
    expect(c.low).toBeCloseTo(0.23659, 5);
    expect(c.high).toBeCloseTo(0.76341, 5);
    const d = wilsonInterval(1, 100);
    expect(d.low).toBeCloseTo(0.001767, 5);
    expect(d.high).toBeCloseTo(0.054486, 5);
  });

  it("returns [0, 1] for zero trials and rejects bad counts", () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    expect(() => wilsonInterval(11, 10)).toThrow(/wilsonInterval.*successes/);
    expect(() => wilsonInterval(1.5, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(0, -1)).toThrow(/trials/);
  });
});

describe("studentT975", () => {
  it("uses the table and a smooth expansion beyond it", () => {
    expect(studentT975(1)).toBeCloseTo(12.7062, 4);
    expect(studentT975(30)).toBeCloseTo(2.04227, 5);
    expect(studentT975(31)).toBeCloseTo(2.03951, 4);
    expect(studentT975(120)).toBeCloseTo(1.97993, 4);
    expect(studentT975(1e6)).toBeCloseTo(Z95, 5);
  });
});

describe("estimateCrossings", () => {
  const ratios = [5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5];

  it("recovers α_½ from expected counts of a logistic (large trial counts)", () => {
    const N = 100_000;
    const points = ratios.map((a) => {
      const k = Math.round(N * sigmoid(3 * (a - 6.7)));
      return point(40, a, k, N - k);
    });
    const [c] = estimateCrossings(points);
    expect(c.n).toBe(40);
    expect(c.alpha).toBeCloseTo(6.7, 3);
    expect(c.low!).toBeLessThan(6.7);
    expect(c.high!).toBeGreaterThan(6.7);
    expect(c.high! - c.low!).toBeLessThan(0.01);
    expect(c.method).toMatch(/logistic.*delta method/);
  });

  it("covers the true α_½ with seeded binomial counts, and excludes unknowns", () => {
    const rng = new Rng(7);
    const points = ratios.map((a) => {
      let k = 0;
      const N = 400;
      for (let t = 0; t < N; t++) if (rng.uniform() < sigmoid(2.5 * (a - 6.4))) k++;
      return point(30, a, k, N - k, 17);
    });
    const [c] = estimateCrossings(points);
    expect(c.low!).toBeLessThan(6.4);
    expect(c.high!).toBeGreaterThan(6.4);
    expect(c.high! - c.low!).toBeLessThan(0.2);
    // The unknowns are not counted: the same points without unknowns give the same estimate.
    const [d] = estimateCrossings(points.map((p) => ({ ...p, unknown: 0, trials: p.trials - 17 })));
    expect(d.alpha).toBe(c.alpha);
  });

  it("returns one crossing per n, sorted by n", () => {
    const points = [20, 10].flatMap((n) =>
      ratios.map((a) => {
        const k = Math.round(1000 * sigmoid(2 * (a - 6 - 10 / n)));
        return point(n, a, k, 1000 - k);
      }),
    );
    const cs = estimateCrossings(points);
    expect(cs.map((c) => c.n)).toEqual([10, 20]);
    expect(cs[0].alpha).toBeCloseTo(7, 2);
    expect(cs[1].alpha).toBeCloseTo(6.5, 2);
  });

  it("interpolates under perfect separation", () => {
    const points = [point(8, 4, 0, 20), point(8, 5, 0, 20), point(8, 6, 20, 0), point(8, 7, 20, 0)];
    const [c] = estimateCrossings(points);
    expect(c.alpha).toBeCloseTo(5.5, 12);
    expect(c.low).toBe(5);
    expect(c.high).toBe(6);
    expect(c.method).toMatch(/separation/);
    // One mixed ratio between the pure ones is still separated.
    const [d] = estimateCrossings([point(8, 4, 0, 20), point(8, 5, 5, 15), point(8, 6, 20, 0)]);
    expect(d.alpha).toBeCloseTo(5 + (0.25 / 0.75) * 1, 12);
    expect(d.method).toMatch(/separation/);
  });

  it("returns null when the data do not bracket 1/2, decrease, or are too few", () => {
    const above = estimateCrossings([point(8, 6, 12, 8), point(8, 7, 18, 2), point(8, 8, 20, 0)]);
    expect(above[0].alpha).toBeNull();
    expect(above[0].method).toMatch(/bracket/);
    const below = estimateCrossings([point(8, 2, 0, 20), point(8, 3, 10, 10)]);
    expect(below[0].alpha).toBeNull();
    expect(below[0].method).toMatch(/bracket/);
    const decreasing = estimateCrossings([point(8, 4, 20, 0), point(8, 5, 0, 20)]);
    expect(decreasing[0].alpha).toBeNull();
    expect(decreasing[0].method).toMatch(/decrease/);
    const few = estimateCrossings([point(8, 4, 0, 3), point(8, 8, 3, 0)]);
    expect(few[0].alpha).toBeNull();
    expect(few[0].method).toMatch(/decided/);
    const none = estimateCrossings([point(8, 4, 0, 0, 5)]);
    expect(none[0]).toMatchObject({ n: 8, alpha: null, low: null, high: null });
  });

  it("rejects mixed bias settings and malformed counts", () => {
    const a = point(8, 4, 1, 2);
    expect(() => estimateCrossings([a, { ...a, bias: true }])).toThrow(/estimateCrossings.*bias/);
    expect(() => estimateCrossings([{ ...a, injective: -1 }])).toThrow(/injective/);
  });
});

function crossing(n: number, alpha: number, se: number): PhaseCrossing {
  return { n, alpha, low: alpha - Z95 * se, high: alpha + Z95 * se, method: "synthetic" };
}

describe("extrapolateCrossing", () => {
  const ns = [10, 20, 40, 80, 160];

  it("recovers a + c/n from exact data, with the WLS standard error", () => {
    const se = 0.05;
    const e = extrapolateCrossing(ns.map((n) => crossing(n, 6.7 - 12 / n, se)))!;
    expect(e.alpha).toBeCloseTo(6.7, 10);
    expect(e.ns).toEqual(ns);
    // Equal weights: se(a) = σ·sqrt(Σx² / (kΣx² − (Σx)²)) with x = 1/n.
    const x = ns.map((n) => 1 / n);
    const sx = x.reduce((s, v) => s + v, 0);
    const sxx = x.reduce((s, v) => s + v * v, 0);
    const expected = se * Math.sqrt(sxx / (ns.length * sxx - sx * sx));
    expect(e.stderr).toBeCloseTo(expected, 10);
    expect(e.low).toBeCloseTo(6.7 - Z95 * expected, 10);
    expect(e.high).toBeCloseTo(6.7 + Z95 * expected, 10);
    expect(e.fit).toMatch(/a \+ c\/n/);
    expect(e.fit).toMatch(/c = -12/);
    expect(e.fit).toMatch(/Sensitivity check, a \+ c\/n \+ d\/n²/);
  });

  it("inflates the standard error when the residuals exceed the intervals", () => {
    const noise = [0.3, -0.25, 0.2, -0.3, 0.1];
    const cs = ns.map((n, i) => crossing(n, 6.7 - 12 / n + noise[i], 0.05));
    const e = extrapolateCrossing(cs)!;
    expect(e.fit).toMatch(/inflated/);
    expect(e.fit).toMatch(/Student t with 3 dof/);
    expect(e.low).toBeLessThan(6.7);
    expect(e.high).toBeGreaterThan(6.7);
    expect(e.stderr).toBeGreaterThan(0.1);
    expect(e.stderr).toBeLessThan(1);
  });

  it("uses only crossings with an estimate and needs three of them", () => {
    const none: PhaseCrossing = { n: 30, alpha: null, low: null, high: null, method: "no estimate" };
    expect(extrapolateCrossing([crossing(10, 5, 0.1), crossing(20, 6, 0.1), none])).toBeNull();
    const e = extrapolateCrossing([
      crossing(10, 5.5, 0.1),
      none,
      crossing(20, 6, 0.1),
      crossing(40, 6.25, 0.1),
    ]);
    expect(e).not.toBeNull();
    expect(e!.ns).toEqual([10, 20, 40]);
    expect(e!.alpha).toBeCloseTo(6.5, 10);
    expect(e!.fit).not.toMatch(/Sensitivity/);
    expect(extrapolateCrossing([])).toBeNull();
  });
});
