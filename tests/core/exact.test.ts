/**
 * Exact arithmetic: dyadic decomposition of floats, fractions, exact spans and systems.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  ExactSpan,
  Fraction,
  floatToDyadic,
  dyadicRows,
  gcdBigint,
  integerOrthogonalVector,
  solveExact,
  toIntegerVector,
} from "../../src/core/exact.js";
import { Rng } from "../../src/core/random.js";

describe("floatToDyadic", () => {
  it("is exact for random doubles", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (f) => {
        const { mant, exp } = floatToDyadic(f);
        const back = exp >= 0 ? Number(mant << BigInt(exp)) : Number(mant) / 2 ** -exp;
        return Object.is(back, f) || (f === 0 && back === 0) || Math.abs(exp) > 1000;
      }),
      { seed: 7, numRuns: 500 },
    );
    expect(floatToDyadic(0.75)).toEqual({ mant: 3n, exp: -2 });
    expect(floatToDyadic(-6)).toEqual({ mant: -3n, exp: 1 });
  });
});

describe("Fraction", () => {
  it("normalizes and computes", () => {
    const a = new Fraction(2n, -4n);
    expect(a.toString()).toBe("-1/2");
    expect(a.add(new Fraction(1n, 3n)).toString()).toBe("-1/6");
    expect(a.mul(a).toString()).toBe("1/4");
    expect(Fraction.fromFloat(0.1).toNumber()).toBe(0.1);
  });
});

describe("gcdBigint", () => {
  const euclid = (a: bigint, b: bigint): bigint => {
    a = a < 0n ? -a : a;
    b = b < 0n ? -b : b;
    while (b !== 0n) [a, b] = [b, a % b];
    return a;
  };
  // Powers of two (the fast path), their multiples and negatives, zero, and ordinary integers.
  const big = fc.oneof(
    fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
    fc.nat(400).map((k) => 1n << BigInt(k)),
    fc.tuple(fc.nat(400), fc.bigInt({ min: -(1n << 80n), max: 1n << 80n })).map(([k, m]) => m << BigInt(k)),
    fc.constantFrom(0n, 1n, -1n, 2n, -2n),
  );
  it("agrees with Euclid's algorithm on |a|, |b|, also on powers of two", () => {
    fc.assert(
      fc.property(big, big, (a, b) => gcdBigint(a, b) === euclid(a, b) && gcdBigint(b, a) === euclid(a, b)),
      { seed: 11, numRuns: 3000 },
    );
    // Large pairs with a large common factor (Lehmer's steps, from 128 bits on), and Fibonacci
    // neighbours (quotients all 1: the longest runs of steps).
    const large = fc.bigInt({ min: -(1n << 900n), max: 1n << 900n });
    fc.assert(
      fc.property(large, large, fc.bigInt({ min: 1n, max: 1n << 400n }), (u, v, g) => {
        const [a, b] = [u * g, v * g];
        return gcdBigint(a, b) === euclid(a, b) && gcdBigint(b, a) === euclid(a, b);
      }),
      { seed: 12, numRuns: 1500 },
    );
    let [f0, f1] = [1n, 1n];
    for (let k = 0; k < 1500; k++) [f0, f1] = [f1, f0 + f1];
    expect(gcdBigint(f1, f0)).toBe(1n);
    expect(gcdBigint(f1 * 1234567n, f0 * 1234567n)).toBe(1234567n);
    expect(gcdBigint(0n, 0n)).toBe(0n);
    expect(gcdBigint(-12n, 1n << 70n)).toBe(4n);
    expect(gcdBigint(1n << 5n, 3n << 9n)).toBe(32n);
  });
});

describe("dyadicRows", () => {
  it("scales every row (with its bias) by a power of two to the smallest integers", () => {
    expect(dyadicRows([[0.5, 1]], [0.25])).toEqual({ W: [[2n, 4n]], b: [1n], shift: [2] });
    expect(dyadicRows([[3, -2]], [0])).toEqual({ W: [[3n, -2n]], b: [0n], shift: [0] });
    // 0.1 is the dyadic rational 3602879701896397 / 2^55.
    expect(dyadicRows([[0.1, 1]], [0])).toEqual({
      W: [[3602879701896397n, 1n << 55n]],
      b: [0n],
      shift: [55],
    });
    // Entries near the double range stay exact: 2^1023 and 2^-1074 in one row.
    const r = dyadicRows([[2 ** 1023, 2 ** -1074]], [0]);
    expect(r.W[0][0]).toBe(1n << 2097n);
    expect(r.W[0][1]).toBe(1n);
    // Zero rows stay zero.
    expect(dyadicRows([[0, 0]], [0]).W[0]).toEqual([0n, 0n]);
  });
  it("agrees with the decomposition of every entry (floatToDyadic) on random rows, tiny and huge ones too", () => {
    // The reference: each entry as mant·2^exp, the row scaled by 2^−(least exp).
    const reference = (W: number[][], b: number[]) => {
      const out = { W: [] as bigint[][], b: [] as bigint[], shift: [] as number[] };
      W.forEach((row, i) => {
        const parts = [...row, b[i]].map(floatToDyadic);
        let e = Infinity;
        for (const p of parts) if (p.mant !== 0n) e = Math.min(e, p.exp);
        if (e === Infinity) e = 0;
        const ints = parts.map((p) => (p.mant === 0n ? 0n : p.mant << BigInt(p.exp - e)));
        out.b.push(ints.pop() as bigint);
        out.W.push(ints);
        out.shift.push(e === 0 ? 0 : -e);
      });
      return out;
    };
    const entry = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.double({ min: -4, max: 4, noNaN: true }),
      fc.integer({ min: -1000, max: 1000 }),
      fc.constantFrom(0, -0, 2 ** 1023, -(2 ** -1074), 2 ** -1022, 1e300, 1e-300, 0.1),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) =>
          fc.array(fc.tuple(fc.array(entry, { minLength: n, maxLength: n }), entry), {
            minLength: 1,
            maxLength: 4,
          }),
        ),
        (rows) => {
          const W = rows.map((r) => r[0]);
          const b = rows.map((r) => r[1]);
          expect(dyadicRows(W, b)).toEqual(reference(W, b));
        },
      ),
      { seed: 13, numRuns: 3000 },
    );
  });
});

describe("ExactSpan", () => {
  it("decides membership and orthogonal vectors exactly", () => {
    const s = new ExactSpan(3);
    expect(s.add([1n, 2n, 3n])).toBe(true);
    expect(s.add([2n, 4n, 6n])).toBe(false);
    expect(s.add([0n, 1n, 1n])).toBe(true);
    expect(s.contains([1n, 3n, 4n])).toBe(true);
    expect(s.contains([1n, 3n, 5n])).toBe(false);
    const v = s.orthogonalVector();
    expect(1n * v[0] + 2n * v[1] + 3n * v[2]).toBe(0n);
    expect(0n * v[0] + 1n * v[1] + 1n * v[2]).toBe(0n);
    expect(v.some((e) => e !== 0n)).toBe(true);
  });
  it("toIntegerVector clears denominators", () => {
    expect(toIntegerVector([new Fraction(1n, 2n), new Fraction(-1n, 3n)])).toEqual([3n, -2n]);
  });
});

describe("integerOrthogonalVector", () => {
  // Rows with small entries (many dependent, zero and repeated rows, zero columns) and rows of
  // 60-bit doubles' integer forms: the fraction-free elimination gives ExactSpan's vector.
  const small = fc
    .record({ n: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 0, max: 7 }) })
    .chain(({ n, k }) =>
      fc.record({
        n: fc.constant(n),
        rows: fc.array(fc.array(fc.integer({ min: -2, max: 2 }), { minLength: n, maxLength: n }), {
          minLength: k,
          maxLength: k,
        }),
      }),
    );
  const check = (rows: bigint[][], n: number): void => {
    const span = new ExactSpan(n);
    for (const r of rows) span.add(r);
    const v = integerOrthogonalVector(rows, n);
    if (span.rank >= n) {
      expect(v).toBeNull();
      return;
    }
    expect(v).toEqual(span.orthogonalVector());
  };
  it("equals ExactSpan's orthogonal vector on small degenerate integer rows", () => {
    fc.assert(
      fc.property(small, ({ n, rows }) =>
        check(
          rows.map((r) => r.map(BigInt)),
          n,
        ),
      ),
      { numRuns: 3000, seed: 11 },
    );
  });
  it("equals it on the integer rows of Gaussian doubles (n − 1 rows of about 60 bits)", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const n = 2 + (seed % 10);
      const rng = new Rng(seed);
      const W = Array.from({ length: n - 1 }, () => Array.from({ length: n }, () => rng.normal()));
      if (seed % 5 === 0) W.push(W[0].map((v, j) => v + W[1 % W.length][j])); // a dependent row
      const { W: rows } = dyadicRows(W, new Array<number>(W.length).fill(0));
      check(rows, n);
    }
  });
});

describe("solveExact", () => {
  it("solves consistent systems and detects inconsistent ones", () => {
    const F = (n: number) => new Fraction(BigInt(n));
    const y = solveExact(
      [
        [F(1), F(1)],
        [F(1), F(-1)],
      ],
      [F(3), F(1)],
      [0, 0],
    )!;
    expect(y.map((v) => v.toString())).toEqual(["2", "1"]);
    expect(
      solveExact(
        [
          [F(1), F(1)],
          [F(2), F(2)],
        ],
        [F(1), F(3)],
        [0, 0],
      ),
    ).toBeNull();
  });
});
