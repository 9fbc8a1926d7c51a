/**
 * Tests of the convolution operator (src/core/convolution.ts; paper, Definitions 2–3): hand cases of
 * the index convention, convMatrix · x == convolve(x) on random specs (1-D and 2-D, both
 * boundaries, several channels and filters), a naive reference written from the formula, periodic
 * shift equivariance, and the validation messages.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Boundary,
  type ConvSpec,
  convInputShape,
  convMatrix,
  convMatrixSize,
  convOutputShape,
  convSpec,
  convolve,
  nestedKernels,
} from "../../src/core/convolution.js";
import { InputRangeError, InputTypeError, isInputError } from "../../src/core/validate.js";

const matVec = (W: number[][], x: ArrayLike<number>): number[] =>
  W.map((row) => row.reduce((s, w, j) => s + w * x[j], 0));

/**
 * Reference written directly from Definition 2 with the 0-based reading (independent of the tap
 * table of the implementation): y[f, j] = Σ_ch Σ_i K[f, ch, O − 1 − i] · x[ch, j + i].
 */
function naiveConvolve(spec: ConvSpec, x: ArrayLike<number>): number[] {
  const { signal: N, kernelSize: O, channels: c, filters: q, kernels: K, boundary } = spec;
  const N1 = N[0];
  const N2 = N.length === 2 ? N[1] : 1;
  const O1 = O[0];
  const O2 = O.length === 2 ? O[1] : 1;
  const at = (ch: number, p1: number, p2: number): number => {
    if (boundary === "periodic") return x[ch * N1 * N2 + (p1 % N1) * N2 + (p2 % N2)];
    return p1 < N1 && p2 < N2 ? x[ch * N1 * N2 + p1 * N2 + p2] : 0;
  };
  const k = (f: number, ch: number, a: number, b: number): number => K[((f * c + ch) * O1 + a) * O2 + b];
  const y: number[] = [];
  for (let f = 0; f < q; f++)
    for (let j1 = 0; j1 < N1; j1++)
      for (let j2 = 0; j2 < N2; j2++) {
        let s = 0;
        for (let ch = 0; ch < c; ch++)
          for (let i1 = 0; i1 < O1; i1++)
            for (let i2 = 0; i2 < O2; i2++)
              s += k(f, ch, O1 - 1 - i1, O2 - 1 - i2) * at(ch, j1 + i1, j2 + i2);
        y.push(s);
      }
  return y;
}

/** Random spec: 1-D signals of length 1..9 or 2-D up to 5×5, kernel <= signal, c 1..3, q 1..3. */
const specArb: fc.Arbitrary<{ spec: ConvSpec; x: number[] }> = fc
  .record({
    dims: fc.constantFrom(1, 2),
    n1: fc.integer({ min: 1, max: 9 }),
    n2: fc.integer({ min: 1, max: 5 }),
    c: fc.integer({ min: 1, max: 3 }),
    q: fc.integer({ min: 1, max: 3 }),
    boundary: fc.constantFrom<Boundary>("zero", "periodic"),
    seedO1: fc.nat(),
    seedO2: fc.nat(),
  })
  .chain(({ dims, n1, n2, c, q, boundary, seedO1, seedO2 }) => {
    const signal = dims === 1 ? [n1] : [Math.min(n1, 5), n2];
    const O = signal.map((N, d) => 1 + ((d === 0 ? seedO1 : seedO2) % Math.min(N, 3)));
    const nOff = O.reduce((a, b) => a * b, 1);
    const nPos = signal.reduce((a, b) => a * b, 1);
    const el = fc.oneof(
      fc.integer({ min: -3, max: 3 }),
      fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }),
    );
    return fc
      .record({
        K: fc.array(el, { minLength: q * c * nOff, maxLength: q * c * nOff }),
        x: fc.array(el, { minLength: c * nPos, maxLength: c * nPos }),
      })
      .map(({ K, x }) => ({
        spec: {
          signal,
          channels: c,
          filters: q,
          kernelSize: O,
          kernels: Float64Array.from(K),
          boundary,
        } satisfies ConvSpec,
        x,
      }));
  });

const close = (a: ArrayLike<number>, b: ArrayLike<number>): void => {
  expect(a.length).toBe(b.length);
  const scale = Math.max(1, ...Array.from(a, Math.abs), ...Array.from(b, Math.abs));
  for (let k = 0; k < a.length; k++) expect(Math.abs(a[k] - b[k])).toBeLessThanOrEqual(1e-12 * scale);
};

