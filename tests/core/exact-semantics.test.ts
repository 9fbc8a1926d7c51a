/**
 * Regression tests of issue 9: verdicts are about the matrix exactly as given, never decided by the
 * tolerance, and certificates cannot be forged. Each case is one that a floating-point verifier got
 * wrong; each is compared with the independent exact reference (tests/reference/exact-reference.ts).
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { checkLayer, verifyCertificate, verifyWitness, type Certificate } from "../../src/core/index.js";
import { exactInjective, exactlyCollide, parseQ } from "../reference/exact-reference.js";
import { checkNetwork } from "../../src/network/check-network.js";
import type { Network } from "../../src/model/network.js";

/** The witness collides exactly by the reference's own arithmetic (fractions when given). */
function collidesExactly(
  W: number[][],
  b: number[] | null,
  w: NonNullable<Awaited<ReturnType<typeof checkLayer>>["witness"]>,
): boolean {
  const x1 = (w.exactX1 ?? w.x1).map(parseQ);
  const x2 = (w.exactX2 ?? w.x2).map(parseQ);
  return exactlyCollide(W, b, x1, x2) && x1.some((v, j) => v.sub(x2[j]).sign !== 0);
}

describe("wrong verdicts of a floating-point verifier, now exact", () => {
  it("[B; −B] with det B = 2^30 (rows 2^30·(1, 0) and 2^30·(1, 2^−30)) is injective", async () => {
    const W = [
      [1073741824, 0],
      [1073741824, 1],
      [-1073741824, 0],
      [-1073741824, -1],
    ];
    const r = await checkLayer(W);
    expect(r.injective).toBe(true);
    expect(r.exact).toBe(true);
    expect(verifyCertificate(W, null, r.certificate!).valid).toBe(true);
    expect(exactInjective(W, null, "all").injective).toBe(true);
  });

  it.each([1e-10, 1e-100, 1e-300, 5e-324])(
    "a dead zone of width %s is not injective (exact witness)",
    async (eps) => {
      const W = [[1], [-1]];
      const b = [0, -eps];
      const r = await checkLayer(W, b);
      expect(r.injective).toBe(false);
      expect(collidesExactly(W, b, r.witness!)).toBe(true);
      expect(verifyWitness(W, b, r.witness!, "all").valid).toBe(true);
    },
  );

  it("the tolerance never decides: a gap far below it still gives the exact verdict", async () => {
    for (const tolerance of [1e-9, 1e-3, 0.1]) {
      const r = await checkLayer([[1], [-1]], [0, -1e-10], { tolerance });
      expect(r.injective).toBe(false);
      const ok = await checkLayer([[1], [-1]], [0, 1e-10], { tolerance });
      expect(ok.injective).toBe(true);
    }
  });

  it("entries near the largest double: rows are scaled before any norm; witnesses are finite", async () => {
    const big = 1.7e308;
    const cases: [number[][], boolean][] = [
      [
        [
          [big, 0],
          [0, big],
          [-big, 0],
          [0, -big],
        ],
        true,
      ],
      [
        [
          [big, big],
          [big, -big],
          [-big, -big],
        ],
        false,
      ],
    ];
    for (const [W, expected] of cases) {
      const r = await checkLayer(W);
      expect(r.injective).toBe(expected);
      expect(exactInjective(W, null, "all").injective).toBe(expected);
      if (r.witness) {
        expect([...r.witness.x1, ...r.witness.x2].every(Number.isFinite)).toBe(true);
        expect(collidesExactly(W, null, r.witness)).toBe(true);
      }
    }
  });

  it("a row mixing 1e308 and 5e-324 with huge biases is decided exactly", async () => {
    const W = [
      [1e308, 5e-324],
      [-1e308, 0],
      [0, 1],
      [0, -1e-300],
    ];
    const b = [1e308, 0, -1e308, 0];
    const r = await checkLayer(W, b);
    const ref = exactInjective(W, b, "all");
    expect(r.injective).toBe(ref.injective);
    if (r.witness) expect(collidesExactly(W, b, r.witness)).toBe(true);
  });

  it("float-rounded antiparallel pairs are NOT exactly [B; −DB]: the exact verdict, with a thin-wedge witness", async () => {
    // −0.01·(−0.024, −0.016) rounds, so the pair is only nearly antiparallel.
    const W = [
      [0, 0.004],
      [-0.024, -0.016],
      [-0, -0.00004],
      [0.00024, 0.00016],
    ];
    const r = await checkLayer(W);
    expect(exactInjective(W, null, "all").injective).toBe(false);
    expect(r.injective).toBe(false);
    expect(collidesExactly(W, null, r.witness!)).toBe(true);
  });

  it("small integer layers on the orthant are always decided (no unknown from a 3e-17 weight)", async () => {
    let decided = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 4 }).chain((n) =>
          fc.array(fc.array(fc.integer({ min: -2, max: 2 }), { minLength: n, maxLength: n }), {
            minLength: n,
            maxLength: n + 4,
          }),
        ),
        async (W) => {
          const r = await checkLayer(W, null, { domain: "nonnegative" });
          expect(r.injective, r.reason).not.toBeNull();
          expect(r.injective).toBe(exactInjective(W, null, "nonnegative").injective);
          decided++;
        },
      ),
      { numRuns: 60, seed: 5 },
    );
    expect(decided).toBe(60);
  });
});

