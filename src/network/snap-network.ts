/**
 * "Injective up to noise ε" for whole networks: {@link snapLayer} applied to every dense layer that
 * stores its weights (see src/core/snap.ts), and to the output-channel filters of every
 * convolution: a filter within angle ε of another filter's line becomes that filter times ±2^k,
 * its bias rescaled by the same positive factor, so that trained pairs [C; −s²C] whose products
 * were rounded to float32 (a PyTorch or TF.js export of the paper's DCGAN) become exact pairs that
 * the rule `conv-pairs` of check-network recognises. Batch norms and reshapes keep their records.
 * The snapped network is then checked exactly; its verdict is about a network whose dense rows,
 * and whose convolution filters, are within relative ε of the given ones.
 */

import { snapLayer, type SnappedRow } from "../core/snap.js";
import { outputFilters } from "./conv-pairs.js";
import { convLayer, type DenseLayerSpec, type Network } from "../model/network.js";

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
}

/**
 * Snaps the rows of every dense layer with stored weights (see the module header).
 * @param epsilon the largest angle moved (radians), in (0, 0.1]
 */
export function snapNetwork(net: Network, epsilon: number): SnapNetworkResult {
  const layers: SnappedLayer[] = [];
  let maxAngle = 0;
  const out = net.layers.map((layer, index) => {
    if (layer.conv) {
      const snapped = snapConvFilters(layer, epsilon);
      if (!snapped) return layer;
      layers.push({ index, kind: "filters", snapped: snapped.snapped, maxAngle: snapped.maxAngle });
      maxAngle = Math.max(maxAngle, snapped.maxAngle);
      return snapped.layer;
    }
    if (!layer.W || layer.batchnorm || layer.reshape) return layer;
    const s = snapLayer(layer.W, layer.b ?? null, epsilon);
    if (s.snapped.length === 0) return layer;
    layers.push({ index, snapped: s.snapped, maxAngle: s.maxAngle });
    maxAngle = Math.max(maxAngle, s.maxAngle);
    return { ...layer, W: s.W, ...(s.b ? { b: s.b } : {}) };
  });
  return { network: { ...net, layers: out }, layers, maxAngle, epsilon };
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
