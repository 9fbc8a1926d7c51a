/**
 * The floating-point filter of a dual's algebra (src/core/dual-filter.ts) against the integers: it
 * may refuse a dual that holds, never accept one that does not. Differential, on integer and on
 * near-degenerate float duals (a weight of 2^-40 … 2^-70 or exactly 0, of either sign; biases that
 * nearly cancel; rows scaled by 2^±300; entries the doubles cannot hold exactly as integers).
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { checkLayer, type Dual } from "../../src/core/index.js";
import { exactDualProblem } from "../../src/core/certificate.js";
import { dualHoldsByFilter } from "../../src/core/dual-filter.js";
import { dyadicRows } from "../../src/core/exact.js";
import { DUAL_WEIGHT_AGREEMENT } from "../../src/core/numerics.js";
import { gaussianLayer } from "../../src/experiments/phase.js";

/** A layer holding the dual's rows at the given positions among filler rows, and the dual. */
function place(rows: number[][], bias: number[], weights: number[], at: number[], m: number) {
  const n = rows[0].length;
  const W: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < m; i++) {
    W.push(Array.from({ length: n }, (_, j) => ((i * 7 + j * 3) % 5) - 2));
    b.push(0);
  }
  at.forEach((i, t) => {
    W[i] = rows[t];
    b[i] = bias[t];
  });
  const order = at.map((_, t) => t).sort((p, q) => at[p] - at[q]);
  const d: Dual = { rows: order.map((t) => at[t]), weights: order.map((t) => weights[t]) };
  return { W, b, d };
}

/** The filter's answer and the integers' answer on one dual. */
function both(W: number[][], b: number[], d: Dual) {
  const ints = dyadicRows(W, b);
  const filter = dualHoldsByFilter(ints, d, DUAL_WEIGHT_AGREEMENT);
  const exact = exactDualProblem(ints, d, "all", 1e-9, { filter: false });
  return { filter, exact };
}

/** A double in (−1, 1) with a full 53-bit mantissa (not a short dyadic). */
const real = fc.integer({ min: -1e9, max: 1e9 }).map((v) => (v / 1e9) * Math.SQRT1_2);

/** Distinct positions for k rows among m. */
const positions = (k: number, m: number) =>
  fc
    .shuffledSubarray([...Array(m).keys()], { minLength: k, maxLength: k })
    .chain((s) => fc.shuffledSubarray(s, { minLength: k, maxLength: k }));

