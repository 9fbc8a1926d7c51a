/**
 * Tests of the inverse Lipschitz constants (src/core/lipschitz.ts, Theorem 3):
 * - C(W) and σ_min over active sets against an independent brute force written only for these
 *   tests: every one of the 2^m sign patterns is tested for a strictly feasible point with HiGHS
 *   (m <= 8), and σ_min of each feasible pattern's positive rows is computed on its own; the sets
 *   of sign vectors must also equal the enumeration's;
 * - Theorem 3 itself: the empirical ratio is never below C(W) (nor below the sharper constant),
 *   over many seeds and small layers (fast-check, n <= 3);
 * - the Corollary 2 bound is <= σ_min over active sets, exact for [B; −DB], and detected
 *   automatically;
 * - non-injective layers give C = 0 with a valid witness; truncation is never reported as exact.
 */
import fc from "fast-check";
import highsModule from "highs";
import type { Highs } from "highs";
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { enumerateCells } from "../../src/core/arrangement.js";
import {
  corollary2LowerBound,
  empiricalRatio,
  inverseLipschitz,
  structureLowerBound,
} from "../../src/core/lipschitz.js";
import { verifyWitness } from "../../src/core/witness.js";
import { InputRangeError } from "../../src/core/validate.js";
import type { Domain } from "../../src/core/types.js";

// ---------------------------------------------------------------------------------------------
// The independent brute force (HiGHS, all 2^m sign patterns)
// ---------------------------------------------------------------------------------------------

type HighsLoader = () => Promise<Highs>;
const highsLoader: HighsLoader =
  typeof highsModule === "function"
    ? (highsModule as unknown as HighsLoader)
    : (highsModule as unknown as { default: HighsLoader }).default;
let highsPromise: Promise<Highs> | undefined;
const getHighs = (): Promise<Highs> => (highsPromise ??= highsLoader());

const num = (v: number): string => v.toPrecision(17);

/** σ_n of a k×n matrix (0 if k < n), from the eigenvalues of its Gram matrix via ml-matrix's SVD of the rows. */
function sigmaMin(rows: number[][], n: number): number {
  if (rows.length < n) return 0;
  const svd = new SingularValueDecomposition(new Matrix(rows), { autoTranspose: true });
  return Math.min(...svd.diagonal);
}

interface Brute {
  /** Feasible sign vectors over all rows (zero rows: sign of the bias). */
  patterns: string[];
  /** min over feasible patterns of σ_min of the positive rows. */
  sigma: number;
}

/**
 * Every sign pattern s ∈ {±1}^m' over the m' nonzero rows: strictly feasible iff
 * max t s.t. s_i(<ŵ_i, x> + b̂_i) >= t, t <= 1 (orthant: x_j >= t) has t > 1e-7.
 */
async function bruteForce(W: number[][], b: number[] | null, domain: Domain): Promise<Brute> {
  const highs = await getHighs();
  const m = W.length;
  const n = W[0].length;
  const bias = b ?? new Array<number>(m).fill(0);
  const nonzero = W.map((_, i) => i).filter((i) => W[i].some((v) => v !== 0));
  expect(nonzero.length).toBeLessThanOrEqual(8);
  const names = Array.from({ length: n }, (_, j) => `x${j}`);
  const patterns: string[] = [];
  let sigma = Infinity;
  for (let mask = 0; mask < 1 << nonzero.length; mask++) {
    const signs = W.map((_, i) => Math.sign(bias[i]));
    nonzero.forEach((i, k) => (signs[i] = mask & (1 << k) ? 1 : -1));
    const lines = ["Maximize", " obj: t", "Subject To"];
    nonzero.forEach((i, k) => {
      const norm = Math.hypot(...W[i]);
      const terms = W[i].map(
        (v, j) => `${signs[i] * v >= 0 ? "+" : "-"} ${num(Math.abs(v / norm))} ${names[j]}`,
      );
      lines.push(` c${k}: ${terms.join(" ")} - t >= ${num((-signs[i] * bias[i]) / norm)}`);
    });
    if (domain === "nonnegative") names.forEach((x, j) => lines.push(` p${j}: ${x} - t >= 0`));
    lines.push("Bounds", " -inf <= t <= 1", ...names.map((x) => ` ${x} free`), "End");
    const sol = highs.solve(lines.join("\n"), { output_flag: false, presolve: "off" });
    if (sol.Status !== "Optimal") throw new Error(`bruteForce: HiGHS status ${sol.Status}`);
    if (!((sol.Columns.t?.Primal ?? 0) > 1e-7)) continue;
    patterns.push(signs.join(","));
    const positive = W.filter((_, i) => signs[i] > 0);
    sigma = Math.min(sigma, sigmaMin(positive, n));
  }
  patterns.sort();
  return { patterns, sigma };
}

