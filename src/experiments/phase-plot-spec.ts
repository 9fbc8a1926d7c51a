/**
 * The Vega-Lite specification of the phase-transition plot (pure, browser-friendly: it builds a
 * plain object; src/io/phase-plot.ts compiles and renders it to SVG and PNG).
 *
 * x: ratio α = m/n (at least 2..12); y: probability. Layers, back to front:
 * - the extrapolated α_½(∞) as a band (its 95% interval) and a labeled rule;
 * - labeled vertical reference rules: 2 (pointwise threshold, Corollary 2 minimum), 3.4 and 10.5
 *   (Theorem 2's bounds), 6.698 (full-RSB prediction), 7.65 (proved upper bound, Maillard et al.);
 * - a horizontal rule at 1/2;
 * - pointwise invertibility P(Binomial(m, 1/2) ≥ n), exact, dashed grey (at most 4 values of n),
 *   with its Monte Carlo estimates as small grey circles;
 * - global injectivity P(injective) per n: colored lines with points and Wilson 95% error bars;
 * - the crossings α_½(n) as diamonds at y = 1/2 with horizontal 95% error bars.
 */

import type { PhaseCrossing, PhaseExtrapolation, PhasePoint, PointwisePoint } from "./phase-types.js";

/** Everything the plot shows. */
export interface PhasePlotData {
  points: PhasePoint[];
  crossings: PhaseCrossing[];
  extrapolation: PhaseExtrapolation | null;
  pointwise: PointwisePoint[];
}

/** A vertical reference line of the plot. */
export interface ReferenceLine {
  alpha: number;
  label: string;
}

/** The reference lines (Maillard et al. 2023; docs/phase.md), drawn and labeled on every plot. */
export const PHASE_REFERENCE_LINES: readonly ReferenceLine[] = [
  { alpha: 2, label: "2: pointwise threshold / Corollary 2 minimum" },
  { alpha: 3.4, label: "3.4: Theorem 2 lower bound" },
  { alpha: 6.698, label: "6.698: predicted threshold (full RSB)" },
  { alpha: 7.65, label: "7.65: proved upper bound (Maillard et al.)" },
  { alpha: 10.5, label: "10.5: Theorem 2 upper bound" },
];

/** At most this many pointwise curves are drawn (spread over the available n). */
const MAX_POINTWISE_CURVES = 4;

const DEFAULT_WIDTH = 900;
const DEFAULT_HEIGHT = 500;
const SUBTITLE_FONT_SIZE = 11;

function fmt(x: number, digits = 4): string {
  return Number(x.toPrecision(digits)).toString();
}

/** Greedy word wrap to lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** Up to `k` values spread over the sorted list, always including its ends. */
function spread(values: number[], k: number): number[] {
  if (values.length <= k) return values;
  const picked = new Set<number>();
  for (let i = 0; i < k; i++) picked.add(values[Math.round((i * (values.length - 1)) / (k - 1))]);
  return [...picked];
}

/** A text layer drawn twice: a white outline (halo) under the colored text. */
function haloText(
  values: Record<string, unknown>[],
  mark: Record<string, unknown>,
  fill: string,
  encoding: Record<string, unknown>,
): Record<string, unknown>[] {
  return [
    {
      data: { values },
      mark: { type: "text", ...mark, fill: "white", stroke: "white", strokeWidth: 3, strokeOpacity: 0.85 },
      encoding,
    },
    { data: { values }, mark: { type: "text", ...mark, fill }, encoding },
  ];
}

/** Options of {@link phasePlotSpec}. */
export interface PhasePlotOptions {
  /**
   * For a web page: tooltips on the points and crossings, and a menu (a Vega binding) that
   * highlights the curve of one n. @default false
   */
  interactive?: boolean;
  /** Plot width in pixels. @default 900 */
  width?: number;
  /** Plot height in pixels. @default 500 */
  height?: number;
}

/**
 * The Vega-Lite spec of the phase plot (a plain JSON object, Vega-Lite v6).
 * @param data the aggregated points, crossings, extrapolation and pointwise curves of one run
 * @param options interactivity and size (the defaults make the static plot of `phase`)
 */
