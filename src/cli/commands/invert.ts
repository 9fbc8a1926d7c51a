/**
 * `injective-relu invert MODEL.json --output y.(json|npy)`: exact layerwise inversion of a network
 * on its range (Corollary 1's inverse; see src/invert/invert-network.ts). With `--noise-aware`, the
 * robust layerwise LP inversion for noisy outputs (Lei et al. 2019; src/invert/robust-layer.ts);
 * with `--compare`, also the gradient-descent baseline (src/invert/gradient-inversion.ts).
 */

import { Command, InvalidArgumentError } from "commander";
import { readUserFile } from "../../io/safe-file.js";
import { FileFormatError } from "../../io/errors.js";
import { readNetworkFile } from "../../io/network-file.js";
import { parseNpy } from "../../io/npy.js";
import { invertNetwork, type NetworkInverse } from "../../invert/invert-network.js";
import { invertNetworkRobust, relativeError, type RobustNetworkInverse } from "../../invert/robust-layer.js";
import { gradientInversion, type GradientInversionResult } from "../../invert/gradient-inversion.js";
import { forwardUnchecked, layerOutputDim, type Network } from "../../network/network.js";
import { InputRangeError } from "../../core/validate.js";
import { fmtMs, fmtNum, fmtVec, table } from "../format.js";
import { isResourceLimitError } from "../../core/budget.js";
import {
  memoryLimitOption,
  parseInteger,
  parsePositive,
  printJson,
  reportLimit,
  readerOptions,
} from "../options.js";

interface InvertCliOptions {
  output: string;
  tolerance: number;
  json?: boolean;
  noiseAware?: boolean;
  noise: number;
  norm: "linf" | "l1";
  truth?: string;
  compare?: boolean;
  restarts: number;
  iterations: number;
  lr: number;
  seed: number;
  timeLimit?: number;
  memoryLimit?: number;
}

/** The time and memory limits of the inversions (they run synchronously: Ctrl-C ends the process). */
function limits(opts: InvertCliOptions): { timeLimitMs?: number; memoryLimitBytes?: number } {
  return {
    ...(opts.timeLimit !== undefined ? { timeLimitMs: opts.timeLimit * 1000 } : {}),
    ...(opts.memoryLimit !== undefined ? { memoryLimitBytes: opts.memoryLimit } : {}),
  };
}

/** Parses a number >= 0. */
function parseNonnegative(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x < 0) throw new InvalidArgumentError(`expected a number >= 0, got "${value}"`);
  return x;
}

/** One row of the `--compare` table. */
interface MethodRow {
  method: string;
  x: number[];
  /** ‖x̂ − x‖₂/‖x‖₂ when the truth is known. */
  error: number | null;
  /** ‖N(x̂) − y‖₂/‖y‖₂. */
  residual: number;
  timeMs: number;
}

function relResidual(net: Network, x: number[], y: number[]): number {
  return relativeError(forwardUnchecked(net, x), y);
}

