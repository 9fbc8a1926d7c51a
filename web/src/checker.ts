/**
 * The layer checker: a layer file (the CLI's JSON or `.npy`) dropped, chosen or pasted is parsed
 * and checked exactly in the Web Worker, with progress and a cancel button. The report is the
 * CLI's (`injective-relu check FILE`), and a bad file gets the CLI's message.
 */

import { describeResult, fmtVerdict, type Domain } from "./lib.js";
import { CheckRunner, dropZone, readFiles, type RunOutcome } from "./runner.js";

/** Sets up the checker in the page's `#checker` section. */
export function initChecker(): void {
  const runner = new CheckRunner();
  const zone = document.getElementById("layer-drop")!;
  const input = document.getElementById("layer-file") as HTMLInputElement;
  const paste = document.getElementById("layer-paste") as HTMLTextAreaElement;
  const domain = document.getElementById("layer-domain") as HTMLSelectElement;
  const cancel = document.getElementById("layer-cancel") as HTMLButtonElement;
  const status = document.getElementById("layer-status")!;
  const report = document.getElementById("layer-report")!;

  const check = async (name: string, bytes: Uint8Array): Promise<void> => {
    report.textContent = "";
    report.removeAttribute("data-verdict");
    status.textContent = `reading ${name}…`;
    cancel.disabled = false;
    const outcome: RunOutcome = await runner.run(
      { kind: "layer", name, bytes, domain: domain.value as Domain },
      (text) => (status.textContent = text),
    );
    cancel.disabled = true;
    if (outcome.type === "layer") {
      const r = outcome.result;
      status.textContent = `${name}: ${fmtVerdict(r.injective)}`;
      report.dataset.verdict = String(r.injective);
      report.textContent = describeResult(outcome.file, r);
    } else if (outcome.type === "error") {
      status.textContent = outcome.badInput ? "bad input" : "error";
      report.dataset.verdict = "error";
      report.textContent = `injective-relu: ${outcome.message}`;
    } else if (outcome.type === "cancelled") {
      status.textContent = "cancelled";
    }
  };

  dropZone(zone, input, (files) => {
    void readFiles(files.slice(0, 1)).then(([f]) => check(f.name, f.bytes));
  });
  document.getElementById("layer-paste-check")!.addEventListener("click", () => {
    void check("pasted.json", new TextEncoder().encode(paste.value));
  });
  cancel.addEventListener("click", () => runner.cancel());
}
