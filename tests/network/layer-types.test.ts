/**
 * The layer types beyond ReLU/linear: leaky ReLU, tanh, sigmoid (one-to-one activations: injective
 * iff W has full column rank, Section 2), inference-mode batch norm (injective iff every scale is
 * nonzero, Appendix B) and flatten/reshape (identity). Verdicts, forward passes, inversion, files.
 */

import { describe, expect, it } from "vitest";
import { parseNetworkJson, stringifyNetwork } from "../../src/io/network-file.js";
import { invertNetwork } from "../../src/invert/invert-network.js";
import { checkNetwork } from "../../src/network/check-network.js";
import {
  batchNormLayer,
  forwardNetwork,
  normalizeNetwork,
  layerInputDim,
  validateNetwork,
  type DenseLayerSpec,
  type Network,
} from "../../src/model/network.js";

function net(layers: DenseLayerSpec[], inputDim = layerInputDim(layers[0])): Network {
  return { format: "injective-relu/network", version: 1, inputDim, layers };
}

const FULL = [
  [1, 0.5],
  [-0.5, 1],
  [0.25, 0.25],
];
const SINGULAR = [
  [1, 2],
  [2, 4],
  [-1, -2],
];

function close(a: number[], b: number[], tol = 1e-9): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(tol));
}

describe("check-network verdicts", () => {
  it("leaky ReLU with a singular W: not injective, with a forward-checked witness", async () => {
    const N = net([{ type: "dense", W: SINGULAR, b: [0, 1, 0], activation: "leaky_relu", alpha: 0.1 }]);
    const r = await checkNetwork(N);
    expect(r.injective).toBe(false);
    expect(r.layers[0]).toMatchObject({ rule: "one-to-one-rank", rank: 1, injective: false });
    const { x1, x2 } = r.witness!;
    expect(x1).not.toEqual(x2);
    close(forwardNetwork(N, x1), forwardNetwork(N, x2), 1e-12);
  });

  it("tanh with full column rank: injective", async () => {
    const r = await checkNetwork(net([{ type: "dense", W: FULL, activation: "tanh" }]));
    expect(r.injective).toBe(true);
    expect(r.layers[0]).toMatchObject({ rule: "one-to-one-rank", activation: "tanh", rank: 2 });
    expect(r.layers[0].reason).toMatch(/Section 2/);
  });

  it("batch norm: nonzero scales injective, a zero scale not injective with a witness", async () => {
    const p = { gamma: [1, 2], beta: [0, 1], mean: [0.5, 0], var: [1, 4], epsilon: 1e-5 };
    const ok = await checkNetwork(net([batchNormLayer(p)]));
    expect(ok.injective).toBe(true);
    expect(ok.layers[0]).toMatchObject({ kind: "batchnorm", rule: "batchnorm-scale" });
    const N = net([batchNormLayer({ ...p, gamma: [1, 0] })]);
    const bad = await checkNetwork(N);
    expect(bad.injective).toBe(false);
    expect(bad.layers[0].reason).toMatch(/channel 1/);
    close(forwardNetwork(N, bad.witness!.x1), forwardNetwork(N, bad.witness!.x2), 1e-12);
  });

  it("sigmoid outputs are positive: the next layer is checked on the orthant", async () => {
    const r = await checkNetwork(
      net([
        { type: "dense", W: FULL, activation: "sigmoid" },
        {
          type: "dense",
          W: [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
          activation: "relu",
        },
      ]),
    );
    expect(r.layers[1].domain).toBe("nonnegative");
    expect(r.injective).toBe(true);
  });
});

describe("forward and inversion", () => {
  const N = net([
    { type: "dense", W: FULL, b: [0.1, -0.2, 0], activation: "leaky_relu", alpha: 0.2 },
    batchNormLayer({
      gamma: [1, -2, 0.5],
      beta: [0, 1, 0],
      mean: [0.1, 0, 0],
      var: [1, 1, 0.25],
      epsilon: 0,
    }),
    {
      type: "dense",
      W: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 1],
      ],
      activation: "tanh",
    },
    {
      type: "dense",
      W: [
        [0.5, 0, 0, 0],
        [0, 0.5, 0, 0],
        [0, 0, 0.5, 0],
        [0, 0, 0, 0.5],
        [1, -1, 0, 0],
      ],
      activation: "sigmoid",
    },
  ]);

  it("forward: the activations and the batch norm", () => {
    // Layer 0 at x = (1, −1): (1.1 − 0.5, −0.5 − 1 − 0.2, 0) = (0.6, −1.7, 0) → leaky (0.6, −0.34, 0).
    const h0 = forwardNetwork(net([N.layers[0]], 2), [1, -1]);
    close(h0, [0.6, -0.34, 0], 1e-12);
    const h1 = forwardNetwork(net(N.layers.slice(0, 2), 2), [1, -1]);
    close(h1, [0.5, 1.68, 0], 1e-12);
    const y = forwardNetwork(N, [1, -1]);
    const t = [Math.tanh(0.5), Math.tanh(1.68), 0, Math.tanh(2.18)];
    const z = [0.5 * t[0], 0.5 * t[1], 0.5 * t[2], 0.5 * t[3], t[0] - t[1]];
    close(
      y,
      z.map((v) => 1 / (1 + Math.exp(-v))),
      1e-12,
    );
  });

  it("inversion round trip: found, unique, the input back", () => {
    for (const x of [
      [1, -1],
      [-0.3, 0.7],
      [0, 0],
    ]) {
      const r = invertNetwork(N, forwardNetwork(N, x));
      expect(r.status).toBe("found");
      expect(r.unique).toBe(true);
      close(r.x!, x, 1e-8);
    }
  });

  it("values outside the range of tanh or sigmoid are not in the range", () => {
    const T = net([{ type: "dense", W: FULL, activation: "tanh" }]);
    const r = invertNetwork(T, [0.5, 1.2, 0]);
    expect(r.status).toBe("not-in-range");
    expect(r.reason).toMatch(/outside the range of tanh/);
    const S = net([{ type: "dense", W: FULL, activation: "sigmoid" }]);
    expect(invertNetwork(S, [0.5, 0, 0.5]).status).toBe("not-in-range");
  });
});

