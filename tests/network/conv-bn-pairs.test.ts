/**
 * The rule `conv-bn-pairs` of check-network (a ReLU after a convolution and a batch norm, decided
 * on their composition) and the dead zones of findConvPairs: hand-computed cases, a differential
 * property test against checkLayer on the explicit composite matrix, and the paper's kind of
 * generator trained in PyTorch (scripts/train-paired-dcgan.py, committed exports).
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findConvPairs } from "../../src/network/conv-pairs.js";
import { checkNetwork } from "../../src/network/check-network.js";
import { snapNetwork } from "../../src/network/snap-network.js";
import { checkLayer } from "../../src/core/check-layer.js";
import { readOnnxModel } from "../../src/io/onnx.js";
import {
  activationLayer,
  batchNormLayer,
  convLayer,
  forwardNetwork,
  layerMatrix,
  NETWORK_FORMAT,
  validateNetwork,
  type ConvParams,
  type Network,
} from "../../src/model/network.js";

/** A 1-D transposed convolution (c, L) → (2k, L + K − 1) whose channel k + o is −λ_o times channel o. */
function pairedConvT(C: number[][][], lambdas: number[], L: number): ConvParams {
  // kernels (c, q, K): input channel first.
  const kernels = C.map((perIn) => [...perIn, ...perIn.map((f, o) => f.map((v) => -lambdas[o] * v))]);
  return {
    op: "conv_transpose",
    inputShape: [C.length, L],
    kernels,
    stride: [1],
    padding: [0],
  } as ConvParams;
}

/** A batch norm with exactly these per-unit scales and shifts (var + eps = 1, mean 0). */
function bn(scale: number[], shift: number[]) {
  return batchNormLayer({
    gamma: scale,
    beta: shift,
    mean: scale.map(() => 0),
    var: scale.map(() => 0.75),
    epsilon: 0.25,
  });
}

function group(p: ConvParams, scale: number[], shift: number[]): Network {
  const conv = convLayer(p, "linear");
  const m =
    (p.kernels as unknown as number[][][])[0].length *
    (p.inputShape[1] + (p.kernels as unknown as number[][][])[0][0].length - 1);
  const per = m / scale.length;
  const expand = (v: number[]) => Array.from({ length: m }, (_, i) => v[Math.floor(i / per)]);
  return validateNetwork("test", {
    format: NETWORK_FORMAT,
    version: 1,
    inputDim: p.inputShape[0] * p.inputShape[1],
    layers: [conv, bn(expand(scale), expand(shift)), activationLayer(m, "relu")],
  });
}

describe("findConvPairs after a batch norm", () => {
  // One input channel of length 3, kernel C = [1, 2]; channel 1 = −2·C. Scales 2 and 1/2 make the
  // batch-normed rows r_a = 2C and r_b = −C, so λ = 1/2.
  const p = pairedConvT([[[1, 2]]], [2], 3);
  it("keeps a pair whose shifts cover (λ·β_a + β_b ≥ 0, here = 0)", () => {
    const r = findConvPairs(p, { scale: [2, 0.5], shift: [1, -0.5] });
    expect(r.pairs).toEqual([[0, 1]]);
    expect(r.deadZones).toEqual([]);
  });
  it("reports a dead zone with its width (hand-computed)", () => {
    const r = findConvPairs(p, { scale: [2, 0.5], shift: [1, -1] });
    expect(r.pairs).toEqual([]);
    // Both rows are off for r_a·x in (β_b/λ, −β_a) = (−2, −1): width 1, over ‖r_a‖ = 2√5.
    expect(r.deadZones).toHaveLength(1);
    expect(r.deadZones[0].pair).toEqual([0, 1]);
    expect(r.deadZones[0].width).toBeCloseTo(1 / (2 * Math.sqrt(5)), 12);
  });
  it("reports scales of opposite signs as parallel, not a pair", () => {
    const r = findConvPairs(p, { scale: [2, -0.5], shift: [1, 1] });
    expect(r.pairs).toEqual([]);
    expect(r.parallel).toEqual([[0, 1]]);
  });
  it("two negative scales keep the pair (both rows flip)", () => {
    expect(findConvPairs(p, { scale: [-2, -0.5], shift: [1, 1] }).pairs).toEqual([[0, 1]]);
  });
});

