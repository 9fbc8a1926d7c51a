/**
 * Convolutional layers inside networks (src/model/conv-layer.ts): the explicit matrix against a
 * direct convolution loop, the file form, the per-layer rules of check-network, the ONNX import of
 * Conv / ConvTranspose (a model written here with onnx-proto, and a real PyTorch export,
 * scripts/export-torch-conv-models.py).
 */

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { convMatrix } from "../../src/core/convolution.js";
import { Rng } from "../../src/core/random.js";
import { readOnnxModel } from "../../src/io/onnx.js";
import { FileFormatError } from "../../src/io/errors.js";
import { checkNetwork } from "../../src/network/check-network.js";
import { convGeometry, convRecordSpec, type ConvParams } from "../../src/model/conv-layer.js";
import {
  applyLayer,
  convLayer,
  forwardNetwork,
  layerFileForm,
  layerMatrix,
  layerOutputDim,
  NETWORK_FORMAT,
  normalizeNetwork,
  validateNetwork,
  type DenseLayerSpec,
  type Network,
} from "../../src/model/network.js";

const { onnx } = onnxProto;

type K4 = number[][][][];

function randomKernels(rng: Rng, shape: number[]): K4 {
  const [a, b, c, d] = shape;
  return Array.from({ length: a }, () =>
    Array.from({ length: b }, () =>
      Array.from({ length: c }, () => Array.from({ length: d }, () => Math.round(rng.normal() * 8) / 4)),
    ),
  );
}

/** Direct 2-D cross-correlation as in PyTorch: y[o,i,j] = Σ K[o,ch,a,b] x[ch, i·s − p + a, j·s − p + b]. */
function refConv(x: number[], [c, H, W]: number[], K: K4, s: number, p: number, bias?: number[]): number[] {
  const q = K.length;
  const kh = K[0][0].length;
  const kw = K[0][0][0].length;
  const OH = Math.floor((H + 2 * p - kh) / s) + 1;
  const OW = Math.floor((W + 2 * p - kw) / s) + 1;
  const at = (ch: number, y: number, z: number): number =>
    y < 0 || y >= H || z < 0 || z >= W ? 0 : x[ch * H * W + y * W + z];
  const out: number[] = [];
  for (let o = 0; o < q; o++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        let sum = bias ? bias[o] : 0;
        for (let ch = 0; ch < c; ch++)
          for (let a = 0; a < kh; a++)
            for (let b = 0; b < kw; b++) sum += K[o][ch][a][b] * at(ch, i * s - p + a, j * s - p + b);
        out.push(sum);
      }
  return out;
}

/** Direct 2-D transposed convolution as in PyTorch (scatter form), kernels (c, q, kh, kw). */
function refConvT(x: number[], [c, H, W]: number[], K: K4, s: number, p: number, bias?: number[]): number[] {
  const q = K[0].length;
  const kh = K[0][0].length;
  const kw = K[0][0][0].length;
  const OH = (H - 1) * s - 2 * p + kh;
  const OW = (W - 1) * s - 2 * p + kw;
  const y = new Array<number>(q * OH * OW).fill(0);
  for (let o = 0; o < q; o++) for (let r = 0; r < OH * OW; r++) y[o * OH * OW + r] = bias ? bias[o] : 0;
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let o = 0; o < q; o++)
          for (let a = 0; a < kh; a++)
            for (let b = 0; b < kw; b++) {
              const u = i * s - p + a;
              const v = j * s - p + b;
              if (u >= 0 && u < OH && v >= 0 && v < OW)
                y[(o * OH + u) * OW + v] += K[ch][o][a][b] * x[(ch * H + i) * W + j];
            }
  return y;
}

const close = (a: number[], b: number[], tol = 1e-12): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]))));
};

const net = (inputDim: number, layers: DenseLayerSpec[]): Network =>
  validateNetwork("test", { format: NETWORK_FORMAT, version: 1, inputDim, layers });

