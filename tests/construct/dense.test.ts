/**
 * Tests of Corollary 2 layers (src/construct/dense.ts): every construction, over many seeds, sizes,
 * biases and row orders, is certified injective by checkLayer (the structure test, and the
 * exhaustive search as an independent check); one row less (m = 2n − 1) is never injective, with a
 * witness that verifies; bad bases, sizes, diagonals and biases are rejected with clear messages.
 */

import { describe, it, expect } from "vitest";
import { checkLayer } from "../../src/core/check-layer.js";
import { verifyCertificate } from "../../src/core/certificate.js";
import { InputRangeError, InputTypeError } from "../../src/core/validate.js";
import { verifyWitness } from "../../src/core/witness.js";
import { constructDense, type DenseOptions } from "../../src/construct/dense.js";

const BIASES = ["none", "nonneg", "paired"] as const;

describe("constructDense: injective by construction", () => {
  it("checkLayer (auto) certifies every construction: n ≤ 6, 2n ≤ m ≤ 3n, all biases, shuffled or not", async () => {
    let count = 0;
    for (let n = 1; n <= 6; n++) {
      for (let m = 2 * n; m <= 3 * n; m++) {
        for (const bias of BIASES) {
          for (let seed = 1; seed <= 3; seed++) {
            const shuffle = (seed + m) % 2 === 0;
            const c = constructDense(n, m, { seed, bias, shuffle, d: { min: 0.25, max: 4 } });
            expect(c.W.length).toBe(m);
            expect(c.W[0].length).toBe(n);
            expect(c.b === undefined).toBe(bias === "none");
            const r = await checkLayer(c.W, c.b ?? null, { domain: "all", method: "auto" });
            expect(r.injective, `n=${n} m=${m} bias=${bias} seed=${seed}: ${r.reason}`).toBe(true);
            expect(verifyCertificate(c.W, c.b ?? null, r.certificate!).valid).toBe(true);
            count++;
          }
        }
      }
    }
    expect(count).toBe(243);
  });

  it("the exhaustive search agrees (n ≤ 4, orthogonal and Gaussian bases, random D)", async () => {
    for (let n = 1; n <= 4; n++) {
      for (const m of [2 * n, 2 * n + 1, 3 * n]) {
        for (const basis of ["gaussian", "orthogonal"] as const) {
          for (const bias of BIASES) {
            const c = constructDense(n, m, {
              seed: 10 * n + m,
              basis,
              bias,
              shuffle: true,
              d: { min: 0.5, max: 2 },
            });
            const r = await checkLayer(c.W, c.b ?? null, { method: "exhaustive" });
            expect(r.injective, `n=${n} m=${m} ${basis} ${bias}: ${r.reason}`).toBe(true);
          }
        }
      }
    }
  });

  it("integer bases give exact certificates", async () => {
    const B = [
      [2, 1, 0],
      [0, 1, -1],
      [1, 0, 3],
    ];
    const c = constructDense(3, 7, {
      basis: B,
      d: [1, 2, 4],
      extraRows: [[1, 1, 1]],
      bias: [0, 1, 2, 0, 0, 0, -5],
    });
    const r = await checkLayer(c.W, c.b, { method: "exhaustive" });
    expect(r.injective).toBe(true);
    expect(r.exact).toBe(true);
  });

  it("W has the structure [B; −DB; M] at the reported rows", () => {
    for (const shuffle of [false, true]) {
      const c = constructDense(4, 11, { seed: 7, shuffle, d: { min: 0.5, max: 3 }, bias: "paired" });
      const { rowsB, rowsNegDB, rowsM, d, B, permutation } = c.meta;
      expect([...rowsB, ...rowsNegDB, ...rowsM].sort((a, b) => a - b)).toEqual([...Array(11).keys()]);
      for (let i = 0; i < 4; i++) {
        expect(c.W[rowsB[i]]).toEqual(B[i]);
        expect(c.W[rowsNegDB[i]]).toEqual(B[i].map((v) => -d[i] * v));
        expect(d[i]).toBeGreaterThanOrEqual(0.5);
        expect(d[i]).toBeLessThanOrEqual(3);
        // The pair's biases keep one of its rows active: β1 + β2/d ≥ 0.
        expect(c.b![rowsB[i]] + c.b![rowsNegDB[i]] / d[i]).toBeGreaterThan(0);
      }
      permutation.forEach((k, r) => {
        if (k < 4) expect(rowsB[k]).toBe(r);
      });
      if (!shuffle) expect(permutation).toEqual([...Array(11).keys()]);
    }
  });

  it("shuffling hides the row order (some seed moves the B rows off the top)", () => {
    const moved = [1, 2, 3, 4, 5].some(
      (seed) => constructDense(3, 8, { seed, shuffle: true }).meta.rowsB.join() !== "0,1,2",
    );
    expect(moved).toBe(true);
  });

  it("'paired' biases take both signs, 'nonneg' pair biases are ≥ 0", () => {
    const paired = constructDense(6, 12, { seed: 3, bias: "paired" }).b!;
    expect(paired.some((v) => v < 0)).toBe(true);
    const nonneg = constructDense(6, 15, { seed: 3, bias: "nonneg" });
    const pairRows = [...nonneg.meta.rowsB, ...nonneg.meta.rowsNegDB];
    expect(pairRows.every((r) => nonneg.b![r] >= 0)).toBe(true);
  });

  it("is reproducible from the seed, and seeds differ", () => {
    const opts: DenseOptions = { seed: 42, shuffle: true, bias: "paired", d: { min: 1, max: 2 } };
    expect(constructDense(3, 8, opts)).toEqual(constructDense(3, 8, opts));
    expect(constructDense(3, 8, { ...opts, seed: 43 }).W).not.toEqual(constructDense(3, 8, opts).W);
  });

  it("an orthogonal basis has orthonormal rows (times the scale)", () => {
    const { B, conditionNumber } = constructDense(5, 10, { seed: 2, basis: "orthogonal", scale: 2 }).meta;
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        const dot = B[i].reduce((s, v, k) => s + v * B[j][k], 0);
        // Entries are float32 (so that the rows −d·B are exact): orthonormal to about 1e-7.
        expect(dot).toBeCloseTo(i === j ? 4 : 0, 6);
      }
    }
    expect(conditionNumber).toBeCloseTo(1, 6);
  });

  it("drawn constructions are exactly [B; −DB; M] (exactPairs); a rounding product is reported", () => {
    expect(constructDense(4, 9, { seed: 5, d: { min: 0.3, max: 3 } }).meta.exactPairs).toBe(true);
    const given = constructDense(2, 4, {
      basis: [
        [0.1, 0.7],
        [0.3, -0.2],
      ],
      d: [0.3, 1],
    });
    expect(given.meta.exactPairs).toBe(false);
  });

  it("uses given extra rows M", () => {
    const c = constructDense(2, 5, { seed: 1, extraRows: [[3, -3]] });
    expect(c.W[c.meta.rowsM[0]]).toEqual([3, -3]);
    expect(constructDense(2, 4, { extraRows: [] }).W.length).toBe(4);
  });
});

