/**
 * Tests of Corollary 3 cascades (src/construct/cascade.ts): dimensions and their checks, the layer
 * structure (Corollary 2 expansions, Gaussian projections), the forward pass, and injectivity as
 * far as it can be tested: every expansion layer is certified by checkLayer, a reducing projection
 * is not injective on its own, the sampled collision search finds nothing, and for n = 1, 2 the
 * exhaustive region check (tests/support/pl-exhaustive.ts) proves injectivity on a box.
 */

import { describe, it, expect } from "vitest";
import { checkLayer } from "../../src/core/check-layer.js";
import { InputRangeError } from "../../src/core/validate.js";
import { constructCascade, type CascadeOptions } from "../../src/construct/cascade.js";
import { searchCollisions } from "../../src/network/collision-search.js";
import { forwardNetwork, layerMatrix, networkDims, type DenseLayerSpec } from "../../src/model/network.js";
import { exhaustiveInjectivity } from "../support/pl-exhaustive.js";

describe("constructCascade: dimensions", () => {
  it("defaults: depth 2, expansions double, projections to m", () => {
    const c = constructCascade(3, 7, { seed: 1 });
    expect(c.meta.dims).toEqual([3, 6, 7, 14, 7]);
    expect(networkDims(c.network)).toEqual(c.meta.dims);
    expect(c.network.layers.map((l) => l.activation)).toEqual(["relu", "linear", "relu", "linear"]);
    expect(c.meta.layers.map((l) => l.role)).toEqual(["expansion", "projection", "expansion", "projection"]);
    expect(c.meta.checks[0]).toBe("m = 7 >= 2n + 1 = 7 (Corollary 3)");
  });

  it("given widths and projections", () => {
    const c = constructCascade(2, 6, { seed: 2, widths: [5, 12, 13], projections: [5, 6] });
    expect(c.meta.depth).toBe(3);
    expect(c.meta.dims).toEqual([2, 5, 5, 12, 6, 13, 6]);
  });

  it("the depth alone", () => {
    expect(constructCascade(1, 3, { depth: 4, seed: 1 }).meta.dims).toEqual([1, 2, 3, 6, 3, 6, 3, 6, 3]);
  });

  it.each<[string, number, number, CascadeOptions, RegExp]>([
    ["m < 2n + 1", 3, 6, {}, /m = 6 outputs is fewer than 2n \+ 1 = 7 for n = 3 inputs; Corollary 3/],
    [
      "a projection below 2n + 1",
      3,
      7,
      { projections: [6] },
      /options\.projections\[0\] = 6 is below 2n \+ 1 = 7/,
    ],
    [
      "a first width below 2n",
      3,
      7,
      { widths: [5, 14] },
      /options\.widths\[0\] = 5 is below 2 × 3 = 6, .*Corollary 2/,
    ],
    [
      "a later width below twice its input",
      3,
      7,
      { widths: [6, 13] },
      /options\.widths\[1\] = 13 is below 2 × 7 = 14/,
    ],
    [
      "widths that disagree with the depth",
      3,
      7,
      { depth: 3, widths: [6, 14] },
      /options\.widths has 2 entries but the depth is 3/,
    ],
    [
      "projections that disagree with the depth",
      3,
      7,
      { depth: 2, projections: [7, 7] },
      /options\.projections has 2 entries but the depth 2 needs 1/,
    ],
    ["a zero width", 3, 7, { widths: [0, 14] }, /options\.widths\[0\] must be a positive integer, got 0/],
    ["a zero depth", 3, 7, { depth: 0 }, /options\.depth must be a positive integer, got 0/],
    ["a non-integer size", 2.5, 7, {}, /n must be a positive integer, got 2.5/],
  ])("rejects %s", (_name, n, m, options, message) => {
    let error: unknown;
    try {
      constructCascade(n, m, options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputRangeError);
    expect((error as Error).message).toMatch(/^constructCascade\(\): /);
    expect((error as Error).message).toMatch(message);
  });

  it("rejects a bias kind that is not offered", () => {
    expect(() => constructCascade(2, 5, { bias: "paired" as "nonneg" })).toThrow(
      /options\.bias must be one of none, nonneg/,
    );
  });
});

describe("constructCascade: layers and forward pass", () => {
  it("forwardNetwork is the composition B_2 ∘ f_2 ∘ B_1 ∘ f_1", () => {
    const c = constructCascade(2, 5, { seed: 3, bias: "nonneg" });
    const [f1, B1, f2, B2] = c.network.layers;
    const apply = (W: number[][], b: number[] | undefined, x: number[], relu: boolean): number[] =>
      W.map((row, i) => {
        const s = row.reduce((acc, w, j) => acc + w * x[j], b ? b[i] : 0);
        return relu ? Math.max(0, s) : s;
      });
    for (const x of [
      [0.3, -0.7],
      [-1, 1],
      [0, 0],
      [2, 5],
    ]) {
      const M = (l: DenseLayerSpec): number[][] => layerMatrix(l);
      const manual = apply(
        M(B2),
        undefined,
        apply(M(f2), f2.b, apply(M(B1), undefined, apply(M(f1), f1.b, x, true), false), true),
        false,
      );
      const y = forwardNetwork(c.network, x);
      y.forEach((v, i) => expect(v).toBeCloseTo(manual[i], 12));
    }
  });

  it("every expansion layer is a certified Corollary 2 layer; a reducing projection is not injective alone", async () => {
    const c = constructCascade(2, 5, { seed: 4, depth: 3, bias: "nonneg" });
    for (const [i, layer] of c.network.layers.entries()) {
      if (c.meta.layers[i].role === "expansion") {
        const r = await checkLayer(layerMatrix(layer), layer.b ?? null, { method: "auto" });
        expect(r.injective).toBe(true);
      } else {
        expect(layer.b).toBeUndefined();
      }
    }
    // Projection 2 maps R^10 to R^5: a linear map with a kernel, so not injective on R^10.
    const P = layerMatrix(c.network.layers[3]);
    expect([P[0].length, P.length]).toEqual([10, 5]);
  });

  it("is reproducible from the seed", () => {
    expect(constructCascade(3, 7, { seed: 9 })).toEqual(constructCascade(3, 7, { seed: 9 }));
    expect(constructCascade(3, 7, { seed: 9 }).network).not.toEqual(
      constructCascade(3, 7, { seed: 10 }).network,
    );
  });
});

describe("constructCascade: injectivity (tested)", () => {
  it("the collision search finds nothing, over seeds and sizes", () => {
    for (const [n, m, depth] of [
      [1, 3, 2],
      [2, 5, 2],
      [3, 7, 3],
      [4, 10, 2],
    ] as const) {
      for (const seed of [1, 2]) {
        const { network } = constructCascade(n, m, { seed, depth });
        const s = searchCollisions(network, { lo: -1, hi: 1, seed, pairs: 600, localSearches: 8 });
        expect(s.collisionFound, `n=${n} m=${m} seed=${seed}`).toBe(false);
        expect(s.relativeMinRatio, `n=${n} m=${m} seed=${seed}`).toBeGreaterThan(1e-4);
      }
    }
  });

  it("the exhaustive region check proves injectivity on the box for n = 1 and n = 2", async () => {
    for (const [n, m, seed] of [
      [1, 3, 1],
      [1, 3, 2],
      [2, 5, 3],
    ] as const) {
      const { network } = constructCascade(n, m, { seed, depth: 2 });
      const r = await exhaustiveInjectivity(network, -1, 1);
      expect(r.injective, `n=${n} seed=${seed}`).toBe(true);
    }
  });
});
