/**
 * The rule `conv-pairs` (src/network/conv-pairs.ts, check-network): exact pairs of output channels
 * [C; −λC] with covering biases are found in both record layouts, pairs that are antiparallel only
 * up to rounding or whose biases open a gap are not, and the verdict follows the exact rank of C's
 * convolution (a witness when every channel is paired and the rank is short).
 */

import { describe, expect, it } from "vitest";
import { Rng } from "../../src/core/random.js";
import { checkNetwork } from "../../src/network/check-network.js";
import { findConvPairs, subRecord } from "../../src/network/conv-pairs.js";
import { snapNetwork } from "../../src/network/snap-network.js";
import type { ConvParams } from "../../src/model/conv-layer.js";
import { convLayer, forwardNetwork, NETWORK_FORMAT, type Network } from "../../src/model/network.js";

const rng = new Rng(17);
/** A float32 Gaussian kernel of shape (a, b, k, k). */
const kernels = (a: number, b: number, k: number): number[][][][] =>
  Array.from({ length: a }, () =>
    Array.from({ length: b }, () =>
      Array.from({ length: k }, () => Array.from({ length: k }, () => Math.fround(rng.normal()))),
    ),
  );
const scale = (x: number[][][], s: number): number[][][] => x.map((a) => a.map((r) => r.map((v) => -s * v)));
const net = (inputDim: number, layer: ReturnType<typeof convLayer>): Network => ({
  format: NETWORK_FORMAT,
  version: 1,
  inputDim,
  layers: [layer],
});