describe("one row less is never injective (Corollary 2: m < 2n)", () => {
  it("removing any single row of a minimal construction gives a verified witness", async () => {
    for (let n = 1; n <= 4; n++) {
      for (const bias of BIASES) {
        const c = constructDense(n, 2 * n, { seed: n, bias, shuffle: true, d: { min: 0.5, max: 2 } });
        for (let drop = 0; drop < 2 * n; drop++) {
          const W = c.W.filter((_, i) => i !== drop);
          const b = c.b?.filter((_, i) => i !== drop) ?? null;
          const r = await checkLayer(W, b, { domain: "all", method: "auto" });
          expect(r.injective, `n=${n} ${bias} drop ${drop}`).toBe(false);
          const w = r.witness!;
          expect(verifyWitness(W, b, w, "all").valid).toBe(true);
          expect(Math.hypot(...w.x1.map((v, j) => v - w.x2[j]))).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe("bad input", () => {
  function rangeError(f: () => unknown): string {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(InputRangeError);
      expect((e as Error).message).toMatch(/^constructDense\(\): /);
      expect((e as Error).message).not.toContain("\n");
      return (e as Error).message;
    }
    throw new Error("expected an error");
  }

  it("m < 2n, quoting Corollary 2", () => {
    expect(rangeError(() => constructDense(3, 5))).toBe(
      'constructDense(): m = 5 outputs is fewer than 2n = 6 for n = 3 inputs; Corollary 2 (minimal expansivity): "for any W ∈ R^{m×n}, ReLU(W·) is non-injective if m < 2n"',
    );
  });

  it("zero, negative and non-integer sizes", () => {
    expect(rangeError(() => constructDense(0, 4))).toBe(
      "constructDense(): n must be a positive integer, got 0",
    );
    expect(rangeError(() => constructDense(2, -4))).toBe(
      "constructDense(): m must be a positive integer, got -4",
    );
    expect(rangeError(() => constructDense(2.5, 6))).toBe(
      "constructDense(): n must be a positive integer, got 2.5",
    );
    expect(() => constructDense("3" as unknown as number, 6)).toThrow(InputTypeError);
  });

  it("a singular basis, naming its rank", () => {
    const msg = rangeError(() =>
      constructDense(3, 6, {
        basis: [
          [1, 2, 3],
          [2, 4, 6],
          [0, 0, 1],
        ],
      }),
    );
    expect(msg).toMatch(
      /^constructDense\(\): options\.basis is singular, not a basis of R\^3: its rank is 2 < 3 \(singular values /,
    );
  });

  it("an ill-conditioned basis, naming its condition number", () => {
    const msg = rangeError(() =>
      constructDense(2, 4, {
        basis: [
          [1, 0],
          [0, 1e-10],
        ],
      }),
    );
    expect(msg).toMatch(
      /options\.basis is ill-conditioned: condition number 1\.00e\+10 exceeds options\.maxCondition = 1\.00e\+8/,
    );
    // A looser limit accepts it.
    expect(() =>
      constructDense(2, 4, {
        basis: [
          [1, 0],
          [0, 1e-10],
        ],
        maxCondition: 1e11,
      }),
    ).not.toThrow();
  });

  it("a basis of the wrong shape", () => {
    expect(
      rangeError(() =>
        constructDense(3, 6, {
          basis: [
            [1, 0],
            [0, 1],
          ],
        }),
      ),
    ).toMatch(/options\.basis must be n×n = 3×3 for n = 3 inputs, got 2×2/);
  });

  it("a non-positive D", () => {
    expect(rangeError(() => constructDense(2, 4, { d: [1, 0] }))).toMatch(
      /options\.d must be positive \(D is a positive diagonal, Corollary 2\), got 0 at \[1\]/,
    );
    expect(rangeError(() => constructDense(2, 4, { d: { min: -1, max: 2 } }))).toMatch(
      /options\.d\.min must be a positive number, got -1/,
    );
    expect(rangeError(() => constructDense(2, 4, { d: { min: 3, max: 2 } }))).toMatch(
      /options\.d\.min = 3 exceeds options\.d\.max = 2/,
    );
    expect(rangeError(() => constructDense(2, 4, { d: [1, 2, 3] }))).toMatch(
      /options\.d has length 3, expected n = 2/,
    );
  });

  it("extra rows of the wrong shape", () => {
    expect(rangeError(() => constructDense(2, 6, { extraRows: [[1, 0]] }))).toMatch(
      /options\.extraRows must have shape \(m − 2n, n\) = \(2, 2\), got \(1, 2\)/,
    );
  });

  it("a given bias that breaks a pair, and one that keeps it", async () => {
    // Pair (B_0, −2·B_0) with β1 = −1, β2 = 1: β1 + β2/d = −0.5 < 0.
    const msg = rangeError(() => constructDense(1, 2, { basis: [[1]], d: [2], bias: [-1, 1] }));
    expect(msg).toMatch(
      /options\.bias breaks the pair of rows 0 \(B_0\) and 1 \(−d_0·B_0\): b\[0\] \+ b\[1\]\/d\[0\] = -0\.5 < 0/,
    );
    // The Lemma 1 counterexample (docs/verifier.md) W = [1; −1], b = [1; −0.5] is a valid pair (slack 0.5).
    const c = constructDense(1, 2, { basis: [[1]], bias: [1, -0.5] });
    expect(c.meta.pairSlack).toBe(0.5);
    expect((await checkLayer(c.W, c.b)).injective).toBe(true);
    expect(rangeError(() => constructDense(1, 2, { bias: [1] }))).toMatch(
      /options\.bias has length 1, expected m = 2/,
    );
  });

  it("an unknown basis or bias kind", () => {
    expect(() => constructDense(2, 4, { basis: "qr" as "gaussian" })).toThrow(
      /options\.basis must be one of gaussian, orthogonal/,
    );
    expect(() => constructDense(2, 4, { bias: "positive" as "nonneg" })).toThrow(
      /options\.bias must be one of none, nonneg, paired/,
    );
  });
});
