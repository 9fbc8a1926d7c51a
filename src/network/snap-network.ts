/**
 * "Injective up to noise ε" for whole networks: {@link snapLayer} applied to every dense layer that
 * stores its weights (see src/core/snap.ts), and to the output-channel filters of every
 * convolution: a filter within angle ε of another filter's line becomes that filter times ±2^k,
 * its bias rescaled by the same positive factor, so that trained pairs [C; −s²C] whose products
 * were rounded to float32 (a PyTorch or TF.js export of the paper's DCGAN) become exact pairs that
 * the rules `conv-pairs` and `conv-bn-pairs` of check-network recognise.
 *
 * A snapped row is the original row turned by at most ε **and scaled by a factor c > 0** (c within
 * √2 of 1, so that the copy is an exact power-of-two multiple). Inside a network the scale is
 * compensated, so that the snapped network computes, up to rounding, c ⊙ (the network with only
 * the directions turned) at that layer and exactly the same downstream: the factor passes through
 * a positively homogeneous activation (ReLU, leaky ReLU, linear) and a reshape, is absorbed by a
 * batch norm's mean and shift (β and the running mean scale with it), and is divided out of the
 * next weighted layer's input columns (a dense layer's columns, or a convolution's input
 * channels). A factor left at the output scales the output only, which keeps injectivity. A layer
 * whose factors could not be compensated (a tanh or sigmoid in between, or a convolution whose
 * input channels mix differently scaled units) is not snapped; neither is a layer whose own
 * activation is not positively homogeneous (tanh, sigmoid: a factor would change the function).
 * The snapped network is then checked exactly; its verdict is about a network whose dense rows
 * and convolution filters are within angle ε of the given ones, with every other parameter the
 * same up to rounding.
 */

import { snapLayer, type SnappedRow } from "../core/snap.js";
import { outputFilters } from "./conv-pairs.js";
import { convGeometry } from "../model/conv-layer.js";
import {
  batchNormLayer,
  convLayer,
  layerOutputDim,
  type DenseLayerSpec,
  type Network,
} from "../model/network.js";

/** What {@link snapNetwork} moved in one layer. */
export interface SnappedLayer {
  index: number;
  /** For a convolution, `snapped` lists output channels (filters), not rows of its matrix. */
  kind?: "rows" | "filters";
  snapped: SnappedRow[];
  maxAngle: number;
}

/** Result of {@link snapNetwork}. */
export interface SnapNetworkResult {
  network: Network;
  layers: SnappedLayer[];
  maxAngle: number;
  epsilon: number;
  /**
   * The positive factor per output left by snapped rows of the last weighted layer (null when
   * none): the snapped network's output is `outputScale ⊙` the output of the network with only
   * the directions turned.
   */
  outputScale: number[] | null;
  /** Layers with rows within ε of a pair that were left as they are, and why. */
  notSnapped: { index: number; reason: string }[];
}

const HOMOGENEOUS = new Set(["relu", "linear", "leaky_relu"]);

/** A layer with weights of its own (dense W or a convolution), as opposed to BN, reshape, activation. */
function weighted(layer: DenseLayerSpec): boolean {
  return (
    layer.conv !== undefined ||
    (layer.W !== undefined && !layer.batchnorm && !layer.reshape && !layer.identity)
  );
}

/** The factor of every input channel of a convolution, when the per-unit factors are constant on each; else null. */
function channelFactors(layer: DenseLayerSpec, carry: readonly number[]): number[] | null {
  const g = convGeometry("snapNetwork()", "conv", layer.conv!);
  const per = carry.length / g.c;
  if (!Number.isInteger(per)) return null;
  const out: number[] = [];
  for (let ch = 0; ch < g.c; ch++) {
    for (let i = ch * per; i < (ch + 1) * per; i++) if (carry[i] !== carry[ch * per]) return null;
    out.push(carry[ch * per]);
  }
  return out;
}

/**
 * Why per-unit factors `carry` leaving layer l cannot be compensated downstream (null when they
 * can): walks through batch norms, reshapes and homogeneous activations to the next weighted layer.
 */
function blocked(layers: readonly DenseLayerSpec[], l: number, carry: readonly number[]): string | null {
  for (let k = l + 1; k < layers.length; k++) {
    const L = layers[k];
    if (weighted(L)) {
      if (L.conv && !channelFactors(L, carry))
        return `layer ${k}, a convolution, would need different factors inside one input channel`;
      return null;
    }
    if (!HOMOGENEOUS.has(L.activation))
      return `layer ${k} applies ${L.activation}, which does not commute with a positive scale`;
  }
  return null;
}

