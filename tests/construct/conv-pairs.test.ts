/**
 * Tests of the injective-GAN construction [C; −s²C] (src/construct/conv-pairs.ts; paper, Section 4
 * and Corollary 2): the layout of the filters, a table of small layers decided by the exact check of
 * the full matrix (docs/convolutions.md reproduces it), the closed-form verdict of
 * analyzePairedConv against the exact check on random small layers, the role of s, and what
 * Theorem 4 can say about these layers.
 */
import fc from "fast-check";
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { type Boundary, convMatrix, convSpec, convolve, nestedKernels } from "../../src/core/convolution.js";
import { checkConv } from "../../src/core/theorem4.js";
import { checkLayer } from "../../src/core/check-layer.js";
import { analyzePairedConv, pairedConvSpec } from "../../src/construct/conv-pairs.js";
import { isInputError } from "../../src/core/validate.js";

describe("pairedConvSpec: filters [C_1, …, C_p, −s²C_1, …, −s²C_p]", () => {
  it("stacks the kernels and their negatives scaled by s²", () => {
    const spec = pairedConvSpec([[[1, 2]], [[0, -4]]], 0.5, { signal: [6], boundary: "periodic" });
    expect(spec.filters).toBe(4);
    expect(spec.channels).toBe(1);
    expect(spec.boundary).toBe("periodic");
    expect(nestedKernels(spec)).toEqual([[[1, 2]], [[0, -4]], [[-0.25, -0.5]], [[0, 1]]]);
    // The second half of the outputs is −s² times the first half.
    const x = [3, -1, 4, 1, -5, 9];
    const y = convolve(spec, x);
    for (let k = 0; k < 12; k++) expect(y[12 + k]).toBeCloseTo(-0.25 * y[k], 12);
  });

  it("rejects s <= 0, NaN and bad kernels with messages naming pairedConvSpec()", () => {
    for (const s of [0, -1, NaN, Infinity]) {
      expect(() => pairedConvSpec([[[1, 2]]], s, { signal: [4] })).toThrow(
        /pairedConvSpec\(\): s must be a positive number/,
      );
    }
    let err: unknown;
    try {
      pairedConvSpec([[[1, 2]], [[1]]], 1, { signal: [4] });
    } catch (e) {
      err = e;
    }
    expect(isInputError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^pairedConvSpec\(\): kernels is ragged/);
    expect(() => pairedConvSpec([[[1, 2, 3]]], 1, { signal: [2] })).toThrow(
      /pairedConvSpec\(\): kernel larger than the signal: kernel 3 > signal 2/,
    );
  });
});

/** One row of the table: the p kernels C, the signal, the boundary and the exact verdict. */
interface Row {
  label: string;
  kernels: number[][][] | number[][][][];
  signal: number[];
  boundary: Boundary;
  injective: boolean;
  /** Whether Theorem 4 proves it (only possible with more pairs than channels). */
  theorem4: boolean;
}

const row = (
  label: string,
  kernels: Row["kernels"],
  signal: number[],
  zero: boolean,
  periodic: boolean,
  theorem4 = false,
): Row[] => [
  { label, kernels, signal, boundary: "zero", injective: zero, theorem4 },
  { label, kernels, signal, boundary: "periodic", injective: periodic, theorem4 },
];

