/**
 * `injective-relu compressed-sensing NETWORK.json --k 2,4,8 [--noise σ] [--trials N] [--seed S] [--json]`:
 * the compressed-sensing experiment of src/experiments/compressed-sensing.ts (Bora et al. 2017):
 * y = A·G(z) + e with a seeded Gaussian A of k rows, z recovered by Adam on ‖A G(z) − y‖² with
 * restarts; prints the relative error ‖ẑ − z‖/‖z‖ per k.
 */

import { Command, InvalidArgumentError } from "commander";
import {
  compressedSensingExperiment,
  type CompressedSensingResult,
} from "../../experiments/compressed-sensing.js";
import { readNetworkFile } from "../../io/network-file.js";
import { fmtMs, fmtNum, table } from "../format.js";
import { isResourceLimitError } from "../../core/budget.js";
import {
  memoryLimitOption,
  parseInteger,
  parsePositive,
  printJson,
  reportLimit,
  readerOptions,
} from "../options.js";

interface CsCliOptions {
  k: number[];
  noise: number;
  trials: number;
  seed: number;
  restarts: number;
  iterations: number;
  lr: number;
  json?: boolean;
  memoryLimit?: number;
}

/** Parses "2,4,8" into positive integers. */
function parseKList(value: string): number[] {
  const ks = value.split(",").map((s) => Number(s.trim()));
  if (ks.length === 0 || !ks.every((k) => Number.isInteger(k) && k >= 1))
    throw new InvalidArgumentError(`expected a comma-separated list of positive integers, got "${value}"`);
  return ks;
}

function parseNonnegative(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x < 0) throw new InvalidArgumentError(`expected a number >= 0, got "${value}"`);
  return x;
}

function parseCount(value: string): number {
  const x = parseInteger(value);
  if (x < 1) throw new InvalidArgumentError(`expected an integer >= 1, got "${value}"`);
  return x;
}

/** The `compressed-sensing` command (register it in src/cli/main.ts). */
export function compressedSensingCommand(): Command {
  const cmd = new Command("compressed-sensing")
    .description("recover z from k < d random Gaussian measurements y = A G(z) + e of a generator's output")
    .argument(
      "<network>",
      "the generator G: a network file (JSON, .onnx, TF.js model.json or folder, .safetensors)",
    )
    .requiredOption("--k <list>", "numbers of measurements, comma-separated (e.g. 2,4,8)", parseKList)
    .option("--noise <sigma>", "standard deviation of the measurement noise", parseNonnegative, 0)
    .option("--trials <n>", "trials per k (fresh z, A, e)", parseCount, 5)
    .option("--seed <n>", "seed of every random draw", parseInteger, 1)
    .option("--restarts <n>", "gradient descent: random starts", parseCount, 5)
    .option("--iterations <n>", "gradient descent: Adam iterations per start", parseCount, 1500)
    .option("--lr <rate>", "gradient descent: initial learning rate", parsePositive, 0.1)
    .addOption(memoryLimitOption())
    .option("--json", "print machine-readable JSON on stdout");
  cmd.action(async (path: string, opts: CsCliOptions) => {
    const net = await readNetworkFile(path, readerOptions(opts));
    const t0 = performance.now();
    let r: CompressedSensingResult;
    try {
      r = compressedSensingExperiment(net, {
        ks: opts.k,
        noise: opts.noise,
        trials: opts.trials,
        seed: opts.seed,
        gradient: { restarts: opts.restarts, iterations: opts.iterations, learningRate: opts.lr },
        ...(opts.memoryLimit !== undefined ? { memoryLimitBytes: opts.memoryLimit } : {}),
      });
    } catch (e) {
      if (!isResourceLimitError(e)) throw e;
      process.exitCode = reportLimit(path, e, opts.json);
      return;
    }
    if (opts.json) {
      printJson(r);
      return;
    }
    process.stdout.write(
      `${path}: G maps R^${r.inputDim} → R^${r.outputDim}; y = A G(z) + e, A k×${r.outputDim} Gaussian N(0, 1/k), e ~ N(0, ${r.noise}²), z ~ N(0, I)\n` +
        `recovery: Adam on ‖A G(z) − y‖², ${opts.restarts} starts × ${opts.iterations} iterations; ${opts.trials} trials per k; seed ${r.seed}\n\n`,
    );
    process.stdout.write(
      table(
        ["k", "mean ‖ẑ − z‖/‖z‖", "median", "recovered (≤ 0.1)", "mean residual", "mean time"],
        r.rows.map((row) => [
          String(row.k),
          fmtNum(row.meanError, 3),
          fmtNum(row.medianError, 3),
          `${row.recovered}/${row.trials.length}`,
          fmtNum(row.meanResidual, 3),
          fmtMs(row.meanTimeMs),
        ]),
      ) + `\nTime: ${fmtMs(performance.now() - t0)}\n`,
    );
  });
  return cmd;
}
