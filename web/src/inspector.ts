/**
 * The network inspector: an ONNX, TF.js (model.json with its weight shards) or network JSON model
 * dropped into the page is read from its bytes and checked in the Web Worker, as `injective-relu
 * check MODEL` does: the per-layer table, the end-to-end verdict and the CLI's report.
 */

import {
  describeNetworkResult,
  fmtMs,
  fmtVerdict,
  NETWORK_RULE_LABELS,
  type NetworkCheckResult,
} from "./lib.js";
import { CheckRunner, dropZone, readFiles } from "./runner.js";

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
  const zone = document.getElementById("model-drop")!;
  const input = document.getElementById("model-file") as HTMLInputElement;
  const cancel = document.getElementById("model-cancel") as HTMLButtonElement;
  const status = document.getElementById("model-status")!;
  const verdict = document.getElementById("model-verdict")!;
  const body = document.getElementById("model-layers") as HTMLTableSectionElement;
  const report = document.getElementById("model-report")!;

  const check = async (files: File[]): Promise<void> => {
    const named = await readFiles(files);
    const name = named.length === 1 ? named[0].name : named.map((f) => f.name).join(", ");
    body.replaceChildren();
    report.textContent = "";
    verdict.textContent = "";
    verdict.removeAttribute("data-verdict");
    cancel.disabled = false;
    const outcome = await runner.run(
      { kind: "network", files: named },
      (text) => (status.textContent = text),
    );
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

  dropZone(zone, input, (files) => void check(files));
  cancel.addEventListener("click", () => runner.cancel());
}
