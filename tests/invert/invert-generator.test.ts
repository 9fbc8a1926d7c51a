/**
 * Tests of invertGenerator (src/invert/invert-generator.ts) and its batch form: recovery through
 * generators that end in a dimension-reducing projection (property test over seeds), the precision
 * rule on the committed float32 exports, saturated tanh outputs, noise, time limits, a batch of
 * convolutional images within a memory limit below any layer's dense matrix, and bad input.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../../src/core/random.js";
import { invertGenerator } from "../../src/invert/invert-generator.js";
import { invertGeneratorBatch, relativeL2 } from "../../src/invert/invert-batch.js";
import { convGenerator, denseGenerator, forwardFloat32 } from "../../src/invert/synthetic-generators.js";
import { readNetworkFile } from "../../src/io/network-file.js";
import { forwardNetwork, layerMatrixBytes, type Network } from "../../src/model/network.js";

const MODELS = join(import.meta.dirname, "../../examples/models");
const gaussian = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.normal());

describe("invertGenerator: generators that end in a projection (Corollary 3)", () => {
  it("noiseless float64: z recovered to 1e-8 relative, certified (fast-check over seeds and sizes)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.constantFrom("linear", "tanh") as fc.Arbitrary<"linear" | "tanh">,
        (n, seed, last) => {
          // n → 6n → 10n (ReLU) → 2n + 1 … 4n (projection, then `last`): the projection reduces the
          // dimension, so no layer after the first is injective on its own domain.
          const rng = new Rng(seed);
          const m = 2 * n + 1 + Math.floor(rng.uniform() * (2 * n));
          const net = denseGenerator(n, [6 * n, 10 * n, m], seed, { last });
          const z = gaussian(rng, n);
          const r = invertGenerator(net, forwardNetwork(net, z), { seed });
          expect(r.consistent).toBe(true);
          expect(["unique", "found"]).toContain(r.status);
          expect(relativeL2(r.z, z)).toBeLessThan(1e-8);
        },
      ),
      { numRuns: 25, seed: 20240610 },
    );
  });

  it("the certificate: full rank and a pattern that re-checks (unique); a rank-deficient pattern is only found", () => {
    const net = denseGenerator(4, [24, 40, 12], 3);
    const z = gaussian(new Rng(3), 4);
    const r = invertGenerator(net, forwardNetwork(net, z));
    expect(r.status).toBe("unique");
    expect(r.certified).toBe(true);
    expect(r.certificate).toBe("pattern");
    expect(r.pattern).toMatchObject({ ambiguous: 0, rank: 4, n: 4 });
    // 6 → 24 → 3: fewer outputs than unknowns, so z is never determined.
    const wide = denseGenerator(6, [24, 3], 4);
    const y = forwardNetwork(wide, gaussian(new Rng(4), 6));
    const w = invertGenerator(wide, y);
    expect(w.status).toBe("found");
    expect(w.certified).toBe(false);
    expect(relativeL2(forwardNetwork(wide, w.z), y)).toBeLessThan(1e-9);
  });
});

describe("invertGenerator: precision", () => {
  it("float32 outputs of the committed exports invert by default (the precision rule)", async () => {
    const torch = JSON.parse(readFileSync(join(MODELS, "torch-expected.json"), "utf8"));
    const tfjs = JSON.parse(readFileSync(join(MODELS, "tfjs-expected.json"), "utf8"));
    const ours = JSON.parse(readFileSync(join(MODELS, "expected.json"), "utf8"));
    const paired = JSON.parse(readFileSync(join(MODELS, "torch-paired-trained-expected.json"), "utf8"));
    const cases: [string, number[][], number[][]][] = [
      [
        "torch-injective.onnx",
        torch.models["torch-injective"].inputs,
        torch.models["torch-injective"].outputs,
      ],
      ["tfjs-injective", tfjs.models["tfjs-injective"].inputs, tfjs.models["tfjs-injective"].outputs],
      [
        "safetensors-injective.safetensors",
        tfjs.models["safetensors-injective"].inputs,
        tfjs.models["safetensors-injective"].outputs,
      ],
      [
        "generator-injective.onnx",
        ours.models["generator-injective"].cases.map((c: { x: number[] }) => c.x),
        ours.models["generator-injective"].cases.map((c: { float32: number[] }) => c.float32),
      ],
      ["torch-paired-trained.onnx", paired.inputs, paired.outputs],
    ];
    for (const [file, zs, ys] of cases) {
      const net = await readNetworkFile(join(MODELS, file));
      expect(net.precision).toBe("float32");
      ys.forEach((y, k) => {
        const r = invertGenerator(net, y);
        expect(r.status, `${file} case ${k}: ${r.reason}`).toBe("unique");
        expect(r.toleranceSource).toBe("precision");
        expect(r.boundRatio!).toBeLessThanOrEqual(1);
        expect(r.tolerance).toBeGreaterThan(1e-9);
        const scale = Math.max(1, ...zs[k].map(Math.abs));
        r.z.forEach((v, j) => expect(Math.abs(v - zs[k][j])).toBeLessThan(1e-4 * scale));
      });
    }
  });

  it("float64 JSON models keep the tolerance 1e-9; an explicit tolerance wins", async () => {
    const net = await readNetworkFile(join(MODELS, "generator-injective.json"));
    expect(net.precision).toBeUndefined();
    const y = forwardNetwork(net, [0.5, -0.25]);
    const r = invertGenerator(net, y);
    expect(r.tolerance).toBe(1e-9);
    expect(r.status).toBe("unique");
    const loose = invertGenerator(net, y, { tolerance: 1e-3 });
    expect(loose.tolerance).toBe(1e-3);
    expect(loose.toleranceSource).toBe("option");
    // Float32 y of a float64 model: y's storage rounding counts (yPrecision).
    const y32 = y.map(Math.fround);
    expect(invertGenerator(net, y32, { yPrecision: "float32" }).consistent).toBe(true);
  });

  it("a float32 fully-connected decoder 20 → 200 → 500 → 784 (leaky ReLU): exact up to float32 rounding", () => {
    const net = denseGenerator(20, [200, 500, 784], 1, {
      hidden: "leaky_relu",
      precision: "float32",
      biasScale: 0,
    });
    const z = gaussian(new Rng(8), 20).map(Math.fround);
    const r = invertGenerator(net, forwardFloat32(net, z));
    expect(r.status).toBe("unique");
    expect(r.reason).toMatch(/exact up to float32 rounding/);
    expect(relativeL2(r.z, z)).toBeLessThan(1e-5);
  });

  it("saturated float32 tanh outputs (exactly ±1) are inequalities, not 'out of range'", () => {
    // A large last layer makes many float32 tanh outputs exactly ±1.
    const net = denseGenerator(4, [40, 60, 30], 6, { last: "tanh", lastScale: 12, precision: "float32" });
    const z = gaussian(new Rng(6), 4).map(Math.fround);
    const y = forwardFloat32(net, z);
    const saturated = y.filter((v) => Math.abs(v) === 1).length;
    expect(saturated).toBeGreaterThan(3);
    const r = invertGenerator(net, y);
    expect(r.saturated).toBe(saturated);
    expect(r.consistent).toBe(true);
    expect(["unique", "found"]).toContain(r.status);
    expect(relativeL2(r.z, z)).toBeLessThan(1e-4);
    // A value beyond the range of tanh has no preimage.
    const bad = y.slice();
    bad[0] = 1.5;
    expect(invertGenerator(net, bad).status).toBe("no-preimage");
  });
});

describe("invertGenerator: noise, limits, bad input", () => {
  it("Gaussian noise σ: a fit consistent with σ, error of the order of σ", () => {
    const net = denseGenerator(10, [60, 120, 300], 2);
    const rng = new Rng(12);
    for (const sigma of [1e-3, 1e-2]) {
      const z = gaussian(rng, 10);
      const y = forwardNetwork(net, z).map((v) => v + sigma * rng.normal());
      const r = invertGenerator(net, y, { noise: sigma });
      expect(r.toleranceSource).toBe("noise");
      expect(r.consistent).toBe(true);
      expect(r.residualRms).toBeLessThan(1.3 * sigma);
      expect(relativeL2(r.z, z)).toBeLessThan(10 * sigma);
    }
  });

  it("a time limit returns the best estimate so far with status time-limit, promptly", () => {
    const net = convGenerator({ z: 16, channels: [64, 32, 16, 3], base: 4, seed: 2 });
    const y = forwardNetwork(net, gaussian(new Rng(2), 16));
    const t0 = performance.now();
    const r = invertGenerator(net, y, { timeLimitMs: 150 });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.status).toBe("time-limit");
    expect(r.z).toHaveLength(16);
    expect(r.z.every(Number.isFinite)).toBe(true);
  });

  it("bad input: y of the wrong length, NaN in y: one-line input errors", () => {
    const net = denseGenerator(3, [8, 10], 1);
    expect(() => invertGenerator(net, [1, 2, 3])).toThrow(
      /y has length 3, expected 10 \(the network's output dimension\)/,
    );
    const y = forwardNetwork(net, [1, 0, -1]);
    y[4] = NaN;
    expect(() => invertGenerator(net, y)).toThrow(/y\[4\] is NaN; y must be finite/);
    expect(() =>
      invertGenerator(
        net,
        y.map(() => 0),
        { noise: -1 },
      ),
    ).toThrow(RangeError);
  });
});

describe("invertGeneratorBatch: convolutional images", () => {
  it("16 images of a small DCGAN-style generator (float32), memory limit below every dense layer matrix", async () => {
    // (8, 1, 1) → (32, 4, 4) → BN, ReLU → (16, 8, 8) → BN, ReLU → (3, 16, 16), tanh.
    const net: Network = convGenerator({
      z: 8,
      channels: [32, 16, 3],
      base: 4,
      seed: 5,
      precision: "float32",
    });
    const limit = 2_000_000;
    const convBytes = net.layers.filter((l) => l.conv).map(layerMatrixBytes);
    expect(Math.min(...convBytes.slice(1))).toBeGreaterThan(limit);
    const rng = new Rng(5);
    const zs = Array.from({ length: 16 }, () => gaussian(rng, 8).map(Math.fround));
    const ys = zs.map((z) => forwardFloat32(net, z));
    let progress = 0;
    const heap0 = process.memoryUsage().heapUsed;
    const items = await invertGeneratorBatch(net, ys, {
      workers: 1,
      memoryLimitBytes: limit,
      truths: zs,
      onProgress: (done) => (progress = done),
    });
    expect(progress).toBe(16);
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(200e6);
    for (const it of items) {
      expect(it.consistent, it.reason).toBe(true);
      expect(it.error!).toBeLessThan(1e-3);
    }
    expect(items.filter((it) => it.status === "unique").length).toBeGreaterThanOrEqual(12);
  });
});
