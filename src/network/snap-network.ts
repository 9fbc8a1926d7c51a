/**
 * "Injective up to noise ε" for whole networks: {@link snapLayer} applied to every dense layer that
 * stores its weights (see src/core/snap.ts). Convolutions, batch norms and reshapes keep their
 * records (their structure is exact by construction of the record). The snapped network is then
 * checked exactly; its verdict is about a network whose layers are within relative ε of the given
 * ones, row by row.
 */

import { snapLayer, type SnappedRow } from "../core/snap.js";
import type { Network } from "./network.js";

/** What {@link snapNetwork} moved in one layer. */
export interface SnappedLayer {
  index: number;
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
    if (!layer.W || layer.conv || layer.batchnorm || layer.reshape) return layer;
    const s = snapLayer(layer.W, layer.b ?? null, epsilon);
    if (s.snapped.length === 0) return layer;
    layers.push({ index, snapped: s.snapped, maxAngle: s.maxAngle });
    maxAngle = Math.max(maxAngle, s.maxAngle);
    return { ...layer, W: s.W, ...(s.b ? { b: s.b } : {}) };
  });
  return { network: { ...net, layers: out }, layers, maxAngle, epsilon };
}