describe("dualHoldsByFilter", () => {
  it("never accepts an integer dual the integers refuse, and accepts the generic ones", () => {
    let accepted = 0;
    let holds = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            rows: fc.array(fc.array(fc.integer({ min: -4, max: 4 }), { minLength: n, maxLength: n }), {
              minLength: n,
              maxLength: n,
            }),
            c: fc.array(fc.integer({ min: -1, max: 3 }), { minLength: n, maxLength: n }),
            bias: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n + 1, maxLength: n + 1 }),
            noise: fc.constantFrom(0, 1e-9, 1e-3),
            at: positions(n + 1, n + 4),
          }),
        ),
        ({ n, rows, c, bias, noise, at }) => {
          // w_{n+1} = −Σ c_t w_t: the weights (c, 1) cancel the rows exactly.
          const last = Array.from({ length: n }, (_, j) => -rows.reduce((s, r, t) => s + c[t] * r[j], 0));
          const all = [...rows, last];
          const w = [...c, 1].map((v, t) => Math.max(v, 0) + noise * ((t % 3) - 1));
          const s = w.reduce((a, v) => a + Math.abs(v), 0);
          const { W, b, d } = place(
            all,
            bias,
            w.map((v) => Math.abs(v) / s),
            at,
            n + 4,
          );
          const r = both(W, b, d);
          if (r.filter) {
            accepted++;
            expect(r.exact).toBeNull();
          }
          if (r.exact === null && noise < 1e-3 && c.every((v) => v > 0)) holds++;
        },
      ),
      { numRuns: 1500, seed: 14 },
    );
    // Not a filter that refuses everything: most duals that hold with positive weights are proved
    // in floats (those that fail have dependent rows: the integers then pick among many weights).
    expect(accepted).toBeGreaterThan(0.5 * holds);
  });

  it("never accepts a near-degenerate float dual the integers refuse", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            rows: fc.array(fc.array(real, { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
            c: fc.array(
              real.map((v) => 1e-3 + Math.abs(v)),
              { minLength: n, maxLength: n },
            ),
            tiny: fc.record({
              t: fc.nat(),
              exp: fc.integer({ min: 40, max: 70 }),
              sign: fc.constantFrom(-1, 0, 1, null),
            }),
            scales: fc.array(fc.constantFrom(0, 0, 0, -300, 300, 40), { minLength: n + 1, maxLength: n + 1 }),
            biasKind: fc.constantFrom("none", "random", "cancel-up", "cancel-down"),
            bias: fc.array(real, { minLength: n, maxLength: n }),
            at: positions(n + 1, n + 3),
          }),
        ),
        ({ n, rows, c, tiny, scales, biasKind, bias, at }) => {
          const cc = [...c];
          if (tiny.sign !== null) cc[tiny.t % n] = tiny.sign * 2 ** -tiny.exp;
          const last = Array.from({ length: n }, (_, j) => -rows.reduce((s, r, t) => s + cc[t] * r[j], 0));
          let bl = 0;
          const bs = biasKind === "none" ? rows.map(() => 0) : [...bias];
          if (biasKind === "random") bl = bias[0] - bias[n - 1];
          if (biasKind !== "none" && biasKind !== "random") {
            bl = -bs.reduce((s, v, t) => s + cc[t] * v, 0);
            bl += (biasKind === "cancel-up" ? 1 : -1) * 2 ** -60;
          }
          // Row t scaled by 2^scale_t: its weight scales by 2^−scale_t.
          const all = [...rows, last].map((r, t) => r.map((v) => v * 2 ** scales[t]));
          const ball = [...bs, bl].map((v, t) => v * 2 ** scales[t]);
          const w = [...cc, 1].map((v, t) => Math.abs(v) * 2 ** -scales[t]);
          const s = w.reduce((a, v) => a + v, 0);
          const { W, b, d } = place(
            all,
            ball,
            w.map((v) => v / s),
            at,
            n + 3,
          );
          if (W.some((r) => r.every((v) => v === 0))) return;
          const r = both(W, b, d);
          if (r.filter) {
            accepted++;
            expect(r.exact).toBeNull();
          }
          if (r.exact !== null) refused++;
        },
      ),
      { numRuns: 3000, seed: 15 },
    );
    // Both sides of the question occur.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it("refuses rows the doubles cannot hold as integers, and stated weights that disagree", () => {
    // One row mixes 1e300 and 1e-300: its integer form has ~2,000 bits.
    const W = [
      [1e300, 1e-300],
      [0, 1],
      [-1, -1],
      [1, 0],
    ];
    const ints = dyadicRows(W, [0, 0, 0, 0]);
    const d: Dual = { rows: [0, 1, 2], weights: [1e-300, 1, 1] };
    expect(dualHoldsByFilter(ints, d, DUAL_WEIGHT_AGREEMENT)).toBe(false);
    const plus = dyadicRows(
      [
        [1, 0],
        [0, 1],
        [-1, -1],
      ],
      [0, 0, 0],
    );
    const third = 1 / 3;
    expect(dualHoldsByFilter(plus, { rows: [0, 1, 2], weights: [third, third, third] }, 1e-6)).toBe(true);
    expect(
      dualHoldsByFilter(plus, { rows: [0, 1, 2], weights: [third + 1e-4, third, third - 1e-4] }, 1e-6),
    ).toBe(false);
    expect(
      exactDualProblem(plus, { rows: [0, 1, 2], weights: [third + 1e-4, third, third - 1e-4] }, "all", 1e-9),
    ).toMatch(/differ/);
  });

  it("proves nearly every dual of a Gaussian certificate", async () => {
    const { W, b } = gaussianLayer(6, 40, false, 3);
    const r = await checkLayer(W, b, { domain: "all" });
    expect(r.injective).toBe(true);
    const ints = dyadicRows(W, b ?? W.map(() => 0));
    const duals = r.certificate!.duals;
    const proved = duals.filter((d) => dualHoldsByFilter(ints, d, DUAL_WEIGHT_AGREEMENT)).length;
    expect(proved).toBeGreaterThanOrEqual(0.95 * duals.length);
  });
});
