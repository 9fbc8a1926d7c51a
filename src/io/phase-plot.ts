/**
 * Renders the phase-transition plot (spec: src/experiments/phase-plot-spec.ts) to `phase.svg` and
 * `phase.png`: Vega-Lite → Vega → SVG (headless view, renderer "none"), then SVG → PNG with resvg.
 *
 * Fonts come from the system (DejaVu Sans preferred). On a machine without fonts, resvg draws the
 * graphics and skips the text: rendering does not fail.
 */

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { phasePlotSpec, type PhasePlotData } from "../experiments/phase-plot-spec.js";
import type {
  PhaseCrossing,
  PhaseExtrapolation,
  PhasePoint,
  PointwisePoint,
} from "../experiments/phase-types.js";

/** Width of the PNG in pixels. */
export const PHASE_PNG_WIDTH = 1400;

/** Compiles the Vega-Lite spec of the phase plot and renders it to an SVG string. */
export async function renderPhaseSvg(data: PhasePlotData): Promise<string> {
  const spec = compile(phasePlotSpec(data) as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Rasterizes an SVG to PNG, PHASE_PNG_WIDTH pixels wide.
 * @param options.loadSystemFonts look up system fonts (default true); without any font the text is
 *   left out and the rest is drawn
 */
export function svgToPng(svg: string, options: { loadSystemFonts?: boolean } = {}): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "width", value: PHASE_PNG_WIDTH },
    font: {
      loadSystemFonts: options.loadSystemFonts ?? true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  return resvg.render().asPng();
}

/**
 * Writes `dir/phase.svg` and `dir/phase.png` (creating `dir` if needed): P(injective) against
 * m/n per n with Wilson bars, the pointwise curves, the reference thresholds, the crossings
 * α_½(n) and the extrapolated α_½(∞).
 * @returns the paths written
 */
export async function writePhasePlots(
  dir: string,
  data: {
    points: PhasePoint[];
    crossings: PhaseCrossing[];
    extrapolation: PhaseExtrapolation | null;
    pointwise: PointwisePoint[];
  },
): Promise<{ svg: string; png: string }> {
  const svgText = await renderPhaseSvg(data);
  const pngBytes = svgToPng(svgText);
  await mkdir(dir, { recursive: true });
  const svg = join(dir, "phase.svg");
  const png = join(dir, "phase.png");
  await writeFile(svg, svgText);
  await writeFile(png, pngBytes);
  return { svg, png };
}
