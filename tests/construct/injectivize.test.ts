/**
 * Tests of Theorem 5's construction (src/construct/injectivize.ts): N(x) = f(x) + αA(ReLU(x), ReLU(−x))
 * exactly, the error stays ≤ ε on sampled points (and the proved bound holds), non-injective f
 * become injective — by the sampled collision search, and for n = 1, 2 by the exhaustive region
 * check (tests/support/pl-exhaustive.ts), which is itself checked against checkLayer first.
 */

import { describe, it, expect } from "vitest";
import { checkLayer } from "../../src/core/check-layer.js";
import { Rng } from "../../src/core/random.js";
import { InputRangeError } from "../../src/core/validate.js";
import { gaussianMatrix } from "../../src/construct/common.js";
import { approximationError, injectivize } from "../../src/construct/injectivize.js";
import { searchCollisions } from "../../src/network/collision-search.js";
import { forwardNetwork, networkDims, type Network } from "../../src/model/network.js";
import { exhaustiveInjectivity } from "../support/pl-exhaustive.js";

function network(inputDim: number, layers: Network["layers"]): Network {
  return { format: "injective-relu/network", version: 1, inputDim, layers };
}

/** f(x) = (0, 0, s(x)) with s the piecewise-linear interpolant of sin at `knots` equispaced points of [−π, π]. */
function sinLike(knots: number): Network {
  const lo = -Math.PI;
  const step = (2 * Math.PI) / (knots - 1);
  const xs = Array.from({ length: knots }, (_, i) => lo + i * step);
  const slopes = xs.slice(0, -1).map((x, i) => (Math.sin(xs[i + 1]) - Math.sin(x)) / step);
  const c = slopes.map((s, j) => (j === 0 ? s : s - slopes[j - 1]));
  return network(1, [
    { type: "dense", W: c.map(() => [1]), b: xs.slice(0, -1).map((x) => -x), activation: "relu" },
    { type: "dense", W: [c.map(() => 0), c.map(() => 0), c], b: [0, 0, Math.sin(lo)], activation: "linear" },
  ]);
}

/** The zigzag s(−2) = 0, s(−1) = −1, s(1) = 1, s(2) = 0, padded to R^3 (the docs' example). */
const ZIGZAG = network(1, [
  { type: "dense", W: [[1], [1], [1]], b: [2, 1, -1], activation: "relu" },
  {
    type: "dense",
    W: [
      [0, 0, 0],
      [0, 0, 0],
      [-1, 2, -2],
    ],
    activation: "linear",
  },
]);

/** A random ReLU network R^2 → R^5 (2 → 6 → 5), not injective. */
function random2d(seed: number, hidden = 6): Network {
  const rng = new Rng(seed);
  return network(2, [
    {
      type: "dense",
      W: gaussianMatrix(rng, hidden, 2),
      b: gaussianMatrix(rng, 1, hidden)[0],
      activation: "relu",
    },
    { type: "dense", W: gaussianMatrix(rng, 5, hidden), activation: "linear" },
  ]);
}

function u(x: number[]): number[] {
  return [...x.map((v) => Math.max(0, v)), ...x.map((v) => Math.max(0, -v))];
}

describe("the exhaustive reference agrees with checkLayer", () => {
  it("on bias-free single layers in R^2 (homogeneous, so the box [−1, 1]^2 decides R^2)", async () => {
    let injective = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const rng = new Rng(seed);
      const W = gaussianMatrix(rng, 5 + (seed % 5), 2);
      const expected = (await checkLayer(W, null, { method: "exhaustive" })).injective;
      const r = await exhaustiveInjectivity(network(2, [{ type: "dense", W, activation: "relu" }]), -1, 1);
      expect(r.injective, `seed ${seed}`).toBe(expected);
      if (expected) injective++;
    }
    expect(injective).toBeGreaterThan(0);
    expect(injective).toBeLessThan(12);
  });
});

