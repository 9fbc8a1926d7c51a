/**
 * Fast falsifier: a randomized search for collision directions (few active rows).
 *
 * A collision exists iff some x in D has active rows of rank < n (Theorem 1). From a random start
 * x, a few subgradient steps push the active rows down (fewer active rows), then the n − 1 most
 * active independent rows span a hyperplane H, and the separation LP asks whether all rows off H can
 * be strictly negative. On non-injective layers this usually finds a witness within a few restarts;
 * it never proves injectivity, but the duals it meets are handed to the exhaustive search.
 */

import type { Domain } from "./types.js";
import type { NormalizedLayer } from "./layer.js";
import { Rng } from "./random.js";
import { dotAt, greedyIndependent, orthogonalComplementVector, residualAgainst } from "./dense.js";
import type { HyperplaneOracle, SeparationCandidate } from "./hyperplane-search.js";

/** Options of {@link falsify}. */
export interface FalsifyOptions {
  restarts: number;
  seed: number;
  /** performance.now() value after which to stop. */
  deadline: number;
  /** Polled between restarts. */
  shouldStop?: () => boolean;
}

/**
 * Runs the randomized search.
 * @returns a strictly feasible hyperplane (to be turned into a witness) and the samples used
 */
export function falsify(
  oracle: HyperplaneOracle,
  options: FalsifyOptions,
): { candidate: SeparationCandidate | null; samples: number } {
  const layer: NormalizedLayer = oracle.layer;
  const domain: Domain = oracle.domain;
  const { n, count, rows, bias } = layer;
  const rng = new Rng(options.seed);
  const x = new Float64Array(n);
  const g = new Float64Array(count);
  const d = new Float64Array(count);
  const Q = new Float64Array(n * n);
  const tmp = new Float64Array(n);
  const v = new Float64Array(n);
  let biasScale = 0;
  for (let i = 0; i < count; i++) biasScale = Math.max(biasScale, Math.abs(bias[i]));
  let samples = 0;
  for (let s = 0; s < options.restarts; s++) {
    if (performance.now() > options.deadline || options.shouldStop?.()) break;
    samples++;
    // Random start; with bias, at a random scale relative to the biases.
    const scale = biasScale > 0 ? biasScale * Math.exp(3 * (2 * rng.uniform() - 1)) : 1;
    for (let j = 0; j < n; j++) {
      const z = rng.normal();
      x[j] = (domain === "nonnegative" ? Math.abs(z) : z) * scale;
    }
    // A few subgradient steps on Σ_active (<ŵ_i, x> + b̂_i).
    const steps = s % 2 === 0 ? 0 : 8;
    for (let it = 0; it <= steps; it++) {
      for (let i = 0; i < count; i++) g[i] = dotAt(rows, i * n, x, 0, n) + bias[i];
      if (it === steps) break;
      const step = (0.3 * scale) / Math.sqrt(n);
      tmp.fill(0);
      let active = 0;
      for (let i = 0; i < count; i++) {
        if (g[i] >= 0) {
          active++;
          for (let j = 0; j < n; j++) tmp[j] += rows[i * n + j];
        }
      }
      if (active === 0) break;
      for (let j = 0; j < n; j++) {
        x[j] -= (step * tmp[j]) / active;
        if (domain === "nonnegative" && x[j] < 0) x[j] = 0;
      }
    }
    // Hyperplane through the n − 1 most active independent rows.
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => g[b] - g[a]);
    const chosen = greedyIndependent(rows, n, order, oracle.tolerance, n - 1);
    if (chosen.length < n - 1) continue;
    Q.fill(0);
    for (let t = 0; t < chosen.length; t++) {
      const r = residualAgainst(Q, t, n, rows, chosen[t] * n, tmp);
      for (let j = 0; j < n; j++) Q[t * n + j] = tmp[j] / r;
    }
    orthogonalComplementVector(Q, n - 1, n, v);
    for (let i = 0; i < count; i++) d[i] = dotAt(rows, i * n, v, 0, n);
    const candidate = oracle.settle(d, v, () => chosen.slice().sort((a, b) => a - b));
    if (candidate) return { candidate, samples };
  }
  return { candidate: null, samples };
}
