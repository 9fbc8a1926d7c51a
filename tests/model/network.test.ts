/**
 * Tests of the network model (src/model/network.ts): validation (shapes chain, finite numbers,
 * known layer types and activations; messages name the function and the layer) and the forward pass.
 */

import { describe, it, expect } from "vitest";
import { InputRangeError, InputTypeError } from "../../src/core/validate.js";
import {
  forwardNetwork,
  networkDims,
  outputDim,
  validateNetwork,
  type Network,
} from "../../src/model/network.js";

const FN = "test()";

function net(layers: Network["layers"], inputDim = 2): Network {
  return { format: "injective-relu/network", version: 1, inputDim, layers };
}

const TWO_LAYER = net([
  {
    type: "dense",
    W: [
      [1, -1],
      [2, 0],
      [0, 1],
    ],
    b: [0, -1, 0.5],
    activation: "relu",
  },
  {
    type: "dense",
    W: [
      [1, 1, 1],
      [0, -2, 1],
    ],
    activation: "linear",
  },
]);

/** The error thrown by `f`, which must be thrown. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("validateNetwork", () => {
  it("accepts a valid network and returns it", () => {
    expect(validateNetwork(FN, TWO_LAYER)).toBe(TWO_LAYER);
    expect(networkDims(TWO_LAYER)).toEqual([2, 3, 2]);
    expect(outputDim(TWO_LAYER)).toBe(2);
  });

  it("accepts a null bias as no bias", () => {
    const n = net([{ type: "dense", W: [[1, 0]], b: null as unknown as undefined, activation: "relu" }]);
    expect(() => validateNetwork(FN, n)).not.toThrow();
  });

  it.each<[string, unknown, typeof InputTypeError | typeof InputRangeError, RegExp]>([
    ["not an object", [1, 2], InputTypeError, /must be an object/],
    ["null", null, InputTypeError, /got null/],
    [
      "no format",
      { version: 1, inputDim: 2, layers: [] },
      InputTypeError,
      /"format" must be "injective-relu\/network"/,
    ],
    ["a layer file", { W: [[1, 0]] }, InputTypeError, /looks like a single layer/],
    ["version 2", { ...TWO_LAYER, version: 2 }, InputRangeError, /unsupported network version 2/],
    [
      "inputDim 0",
      { ...TWO_LAYER, inputDim: 0 },
      InputRangeError,
      /"inputDim" must be a positive integer, got 0/,
    ],
    ["inputDim 1.5", { ...TWO_LAYER, inputDim: 1.5 }, InputRangeError, /positive integer, got 1.5/],
    [
      "inputDim a string",
      { ...TWO_LAYER, inputDim: "2" },
      InputTypeError,
      /positive integer, got the string "2"/,
    ],
    ["layers not an array", { ...TWO_LAYER, layers: {} }, InputTypeError, /"layers" must be an array/],
    ["no layers", { ...TWO_LAYER, layers: [] }, InputRangeError, /"layers" is empty/],
  ])("rejects %s", (_name, value, cls, message) => {
    const e = thrown(() => validateNetwork(FN, value));
    expect(e).toBeInstanceOf(cls);
    expect(e.message).toMatch(/^test\(\): /);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain("\n");
  });

  it("rejects a layer of an unknown type, naming the layer", () => {
    const bad = net([{ type: "conv", W: [[1, 0]], activation: "relu" } as unknown as Network["layers"][0]]);
    expect(() => validateNetwork(FN, bad)).toThrow(/^test\(\): layers\[0\]\.type must be "dense"/);
  });

  it("rejects shapes that do not chain, naming both layers", () => {
    const bad = net([
      {
        type: "dense",
        W: [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        activation: "relu",
      },
      { type: "dense", W: [[1, 0]], activation: "linear" },
    ]);
    const e = thrown(() => validateNetwork(FN, bad));
    expect(e).toBeInstanceOf(InputRangeError);
    expect(e.message).toBe(
      "test(): layers[1].W has 2 columns, but its input has dimension 3 (the number of rows of layers[0].W)",
    );
  });

  it("rejects a first layer that does not match inputDim", () => {
    const bad = net([{ type: "dense", W: [[1, 0, 0]], activation: "relu" }], 2);
    expect(() => validateNetwork(FN, bad)).toThrow(
      /layers\[0\]\.W has 3 columns, but its input has dimension 2 \(inputDim\)/,
    );
  });

  it("rejects ragged, empty and non-finite weights with the layer's name", () => {
    const ragged = net([{ type: "dense", W: [[1, 0], [1]], activation: "relu" }]);
    expect(() => validateNetwork(FN, ragged)).toThrow(/layers\[0\]\.W is ragged/);
    const empty = net([{ type: "dense", W: [], activation: "relu" }]);
    expect(() => validateNetwork(FN, empty)).toThrow(/layers\[0\]\.W is empty/);
    const nan = net([{ type: "dense", W: [[1, NaN]], activation: "relu" }]);
    expect(() => validateNetwork(FN, nan)).toThrow(/layers\[0\]\.W must be finite, got NaN at \[0, 1\]/);
  });

  it("rejects a bias of the wrong length or with Infinity", () => {
    const short = net([
      {
        type: "dense",
        W: [
          [1, 0],
          [0, 1],
        ],
        b: [1],
        activation: "relu",
      },
    ]);
    expect(() => validateNetwork(FN, short)).toThrow(/layers\[0\]\.b has length 1, expected 2/);
    const inf = net([{ type: "dense", W: [[1, 0]], b: [Infinity], activation: "relu" }]);
    expect(() => validateNetwork(FN, inf)).toThrow(/layers\[0\]\.b must be finite/);
  });

  it("rejects an unknown activation", () => {
    const bad = net([{ type: "dense", W: [[1, 0]], activation: "softplus" as "relu" }]);
    expect(() => validateNetwork(FN, bad)).toThrow(/layers\[0\]\.activation must be one of relu, linear/);
  });
});

describe("forwardNetwork", () => {
  it("computes σ(W h + b) layer by layer", () => {
    // x = (1, 2): pre-activations (−1, 1, 2.5) → ReLU (0, 1, 2.5) → (3.5, 0.5).
    expect(forwardNetwork(TWO_LAYER, [1, 2])).toEqual([3.5, 0.5]);
    // x = (−1, 0): (−1, −3, 0.5) → (0, 0, 0.5) → (0.5, 0.5).
    expect(forwardNetwork(TWO_LAYER, [-1, 0])).toEqual([0.5, 0.5]);
  });

  it("a linear layer keeps negative values, a ReLU layer clips them", () => {
    const lin = net([{ type: "dense", W: [[-1, 0]], activation: "linear" }]);
    const relu = net([{ type: "dense", W: [[-1, 0]], activation: "relu" }]);
    expect(forwardNetwork(lin, [2, 5])).toEqual([-2]);
    expect(forwardNetwork(relu, [2, 5])).toEqual([0]);
  });

  it("rejects an input of the wrong length or with NaN", () => {
    expect(() => forwardNetwork(TWO_LAYER, [1])).toThrow(
      /^forwardNetwork\(\): x has length 1, expected 2 \(the network's inputDim\)/,
    );
    expect(() => forwardNetwork(TWO_LAYER, [1, NaN])).toThrow(/^forwardNetwork\(\): x must be finite/);
  });

  it("validates the network", () => {
    expect(() => forwardNetwork({ ...TWO_LAYER, version: 3 } as unknown as Network, [1, 2])).toThrow(
      /^forwardNetwork\(\): unsupported network version 3/,
    );
  });
});
