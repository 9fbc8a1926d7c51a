/**
 * ONNX import (src/io/onnx.ts): the example models round-trip against the stored outputs
 * (examples/models/expected.json, float64 and an independent float32 reference), typed-field
 * initializers, Gemm with transB = 0 and alpha/beta, MatMul+Add, and one-line errors.
 */

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { readNetworkFile } from "../../src/io/network-file.js";
import { readOnnxModel } from "../../src/io/onnx.js";
import { forwardNetwork } from "../../src/model/network.js";
import { checkNetwork } from "../../src/network/check-network.js";
import { invertNetwork } from "../../src/invert/invert-network.js";

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

interface Case {
  x: number[];
  float64: number[];
  float32: number[];
}
const expected = JSON.parse(readFileSync("examples/models/expected.json", "utf8")) as {
  models: Record<string, { onnx: string; json: string; cases: Case[] }>;
};

function maxDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

/** A model with one input "x" of shape [batch, n] and the given nodes/initializers. */
function model(
  n: number | null,
  nodes: onnxProto.onnx.INodeProto[],
  initializer: onnxProto.onnx.ITensorProto[],
  output = "y",
): Uint8Array {
  const dims = [{ dimParam: "batch" }, ...(n === null ? [] : [{ dimValue: n }])];
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: "", version: 13 }],
      graph: {
        name: "g",
        node: nodes,
        initializer,
        input: [{ name: "x", type: { tensorType: { elemType: T.FLOAT, shape: { dim: dims } } } }],
        output: [{ name: output }],
      },
    }),
  ).finish();
}

describe("example models", () => {
  for (const [name, m] of Object.entries(expected.models)) {
    it(`${name}.onnx reproduces the stored outputs (float64 and float32 reference) to 1e-5`, async () => {
      const net = await readNetworkFile(join("examples/models", m.onnx));
      const twin = await readNetworkFile(join("examples/models", m.json));
      expect(net.layers).toEqual(twin.layers);
      for (const c of m.cases) {
        const y = forwardNetwork(net, c.x);
        expect(maxDiff(y, c.float64)).toBeLessThan(1e-12);
        expect(maxDiff(y, c.float32)).toBeLessThan(1e-5);
      }
    });
  }

  it("check-network verdicts: injective and not injective (with a forward-checked witness)", async () => {
    const good = await checkNetwork(await readNetworkFile("examples/models/generator-injective.onnx"));
    expect(good.injective).toBe(true);
    expect(good.layers.map((l) => l.rule)).toEqual(["relu", "one-to-one-rank", "batchnorm-scale", "rank"]);
    const badNet = await readNetworkFile("examples/models/generator-noninjective.onnx");
    const bad = await checkNetwork(badNet);
    expect(bad.injective).toBe(false);
    const w = bad.witness!;
    expect(maxDiff(forwardNetwork(badNet, w.x1), forwardNetwork(badNet, w.x2))).toBeLessThan(1e-12);
    expect(bad.layers[0]).toMatchObject({ kind: "reshape", rule: "identity", injective: true });
  });

  it("invert recovers the input of the injective example", async () => {
    const net = await readNetworkFile("examples/models/generator-injective.onnx");
    const x = [0.5, -0.25];
    const r = invertNetwork(net, forwardNetwork(net, x));
    expect(r.status).toBe("found");
    expect(r.unique).toBe(true);
    expect(maxDiff(r.x!, x)).toBeLessThan(1e-9);
  });
});

