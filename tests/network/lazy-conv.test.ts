/**
 * Convolution layers without an explicit matrix (src/model/conv-layer.ts, network.ts): the direct
 * forward pass and its transpose against the explicit matrix on random shapes, strides and
 * paddings; and a convolution on a 2000 × 2000 image (a 4,000,000 × 4,000,000 matrix, 128 TB),
 * which used to exhaust the heap at import: it is read, run forward and decided by Theorem 4 in
 * seconds, and every stage that would need its matrix answers unknown, naming the memory limit.
 */

import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { ResourceLimitError } from "../../src/core/budget.js";
import { Rng } from "../../src/core/random.js";
import { readOnnxModel } from "../../src/io/onnx.js";
import { invertNetwork } from "../../src/invert/invert-network.js";
import { checkNetwork } from "../../src/network/check-network.js";
import { searchCollisions } from "../../src/network/collision-search.js";
import {
  convForward,
  convForwardTranspose,
  recordGeometry,
  type ConvParams,
} from "../../src/model/conv-layer.js";
import {
  applyLayer,
  convLayer,
  forwardNetwork,
  layerInputDim,
  layerMatrix,
  layerOutputDim,
  NETWORK_FORMAT,
  preActivation,
  transposeApply,
  type DenseLayerSpec,
  type Network,
} from "../../src/model/network.js";

const { onnx } = onnxProto;

function kernels(rng: Rng, shape: number[]): number[][][] | number[][][][] {
  const build = (d: number): unknown =>
    Array.from({ length: shape[d] }, () =>
      d === shape.length - 1 ? Math.round(rng.normal() * 8) / 4 : build(d + 1),
    );
  return build(0) as number[][][];
}

function net(inputDim: number, layers: DenseLayerSpec[]): Network {
  return { format: NETWORK_FORMAT, version: 1, inputDim, layers };
}

function close(a: number[], b: number[], tol = 1e-9): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]))));
}

/** 8 filters whose 2×2 kernels span R^4, and their negatives: Theorem 4 proves the layer on the 2×2 box. */
const PM: number[][][][] = (() => {
  const k = [
    [
      [1, 0],
      [0, 0],
    ],
    [
      [0, 1],
      [0, 0],
    ],
    [
      [0, 0],
      [1, 0],
    ],
    [
      [1, 1],
      [1, 1],
    ],
  ];
  return [...k, ...k.map((f) => f.map((r) => r.map((v) => -v)))].map((f) => [f]);
})();

describe("direct convolution against the explicit matrix", () => {
  const rng = new Rng(11);
  let cases = 0;
  for (const op of ["conv", "conv_transpose"] as const)
    for (const dims of [1, 2])
      for (let t = 0; t < 12; t++)
        it(`${op}, ${dims}-D, random shape ${t}`, () => {
          const c = 1 + Math.floor(rng.uniform() * 3);
          const q = 1 + Math.floor(rng.uniform() * 3);
          const size = Array.from({ length: dims }, () => 2 + Math.floor(rng.uniform() * 5));
          const k = size.map((s) => 1 + Math.floor(rng.uniform() * Math.min(3, s)));
          const stride = size.map(() => 1 + Math.floor(rng.uniform() * 3));
          const padding = k.map((kk) => Math.floor(rng.uniform() * kk));
          const p: ConvParams = {
            op,
            inputShape: [c, ...size],
            kernels: kernels(rng, op === "conv" ? [q, c, ...k] : [c, q, ...k]),
            ...(rng.uniform() < 0.5 ? { bias: Array.from({ length: q }, () => rng.normal()) } : {}),
            stride,
            padding,
          };
          let layer: DenseLayerSpec;
          try {
            layer = convLayer(p, "relu");
          } catch {
            return; // an output size below 1 for this draw: nothing to compare
          }
          cases++;
          expect(layer.W).toBeUndefined();
          const W = layerMatrix(layer);
          const m = layerOutputDim(layer);
          const n = layerInputDim(layer);
          expect([W.length, W[0].length]).toEqual([m, n]);
          const g = recordGeometry(layer.conv!);
          for (let s = 0; s < 3; s++) {
            const x = Array.from({ length: n }, () => rng.normal());
            const dense = W.map((row) => row.reduce((a, v, j) => a + v * x[j], 0));
            close(convForward(g, op, x), dense);
            close(
              preActivation(layer, x),
              dense.map((v, i) => v + (layer.b ? layer.b[i] : 0)),
            );
            close(
              applyLayer(layer, x),
              dense.map((v, i) => Math.max(0, v + (layer.b ? layer.b[i] : 0))),
            );
            const v = Array.from({ length: m }, () => rng.normal());
            const denseT = Array.from({ length: n }, (_, j) => W.reduce((a, row, i) => a + row[j] * v[i], 0));
            close(convForwardTranspose(g, op, v), denseT);
            close(transposeApply(layer, v), denseT);
          }
        });
  it("ran enough cases", () => expect(cases).toBeGreaterThan(20));
});

