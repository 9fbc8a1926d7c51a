/**
 * The playground's Web Worker: parses a dropped layer or model file and runs the exact check off
 * the page's thread, posting progress messages. The page cancels a run by terminating the worker.
 *
 * Requests: `{ kind: "layer", name, bytes, domain }` (checkLayer, as `injective-relu check FILE`)
 * or `{ kind: "network", files }` (checkNetwork, as `injective-relu check MODEL`). Replies:
 * `{ type: "progress", text }`, then `{ type: "layer", file, result }`, `{ type: "network", name,
 * result }` or `{ type: "error", message, badInput }`.
 */

import {
  checkLayer,
  checkNetwork,
  isInputError,
  parseLayerBytes,
  parseNetworkBytes,
  type Domain,
  type NamedBytes,
} from "./lib.js";

/** A request to the worker. */
export type WorkerRequest =
  | { kind: "layer"; name: string; bytes: Uint8Array; domain: Domain }
  | { kind: "network"; files: NamedBytes[] };

const post = (message: unknown): void => (self as unknown as Worker).postMessage(message);

async function run(req: WorkerRequest): Promise<void> {
  if (req.kind === "layer") {
    const layer = parseLayerBytes(req.bytes, req.name);
    post({ type: "progress", text: `checking a ${layer.W.length}×${layer.W[0].length} layer…` });
    let last = 0;
    const result = await checkLayer(layer.W, layer.b ?? null, {
      domain: req.domain,
      onProgress: (p) => {
        const now = performance.now();
        if (now - last < 100) return;
        last = now;
        post({
          type: "progress",
          text: `${p.stage}: ${p.done}${p.total !== undefined ? ` / ${p.total}` : ""}`,
        });
      },
    });
    post({ type: "layer", file: { ...layer, path: req.name }, result });
  } else {
    const main = req.files.length === 1 ? req.files[0].name : "the model";
    post({ type: "progress", text: `reading ${main}…` });
    // Injectivity does not depend on the order of coordinates: like `check`, read TF.js images
    // with several channels in channels-first order.
    const net = await parseNetworkBytes(req.files, { channelsFirstImages: true });
    post({ type: "progress", text: `checking ${net.layers.length} layer(s)…` });
    const result = await checkNetwork(net);
    post({ type: "network", result });
  }
}

self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  run(e.data).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    post({ type: "error", message, badInput: isInputError(err) });
  });
};
