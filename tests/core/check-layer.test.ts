/**
 * checkLayer on hand cases with known answers (paper Figure 2, Corollary 2, the Lemma 1
 * counterexample, rank deficiency, n = 1), for every method, plus time limits, cancellation and
 * validation.
 */

import { describe, it, expect } from "vitest";
import {
  checkLayer,
  forwardLayer,
  verifyCertificate,
  verifyWitness,
  type Domain,
  type Method,
} from "../../src/core/index.js";

type Case = { name: string; W: number[][]; b?: number[]; all: boolean; nonnegative: boolean };

const B = [
  [2, 1],
  [1, 3],
];
const D = [1, 0.5];
const cor2 = [...B, ...B.map((row, i) => row.map((v) => -D[i] * v))];

const cases: Case[] = [
  {
    name: "identity I_2",
    W: [
      [1, 0],
      [0, 1],
    ],
    all: false,
    nonnegative: true,
  },
  {
    name: "[I; −I] in R^3",
    W: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, -1],
    ],
    all: true,
    nonnegative: true,
  },
  // Figure 2 (left): wedges between (1,0) and (0,1) rotated... rows at 0°, 90°, 200°, 250°: the wedge
  // around 135°+... has only one active row.
  {
    name: "Figure 2 (left)",
    W: [
      [1, 0],
      [0, 1],
      [-1, -0.3],
      [-0.3, -1],
    ],
    all: false,
    nonnegative: true,
  },
  {
    name: "Figure 2 (center)",
    W: [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
    ],
    all: true,
    nonnegative: true,
  },
  { name: "Corollary 2 [B; −DB]", W: cor2, all: true, nonnegative: true },
  { name: "Corollary 2 [B; −DB; M]", W: [...cor2, [5, -7], [0.25, 0.5]], all: true, nonnegative: true },
  { name: "Corollary 2 minus one row (m < 2n)", W: cor2.slice(0, 3), all: false, nonnegative: true },
  { name: "Lemma 1 counterexample", W: [[1], [-1]], b: [1, -0.5], all: true, nonnegative: true },
  { name: "bias gap", W: [[1], [-1]], b: [-1, -1], all: false, nonnegative: false },
  {
    name: "rank deficient",
    W: [
      [1, 1],
      [2, 2],
      [-1, -1],
      [-3, -3],
    ],
    all: false,
    nonnegative: false,
  },
  { name: "n = 1 injective", W: [[2], [-3]], all: true, nonnegative: true },
  { name: "n = 1 one-sided", W: [[1], [2]], all: false, nonnegative: true },
  {
    name: "zero rows do not help",
    W: [
      [0, 0],
      [1, 0],
      [0, 1],
      [0, 0],
    ],
    all: false,
    nonnegative: true,
  },
  // Counting is not enough: every closed half-plane holds >= 2 rows, but some hold two parallel ones.
  {
    name: "parallel rows",
    W: [
      [1, 0],
      [2, 0],
      [-1, 0],
      [-3, 0],
      [0, 1],
    ],
    all: false,
    nonnegative: true,
  },
];

const methods: Method[] = ["auto", "exhaustive"];

describe("hand cases with known answers", () => {
  for (const c of cases) {
    for (const domain of ["all", "nonnegative"] as Domain[]) {
      for (const method of methods) {
        it(`${c.name}, ${domain}, ${method}`, async () => {
          const r = await checkLayer(c.W, c.b, { domain, method });
          expect(r.injective).toBe(c[domain]);
          if (r.injective === false) {
            const w = r.witness!;
            expect(w.x1).not.toEqual(w.x2);
            expect(forwardLayer(c.W, c.b, w.x1)).toEqual(forwardLayer(c.W, c.b, w.x2));
            expect(verifyWitness(c.W, c.b, w, domain).valid).toBe(true);
            expect(w.activeRank).toBeLessThan(c.W[0].length);
            if (domain === "nonnegative") expect([...w.x1, ...w.x2].every((v) => v >= 0)).toBe(true);
          } else {
            expect(verifyCertificate(c.W, c.b, r.certificate!).valid).toBe(true);
          }
        });
      }
    }
  }
});

describe("methods", () => {
  it("structure proves Corollary 2 layers without search", async () => {
    const r = await checkLayer(cor2, null, { method: "structure" });
    expect(r.injective).toBe(true);
    expect(r.method).toBe("structure");
    expect(r.stats.lpSolves).toBe(0);
    expect(r.reason).toMatch(/Corollary 2/);
  });

  it("structure answers null (not false) where it does not apply", async () => {
    const r = await checkLayer(
      [
        [1, 0],
        [0, 1],
        [-1, -1],
        [1, 1],
      ],
      null,
      { method: "structure" },
    );
    expect(r.injective).toBeNull();
  });

  it("falsify finds witnesses and never claims injectivity", async () => {
    const bad = await checkLayer(
      [
        [1, 0],
        [0, 1],
        [-1, -0.3],
        [-0.3, -1],
      ],
      null,
      { method: "falsify" },
    );
    expect(bad.injective).toBe(false);
    expect(bad.method).toBe("falsify");
    const good = await checkLayer(cor2, null, { method: "falsify" });
    expect(good.injective).toBeNull();
    expect(good.reason).toMatch(/proves nothing/);
  });

  it("lemma1 proves what its sufficient direction can and declines the Lemma 1 counterexample (docs/verifier.md)", async () => {
    const ok = await checkLayer(cor2, [1, 0, 2, 0.5], { method: "lemma1" });
    expect(ok.injective).toBe(true);
    expect(ok.method).toBe("lemma1");
    expect(verifyCertificate(cor2, [1, 0, 2, 0.5], ok.certificate!).valid).toBe(true);
    const cex = await checkLayer([[1], [-1]], [1, -0.5], { method: "lemma1" });
    expect(cex.injective).toBeNull();
    expect(cex.reason).toMatch(/only if.*false/);
    // ... while the exact methods decide it: injective.
    expect((await checkLayer([[1], [-1]], [1, -0.5], { method: "exhaustive" })).injective).toBe(true);
  });

  it("every decided verdict has exact evidence, for integral and non-integral layers alike", async () => {
    expect(
      (
        await checkLayer(
          [
            [1, 0],
            [0, 1],
          ],
          null,
        )
      ).exact,
    ).toBe(true);
    expect(
      (
        await checkLayer(
          [
            [2, 1],
            [1, 3],
            [-2, -1],
            [-1, -3],
          ],
          null,
          { method: "exhaustive" },
        )
      ).exact,
    ).toBe(true);
    const r = await checkLayer(
      [
        [0.1, 0.7],
        [0.3, -0.2],
        [-0.35, 0.11],
      ],
      null,
    );
    expect(r.injective).toBe(false);
    // 0.1, 0.7, … are dyadic rationals near the decimals; the witness collides exactly for them.
    expect(r.exact).toBe(true);
    expect(r.witness!.exact).toBe(true);
    expect(r.assumptions.join(" ")).toMatch(/exactly as given/);
  });
});