/** `--noise-aware` and/or `--compare`: run the methods and print their errors, residuals and times. */
async function runNoisy(net: Network, y: number[], opts: InvertCliOptions): Promise<void> {
  const truth = opts.truth ? await readOutputVector(opts.truth) : undefined;
  if (truth && truth.length !== net.inputDim)
    throw new FileFormatError(
      opts.truth!,
      `x has length ${truth.length}, expected ${net.inputDim} (inputDim)`,
    );
  const rows: MethodRow[] = [];
  let robust: RobustNetworkInverse | undefined;
  let exact: NetworkInverse | undefined;
  if (opts.noiseAware) {
    robust = invertNetworkRobust(net, y, {
      noiseLevel: opts.noise,
      tolerance: opts.tolerance,
      norm: opts.norm,
      ...limits(opts),
    });
    rows.push({
      method: `robust LP (${opts.norm}, σ = ${opts.noise})`,
      x: robust.x,
      error: truth ? relativeError(robust.x, truth) : null,
      residual: robust.residual,
      timeMs: robust.timeMs,
    });
  } else {
    const t0 = performance.now();
    exact = invertNetwork(net, y, { tolerance: opts.tolerance, ...limits(opts) });
    const timeMs = performance.now() - t0;
    if (exact.x)
      rows.push({
        method: "exact layerwise",
        x: exact.x,
        error: truth ? relativeError(exact.x, truth) : null,
        residual: relResidual(net, exact.x, y),
        timeMs,
      });
  }
  let gradient: GradientInversionResult | undefined;
  if (opts.compare) {
    gradient = gradientInversion(net, y, {
      restarts: opts.restarts,
      iterations: opts.iterations,
      learningRate: opts.lr,
      seed: opts.seed,
    });
    rows.push({
      method: `gradient (Adam, ${opts.restarts} starts × ${opts.iterations} its, seed ${opts.seed})`,
      x: gradient.z,
      error: truth ? relativeError(gradient.z, truth) : null,
      residual: gradient.residual,
      timeMs: gradient.timeMs,
    });
  }
  if (opts.json) {
    printJson({
      methods: rows,
      ...(robust ? { robust } : {}),
      ...(exact ? { exact } : {}),
      ...(gradient ? { gradient } : {}),
    });
  } else {
    if (exact && !exact.x) process.stdout.write(describeInverse(exact) + "\n");
    for (const r of rows) process.stdout.write(`${r.method}: x = ${fmtVec(r.x, 6)}\n`);
    process.stdout.write(
      table(
        ["method", "rel. error ‖x̂ − x‖/‖x‖", "rel. residual ‖N(x̂) − y‖/‖y‖", "time"],
        rows.map((r) => [
          r.method,
          r.error === null ? "(no --truth)" : fmtNum(r.error, 3),
          fmtNum(r.residual, 3),
          fmtMs(r.timeMs),
        ]),
      ) + "\n",
    );
    if (robust)
      for (const l of robust.layers)
        process.stdout.write(
          `  layer ${l.index} (${l.domain}): σ = ${fmtNum(l.noiseLevel, 3)}, τ = ${fmtNum(l.threshold, 3)}, ${l.activeRows} active rows (rank ${l.activeRank}), LP value ${fmtNum(l.lpObjective, 3)}, ℓ∞ fit ${fmtNum(l.fitResidual, 3)}, ${l.method}\n`,
        );
  }
  process.exitCode = exact ? invertExitCode(exact) : 0;
}

/** Exit codes of `invert`: 0 found (unique), 1 found but not proved unique, 2 no preimage, 3 bad input. */
export const INVERT_EXIT = { unique: 0, notUnique: 1, noPreimage: 2 } as const;

/** Reads y: a JSON array of numbers, or a .npy holding a vector (shape (k) or (1, k)). */
export async function readOutputVector(path: string): Promise<number[]> {
  const bytes = await readUserFile(path);
  if (path.toLowerCase().endsWith(".npy")) {
    const { shape, data } = parseNpy(new Uint8Array(bytes), path);
    if (!(shape.length === 1 || (shape.length === 2 && shape[0] === 1)))
      throw new FileFormatError(path, `expected a vector, got an array of shape (${shape.join(", ")})`);
    const y = Array.from(data);
    if (y.length === 0 || !y.every(Number.isFinite))
      throw new FileFormatError(path, "the vector is empty or holds NaN/Inf");
    return y;
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, ""));
  } catch {
    throw new FileFormatError(path, "invalid JSON (expected a plain array of numbers)");
  }
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((v) => typeof v === "number" && Number.isFinite(v))
  )
    throw new FileFormatError(path, "expected a non-empty JSON array of finite numbers");
  return value as number[];
}

/** Exit code of an inversion. */
export function invertExitCode(r: NetworkInverse): number {
  if (r.status !== "found") return INVERT_EXIT.noPreimage;
  return r.unique === true ? INVERT_EXIT.unique : INVERT_EXIT.notUnique;
}