describe("explicit convolution matrices", () => {
  const rng = new Rng(7);
  for (const op of ["conv", "conv_transpose"] as const)
    for (const stride of [1, 2])
      for (const padding of [0, 1])
        it(`${op}, stride ${stride}, padding ${padding}: W x equals the direct loop`, () => {
          const inputShape = [2, 5, 6];
          const kernels = randomKernels(rng, op === "conv" ? [3, 2, 3, 2] : [2, 3, 3, 2]);
          const bias = [0.5, -1, 2];
          const layer = convLayer({
            op,
            inputShape,
            kernels,
            bias,
            stride: [stride, stride],
            padding: [padding, padding],
          });
          const W = layerMatrix(layer);
          for (let t = 0; t < 3; t++) {
            const x = Array.from({ length: 60 }, () => rng.normal());
            const ref = (op === "conv" ? refConv : refConvT)(x, inputShape, kernels, stride, padding, bias);
            // The direct forward pass and the explicit matrix, both against the reference loop.
            close(applyLayer(layer, x), ref);
            close(
              W.map((row, i) => row.reduce((s, v, j) => s + v * x[j], layer.b![i])),
              ref,
            );
          }
          const g = convGeometry("test", "conv", layer.conv);
          expect(layerOutputDim(layer)).toBe(g.outputShape.reduce((a, v) => a * v, 1));
          expect(W.length).toBe(layerOutputDim(layer));
        });

  it("a transposed convolution's matrix is the transpose of the convolution's with the same kernels", () => {
    const kernels = randomKernels(rng, [2, 3, 3, 3]); // conv_transpose: 2 in, 3 out; conv: 2 out, 3 in
    const t = convLayer({
      op: "conv_transpose",
      inputShape: [2, 4, 4],
      kernels,
      stride: [2, 2],
      padding: [1, 1],
    });
    const outShape = convGeometry("test", "conv", t.conv).outputShape; // [3, 7, 7]
    expect(outShape).toEqual([3, 7, 7]);
    const c = convLayer({ op: "conv", inputShape: outShape, kernels, stride: [2, 2], padding: [1, 1] });
    const cW = layerMatrix(c);
    const tW = layerMatrix(t);
    expect(cW.length).toBe(tW[0].length);
    cW.forEach((row, i) => row.forEach((v, j) => expect(tW[j][i]).toBe(v)));
  });

  it("1-D convolutions and stride/padding given as numbers in the file form", () => {
    const kernels = [[[1, -2, 0.5]], [[0, 1, 1]]];
    const n = normalizeNetwork("test", {
      format: NETWORK_FORMAT,
      version: 1,
      inputDim: 7,
      layers: [{ type: "conv", inputShape: [1, 7], kernels, stride: 2, padding: 1, activation: "relu" }],
    });
    const L = n.layers[0];
    expect(L.conv!.stride).toEqual([2]);
    expect(layerOutputDim(L)).toBe(2 * 4); // floor((7 + 2 − 3)/2) + 1 = 4
    const x = [1, 2, -1, 0.5, 3, -2, 1];
    const want: number[] = [];
    for (let o = 0; o < 2; o++)
      for (let i = 0; i < 4; i++) {
        let s = 0;
        for (let a = 0; a < 3; a++) {
          const p = 2 * i - 1 + a;
          if (p >= 0 && p < 7) s += kernels[o][0][a] * x[p];
        }
        want.push(Math.max(0, s));
      }
    close(forwardNetwork(n, x), want);
  });

  it("stride 1: the rows with the kernel inside the signal are convMatrix rows of the flipped ConvSpec", () => {
    const kernels = randomKernels(rng, [2, 2, 2, 3]);
    const p: ConvParams = { op: "conv", inputShape: [2, 4, 5], kernels, stride: [1, 1], padding: [0, 0] };
    const layer = convLayer(p);
    const M = convMatrix(convRecordSpec(p)!);
    const [OH, OW] = [3, 3];
    for (let o = 0; o < 2; o++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++)
          expect(layerMatrix(layer)[(o * OH + i) * OW + j]).toEqual(M[o * 20 + i * 5 + j]);
    expect(convRecordSpec({ ...p, stride: [2, 1] })).toBeNull();
    expect(
      convRecordSpec({ ...p, op: "conv_transpose", kernels: randomKernels(rng, [2, 2, 2, 3]) }),
    ).toBeNull();
  });

  it("file form round trip, and clear shape errors", () => {
    const layer = convLayer(
      {
        op: "conv",
        inputShape: [1, 3, 3],
        kernels: [
          [
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ],
        bias: [1],
        stride: [1, 1],
        padding: [1, 1],
      },
      "leaky_relu",
      0.1,
    );
    const file = JSON.parse(
      JSON.stringify({ format: NETWORK_FORMAT, version: 1, inputDim: 9, layers: [layerFileForm(layer)] }),
    );
    expect(file.layers[0].type).toBe("conv");
    const back = normalizeNetwork("test", file).layers[0];
    expect(layerMatrix(back)).toEqual(layerMatrix(layer));
    expect(back.b).toEqual(layer.b);
    expect(back.conv).toEqual(layer.conv);
    expect(back.alpha).toBe(0.1);

    const bad =
      (l: Record<string, unknown>, inputDim = 9) =>
      () =>
        normalizeNetwork("test", { format: NETWORK_FORMAT, version: 1, inputDim, layers: [l] });
    const base = {
      type: "conv",
      inputShape: [1, 3, 3],
      kernels: [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
    };
    expect(bad({ ...base, inputShape: [2, 3, 3] })).toThrow(
      /kernels has shape \(1, 1, 2, 2\).*inputShape has c = 2/,
    );
    expect(bad({ ...base, stride: [0, 1] })).toThrow(/stride\[0\] must be an integer >= 1/);
    expect(bad({ ...base, padding: [1] })).toThrow(/padding has 1 entries, expected 2/);
    expect(bad({ ...base, inputShape: [1, 1, 3] })).toThrow(/kernel \(2\) is larger than the padded input/);
    expect(bad({ ...base, bias: [1, 2] })).toThrow(/bias has length 2, expected 1/);
    expect(bad(base, 10)).toThrow(/inputShape \[1, 3, 3\] \(9 entries\), but its input has dimension 10/);
    expect(bad({ ...base, kernels: [[[1, 2]]] })).toThrow(/kernels/);
    const tampered = { ...layer, W: layerMatrix(layer).map((r) => r.slice()) };
    tampered.W[0][0] += 1;
    expect(() => net(9, [tampered])).toThrow(/has a "conv" record, but its W and b are not/);
  });
});

/** A diagonally dominant 3×3 kernel: its padded convolution matrix is invertible. */
const C1 = [
  [0.1, -0.2, 0],
  [0.25, 2, 0.1],
  [0, 0.3, -0.1],
];
const C2 = [
  [0, 0.1, 0.2],
  [-0.1, -1.5, 0],
  [0.2, 0, 0.1],
];
const neg = (k: number[][]): number[][] => k.map((r) => r.map((v) => -v));

describe("check-network on convolutional networks", () => {
  it("[C; −C] pairs with invertible convolutions, stride 1: proved injective by the exact check", async () => {
    const layer = convLayer(
      {
        op: "conv",
        inputShape: [1, 4, 4],
        kernels: [[C1], [neg(C1)], [C2], [neg(C2)]],
        stride: [1, 1],
        padding: [1, 1],
      },
      "relu",
    );
    const r = await checkNetwork(net(16, [layer]));
    expect(r.injective).toBe(true);
    expect(r.layers[0]).toMatchObject({ kind: "conv", rule: "conv-exact", injective: true, m: 64, n: 16 });
  });

  it("stride-2 downsampling: not injective, with a witness", async () => {
    const layer = convLayer(
      {
        op: "conv",
        inputShape: [1, 4, 4],
        kernels: [
          [
            [
              [1, 1],
              [1, -1],
            ],
          ],
          [
            [
              [0.5, 2],
              [-1, 1],
            ],
          ],
        ],
        stride: [2, 2],
        padding: [0, 0],
      },
      "relu",
    );
    const n = net(16, [layer]);
    const r = await checkNetwork(n);
    expect(r.injective).toBe(false);
    expect(r.layers[0]).toMatchObject({ rule: "conv-exact", injective: false });
    const { x1, x2 } = r.witness!;
    close(forwardNetwork(n, x1), forwardNetwork(n, x2), 1e-9);
  });

  it("a large stride-1 convolution without bias: Theorem 4 on a box proves it", async () => {
    const k = [
      [
        [
          [1, 0],
          [0, 0],
        ],
      ],
      [
        [
          [0, 1],
          [0, 0],
        ],
      ],
      [
        [
          [0, 0],
          [1, 0],
        ],
      ],
      [
        [
          [1, 1],
          [1, 1],
        ],
      ],
    ];
    // 4 filters whose 2×2 kernels span R^4, and their negatives: W|Z_P on the box 2×2 is [B; −B].
    const pm = [...k, ...k.map((f) => f.map((ch) => neg(ch)))];
    const layer = convLayer(
      { op: "conv", inputShape: [1, 10, 10], kernels: pm, stride: [1, 1], padding: [1, 1] },
      "relu",
    );
    const r = await checkNetwork(net(100, [layer]), { collisionSearch: false });
    expect(r.layers[0]).toMatchObject({ rule: "conv-theorem4", injective: true, m: 8 * 121, n: 100 });
    expect(r.injective).toBe(true);

    // Stride 2: Theorem 4 does not apply, but the filters are exact pairs [C; −C] and the stride-2
    // convolution of C (4 filters, disjoint 2×2 blocks, kernels spanning R^4) has full column rank.
    const s2 = convLayer(
      { op: "conv", inputShape: [1, 10, 10], kernels: pm, stride: [2, 2], padding: [0, 0] },
      "relu",
    );
    const r2 = await checkNetwork(net(100, [s2]), { collisionSearch: false });
    expect(r2.layers[0]).toMatchObject({ rule: "conv-pairs", injective: true, exact: true, rank: 100 });
    expect(r2.injective).toBe(true);
    // Without the negatives no rule applies to the large matrix.
    const s2half = convLayer(
      { op: "conv", inputShape: [1, 10, 10], kernels: k, stride: [2, 2], padding: [0, 0] },
      "relu",
    );
    const r2half = await checkNetwork(net(100, [s2half]), { collisionSearch: false });
    expect(r2half.layers[0]).toMatchObject({ rule: "conv-unknown", injective: null });
    expect(r2half.layers[0].reason).toMatch(/stride 1/);
    expect(r2half.conclusion).toBe("unknown");

    // A bias: Theorem 4 (bias-free) is not used. Biases (0.5, 0.5) keep one channel of each pair
    // active (λβ1 + β2 = 1 >= 0), so the pairs rule proves it; biases (−0.5, −0.5) open a dead zone
    // between the channels of a pair (λβ1 + β2 = −1 < 0), and then no rule applies.
    const withBias = (v: number): DenseLayerSpec =>
      convLayer(
        {
          op: "conv",
          inputShape: [1, 10, 10],
          kernels: pm,
          bias: new Array<number>(8).fill(v),
          stride: [1, 1],
          padding: [0, 0],
        },
        "relu",
      );
    const r3 = await checkNetwork(net(100, [withBias(0.5)]), { collisionSearch: false });
    expect(r3.layers[0]).toMatchObject({ rule: "conv-pairs", injective: true });
    const r3gap = await checkNetwork(net(100, [withBias(-0.5)]), { collisionSearch: false });
    expect(r3gap.layers[0]).toMatchObject({ rule: "conv-pairs", injective: null });
    expect(r3gap.layers[0].reason).toMatch(/biases open a dead zone/);

    // A large transposed convolution: proved by its exact pairs, unknown without them.
    const transposed = (kernels: number[][][][]): DenseLayerSpec =>
      convLayer(
        {
          op: "conv_transpose",
          inputShape: [1, 9, 9],
          kernels: [kernels.map((f) => f[0])],
          stride: [1, 1],
          padding: [0, 0],
        },
        "relu",
      );
    const r4 = await checkNetwork(net(81, [transposed(pm)]), { collisionSearch: false });
    expect(r4.layers[0]).toMatchObject({ kind: "conv_transpose", rule: "conv-pairs", injective: true });
    const r4half = await checkNetwork(net(81, [transposed(k)]), { collisionSearch: false });
    expect(r4half.layers[0]).toMatchObject({ kind: "conv_transpose", rule: "conv-unknown", injective: null });
  });
});

// ---------------------------------------------------------------------------------------------
// ONNX

const A = onnx.AttributeProto.AttributeType;

function floatTensor(name: string, dims: number[], values: number[]) {
  const buf = new ArrayBuffer(values.length * 4);
  const view = new DataView(buf);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(buf) };
}

function valueInfo(name: string, shape: (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

interface ConvNode {
  op: "Conv" | "ConvTranspose" | "Relu" | "BatchNormalization";
  /** BatchNormalization: scale, B, mean, var. */
  bn?: number[][];
  K?: K4;
  bias?: number[];
  attrs?: Record<string, number | number[] | string>;
}

function onnxModel(inputShape: number[], nodes: ConvNode[]): Uint8Array {
  const inits: ReturnType<typeof floatTensor>[] = [];
  let current = "input";
  const list = nodes.map((m, i) => {
    const out = i === nodes.length - 1 ? "output" : `/${i}/out`;
    const node = {
      name: `/${i}/${m.op}`,
      opType: m.op,
      input: [current],
      output: [out],
      attribute: [] as object[],
    };
    m.bn?.forEach((v, k) => {
      inits.push(floatTensor(`${i}.bn${k}`, [v.length], v));
      node.input.push(`${i}.bn${k}`);
    });
    if (m.K) {
      const dims = [m.K.length, m.K[0].length, m.K[0][0].length, m.K[0][0][0].length];
      inits.push(floatTensor(`${i}.weight`, dims, m.K.flat(3)));
      node.input.push(`${i}.weight`);
      if (m.bias) {
        inits.push(floatTensor(`${i}.bias`, [m.bias.length], m.bias));
        node.input.push(`${i}.bias`);
      }
      for (const [name, v] of Object.entries(m.attrs ?? {}))
        node.attribute.push(
          typeof v === "string"
            ? { name, type: A.STRING, s: new TextEncoder().encode(v) }
            : Array.isArray(v)
              ? { name, type: A.INTS, ints: v }
              : { name, type: A.INT, i: v },
        );
    }
    current = out;
    return node;
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "conv_test",
      node: list,
      initializer: inits,
      input: [valueInfo("input", ["batch", ...inputShape])],
      output: [valueInfo("output", ["batch"])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

describe("ONNX import of Conv and ConvTranspose", () => {
  const f = Math.fround;
  const K1: K4 = [[C1], [neg(C1)], [C2], [neg(C2)]].map((k) => k.map((ch) => ch.map((r) => r.map(f))));
  const rng = new Rng(3);
  const K2 = randomKernels(rng, [2, 4, 3, 3]);
  const b2 = [0.25, -0.5];
  const conv1 = {
    op: "Conv" as const,
    K: K1,
    attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
  };
  const conv2 = {
    op: "Conv" as const,
    K: K2,
    bias: b2,
    attrs: { strides: [2, 2], dilations: [1, 1], group: 1 },
  };

  it("Conv, Relu, Conv (stride 2): the import computes the convolutions, and check-network decides", async () => {
    const n = readOnnxModel(onnxModel([1, 5, 5], [conv1, { op: "Relu" }, conv2]), "conv.onnx");
    expect(n.inputDim).toBe(25);
    expect(n.layers.map((l) => [l.conv?.op, l.activation, layerOutputDim(l)])).toEqual([
      ["conv", "relu", 100],
      ["conv", "linear", 8],
    ]);
    expect(n.layers[1].conv!.inputShape).toEqual([4, 5, 5]);
    const x = Array.from({ length: 25 }, () => rng.normal());
    const h = refConv(x, [1, 5, 5], K1, 1, 1).map((v) => Math.max(0, v));
    close(forwardNetwork(n, x), refConv(h, [4, 5, 5], K2, 2, 0, b2), 1e-9);
    const r = await checkNetwork(n);
    expect(r.layers[0]).toMatchObject({ rule: "conv-exact", injective: true });
    expect(r.layers[1]).toMatchObject({ rule: "conv-exact", injective: false });
    expect(r.injective).toBe(false);
    close(forwardNetwork(n, r.witness!.x1), forwardNetwork(n, r.witness!.x2), 1e-8);
  });

  it("a BatchNormalization after a Conv is expanded over the positions", () => {
    const bn = [
      [1, 2, 0.5, 1],
      [0, 1, -1, 0.5],
      [0.5, 0, 0, 1],
      [1, 4, 0.25, 1],
    ];
    const n = readOnnxModel(
      onnxModel([1, 3, 3], [conv1, { op: "BatchNormalization", bn }, { op: "Relu" }]),
      "bn.onnx",
    );
    expect(n.layers.map((l) => (l.conv ? "conv" : l.batchnorm ? "bn" : l.activation))).toEqual([
      "conv",
      "bn",
      "relu",
    ]);
    const x = Array.from({ length: 9 }, () => rng.normal());
    const h = refConv(x, [1, 3, 3], K1, 1, 1);
    const want = h.map((v, i) => {
      const c = Math.floor(i / 9);
      const y = (bn[0][c] * (v - bn[2][c])) / Math.sqrt(bn[3][c] + 1e-5) + bn[1][c];
      return Math.max(0, y);
    });
    close(forwardNetwork(n, x), want, 1e-9);
  });

  it("ConvTranspose with stride and padding", () => {
    const K = randomKernels(rng, [2, 3, 3, 3]);
    const n = readOnnxModel(
      onnxModel(
        [2, 3, 4],
        [{ op: "ConvTranspose", K, bias: [1, 2, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } }],
      ),
      "convt.onnx",
    );
    expect(n.layers[0].conv!.op).toBe("conv_transpose");
    const x = Array.from({ length: 24 }, () => rng.normal());
    close(forwardNetwork(n, x), refConvT(x, [2, 3, 4], K, 2, 1, [1, 2, 3]), 1e-9);
  });

  it("unsupported attributes: a one-line error naming the node", () => {
    const read =
      (node: ConvNode, shape = [1, 5, 5]) =>
      () =>
        readOnnxModel(onnxModel(shape, [node]), "m.onnx");
    const cases: [ConvNode, RegExp][] = [
      [{ ...conv1, attrs: { group: 2 } }, /Conv \(node "\/0\/Conv"\) has group = 2, only group = 1/],
      [{ ...conv1, attrs: { pads: [1, 1, 0, 0] } }, /node "\/0\/Conv"\) has asymmetric pads \[1, 1, 0, 0\]/],
      [
        { ...conv1, attrs: { dilations: [2, 2] } },
        /node "\/0\/Conv"\) has dilations \[2, 2\], only dilation 1/,
      ],
      [{ ...conv1, attrs: { auto_pad: "SAME_UPPER" } }, /has auto_pad = SAME_UPPER/],
      [
        { ...conv1, attrs: { kernel_shape: [2, 2] } },
        /has kernel_shape \[2, 2\], but the weight has dims \[4, 1, 3, 3\]/,
      ],
      [
        { op: "ConvTranspose", K: K2, attrs: { output_padding: [1, 1] } },
        /ConvTranspose \(node "\/0\/ConvTranspose"\) has output_padding \[1, 1\]/,
      ],
    ];
    for (const [node, re] of cases) {
      expect(read(node)).toThrow(FileFormatError);
      expect(read(node)).toThrow(re);
    }
    expect(read(conv1, [2, 5, 5])).toThrow(/node "\/0\/Conv"\).*input channel/);
    expect(read(conv1, [25])).toThrow(
      /unsupported operator Conv \(node "\/0\/Conv"\).*only on an input of shape \(c, L\) or \(c, H, W\)/,
    );
    try {
      read({ ...conv1, attrs: { group: 2 } })();
    } catch (e) {
      expect((e as Error).message).not.toContain("\n");
    }
  });
});

describe("PyTorch-exported convolutional model (scripts/export-torch-conv-models.py)", () => {
  const DIR = join(import.meta.dirname, "../../examples/models");
  const expected = JSON.parse(readFileSync(join(DIR, "torch-conv-expected.json"), "utf8")) as {
    inputs: number[][];
    outputs: number[][];
  };
  const n = readOnnxModel(new Uint8Array(readFileSync(join(DIR, "torch-conv.onnx"))), "torch-conv.onnx");

  it("the import matches torch's outputs to 1e-5", () => {
    expect(n.inputDim).toBe(25);
    expected.inputs.forEach((x, k) => {
      const y = forwardNetwork(n, x);
      y.forEach((v, i) =>
        expect(Math.abs(v - expected.outputs[k][i])).toBeLessThanOrEqual(
          1e-5 * Math.max(1, Math.abs(expected.outputs[k][i])),
        ),
      );
    });
  });

  it("check-network: the first convolution is injective (exact), the network is not", async () => {
    const r = await checkNetwork(n);
    expect(r.layers.map((l) => [l.kind, l.rule, l.injective])).toEqual([
      ["conv", "conv-exact", true],
      ["conv", "conv-exact", false],
    ]);
    expect(r.injective).toBe(false);
  });
});

describe("conv layers in network JSON files", () => {
  it("keep their conv record through parse and stringify", async () => {
    const { parseNetworkJson, stringifyNetwork } = await import("../../src/io/network-file.js");
    const text = JSON.stringify({
      format: "injective-relu/network",
      version: 1,
      inputDim: 4,
      layers: [
        {
          type: "conv",
          inputShape: [1, 2, 2],
          kernels: [
            [
              [
                [1, 0],
                [0, 0],
              ],
            ],
            [
              [
                [-1, 0],
                [0, 0],
              ],
            ],
          ],
          padding: 0,
          stride: 1,
        },
      ],
    });
    const net = parseNetworkJson(text, "conv.json");
    expect(net.layers[0].conv).toBeDefined();
    const again = parseNetworkJson(stringifyNetwork(net), "again.json");
    expect(again.layers[0].conv).toBeDefined();
    expect(again.layers[0].W).toEqual(net.layers[0].W);
  });
});