describe("injectivize: the construction", () => {
  it("N(x) = f(x) + αA·u(x) for every kind of f (ReLU or linear first and last layers)", () => {
    const rng = new Rng(3);
    const fs: Network[] = [
      ZIGZAG, // ReLU first, linear last
      network(2, [
        { type: "dense", W: gaussianMatrix(rng, 5, 2), b: [1, -1, 0, 2, 0.5], activation: "relu" },
      ]), // one ReLU layer
      network(2, [
        { type: "dense", W: gaussianMatrix(rng, 5, 2), b: [1, -1, 0, 2, 0.5], activation: "linear" },
      ]), // one linear layer
      network(2, [
        { type: "dense", W: gaussianMatrix(rng, 4, 2), activation: "linear" },
        { type: "dense", W: gaussianMatrix(rng, 6, 4), b: [1, 0, -1, 0, 1, 0], activation: "relu" },
        { type: "dense", W: gaussianMatrix(rng, 5, 6), activation: "relu" },
      ]), // linear first, ReLU last
    ];
    for (const f of fs) {
      const r = injectivize(f, { lo: -2, hi: 3, epsilon: 0.2, seed: 5, errorSamples: 50 });
      const { alpha, A } = r.meta;
      expect(networkDims(r.network)[0]).toBe(f.inputDim);
      for (let k = 0; k < 20; k++) {
        const x = Array.from({ length: f.inputDim }, () => -3 + 7 * rng.uniform()); // also outside the box
        const fx = forwardNetwork(f, x);
        const Nx = forwardNetwork(r.network, x);
        const ux = u(x);
        fx.forEach((v, i) =>
          expect(Nx[i]).toBeCloseTo(v + alpha * A[i].reduce((s, a, j) => s + a * ux[j], 0), 10),
        );
      }
    }
  });

  it("keeps f's depth when f starts with a ReLU and ends linear; hidden layers are 2n wider", () => {
    const r = injectivize(ZIGZAG, { lo: -2, hi: 2, epsilon: 0.1, seed: 1 });
    expect(networkDims(r.network)).toEqual([1, 5, 3]);
  });

  it("α‖A‖₂R = τε with τ in [0.9, 1); the exact maximum error lies between the sampled one and the bound", () => {
    for (const seed of [1, 2, 3]) {
      const r = injectivize(random2d(seed), { lo: -1, hi: 2, epsilon: 0.05, seed });
      const { alpha, normA, radius, tau, bound, exactMaxError, error, epsilon } = r.meta;
      expect(radius).toBeCloseTo(2 * Math.SQRT2, 12);
      expect(tau).toBeGreaterThanOrEqual(0.9);
      expect(tau).toBeLessThan(1);
      expect(alpha * normA * radius).toBeCloseTo(tau * epsilon, 14);
      expect(bound).toBeLessThanOrEqual(epsilon);
      expect(error.max).toBeLessThanOrEqual(exactMaxError! + 1e-12);
      expect(exactMaxError!).toBeLessThanOrEqual(bound + 1e-12);
      expect(error.corners).toBe(4);
      expect(error.samples).toBe(2000);
    }
  });

  it("is reproducible from the seed", () => {
    const a = injectivize(ZIGZAG, { lo: -2, hi: 2, epsilon: 0.1, seed: 4 });
    expect(injectivize(ZIGZAG, { lo: -2, hi: 2, epsilon: 0.1, seed: 4 })).toEqual(a);
    expect(injectivize(ZIGZAG, { lo: -2, hi: 2, epsilon: 0.1, seed: 5 }).network).not.toEqual(a.network);
  });
});

