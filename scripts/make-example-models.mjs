#!/usr/bin/env node
/**
 * Writes the example ONNX models of examples/models/, their JSON network twins and
 * examples/models/expected.json. Needs the build: `npm run build` first.
 *
 *     node scripts/make-example-models.mjs
 *
 * HONEST NOTE: these .onnx files are NOT exported by PyTorch. torch is not available on the machine
 * that made them (PyPI is unreachable), so this script writes them itself with the `onnx-proto`
 * package, following the layout torch.onnx.export produces for nn.Sequential(Linear, ReLU, ...):
 * one Gemm node per nn.Linear with transB = 1 (weights stored (out, in)), alpha = beta = 1, weights
 * and biases as float32 raw_data initializers named like "0.weight" / "0.bias", a symbolic batch
 * dimension on the graph input, Flatten with axis 1 for nn.Flatten, BatchNormalization in inference
 * mode for nn.BatchNorm1d, opset 13. Real PyTorch exports have not been tested.
 *
 * The weights are small hand-written numbers that float32 stores exactly (multiples of 1/4), so the
 * JSON twins hold exactly the same network. expected.json holds forward outputs at a few inputs,
 * computed twice: by the toolkit's forward pass in float64 (`forwardNetwork` on the JSON twin) and,
 * independently, by a tiny float32 reference that interprets the ONNX nodes in this script.
 */

import { writeFileSync, mkdirSync } from "node:fs";
import { Buffer } from "node:buffer";
import process from "node:process";
import console from "node:console";
import onnxProto from "onnx-proto";
import { forwardNetwork } from "../dist/src/model/network.js";
import { readNetworkFile, stringifyNetwork } from "../dist/src/io/network-file.js";

const { onnx } = onnxProto;
const OUT = "examples/models";

/** A float32 raw_data initializer (little-endian), dims as given. */
function floatTensor(name, dims, values) {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(buf) };
}

function valueInfo(name, shape) {
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

/**
 * Builds a model from an nn.Sequential-like list of modules:
 * {linear: W (out×in), b}, {relu}, {tanh}, {sigmoid}, {leaky: alpha}, {flatten}, {bn: {gamma, beta, mean, var, eps}}.
 */
function sequential(name, inputShape, modules) {
  const nodes = [];
  const inits = [];
  let current = "input";
  modules.forEach((m, i) => {
    const out = i === modules.length - 1 ? "output" : `/${i}/${m.op}_output_0`;
    const node = { name: `/${i}/${m.op}`, opType: m.op, input: [current], output: [out], attribute: [] };
    if (m.op === "Gemm") {
      inits.push(floatTensor(`${i}.weight`, [m.W.length, m.W[0].length], m.W.flat()));
      inits.push(floatTensor(`${i}.bias`, [m.b.length], m.b));
      node.input.push(`${i}.weight`, `${i}.bias`);
      node.attribute.push(
        { name: "alpha", type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 },
        { name: "beta", type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 },
        { name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 },
      );
    } else if (m.op === "LeakyRelu") {
      node.attribute.push({ name: "alpha", type: onnx.AttributeProto.AttributeType.FLOAT, f: m.alpha });
    } else if (m.op === "Flatten") {
      node.attribute.push({ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 });
    } else if (m.op === "BatchNormalization") {
      for (const k of ["gamma", "beta", "mean", "var"]) {
        const key = { gamma: "weight", beta: "bias", mean: "running_mean", var: "running_var" }[k];
        inits.push(floatTensor(`${i}.${key}`, [m[k].length], m[k]));
        node.input.push(`${i}.${key}`);
      }
      node.attribute.push({ name: "epsilon", type: onnx.AttributeProto.AttributeType.FLOAT, f: m.eps });
    }
    nodes.push(node);
    current = out;
  });
  const last = modules.findLast((m) => m.op === "Gemm");
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: "injective-relu scripts/make-example-models.mjs (torch-like layout, not torch)",
    producerVersion: "0.1.0",
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name,
      node: nodes,
      initializer: inits,
      input: [valueInfo("input", ["batch", ...inputShape])],
      output: [valueInfo("output", ["batch", last.W.length])],
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), modules };
}

const f = Math.fround;

/** The float32 reference: interprets the modules with every intermediate rounded to float32. */
function reference32(modules, x) {
  let h = x.map(f);
  for (const m of modules) {
    if (m.op === "Gemm") h = m.W.map((row, i) => row.reduce((s, w, j) => f(s + f(f(w) * h[j])), f(m.b[i])));
    else if (m.op === "Relu") h = h.map((v) => (v < 0 ? 0 : v));
    else if (m.op === "LeakyRelu") h = h.map((v) => (v < 0 ? f(f(m.alpha) * v) : v));
    else if (m.op === "Tanh") h = h.map((v) => f(Math.tanh(v)));
    else if (m.op === "Sigmoid") h = h.map((v) => f(1 / (1 + Math.exp(-v))));
    else if (m.op === "BatchNormalization")
      h = h.map((v, i) =>
        f(f(f(f(v - f(m.mean[i])) / f(Math.sqrt(f(f(m.var[i]) + f(m.eps))))) * f(m.gamma[i])) + f(m.beta[i])),
      );
    // Flatten: the identity on the flat input.
  }
  return h;
}

