/**
 * A minimal feed-forward network model: a chain of dense layers `h ↦ σ(W h + b)` with σ = ReLU or
 * the identity, as in the paper's equation (2). It is what the constructions return (Corollary 3's
 * cascades, Theorem 5's injective approximations) and what `src/io/network-file.ts` reads and
 * writes. Convolutions, batch norm and model import come in a later issue.
 *
 * Shapes: layer `l` has `W` of shape (d_{l+1}, d_l), rows are output units, and `b` of length
 * d_{l+1}; `d_0 = inputDim`. Pure TypeScript, no Node APIs.
 */

import { assertRange, assertType, validateChoice, validateMatrix, validateVector } from "../core/validate.js";

/** The activations a dense layer may have. */
export const ACTIVATIONS = ["relu", "linear"] as const;

/** A dense layer `h ↦ σ(W h + b)`. */
export interface DenseLayerSpec {
  type: "dense";
  /** Weights, shape (out, in); rows are output units. */
  W: number[][];
  /** Bias, length out; absent means zero. */
  b?: number[];
  /** `relu`: σ = max(0, ·) entrywise; `linear`: σ = identity. */
  activation: "relu" | "linear";
}

/** A network `R^inputDim → R^out`: the layers applied in order. */
export interface Network {
  format: "injective-relu/network";
  version: 1;
  /** Input dimension n (= columns of the first layer's W). */
  inputDim: number;
  /** At least one layer; each layer's W has as many columns as the previous layer has rows. */
  layers: DenseLayerSpec[];
}

/** The format tag of {@link Network}. */
export const NETWORK_FORMAT = "injective-relu/network";

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 30 ? x.slice(0, 30) + "…" : x)}`;
  if (typeof x === "number") return String(x);
  return typeof x === "object" ? "an object" : typeof x;
}

/**
 * Validates a network: the format tag and version, a positive integer `inputDim`, a non-empty
 * array of dense layers with finite W (and b of matching length when present), a known
 * activation, and shapes that chain (`layers[0].W` has `inputDim` columns, `layers[l].W` has as
 * many columns as `layers[l−1].W` has rows).
 *
 * @param fn name of the calling function, put at the start of messages (`"forwardNetwork()"`)
 * @param net the value to check
 * @returns the same value, typed
 * @throws InputTypeError for wrong types, InputRangeError for wrong sizes, shapes or non-finite values
 */
export function validateNetwork(fn: string, net: unknown): Network {
  assertType(
    typeof net === "object" && net !== null && !Array.isArray(net),
    () => `${fn}: the network must be an object {"format": "${NETWORK_FORMAT}", ...}, got ${describe(net)}`,
  );
  const obj = net as Record<string, unknown>;
  assertType(
    obj.format === NETWORK_FORMAT,
    () =>
      `${fn}: "format" must be "${NETWORK_FORMAT}", got ${describe(obj.format)}` +
      ("W" in obj ? ' (this looks like a single layer {"W", "b"}; a network lists its layers)' : ""),
  );
  assertRange(
    obj.version === 1,
    () => `${fn}: unsupported network version ${describe(obj.version)} (this release reads version 1)`,
  );
  assertType(
    typeof obj.inputDim === "number",
    () => `${fn}: "inputDim" must be a positive integer, got ${describe(obj.inputDim)}`,
  );
  const inputDim = obj.inputDim;
  assertRange(
    Number.isSafeInteger(inputDim) && inputDim > 0,
    () => `${fn}: "inputDim" must be a positive integer, got ${inputDim}`,
  );
  assertType(
    Array.isArray(obj.layers),
    () => `${fn}: "layers" must be an array, got ${describe(obj.layers)}`,
  );
  const layers = obj.layers as unknown[];
  assertRange(layers.length > 0, () => `${fn}: "layers" is empty (a network needs at least one layer)`);
  let width = inputDim;
  layers.forEach((layer, l) => {
    const name = `layers[${l}]`;
    assertType(
      typeof layer === "object" && layer !== null && !Array.isArray(layer),
      () =>
        `${fn}: ${name} must be an object {"type": "dense", "W", "b"?, "activation"}, got ${describe(layer)}`,
    );
    const L = layer as Record<string, unknown>;
    assertType(
      L.type === "dense",
      () =>
        `${fn}: ${name}.type must be "dense" (the only layer type of this release), got ${describe(L.type)}`,
    );
    const W = validateMatrix(fn, `${name}.W`, L.W);
    assertRange(
      W[0].length === width,
      () =>
        `${fn}: ${name}.W has ${W[0].length} columns, but its input has dimension ${width}` +
        (l === 0 ? " (inputDim)" : ` (the number of rows of layers[${l - 1}].W)`),
    );
    if (L.b !== undefined && L.b !== null) {
      const b = validateVector(fn, `${name}.b`, L.b);
      assertRange(
        b.length === W.length,
        () =>
          `${fn}: ${name}.b has length ${b.length}, expected ${W.length} (one entry per row of ${name}.W)`,
      );
    }
    validateChoice(fn, `${name}.activation`, L.activation, ACTIVATIONS);
    width = W.length;
  });
  return net as Network;
}

/** The dimensions d_0 = inputDim, d_1, …, d_L of a (valid) network's layers. */
export function networkDims(net: Network): number[] {
  return [net.inputDim, ...net.layers.map((layer) => layer.W.length)];
}

/** Output dimension of a (valid) network. */
export function outputDim(net: Network): number {
  return net.layers[net.layers.length - 1].W.length;
}

/**
 * Applies one dense layer without validation: `σ(W h + b)`.
 * @param layer a layer whose W has `h.length` columns
 * @returns the `W.length` outputs
 */
export function applyLayer(layer: DenseLayerSpec, h: ArrayLike<number>): number[] {
  const { W, b } = layer;
  const relu = layer.activation === "relu";
  const out = new Array<number>(W.length);
  for (let i = 0; i < W.length; i++) {
    const row = W[i];
    let s = b ? b[i] : 0;
    for (let j = 0; j < row.length; j++) s += row[j] * h[j];
    out[i] = relu && s < 0 ? 0 : s;
  }
  return out;
}

/**
 * Forward pass of a network.
 * @param net a network (validated here)
 * @param x input of length `net.inputDim`
 * @returns the output, of length `W.length` of the last layer
 * @throws InputTypeError or InputRangeError for an invalid network or an input of the wrong length
 */
export function forwardNetwork(net: Network, x: number[]): number[] {
  const fn = "forwardNetwork()";
  validateNetwork(fn, net);
  validateVector(fn, "x", x);
  assertRange(
    x.length === net.inputDim,
    () => `${fn}: x has length ${x.length}, expected ${net.inputDim} (the network's inputDim)`,
  );
  return forwardUnchecked(net, x);
}

/** Forward pass without validation, for hot loops over a network validated once. */
export function forwardUnchecked(net: Network, x: ArrayLike<number>): number[] {
  let h: ArrayLike<number> = x;
  for (const layer of net.layers) h = applyLayer(layer, h);
  return h as number[];
}