describe("injectivize: error ≤ ε and injectivity", () => {
  it("sin-like f (n = 1): error ≤ ε on 2000 points + corners, no collision, ratio clearly > 0", () => {
    const f = sinLike(9);
    expect(searchCollisions(f, { lo: -Math.PI, hi: Math.PI, seed: 1 }).collisionFound).toBe(true);
    for (const epsilon of [0.5, 0.1, 0.01]) {
      for (const seed of [1, 2, 3]) {
        const r = injectivize(f, { lo: -Math.PI, hi: Math.PI, epsilon, seed });
        expect(r.meta.error.max).toBeLessThanOrEqual(epsilon);
        const again = approximationError(r.network, f, {
          lo: -Math.PI,
          hi: Math.PI,
          samples: 2000,
          seed: 99,
        });
        expect(again.max).toBeLessThanOrEqual(epsilon);
        const s = searchCollisions(r.network, {
          lo: -Math.PI,
          hi: Math.PI,
          seed,
          pairs: 1000,
          localSearches: 10,
        });
        expect(s.collisionFound, `ε=${epsilon} seed=${seed}`).toBe(false);
        // The inverse Lipschitz constant scales like α ∝ ε; it stays far from 0.
        expect(s.minRatio).toBeGreaterThan(0.01 * epsilon);
      }
    }
  });

  it("n = 1: the exhaustive check finds f's collision and proves N injective on the box", async () => {
    const f0 = await exhaustiveInjectivity(ZIGZAG, -2, 2);
    expect(f0.injective).toBe(false);
    const { x1, x2 } = f0.witness!;
    expect(forwardNetwork(ZIGZAG, x1)[2]).toBeCloseTo(forwardNetwork(ZIGZAG, x2)[2], 9);
    for (const seed of [1, 2, 3]) {
      const r = injectivize(ZIGZAG, { lo: -2, hi: 2, epsilon: 0.1, seed });
      expect((await exhaustiveInjectivity(r.network, -2, 2)).injective, `seed ${seed}`).toBe(true);
    }
    const sin = injectivize(sinLike(7), { lo: -Math.PI, hi: Math.PI, epsilon: 0.05, seed: 1 });
    expect((await exhaustiveInjectivity(sin.network, -Math.PI, Math.PI)).injective).toBe(true);
  });

  it("n = 2: a non-injective random f becomes injective (exhaustive check and collision search)", async () => {
    const f = random2d(5);
    const before = await exhaustiveInjectivity(f, -1, 1);
    expect(before.injective).toBe(false);
    expect(searchCollisions(f, { lo: -1, hi: 1, seed: 1 }).collisionFound).toBe(true);
    const r = injectivize(f, { lo: -1, hi: 1, epsilon: 0.1, seed: 1 });
    expect(r.meta.error.max).toBeLessThanOrEqual(0.1);
    expect((await exhaustiveInjectivity(r.network, -1, 1)).injective).toBe(true);
    const s = searchCollisions(r.network, { lo: -1, hi: 1, seed: 1 });
    expect(s.collisionFound).toBe(false);
    expect(s.relativeMinRatio).toBeGreaterThan(1e-4);
  });

  it("n = 3 (sampling only): a deeper f, error ≤ ε, no collision", () => {
    const rng = new Rng(11);
    const f = network(3, [
      { type: "dense", W: gaussianMatrix(rng, 8, 3), b: gaussianMatrix(rng, 1, 8)[0], activation: "relu" },
      { type: "dense", W: gaussianMatrix(rng, 8, 8), activation: "relu" },
      { type: "dense", W: gaussianMatrix(rng, 7, 8), activation: "linear" },
    ]);
    const r = injectivize(f, { lo: -1, hi: 1, epsilon: 0.05, seed: 2 });
    expect(r.meta.error.max).toBeLessThanOrEqual(0.05);
    expect(r.meta.error.corners).toBe(8);
    const s = searchCollisions(r.network, { lo: -1, hi: 1, seed: 2, pairs: 1000 });
    expect(s.collisionFound).toBe(false);
  });
});

describe("injectivize: bad input", () => {
  function message(f: () => unknown): string {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(InputRangeError);
      return (e as Error).message;
    }
    throw new Error("expected an error");
  }

  it("m < 2n + 1, quoting Theorem 5", () => {
    const f = network(2, [{ type: "dense", W: gaussianMatrix(new Rng(1), 4, 2), activation: "relu" }]);
    expect(message(() => injectivize(f, { lo: -1, hi: 1, epsilon: 0.1 }))).toBe(
      "injectivize(): f maps R^2 to R^4, but Theorem 5 needs m >= 2n + 1 = 5 outputs (a generic projection of the n-dimensional image is injective only then); pad f with zero outputs, as the paper does with f(x) = (0, 0, sin x)",
    );
  });

  it("ε ≤ 0, an empty box, a bad network", () => {
    expect(message(() => injectivize(ZIGZAG, { lo: -1, hi: 1, epsilon: 0 }))).toMatch(
      /^injectivize\(\): options\.epsilon must be a positive number, got 0/,
    );
    expect(message(() => injectivize(ZIGZAG, { lo: 1, hi: 1, epsilon: 0.1 }))).toMatch(
      /^injectivize\(\): the box \[lo, hi\]\^n needs finite lo < hi, got lo = 1, hi = 1/,
    );
    expect(message(() => injectivize({ ...ZIGZAG, inputDim: 2 }, { lo: -1, hi: 1, epsilon: 0.1 }))).toMatch(
      /^injectivize\(\): layers\[0\]\.W has 1 columns/,
    );
  });
});
