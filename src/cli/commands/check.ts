/**
 * `injective-relu check FILE|DIR...`: the exact injectivity verdict for single layers.
 */

import { Command, Option } from "commander";
import { isResourceLimitError, type Domain, type LayerCheckResult, type Method } from "../../core/index.js";
import { checkLayerWithin, limitedLayerResult } from "../../core/check-layer.js";
import { listLayerFiles, readLayerFile, type LayerFile } from "../../io/layer-file.js";
import { FileFormatError } from "../../io/errors.js";
import { isNetworkFile } from "../../io/network-file.js";
import { runNetworkCheck } from "./check-network.js";
import { EXIT, exitForVerdict } from "../exit-codes.js";
import { fmtMs, fmtVerdict, table } from "../format.js";
import { describeResult, type CheckResult } from "../report.js";
import { interruptSignal, ProgressReporter } from "../progress.js";
import {
  cliBudget,
  domainOption,
  parseBox,
  memoryLimitOption,
  parseInteger,
  layerWorkersOption,
  parsePositive,
  parseTolerance,
  printJson,
  readerOptions,
} from "../options.js";
import { snapLayer } from "../../core/snap.js";
import { InputRangeError } from "../../core/validate.js";
import { DEFAULT_TOLERANCE } from "../../core/numerics.js";
import { PARALLEL_MIN_N } from "../../core/parallel-search.js";
import { LayerWorkerPool } from "../../parallel/layer-pool.js";

export { describeResult, type CheckResult, type SnapInfo } from "../report.js";

/** Options of the commands that run `checkLayer` (see {@link addCheckOptions}). */
export interface CheckRunOptions {
  method: Method;
  timeLimit?: number;
  tolerance: number;
  seed: number;
  exact: "auto";
  /** Decide the layer with nearly (anti)parallel rows snapped within this angle (the ε question). */
  snap?: number;
  json?: boolean;
  /** Bytes (`--memory-limit`); absent: the default 2 GiB. */
  memoryLimit?: number;
  /** Threads for one layer's branch and bound and cover check (`--workers`). @default 1 */
  workers?: number;
  /** Keep the branch and bound's proof in the certificate (`--proof`). */
  proof?: boolean;
}

interface CheckCliOptions extends CheckRunOptions {
  domain: Domain;
  /** Networks: the box of the sampled collision search. */
  box?: { lo: number; hi: number };
}

/** A checked file: its layer and result. */
export interface CheckedFile {
  file: LayerFile;
  result: LayerCheckResult;
}

/** Adds the options shared by commands that run `checkLayer`. */
export function addCheckOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--method <method>", "decision method")
        .choices(["auto", "branch-and-bound", "exhaustive", "falsify", "structure", "lemma1"])
        .default("auto"),
    )
    .option(
      "--time-limit <seconds>",
      "stop after this many seconds per layer and answer unknown (exit 2)",
      parsePositive,
    )
    .option(
      "--tolerance <t>",
      "tolerance of the floating-point search on unit rows, in (0, 0.1]; verdicts are re-checked exactly, so it can only leave a verdict unknown",
      parseTolerance,
      DEFAULT_TOLERANCE,
    )
    .option("--seed <n>", "seed of the randomized falsifier", parseInteger, 1)
    .option(
      "--snap <epsilon>",
      "ask 'injective up to noise ε' instead: rows within angle ε (radians, in (0, 0.1]) of another row's line are made exactly (anti)parallel, and that layer is decided exactly",
      parseTolerance,
    )
    .addOption(
      // Kept so that scripts passing `--exact auto` still run; every verdict is re-checked exactly.
      new Option("--exact <mode>", "always auto: every verdict is re-checked exactly")
        .choices(["auto"])
        .default("auto")
        .hideHelp(),
    )
    .addOption(memoryLimitOption())
    .addOption(layerWorkersOption())
    .option(
      "--proof",
      "keep the branch and bound's proof tree in the certificate (--json), so that `verify` replays it instead of searching (about 1.5 bytes per search node)",
    )
    .option("--json", "print machine-readable JSON on stdout");
}

/**
 * Runs checkLayer on one loaded layer with the CLI's options, a progress bar and Ctrl-C, within the
 * time and memory limits: a stage that cannot fit answers unknown with the stage and the limit in
 * the reason (never an out-of-memory abort).
 */
