/**
 * Real PyTorch exports (scripts/export-torch-models.py, torch.onnx.export with opset 13): the
 * ONNX import reproduces torch's own outputs, and the network verdicts are the expected ones.
 */

import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readOnnxModel } from "../../src/io/onnx.js";
import { forwardNetwork } from "../../src/model/network.js";
import { checkNetwork } from "../../src/network/check-network.js";
import { invertNetwork } from "../../src/invert/invert-network.js";

const DIR = join(import.meta.dirname, "../../examples/models");
const expected = JSON.parse(readFileSync(join(DIR, "torch-expected.json"), "utf8")) as {
  models: Record<string, { inputs: number[][]; outputs: number[][] }>;
};
const load = (name: string) =>
  readOnnxModel(new Uint8Array(readFileSync(join(DIR, `${name}.onnx`))), `${name}.onnx`);

describe("PyTorch-exported ONNX models", () => {
  for (const name of ["torch-injective", "torch-noninjective"]) {
    it(`${name}: the import matches torch's forward pass to 1e-5`, () => {
      const net = load(name);
      const { inputs, outputs } = expected.models[name];
      inputs.forEach((z, k) => {
        const y = forwardNetwork(net, z);
        y.forEach((v, i) =>
          expect(Math.abs(v - outputs[k][i])).toBeLessThanOrEqual(
            1e-5 * Math.max(1, Math.abs(outputs[k][i])),
          ),
        );
      });
    });
  }

  it("torch-injective: proved injective layer by layer, and inverted on its range", async () => {
    const net = load("torch-injective");
    const r = await checkNetwork(net);
    expect(r.injective).toBe(true);
    const z = expected.models["torch-injective"].inputs[0];
    const inv = invertNetwork(net, forwardNetwork(net, z));
    expect(inv.status).toBe("found");
    inv.x!.forEach((v, j) =>
      expect(Math.abs(v - z[j])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(z[j]))),
    );
  });

  it("torch-noninjective: an end-to-end witness", async () => {
    const net = load("torch-noninjective");
    const r = await checkNetwork(net);
    expect(r.injective).toBe(false);
    const { x1, x2 } = r.witness!;
    expect(x1).not.toEqual(x2);
    const y1 = forwardNetwork(net, x1);
    const y2 = forwardNetwork(net, x2);
    y1.forEach((v, i) => expect(Math.abs(v - y2[i])).toBeLessThanOrEqual(1e-9));
  });
});
