/**
 * The network inspector: an ONNX, TF.js (model.json with its weight shards) or network JSON model
 * dropped into the page is read from its bytes and checked in the Web Worker, as `injective-relu
 * check MODEL` does: the per-layer table, the end-to-end verdict and the CLI's report. For a
 * generator with image outputs, a sample G(z) is shown beside its inversion from a noisy copy.
 */

import {
  describeNetworkResult,
  fmtMs,
  fmtNum,
  fmtVerdict,
  NETWORK_RULE_LABELS,
  type NamedBytes,
  type NetworkCheckResult,
} from "./lib.js";
import { CheckRunner, dropZone, readFiles } from "./runner.js";

/**
 * The image shape [channels, height, width] of a flat output of `d` values when it looks like an
 * image: a square of one channel, or of three (channels first); otherwise null.
 */
export function imageShape(d: number): [number, number, number] | null {
  for (const c of [1, 3]) {
    const side = Math.round(Math.sqrt(d / c));
    if (side >= 8 && c * side * side === d) return [c, side, side];
  }
  return null;
}

/** Draws a flat channels-first image on a canvas, mapping [lo, hi] to black..white. */
function drawImage(
  canvas: HTMLCanvasElement,
  v: readonly number[],
  shape: [number, number, number],
  lo: number,
  hi: number,
): void {
  const [c, h, w] = shape;
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const img = ctx.createImageData(w, h);
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) {
      const value = v[(c === 3 ? k : 0) * h * w + p];
      img.data[4 * p + k] = Math.max(0, Math.min(255, (value - lo) * scale));
    }
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** ‖a − b‖ / ‖b‖. */
function relErr(a: readonly number[], b: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

function cell(row: HTMLTableRowElement, text: string, cls?: string): void {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

function fillTable(body: HTMLTableSectionElement, r: NetworkCheckResult): void {
  body.replaceChildren();
  for (const l of r.layers) {
    const row = body.insertRow();
    row.dataset.verdict = String(l.injective);
    const verdict = l.method === "skipped" ? "skipped" : fmtVerdict(l.injective);
    cell(row, String(l.index));
    cell(row, `${l.m}×${l.n}`);
    cell(row, l.kind === "dense" ? l.activation : l.kind);
    cell(row, l.domain);
    cell(row, verdict, `v-${verdict.replace(/\s+/g, "-").toLowerCase()}`);
    cell(row, NETWORK_RULE_LABELS[l.rule] ?? l.rule);
    cell(row, l.method);
    cell(row, fmtMs(l.timeMs));
  }
}

/** Sets up the inspector in the page's `#inspector` section. */
export function initInspector(): void {
  const runner = new CheckRunner();
  // Sampling runs in a second worker, so that it does not wait for (or stop) a long check.
  const sampler = new CheckRunner();
  const zone = document.getElementById("model-drop")!;
  const input = document.getElementById("model-file") as HTMLInputElement;
  const cancel = document.getElementById("model-cancel") as HTMLButtonElement;
  const status = document.getElementById("model-status")!;
  const verdict = document.getElementById("model-verdict")!;
  const body = document.getElementById("model-layers") as HTMLTableSectionElement;
  const report = document.getElementById("model-report")!;
  const sample = document.getElementById("model-sample")!;
  const sampleRun = document.getElementById("sample-run") as HTMLButtonElement;
  const sampleNoise = document.getElementById("sample-noise") as HTMLSelectElement;
  const sampleSeed = document.getElementById("sample-seed") as HTMLInputElement;
  const sampleSummary = document.getElementById("sample-summary")!;
  let model: NamedBytes[] = [];
  let shape: [number, number, number] | null = null;

  const check = async (files: File[]): Promise<void> => {
    const named = await readFiles(files);
    model = named;
    sample.hidden = true;
    const name = named.length === 1 ? named[0].name : named.map((f) => f.name).join(", ");
    body.replaceChildren();
    report.textContent = "";
    verdict.textContent = "";
    verdict.removeAttribute("data-verdict");
    cancel.disabled = false;
    sampler.cancel();
    const outcome = await runner.run({ kind: "network", files: named }, (text, dims) => {
      status.textContent = text;
      // A generator with image outputs and a small latent space: offer a sample and its inversion.
      if (dims) {
        shape = imageShape(dims.outputDim);
        sample.hidden = !(shape !== null && dims.inputDim <= 256);
      }
    });
    cancel.disabled = true;
    if (outcome.type === "network") {
      const r = outcome.result;
      status.textContent = `${name}: checked in ${fmtMs(r.timeMs)}`;
      verdict.dataset.verdict = r.conclusion;
      verdict.textContent = `Network: ${r.conclusion === "injective almost surely" ? "injective almost surely (not a proof)" : fmtVerdict(r.injective)}`;
      fillTable(body, r);
      report.textContent = describeNetworkResult(name, r);
    } else if (outcome.type === "error") {
      status.textContent = outcome.badInput ? "bad input" : "error";
      verdict.dataset.verdict = "error";
      report.textContent = `injective-relu: ${outcome.message}`;
    } else if (outcome.type === "cancelled") {
      status.textContent = "cancelled";
    }
  };

  const runSample = async (): Promise<void> => {
    if (shape === null) return;
    const imgShape = shape;
    sampleSummary.textContent = "";
    sampleRun.disabled = true;
    const seed = Number.isSafeInteger(sampleSeed.valueAsNumber) ? sampleSeed.valueAsNumber : 1;
    const outcome = await sampler.run(
      { kind: "sample", files: model, seed, noise: Number(sampleNoise.value) },
      (text) => (sampleSummary.textContent = text),
    );
    sampleRun.disabled = false;
    if (outcome.type === "sample") {
      const lo = Math.min(...outcome.y);
      const hi = Math.max(...outcome.y);
      drawImage(document.getElementById("sample-y") as HTMLCanvasElement, outcome.y, imgShape, lo, hi);
      drawImage(
        document.getElementById("sample-noisy") as HTMLCanvasElement,
        outcome.noisy,
        imgShape,
        lo,
        hi,
      );
      drawImage(
        document.getElementById("sample-recovered") as HTMLCanvasElement,
        outcome.recovered,
        imgShape,
        lo,
        hi,
      );
      sampleSummary.dataset.status = outcome.status;
      sampleSummary.dataset.zError = String(relErr(outcome.zHat, outcome.z));
      sampleSummary.dataset.yError = String(relErr(outcome.recovered, outcome.y));
      sampleSummary.dataset.noise = String(relErr(outcome.noisy, outcome.y));
      sampleSummary.textContent = `Inverted in ${fmtMs(outcome.timeMs)}. Status: ${outcome.status}. ‖ẑ − z‖/‖z‖ = ${fmtNum(relErr(outcome.zHat, outcome.z), 3)}; ‖G(ẑ) − G(z)‖/‖G(z)‖ = ${fmtNum(relErr(outcome.recovered, outcome.y), 3)} (noise: ‖e‖/‖G(z)‖ = ${fmtNum(relErr(outcome.noisy, outcome.y), 3)}). ${outcome.reason}`;
    } else if (outcome.type === "error") {
      sampleSummary.dataset.status = "error";
      sampleSummary.textContent = outcome.message;
    } else if (outcome.type === "cancelled") {
      sampleSummary.textContent = "cancelled";
    }
  };

  dropZone(zone, input, (files) => void check(files));
  sampleRun.addEventListener("click", () => void runSample());
  cancel.addEventListener("click", () => {
    runner.cancel();
    sampler.cancel();
  });
}