// Injective: Linear(2,5) ReLU (rows ±e_j and e_1 + e_2: injective on R^2), Linear(5,6) Tanh (full
// column rank), BatchNorm1d(6) (nonzero scales), Linear(6,6) (invertible, lower triangular).
const injective = sequential(
  "injective_generator",
  [2],
  [
    {
      op: "Gemm",
      W: [
        [1, 0],
        [0, 1],
        [-1, 0],
        [0, -1],
        [1, 1],
      ],
      b: [0, 0, 0, 0, 0.25],
    },
    { op: "Relu" },
    {
      op: "Gemm",
      W: [
        [0.5, 0, 0, 0, 0],
        [0, 0.5, 0, 0, 0],
        [0, 0, 0.5, 0, 0],
        [0, 0, 0, 0.5, 0],
        [0, 0, 0, 0, 0.5],
        [0.25, -0.25, 0.25, -0.25, 0],
      ],
      b: [0, 0.25, 0, -0.25, 0, 0],
    },
    { op: "Tanh" },
    {
      op: "BatchNormalization",
      gamma: [1, 2, 0.5, 1, 1.5, 1],
      beta: [0, 0.25, 0, -0.5, 0, 1],
      mean: [0.25, 0, 0, 0.5, 0, 0],
      var: [1, 4, 0.25, 1, 1, 2],
      eps: 1e-5,
    },
    {
      op: "Gemm",
      W: [
        [1, 0, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
        [0, -1, 1, 0, 0, 0],
        [0, 0, 0.5, 1, 0, 0],
        [0, 0, 0, -1, 1, 0],
        [0.25, 0, 0, 0, 0.5, 1],
      ],
      b: [0, 0, 0, 0, 0, 0],
    },
  ],
);

// Not injective: Flatten, Linear(3,4) ReLU (rows e_1, e_2, e_3, e_1 + e_2 + e_3: every x < 0 maps
// to 0), Linear(4,2), Sigmoid.
const nonInjective = sequential(
  "noninjective_generator",
  [1, 3],
  [
    { op: "Flatten" },
    {
      op: "Gemm",
      W: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 1],
      ],
      b: [0, 0, 0, 0],
    },
    { op: "Relu" },
    {
      op: "Gemm",
      W: [
        [1, -1, 0.5, 0.25],
        [0, 1, 1, -0.5],
      ],
      b: [0.5, -0.25],
    },
    { op: "Sigmoid" },
  ],
);

const INPUTS = {
  "generator-injective": [
    [0, 0],
    [0.5, -0.25],
    [-1, 1],
    [0.75, 0.5],
  ],
  "generator-noninjective": [
    [0, 0, 0],
    [0.5, -0.25, 1],
    [-1, -0.5, -0.25],
    [-0.5, -1, -2],
  ],
};

mkdirSync(OUT, { recursive: true });
const expected = {
  note: "Forward outputs of the example models. float64: the toolkit's forwardNetwork on the JSON twin; float32: the float32 reference interpreter of scripts/make-example-models.mjs (independent code). The .onnx files are written by that script with onnx-proto in a torch.onnx.export-like layout, not by PyTorch.",
  models: {},
};
for (const [name, model] of [
  ["generator-injective", injective],
  ["generator-noninjective", nonInjective],
]) {
  const onnxPath = `${OUT}/${name}.onnx`;
  writeFileSync(onnxPath, model.bytes);
  const net = await readNetworkFile(onnxPath);
  writeFileSync(
    `${OUT}/${name}.json`,
    stringifyNetwork(net, { source: `${name}.onnx (scripts/make-example-models.mjs)` }),
  );
  const cases = INPUTS[name].map((x) => {
    const float64 = forwardNetwork(net, x);
    const float32 = reference32(model.modules, x);
    const gap = Math.max(...float64.map((v, i) => Math.abs(v - float32[i])));
    if (!(gap < 1e-5)) {
      console.error(`${name}: float64 and float32 outputs differ by ${gap} at x = ${JSON.stringify(x)}`);
      process.exit(1);
    }
    return { x, float64, float32 };
  });
  expected.models[name] = { onnx: `${name}.onnx`, json: `${name}.json`, cases };
  console.log(`wrote ${onnxPath} (${model.bytes.length} bytes) and ${OUT}/${name}.json`);
}
writeFileSync(`${OUT}/expected.json`, JSON.stringify(expected, null, 2) + "\n");
console.log(`wrote ${OUT}/expected.json`);
