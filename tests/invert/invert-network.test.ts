/**
 * Tests of the layerwise network inversion (src/invert/invert-network.ts): round trips through
 * Corollary 1 networks and Corollary 3 cascades, outputs outside the range, non-unique preimages.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { constructDense } from "../../src/construct/dense.js";
import { constructCascade } from "../../src/construct/cascade.js";
import { invertNetwork } from "../../src/invert/invert-network.js";
import { forwardNetwork, type Network } from "../../src/model/network.js";

const relErr = (a: number[], b: number[]): number =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / Math.max(1, ...b.map(Math.abs));

function net(inputDim: number, layers: Network["layers"]): Network {
  return { format: "injective-relu/network", version: 1, inputDim, layers };
}

function denseNet(n: number, widths: number[], seed: number): Network {
  let d = n;
  const layers: Network["layers"] = widths.map((w, k) => {
    const L = constructDense(d, w, { seed: seed + k, bias: "paired", shuffle: true });
    d = w;
    return { type: "dense", W: L.W, b: L.b, activation: "relu" };
  });
  return net(n, layers);
}

describe("invertNetwork", () => {
  it("round trip through 3 Corollary 2 layers (fast-check): x to 1e-9 relative, unique", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (n, seed, xs) => {
          const N = denseNet(n, [2 * n, 4 * n + 1, 8 * n + 2], seed);
          const x = xs.slice(0, n);
          const r = invertNetwork(N, forwardNetwork(N, x));
          expect(r.status).toBe("found");
          expect(r.unique).toBe(true);
          expect(relErr(r.x!, x)).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("Corollary 3 cascade with full-rank projections: the preimage of N(x) is x", () => {
    // 2 → 4 → 5 → 10 → 10: every projection has full column rank, so layerwise inversion is exact.
    const { network } = constructCascade(2, 10, { widths: [4, 10], projections: [5], seed: 4 });
    for (const x of [
      [0.3, -1.2],
      [0, 0],
      [2, -3],
    ]) {
      const r = invertNetwork(network, forwardNetwork(network, x));
      expect(r.status).toBe("found");
      expect(r.unique).toBe(true);
      expect(relErr(r.x!, x)).toBeLessThan(1e-9);
    }
  });

  it("Corollary 3 cascade with a dimension-reducing projection: honest 'inconclusive'", () => {
    // 3 → 6 → 7 → 14 → 7: the last projection 14 → 7 has a null space; layerwise inversion picks one
    // of its preimages, which is generically not in the range of the expansion before it.
    const { network } = constructCascade(3, 7, { depth: 2, seed: 4 });
    const r = invertNetwork(network, forwardNetwork(network, [0.3, -1.2, 0.8]));
    expect(r.status).toBe("inconclusive");
    expect(r.reason).toMatch(/not proved unique/);
  });

  it("equation (4): ReLU(I·ReLU(Wx)) inverts with layer 2 on the orthant", () => {
    const L1 = constructDense(2, 5, { seed: 9 });
    const I = Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => (i === j ? 1 : 0)));
    const N = net(2, [
      { type: "dense", W: L1.W, activation: "relu" },
      { type: "dense", W: I, activation: "relu" },
    ]);
    const x = [0.7, -0.4];
    const r = invertNetwork(N, forwardNetwork(N, x));
    expect(r.status).toBe("found");
    expect(r.layers[0].domain).toBe("nonnegative");
    expect(r.unique).toBe(true);
    expect(relErr(r.x!, x)).toBeLessThan(1e-9);
  });

  it("y outside the range: not-in-range, with the failing layer", () => {
    const N = denseNet(2, [4, 9], 5);
    const y = forwardNetwork(N, [1, 2]).map((v, i) => v + (i === 0 ? 1 : 0) + 0.5);
    const r = invertNetwork(N, y);
    expect(r.status).not.toBe("found");
    expect(r.failedLayer).toBeDefined();
    expect(r.x).toBeUndefined();
  });

  it("non-injective network: a second preimage is found", () => {
    // x ↦ ReLU(x1 + x2): (1, 0) and (0, 1) collide.
    const N = net(2, [{ type: "dense", W: [[1, 1]], activation: "relu" }]);
    const r = invertNetwork(N, [1]);
    expect(r.status).toBe("found");
    expect(r.unique).toBe(false);
    expect(relErr(forwardNetwork(N, r.x2!), [1])).toBeLessThan(1e-12);
    expect(relErr(r.x2!, r.x!)).toBeGreaterThan(1e-6);
  });
});
