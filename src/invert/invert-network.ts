/**
 * Exact layerwise inversion of a network of dense layers on its range (paper, Corollary 1: a
 * composition of injective layers is injective, and its inverse is the composition of the layer
 * inverses, applied from the output back).
 *
 * `invertNetwork(net, y)` inverts the last layer at y, then the layer before at that preimage, and
 * so on (./invert-layer.ts). A layer after a ReLU (or a sigmoid) is inverted on the nonnegative
 * orthant, the first layer and a layer after another layer on all of R^d (a flatten/reshape passes
 * its input's domain on). A one-to-one activation (leaky ReLU, tanh, sigmoid) is inverted
 * elementwise first (leaky inverse, atanh, logit; a value outside (−1, 1) for tanh or (0, 1) for
 * sigmoid has no preimage), then the linear part as for a linear layer; a batch norm with nonzero
 * scales is inverted by x_i = (y_i − b_i) / s_i and a flatten/reshape is the identity (both unique). The answer is honest about what it knows:
 *
 * - `found`: x with N(x) = y (re-checked by a forward pass); `unique` is true when every layer's
 *   preimage was unique, false when a second network preimage was found, null otherwise;
 * - `not-in-range`: some layer has no preimage and every later layer's preimage was unique, so y
 *   is not in the range of N;
 * - `inconclusive`: a layer has no preimage, but a later layer's preimage was not unique and another
 *   choice there might have led back to an input.
 */

import { Budget, isResourceLimitError, type BudgetOptions } from "../core/budget.js";
import { maxAbs } from "../core/linalg.js";
import type { Domain } from "../core/types.js";
import { assertRange, validateOptions, validateVector } from "../core/validate.js";
import {
  batchNormScales,
  forwardUnchecked,
  inverseActivation,
  layerDomain,
  layerInputDim,
  layerMatrix,
  layerOutputDim,
  validateNetwork,
  type DenseLayerSpec,
  type Network,
} from "../model/network.js";
import { invertUnchecked, type LayerInverse } from "./invert-layer.js";
import { DEFAULT_TOLERANCE, NETWORK_RESIDUAL_FACTOR, validateTolerance } from "../core/numerics.js";

/**
 * Options of {@link invertNetwork}. `timeLimitMs`, `signal` and `memoryLimitBytes` (default 2 GiB:
 * the explicit matrix of a convolution layer, the LPs, the SVDs and QRs) bound the work; when one
 * runs out the status is `inconclusive` with the stage named in the reason.
 */
export interface InvertNetworkOptions extends BudgetOptions {
  /** Relative tolerance of every layer inversion and of the final forward re-check. @default 1e-9 */
  tolerance?: number;
  /**
   * Known injectivity of each layer on its domain (for example from checkNetwork), index by index;
   * `true` entries make that layer's preimage unique without the uniqueness LPs.
   */
  injectiveLayers?: (boolean | null)[];
  /** Look for a second network preimage when a layer's preimage is not unique. @default true */
  findSecond?: boolean;
}

/** One layer's inversion inside {@link invertNetwork}. */
export interface NetworkLayerInverse {
  index: number;
  domain: Domain;
  found: boolean;
  residual: number;
  unique: boolean | null;
  method: LayerInverse["method"];
  uniqueness: string;
}

/** Result of {@link invertNetwork}. */
export interface NetworkInverse {
  status: "found" | "not-in-range" | "inconclusive";
  /** The network input (when found); otherwise absent. */
  x?: number[];
  /** Relative residual ‖N(x) − y‖∞ / max(‖y‖∞, tiny) of the found x; otherwise the failing layer's residual. */
  residual: number;
  /** true: x is the only preimage; false: `x2` is another one; null: not decided. */
  unique: boolean | null;
  /** A second network preimage, when `unique === false`. */
  x2?: number[];
  /** The layers inverted, from the last one back (index = position in the network). */
  layers: NetworkLayerInverse[];
  /** Index of the layer that had no preimage, when not found. */
  failedLayer?: number;
  reason: string;
}

const FN = "invertNetwork()";

/**
 * Inverts a non-ReLU layer: a flatten/reshape (identity), a batch norm (elementwise when every
 * scale is nonzero), or a one-to-one activation (elementwise inverse, then the linear part).
 * Returns null when the generic linear path should be used for the whole layer.
 */