// ---------------------------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------------------------

interface Layer {
  W: number[][];
  b: number[] | null;
}

const floatArb = fc.integer({ min: -1000, max: 1000 }).map((k) => k / 250);
const intArb = fc.integer({ min: -3, max: 3 });
const rowsArb = (el: fc.Arbitrary<number>, m: number, n: number) =>
  fc.array(fc.array(el, { minLength: n, maxLength: n }), { minLength: m, maxLength: m });

/** Random float layers, n <= 3, m <= maxM, optional bias. */
const randomLayerArb = (maxM: number): fc.Arbitrary<Layer> =>
  fc
    .integer({ min: 1, max: 3 })
    .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: Math.max(2, n), max: maxM })))
    .chain(([n, m]) =>
      fc.record({
        W: rowsArb(floatArb, m, n),
        b: fc.option(fc.array(floatArb, { minLength: m, maxLength: m }), { nil: null }),
      }),
    );

/** Corollary 2 layers [B; −DB; M] with rows shuffled. */
const corollary2Arb = (maxExtra: number) =>
  fc
    .integer({ min: 1, max: 3 })
    .chain((n) =>
      fc.record({
        // float32 B and d: the rows −d·B are then exact in float64, so W is exactly [B; −DB; M].
        B: rowsArb(floatArb.map(Math.fround), n, n),
        d: fc.array(
          fc.integer({ min: 1, max: 400 }).map((k) => Math.fround(k / 100)),
          { minLength: n, maxLength: n },
        ),
        M: fc.integer({ min: 0, max: maxExtra }).chain((k) => rowsArb(floatArb, k, n)),
        order: fc.array(fc.nat(), { minLength: 2 * n + maxExtra, maxLength: 2 * n + maxExtra }),
      }),
    )
    .map(({ B, d, M, order }) => {
      const rows = [...B, ...B.map((row, k) => row.map((v) => -d[k] * v)), ...M];
      const perm = rows.map((_, i) => i).sort((p, q) => order[p] - order[q] || p - q);
      return { B, d, M, W: perm.map((i) => rows[i]) };
    });

const FIXED: (Layer & { name: string })[] = [
  {
    name: "Figure 2 (center)",
    W: [
      [2, 1],
      [1, 3],
      [-2, -1],
      [-2, -6],
    ],
    b: null,
  },
  {
    name: "Figure 2 (left)",
    W: [
      [1, 0],
      [0, 1],
      [-1, 0.5],
      [0.5, -1],
    ],
    b: null,
  },
  {
    name: "Corollary 2 + extra rows",
    W: [
      [1, 2, 0],
      [0, 1, -1],
      [2, 0, 1],
      [-1, -2, 0],
      [0, -2, 2],
      [-6, 0, -3],
      [1, 1, 1],
      [-1, 3, 2],
    ],
    b: null,
  },
  { name: "Lemma 1 counterexample", W: [[1], [-1]], b: [1, -0.5] },
  {
    name: "duplicates, a zero row, bias",
    W: [
      [1, 0],
      [2, 0],
      [0, 0],
      [-1, -1],
      [0, 1],
      [1, -2],
    ],
    b: [0, 0, 1, 1, -1, 0.5],
  },
  {
    name: "identity",
    W: [
      [1, 0],
      [0, 1],
    ],
    b: null,
  },
  {
    name: "[I; −I] in R^3 with one extra row",
    W: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, -1],
      [1, 1, 1],
    ],
    b: null,
  },
  {
    name: "8 random rows in R^2 with bias",
    W: [
      [0.3, -1.2],
      [1.1, 0.4],
      [-0.7, -0.2],
      [0.9, -0.8],
      [-1.3, 0.6],
      [0.2, 1.5],
      [-0.4, -1.1],
      [1.6, 0.3],
    ],
    b: [0.1, -0.3, 0.5, 0.2, -0.1, 0.4, 0.3, -0.2],
  },
];

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));