describe("convolve and convMatrix: the index convention of Definition 2", () => {
  it("1-D: output j sees x[j] through the last kernel entry and x[j+1] through the first", () => {
    const periodic = convSpec([[[1, 2]]], { signal: [3], boundary: "periodic" });
    expect(Array.from(convolve(periodic, [1, 10, 100]))).toEqual([12, 120, 201]);
    const zero = convSpec([[[1, 2]]], { signal: [3] });
    expect(zero.boundary).toBe("zero");
    expect(Array.from(convolve(zero, [1, 10, 100]))).toEqual([12, 120, 200]);
    expect(convMatrix(zero)).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [0, 0, 2],
    ]);
    expect(convMatrix(periodic)).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [1, 0, 2],
    ]);
  });

  it("2-D: y[j1, j2] = d·x[j1, j2] + c·x[j1, j2+1] + b·x[j1+1, j2] + a·x[j1+1, j2+1] for K = [[a, b], [c, d]]", () => {
    const [a, b, c, d] = [1, 2, 3, 4];
    const spec = convSpec(
      [
        [
          [
            [a, b],
            [c, d],
          ],
        ],
      ],
      { signal: [2, 3] },
    );
    const x = [1, 10, 100, 1000, 10000, 100000]; // x[0, :] = 1, 10, 100; x[1, :] = 1000, 10000, 100000
    const X = (i: number, j: number) => (i < 2 && j < 3 ? x[i * 3 + j] : 0);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        expected.push(d * X(i, j) + c * X(i, j + 1) + b * X(i + 1, j) + a * X(i + 1, j + 1));
    expect(Array.from(convolve(spec, x))).toEqual(expected);
    expect(matVec(convMatrix(spec), x)).toEqual(expected);
  });

  it("multi-channel: every filter sums over the input channels; rows (filter, position), columns (channel, position)", () => {
    // q = 2 filters, c = 2 channels, 1-D kernel width 1: a 2×2 mixing matrix per position.
    const spec = convSpec(
      [
        [[1], [2]],
        [[3], [4]],
      ],
      { signal: [2] },
    );
    expect(convMatrix(spec)).toEqual([
      [1, 0, 2, 0],
      [0, 1, 0, 2],
      [3, 0, 4, 0],
      [0, 3, 0, 4],
    ]);
    expect(convOutputShape(spec)).toEqual([2, 2]);
    expect(convInputShape(spec)).toEqual([2, 2]);
    expect(convMatrixSize(spec)).toEqual({ m: 4, n: 4 });
  });

  it("the 0-based reading sees every input: with the literal 1-based J = 1..N, x[0] would never be seen", () => {
    // With a nonzero anchor entry K[O−1], column 0 of the zero-padded matrix is nonzero.
    const W = convMatrix(convSpec([[[5, 0, 7]]], { signal: [6] }));
    for (let col = 0; col < 6; col++) expect(W.some((r) => r[col] !== 0)).toBe(true);
    // The literal reading is our matrix with its rows shifted down by one: output J (1-based) = our
    // output J (0-based), which sees inputs J..J+O−1 (0-based) = J+1..J+O (1-based), never x_1.
    const literal = W.slice(1).concat([new Array(6).fill(0)]);
    expect(literal.every((r) => r[0] === 0)).toBe(true);
  });

  it("nestedKernels inverts convSpec", () => {
    const k2 = [
      [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
    ];
    expect(nestedKernels(convSpec(k2, { signal: [4, 4] }))).toEqual(k2);
    const k1 = [
      [
        [1, 2],
        [3, 4],
      ],
    ];
    expect(nestedKernels(convSpec(k1, { signal: [2] }))).toEqual(k1);
  });
});

