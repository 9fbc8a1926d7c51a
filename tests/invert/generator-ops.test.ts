/**
 * The compiled operators of src/invert/generator-ops.ts against the network's own forward pass:
 * forward values, forward-mode Jacobians (against finite differences) and the adjoint identity
 * ⟨J v, g⟩ = ⟨v, Jᵀ g⟩, on dense, convolution, transposed convolution, batch norm and lone
 * activation layers.
 */

import { describe, it, expect } from "vitest";
import { Rng } from "../../src/core/random.js";
import { GeneratorOps } from "../../src/invert/generator-ops.js";
import { forwardNetwork, normalizeNetwork, type Network } from "../../src/model/network.js";
import { convGenerator, denseGenerator } from "../../src/invert/synthetic-generators.js";

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function checkOps(net: Network, seed: number): void {
  const rng = new Rng(seed);
  const ops = GeneratorOps.compile(net);
  const n = net.inputDim;
  const z = Array.from({ length: n }, () => rng.normal());
  const ref = forwardNetwork(net, z);
  const tr = ops.forward(z);
  const out = tr.out[tr.out.length - 1];
  const scale = Math.max(1, ...ref.map(Math.abs));
  ref.forEach((v, i) => expect(Math.abs(out[i] - v)).toBeLessThan(1e-12 * scale));
  // Jacobian of the last pre-activation: columns against central differences.
  const J = ops.jacobianPre(tr, undefined, 3);
  const m = ops.outputDim;
  const h = 1e-6;
  for (const j of [0, n - 1]) {
    const zp = z.slice();
    const zm = z.slice();
    zp[j] += h;
    zm[j] -= h;
    const tp = ops.forward(zp);
    const tm = ops.forward(zm);
    const L = tp.pre.length - 1;
    for (let i = 0; i < m; i++) {
      const fd = (tp.pre[L][i] - tm.pre[L][i]) / (2 * h);
      expect(Math.abs(J[i * n + j] - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
    }
  }
  // Adjoint identity.
  const v = Float64Array.from({ length: n }, () => rng.normal());
  const g = Float64Array.from({ length: m }, () => rng.normal());
  const Jv = ops.jvpPre(tr, v, 1);
  const JTg = ops.vjpPre(tr, g);
  expect(Math.abs(dot(Jv, g) - dot(v, JTg))).toBeLessThan(1e-9 * (1 + Math.abs(dot(Jv, g))));
}

describe("GeneratorOps", () => {
  it("dense network with leaky ReLU, batch norm and tanh", () => {
    const net = normalizeNetwork("t", {
      format: "injective-relu/network",
      version: 1,
      inputDim: 3,
      layers: [
        {
          type: "dense",
          W: [
            [1, 2, 0],
            [0, 1, -1],
            [2, 0, 1],
            [1, 1, 1],
            [-1, 0, 2],
          ],
          b: [0.1, -0.2, 0, 0.3, 0],
          activation: "leaky_relu",
          alpha: 0.2,
        },
        {
          type: "batchnorm",
          gamma: [1, 2, 0.5, 1, 1],
          beta: [0, 1, 0, 0, -1],
          mean: [0, 0, 1, 0, 0],
          var: [1, 4, 1, 1, 2],
        },
        { type: "activation", activation: "relu" },
        {
          type: "dense",
          W: [
            [1, 0, 1, 0, 1],
            [0, 1, 0, 1, 0],
            [1, 1, 1, 1, 1],
            [1, -1, 0, 0, 1],
          ],
          activation: "tanh",
        },
      ],
    });
    for (let s = 1; s <= 5; s++) checkOps(net, s);
  });

  it("random dense generators", () => {
    for (let s = 1; s <= 3; s++) checkOps(denseGenerator(4, [12, 30, 20], s), s);
  });

  it("convolutional generators (ConvTranspose stride 2, batch norm, ReLU, tanh)", () => {
    for (let s = 1; s <= 3; s++) checkOps(convGenerator({ z: 6, channels: [5, 4, 3], base: 2, seed: s }), s);
    checkOps(
      convGenerator({ z: 4, channels: [4, 3], base: 3, seed: 9, kernel: 3, padding: 1, out: "sigmoid" }),
      9,
    );
  });
});