describe("findConvPairs", () => {
  it("finds [C; −s²C] in the conv layout (q, c, kh, kw), in any channel order", () => {
    const C = kernels(3, 2, 3);
    const s2 = [0.75, 1.5, Math.fround(0.3)];
    const all = [C[0], scale(C[2], s2[2]), C[1], scale(C[0], s2[0]), C[2], scale(C[1], s2[1])];
    const p: ConvParams = {
      op: "conv",
      inputShape: [2, 6, 6],
      kernels: all,
      stride: [1, 1],
      padding: [1, 1],
    };
    const r = findConvPairs(p);
    expect(r.unpaired).toEqual([]);
    expect(r.pairs.map((pr) => [...pr].sort((a, b) => a - b))).toEqual(
      expect.arrayContaining([
        [0, 3],
        [1, 4],
        [2, 5],
      ]),
    );
    // The sub-record keeps one filter per pair.
    const half = subRecord(
      p,
      r.pairs.map(([a]) => a),
    );
    expect((half.kernels as number[][][][]).length).toBe(3);
  });

  it("finds pairs in the transposed layout (c, q, kh, kw)", () => {
    const C = kernels(2, 2, 4); // (c = 2, p = 2, 4, 4)
    const s2 = 2;
    const K = C.map((perInput) => [...perInput, ...perInput.map((f) => scale([f], s2)[0])]);
    const p: ConvParams = {
      op: "conv_transpose",
      inputShape: [2, 3, 3],
      kernels: K,
      stride: [2, 2],
      padding: [1, 1],
    };
    const r = findConvPairs(p);
    expect(r.pairs).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  it("a pair rounded to float32 (−s²·C computed in float32), a parallel pair or a bias gap is no pair", () => {
    const C = kernels(1, 1, 3);
    const s2 = Math.fround(0.7);
    const rounded = C[0].map((ch) => ch.map((row) => row.map((v) => Math.fround(-s2 * v))));
    // The float32 rounding changes at least one entry's ratio (checked, so the case is real).
    expect(rounded.flat(2).some((v, i) => v !== -s2 * C[0].flat(2)[i])).toBe(true);
    const base = { op: "conv" as const, inputShape: [1, 5, 5], stride: [1, 1], padding: [0, 0] };
    expect(findConvPairs({ ...base, kernels: [C[0], rounded] }).pairs).toEqual([]);
    expect(findConvPairs({ ...base, kernels: [C[0], scale(C[0], -2)] }).pairs).toEqual([]);
    // Biases: λβ1 + β2 >= 0 with λ = 2: (1, −2) is the boundary (paired), (1, −2.5) opens a gap.
    const pair = [C[0], scale(C[0], 2)];
    expect(findConvPairs({ ...base, kernels: pair, bias: [1, -2] }).pairs).toEqual([[0, 1]]);
    expect(findConvPairs({ ...base, kernels: pair, bias: [1, -2.5] }).pairs).toEqual([]);
    expect(findConvPairs({ ...base, kernels: pair, bias: [-1, 2] }).pairs).toEqual([[0, 1]]);
  });
});

describe("check-network rule conv-pairs", () => {
  it("a stride-2 transposed convolution with pairs [C; −s²C] (p = c): injective, exact", async () => {
    const c = 4;
    const C = kernels(c, c, 4);
    const s2 = [0.5, 2, 1, 0.25];
    const K = C.map((perInput) => [...perInput, ...perInput.map((f, k) => scale([f], s2[k])[0])]);
    const beta = [0.5, -0.25, 0, 1];
    const layer = convLayer(
      {
        op: "conv_transpose",
        inputShape: [c, 5, 5],
        kernels: K,
        bias: [...beta, ...beta.map((b, k) => (b === 0 ? 0 : -s2[k] * b))],
        stride: [2, 2],
        padding: [1, 1],
      },
      "relu",
    );
    const r = await checkNetwork(net(100, layer), { collisionSearch: false });
    expect(r.layers[0]).toMatchObject({
      rule: "conv-pairs",
      injective: true,
      exact: true,
      rank: 100,
      m: 800,
    });
    expect(r.injective).toBe(true);
  });

  it("every channel paired but C's convolution rank-deficient: not injective, with an exact witness", async () => {
    // Two pairs on three input channels: C's convolution has 2·49 = 98 rows < n = 108 (the whole
    // layer has 196 >= n rows, so the small-matrix rule does not apply; the paired biases (β, −β)
    // keep Theorem 4, which is bias-free, out).
    // Small integer entries keep the exact null vector cheap (float32 Gaussians take seconds).
    const C = kernels(2, 3, 2).map((f) => f.map((a) => a.map((r) => r.map((v) => Math.round(2 * v)))));
    const K = [...C, ...C.map((f) => scale(f, 1))];
    const layer = convLayer(
      {
        op: "conv",
        inputShape: [3, 6, 6],
        kernels: K,
        bias: [0.5, -1, -0.5, 1],
        stride: [1, 1],
        padding: [1, 1],
      },
      "relu",
    );
    const r = await checkNetwork(net(108, layer), { collisionSearch: false });
    expect(r.layers[0]).toMatchObject({ rule: "conv-pairs", injective: false, exact: true });
    expect(r.layers[0].rank).toBeLessThan(108);
    const w = r.layers[0].witness!;
    expect(w.x1).not.toEqual(w.x2);
    const y1 = forwardNetwork(net(108, layer), w.x1);
    const y2 = forwardNetwork(net(108, layer), w.x2);
    y1.forEach((v, i) => expect(Math.abs(v - y2[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v))));
    expect(r.injective).toBe(false);
  });
});

describe("--snap on convolutions (snapNetwork)", () => {
  it("pairs rounded to float32, as a framework exports them, are proved injective up to ε", async () => {
    const c = 4;
    const C = kernels(c, c, 4);
    const s2 = [0.7, 1.3, Math.fround(0.9), 2.1].map(Math.fround);
    // The second filter of each pair computed in float32 (fround(−s²·C)): not exactly antiparallel.
    const K = C.map((perInput) => [
      ...perInput,
      ...perInput.map((f, k) => f.map((row) => row.map((v) => Math.fround(-s2[k] * v)))),
    ]);
    const beta = [0.25, -0.5, 0.125, 0];
    const bias = [...beta, ...beta.map((b, k) => Math.fround(-s2[k] * b))];
    const layer = convLayer(
      { op: "conv_transpose", inputShape: [c, 5, 5], kernels: K, bias, stride: [2, 2], padding: [1, 1] },
      "relu",
    );
    const N = net(100, layer);
    expect(findConvPairs(layer.conv!).pairs.length).toBeLessThan(c);
    const plain = await checkNetwork(N, { collisionSearch: false });
    expect(plain.layers[0].rule).not.toBe("conv-pairs");
    expect(plain.injective).not.toBe(true);
    const snapped = snapNetwork(N, 1e-6);
    expect(snapped.layers).toHaveLength(1);
    expect(snapped.layers[0].kind).toBe("filters");
    expect(snapped.maxAngle).toBeGreaterThan(0);
    expect(snapped.maxAngle).toBeLessThan(1e-6);
    const r = await checkNetwork(snapped.network, { collisionSearch: false });
    expect(r.layers[0]).toMatchObject({ rule: "conv-pairs", injective: true, exact: true });
    // Only the second filters of the pairs moved, each onto the line of its partner.
    expect(snapped.layers[0].snapped.map((r) => [r.row, r.to, r.sign]).sort((a, b) => a[0] - b[0])).toEqual([
      [4, 0, -1],
      [5, 1, -1],
      [6, 2, -1],
      [7, 3, -1],
    ]);
  });
});
