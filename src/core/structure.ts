/**
 * Sufficient test: always-active rows that span R^n (generalizes Corollary 2).
 *
 * Corollary 2: W = [B; −DB; M] with B a basis and D a positive diagonal is injective. The reason:
 * for every x one row of each antiparallel pair (b_k, −d_k b_k) is active, so the active rows always
 * contain a basis. With bias, a pair (w, −d w) with biases (β1, β2) always has an active row iff
 * β1 + β2/d >= 0 (on unit rows: b̂_i + b̂_j >= 0); this covers the Lemma 1 counterexample of the
 * notes. On the nonnegative orthant a single row with w >= 0 and b >= 0 is always active.
 * If the lines of such always-active groups span R^n, every active set spans R^n: injective.
 *
 * Each group is also a Motzkin dual (pair: equal weights on the unit rows; single orthant row:
 * weight 1), and spanning lines make every hyperplane miss one group, so the test returns an
 * ordinary dual-cover certificate.
 */

import type { Domain, Dual } from "./types.js";
import type { NormalizedLayer } from "./layer.js";
import { greedyIndependent } from "./dense.js";

/** An always-active group found by {@link alwaysActiveCover}. */
export interface ActiveGroup {
  kind: "pair" | "nonnegative-row";
  /** Original row indices. */
  rows: number[];
}

/**
 * Finds always-active groups whose lines span R^n.
 * @returns the groups used (n of them) and their duals, or null when the test does not apply
 */
export function alwaysActiveCover(
  layer: NormalizedLayer,
  domain: Domain,
  tolerance: number,
): { groups: ActiveGroup[]; duals: Dual[] } | null {
  const { n, count, rows, bias, index, logNorm } = layer;
  const groups: { group: ActiveGroup; line: number; dual: Dual }[] = [];
  if (domain === "nonnegative") {
    for (let i = 0; i < count; i++) {
      let nonneg = bias[i] >= 0;
      for (let j = 0; j < n && nonneg; j++) nonneg = rows[i * n + j] >= 0;
      if (nonneg) {
        groups.push({
          group: { kind: "nonnegative-row", rows: [index[i]] },
          line: i,
          dual: { rows: [index[i]], weights: [1] },
        });
      }
    }
  }
  for (let i = 0; i < count; i++) {
    for (let k = i + 1; k < count; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) {
        const d = rows[i * n + j] + rows[k * n + j];
        s += d * d;
      }
      if (Math.sqrt(s) > tolerance || bias[i] + bias[k] < 0) continue;
      // Weights 1/2 on the unit rows are weights ∝ 1/‖w‖ on the original rows, i.e. ‖w_k‖ : ‖w_i‖.
      const top = Math.max(logNorm[i], logNorm[k]);
      const ni = 2 ** (logNorm[i] - top);
      const nk = 2 ** (logNorm[k] - top);
      groups.push({
        group: { kind: "pair", rows: [index[i], index[k]] },
        line: i,
        dual: { rows: [index[i], index[k]], weights: [nk / (ni + nk), ni / (ni + nk)] },
      });
    }
  }
  if (groups.length < n) return null;
  const lines = Int32Array.from(groups.map((g) => g.line));
  // Pick groups greedily whose lines are independent; keep the first group of each line.
  const chosenLines = greedyIndependent(rows, n, lines, Math.max(tolerance, 1e-12));
  if (chosenLines.length < n) return null;
  const used = chosenLines.map((line) => groups.find((g) => g.line === line)!);
  return { groups: used.map((g) => g.group), duals: used.map((g) => g.dual) };
}
