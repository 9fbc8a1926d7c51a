/**
 * The sparse rows mod p of a convolution (src/model/conv-residues.ts), built from its record,
 * against the dense integer form of its explicit matrix (layerMatrix, dyadicRows) reduced mod p:
 * the same entries, so the same rank. And the rank rule on a convolution too large for the dense
 * matrix, decided on the sparse rows (src/network/check-network.ts).
 */

import { describe, expect, it } from "vitest";
import { Budget, ResourceLimitError } from "../../src/core/budget.js";
import { dyadicRows } from "../../src/core/exact.js";
import { PRIMES, modBig, modRank } from "../../src/core/modular.js";
import { Rng } from "../../src/core/random.js";
import { sparseModRank } from "../../src/core/sparse-rank.js";
import { recordGeometry, type ConvParams } from "../../src/model/conv-layer.js";
import { convResidues } from "../../src/model/conv-residues.js";
import { NETWORK_FORMAT, convLayer, layerMatrix, type Network } from "../../src/model/network.js";
import { checkNetwork } from "../../src/network/check-network.js";

const P = PRIMES[0];

/** Nested kernels of the given shape: float32 normals, exact small dyadics and zeros mixed. */
function kernels(rng: Rng, shape: number[]): ConvParams["kernels"] {
  const build = (d: number): unknown =>
    d === shape.length - 1
      ? Array.from({ length: shape[d] }, () => {
          const u = rng.uniform();
          return u < 0.2
            ? 0
            : u < 0.5
              ? Math.round(rng.normal() * 8) / 4
              : Math.fround(rng.normal() * 2 ** (u * 20 - 10));
        })
      : Array.from({ length: shape[d] }, () => build(d + 1));
  return build(0) as ConvParams["kernels"];
}

/** The residues as a dense m × n matrix. */
function denseResidues(p: ConvParams): number[][] {
  const A = convResidues(recordGeometry(p), p.op, P);
  const out = Array.from({ length: A.m }, () => new Array<number>(A.n).fill(0));
  for (let i = 0; i < A.m; i++)
    for (let k = A.rowStart[i]; k < A.rowStart[i + 1]; k++) out[i][A.cols[k]] = A.vals[k];
  return out;
}

describe("convResidues", () => {
  const cases: ConvParams[] = [];
  const rng = new Rng(5);
  for (const op of ["conv", "conv_transpose"] as const)
    for (const [stride, padding] of [
      [1, 0],
      [2, 1],
      [3, 2],
    ]) {
      cases.push({
        op,
        inputShape: [3, 5, 6],
        kernels: kernels(
          rng,
          [2, 3, 3, 4].map((v, i) => (op === "conv_transpose" && i < 2 ? [3, 2][i] : v)),
        ),
        stride: [stride, stride],
        padding: [padding, Math.max(0, padding - 1)],
      });
      cases.push({
        op,
        inputShape: [2, 9],
        kernels: kernels(rng, op === "conv" ? [3, 2, 3] : [2, 3, 3]),
        stride: [stride],
        padding: [padding],
      });
    }

  it("equals the dense integer form of the explicit matrix mod p (conv and transposed, 1-D and 2-D, strides, padding)", () => {
    for (const p of cases) {
      const W = layerMatrix(convLayer(p, "linear"));
      const ints = dyadicRows(W, new Array<number>(W.length).fill(0)).W;
      expect(denseResidues(p)).toEqual(ints.map((r) => r.map((v) => modBig(v, P))));
      const A = convResidues(recordGeometry(p), p.op, P);
      expect(sparseModRank(A, P)).toBe(modRank(ints, W[0].length, P));
    }
  });

  it("reserves its memory and checks the deadline", () => {
    const p = cases[0];
    const g = recordGeometry(p);
    expect(() => convResidues(g, p.op, P, new Budget(Infinity, undefined, 100), "layer 7")).toThrow(
      /sparse .* matrix of layer 7/,
    );
    expect(() => convResidues(g, p.op, P, new Budget(performance.now() - 1, undefined, 1e9))).toThrow(
      ResourceLimitError,
    );
  });
});

describe("the rank rule on sparse rows", () => {
  it("decides a tanh transposed convolution of 2,304 columns without its dense matrix", async () => {
    // 4 channels of 24×24 → 1 channel of 48×48 (4×4 kernels, stride 2): a square 2,304 × 2,304
    // matrix, beyond the 2,048 columns the dense rank rule was limited to.
    const rng = new Rng(9);
    const layer = convLayer(
      {
        op: "conv_transpose",
        inputShape: [4, 24, 24],
        kernels: kernels(new Rng(10), [4, 1, 4, 4]),
        bias: [rng.normal()],
        stride: [2, 2],
        padding: [1, 1],
      },
      "tanh",
    );
    const net: Network = { format: NETWORK_FORMAT, version: 1, inputDim: 2304, layers: [layer] };
    // The memory limit leaves no room for the dense matrix (42 MB): only the sparse rows fit.
    const r = await checkNetwork(net, { collisionSearch: false, memoryLimitBytes: 8e6 });
    expect(r.layers[0]).toMatchObject({ rule: "conv-exact", injective: true, exact: true, rank: 2304 });
  });
});