describe("checkNetwork: rule conv-bn-pairs", () => {
  // Two input channels of length 2, three pairs of kernel length 2: C's convolution maps 4 → 9 rows.
  const C = [
    [
      [1, 0],
      [0, 1],
      [1, 1],
    ],
    [
      [2, -1],
      [1, 3],
      [0, 1],
    ],
  ];
  const p = pairedConvT(C, [1, 4, 0.5], 2);
  it("proves the composition injective and says which layers it covers", async () => {
    const r = await checkNetwork(group(p, [1, 2, 0.25, 2, 1, 4], [0.5, -1, 2, 0, 1.5, -0.25]));
    expect(r.layers[2]).toMatchObject({
      rule: "conv-bn-pairs",
      injective: true,
      group: [0, 1, 2],
      exact: true,
    });
    expect(r.injective).toBe(true);
  });
  it("names a dead zone that the other pairs make up for", async () => {
    // Pair 0/3: rows C_0 and −4·C_0 (λ = 4): λ·β_0 + β_3 = −4 − 1 < 0 leaves a gap; pair 1/4 has
    // rows 2·C_1 and −4·C_1 (λ = 2): 2·(−1) + 2.5 ≥ 0 covers; so does 2/5. Their C spans R^4.
    const r = await checkNetwork(group(p, [1, 2, 0.25, 4, 1, 4], [-1, -1, 2, -1, 2.5, -0.25]));
    expect(r.layers[2]).toMatchObject({ rule: "conv-bn-pairs", injective: true });
    expect(r.layers[2].reason).toMatch(/dead zone in 1 opposite pair\(s\) \(0\/3/);
  });
  it("names the dead zones and stays unknown when the covering pairs do not span", async () => {
    // As above, but β_4 = 1.5: 2·(−1) + 1.5 < 0 opens a second gap; one pair (3 rows) is left.
    const r = await checkNetwork(group(p, [1, 2, 0.25, 4, 1, 4], [-1, -1, 2, -1, 1.5, -0.25]), {
      collisionSearch: false,
    });
    expect(r.layers[2]).toMatchObject({ rule: "conv-bn-pairs", injective: null });
    expect(r.layers[2].reason).toMatch(
      /dead zone in 2 opposite pair\(s\) \(0\/3: a slab of width [0-9.]+ where both are zero, 1\/4/,
    );
    expect(r.injective).not.toBe(true);
  });

  it("agrees with checkLayer on the explicit composite (random paired layers, powers-of-two scales)", async () => {
    const seen = { proved: 0, undecided: 0, exactFalse: 0 };
    const pow2 = fc.integer({ min: -2, max: 2 }).map((e) => 2 ** e);
    const arb = fc.record({
      c: fc.integer({ min: 1, max: 2 }),
      k: fc.integer({ min: 1, max: 3 }),
      L: fc.integer({ min: 1, max: 2 }),
      K: fc.integer({ min: 1, max: 2 }),
      seedVals: fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 12, maxLength: 12 }),
      lambdas: fc.array(pow2, { minLength: 3, maxLength: 3 }),
      scales: fc.array(fc.tuple(pow2, fc.constantFrom(1, 1, 1, -1)), { minLength: 6, maxLength: 6 }),
      shifts: fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 6, maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ c, k, L, K, seedVals, lambdas, scales, shifts }) => {
        let t = 0;
        const C = Array.from({ length: c }, () =>
          Array.from({ length: k }, () => Array.from({ length: K }, () => seedVals[t++ % seedVals.length])),
        );
        const pp = pairedConvT(C, lambdas.slice(0, k), L);
        const scale = scales.slice(0, 2 * k).map(([s, sg]) => s * sg);
        const shift = shifts.slice(0, 2 * k);
        const net = group(pp, scale, shift);
        const r = await checkNetwork(net, { collisionSearch: false });
        // The explicit composite diag(s)·W (exact: powers of two) with bias s ⊙ 0 + shift.
        const W = layerMatrix(net.layers[0]).map((row, i) =>
          row.map((v) => v * layerMatrix(net.layers[1])[i][i]),
        );
        const b = net.layers[1].b!;
        const exact = await checkLayer(W, b, { domain: "all" });
        const rule = r.layers[2];
        if (rule.rule !== "conv-bn-pairs") return; // no opposite channels: the rule does not apply
        if (rule.injective === true) expect(exact.injective).toBe(true);
        seen[rule.injective === true ? "proved" : "undecided"]++;
        if (exact.injective === false) seen.exactFalse++;
        const pairing = findConvPairs(pp, {
          scale,
          shift,
        });
        if (pairing.unpaired.length === 0 && exact.injective === true) expect(rule.injective).toBe(true);
      }),
      { numRuns: 120, seed: 11 },
    );
    // The property exercised both outcomes.
    expect(seen.proved).toBeGreaterThan(10);
    expect(seen.undecided).toBeGreaterThan(10);
    expect(seen.exactFalse).toBeGreaterThan(5);
  });
});