describe("time limits and cancellation give unknown, never a guess", () => {
  const big = (() => {
    let s = 11;
    const rnd = () => ((s = (s * 16807) % 2147483647), s / 2147483647 - 0.5);
    return Array.from({ length: 120 }, () => Array.from({ length: 8 }, rnd));
  })();

  it("time limit", async () => {
    const r = await checkLayer(big, null, { method: "exhaustive", timeLimitMs: 100 });
    expect(r.injective).toBeNull();
    expect(r.reason).toMatch(/time limit/);
    expect(r.stats.hyperplanesVisited).toBeGreaterThan(0);
    expect(r.stats.hyperplanesVisited).toBeLessThan(r.stats.hyperplanesTotal);
  });

  it("abort signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const r = await checkLayer(big, null, { method: "exhaustive", signal: controller.signal });
    expect(r.injective).toBeNull();
    expect(r.reason).toMatch(/cancelled/);
  });

  it("progress is reported and increases", async () => {
    const seen: number[] = [];
    await checkLayer(
      big.slice(0, 40).map((r) => r.slice(0, 5)),
      null,
      {
        method: "exhaustive",
        onProgress: (p) => (p.stage === "exhaustive" ? seen.push(p.done) : 0),
      },
    );
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((v, i) => i === 0 || v >= seen[i - 1])).toBe(true);
  });
});

describe("validation", () => {
  it.each([
    [[[1, NaN]], undefined, /checkLayer.*W must be finite, got NaN at \[0, 1\]/],
    [[[1, Infinity]], undefined, /checkLayer.*finite/],
    [[], undefined, /checkLayer.*W is empty/],
    [[[]], undefined, /checkLayer.*length 0/],
    [[[1, 2], [3]], undefined, /checkLayer.*ragged/],
    [[[1, 2]], [1, 2], /checkLayer.*b has length 2, expected 1/],
    [[[1, 2]], [NaN], /checkLayer.*b must be finite/],
    ["W", undefined, /checkLayer.*array of rows/],
  ])("rejects %j with b %j", async (W, b, re) => {
    await expect(checkLayer(W as number[][], b as number[] | undefined)).rejects.toThrow(re);
  });

  it("rejects bad options", async () => {
    await expect(checkLayer([[1]], null, { domain: "positive" as Domain })).rejects.toThrow(
      /domain must be one of/,
    );
    await expect(checkLayer([[1]], null, { tolerance: -1 })).rejects.toThrow(
      /tolerance must be a number in \(0, 0.1\]/,
    );
    await expect(checkLayer([[1]], null, { tolerance: NaN })).rejects.toThrow(/tolerance/);
    await expect(checkLayer([[1]], null, { tolerance: 2 })).rejects.toThrow(/tolerance/);
    await expect(checkLayer([[1]], null, { falsifierRestarts: -5 })).rejects.toThrow(/falsifierRestarts/);
    await expect(checkLayer([[1]], null, { exact: "never" as "auto" })).rejects.toThrow(/exact/);
    await expect(checkLayer([[1]], null, { method: "magic" as Method })).rejects.toThrow(/method/);
  });
});

describe("extreme magnitudes: each row is scaled on its own", () => {
  const pmScaled = (s: number[]) => [
    [s[0], 0],
    [0, s[1]],
    [-s[2], 0],
    [0, -s[3]],
  ];
  it.each([
    ["1e300", pmScaled([1e300, 1e300, 1e300, 1e300])],
    ["1e-300", pmScaled([1e-300, 1e-300, 1e-300, 1e-300])],
    ["mixed 1e10 and 1e-10", pmScaled([1e10, 1e-10, 1, 1])],
    ["subnormal row", pmScaled([5e-324, 1, 1, 1])],
    [
      "2^50 entries",
      [
        [2 ** 50, 1],
        [1, 2 ** 50],
        [-(2 ** 50), -1],
        [-1, -(2 ** 50)],
      ],
    ],
  ])("%s: injective, certificate verifies", async (_name, W) => {
    for (const domain of ["all", "nonnegative"] as Domain[]) {
      const r = await checkLayer(W, null, { domain });
      expect(r.injective).toBe(true);
      expect(verifyCertificate(W, null, r.certificate!).valid).toBe(true);
    }
  });
  it("huge biases", async () => {
    const r = await checkLayer([[1], [-1]], [1e200, -1e200]);
    expect(r.injective).toBe(true);
  });
});