function invertSpecial(
  layer: DenseLayerSpec,
  h: number[],
  domain: Domain,
  tol: number,
  options: Pick<InvertNetworkOptions, "findSecond"> & {
    injective: boolean | null;
    checkUniqueness: boolean;
    budget: Budget;
    what: string;
  },
): LayerInverse | null {
  const m = layerOutputDim(layer);
  const n = layerInputDim(layer);
  const base = { method: "least-squares" as const, equationRows: m, equationRank: n, lpSolves: 0 };
  const exact = (x: number[], what: string): LayerInverse | null => {
    const xs = Math.max(1, maxAbs(x));
    if (domain === "nonnegative" && x.some((v) => v < -tol * xs)) return null;
    return {
      found: true,
      x,
      residual: 0,
      unique: true,
      uniqueness: `${what} is one-to-one, so the preimage is unique.`,
      ...base,
      reason: `Inverted the ${what} elementwise.`,
    };
  };
  if (layer.reshape) return exact(h.slice(), "flatten/reshape (the identity)");
  if (layer.batchnorm) {
    const b = layer.b ?? new Array<number>(m).fill(0);
    const s = batchNormScales(layer.batchnorm);
    if (s.some((v) => v === 0)) return null;
    return exact(
      h.map((v, i) => (v - b[i]) / s[i]),
      "batch norm (every scale nonzero)",
    );
  }
  if (layer.activation === "relu" || layer.activation === "linear") return null;
  const z: number[] = [];
  for (let i = 0; i < h.length; i++) {
    const t = inverseActivation(layer, h[i]);
    if (t === null || !Number.isFinite(t)) {
      return {
        found: false,
        x: [],
        residual: Infinity,
        unique: null,
        uniqueness: "",
        ...base,
        reason: `y[${i}] = ${h[i]} is outside the range of ${layer.activation} (${layer.activation === "tanh" ? "(−1, 1)" : "(0, 1)"}), so it has no preimage`,
      };
    }
    z.push(t);
  }
  const b = layer.b ?? new Array<number>(m).fill(0);
  const inv = invertUnchecked(
    layerMatrix(layer, options.budget, options.what),
    b,
    false,
    z,
    domain,
    tol,
    options,
  );
  return { ...inv, reason: `${layer.activation} inverted elementwise, then the linear part: ${inv.reason}` };
}

/** Relative distance ‖a − b‖∞ / max(‖b‖∞, tiny). */
function relDiff(a: number[], b: number[]): number {
  let err = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return s > 0 ? err / s : err;
}

interface Chain {
  ok: boolean;
  h: number[];
  layers: NetworkLayerInverse[];
  alternatives: { layer: number; point: number[] }[];
  failed?: { layer: number; inv: LayerInverse };
}

/** Inverts layers `upTo − 1, …, 0` starting from h (the output of layer upTo − 1). */
function invertChain(
  net: Network,
  upTo: number,
  h0: number[],
  tol: number,
  injective: (boolean | null)[] | undefined,
  checkUniqueness: boolean,
  budget: Budget,
): Chain {
  let h = h0;
  const layers: NetworkLayerInverse[] = [];
  const alternatives: Chain["alternatives"] = [];
  for (let l = upTo - 1; l >= 0; l--) {
    const layer = net.layers[l];
    const domain = layerDomain(net, l);
    const b = layer.b ?? new Array<number>(layerOutputDim(layer)).fill(0);
    const what = `layer ${l}`;
    const layerOptions = { injective: injective?.[l] ?? null, checkUniqueness, budget, what };
    budget.check(`the inversion of ${what}`);
    const inv =
      invertSpecial(layer, h, domain, tol, layerOptions) ??
      invertUnchecked(
        layerMatrix(layer, budget, what),
        b,
        layer.activation === "relu",
        h,
        domain,
        tol,
        layerOptions,
      );
    layers.push({
      index: l,
      domain,
      found: inv.found,
      residual: inv.residual,
      unique: inv.unique,
      method: inv.method,
      uniqueness: inv.uniqueness,
    });
    if (!inv.found) return { ok: false, h, layers, alternatives, failed: { layer: l, inv } };
    if (inv.alternative) alternatives.push({ layer: l, point: inv.alternative });
    h = inv.x;
  }
  return { ok: true, h, layers, alternatives };
}

