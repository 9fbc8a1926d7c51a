/**
 * A generator trained in PyTorch with paired rows [B; −s²B] (scripts/train-paired-generator.py),
 * exported in float32: the exact verdict for the weights as given, and "injective up to noise ε".
 */

import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readOnnxModel } from "../../src/io/onnx.js";
import { checkNetwork } from "../../src/network/check-network.js";
import { snapNetwork } from "../../src/network/snap-network.js";
import { forwardNetwork, layerMatrix, type Network } from "../../src/model/network.js";
import { Q, parseQ } from "../reference/exact-reference.js";

const DIR = join(import.meta.dirname, "../../examples/models");
const net = readOnnxModel(
  new Uint8Array(readFileSync(join(DIR, "torch-paired-trained.onnx"))),
  "torch-paired-trained.onnx",
);
const expected = JSON.parse(readFileSync(join(DIR, "torch-paired-trained-expected.json"), "utf8")) as {
  inputs: number[][];
  outputs: number[][];
};

/** An exact forward pass with the reference's own rationals (ReLU and linear layers only). */
function exactForward(N: Network, x: Q[]): Q[] {
  let h = x;
  for (const layer of N.layers) {
    const W = layerMatrix(layer);
    h = W.map((row, i) => {
      let s = Q.of(layer.b ? layer.b[i] : 0);
      row.forEach((w, j) => (s = s.add(Q.of(w).mul(h[j]))));
      return layer.activation === "relu" && s.sign < 0 ? new Q(0n) : s;
    });
  }
  return h;
}

describe("a trained float32 generator with paired rows", () => {
  it("imports with torch's outputs (to 1e-5)", () => {
    expected.inputs.forEach((z, k) =>
      forwardNetwork(net, z).forEach((v, i) =>
        expect(Math.abs(v - expected.outputs[k][i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))),
      ),
    );
  });

  it("as given, it is NOT injective: the float32 pairs are rotated by rounding, and the exact witness collides", async () => {
    const r = await checkNetwork(net, { timeLimitMs: 60_000 });
    expect(r.injective).toBe(false);
    const w = r.witness!;
    expect(w.exact).toBe(true);
    const x1 = (w.exactX1 ?? w.x1).map(parseQ);
    const x2 = (w.exactX2 ?? w.x2).map(parseQ);
    const y1 = exactForward(net, x1);
    const y2 = exactForward(net, x2);
    expect(y1.every((v, i) => v.sub(y2[i]).sign === 0)).toBe(true);
    expect(x1.some((v, j) => v.sub(x2[j]).sign !== 0)).toBe(true);
  });

  it("up to noise 1e-6 (snapped pairs), both ReLU layers are injective, exactly", async () => {
    const s = snapNetwork(net, 1e-6);
    expect(s.layers.map((l) => l.index)).toEqual([0, 1]);
    expect(s.maxAngle).toBeLessThan(1e-6);
    const r = await checkNetwork(s.network, { timeLimitMs: 60_000 });
    expect(r.layers[0].injective).toBe(true);
    expect(r.layers[1].injective).toBe(true);
    expect(r.injective).not.toBe(false);
  });
});