/** Layer `layer` with its input scaled by `carry` compensated; the factors it passes on (null: absorbed). */
function absorb(layer: DenseLayerSpec, carry: number[]): { layer: DenseLayerSpec; carry: number[] | null } {
  if (layer.batchnorm) {
    const p = layer.batchnorm;
    const p2 = { ...p, beta: p.beta.map((v, i) => v * carry[i]), mean: p.mean.map((v, i) => v * carry[i]) };
    // A stored W = diag(s) is unchanged (s does not move); b is rebuilt from the new β and mean.
    return { layer: { ...layer, b: batchNormLayer(p2).b, batchnorm: p2 }, carry };
  }
  if (layer.conv) {
    const f = channelFactors(layer, carry)!;
    const p = layer.conv;
    const k = p.kernels as unknown as unknown[];
    const div = (x: unknown, c: number): unknown =>
      Array.isArray(x) ? x.map((y) => div(y, c)) : (x as number) / c;
    // conv (q, c, kh[, kw]): input channel is the second index; conv_transpose (c, q, …): the first.
    const kernels =
      p.op === "conv"
        ? k.map((perOut) => (perOut as unknown[]).map((x, ch) => div(x, f[ch])))
        : k.map((x, ch) => div(x, f[ch]));
    return {
      layer: convLayer({ ...p, kernels: kernels as typeof p.kernels }, layer.activation, layer.alpha),
      carry: null,
    };
  }
  if (weighted(layer))
    return { layer: { ...layer, W: layer.W!.map((row) => row.map((v, i) => v / carry[i])) }, carry: null };
  return { layer, carry }; // a reshape or an activation alone
}

/**
 * Snaps the rows of every dense layer with stored weights and the filters of every convolution,
 * compensating the factors downstream (see the module header).
 * @param epsilon the largest angle moved (radians), in (0, 0.1]
 */
export function snapNetwork(net: Network, epsilon: number): SnapNetworkResult {
  const layers: SnappedLayer[] = [];
  const notSnapped: { index: number; reason: string }[] = [];
  let maxAngle = 0;
  const out = net.layers.slice();
  let carry: number[] | null = null;
  for (let index = 0; index < out.length; index++) {
    let layer = out[index];
    if (carry) ({ layer, carry } = absorb(layer, carry));
    out[index] = layer;
    if (!weighted(layer)) continue;
    const snapped = layer.conv ? snapConvFilters(layer, epsilon) : snapDense(layer, epsilon);
    if (!snapped) continue;
    if (!HOMOGENEOUS.has(layer.activation)) {
      notSnapped.push({
        index,
        reason: `its activation ${layer.activation} does not commute with a positive scale`,
      });
      continue;
    }
    const m = layerOutputDim(layer);
    const factors = new Array<number>(m).fill(1);
    const per = layer.conv ? m / convGeometry("snapNetwork()", "conv", layer.conv).q : 1;
    for (const r of snapped.snapped)
      for (let i = r.row * per; i < (r.row + 1) * per; i++) factors[i] = r.factor;
    const why = blocked(out, index, factors);
    if (why) {
      notSnapped.push({ index, reason: `the scale of its snapped rows cannot be compensated: ${why}` });
      continue;
    }
    out[index] = snapped.layer;
    carry = factors;
    layers.push({
      index,
      ...(layer.conv ? { kind: "filters" as const } : {}),
      snapped: snapped.snapped,
      maxAngle: snapped.maxAngle,
    });
    maxAngle = Math.max(maxAngle, snapped.maxAngle);
  }
  return { network: { ...net, layers: out }, layers, maxAngle, epsilon, outputScale: carry, notSnapped };
}

/** Snaps the rows of a dense layer; null when no row moved. */
function snapDense(
  layer: DenseLayerSpec,
  epsilon: number,
): { layer: DenseLayerSpec; snapped: SnappedRow[]; maxAngle: number } | null {
  const s = snapLayer(layer.W!, layer.b ?? null, epsilon);
  if (s.snapped.length === 0) return null;
  return {
    layer: { ...layer, W: s.W, ...(s.b ? { b: s.b } : {}) },
    snapped: s.snapped,
    maxAngle: s.maxAngle,
  };
}

/**
 * Snaps the output-channel filters of a convolution layer (see the module header); null when no
 * filter moved.
 */
function snapConvFilters(
  layer: DenseLayerSpec,
  epsilon: number,
): { layer: DenseLayerSpec; snapped: SnappedRow[]; maxAngle: number } | null {
  const p = layer.conv!;
  const filters = outputFilters(p);
  if (filters.every((f) => f.every((v) => v === 0))) return null;
  const s = snapLayer(filters, p.bias ?? null, epsilon);
  if (s.snapped.length === 0) return null;
  // Back to the record's nested layout: conv (q, c, kh[, kw]), conv_transpose (c, q, kh[, kw]).
  const nested = p.kernels as unknown as unknown[][];
  const c = p.op === "conv" ? nested[0].length : nested.length;
  const kk = filters[0].length / c;
  const shape = (flat: number[]): unknown => {
    // One channel's kernel: kh[, kw] entries, from the shape of the original.
    const sample = nested[0][0] as unknown[];
    if (!Array.isArray(sample[0])) return flat.slice();
    const kw = (sample[0] as unknown[]).length;
    return Array.from({ length: kk / kw }, (_, a) => flat.slice(a * kw, (a + 1) * kw));
  };
  const q = filters.length;
  const kernels =
    p.op === "conv"
      ? s.W.map((f) => Array.from({ length: c }, (_, ch) => shape(f.slice(ch * kk, (ch + 1) * kk))))
      : Array.from({ length: c }, (_, ch) =>
          Array.from({ length: q }, (_, o) => shape(s.W[o].slice(ch * kk, (ch + 1) * kk))),
        );
  const next = convLayer(
    { ...p, kernels: kernels as typeof p.kernels, ...(s.b ? { bias: s.b } : {}) },
    layer.activation,
    layer.alpha,
  );
  return { layer: next, snapped: s.snapped, maxAngle: s.maxAngle };
}