describe("the paper's DCGAN trained in PyTorch (batch norm after the paired layers)", () => {
  const DIR = join(import.meta.dirname, "../../examples/models");
  const expected = JSON.parse(readFileSync(join(DIR, "paired-dcgan32-generator-expected.json"), "utf8")) as {
    inputs: number[][];
    outputs: number[][];
    deadZones: { layer: number; pairs: number; deadZonePairs: number[] }[];
  };
  const read = (f: string) => readOnnxModel(new Uint8Array(readFileSync(join(DIR, f))), f);

  it("snapping keeps torch's outputs (the moved filters' scales compensated)", () => {
    for (const f of ["paired-dcgan32-generator.onnx", "paired-dcgan32-generator-folded.onnx"]) {
      const net = read(f);
      const s = snapNetwork(net, 1e-6);
      expect(s.layers.length).toBe(3);
      expect(s.outputScale).toBe(null);
      expected.inputs.forEach((z, i) => {
        const y = forwardNetwork(s.network, z);
        y.forEach((v, j) => expect(Math.abs(v - expected.outputs[i][j])).toBeLessThan(1e-5));
      });
    }
  });

  it("proves the paired layers without a dead zone and names the one that has one", async () => {
    const net = snapNetwork(read("paired-dcgan32-generator.onnx"), 1e-6).network;
    const r = await checkNetwork(net, { timeLimitMs: 60_000 });
    const fused = r.layers.filter((l) => l.rule === "conv-bn-pairs");
    expect(fused.map((l) => l.index)).toEqual([2, 5, 8]);
    // The training script's own count: the layer at torch index 3 (ONNX layers 3–5) has a dead zone.
    const zones = expected.deadZones.map((z) => z.deadZonePairs.length);
    fused.forEach((l, i) => {
      if (zones[i] === 0) expect(l.injective).toBe(true);
      else {
        expect(l.injective).toBe(null);
        expect(l.reason).toContain(`dead zone in ${zones[i]} opposite pair(s)`);
      }
    });
    expect(r.injective).toBe(zones.every((z) => z === 0) ? true : null);
  });

  it("the folded export gives the same dead zone (rule conv-pairs, biases)", async () => {
    const net = snapNetwork(read("paired-dcgan32-generator-folded.onnx"), 1e-6).network;
    const r = await checkNetwork(net, { timeLimitMs: 60_000 });
    expect(r.layers[1].rule).toBe("conv-pairs");
    expect(r.layers[1].injective).toBe(null);
    expect(r.layers[1].reason).toMatch(/biases open a dead zone in 1 opposite pair\(s\) \(2\/6/);
  });
});
