/**
 * Inverting the committed trained generators (issue 10's targets as tests): the 16 test images of
 * the PyTorch DCGAN export (a batch, under a memory limit below every dense layer matrix but the
 * first) and of the two fully-connected decoders invert by default from torch's float32 outputs,
 * to 1e-3 (DCGAN) and 1e-4 (decoders) relative error. Only the committed files are read.
 */

import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readOnnxModel } from "../../src/io/onnx.js";
import { parseNpy } from "../../src/io/npy.js";
import { invertGeneratorBatch } from "../../src/invert/invert-batch.js";
import { invertGenerator } from "../../src/invert/invert-generator.js";
import { layerMatrixBytes, type Network } from "../../src/model/network.js";

const DIR = join(import.meta.dirname, "../../examples/models");

const load = (name: string): Network =>
  readOnnxModel(new Uint8Array(readFileSync(join(DIR, `${name}.onnx`))), `${name}.onnx`);

function rows(file: string): number[][] {
  const { shape, data } = parseNpy(new Uint8Array(readFileSync(join(DIR, file))), file);
  return Array.from({ length: shape[0] }, (_, i) =>
    Array.from(data.subarray(i * shape[1], (i + 1) * shape[1])),
  );
}

function relativeL2(a: number[], b: number[]): number {
  let num = 0;
  let den = 0;
  b.forEach((v, i) => {
    num += (a[i] - v) ** 2;
    den += v * v;
  });
  return Math.sqrt(num / den);
}

describe("the trained DCGAN generator (32 → 32×32, ConvTranspose, folded batch norm, tanh)", () => {
  it("its 16 test images invert by default, as a batch, to 1e-3, without building the layer matrices", async () => {
    const net = load("mnist-dcgan32-generator");
    const zs = rows("mnist-dcgan32-generator-testset-z.npy");
    const ys = rows("mnist-dcgan32-generator-testset-y.npy");
    expect(ys).toHaveLength(16);
    const limit = 16 * 2 ** 20;
    // The explicit matrices of layers 1–3 (8 MB to 64 MB each) do not fit in the limit.
    expect(net.layers.slice(1).every((l) => layerMatrixBytes(l) > limit / 2)).toBe(true);
    const heap0 = process.memoryUsage().heapUsed;
    const items = await invertGeneratorBatch(net, ys, {
      workers: 1,
      yPrecision: "float32",
      memoryLimitBytes: limit,
      truths: zs,
    });
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(200e6);
    for (const item of items) {
      expect(item.consistent, item.reason).toBe(true);
      expect(item.error!).toBeLessThan(1e-3);
    }
    expect(items.filter((it) => it.status === "unique").length).toBeGreaterThanOrEqual(14);
  }, 240_000);
});

describe.each(["mnist-vae-decoder", "mnist-vae-decoder-leaky"])("the trained decoder %s", (name) => {
  it("its 16 test images invert by default to 1e-4, certified", () => {
    const net = load(name);
    const zs = rows(`${name}-testset-z.npy`);
    const ys = rows(`${name}-testset-y.npy`);
    ys.forEach((y, k) => {
      const r = invertGenerator(net, y, { yPrecision: "float32" });
      expect(r.consistent, r.reason).toBe(true);
      expect(r.certified).toBe(true);
      expect(relativeL2(r.z, zs[k])).toBeLessThan(1e-4);
    });
  }, 120_000);
});
