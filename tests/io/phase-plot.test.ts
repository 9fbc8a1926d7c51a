/**
 * The phase plot (src/io/phase-plot.ts, spec src/experiments/phase-plot-spec.ts): from a small
 * synthetic run, writes phase.svg (with the labeled reference lines) and phase.png (PNG magic
 * bytes), also without system fonts and with empty data.
 */

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it, expect } from "vitest";
import { Rng } from "../../src/core/random.js";
import { PHASE_REFERENCE_LINES, phasePlotSpec } from "../../src/experiments/phase-plot-spec.js";
import { estimateCrossings, extrapolateCrossing, wilsonInterval } from "../../src/experiments/phase-stats.js";
import type { PhasePoint } from "../../src/experiments/phase-types.js";
import { pointwiseCurve } from "../../src/experiments/pointwise.js";
import { renderPhaseSvg, svgToPng, writePhasePlots } from "../../src/io/phase-plot.js";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Seeded verdict counts from a logistic with crossing 6.7 − 10/n and slope growing like √n. */
function syntheticPoints(ns: number[], trials: number, seed: number): PhasePoint[] {
  const rng = new Rng(seed);
  const points: PhasePoint[] = [];
  for (const n of ns) {
    for (let m = 2 * n; m <= 12 * n; m += n / 2) {
      const ratio = m / n;
      const prob = 1 / (1 + Math.exp(-0.6 * Math.sqrt(n) * (ratio - (6.7 - 10 / n))));
      let injective = 0;
      for (let t = 0; t < trials; t++) if (rng.uniform() < prob) injective++;
      const w = wilsonInterval(injective, trials);
      points.push({
        n,
        m,
        ratio,
        bias: false,
        trials,
        injective,
        notInjective: trials - injective,
        unknown: 0,
        p: injective / trials,
        low: w.low,
        high: w.high,
        medianTimeMs: 1,
        maxTimeMs: 2,
      });
    }
  }
  return points;
}

function syntheticPlotData() {
  const points = syntheticPoints([8, 16, 32, 64], 60, 11);
  const crossings = estimateCrossings(points);
  const extrapolation = extrapolateCrossing(crossings);
  const pointwise = pointwiseCurve({
    ns: [8, 16, 32, 64, 1000],
    ratios: Array.from({ length: 41 }, (_, i) => 1.5 + i * 0.25),
    bias: false,
    trials: 40,
    seed: 3,
    monteCarloMaxN: 16,
  });
  return { points, crossings, extrapolation, pointwise };
}

describe("writePhasePlots", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("writes phase.svg with the reference labels and phase.png", async () => {
    const root = await mkdtemp(join(tmpdir(), "phase-plot-"));
    dirs.push(root);
    const data = syntheticPlotData();
    expect(data.extrapolation).not.toBeNull();
    const dir = join(root, "nested", "out");
    const paths = await writePhasePlots(dir, data);
    expect(paths).toEqual({ svg: join(dir, "phase.svg"), png: join(dir, "phase.png") });
    const svg = await readFile(paths.svg, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    for (const r of PHASE_REFERENCE_LINES) expect(svg).toContain(r.label.replace(/&/g, "&amp;"));
    expect(svg).toContain("Theorem 2 lower bound");
    expect(svg).toContain("α½(∞) =");
    expect(svg).toContain("n = 64");
    const png = await readFile(paths.png);
    expect([...png.subarray(0, 8)]).toEqual(PNG_MAGIC);
    expect(png.readUInt32BE(16)).toBe(1400); // IHDR width
  });

  it("renders empty data and rasterizes without system fonts", async () => {
    const svg = await renderPhaseSvg({ points: [], crossings: [], extrapolation: null, pointwise: [] });
    expect(svg).toContain("7.65: proved upper bound");
    expect(svg).toContain("No extrapolation");
    const png = svgToPng(svg, { loadSystemFonts: false });
    expect([...png.subarray(0, 8)]).toEqual(PNG_MAGIC);
  });

  it("spec: at most 4 pointwise curves, x domain covers 2..12", () => {
    const spec = phasePlotSpec(syntheticPlotData()) as {
      layer: { data: { values: { pointwiseSeries?: string }[] } }[];
    };
    const dashed = spec.layer.find((l) => l.data.values.some((v) => typeof v.pointwiseSeries === "string"))!;
    const series = new Set(dashed.data.values.map((v) => v.pointwiseSeries));
    expect([...series]).toEqual([
      "pointwise, n = 8",
      "pointwise, n = 16",
      "pointwise, n = 64",
      "pointwise, n = 1000",
    ]);
    expect(JSON.stringify(spec)).toContain('"domain":[1.5,12]');
  });
});