/** The table of docs/convolutions.md: verdicts of the exact check of the full matrix. */
const TABLE: Row[] = [
  ...row("C = [1, 2]", [[[1, 2]]], [4], true, true),
  ...row("C = [1, 1], N even", [[[1, 1]]], [4], true, false),
  ...row("C = [1, 1], N odd", [[[1, 1]]], [5], true, true),
  ...row("C = [1, −1] (a difference)", [[[1, -1]]], [5], true, false),
  ...row("C = [1, 0] (anchor entry 0: a shift)", [[[1, 0]]], [4], false, true),
  ...row("C = [0, 1] (the identity)", [[[0, 1]]], [4], true, true),
  ...row(
    "p = 1 pair, c = 2 channels",
    [
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [3],
    false,
    false,
  ),
  ...row(
    "p = c = 2, anchor matrix [[1, 1], [1, 1]]",
    [
      [
        [1, 1],
        [0, 1],
      ],
      [
        [0, 1],
        [1, 1],
      ],
    ],
    [3],
    false,
    true,
  ),
  ...row(
    "p = c = 2, anchor matrix [[1, 2], [1, 1]]",
    [
      [
        [2, 1],
        [1, 2],
      ],
      [
        [1, 1],
        [2, 1],
      ],
    ],
    [3],
    true,
    true,
  ),
  ...row("p = 2 pairs > c = 1 channel", [[[1, 2]], [[2, -1]]], [6], true, true, true),
  ...row(
    "2-D C = [[1, 1], [1, 1]], 3×3",
    [
      [
        [
          [1, 1],
          [1, 1],
        ],
      ],
    ],
    [3, 3],
    true,
    true,
  ),
  ...row(
    "2-D C = [[1, 1], [1, 1]], 4×4",
    [
      [
        [
          [1, 1],
          [1, 1],
        ],
      ],
    ],
    [4, 4],
    true,
    false,
  ),
  ...row(
    "2-D C = [[1, 1], [1, 0]] (anchor 0), 2×2",
    [
      [
        [
          [1, 1],
          [1, 0],
        ],
      ],
    ],
    [2, 2],
    false,
    true,
  ),
  ...row(
    "2-D C = [[1, 1], [1, 0]] (anchor 0), 3×3",
    [
      [
        [
          [1, 1],
          [1, 0],
        ],
      ],
    ],
    [3, 3],
    false,
    false,
  ),
];

describe("when is [C; −s²C] injective? (exact check of the full matrix)", () => {
  it.each(TABLE.map((r) => [`${r.label}, signal ${r.signal.join("×")}, ${r.boundary}`, r] as const))(
    "%s",
    async (_name, r) => {
      const spec = pairedConvSpec(r.kernels, 0.5, { signal: r.signal, boundary: r.boundary });
      const exact = await checkLayer(convMatrix(spec), null, { timeLimitMs: 20_000 });
      expect(exact.injective).toBe(r.injective);
      const a = analyzePairedConv(r.kernels, { signal: r.signal, boundary: r.boundary });
      expect(a.injective).toBe(r.injective);
      const t4 = await checkConv(spec);
      expect(t4.injective).toBe(r.theorem4 ? true : null);
    },
  );

  it("s plays no role: the same verdict for s = 0.1, 1 and 10", async () => {
    for (const r of TABLE.filter((t) => t.signal.length === 1)) {
      const verdicts = new Set<boolean | null>();
      for (const s of [0.1, 1, 10]) {
        const spec = pairedConvSpec(r.kernels, s, { signal: r.signal, boundary: r.boundary });
        verdicts.add((await checkLayer(convMatrix(spec))).injective);
      }
      expect([...verdicts]).toEqual([r.injective]);
    }
  });

  it("explains its verdicts: the rule, the rank and the singular frequency", () => {
    const even = analyzePairedConv([[[1, 1]]], { signal: [4], boundary: "periodic" });
    expect(even).toMatchObject({ injective: false, rule: "symbol-rank", rank: 0, singularFrequency: [2] });
    expect(even.reason).toMatch(/ω = \(2\)/);
    const anchor = analyzePairedConv([[[1, 0]]], { signal: [4] });
    expect(anchor).toMatchObject({ injective: false, rule: "anchor-rank", rank: 0 });
    const few = analyzePairedConv(
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
      { signal: [4] },
    );
    expect(few).toMatchObject({ injective: false, rule: "too-few-pairs" });
  });
});

/** σ_min / σ_max of the convolution matrix B of the kernels C (0 when B is rank deficient). */
function inverseCondition(kernels: unknown, signal: number[], boundary: Boundary): number {
  const B = convMatrix(convSpec(kernels, { signal, boundary }));
  const s = new SingularValueDecomposition(new Matrix(B), { autoTranspose: true }).diagonal;
  const n = B[0].length;
  if (s.length < n) return 0;
  return Math.min(...s) / Math.max(...s);
}

describe("injective is not the same as stably invertible (zero boundary)", () => {
  it("C = [1, 0.5]: injective for every N by the anchor rule, but σ_min(B) decays like 2^−N; periodic stays >= 0.5", () => {
    const C = [[[1, 0.5]]];
    for (const N of [4, 8, 16, 32]) {
      expect(analyzePairedConv(C, { signal: [N] }).injective).toBe(true);
      const zero = inverseCondition(C, [N], "zero");
      expect(zero).toBeLessThan(2 ** -(N - 2));
      const periodic = inverseCondition(C, [N], "periodic");
      expect(periodic).toBeGreaterThan(0.3); // |0.5 + e^{iθ}| / |1.5| >= 1/3
    }
  });

  it("at N = 64 the zero-padded layer is injective as given, though nearly singular: the exact verifier never calls it NOT injective", async () => {
    const C = [[[1, 0.5]]];
    const spec = pairedConvSpec(C, 1, { signal: [64] });
    const W = convMatrix(spec);
    // Its B is triangular with σ_min about 0.5^64: a floating-point search at tolerance 1e-9 sees
    // collisions, but none survives the exact re-check.
    const r = await checkLayer(W, null, { timeLimitMs: 20_000 });
    expect(r.injective).not.toBe(false);
    if (r.injective === true) expect(r.exact).toBe(true);
    // The periodic layer is injective and well conditioned (its exact check at n = 64 is not run: the
    // certificate re-check of checkLayer is exponential in the number of antiparallel pairs).
    expect(analyzePairedConv(C, { signal: [64], boundary: "periodic" }).injective).toBe(true);
    expect(inverseCondition(C, [64], "periodic")).toBeGreaterThan(0.3);
  });
});

describe("analyzePairedConv agrees with the exact check on random small layers", () => {
  // Floats on a grid of 1/1000: no entries near the rank tolerance (1e-9) of either side, and no
  // subnormals (−s²·5e-324 underflows to 0, and the built layer is then no longer [C; −s²C]).
  const el = fc.oneof(
    fc.constantFrom(0, 0, 1, -1, 2, -2),
    // float32 values: −s²·c is then exact in float64 (s² is rounded to float32 by pairedConvSpec).
    fc.integer({ min: -2000, max: 2000 }).map((k) => Math.fround(k / 1000)),
  );
  const caseArb = fc
    .record({
      dims: fc.constantFrom(1, 1, 2),
      n1: fc.integer({ min: 2, max: 6 }),
      n2: fc.integer({ min: 2, max: 3 }),
      o1: fc.integer({ min: 1, max: 3 }),
      o2: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 2 }),
      p: fc.integer({ min: 1, max: 3 }),
      boundary: fc.constantFrom<Boundary>("zero", "periodic"),
      s: fc.double({ min: 0.2, max: 3, noNaN: true }),
    })
    .filter((r) => r.c * r.n1 * (r.dims === 2 ? r.n2 : 1) <= 12)
    .chain((r) => {
      const signal = r.dims === 1 ? [r.n1] : [Math.min(r.n1, 3), r.n2];
      const O = signal.map((N, d) => Math.min(N, d === 0 ? r.o1 : r.o2));
      const kernel: fc.Arbitrary<unknown> =
        O.length === 1
          ? fc.array(el, { minLength: O[0], maxLength: O[0] })
          : fc.array(fc.array(el, { minLength: O[1], maxLength: O[1] }), {
              minLength: O[0],
              maxLength: O[0],
            });
      return fc
        .array(fc.array(kernel, { minLength: r.c, maxLength: r.c }), { minLength: r.p, maxLength: r.p })
        .map((kernels) => ({ kernels: kernels as number[][][], signal, boundary: r.boundary, s: r.s }));
    });

  it("both boundaries, 1-D and 2-D, 1–2 channels, 1–3 pairs, sparse integer and float kernels", async () => {
    let injective = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ kernels, signal, boundary, s }) => {
        // In exact arithmetic the closed form is exact; the verifier works to a tolerance of 1e-9,
        // so layers whose B is numerically borderline (σ_min/σ_max in (0, 1e-6)) are left out.
        const cond = inverseCondition(kernels, signal, boundary);
        fc.pre(!(analyzePairedConv(kernels, { signal, boundary }).injective && cond < 1e-6));
        const spec = pairedConvSpec(kernels, s, { signal, boundary });
        const exact = await checkLayer(convMatrix(spec), null, { timeLimitMs: 5000 });
        const a = analyzePairedConv(kernels, { signal, boundary });
        expect(exact.injective).toBe(a.injective);
        total++;
        if (a.injective) injective++;
      }),
      { numRuns: 200, seed: 99 },
    );
    // Both verdicts occur often enough for the comparison to mean something.
    expect(injective).toBeGreaterThan(total / 5);
    expect(total - injective).toBeGreaterThan(total / 10);
  });
});
