/**
 * checkLayer within a {@link Budget}: the guards for the stages of ./check-layer.ts that do not take
 * a budget themselves yet.
 *
 * checkLayer honours its time limit and signal between the chunks of its searches, but two steps
 * before them run to their end: the rank test (an SVD of the unit rows, which ml-matrix cannot
 * interrupt, about two minutes for 2000 × 2000; or the exact rank of an integral layer) and the
 * copies of W it works on. {@link checkLayerWithin} refuses them up front, with a
 * {@link ResourceLimitError} naming the stage, when the SVD cannot finish in the time left
 * (./linalg.ts, {@link guardSvd}) or the copies would exceed the memory limit; then it runs
 * checkLayer with the time left, the signal and the memory limit. Every caller of checkLayer that
 * has a budget goes through it.
 */

import type { CheckLayerOptions, LayerCheckResult } from "./types.js";
import { Budget, formatCount, matrixBytes, type ResourceLimitError } from "./budget.js";
import { checkLayer } from "./check-layer.js";
import { guardSvd } from "./linalg.js";

/**
 * Refuses a checkLayer run on an m × n layer whose rank SVD cannot finish in the budget's time or
 * whose working copies (unit rows as a Float64Array and as rows, the SVD's matrices) exceed its
 * memory limit.
 * @param what the layer in words, for the message ("layer 2")
 * @throws ResourceLimitError naming the stage
 */
export function guardCheckLayer(m: number, n: number, budget: Budget, what = "the layer"): void {
  budget.check(`the check of ${what}`);
  budget.reserve(
    `the working copies of the ${formatCount(m)} × ${formatCount(n)} matrix of ${what}`,
    2 * matrixBytes(m, n) + m * n * 8,
  );
  guardSvd(`the rank test (SVD) of ${what}`, m, n, budget, true, true);
  // With fewer rows than columns the rank is below n, and the witness is a null vector: an SVD of
  // the rows padded to n × n (./check-layer.ts).
  if (m < n) guardSvd(`the rank witness (SVD of the rows padded to n × n) of ${what}`, n, n, budget, false);
}

/**
 * {@link checkLayer} on W, b within `budget` (see the module comment): the time left, the signal
 * and the memory limit are passed on, after {@link guardCheckLayer}.
 * @throws ResourceLimitError when a guarded stage cannot fit
 */
export async function checkLayerWithin(
  W: number[][],
  b: number[] | null | undefined,
  options: Omit<CheckLayerOptions, "timeLimitMs" | "signal" | "memoryLimitBytes">,
  budget: Budget,
  what = "the layer",
): Promise<LayerCheckResult> {
  guardCheckLayer(W.length, W.length > 0 ? W[0].length : 0, budget, what);
  return checkLayer(W, b, { ...options, ...budget.options() });
}

/**
 * The result of a layer check that a resource limit stopped before or inside a guarded stage:
 * `injective: null`, method `none`, the limit and the stage in the reason (rank -1: not computed).
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
  };
}