describe("operators and initializers", () => {
  it("reads typed-field initializers (float_data, double_data) and Gemm with transB = 0, alpha, beta", () => {
    // B is (in, out) = (2, 3) with transB = 0: W = alpha · Bᵀ; C is double_data.
    const bytes = model(
      2,
      [
        {
          name: "gemm",
          opType: "Gemm",
          input: ["x", "B", "C"],
          output: ["h"],
          attribute: [
            { name: "alpha", type: A.FLOAT, f: 2 },
            { name: "beta", type: A.FLOAT, f: 0.5 },
          ],
        },
        {
          name: "act",
          opType: "LeakyRelu",
          input: ["h"],
          output: ["y"],
          attribute: [{ name: "alpha", type: A.FLOAT, f: 0.25 }],
        },
      ],
      [
        { name: "B", dims: [2, 3], dataType: T.FLOAT, floatData: [1, 2, 3, 4, 5, 6] },
        { name: "C", dims: [3], dataType: T.DOUBLE, doubleData: [1, -2, 4] },
      ],
    );
    const net = readOnnxModel(bytes, "t.onnx");
    expect(net.inputDim).toBe(2);
    expect(net.layers).toHaveLength(1);
    expect(net.layers[0]).toMatchObject({
      W: [
        [2, 8],
        [4, 10],
        [6, 12],
      ],
      b: [0.5, -1, 2],
      activation: "leaky_relu",
      alpha: 0.25,
    });
    // x = (−1, 0): pre-activations (−1.5, −5, -4) → leaky (−0.375, −1.25, −1).
    expect(forwardNetwork(net, [-1, 0])).toEqual([-0.375, -1.25, -1]);
  });

  it("reads MatMul + Add, Identity, BatchNormalization, Reshape with a Constant shape, float64 raw_data", () => {
    const f64 = (vals: number[]): Uint8Array => new Uint8Array(new Float64Array(vals).buffer);
    const shape = new Uint8Array(new BigInt64Array([-1n, 2n]).buffer);
    const bytes = model(
      null,
      [
        {
          name: "c",
          opType: "Constant",
          output: ["shape"],
          attribute: [{ name: "value", type: A.TENSOR, t: { dims: [2], dataType: T.INT64, rawData: shape } }],
        },
        { name: "mm", opType: "MatMul", input: ["x", "M"], output: ["a"] },
        { name: "add", opType: "Add", input: ["a", "bias"], output: ["b"] },
        { name: "id", opType: "Identity", input: ["b"], output: ["c1"] },
        {
          name: "bn",
          opType: "BatchNormalization",
          input: ["c1", "g", "be", "mu", "v"],
          output: ["d"],
          attribute: [{ name: "epsilon", type: A.FLOAT, f: 0 }],
        },
        { name: "rs", opType: "Reshape", input: ["d", "shape"], output: ["y"] },
      ],
      [
        { name: "M", dims: [2, 2], dataType: T.DOUBLE, rawData: f64([1, 2, 3, 4]) },
        { name: "bias", dims: [2], dataType: T.DOUBLE, rawData: f64([1, 1]) },
        { name: "g", dims: [2], dataType: T.FLOAT, floatData: [2, 0] },
        { name: "be", dims: [2], dataType: T.FLOAT, floatData: [0, 3] },
        { name: "mu", dims: [2], dataType: T.FLOAT, floatData: [1, 0] },
        { name: "v", dims: [2], dataType: T.FLOAT, floatData: [4, 1] },
      ],
    );
    const net = readOnnxModel(bytes, "mm.onnx");
    // MatMul: y = x M, so W = Mᵀ.
    expect(net.layers[0]).toMatchObject({
      W: [
        [1, 3],
        [2, 4],
      ],
      b: [1, 1],
      activation: "linear",
    });
    expect(net.layers[1].batchnorm).toBeDefined();
    expect(net.layers[2].reshape).toEqual({ op: "reshape", inputShape: [2], outputShape: [2], size: 2 });
    // x = (1, 1): (5, 7) → bn: (2·(5 − 1)/2 + 0, 0·… + 3) = (4, 3).
    expect(forwardNetwork(net, [1, 1])).toEqual([4, 3]);
  });
});

describe("one-line errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "onnx-test-"));

  it("names an unsupported operator and its node", () => {
    const bytes = model(2, [{ name: "conv1", opType: "Conv", input: ["x", "w"], output: ["y"] }], []);
    expect(() => readOnnxModel(bytes, "gen.onnx")).toThrow(
      'gen.onnx: unsupported operator Conv (node "conv1"); supported: Gemm, MatMul+Add, Relu, LeakyRelu, Tanh, Sigmoid, BatchNormalization, Flatten, Reshape, Identity',
    );
  });

  it("rejects a graph that is not a linear chain, and transA = 1", () => {
    const W = { name: "W", dims: [2, 2], dataType: T.FLOAT, floatData: [1, 0, 0, 1] };
    const branch = model(
      2,
      [
        { name: "g1", opType: "Gemm", input: ["x", "W"], output: ["a"] },
        { name: "r", opType: "Relu", input: ["x"], output: ["y"] },
      ],
      [W],
    );
    expect(() => readOnnxModel(branch, "b.onnx")).toThrow(
      /^b\.onnx: Relu \(node "r"\) consumes "x", not the previous output "a": only a linear chain/,
    );
    const transA = model(
      2,
      [
        {
          name: "g",
          opType: "Gemm",
          input: ["x", "W"],
          output: ["y"],
          attribute: [{ name: "transA", type: A.INT, i: 1 }],
        },
      ],
      [W],
    );
    expect(() => readOnnxModel(transA, "t.onnx")).toThrow(/^t\.onnx: Gemm \(node "g"\) has transA = 1/);
  });

  it("corrupt and truncated files are one-line errors from readNetworkFile", async () => {
    const good = readFileSync("examples/models/generator-injective.onnx");
    const truncated = join(dir, "truncated.onnx");
    writeFileSync(truncated, good.subarray(0, Math.floor(good.length / 2)));
    const corrupt = join(dir, "corrupt.onnx");
    writeFileSync(corrupt, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x34, 0x56]));
    const empty = join(dir, "empty.onnx");
    writeFileSync(empty, "");
    for (const [path, re] of [
      [truncated, /(not a valid ONNX model|raw_data|values)/],
      [corrupt, /not a valid ONNX model/],
      [empty, /the file is empty/],
    ] as const) {
      const err = await readNetworkFile(path).then(
        () => null,
        (e: Error) => e,
      );
      expect(err).not.toBeNull();
      expect(err!.name).toBe("FileFormatError");
      expect(err!.message.startsWith(`${path}: `)).toBe(true);
      expect(err!.message).not.toContain("\n");
      expect(err!.message).toMatch(re);
    }
  });

  it("sniffs an ONNX model without the .onnx extension", async () => {
    const path = join(dir, "model.bin");
    writeFileSync(path, readFileSync("examples/models/generator-noninjective.onnx"));
    const net = await readNetworkFile(path);
    expect(net.inputDim).toBe(3);
  });
});