describe("convMatrix · x == convolve(x) == the naive formula (random specs)", () => {
  it("1-D and 2-D, both boundaries, 1–3 channels and filters, integer and float entries", () => {
    fc.assert(
      fc.property(specArb, ({ spec, x }) => {
        const y = convolve(spec, x);
        close(matVec(convMatrix(spec), x), y);
        close(naiveConvolve(spec, x), y);
        expect(y.length).toBe(convOutputShape(spec).reduce((a, b) => a * b, 1));
      }),
      { numRuns: 300, seed: 20261128 },
    );
  });

  it("periodic convolution commutes with circular shifts of the signal", () => {
    fc.assert(
      fc.property(
        specArb.filter(({ spec }) => spec.signal.length === 1),
        fc.nat(),
        ({ spec, x }, t) => {
          const per: ConvSpec = { ...spec, boundary: "periodic" };
          const N = per.signal[0];
          const s = t % N;
          const shift = (v: ArrayLike<number>, channels: number) =>
            Array.from({ length: channels * N }, (_, k) => v[Math.floor(k / N) * N + (((k % N) + s) % N)]);
          close(convolve(per, shift(x, per.channels)), shift(convolve(per, x), per.filters));
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });
});

describe("validation: one message naming the function and the argument", () => {
  const spec1 = convSpec([[[1, 2, 3]]], { signal: [4] });
  const bad = (f: () => unknown, cls: typeof InputRangeError | typeof InputTypeError, re: RegExp) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(cls);
    expect(isInputError(err)).toBe(true);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain("\n");
  };

  it("kernel larger than the signal", () => {
    const big: ConvSpec = { ...spec1, kernelSize: [5], kernels: new Float64Array(5) };
    expect(() => convMatrix(big)).toThrow(
      "convMatrix(): kernel larger than the signal: kernel 5 > signal 4 in dimension 0",
    );
    bad(
      () => convSpec([[[[1, 2, 3]]]], { signal: [4, 2] }),
      InputRangeError,
      /convSpec.*kernel 3 > signal 2 in dimension 1/,
    );
  });

  it("ragged, non-numeric and non-finite kernels", () => {
    bad(
      () => convSpec([[[1, 2]], [[1]]], { signal: [4] }),
      InputRangeError,
      /convSpec\(\): kernels is ragged: kernels\[0\]\[0\] has 2 entries but kernels\[1\]\[0\] has 1/,
    );
    bad(
      () => convSpec([[[1, NaN]]], { signal: [4] }),
      InputRangeError,
      /convSpec\(\): kernels must be finite, got NaN at \[0, 0, 1\]/,
    );
    bad(
      () => convSpec([[[1, "2"]]], { signal: [4] }),
      InputTypeError,
      /convSpec\(\): kernels\[0\]\[0\]\[1\] must be a number/,
    );
    bad(
      () => convSpec([[1, 2]], { signal: [4] }),
      InputTypeError,
      /convSpec\(\): kernels\[0\]\[0\] must be an array/,
    );
    bad(() => convSpec([], { signal: [4] }), InputRangeError, /convSpec\(\): kernels is empty/);
    bad(
      () => convSpec([[[1, 2]]], { signal: [4], channels: 2 }),
      InputRangeError,
      /options\.channels is 2 but the kernels have 1/,
    );
  });

  it("bad sizes and boundaries", () => {
    bad(
      () => convSpec([[[1]]], { signal: [0] }),
      InputRangeError,
      /convSpec\(\): options\.signal\[0\] must be a positive integer, got 0/,
    );
    bad(() => convSpec([[[1]]], { signal: [2.5] }), InputRangeError, /positive integer, got 2\.5/);
    bad(() => convSpec([[[1]]], { signal: [2, 2, 2] }), InputRangeError, /must have 1 or 2 entries/);
    bad(() => convSpec([[[1]]], { signal: [] }), InputRangeError, /must have 1 or 2 entries/);
    bad(
      () => convSpec([[[1]]], { signal: [3], boundary: "mirror" as Boundary }),
      InputTypeError,
      /convSpec\(\): options\.boundary must be one of zero, periodic/,
    );
    bad(
      () => convolve({ ...spec1, kernels: new Float64Array(2) }, [0, 0, 0, 0]),
      InputRangeError,
      /convolve\(\): spec\.kernels has length 2, expected/,
    );
  });

  it("bad inputs x", () => {
    bad(
      () => convolve(spec1, [1, 2, 3]),
      InputRangeError,
      /convolve\(\): x has length 3, expected c·ΠN = 1·4 = 4/,
    );
    bad(
      () => convolve(spec1, [1, 2, Infinity, 4]),
      InputRangeError,
      /convolve\(\): x must be finite, got Infinity at \[2\]/,
    );
  });
});
