/**
 * The playground's Web Worker: parses a dropped layer or model file and runs the exact check off
 * the page's thread, posting progress messages. The page cancels a run by terminating the worker.
 *
 * Requests: `{ kind: "layer", name, bytes, domain }` (checkLayer, as `injective-relu check FILE`)
 * or `{ kind: "network", files }` (checkNetwork, as `injective-relu check MODEL`). Replies:
 * `{ type: "progress", text, dims? }` (dims: a model's input and output sizes, once read), then `{ type: "layer", file, result }`, `{ type: "network", name,
 * result }` or `{ type: "error", message, badInput }`.
 */

import {
  checkLayer,
  checkNetwork,
  forwardNetwork,
  invertGenerator,
  isInputError,
  outputDim,
  parseLayerBytes,
  parseNetworkBytes,
  Rng,
  type Domain,
  type NamedBytes,
} from "./lib.js";

/** A request to the worker. */
export type WorkerRequest =
  | { kind: "layer"; name: string; bytes: Uint8Array; domain: Domain }
  | { kind: "network"; files: NamedBytes[] }
  | { kind: "sample"; files: NamedBytes[]; seed: number; noise: number };

/** The reply to a "sample" request: a generator output, its noisy copy and the inversion. */
export interface SampleReply {
  type: "sample";
  z: number[];
  y: number[];
  noisy: number[];
  /** G(ẑ) for the recovered ẑ. */
  recovered: number[];
  zHat: number[];
  /** The noise's standard deviation (relative noise × the RMS of y). */
  sigma: number;
  status: string;
  reason: string;
  timeMs: number;
}

function rms(v: readonly number[]): number {
  return Math.sqrt(v.reduce((a, x) => a + x * x, 0) / Math.max(1, v.length));
}

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
  } else if (req.kind === "sample") {
    // Reading the model does not depend on the coordinate order here: the output is shown as an
    // image in the model's own order.
    const net = await parseNetworkBytes(req.files);
    const rng = new Rng(req.seed);
    const z = Array.from({ length: net.inputDim }, () => rng.normal());
    const y = forwardNetwork(net, z);
    const sigma = req.noise * rms(y);
    const noisy = y.map((v) => v + sigma * rng.normal());
    post({
      type: "progress",
      text: `inverting a ${y.length}-pixel output with noise σ = ${sigma.toPrecision(3)}…`,
    });
    const inv = invertGenerator(net, noisy, { noise: sigma, seed: req.seed, timeLimitMs: 30_000 });
    const reply: SampleReply = {
      type: "sample",
      z,
      y,
      noisy,
      recovered: forwardNetwork(net, inv.z),
      zHat: inv.z,
      sigma,
      status: inv.status,
      reason: inv.reason,
      timeMs: inv.timeMs,
    };
    post(reply);
  } else {
    const main = req.files.length === 1 ? req.files[0].name : "the model";
    post({ type: "progress", text: `reading ${main}…` });
    // Injectivity does not depend on the order of coordinates: like `check`, read TF.js images
    // with several channels in channels-first order.
    const net = await parseNetworkBytes(req.files, { channelsFirstImages: true });
    post({
      type: "progress",
      text: `checking ${net.layers.length} layer(s)…`,
      dims: { inputDim: net.inputDim, outputDim: outputDim(net) },
    });
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