export async function runCheck(file: LayerFile, domain: Domain, opts: CheckRunOptions): Promise<CheckResult> {
  const progress = new ProgressReporter(file.path, !opts.json && process.stderr.isTTY === true);
  const interrupt = interruptSignal();
  const budget = cliBudget("check", opts, interrupt.signal);
  const options = { domain, tolerance: opts.tolerance, seed: opts.seed };
  const pool =
    (opts.workers ?? 1) >= 2 && file.W[0].length >= PARALLEL_MIN_N
      ? new LayerWorkerPool(opts.workers!)
      : null;
  try {
    const run = {
      ...options,
      method: opts.method,
      onProgress: progress.onProgress,
      ...(opts.proof ? { proof: true } : {}),
      ...(pool ? { pool } : {}),
    };
    if (opts.snap !== undefined) {
      const s = snapLayer(file.W, file.b ?? null, opts.snap);
      const r = await checkLayerWithin(s.W, s.b, run, budget, file.path);
      return { ...r, snap: { epsilon: s.epsilon, maxAngle: s.maxAngle, snapped: s.snapped, W: s.W, b: s.b } };
    }
    return await checkLayerWithin(file.W, file.b ?? null, { ...run, exact: opts.exact }, budget, file.path);
  } catch (e) {
    if (!isResourceLimitError(e)) throw e;
    return limitedLayerResult(file.W.length, file.W[0].length, e, options);
  } finally {
    progress.stop();
    interrupt.dispose();
    await pool?.close();
  }
}

/** The `check` command. */
export function checkCommand(): Command {
  const cmd = new Command("check")
    .description(
      "decide whether x ↦ ReLU(Wx + b) is injective; print a witness (x1 ≠ x2, same output) or a certificate",
    )
    .argument(
      "<files...>",
      'layer files: JSON {"W": [[...]], "b"?: [...]} (rows of W are output units) or .npy holding W; or directories of them',
    )
    .addOption(domainOption())
    .option(
      "--box <R|lo:hi>",
      "networks: box of the sampled collision search, [−R, R]^n or [lo, hi]^n (default 1)",
      parseBox,
    );
  addCheckOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Exit codes: 0 injective, 1 not injective, 2 unknown (time limit or the method does not decide),
3 bad input, 4 internal error, 130 cancelled (Ctrl-C). With several files: the largest of 3, 2, 1, 0 that occurs.

Examples:
  injective-relu check examples/layers/04-figure2-center.json
  injective-relu check layer.npy --domain nonnegative --json
  injective-relu check examples/layers --time-limit 10`,
  );
  cmd.action(async (inputs: string[], opts: CheckCliOptions) => {
    const given = (name: string) => cmd.getOptionValueSource(name) === "cli";
    // A network file (ONNX, or the project's network JSON): the whole-network check.
    if (inputs.length === 1 && (await isNetworkFile(inputs[0]))) {
      // Options of the single-layer check that a network check does not take: refused, not ignored.
      for (const [name, flag] of [
        ["domain", "--domain"],
        ["method", "--method"],
      ] as const)
        if (given(name))
          throw new InputRangeError(
            `${flag} applies to layer files; a network's first layer is checked on R^n and each later layer on the domain the layers before it give it (use check-network's options)`,
          );
      process.exitCode = await runNetworkCheck(inputs[0], opts);
      return;
    }
    if (given("box"))
      throw new InputRangeError(
        "--box applies to networks (the box of the sampled collision search), not to layer files",
      );
    const paths: string[] = [];
    for (const p of inputs) for (const f of await listLayerFiles(p)) paths.push(f);
    for (const p of paths) {
      if (await isNetworkFile(p)) {
        throw new FileFormatError(
          p,
          "is a network file: check one network at a time (injective-relu check NETWORK)",
        );
      }
    }
    const files: LayerFile[] = [];
    for (const p of paths) files.push(await readLayerFile(p, readerOptions(opts)));
    const checked: CheckedFile[] = [];
    for (const file of files) {
      checked.push({ file, result: await runCheck(file, opts.domain, opts) });
    }
    if (opts.json) {
      const objs = checked.map(({ file, result }) => resultJson(file, result));
      printJson(objs.length === 1 ? objs[0] : { results: objs });
    } else if (checked.length === 1) {
      process.stdout.write(describeResult(checked[0].file, checked[0].result) + "\n");
    } else {
      process.stdout.write(summaryTable(checked) + "\n");
    }
    const verdicts = checked.map((c) => c.result);
    const cancelled = verdicts.some((r) => r.injective === null && /cancelled/.test(r.reason));
    process.exitCode = cancelled
      ? EXIT.cancelled
      : verdicts.reduce((code, r) => Math.max(code, exitForVerdict(r.injective)), 0);
  });
  return cmd;
}

/** The JSON object of one check: verdict first, then evidence, then the rest. */
export function resultJson(file: LayerFile, r: LayerCheckResult): Record<string, unknown> {
  const { injective, method, reason, witness, certificate, ...rest } = r;
  return {
    file: file.path,
    injective,
    method,
    reason,
    ...(witness ? { witness } : {}),
    ...(certificate ? { certificate } : {}),
    ...rest,
  };
}

/** One row per file. */
export function summaryTable(checked: CheckedFile[]): string {
  return table(
    ["file", "m×n", "domain", "verdict", "method", "exact", "time"],
    checked.map(({ file, result: r }) => [
      file.path,
      `${r.m}×${r.n}`,
      r.domain,
      fmtVerdict(r.injective),
      r.method,
      r.injective === null ? "-" : r.exact ? "yes" : "no",
      fmtMs(r.stats.timeMs),
    ]),
  );
}
