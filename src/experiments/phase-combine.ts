/**
 * Combines the reports of several phase sweeps (Theorem 2; docs/phase.md) that cover different n, for
 * example a full sweep for n <= 8 and smaller sweeps at n = 9 and 10 with fewer trials or ratios:
 * the points are joined, and the crossings α_½(n) and their extrapolation to n → ∞ are recomputed
 * on all of them. The extrapolation is reported for several smallest n, because the model
 * α_½(n) = a + c/n is only an assumption and the smallest n weigh most on it.
 */

import { InputRangeError } from "../core/validate.js";
import type { PhaseReport } from "./phase.js";
import { estimateCrossings, extrapolateCrossing } from "./phase-stats.js";
import type { PhaseCrossing, PhaseExtrapolation, PhasePoint, PointwisePoint } from "./phase-types.js";

/** One extrapolation, fitted on the crossings with n >= minN. */
export interface CombinedExtrapolation {
  minN: number;
  result: PhaseExtrapolation | null;
}

/** The content of a combined phase.json. */
export interface CombinedPhaseReport {
  format: "injective-relu/phase-combined";
  version: 1;
  /** The reports combined: where they came from, their parameters and compute. */
  sources: {
    dir: string;
    params: PhaseReport["params"];
    complete: boolean;
    compute: PhaseReport["compute"];
  }[];
  bias: boolean;
  points: PhasePoint[];
  crossings: PhaseCrossing[];
  /** The extrapolation used for the plot (n >= fitMinN). */
  extrapolation: PhaseExtrapolation | null;
  fitMinN: number;
  /** The same fit from other smallest n, as a sensitivity check. */
  extrapolations: CombinedExtrapolation[];
  pointwise: PointwisePoint[];
  /** Sum of the sources' wall and instance times (ms). */
  compute: { wallTimeMs: number; instanceTimeMs: number };
  files?: { csv: string; json: string; svg: string; png: string };
}

/**
 * Joins complete sweep reports.
 * @param fitMinN smallest n used by the extrapolation drawn in the plot
 * @throws InputRangeError when a report is partial or incomplete, when the reports mix bias and no
 *   bias, or when two reports both have points at the same n
 */
export function combinePhaseReports(
  sources: readonly { dir: string; report: PhaseReport }[],
  fitMinN: number,
): CombinedPhaseReport {
  if (sources.length === 0) throw new InputRangeError("phase combine: no reports given");
  const bias = sources[0].report.params.bias;
  const owner = new Map<number, string>();
  const points: PhasePoint[] = [];
  for (const { dir, report } of sources) {
    if (report.partial || !report.complete)
      throw new InputRangeError(`${dir}: the sweep is not complete (merge or resume it first)`);
    if (report.params.bias !== bias)
      throw new InputRangeError(`${dir}: mixes layers with and without bias with ${sources[0].dir}`);
    const ns = new Set(report.points.map((p) => p.n));
    for (const n of ns) {
      const other = owner.get(n);
      if (other !== undefined) throw new InputRangeError(`${dir} and ${other} both have points at n = ${n}`);
      owner.set(n, dir);
    }
    points.push(...report.points);
  }
  points.sort((a, b) => a.n - b.n || a.m - b.m);
  const crossings = estimateCrossings(points);
  const ns = [...new Set(points.map((p) => p.n))];
  const minNs = [...new Set([ns[0], 3, 4, 5, 6, fitMinN])].filter((k) => k >= ns[0]).sort((a, b) => a - b);
  const extrapolations = minNs.map((minN) => ({
    minN,
    result: extrapolateCrossing(crossings.filter((c) => c.n >= minN)),
  }));
  const seen = new Set<string>();
  const pointwise: PointwisePoint[] = [];
  for (const { report } of sources)
    for (const q of report.pointwise) {
      const key = `${q.n}/${q.m}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pointwise.push(q);
    }
  pointwise.sort((a, b) => a.n - b.n || a.m - b.m);
  return {
    format: "injective-relu/phase-combined",
    version: 1,
    sources: sources.map(({ dir, report }) => ({
      dir,
      params: report.params,
      complete: report.complete,
      compute: report.compute,
    })),
    bias,
    points,
    crossings,
    extrapolation: extrapolateCrossing(crossings.filter((c) => c.n >= fitMinN)),
    fitMinN,
    extrapolations,
    pointwise,
    compute: {
      wallTimeMs: sources.reduce((s, x) => s + x.report.compute.wallTimeMs, 0),
      instanceTimeMs: sources.reduce((s, x) => s + x.report.compute.instanceTimeMs, 0),
    },
  };
}
