/**
 * Runs checks in the playground's Web Worker (check-worker.ts): one run at a time, with progress
 * messages and cancellation (the worker is terminated and a fresh one is started for the next run).
 */

import type { SampleReply, WorkerRequest } from "./check-worker.js";
import type { LayerCheckResult, LayerFile, NetworkCheckResult } from "./lib.js";

/** What a run ends with. */
export type RunOutcome =
  | { type: "layer"; file: LayerFile; result: LayerCheckResult }
  | { type: "network"; result: NetworkCheckResult }
  | SampleReply
  | { type: "error"; message: string; badInput: boolean }
  | { type: "cancelled" };

/** A model's input and output sizes, sent once it has been read. */
export interface ModelDims {
  inputDim: number;
  outputDim: number;
}

/** A worker that runs one request at a time. */
export class CheckRunner {
  private worker: Worker | null = null;
  private finish: ((outcome: RunOutcome) => void) | null = null;

  /**
   * Starts a run (cancelling any run in progress).
   * @param request what to check (copied to the worker)
   * @param onProgress called with a short text as the run advances (and a model's sizes once read)
   * @returns the outcome: a result, an error (bad input or a failure) or "cancelled"
   */
  run(request: WorkerRequest, onProgress: (text: string, dims?: ModelDims) => void): Promise<RunOutcome> {
    this.cancel();
    const worker = (this.worker ??= new Worker(new URL("./check-worker.ts", import.meta.url), {
      type: "module",
    }));
    return new Promise<RunOutcome>((resolve) => {
      this.finish = resolve;
      worker.onmessage = (
        e: MessageEvent<{ type: "progress"; text: string; dims?: ModelDims } | RunOutcome>,
      ) => {
        if (e.data.type === "progress") onProgress(e.data.text, e.data.dims);
        else {
          this.finish = null;
          resolve(e.data);
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        this.finish = null;
        resolve({ type: "error", message: e.message || "the worker failed", badInput: false });
      };
      // Copies: the caller keeps its bytes (the inspector sends a model again to sample it).
      worker.postMessage(request);
    });
  }

  /** Stops the run in progress, if any (it then ends with "cancelled"). */
  cancel(): void {
    if (this.finish === null) return;
    this.worker?.terminate();
    this.worker = null;
    const finish = this.finish;
    this.finish = null;
    finish({ type: "cancelled" });
  }
}

/** Reads dropped or chosen files as named byte arrays. */
export async function readFiles(
  files: FileList | readonly File[],
): Promise<{ name: string; bytes: Uint8Array }[]> {
  return Promise.all(
    [...files].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
}

/**
 * Makes `zone` accept dropped files (and a click or Enter/Space opens `input`, a file input).
 * @param onFiles called with the files dropped or chosen
 */
export function dropZone(zone: HTMLElement, input: HTMLInputElement, onFiles: (files: File[]) => void): void {
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 0) onFiles(files);
  });
  input.addEventListener("change", () => {
    if (input.files && input.files.length > 0) onFiles([...input.files]);
    input.value = "";
  });
}