export function phasePlotSpec(data: PhasePlotData, options: PhasePlotOptions = {}): Record<string, unknown> {
  const WIDTH = options.width ?? DEFAULT_WIDTH;
  const HEIGHT = options.height ?? DEFAULT_HEIGHT;
  const interactive = options.interactive === true;
  /** Highlights the curve of the n picked in the menu (all when none is). */
  const picked = interactive
    ? { opacity: { condition: { test: "pick === null || datum.n === pick", value: 1 }, value: 0.15 } }
    : {};
  const tip = (...fields: [string, string, string?][]): Record<string, unknown> =>
    interactive
      ? {
          tooltip: fields.map(([field, title, format]) => ({
            field,
            title,
            type: field === "series" ? "nominal" : "quantitative",
            ...(format ? { format } : {}),
          })),
        }
      : {};
  const decided = data.points.filter((p) => p.p !== null);
  const ns = [...new Set(decided.map((p) => p.n))].sort((a, b) => a - b);
  const seriesOf = (n: number): string => `n = ${n}`;
  const seriesDomain = ns.map(seriesOf);

  const pointwiseNs = spread(
    [...new Set(data.pointwise.map((p) => p.n))].sort((a, b) => a - b),
    MAX_POINTWISE_CURVES,
  );
  const pointwiseKeys = new Set<string>();
  const pointwise = data.pointwise.filter((p) => {
    const key = `${p.n},${p.m}`;
    if (!pointwiseNs.includes(p.n) || pointwiseKeys.has(key)) return false;
    pointwiseKeys.add(key);
    return true;
  });
  const pointwiseSeries = (n: number): string => `pointwise, n = ${n}`;

  const ratios = [...decided.map((p) => p.ratio), ...pointwise.map((p) => p.ratio)];
  const xDomain = [
    ratios.reduce((lo, r) => Math.min(lo, r), 2),
    ratios.reduce((hi, r) => Math.max(hi, r), 12),
  ];
  const x = (field: string): Record<string, unknown> => ({
    field,
    type: "quantitative",
    scale: { domain: xDomain, nice: false, zero: false },
    title: "ratio α = m/n",
  });
  const y = (field: string): Record<string, unknown> => ({
    field,
    type: "quantitative",
    scale: { domain: [0, 1] },
    title: "probability",
  });
  const color = {
    field: "series",
    type: "nominal",
    scale: { domain: seriesDomain.length > 0 ? seriesDomain : ["(no data)"], scheme: "viridis" },
    legend: { title: "global injectivity" },
  };

  const layers: Record<string, unknown>[] = [];
  const ex = data.extrapolation;
  if (ex !== null) {
    layers.push({
      data: { values: [{ low: ex.low, high: ex.high }] },
      mark: { type: "rect", color: "#e4572e", opacity: 0.12, clip: true },
      encoding: { x: x("low"), x2: { field: "high" } },
    });
  }
  layers.push(
    {
      data: { values: PHASE_REFERENCE_LINES.map((r) => ({ ...r })) },
      mark: { type: "rule", color: "#555", strokeWidth: 1, opacity: 0.7 },
      encoding: { x: x("alpha") },
    },
    {
      data: { values: [{ half: 0.5 }] },
      mark: { type: "rule", color: "#555", strokeDash: [2, 3] },
      encoding: { y: y("half") },
    },
  );
  if (pointwise.length > 0) {
    layers.push({
      data: {
        values: pointwise.map((p) => ({
          pointwiseSeries: pointwiseSeries(p.n),
          n: p.n,
          ratio: p.ratio,
          exact: p.exact,
        })),
      },
      mark: { type: "line", color: "#8a8a8a", strokeWidth: 1.5, clip: true },
      encoding: {
        x: x("ratio"),
        y: y("exact"),
        strokeDash: {
          field: "pointwiseSeries",
          type: "nominal",
          scale: {
            domain: pointwiseNs.map(pointwiseSeries),
            range: [
              [6, 3],
              [2, 2],
              [8, 3, 2, 3],
              [12, 4],
            ],
          },
          legend: { title: "pointwise (exact)" },
        },
        order: { field: "ratio", type: "quantitative" },
      },
    });
    const monteCarlo = pointwise.filter((p) => p.monteCarlo !== null);
    if (monteCarlo.length > 0) {
      layers.push({
        data: { values: monteCarlo.map((p) => ({ ratio: p.ratio, p: p.monteCarlo!.p })) },
        mark: { type: "point", shape: "circle", size: 14, color: "#8a8a8a", opacity: 0.8, clip: true },
        encoding: { x: x("ratio"), y: y("p") },
      });
    }
  }
  const global = decided.map((p) => ({
    series: seriesOf(p.n),
    n: p.n,
    ratio: p.ratio,
    p: p.p,
    low: p.low,
    high: p.high,
  }));
  if (global.length > 0) {
    layers.push(
      {
        data: { values: global },
        mark: { type: "rule", strokeWidth: 1.2, clip: true },
        encoding: {
          x: x("ratio"),
          y: y("low"),
          y2: { field: "high" },
          color,
          detail: { field: "series" },
          ...picked,
        },
      },
      {
        data: { values: global },
        mark: { type: "line", strokeWidth: 2, point: { filled: true, size: 30 }, clip: true },
        encoding: {
          x: x("ratio"),
          y: y("p"),
          color,
          order: { field: "ratio", type: "quantitative" },
          ...picked,
          ...tip(
            ["series", "n"],
            ["ratio", "m/n", ".3~f"],
            ["p", "P(injective)", ".3f"],
            ["low", "95% low", ".3f"],
            ["high", "95% high", ".3f"],
          ),
        },
      },
    );
  }
  const crossings = data.crossings
    .filter((c) => c.alpha !== null && ns.includes(c.n))
    .map((c) => ({
      series: seriesOf(c.n),
      n: c.n,
      alpha: c.alpha,
      low: c.low ?? c.alpha,
      high: c.high ?? c.alpha,
      half: 0.5,
    }));
  if (crossings.length > 0) {
    layers.push(
      {
        data: { values: crossings },
        mark: { type: "rule", strokeWidth: 3, opacity: 0.8, clip: true },
        encoding: { x: x("low"), x2: { field: "high" }, y: y("half"), color, ...picked },
      },
      {
        data: { values: crossings },
        mark: { type: "point", shape: "diamond", filled: true, size: 110, stroke: "black", strokeWidth: 0.8 },
        encoding: {
          x: x("alpha"),
          y: y("half"),
          color,
          ...picked,
          ...tip(
            ["series", "n"],
            ["alpha", "α½(n)", ".4~f"],
            ["low", "95% low", ".4~f"],
            ["high", "95% high", ".4~f"],
          ),
        },
      },
    );
  }
  const extrapolatedLabel =
    ex === null
      ? null
      : `α½(∞) = ${fmt(ex.alpha)} ± ${fmt(ex.stderr, 2)} (95% [${fmt(ex.low)}, ${fmt(ex.high)}])`;
  if (ex !== null) {
    layers.push(
      {
        data: { values: [{ alpha: ex.alpha }] },
        mark: { type: "rule", color: "#e4572e", strokeWidth: 2, clip: true },
        encoding: { x: x("alpha") },
      },
      ...haloText(
        [{ alpha: ex.alpha, label: extrapolatedLabel }],
        { angle: 270, align: "left", baseline: "top", dx: 6, dy: 4, fontSize: 12 },
        "#c0391b",
        { x: x("alpha"), y: { value: HEIGHT }, text: { field: "label" } },
      ),
    );
  }

  // Reference labels last, on top of the data, with a white halo to stay readable.
  layers.push(
    ...haloText(
      PHASE_REFERENCE_LINES.map((r) => ({ ...r })),
      { angle: 270, align: "right", baseline: "top", dx: -4, dy: 3, fontSize: 11 },
      "#333",
      { x: x("alpha"), y: { value: 0 }, text: { field: "label" } },
    ),
  );

  const biases = new Set([...data.points.map((p) => p.bias), ...data.pointwise.map((p) => p.bias)]);
  const layer =
    biases.size === 1
      ? [...biases][0]
        ? "ReLU(W x + b), Gaussian W and b"
        : "ReLU(W x), Gaussian W"
      : "Gaussian ReLU layers";
  // Vega estimates text widths (0.8·fontSize per character without a canvas), and a long subtitle
  // would widen the whole figure: wrap it to the plot width.
  const subtitleWidth = Math.floor(WIDTH / (0.8 * SUBTITLE_FONT_SIZE));
  const subtitle = [
    ...wrap(
      "Solid: P(injective) by the exact verifier, Wilson 95% bars. Dashed grey: pointwise invertibility " +
        "P(Binomial(m, 1/2) ≥ n), exact (grey dots: Monte Carlo). Diamonds: crossings α½(n) with 95% intervals.",
      subtitleWidth,
    ),
    ...(ex === null
      ? ["No extrapolation of α½(n) (it needs crossings at 3 or more values of n)."]
      : wrap(`Extrapolation: ${extrapolatedLabel}. Fit: ${ex.fit}`, subtitleWidth)),
  ];

  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: WIDTH,
    height: HEIGHT,
    background: "white",
    padding: 12,
    title: {
      text: `Injectivity of ${layer} (m × n) against the ratio α = m/n`,
      subtitle,
      anchor: "start",
      fontSize: 16,
      subtitleFontSize: SUBTITLE_FONT_SIZE,
      subtitlePadding: 6,
      offset: 12,
    },
    config: {
      font: "DejaVu Sans, Helvetica, Arial, sans-serif",
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.4 },
      legend: {
        labelFontSize: 11,
        titleFontSize: 11,
        symbolStrokeWidth: 2,
        labelLimit: 300,
        titleLimit: 300,
      },
      view: { stroke: "#999" },
    },
    ...(interactive
      ? {
          params: [
            {
              name: "pick",
              value: null,
              bind: {
                input: "select",
                options: [null, ...ns],
                labels: ["all", ...ns.map(seriesOf)],
                name: "Highlight ",
              },
            },
          ],
        }
      : {}),
    layer: layers,
    resolve: { scale: { color: "shared" } },
  };
}