describe("a convolution on a 2000 × 2000 image", () => {
  const p: ConvParams = {
    op: "conv",
    inputShape: [1, 2000, 2000],
    kernels: PM,
    stride: [1, 1],
    padding: [1, 1],
  };

  it("is built without its matrix, runs forward, and refuses the matrix with the size in the message", () => {
    const t0 = performance.now();
    const layer = convLayer(p, "relu");
    expect(layerInputDim(layer)).toBe(4_000_000);
    expect(layerOutputDim(layer)).toBe(8 * 2001 * 2001);
    const x = new Array<number>(4_000_000).fill(0);
    x[0] = 1;
    x[2000 * 7 + 5] = -2;
    const y = applyLayer(layer, x);
    expect(y.length).toBe(8 * 2001 * 2001);
    // Filter 0 (kernel [[1, 0], [0, 0]]) with padding 1: output (0, i, j) sees x[i − 1, j − 1].
    expect(y[2001 * 1 + 1]).toBe(1);
    // Filter 4 = −filter 0: −x[7, 5] = 2 at output (4, 8, 6).
    expect(y[4 * 2001 * 2001 + 8 * 2001 + 6]).toBe(2);
    expect(() => layerMatrix(layer, undefined, "layer 0")).toThrow(ResourceLimitError);
    expect(() => layerMatrix(layer, undefined, "layer 0")).toThrow(
      /the explicit 32,032,008 × 4,000,000 matrix of layer 0 would need 1\.0\d PB, above the memory limit of 2G/,
    );
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it("check-network decides it by Theorem 4 (stride 1) and by its sparse pairs rank (stride 2) in seconds; searches answer unknown", async () => {
    const N = net(4_000_000, [convLayer(p, "relu")]);
    const t0 = performance.now();
    const r = await checkNetwork(N, { timeLimitMs: 20_000 });
    expect(r.layers[0]).toMatchObject({ rule: "conv-theorem4", injective: true });
    expect(r.injective).toBe(true);
    // A stride-2 version: its filters are exact pairs, and the rank of C's convolution (4,000,000
    // columns) is taken on its sparse rows, without the explicit matrix.
    const s2 = net(4_000_000, [convLayer({ ...p, stride: [2, 2], padding: [0, 0] }, "relu")]);
    const r2 = await checkNetwork(s2, { timeLimitMs: 20_000 });
    expect(r2.layers[0]).toMatchObject({ rule: "conv-pairs", injective: true, exact: true, rank: 4_000_000 });
    expect(r2.injective).toBe(true);
    // Below the memory of those sparse rows (192 MB), the rule names the limit, and no end-to-end
    // search fits either.
    const r3 = await checkNetwork(s2, { timeLimitMs: 20_000, memoryLimitBytes: 100e6 });
    expect(r3.injective).toBeNull();
    expect(r3.layers[0].rule).toBe("conv-pairs");
    expect(r3.layers[0].reason).toMatch(/exact pair\(s\) \[C; −λC\].*memory limit/);
    expect(r3.reason).toMatch(/collision search stopped: .*memory limit/);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it("a convolution with fewer outputs than inputs: unknown, naming the matrix it would need", async () => {
    const one = { ...p, kernels: [PM[0]], padding: [0, 0] };
    const r = await checkNetwork(net(4_000_000, [convLayer(one, "relu")]), { collisionSearch: false });
    expect(r.layers[0].injective).toBeNull();
    expect(r.layers[0].reason).toMatch(
      /fewer rows \(m = 3996001\) than columns .* would need .* memory limit/,
    );
  });

  it("inversion and the collision search refuse the matrix instead of allocating it", () => {
    const N = net(4_000_000, [convLayer(p, "relu")]);
    const y = new Array<number>(8 * 2001 * 2001).fill(0);
    const inv = invertNetwork(N, y);
    expect(inv.status).toBe("inconclusive");
    expect(inv.reason).toMatch(/explicit .* matrix of layer 0 would need .* memory limit/);
    expect(() => searchCollisions(N, { lo: -1, hi: 1, pairs: 1 })).toThrow(/memory limit/);
  });

  it("an ONNX Conv on a 2000 × 2000 input is imported without its matrix", () => {
    const values = PM.flat(3);
    const buf = new ArrayBuffer(values.length * 4);
    const view = new DataView(buf);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    const T = onnx.TensorProto.DataType;
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 7,
        opsetImport: [{ domain: "", version: 13 }],
        graph: {
          name: "g",
          node: [
            {
              name: "c",
              opType: "Conv",
              input: ["x", "w"],
              output: ["h"],
              attribute: [{ name: "pads", type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }],
            },
            { name: "r", opType: "Relu", input: ["h"], output: ["y"] },
          ],
          initializer: [{ name: "w", dims: [8, 1, 2, 2], dataType: T.FLOAT, rawData: new Uint8Array(buf) }],
          input: [
            {
              name: "x",
              type: {
                tensorType: {
                  elemType: T.FLOAT,
                  shape: { dim: [{ dimValue: 1 }, { dimValue: 1 }, { dimValue: 2000 }, { dimValue: 2000 }] },
                },
              },
            },
          ],
          output: [{ name: "y" }],
        },
      }),
    ).finish();
    expect(bytes.length).toBeLessThan(400);
    const t0 = performance.now();
    const N = readOnnxModel(bytes, "big.onnx");
    expect(N.inputDim).toBe(4_000_000);
    expect(N.layers[0].W).toBeUndefined();
    expect(N.layers[0].activation).toBe("relu");
    expect(forwardNetwork(N, new Array<number>(4_000_000).fill(1)).length).toBe(8 * 2001 * 2001);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});

describe("limits on small convolutions", () => {
  it("a memory limit below the explicit matrix makes the exact rule unknown, naming it", async () => {
    const layer = convLayer(
      { op: "conv", inputShape: [1, 4, 4], kernels: PM, stride: [1, 1], padding: [1, 1] },
      "relu",
    );
    const r = await checkNetwork(net(16, [layer]), { memoryLimitBytes: 1000, collisionSearch: false });
    expect(r.layers[0].injective).toBeNull();
    expect(r.layers[0].reason).toMatch(
      /the explicit 200 × 16 matrix of layer 0 would need .* memory limit of 1000 bytes/,
    );
    const ok = await checkNetwork(net(16, [layer]), { collisionSearch: false });
    expect(ok.layers[0]).toMatchObject({ rule: "conv-exact", injective: true });
  });
});