/** The human report of an inversion. */
export function describeInverse(r: NetworkInverse): string {
  const lines: string[] = [];
  if (r.status === "found") {
    lines.push(
      `Preimage: x = ${fmtVec(r.x!, 10)}`,
      `  relative residual ‖N(x) − y‖∞/‖y‖∞ = ${fmtNum(r.residual, 3)}; unique: ${r.unique === true ? "yes" : r.unique === false ? "no" : "not proved"}`,
    );
    if (r.x2) lines.push(`  second preimage: x2 = ${fmtVec(r.x2, 10)}`);
  } else {
    lines.push(
      `No preimage (${r.status}): relative residual ${fmtNum(r.residual, 3)} at layer ${r.failedLayer}`,
    );
    if (r.residual > 0 && r.residual < 1e-5) {
      lines.push(
        "  Hint: a residual this small is typical of outputs computed in float32 (PyTorch, TF.js: about 1e-7 relative rounding); rerun with --tolerance 1e-6 to invert them, or --noise-aware for noisy data.",
      );
    }
  }
  lines.push(`  ${r.reason}`);
  for (const l of r.layers)
    lines.push(
      `  layer ${l.index} (${l.domain}): ${l.found ? "inverted" : "no preimage"} by ${l.method}, residual ${fmtNum(l.residual, 3)}; ${l.uniqueness}`,
    );
  return lines.join("\n");
}

/** The `invert` command (register it in src/cli/main.ts). */
export function invertCommand(): Command {
  const cmd = new Command("invert")
    .description("find x with N(x) = y by exact layerwise inversion, and say whether it is unique")
    .argument("<model>", "network JSON file")
    .requiredOption("--output <file>", "the output y to invert: a JSON array of numbers or a .npy vector")
    .option("--tolerance <t>", "relative tolerance of the residual checks", parsePositive, 1e-9)
    .option("--json", "print machine-readable JSON on stdout")
    .option("--noise-aware", "y is noisy: use the robust layerwise LP inversion (Lei et al. 2019)")
    .option(
      "--noise <sigma>",
      "standard deviation σ of the output noise (with --noise-aware)",
      parseNonnegative,
      0,
    )
    .option("--norm <norm>", "LP fit of --noise-aware: l1 (robust to misread rows) or linf", "l1")
    .option("--truth <file>", "the true input x (JSON array or .npy) to print the relative error")
    .option("--compare", "also run the gradient-descent baseline (Adam, seeded restarts) and compare")
    .option("--restarts <n>", "gradient baseline: random starts", parseInteger, 5)
    .option("--iterations <n>", "gradient baseline: Adam iterations per start", parseInteger, 1500)
    .option("--lr <rate>", "gradient baseline: initial learning rate", parsePositive, 0.1)
    .option("--seed <n>", "gradient baseline: seed of the random starts", parseInteger, 1)
    .option(
      "--time-limit <seconds>",
      "stop the layerwise inversions after this many seconds (then inconclusive, exit 2)",
      parsePositive,
    )
    .addOption(memoryLimitOption());
  cmd.addHelpText(
    "after",
    `
Exit codes: 0 preimage found and unique, 1 found but not unique (a second preimage is printed when
one was found) or uniqueness not proved, 2 no preimage (y is not in the range, or the layerwise
inversion was inconclusive), 3 bad input. With --noise-aware the exit code is 0 (an estimate is
always returned; judge it by the printed residual and, with --truth, the error).`,
  );
  cmd.action(async (path: string, opts: InvertCliOptions) => {
    const net = await readNetworkFile(path, readerOptions(opts));
    const y = await readOutputVector(opts.output);
    const out = layerOutputDim(net.layers[net.layers.length - 1]);
    if (y.length !== out)
      throw new FileFormatError(
        opts.output,
        `y has length ${y.length}, expected ${out} (the network's output dimension)`,
      );
    if (opts.norm !== "l1" && opts.norm !== "linf")
      throw new InputRangeError(`invert: --norm must be l1 or linf, got "${String(opts.norm)}"`);
    if (opts.noiseAware || opts.compare || opts.truth) {
      try {
        await runNoisy(net, y, opts);
      } catch (e) {
        if (!isResourceLimitError(e)) throw e;
        process.exitCode = reportLimit(path, e, opts.json);
      }
      return;
    }
    const r = invertNetwork(net, y, { tolerance: opts.tolerance, ...limits(opts) });
    if (opts.json) {
      const { x, residual, unique, x2, status, ...rest } = r;
      printJson({ x: x ?? null, residual, unique, ...(x2 ? { x2 } : {}), status, ...rest });
    } else process.stdout.write(describeInverse(r) + "\n");
    process.exitCode = invertExitCode(r);
  });
  return cmd;
}
