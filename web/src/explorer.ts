/**
 * The 2-D explorer: a layer x ↦ ReLU(Wx + b) on the plane, drawn like the paper's Figures 1 and 2.
 * Weight vectors are draggable arrows (pointer or arrow keys), rows are added, removed and edited
 * in a table, the plane is coloured by activation region (web/src/regions.ts) with the regions
 * whose active rows do not span R² hatched, and the exact verdict of `checkLayer` is shown live,
 * with a collision witness drawn as two points, or the inverse Lipschitz constant when injective.
 * A second canvas shows the heat map of ‖ReLU(Wx + b)‖₁ (Figure 2, right).
 */

import {
  checkLayer,
  fmtNum,
  fmtVec,
  fmtVerdict,
  forwardLayer,
  inverseLipschitz,
  type Domain,
  type LayerCheckResult,
} from "./lib.js";
import { preset, PRESET_LABELS, PRESETS, type PresetId } from "./presets.js";
import { activationRegions, activeLabel, outputL1, type Box, type Region } from "./regions.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const SIZE = 500;

/** Okabe–Ito colours (colour-blind safe) for the rows' arrows, black last. */
const ROW_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
/** Light tints for the regions (Okabe–Ito hues, pale so that arrows and labels stay readable). */
const REGION_TINTS = ["#d6e9f5", "#f5e3c4", "#d2efe6", "#f3dcea", "#fbf6c9", "#e3f1fb", "#e6e6e6", "#f7d9c9"];

/** Viridis (colour-blind safe, perceptually uniform) at 9 stops, for the heat map. */
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

