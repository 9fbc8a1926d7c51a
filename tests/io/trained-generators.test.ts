/**
 * Real trained generators exported by PyTorch (scripts/train-mnist-decoder.py,
 * scripts/train-mnist-dcgan.py; the models of `npm run bench:invert`): the ONNX import reproduces
 * torch's own float32 outputs, the committed test sets are G(z) of their z's, and checking and
 * running the convolutional generator never builds an explicit matrix above the memory budget.
 * Only the committed files are read.
 */

import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readOnnxModel } from "../../src/io/onnx.js";
import { parseNpy } from "../../src/io/npy.js";
import { checkNetwork } from "../../src/network/check-network.js";
import {
  forwardNetwork,
  layerInputDim,
  layerMatrixBytes,
  layerOutputDim,
  networkDims,
  type Network,
} from "../../src/model/network.js";

const DIR = join(import.meta.dirname, "../../examples/models");

const load = (name: string): Network =>
  readOnnxModel(new Uint8Array(readFileSync(join(DIR, `${name}.onnx`))), `${name}.onnx`);

function rows(file: string): number[][] {
  const { shape, data } = parseNpy(new Uint8Array(readFileSync(join(DIR, file))), file);
  expect(shape.length).toBe(2);
  return Array.from({ length: shape[0] }, (_, i) =>
    Array.from(data.subarray(i * shape[1], (i + 1) * shape[1])),
  );
}

/**
 * Float32 agreement: every entry within 1e-4 relative, entries below 1% of the output scale (1)
 * compared at that scale (torch computes in float32, the import in float64 on the same weights).
 */
function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  actual.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - expected[i]) / Math.max(Math.abs(expected[i]), 1e-2));
  });
  expect(worst).toBeLessThanOrEqual(1e-4);
}

const MODELS = [
  {
    name: "mnist-vae-decoder",
    dims: [20, 200, 500, 784],
    activations: ["relu", "relu", "sigmoid"],
    conv: false,
  },
  {
    name: "mnist-vae-decoder-leaky",
    dims: [20, 200, 500, 784],
    activations: ["leaky_relu", "leaky_relu", "sigmoid"],
    conv: false,
  },
  {
    name: "mnist-dcgan32-generator",
    dims: [32, 1024, 2048, 4096, 1024],
    activations: ["relu", "relu", "relu", "tanh"],
    conv: true,
  },
];

describe.each(MODELS)("$name (trained in PyTorch, exported to ONNX)", ({ name, dims, activations, conv }) => {
  const net = load(name);
  const expected = JSON.parse(readFileSync(join(DIR, `${name}-expected.json`), "utf8")) as {
    inputs: number[][];
    outputs: number[][];
  };

  it("imports with the expected layers", () => {
    expect(networkDims(net)).toEqual(dims);
    expect(net.layers.map((l) => l.activation)).toEqual(activations);
    // Convolutions stay structured: no explicit matrix is stored.
    for (const layer of net.layers) {
      expect(layer.conv !== undefined).toBe(conv);
      expect(layer.W === undefined).toBe(conv);
    }
    if (name.endsWith("leaky")) expect(net.layers[0].alpha).toBeCloseTo(0.2, 6);
  });

  it("reproduces torch's float32 outputs at seeded inputs (1e-4 relative)", () => {
    expect(expected.inputs.length).toBe(5);
    expected.inputs.forEach((z, k) => expectClose(forwardNetwork(net, z), expected.outputs[k]));
  });

  it("the committed test set is y = G(z), 16 images (1e-4 relative)", () => {
    const Z = rows(`${name}-testset-z.npy`);
    const Y = rows(`${name}-testset-y.npy`);
    expect(Z.length).toBe(16);
    expect(Y.length).toBe(16);
    expect(Z[0].length).toBe(dims[0]);
    expect(Y[0].length).toBe(dims[dims.length - 1]);
    Z.forEach((z, k) => expectClose(forwardNetwork(net, z), Y[k]));
  });
});

describe("memory: the convolutional generator under a small memory budget", () => {
  const net = load("mnist-dcgan32-generator");
  const LIMIT = 8 * 2 ** 20;

  it("its larger layers' explicit matrices would not fit, and none is built by forward passes", () => {
    expect(net.layers.slice(1).every((l) => layerMatrixBytes(l) > LIMIT)).toBe(true);
    const z = Array.from({ length: 32 }, (_, j) => Math.sin(j + 1));
    const before = process.memoryUsage().heapUsed;
    for (let k = 0; k < 4; k++) forwardNetwork(net, z);
    // The largest explicit matrix (4,096 × 2,048 doubles) would take 64 MB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(32 * 2 ** 20);
    expect(net.layers.every((l) => l.W === undefined)).toBe(true);
  });

  it("checkNetwork answers within its limits, naming what it did not build", async () => {
    const r = await checkNetwork(net, { timeLimitMs: 30_000, memoryLimitBytes: LIMIT });
    expect(r.layers).toHaveLength(4);
    expect(r.injective).not.toBe(false);
    // Layers 1-3: too large for the exact check or the memory limit; never built.
    for (const layer of r.layers.slice(1)) {
      expect(layer.injective).toBeNull();
      expect(layer.reason).toMatch(/too large for the exact check|memory limit/);
      expect(layer.m * layer.n * 8).toBeGreaterThan(LIMIT);
    }
    expect(net.layers.every((l) => l.W === undefined)).toBe(true);
    expect(layerInputDim(net.layers[0])).toBe(32);
    expect(layerOutputDim(net.layers[3])).toBe(1024);
  });
});

describe("checkNetwork on the fully-connected decoders", () => {
  it.each(["mnist-vae-decoder", "mnist-vae-decoder-leaky"])(
    "%s: an answer within the time limit",
    async (name) => {
      const net = load(name);
      const t0 = performance.now();
      const r = await checkNetwork(net, { timeLimitMs: 5_000 });
      expect(performance.now() - t0).toBeLessThan(30_000);
      expect(r.layers.map((l) => [l.m, l.n])).toEqual([
        [200, 20],
        [500, 200],
        [784, 500],
      ]);
      expect(r.injective).not.toBe(false);
    },
  );
});
