/**
 * The phase-transition viewer: the committed results/phase/combined data (bundled with the page)
 * drawn as an interactive Vega-Lite chart, P(injective) against m/n for each n with the reference
 * thresholds (the spec of `injective-relu phase`, src/experiments/phase-plot-spec.ts, with
 * tooltips and a clickable legend). Vega is loaded only when the tab is first opened.
 */

import { phasePlotSpec, type PhasePlotData } from "./lib.js";

let shown = false;

/**
 * Draws the chart into `#phase-chart` (once).
 * @returns a promise that settles when the chart is drawn
 */
export async function showPhaseChart(): Promise<void> {
  if (shown) return;
  shown = true;
  const container = document.getElementById("phase-chart")!;
  const status = document.getElementById("phase-status")!;
  status.textContent = "drawing the chart…";
  try {
    const [vega, vegaLite, data] = await Promise.all([
      import("vega"),
      import("vega-lite"),
      import("../../results/phase/combined/phase.json"),
    ]);
    const width = Math.max(280, Math.min(900, container.clientWidth - 40));
    const spec = phasePlotSpec(data.default as unknown as PhasePlotData, {
      interactive: true,
      width,
      height: Math.round(Math.min(500, Math.max(260, width * 0.55))),
    });
    const compiled = vegaLite.compile(spec as never).spec;
    const view = new vega.View(vega.parse(compiled), {
      renderer: "svg",
      container,
      hover: true,
    });
    await view.runAsync();
    container
      .querySelector("svg")
      ?.setAttribute("aria-label", "Phase transition chart: P(injective) against m/n");
    status.textContent =
      "Pick an n in the menu below the chart to highlight its curve; hover a point for its values.";
    container.dataset.ready = "true";
  } catch (e) {
    status.textContent = `The chart could not be drawn: ${e instanceof Error ? e.message : String(e)}`;
    shown = false;
  }
}