function viridis(t: number): [number, number, number] {
  const x = Math.min(Math.max(t, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const f = x - i;
  const a = VIRIDIS[i];
  const c = VIRIDIS[i + 1];
  return [a[0] + f * (c[0] - a[0]), a[1] + f * (c[1] - a[1]), a[2] + f * (c[2] - a[2])];
}

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

/** A stable tint per active set, so that colours do not jump while an arrow is dragged. */
function tintOf(active: readonly number[]): string {
  let h = 7;
  for (const i of active) h = (h * 31 + i + 1) % 1_000_003;
  return REGION_TINTS[h % REGION_TINTS.length];
}

/** The explorer's state: the layer, the domain and the visible half-width R of the plane. */
interface State {
  W: [number, number][];
  b: number[];
  domain: Domain;
  R: number;
}

/**
 * Sets up the explorer in the page's `#explorer` section.
 */
export function initExplorer(): void {
  const svg = document.getElementById("plane") as SVGSVGElement | null;
  if (!svg) throw new Error("missing #plane");
  const heat = byId<HTMLCanvasElement>("heat");
  const heatRange = byId<HTMLElement>("heat-range");
  const rowsBody = byId<HTMLTableSectionElement>("rows-body");
  const verdictEl = byId<HTMLElement>("verdict");
  const note = byId<HTMLElement>("preset-note");
  const presetSelect = byId<HTMLSelectElement>("preset");
  const ratioInput = byId<HTMLInputElement>("ratio");
  const seedInput = byId<HTMLInputElement>("seed");
  const domainInputs = [...document.querySelectorAll<HTMLInputElement>('input[name="domain"]')];

  for (const id of PRESETS) presetSelect.append(new Option(PRESET_LABELS[id], id));

  const state: State = { W: [], b: [], domain: "all", R: 3 };

  // SVG layers, back to front; the arrows are kept between renders so that focus and drags survive.
  const gRegions = el("g", {});
  const gLines = el("g", { "aria-hidden": "true" });
  const gLabels = el("g", { "aria-hidden": "true" });
  const gAxes = el("g", { "aria-hidden": "true" });
  const gWitness = el("g", { id: "witness-marks" });
  const gArrows = el("g", {});
  const defs = el("defs", {});
  defs.innerHTML = `
    <pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
      <rect width="8" height="8" fill="#f3c7b0"/><line x1="0" y1="0" x2="0" y2="8" stroke="#a63d00" stroke-width="2.2"/>
    </pattern>
    ${ROW_COLORS.map(
      (c, i) =>
        `<marker id="head${i}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`,
    ).join("")}`;
  svg.append(defs, gRegions, gAxes, gLines, gLabels, gArrows, gWitness);

  const toSvg = (x: number, y: number): [number, number] => [
    SIZE / 2 + (x * SIZE) / (2 * state.R),
    SIZE / 2 - (y * SIZE) / (2 * state.R),
  ];
  const fromClient = (cx: number, cy: number): [number, number] => {
    const rect = svg.getBoundingClientRect();
    const sx = ((cx - rect.left) / rect.width) * SIZE;
    const sy = ((cy - rect.top) / rect.height) * SIZE;
    return [((sx - SIZE / 2) * 2 * state.R) / SIZE, (-(sy - SIZE / 2) * 2 * state.R) / SIZE];
  };
  const box = (): Box => ({ xmin: -state.R, xmax: state.R, ymin: -state.R, ymax: state.R });

  /** Fits R to the arrows (called when a preset is loaded or rows are added, not while dragging). */
  const fit = (): void => {
    const longest = state.W.reduce((a, w) => Math.max(a, Math.hypot(w[0], w[1])), 0);
    state.R = Math.max(2, Math.ceil(longest * 1.25 * 2) / 2);
  };

  // --------------------------------------------------------------------------------------------
  // Drawing
  // --------------------------------------------------------------------------------------------

  const drawRegions = (regions: Region[]): void => {
    gRegions.replaceChildren();
    gLabels.replaceChildren();
    if (state.domain === "nonnegative") {
      const [x0, y0] = toSvg(-state.R, state.R);
      gRegions.append(el("rect", { x: x0, y: y0, width: SIZE, height: SIZE, fill: "#bdbdbd" }));
    }
    for (const r of regions) {
      const points = r.polygon.map(([x, y]) => toSvg(x, y).join(",")).join(" ");
      const poly = el("polygon", {
        points,
        fill: r.spans ? tintOf(r.active) : "url(#hatch)",
        stroke: r.spans ? "none" : "#a63d00",
        "stroke-width": r.spans ? 0 : 2,
        "data-active": r.active.join(","),
        "data-spans": String(r.spans),
        class: r.spans ? "region" : "region region-bad",
      });
      poly.append(
        el(
          "title",
          {},
          `active rows ${activeLabel(r.active)}${r.spans ? "" : ": they do not span R², so the layer is not injective here"}`,
        ),
      );
      gRegions.append(poly);
      const pxArea = r.area * (SIZE / (2 * state.R)) ** 2;
      if (pxArea > 700) {
        const [cx, cy] = toSvg(r.centroid[0], r.centroid[1]);
        gLabels.append(
          el(
            "text",
            { x: cx, y: cy, class: r.spans ? "region-label" : "region-label bad", "text-anchor": "middle" },
            activeLabel(r.active),
          ),
        );
      }
    }
  };

  const drawAxesAndLines = (): void => {
    gAxes.replaceChildren();
    const [ox, oy] = toSvg(0, 0);
    gAxes.append(
      el("line", { x1: 0, y1: oy, x2: SIZE, y2: oy, class: "axis" }),
      el("line", { x1: ox, y1: 0, x2: ox, y2: SIZE, class: "axis" }),
    );
    for (let t = -Math.floor(state.R); t <= state.R; t++) {
      if (t === 0) continue;
      const [tx] = toSvg(t, 0);
      const [, ty] = toSvg(0, t);
      gAxes.append(
        el("line", { x1: tx, y1: oy - 3, x2: tx, y2: oy + 3, class: "axis" }),
        el("line", { x1: ox - 3, y1: ty, x2: ox + 3, y2: ty, class: "axis" }),
      );
    }
    gLines.replaceChildren();
    state.W.forEach((w, i) => {
      const [a, c] = w;
      const bi = state.b[i];
      if (a === 0 && c === 0) return;
      // Points of w·x + b = 0: p0 = −b w/|w|², direction (−c, a).
      const n2 = a * a + c * c;
      const p0 = [(-bi * a) / n2, (-bi * c) / n2];
      const L = 4 * state.R;
      const d = [-c / Math.sqrt(n2), a / Math.sqrt(n2)];
      const [x1, y1] = toSvg(p0[0] - L * d[0], p0[1] - L * d[1]);
      const [x2, y2] = toSvg(p0[0] + L * d[0], p0[1] + L * d[1]);
      gLines.append(
        el("line", { x1, y1, x2, y2, stroke: ROW_COLORS[i % ROW_COLORS.length], class: "hyperplane" }),
      );
    });
  };

  /** Creates or updates the arrow and the draggable handle of each row. */
  const syncArrows = (): void => {
    while (gArrows.children.length > state.W.length) gArrows.lastElementChild!.remove();
    while (gArrows.children.length < state.W.length) {
      const i = gArrows.children.length;
      const g = el("g", { class: "arrow" });
      const color = ROW_COLORS[i % ROW_COLORS.length];
      const line = el("line", {
        stroke: color,
        "stroke-width": 3,
        "marker-end": `url(#head${i % ROW_COLORS.length})`,
      });
      const handle = el("circle", {
        r: 9,
        fill: color,
        "fill-opacity": 0.25,
        stroke: color,
        "stroke-width": 2,
        tabindex: 0,
        role: "button",
        "aria-roledescription": "draggable weight vector",
        class: "handle",
        "data-row": i,
      });
      const label = el("text", { class: "arrow-label", fill: color }, `w${i}`);
      handle.addEventListener("pointerdown", (e) => {
        e.preventDefault();
        dragging = i;
        svg.setPointerCapture(e.pointerId);
        handle.focus();
      });
      handle.addEventListener("keydown", (e) => {
        const step = e.shiftKey ? 0.5 : e.altKey ? 0.01 : 0.1;
        const delta: Record<string, [number, number]> = {
          ArrowLeft: [-step, 0],
          ArrowRight: [step, 0],
          ArrowUp: [0, step],
          ArrowDown: [0, -step],
        };
        const dv = delta[e.key];
        if (!dv) return;
        e.preventDefault();
        const w = state.W[i];
        state.W[i] = [roundTo(w[0] + dv[0]), roundTo(w[1] + dv[1])];
        changed();
      });
      g.append(line, handle, label);
      gArrows.append(g);
    }
    state.W.forEach((w, i) => {
      const g = gArrows.children[i];
      const [line, handle, label] = [...g.children] as SVGElement[];
      const [ox, oy] = toSvg(0, 0);
      const [hx, hy] = toSvg(w[0], w[1]);
      line.setAttribute("x1", String(ox));
      line.setAttribute("y1", String(oy));
      line.setAttribute("x2", String(hx));
      line.setAttribute("y2", String(hy));
      handle.setAttribute("cx", String(hx));
      handle.setAttribute("cy", String(hy));
      handle.setAttribute(
        "aria-label",
        `row ${i}: weight vector (${fmtNum(w[0], 3)}, ${fmtNum(w[1], 3)}); drag it, or move it with the arrow keys (Shift: larger steps, Alt: smaller)`,
      );
      handle.dataset.value = `(${fmtNum(w[0], 3)}, ${fmtNum(w[1], 3)})`;
      label.setAttribute("x", String(hx + 10));
      label.setAttribute("y", String(hy - 10));
    });
  };

  const drawHeat = (): void => {
    const ctx = heat.getContext("2d");
    if (!ctx) return;
    const N = heat.width;
    const img = ctx.createImageData(N, N);
    const values = new Float64Array(N * N);
    let max = 0;
    for (let py = 0; py < N; py++)
      for (let px = 0; px < N; px++) {
        const x = ((px + 0.5) / N) * 2 * state.R - state.R;
        const y = state.R - ((py + 0.5) / N) * 2 * state.R;
        const inDomain = state.domain === "all" || (x >= 0 && y >= 0);
        const v = inDomain ? outputL1(state.W, state.b, x, y) : -1;
        values[py * N + px] = v;
        if (v > max) max = v;
      }
    for (let k = 0; k < N * N; k++) {
      const v = values[k];
      const [r, g, b] = v < 0 ? [190, 190, 190] : viridis(max > 0 ? v / max : 0);
      img.data[4 * k] = r;
      img.data[4 * k + 1] = g;
      img.data[4 * k + 2] = b;
      img.data[4 * k + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    heatRange.textContent = `0 (dark purple) to ${fmtNum(max, 3)} (yellow) on [−${state.R}, ${state.R}]²`;
  };

  // --------------------------------------------------------------------------------------------
  // The rows table
  // --------------------------------------------------------------------------------------------

  const numberInput = (value: number, label: string, onValue: (v: number) => void): HTMLInputElement => {
    const input = document.createElement("input");
    input.type = "number";
    input.step = "0.1";
    input.value = String(value);
    input.setAttribute("aria-label", label);
    input.addEventListener("input", () => {
      const v = input.valueAsNumber;
      const ok = Number.isFinite(v);
      input.setAttribute("aria-invalid", String(!ok));
      if (ok) {
        onValue(v);
        changed(false);
      }
    });
    return input;
  };

  const buildTable = (): void => {
    rowsBody.replaceChildren();
    state.W.forEach((w, i) => {
      const tr = document.createElement("tr");
      const head = document.createElement("th");
      head.scope = "row";
      head.innerHTML = `<span class="swatch" style="background:${ROW_COLORS[i % ROW_COLORS.length]}"></span>${i}`;
      const cells = [
        numberInput(w[0], `row ${i}, first weight`, (v) => (state.W[i] = [v, state.W[i][1]])),
        numberInput(w[1], `row ${i}, second weight`, (v) => (state.W[i] = [state.W[i][0], v])),
        numberInput(state.b[i], `row ${i}, bias`, (v) => (state.b[i] = v)),
      ].map((input) => {
        const td = document.createElement("td");
        td.append(input);
        return td;
      });
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `remove row ${i}`);
      remove.disabled = state.W.length <= 1;
      remove.addEventListener("click", () => {
        state.W.splice(i, 1);
        state.b.splice(i, 1);
        changed();
      });
      const td = document.createElement("td");
      td.append(remove);
      tr.append(head, ...cells, td);
      rowsBody.append(tr);
    });
  };

  /** Updates the table's inputs in place (keeps focus while an arrow moves). */
  const refreshTable = (): void => {
    if (rowsBody.children.length !== state.W.length) return buildTable();
    state.W.forEach((w, i) => {
      const inputs = rowsBody.children[i].querySelectorAll("input");
      const values = [w[0], w[1], state.b[i]];
      inputs.forEach((input, k) => {
        if (document.activeElement !== input && input.valueAsNumber !== values[k])
          input.value = String(values[k]);
      });
    });
  };

  // --------------------------------------------------------------------------------------------
  // The verdict
  // --------------------------------------------------------------------------------------------

  let seq = 0;
  const showVerdict = (r: LayerCheckResult): void => {
    const words = fmtVerdict(r.injective);
    verdictEl.dataset.verdict =
      r.injective === true ? "injective" : r.injective === false ? "not injective" : "unknown";
    verdictEl.className = `verdict ${verdictEl.dataset.verdict.replace(" ", "-")}`;
    const lines = [
      `<p class="verdict-line"><strong>${words}</strong> on ${state.domain === "all" ? "R²" : "the positive quadrant"} <span class="muted">(method: ${r.method}${r.exact ? ", evidence checked in exact arithmetic" : ""})</span></p>`,
      `<p class="reason">${escapeHtml(r.reason)}</p>`,
    ];
    gWitness.replaceChildren();
    if (r.witness) {
      let { x1, x2 } = r.witness;
      // ReLU(Wx) is positively homogeneous: without bias, a scaled collision is a collision.
      const far = Math.max(...x1.map(Math.abs), ...x2.map(Math.abs));
      let scaled = "";
      if (state.b.every((v) => v === 0) && far > 0 && (far > 0.9 * state.R || far < 0.2 * state.R)) {
        const s = (0.6 * state.R) / far;
        x1 = x1.map((v) => v * s);
        x2 = x2.map((v) => v * s);
        scaled = ` (scaled by ${fmtNum(s, 3)}: without bias, ReLU(Wx) is positively homogeneous)`;
      }
      const y1 = forwardLayer(state.W, state.b, x1);
      const y2 = forwardLayer(state.W, state.b, x2);
      lines.push(
        `<div id="witness" class="witness"><p>Collision${scaled}:</p><p>x₁ = ${fmtVec(x1, 4)} (circle), x₂ = ${fmtVec(x2, 4)} (square)</p>` +
          `<p>F(x₁) = ${fmtVec(y1, 4)}</p><p>F(x₂) = ${fmtVec(y2, 4)}</p>` +
          `<p class="muted">active rows ${activeLabel(r.witness.activeRows)} (rank ${r.witness.activeRank} &lt; 2)</p></div>`,
      );
      const [ax, ay] = toSvg(x1[0], x1[1]);
      const [bx, by] = toSvg(x2[0], x2[1]);
      gWitness.append(
        el("line", { x1: ax, y1: ay, x2: bx, y2: by, class: "witness-segment" }),
        el("circle", { cx: ax, cy: ay, r: 7, class: "witness-point" }),
        el("rect", { x: bx - 6.5, y: by - 6.5, width: 13, height: 13, class: "witness-point" }),
        // Labels on the far sides of the two points, so that close points keep readable labels.
        el(
          "text",
          {
            x: ax + (ax <= bx ? -10 : 10),
            y: ay - 8,
            class: "witness-label",
            "text-anchor": ax <= bx ? "end" : "start",
          },
          "x₁",
        ),
        el(
          "text",
          {
            x: bx + (ax <= bx ? 10 : -10),
            y: by - 8,
            class: "witness-label",
            "text-anchor": ax <= bx ? "start" : "end",
          },
          "x₂",
        ),
      );
    }
    verdictEl.innerHTML = lines.join("");
  };

  const updateVerdict = async (): Promise<void> => {
    const my = ++seq;
    const W = state.W.map((w) => [...w]);
    const b = [...state.b];
    const domain = state.domain;
    verdictEl.setAttribute("aria-busy", "true");
    try {
      const r = await checkLayer(W, b, { domain, timeLimitMs: 5000 });
      if (my !== seq) return;
      showVerdict(r);
      if (r.injective === true) {
        const L = await inverseLipschitz(W, b, { domain, samples: 300, localSearches: 4, timeLimitMs: 3000 });
        if (my !== seq) return;
        const p = document.createElement("p");
        p.id = "lipschitz";
        p.innerHTML =
          L.C === null
            ? "Inverse Lipschitz constant: not computed in time."
            : `Inverse Lipschitz constant (Theorem 3): C(W) = ${fmtNum(L.C, 4)}, so ‖F(x) − F(x′)‖ ≥ C‖x − x′‖; the smallest σ<sub>min</sub> of the active rows over the regions is ${fmtNum(L.sigmaMinActive ?? NaN, 4)} (the best constant lies in [${fmtNum(L.bounds.lower, 4)}, ${fmtNum(L.bounds.upper, 4)}]).`;
        verdictEl.append(p);
      }
    } catch (e) {
      if (my !== seq) return;
      verdictEl.dataset.verdict = "error";
      verdictEl.textContent = e instanceof Error ? e.message : String(e);
    } finally {
      if (my === seq) verdictEl.removeAttribute("aria-busy");
    }
  };

  // --------------------------------------------------------------------------------------------
  // Updates
  // --------------------------------------------------------------------------------------------

  let frame = 0;
  /** Redraws everything (on the next animation frame) and re-checks the layer. */
  const changed = (rebuildTable = true): void => {
    if (rebuildTable) refreshTable();
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      drawRegions(activationRegions(state.W, state.b, box(), state.domain));
      drawAxesAndLines();
      syncArrows();
      drawHeat();
      void updateVerdict();
    });
  };

  let dragging: number | null = null;
  svg.addEventListener("pointermove", (e) => {
    if (dragging === null) return;
    const [x, y] = fromClient(e.clientX, e.clientY);
    const lim = state.R;
    state.W[dragging] = [
      roundTo(Math.max(-lim, Math.min(lim, x))),
      roundTo(Math.max(-lim, Math.min(lim, y))),
    ];
    changed();
  });
  const stop = (): void => {
    dragging = null;
  };
  svg.addEventListener("pointerup", stop);
  svg.addEventListener("pointercancel", stop);

  const load = (): void => {
    const id = presetSelect.value as PresetId;
    const ratio = ratioInput.valueAsNumber;
    const seed = seedInput.valueAsNumber;
    const p = preset(id, {
      ratio: Number.isFinite(ratio) ? Math.min(Math.max(ratio, 0.5), 10) : 4,
      seed: Number.isSafeInteger(seed) ? seed : 1,
    });
    state.W = p.W.map((w) => [w[0], w[1]]);
    state.b = [...p.b];
    note.textContent = p.note;
    ratioInput.closest("label")!.hidden = id !== "gaussian";
    seedInput.closest("label")!.hidden = id !== "gaussian" && id !== "corollary2";
    fit();
    buildTable();
    changed();
  };
  presetSelect.addEventListener("change", load);
  ratioInput.addEventListener("change", load);
  seedInput.addEventListener("change", load);
  for (const input of domainInputs)
    input.addEventListener("change", () => {
      if (input.checked) {
        state.domain = input.value as Domain;
        changed();
      }
    });
  byId<HTMLButtonElement>("add-row").addEventListener("click", () => {
    const k = state.W.length;
    const angle = (k * 2.399963) % (2 * Math.PI); // golden angle: spread new rows
    state.W.push([roundTo(Math.cos(angle)), roundTo(Math.sin(angle))]);
    state.b.push(0);
    buildTable();
    changed();
  });
  byId<HTMLButtonElement>("fit").addEventListener("click", () => {
    fit();
    changed();
  });

  presetSelect.value = "figure2-left";
  load();
}

function roundTo(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
