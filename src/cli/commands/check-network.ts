/**
 * `injective-relu check-network MODEL.json`: injectivity of a whole network of dense layers
 * (Corollary 1 layerwise, equation (4)'s caveat, Corollary 3; see src/network/check-network.ts).
 */

import { LayerWorkerPool } from "../../parallel/layer-pool.js";
import { Command } from "commander";
import { isResourceLimitError } from "../../core/budget.js";
import { readNetworkFile } from "../../io/network-file.js";
import { checkNetwork, type NetworkCheckResult } from "../../network/check-network.js";
import { snapNetwork } from "../../network/snap-network.js";
import { EXIT, exitForVerdict } from "../exit-codes.js";
import { describeNetworkResult } from "../report.js";
import { interruptSignal } from "../progress.js";
import {
  memoryLimitOption,
  layerWorkersOption,
  parseBox,
  parseInteger,
  parsePositive,
  parseTolerance,
  printJson,
  readerOptions,
} from "../options.js";
import { DEFAULT_TOLERANCE } from "../../core/numerics.js";

export { describeNetworkResult } from "../report.js";

interface CheckNetworkCliOptions {
  timeLimit?: number;
  tolerance: number;
  seed: number;
  json?: boolean;
  memoryLimit?: number;
  /** Check the network with nearly (anti)parallel rows snapped within this angle ("up to ε"). */
  snap?: number;
  /** The box of the sampled collision search. */
  box?: { lo: number; hi: number };
  /** Threads for each layer's branch and bound and re-check (`--workers`). */
  workers?: number;
  /** Keep each layer's branch-and-bound proof in its certificate (`--proof`). */
  proof?: boolean;
}

/** The `check-network` command (register it in src/cli/main.ts). */
/**
 * Reads a network file, checks it, prints the report (or JSON) and returns the exit code.
 * Shared by `check-network` and by `check` when it is given a network file.
 */
export async function runNetworkCheck(path: string, opts: CheckNetworkCliOptions): Promise<number> {
  let net;
  try {
    // Injectivity does not depend on the order of the coordinates: a TF.js model's image input or
    // output with several channels is read in channels-first order.
    net = await readNetworkFile(path, { ...readerOptions(opts), channelsFirstImages: true });
  } catch (e) {
    // A valid file whose layers cannot even be held (an identity matrix above the memory limit).
    if (!isResourceLimitError(e)) throw e;
    const reason = `Unknown: reading the network: ${e.message}.`;
    if (opts.json) printJson({ file: path, injective: null, conclusion: "unknown", reason, layers: [] });
    else process.stdout.write(`${path}: network not read\nNetwork: unknown\n  ${reason}\n`);
    return e.kind === "cancelled" ? EXIT.cancelled : EXIT.unknown;
  }
  const snap = opts.snap !== undefined ? snapNetwork(net, opts.snap) : undefined;
  if (snap) net = snap.network;
  const interrupt = interruptSignal();
  const pool = (opts.workers ?? 1) >= 2 ? new LayerWorkerPool(opts.workers!) : null;
  let r: NetworkCheckResult;
  try {
    r = await checkNetwork(net, {
      ...(pool ? { pool } : {}),
      timeLimitMs: opts.timeLimit === undefined ? Infinity : opts.timeLimit * 1000,
      tolerance: opts.tolerance,
      seed: opts.seed,
      ...(opts.box ? { box: opts.box } : {}),
      ...(opts.proof ? { proof: true } : {}),
      signal: interrupt.signal,
      ...(opts.memoryLimit !== undefined ? { memoryLimitBytes: opts.memoryLimit } : {}),
    });
  } finally {
    interrupt.dispose();
    await pool?.close();
  }
  const snapInfo = snap && {
    epsilon: snap.epsilon,
    maxAngle: snap.maxAngle,
    layers: snap.layers.map((l) => ({
      index: l.index,
      ...(l.kind === "filters" ? { kind: "filters" } : {}),
      snapped: l.snapped.length,
      maxAngle: l.maxAngle,
    })),
    notSnapped: snap.notSnapped,
    outputScaled: snap.outputScale !== null,
  };
  if (opts.json)
    printJson({ file: path, ...r, ...(snapInfo ? { snap: { ...snapInfo, network: snap!.network } } : {}) });
  else {
    if (snapInfo)
      process.stdout.write(
        `Snapped (--snap ${snapInfo.epsilon}): ${snapInfo.layers.reduce((a, l) => a + l.snapped, 0)} row(s) or convolution filter(s) in ${snapInfo.layers.length} layer(s) made exactly (anti)parallel to another row's (filter's) line, largest angle ${snapInfo.maxAngle.toExponential(2)} rad (each moved row's scale compensated in the layers after it); the verdict below is for the snapped network${r.injective === true ? ' ("injective up to ε": a network whose rows and filters are within angle ε of these, every other parameter the same, is injective)' : ""}${snapInfo.notSnapped.length ? `; not snapped: ${snapInfo.notSnapped.map((x) => `layer ${x.index} (${x.reason})`).join("; ")}` : ""}. --json prints it.\n`,
      );
    process.stdout.write(describeNetworkResult(path, r) + "\n");
  }
  const cancelled = r.layers.some((l) => l.injective === null && /cancelled/.test(l.reason));
  return cancelled ? EXIT.cancelled : exitForVerdict(r.injective);
}

export function checkNetworkCommand(): Command {
  const cmd = new Command("check-network")
    .description(
      "decide whether a network is injective: per-layer verdicts on their domains and the end-to-end conclusion",
    )
    .argument(
      "<model>",
      'network file: the project\'s JSON {"format": "injective-relu/network", ...}, .onnx, a TF.js model.json or its folder, or X.safetensors with X.layers.json (dense, conv, conv_transpose, batch norm, flatten/reshape; ReLU, leaky ReLU, linear, tanh, sigmoid)',
    )
    .option(
      "--time-limit <seconds>",
      "stop after this many seconds and answer unknown (exit 2)",
      parsePositive,
    )
    .option(
      "--snap <epsilon>",
      "ask 'injective up to noise ε': in every dense layer, rows within angle ε (radians, in (0, 0.1]) of another row's line are made exactly (anti)parallel, and that network is checked",
      parseTolerance,
    )
    .option(
      "--tolerance <t>",
      "tolerance of the layer searches and inversions, in (0, 0.1]",
      parseTolerance,
      DEFAULT_TOLERANCE,
    )
    .option("--seed <n>", "seed of the falsifiers and the collision search", parseInteger, 1)
    .option(
      "--box <R|lo:hi>",
      "box of the sampled collision search: [−R, R]^n or [lo, hi]^n (default 1: [−1, 1]^n)",
      parseBox,
    )
    .addOption(memoryLimitOption())
    .addOption(layerWorkersOption())
    .option(
      "--proof",
      "keep each ReLU layer's branch-and-bound proof tree in its certificate (--json), so that `verify MODEL EVIDENCE --layer k` replays it instead of searching",
    )
    .option("--json", "print machine-readable JSON on stdout");
  cmd.addHelpText(
    "after",
    `
Exit codes: 0 injective (proved layerwise, Corollary 1), 1 not injective (a witness x1 ≠ x2 of
network inputs is printed), 2 unknown or "injective almost surely" (Corollary 3 holds for generic
projections, not for every matrix; also when a stage ran out of --time-limit or --memory-limit:
the reason names it), 3 bad input, 130 cancelled.`,
  );
  cmd.action(async (path: string, opts: CheckNetworkCliOptions) => {
    process.exitCode = await runNetworkCheck(path, opts);
  });
  return cmd;
}