describe("validation and files", () => {
  it("rejects leaky ReLU without a positive alpha and an inconsistent batch-norm record", () => {
    expect(() => validateNetwork("f()", net([{ type: "dense", W: FULL, activation: "leaky_relu" }]))).toThrow(
      /layers\[0\]\.alpha must be a number/,
    );
    expect(() =>
      validateNetwork("f()", net([{ type: "dense", W: FULL, activation: "leaky_relu", alpha: 0 }])),
    ).toThrow(/alpha must be a positive finite number, got 0/);
    const bn = batchNormLayer({ gamma: [1], beta: [0], mean: [0], var: [1], epsilon: 0 });
    expect(() => validateNetwork("f()", net([{ ...bn, W: [[2]] }]))).toThrow(/not diag/);
  });

  it("reads the short file forms and writes them back", () => {
    const text = JSON.stringify({
      format: "injective-relu/network",
      version: 1,
      inputDim: 4,
      layers: [
        { type: "flatten", inputShape: [2, 2] },
        { type: "batchnorm", gamma: [1, 1, 1, 1], beta: [0, 0, 0, 0], mean: [0, 0, 0, 0], var: [1, 1, 1, 1] },
        {
          type: "dense",
          W: [
            [1, 0, 0, 0],
            [0, 1, 0, 0],
          ],
          activation: "sigmoid",
        },
      ],
    });
    const N = parseNetworkJson(text, "m.json");
    expect(N.layers[0].reshape).toEqual({ op: "flatten", inputShape: [2, 2], size: 4 });
    expect(N.layers[1].batchnorm!.epsilon).toBe(1e-5);
    const again = parseNetworkJson(stringifyNetwork(N), "again.json");
    expect(again).toEqual(N);
    expect(JSON.parse(stringifyNetwork(N)).layers[1].type).toBe("batchnorm");
    expect(() => parseNetworkJson(text.replace("[2,2]", "[3,2]"), "bad.json")).toThrow(
      /^bad\.json: layers\[0\]\.reshape\.inputShape \[3, 2\] has 6 entries, expected 4$/,
    );
    expect(() =>
      normalizeNetwork("f()", {
        ...JSON.parse(text),
        layers: [{ type: "batchnorm", gamma: [1], beta: [0], mean: [0], var: [1] }],
      }),
    ).toThrow(/has 1 channels, but its input has dimension 4/);
  });
});