/**
 * Inverts a network at y, layer by layer from the output (see the module comment).
 *
 * @param net a network of dense layers (validated here)
 * @param y a point of the output space
 * @returns the status, the preimage x when found (with N(x) = y re-checked by a forward pass), the
 *   residual, uniqueness (with a second preimage when one was found) and each layer's inversion
 *   (`inconclusive` with the stage named when the time limit, the signal or the memory limit stopped it)
 * @throws InputTypeError / InputRangeError for an invalid network, y of the wrong length, bad options
 *
 * @example
 * const r = invertNetwork(net, forwardNetwork(net, x)); // r.status === "found", r.x ≈ x when N is injective
 */
export function invertNetwork(net: Network, y: number[], options: InvertNetworkOptions = {}): NetworkInverse {
  validateNetwork(FN, net);
  validateVector(FN, "y", y);
  const L = net.layers.length;
  const out = layerOutputDim(net.layers[L - 1]);
  assertRange(
    y.length === out,
    () => `${FN}: y has length ${y.length}, expected ${out} (the network's output dimension)`,
  );
  validateOptions(FN, options);
  const tol = validateTolerance(FN, options.tolerance);
  const budget = Budget.from(FN, options);
  try {
    return invertWithin(net, y, L, tol, options, budget);
  } catch (e) {
    if (!isResourceLimitError(e)) throw e;
    return {
      status: "inconclusive",
      residual: NaN,
      unique: null,
      layers: [],
      reason: `Not decided: ${e.message}.`,
    };
  }
}

function invertWithin(
  net: Network,
  y: number[],
  L: number,
  tol: number,
  options: InvertNetworkOptions,
  budget: Budget,
): NetworkInverse {
  const chain = invertChain(net, L, y, tol, options.injectiveLayers, true, budget);
  if (!chain.ok) {
    const f = chain.failed!;
    const ambiguous = chain.layers.filter((r) => r.found && r.unique !== true).map((r) => r.index);
    const where = f.layer === L - 1 ? "y" : `the preimage found for layer ${f.layer + 1}'s output`;
    if (ambiguous.length === 0) {
      return {
        status: "not-in-range",
        residual: f.inv.residual,
        unique: null,
        layers: chain.layers,
        failedLayer: f.layer,
        reason: `y is not in the range of the network: ${where} has no preimage under layer ${f.layer} (${f.inv.reason.replace(/\.$/, "")}), and every later layer's preimage was unique.`,
      };
    }
    return {
      status: "inconclusive",
      residual: f.inv.residual,
      unique: null,
      layers: chain.layers,
      failedLayer: f.layer,
      reason: `No preimage found: ${where} has no preimage under layer ${f.layer}, but the preimage of layer(s) ${ambiguous.join(", ")} was not proved unique, and another choice there might lead back to an input.`,
    };
  }
  const x = chain.h;
  const residual = relDiff(forwardUnchecked(net, x), y);
  if (residual > Math.max(tol, DEFAULT_TOLERANCE) * NETWORK_RESIDUAL_FACTOR) {
    return {
      status: "inconclusive",
      residual,
      unique: null,
      layers: chain.layers,
      reason: `Every layer was inverted, but the forward pass of the result misses y by ${residual.toExponential(2)} (relative): rounding accumulated through the layers.`,
    };
  }
  let unique: boolean | null = chain.layers.every((r) => r.unique === true) ? true : null;
  let x2: number[] | undefined;
  if (unique === null && options.findSecond !== false) {
    // A second preimage at layer l lifts to a second network input when it is in the range of layers < l.
    for (const alt of chain.alternatives) {
      const back = invertChain(net, alt.layer, alt.point, tol, options.injectiveLayers, false, budget);
      if (
        back.ok &&
        relDiff(forwardUnchecked(net, back.h), y) <=
          NETWORK_RESIDUAL_FACTOR * Math.max(tol, DEFAULT_TOLERANCE)
      ) {
        unique = false;
        x2 = back.h;
        break;
      }
    }
  }
  const reason =
    unique === true
      ? `Found the preimage, and it is unique: every layer's preimage is unique (forward re-check: relative residual ${residual.toExponential(2)}).`
      : unique === false
        ? `Found a preimage, but not the only one: layer ${chain.alternatives.map((a) => a.layer).join(", ")} has several preimages, and a second one lifts back to a different input x2 (relative residual ${residual.toExponential(2)}).`
        : `Found a preimage (relative residual ${residual.toExponential(2)}), but its uniqueness is not proved: layer(s) ${chain.layers
            .filter((r) => r.unique !== true)
            .map((r) => r.index)
            .join(", ")} had several preimages and no other one led back to an input.`;
  return { status: "found", x, residual, unique, ...(x2 ? { x2 } : {}), layers: chain.layers, reason };
}
