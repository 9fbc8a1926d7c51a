/**
 * checkLayer within a {@link Budget}: the callers that share one budget between several stages (the
 * CLI, check-network, Theorem 4's boxes, the inverse Lipschitz constants) pass the time left, the
 * signal and the memory limit on to ./check-layer.ts, which checks them in every stage (the exact
 * integer form of W, the exact rank, the structure test, the searches and the exact re-checks) and
 * answers unknown, naming the stage, when one runs out.
 */

import type { CheckLayerOptions, LayerCheckResult } from "./types.js";
import { Budget, type ResourceLimitError } from "./budget.js";
import { checkLayer } from "./check-layer.js";

/**
 * {@link checkLayer} on W, b within `budget`: its time left, its signal and its memory limit.
 * @param what the layer in words, for the message when the budget has run out before the start
 * @throws ResourceLimitError when the budget has run out before the check starts
 */
export async function checkLayerWithin(
  W: number[][],
  b: number[] | null | undefined,
  options: Omit<CheckLayerOptions, "timeLimitMs" | "signal" | "memoryLimitBytes">,
  budget: Budget,
  what = "the layer",
): Promise<LayerCheckResult> {
  budget.check(`the check of ${what}`);
  return checkLayer(W, b, { ...options, ...budget.options() });
}

/**
 * The result of a layer check that a resource limit stopped before checkLayer could run (for
 * example while the layer's explicit matrix was refused): `injective: null`, method `none`, the
 * limit and the stage in the reason and in `limit` (rank -1: not computed).
 */
export function limitedLayerResult(
  m: number,
  n: number,
  e: ResourceLimitError,
  options: Pick<CheckLayerOptions, "domain" | "tolerance" | "seed"> = {},
): LayerCheckResult {
  return {
    injective: null,
    domain: options.domain ?? "all",
    method: "none",
    reason: `Unknown: ${e.message}.`,
    assumptions: [],
    m,
    n,
    rank: -1,
    exact: false,
    tolerance: options.tolerance ?? 1e-9,
    seed: options.seed ?? 1,
    stats: {
      hyperplanesVisited: 0,
      hyperplanesTotal: 0,
      distinctHyperplanes: 0,
      prunedByDuals: 0,
      lpSolves: 0,
      falsifierSamples: 0,
      timeMs: 0,
    },
    limit: { kind: e.kind, stage: e.stage },
  };
}