// ---------------------------------------------------------------------------------------------
// C(W) against the brute force
// ---------------------------------------------------------------------------------------------

describe("C(W) and σ_min over active sets equal the brute force over all 2^m sign patterns", () => {
  async function compare(L: Layer, domain: Domain): Promise<void> {
    const brute = await bruteForce(L.W, L.b, domain);
    const cells = await enumerateCells(L.W, L.b, { domain });
    expect(cells.cells.map((c) => c.signs.join(",")).sort()).toEqual(brute.patterns);
    const r = await inverseLipschitz(L.W, L.b, { domain, samples: 200, localSearches: 2 });
    const m = L.W.length;
    if (r.injective === false) {
      expect(brute.sigma).toBeLessThan(1e-9);
      expect(r.C).toBe(0);
      expect(r.sigmaMinActive).toBe(0);
    } else {
      expect(r.exact).toBe(true);
      expect(rel(r.sigmaMinActive!, brute.sigma)).toBeLessThan(1e-9);
      expect(rel(r.C!, brute.sigma / Math.sqrt(2 * m))).toBeLessThan(1e-9);
      expect(r.sharperC!).toBeGreaterThanOrEqual(r.C!);
    }
    expect(r.stats.cells).toBe(brute.patterns.length);
  }

  for (const L of FIXED) {
    for (const domain of ["all", "nonnegative"] as const) {
      it(`${L.name} (${domain})`, () => compare(L, domain));
    }
  }

  it("random layers, n <= 3, m <= 6, both domains (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(randomLayerArb(6), fc.constantFrom<Domain>("all", "nonnegative"), (L, domain) =>
        compare(L, domain),
      ),
      { numRuns: 14, seed: 42 },
    );
  });

  it("Corollary 2 layers with shuffled rows (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(corollary2Arb(2), ({ W }) => compare({ W, b: null }, "all")),
      { numRuns: 6, seed: 7 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Theorem 3: the empirical ratio is never below C(W)
// ---------------------------------------------------------------------------------------------

describe("Theorem 3: the empirical ratio never falls below C(W)", () => {
  it("random and Corollary 2 layers, many seeds, both domains (fast-check, n <= 3)", async () => {
    const layerArb = fc.oneof(
      randomLayerArb(7),
      corollary2Arb(3).map(({ W }) => ({ W, b: null }) as Layer),
    );
    await fc.assert(
      fc.asyncProperty(
        layerArb,
        fc.constantFrom<Domain>("all", "nonnegative"),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (L, domain, seed) => {
          const r = await inverseLipschitz(L.W, L.b, { domain, seed, samples: 300, localSearches: 4 });
          expect(r.empirical.seed).toBe(seed);
          expect(r.empirical.samples).toBe(300);
          expect(r.empiricalRatio).toBeGreaterThanOrEqual(0);
          if (r.injective === true) {
            expect(r.C).not.toBeNull();
            expect(r.empiricalRatio).toBeGreaterThanOrEqual(r.C! * (1 - 1e-9));
            expect(r.empiricalRatio).toBeGreaterThanOrEqual(r.sharperC! * (1 - 1e-9));
            expect(r.bounds.lower).toBeLessThanOrEqual(r.bounds.upper * (1 + 1e-9));
            expect(r.notes.some((note) => note.startsWith("BUG"))).toBe(false);
            // σ_min(W) >= σ_min(W_S): the naive estimate is never below the active-set one.
            expect(r.naiveSigmaMin).toBeGreaterThanOrEqual(r.sigmaMinActive! * (1 - 1e-9));
          }
        },
      ),
      { numRuns: 120, seed: 2024 },
    );
  });

  it("two points of the minimizing cell along its singular vector achieve σ_min over active sets", async () => {
    for (const L of FIXED.filter((f) => f.name !== "identity" && f.name !== "Figure 2 (left)")) {
      const r = await inverseLipschitz(L.W, L.b, { samples: 50, localSearches: 0 });
      const c = r.minCell!;
      const x1 = c.point.map((p, j) => p + (c.margin / 2) * c.direction[j]);
      const F = (x: number[]) =>
        L.W.map((w, i) =>
          Math.max(
            0,
            w.reduce((s, v, j) => s + v * x[j], L.b ? L.b[i] : 0),
          ),
        );
      const f0 = F(c.point);
      const f1 = F(x1);
      const ratio = Math.hypot(...f0.map((v, i) => v - f1[i])) / (c.margin / 2);
      expect(rel(ratio, r.sigmaMinActive!)).toBeLessThan(1e-6);
    }
  });

  it("the sharper constant is tight for W = [1; −1]: the empirical ratio finds 1/√2", async () => {
    const r = await inverseLipschitz([[1], [-1]]);
    expect(r.sigmaMinActive).toBeCloseTo(1, 12);
    expect(r.C).toBeCloseTo(0.5, 12);
    expect(r.sharperC).toBeCloseTo(Math.SQRT1_2, 12);
    expect(r.empiricalRatio).toBeGreaterThanOrEqual(Math.SQRT1_2 * (1 - 1e-9));
    expect(r.empiricalRatio).toBeLessThan(Math.SQRT1_2 * 1.001);
  });

  it("W = [2; −3]: the empirical ratio finds the exact constant 6/√13", async () => {
    const r = await inverseLipschitz([[2], [-3]]);
    expect(r.empiricalRatio).toBeGreaterThanOrEqual((6 / Math.sqrt(13)) * (1 - 1e-9));
    expect(r.empiricalRatio).toBeLessThan((6 / Math.sqrt(13)) * 1.001);
  });

  it("the empirical ratio is reproducible from its seed", () => {
    const W = [
      [2, 1],
      [1, 3],
      [-2, -1],
      [-2, -6],
    ];
    const a = empiricalRatio(W, null, { seed: 5, samples: 500 });
    const b = empiricalRatio(W, null, { seed: 5, samples: 500 });
    expect(a).toEqual(b);
    expect(a.evaluations).toBeGreaterThan(500);
  });
});

// ---------------------------------------------------------------------------------------------
// Corollary 2
// ---------------------------------------------------------------------------------------------

describe("the Corollary 2 lower bound", () => {
  it("is <= σ_min over active sets on random [B; −DB; M], equal when M is empty, and detected automatically", async () => {
    await fc.assert(
      fc.asyncProperty(corollary2Arb(3), fc.constantFrom<Domain>("all", "nonnegative"), async (c, domain) => {
        const bound = corollary2LowerBound(c.B, c.d, c.M.length);
        expect(bound.m).toBe(c.W.length);
        expect(bound.simpleSigmaLowerBound).toBeLessThanOrEqual(bound.sigmaLowerBound * (1 + 1e-12) + 1e-15);
        const r = await inverseLipschitz(c.W, null, { domain, samples: 100, localSearches: 1 });
        if (bound.sigmaLowerBound > 1e-9) {
          expect(r.injective).toBe(true);
          expect(bound.sigmaLowerBound).toBeLessThanOrEqual(r.sigmaMinActive! * (1 + 1e-9));
          expect(bound.CLowerBound).toBeLessThanOrEqual(r.C! * (1 + 1e-9));
          if (c.M.length === 0 && domain === "all") {
            expect(rel(bound.sigmaLowerBound, r.sigmaMinActive!)).toBeLessThan(1e-9);
          }
          // Automatic detection: at least as strong (extra parallel rows can only add weight).
          expect(r.structure).not.toBeNull();
          expect(r.structure!.corollary2).toBe(true);
          expect(r.structure!.sigmaLowerBound).toBeGreaterThanOrEqual(bound.sigmaLowerBound * (1 - 1e-9));
          expect(r.structure!.sigmaLowerBound).toBeLessThanOrEqual(r.sigmaMinActive! * (1 + 1e-9));
        }
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  it("Figure 2 (center): σ_min(B) with D = diag(1, 2); the simple form min(1, min d)·σ_min(B) can be weaker", () => {
    const b = corollary2LowerBound(
      [
        [2, 1],
        [1, 3],
      ],
      [1, 2],
    );
    expect(b.sigmaLowerBound).toBeCloseTo(Math.sqrt((15 - Math.sqrt(125)) / 2), 12);
    expect(b.CLowerBound).toBeCloseTo(b.sigmaLowerBound / Math.sqrt(8), 12);
    const c = corollary2LowerBound(
      [
        [1, 0],
        [0, 1],
      ],
      [0.5, 2],
    );
    expect(c.sigmaLowerBound).toBeCloseTo(0.5, 12);
    expect(c.simpleSigmaLowerBound).toBeCloseTo(0.5, 12);
    const d = corollary2LowerBound(
      [
        [3, 0],
        [0, 1],
      ],
      [0.5, 1],
    );
    expect(d.sigmaLowerBound).toBeCloseTo(1, 12); // diag(0.5, 1)·diag(3, 1) = diag(1.5, 1)
    expect(d.simpleSigmaLowerBound).toBeCloseTo(0.5, 12);
  });

  it("structure bound with bias and on the orthant is <= σ_min over active sets (fast-check)", async () => {
    const arb = fc.integer({ min: 1, max: 3 }).chain((n) =>
      fc.record({
        base: rowsArb(intArb, n, n),
        scales: fc.array(fc.constantFrom(-2, -1, -0.5, 0.5, 1, 3), { minLength: 2 * n, maxLength: 2 * n }),
        bias: fc.array(intArb, { minLength: 2 * n, maxLength: 2 * n }),
        extra: fc.integer({ min: 0, max: 2 }).chain((k) => rowsArb(intArb, k, n)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, fc.constantFrom<Domain>("all", "nonnegative"), async (g, domain) => {
        const n = g.base.length;
        const W = [...g.scales.map((s, i) => g.base[i % n].map((v) => s * v)), ...g.extra];
        const b = [...g.bias, ...g.extra.map(() => 0)];
        const s = structureLowerBound(W, b, domain);
        if (s === null) return;
        const r = await inverseLipschitz(W, b, { domain, samples: 50, localSearches: 0 });
        expect(r.injective).toBe(true);
        expect(s.sigmaLowerBound).toBeLessThanOrEqual(r.sigmaMinActive! * (1 + 1e-9));
      }),
      { numRuns: 60, seed: 3 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Non-injective layers, truncation, JSON, validation
// ---------------------------------------------------------------------------------------------

describe("non-injective layers, truncation and the result object", () => {
  const nonInjective: (Layer & { name: string; domain: Domain })[] = [
    {
      name: "identity",
      W: [
        [1, 0],
        [0, 1],
      ],
      b: null,
      domain: "all",
    },
    {
      name: "Figure 2 (left)",
      W: [
        [1, 0],
        [0, 1],
        [-1, 0.5],
        [0.5, -1],
      ],
      b: null,
      domain: "all",
    },
    { name: "bias gap", W: [[1], [-1]], b: [-1, -1], domain: "nonnegative" },
    {
      name: "rank-deficient",
      W: [
        [1, 1, 0],
        [2, 2, 0],
        [-1, -1, 0],
        [0, 0, 1],
      ],
      b: null,
      domain: "all",
    },
    {
      name: "m < 2n",
      W: [
        [0.3, 1.2, -0.5],
        [1.1, -0.4, 0.2],
        [-0.7, -0.2, 0.9],
        [0.9, -0.8, -1.3],
        [-1.3, 0.6, 0.1],
      ],
      b: null,
      domain: "all",
    },
  ];
  for (const L of nonInjective) {
    it(`${L.name}: C = 0 with a valid witness`, async () => {
      const r = await inverseLipschitz(L.W, L.b, { domain: L.domain, samples: 100 });
      expect(r.injective).toBe(false);
      expect(r.C).toBe(0);
      expect(r.sigmaMinActive).toBe(0);
      expect(r.exact).toBe(true);
      expect(r.method.C).toBe("witness");
      expect(r.bounds).toMatchObject({ lower: 0, upper: 0 });
      expect(r.witness).not.toBeNull();
      expect(verifyWitness(L.W, L.b, r.witness!, L.domain).valid).toBe(true);
      expect(r.empiricalRatio).toBeLessThan(1e-6);
      expect(r.stats.rankDeficientCells).toBeGreaterThan(0);
      expect(r.naiveSigmaMin).toBeGreaterThanOrEqual(0);
    });
  }

  it("a truncated enumeration never reports C as exact; the enumerated minimum bounds it from above", async () => {
    const W = [
      [1, 2, 0],
      [0, 1, -1],
      [2, 0, 1],
      [-1, -2, 0],
      [0, -2, 2],
      [-6, 0, -3],
      [1, 1, 1],
      [-1, 3, 2],
    ];
    const full = await inverseLipschitz(W, null, { samples: 100 });
    const cut = await inverseLipschitz(W, null, { samples: 100, maxCells: 3 });
    expect(cut.exact).toBe(false);
    expect(cut.C).toBeNull();
    expect(cut.sigmaMinActive).toBeNull();
    expect(cut.sharperC).toBeNull();
    expect(cut.method.C).toBe("truncated");
    expect(cut.stats.complete).toBe(false);
    expect(cut.stats.stopReason).toBe("cell-limit");
    expect(cut.enumerated!.cells).toBe(3);
    expect(cut.enumerated!.C).toBeGreaterThanOrEqual(full.C! * (1 - 1e-12));
    expect(cut.notes.join(" ")).toMatch(/upper bounds/);
    // The Corollary 2 structure still gives a proven lower bound.
    expect(cut.bounds.lowerFrom).toBe("structure");
    expect(cut.bounds.lower).toBeLessThanOrEqual(full.bounds.upper);
    expect(cut.bounds.lower).toBeGreaterThan(0);
  });

  it("rows of very different magnitudes: nothing is taken for zero or rank-deficient", async () => {
    const W = [
      [1e10, 0],
      [0, 1e-10],
      [-1e10, 0],
      [0, -1e-10],
    ];
    const r = await inverseLipschitz(W, null, { samples: 200 });
    expect(r.injective).toBe(true);
    expect(r.stats.rankDeficientCells).toBe(0);
    expect(r.stats.cells).toBe(4);
    expect(rel(r.sigmaMinActive!, 1e-10)).toBeLessThan(1e-9);
    expect(rel(r.C!, 1e-10 / Math.sqrt(8))).toBeLessThan(1e-9);
    expect(r.empiricalRatio).toBeGreaterThanOrEqual(r.sharperC! * (1 - 1e-9));
  });

  it("the result is plain JSON (a round trip changes nothing)", async () => {
    for (const L of [FIXED[0], FIXED[1], FIXED[3]]) {
      const r = await inverseLipschitz(L.W, L.b, { samples: 100 });
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      for (const key of ["C", "sigmaMinActive", "naiveSigmaMin", "empiricalRatio"] as const) {
        expect(typeof r[key]).toBe("number");
      }
    }
  });

  it("validation names the function and the argument", async () => {
    await expect(inverseLipschitz([[1, Number.NaN]])).rejects.toThrow(InputRangeError);
    await expect(inverseLipschitz([[1, Number.NaN]])).rejects.toThrow(
      /inverseLipschitz\(\): W must be finite/,
    );
    await expect(inverseLipschitz([[1]], null, { samples: 0 })).rejects.toThrow(
      /inverseLipschitz\(\): options.samples must be an integer >= 1/,
    );
    expect(() => corollary2LowerBound([[1, 0]], [1])).toThrow(/corollary2LowerBound\(\): B must be square/);
    expect(() => corollary2LowerBound([[1]], [0])).toThrow(/corollary2LowerBound\(\): d must be positive/);
    expect(() => empiricalRatio([[1]], null, { seed: 1.5 })).toThrow(/empiricalRatio\(\): options.seed/);
  });
});