describe("networks: a sampled near-collision is never a witness", () => {
  it("N(x) = (x1, 1e-10·x2) through [I; −I] is not called non-injective", async () => {
    const net: Network = {
      format: "injective-relu/network",
      version: 1,
      inputDim: 2,
      layers: [
        {
          type: "dense",
          W: [
            [1, 0],
            [0, 1],
            [-1, 0],
            [0, -1],
          ],
          activation: "relu",
        },
        {
          type: "dense",
          W: [
            [1, 0, -1, 0],
            [0, 1e-10, 0, -1e-10],
          ],
          activation: "linear",
        },
      ],
    };
    const r = await checkNetwork(net);
    expect(r.injective).not.toBe(false);
    expect(r.reason).toMatch(/not an exact collision|not found in the range/);
  });
});

describe("certificates cannot be forged", () => {
  const W = [
    [2.5, 0.1],
    [0.1, 2.5],
  ];

  it("weights of 1e308 on single rows (the reported forgery) are rejected", () => {
    const forged = {
      kind: "dual-cover",
      domain: "all",
      m: 2,
      n: 2,
      duals: [
        { rows: [0], weights: [1e308] },
        { rows: [1], weights: [1e308] },
      ],
    } as Certificate;
    expect(verifyCertificate(W, null, forged).valid).toBe(false);
  });

  it("NaN, Infinity, negative and huge tolerances are refused", () => {
    const cert: Certificate = { kind: "dual-cover", domain: "all", m: 2, n: 2, duals: [] };
    for (const tolerance of [NaN, Infinity, -1, 0, 2])
      expect(() => verifyCertificate(W, null, cert, { tolerance })).toThrow(/tolerance/);
    expect(() => verifyWitness(W, null, { x1: [0, 0], x2: [1, 1] }, "all", { tolerance: NaN })).toThrow(
      /tolerance/,
    );
  });

  it("malformed fields are invalid, not accepted and not a crash", () => {
    const base: Certificate = {
      kind: "dual-cover",
      domain: "nonnegative",
      m: 2,
      n: 2,
      duals: [{ rows: [0], weights: [1] }],
    };
    const bad: unknown[] = [
      { ...base, domain: "everywhere" },
      { ...base, m: 3 },
      { ...base, n: "2" },
      { ...base, duals: [{ rows: [0], weights: [NaN] }] },
      { ...base, duals: [{ rows: [0], weights: [Infinity] }] },
      { ...base, duals: [{ rows: [0], weights: [-1] }] },
      { ...base, duals: [{ rows: [2], weights: [1] }] },
      { ...base, duals: [{ rows: [0.5], weights: [1] }] },
      { ...base, duals: [{ rows: [0, 0], weights: [1, 1] }] },
      { ...base, duals: [{ rows: [0], weights: [0] }] },
      { ...base, duals: [{ rows: [0, 1], weights: [1] }] },
      { ...base, duals: null },
      null,
      "certificate",
    ];
    for (const c of bad) {
      const r = verifyCertificate(W, null, c as Certificate);
      expect(r.valid, JSON.stringify(c)).toBe(false);
      expect(r.reason).toMatch(/malformed/);
    }
  });

  it("a certificate for the orthant does not prove R^n; one for R^n proves the orthant", async () => {
    const I = [
      [1, 0],
      [0, 1],
    ];
    const orthant = await checkLayer(I, null, { domain: "nonnegative" });
    expect(orthant.injective).toBe(true);
    expect(verifyCertificate(I, null, orthant.certificate!).valid).toBe(true);
    const asAll = verifyCertificate(I, null, orthant.certificate!, { domain: "all" });
    expect(asAll.valid).toBe(false);
    expect(asAll.reason).toMatch(/orthant/);
    const pm = [...I, ...I.map((r) => r.map((v) => -v))];
    const all = await checkLayer(pm);
    expect(verifyCertificate(pm, null, all.certificate!, { domain: "nonnegative" }).valid).toBe(true);
  });

  it("a witness is valid only when it collides exactly; near-collisions are reported, not accepted", () => {
    const V = [
      [0.1, 0.3],
      [-1, 0.2],
    ];
    const near = verifyWitness(V, null, { x1: [1, 1], x2: [1.3, 0.9] }, "all");
    expect(near.valid).toBe(false);
    expect(near.approximate).toBe(true);
    // Exact fractions are read exactly: x2 − x1 = (3, −1)/10 is orthogonal to the DECIMAL row
    // (0.1, 0.3), but not to the double nearest to it, so this pair does not collide either.
    const decimal = verifyWitness(V, null, { x1: ["1", "1"], x2: ["13/10", "9/10"] }, "all");
    expect(decimal.valid).toBe(false);
    // Along (3·2^−55·…): the exact normal of the double row (0.1, 0.3) works.
    const row = [0.1, 0.3].map((v) => parseQ(v));
    const x2 = [parseQ(1).add(row[1]), parseQ(1).sub(row[0])];
    const exact = verifyWitness(V, null, { x1: ["1", "1"], x2: x2.map((q) => `${q.p}/${q.q}`) }, "all");
    expect(exact.valid).toBe(true);
  });
});
