/**
 * `injective-relu check-conv KERNELS.json --signal 32x32`: injectivity of a stride-1 convolutional
 * ReLU layer by the paper's Theorem 4 (a sufficient test on a small box whose cost does not depend on
 * the signal size), optionally followed by the exact check of the full convolution matrix
 * (Theorem 1). Definitions 2–3 and the index convention: src/core/convolution.ts and
 * docs/convolutions.md.
 */

import { Command, InvalidArgumentError, Option } from "commander";
import { readUserFile } from "../../io/safe-file.js";
import {
  BOUNDARIES,
  type Boundary,
  type ConvSpec,
  convMatrixSize,
  convSpec,
  convolve,
} from "../../core/convolution.js";
import { DEFAULT_MEMORY_LIMIT_BYTES, isResourceLimitError } from "../../core/budget.js";
import { boxMatrix, checkConv, checkConvExact, type ConvCheckResult } from "../../core/theorem4.js";
import type { Domain, LayerCheckResult } from "../../core/types.js";
import { InputRangeError, InputTypeError } from "../../core/validate.js";
import { FileFormatError } from "../../io/errors.js";
import { EXIT } from "../exit-codes.js";
import { fmtMs, fmtNum, fmtVec, fmtVerdict, table } from "../format.js";
import { interruptSignal, ProgressReporter } from "../progress.js";
import { parsePositive, printJson, domainOption, memoryLimitOption } from "../options.js";

/** Largest full matrix (columns c·ΠN) that `--full` checks without an explicit `--time-limit`. */
export const FULL_MAX_COLUMNS = 400;

interface CheckConvCliOptions {
  signal: number[];
  channels?: number;
  boundary?: Boundary;
  box?: number[];
  full?: boolean;
  domain: Domain;
  timeLimit?: number;
  json?: boolean;
  memoryLimit?: number;
}

/** Parses a size list like `32`, `32x32` or `32×32` (1 or 2 positive integers). */
export function parseSizes(value: string): number[] {
  const parts = value.trim().split(/\s*[x×X,]\s*/);
  const sizes = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (parts.length < 1 || parts.length > 2 || sizes.some((s) => !Number.isSafeInteger(s) || s < 1)) {
    throw new InvalidArgumentError(`expected 1 or 2 positive integers like 32 or 32x32, got "${value}"`);
  }
  return sizes;
}

function parseCount(value: string): number {
  const x = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(x) || x < 1)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return x;
}

/**
 * Depth of the first-element chain of a nested array (3 for q × c × k1, 4 for q × c × k1 × k2),
 * and the path of the first empty array on it, if any.
 */
function nestingDepth(x: unknown): { depth: number; empty?: string } {
  let d = 0;
  let path = "kernels";
  while (Array.isArray(x)) {
    d++;
    if (x.length === 0) return { depth: d, empty: path };
    x = x[0];
    path += "[0]";
  }
  return { depth: d };
}

/** A kernels file: `{"kernels": [...], "boundary"?: "zero" | "periodic"}`. */
export interface KernelsFile {
  path: string;
  kernels: unknown;
  boundary?: Boundary;
  dims: number;
}

/** Reads and checks the shape of a kernels file (the values are validated by convSpec). */
export async function readKernelsFile(path: string): Promise<KernelsFile> {
  const text = (await readUserFile(path)).toString("utf8");
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(path, `invalid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    throw new FileFormatError(
      path,
      'expected a JSON object {"kernels": [...]} (kernels of shape q × c_in × k1 [× k2])',
    );
  const rec = obj as Record<string, unknown>;
  if (!("kernels" in rec))
    throw new FileFormatError(path, 'missing "kernels" (an array of shape q × c_in × k1 [× k2])');
  let boundary: Boundary | undefined;
  if (rec.boundary !== undefined && rec.boundary !== null) {
    if (typeof rec.boundary !== "string" || !(BOUNDARIES as readonly string[]).includes(rec.boundary))
      throw new FileFormatError(
        path,
        `"boundary" must be one of ${BOUNDARIES.join(", ")}, got ${JSON.stringify(rec.boundary)}`,
      );
    boundary = rec.boundary as Boundary;
  }
  const { depth, empty } = nestingDepth(rec.kernels);
  if (empty !== undefined)
    throw new FileFormatError(
      path,
      `${empty} is empty (kernels have shape q × c_in × k1 [× k2], every size at least 1)`,
    );
  if (depth !== 3 && depth !== 4)
    throw new FileFormatError(
      path,
      `"kernels" must be nested 3 deep (q × c_in × k1, 1-D) or 4 deep (q × c_in × k1 × k2, 2-D), got ${depth === 0 ? "no array" : `${depth} level(s)`}`,
    );
  return { path, kernels: rec.kernels, boundary, dims: depth - 2 };
}

/** Builds the spec, turning validation errors into one-line messages that name the file. */
function specFromFile(file: KernelsFile, opts: CheckConvCliOptions): ConvSpec {
  if (opts.signal.length !== file.dims) {
    throw new InputRangeError(
      `check-conv: --signal ${opts.signal.join("x")} has ${opts.signal.length} dimension(s) but the kernels in ${file.path} are ${file.dims}-D (${file.dims === 1 ? "q × c_in × k1" : "q × c_in × k1 × k2"})`,
    );
  }
  try {
    return convSpec(file.kernels, {
      signal: opts.signal,
      boundary: opts.boundary ?? file.boundary ?? "zero",
      channels: opts.channels,
    });
  } catch (e) {
    if (e instanceof InputRangeError || e instanceof InputTypeError) {
      const problem = e.message
        .replace(/^convSpec\(\): /, "")
        .replace(/^options\.channels/, "--channels")
        .replace(/options\.signal/, "--signal");
      throw new FileFormatError(file.path, problem, { cause: e });
    }
    throw e;
  }
}

/** The box must have one entry per spatial dimension and be at least the kernel size. */
function checkBoxOption(box: number[], spec: ConvSpec): void {
  if (box.length !== spec.signal.length)
    throw new InputRangeError(
      `check-conv: --box ${box.join("x")} has ${box.length} dimension(s) but the signal has ${spec.signal.length}`,
    );
  box.forEach((p, d) => {
    if (p < spec.kernelSize[d])
      throw new InputRangeError(
        `check-conv: --box ${box.join("x")} is smaller than the kernel ${spec.kernelSize.join("x")} in dimension ${d} (Theorem 4 needs P >= O)`,
      );
  });
}

/** The `check-conv` command. */
export function checkConvCommand(): Command {
  const cmd = new Command("check-conv")
    .description(
      "injectivity of a stride-1 convolutional ReLU layer by Theorem 4 (a sufficient test on a small box, independent of the signal size); --full adds the exact check of the full matrix",
    )
    .argument(
      "<kernels>",
      'JSON {"kernels": [...], "boundary"?: "zero"|"periodic"}: kernels of shape q × c_in × k1 (1-D) or q × c_in × k1 × k2 (2-D)',
    )
    .requiredOption("--signal <size>", "spatial size of the signal: N (1-D) or N1xN2 (2-D)", parseSizes)
    .option("--channels <c>", "number of input channels (checked against the kernels)", parseCount)
    .addOption(
      new Option(
        "--boundary <boundary>",
        'boundary condition (default: the file\'s "boundary", else zero)',
      ).choices([...BOUNDARIES]),
    )
    .option(
      "--box <size>",
      "the box P of Theorem 4 (P >= kernel size); default: P = O, O+1, … up to a cap",
      parseSizes,
    )
    .option(
      "--full",
      `also run the exact check of the full convolution matrix (refused above ${FULL_MAX_COLUMNS} columns unless --time-limit is given)`,
    )
    .addOption(domainOption())
    .option(
      "--time-limit <seconds>",
      "time limit of the box search and, separately, of the full check (unknown: exit 2)",
      parsePositive,
    )
    .addOption(memoryLimitOption())
    .option("--json", "print machine-readable JSON on stdout");
  cmd.addHelpText(
    "after",
    `
Theorem 4 is only sufficient: "not proved" (exit 2) says nothing about the layer. The layer is
y[f, j] = Σ_ch Σ_i K[f, ch, O−1−i] · x[ch, j+i] (Definition 2, 0-based; docs/convolutions.md).

Exit codes: 0 proved injective (Theorem 4, or --full), 1 not injective (only --full finds collisions),
2 not proved / unknown, 3 bad input, 4 internal error, 130 cancelled (Ctrl-C).

Examples:
  injective-relu check-conv kernels.json --signal 32x32
  injective-relu check-conv kernels.json --signal 8 --boundary periodic --full
  injective-relu check-conv kernels.json --signal 64x64 --box 4x4 --json`,
  );
  cmd.action(async (path: string, opts: CheckConvCliOptions) => {
    const file = await readKernelsFile(path);
    const spec = specFromFile(file, opts);
    if (opts.box) checkBoxOption(opts.box, spec);
    const full = convMatrixSize(spec);
    if (opts.full) {
      // A matrix above --memory-limit is not refused here: the full check answers unknown, naming it.
      if (full.n > FULL_MAX_COLUMNS && opts.timeLimit === undefined)
        throw new InputRangeError(
          `check-conv: --full refused: the full matrix is ${full.m}×${full.n} (${full.n} columns > ${FULL_MAX_COLUMNS}), and its exact check can take very long; give --time-limit S to run it anyway`,
        );
    }
    const timeLimitMs = opts.timeLimit === undefined ? Infinity : opts.timeLimit * 1000;
    const interrupt = interruptSignal();
    const progress = new ProgressReporter(file.path, !opts.json && process.stderr.isTTY === true);
    let t4: ConvCheckResult;
    let exact: LayerCheckResult | undefined;
    try {
      const memoryLimitBytes = opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT_BYTES;
      t4 = await checkConv(spec, {
        box: opts.box,
        domain: opts.domain,
        timeLimitMs,
        signal: interrupt.signal,
        memoryLimitBytes,
        onProgress: progress.onProgress,
      });
      progress.stop();
      if (opts.full && !interrupt.signal.aborted) {
        exact = await checkConvExact(spec, {
          domain: opts.domain,
          timeLimitMs,
          signal: interrupt.signal,
          memoryLimitBytes,
          onProgress: progress.onProgress,
        });
      }
    } finally {
      progress.stop();
      interrupt.dispose();
    }
    const injective = overallVerdict(t4, exact);
    if (opts.json) printJson(resultJson(file, spec, t4, exact, injective));
    else process.stdout.write(describeConv(file, spec, t4, exact) + "\n");
    process.exitCode = interrupt.signal.aborted
      ? EXIT.cancelled
      : injective === true
        ? EXIT.injective
        : injective === false
          ? EXIT.notInjective
          : EXIT.unknown;
  });
  return cmd;
}

/** true if Theorem 4 or the exact check proves injectivity, false if the exact check finds a collision. */
function overallVerdict(t4: ConvCheckResult, exact: LayerCheckResult | undefined): boolean | null {
  if (exact?.injective === false) return false;
  if (t4.injective === true || exact?.injective === true) return true;
  return null;
}

const fmtSize = (s: readonly number[]): string => s.join("×");

/** Which check settled the overall verdict. */
function decidedBy(t4: ConvCheckResult, exact: LayerCheckResult | undefined): "theorem4" | "full" | "none" {
  if (exact?.injective === false) return "full";
  if (t4.injective === true) return "theorem4";
  if (exact?.injective === true) return "full";
  return "none";
}

/** A checkLayer result with the verdict first, then the evidence, then the rest (as `check --json`). */
function layerJson(r: LayerCheckResult): Record<string, unknown> {
  const { injective, method, reason, witness, certificate, ...rest } = r;
  return {
    injective,
    method,
    reason,
    ...(witness ? { witness } : {}),
    ...(certificate ? { certificate } : {}),
    ...rest,
  };
}

/** The box matrix for the JSON output, or null when it is above the default memory limit. */
function boxMatrixOrNull(spec: ConvSpec, box: number[]): number[][] | null {
  try {
    return boxMatrix(spec, box);
  } catch (e) {
    if (isResourceLimitError(e)) return null;
    throw e;
  }
}

/** The JSON output: verdict first, then Theorem 4's result, then the exact check. */
export function resultJson(
  file: KernelsFile,
  spec: ConvSpec,
  t4: ConvCheckResult,
  exact: LayerCheckResult | undefined,
  injective: boolean | null,
): Record<string, unknown> {
  return {
    file: file.path,
    injective,
    decidedBy: decidedBy(t4, exact),
    layer: {
      signal: spec.signal,
      channels: spec.channels,
      filters: spec.filters,
      kernelSize: spec.kernelSize,
      boundary: spec.boundary,
    },
    theorem4: {
      ...t4,
      layerCheck: layerJson(t4.layerCheck),
      // The rows the certificate or witness of layerCheck refer to: {"W": boxMatrix} can be
      // re-checked with `injective-relu verify`.
      boxMatrix: boxMatrixOrNull(spec, t4.box),
    },
    ...(exact ? { full: layerJson(exact) } : {}),
  };
}

/** The human report. */
export function describeConv(
  file: KernelsFile,
  spec: ConvSpec,
  t4: ConvCheckResult,
  exact: LayerCheckResult | undefined,
): string {
  const region = t4.domain === "all" ? "R^n" : "the nonnegative orthant";
  const { m, n } = t4.fullMatrixSize;
  const lines = [
    `${file.path}: ${spec.filters} filter(s) × ${spec.channels} channel(s), kernel ${fmtSize(spec.kernelSize)}, signal ${fmtSize(spec.signal)}, ${spec.boundary} boundary; full matrix ${m}×${n}; domain ${region}`,
    `Theorem 4 (sufficient only): ${t4.injective === true ? `injective, proved on the box P = ${fmtSize(t4.box)}` : "not proved"}  (W|Z_P is ${t4.boxMatrixSize.m}×${t4.boxMatrixSize.n}, ${fmtMs(t4.timeMs)})`,
  ];
  const tries = table(
    ["box P", "W|Z_P (m×n)", "box injective", "method", "time"],
    t4.tries.map((t) => [
      fmtSize(t.box),
      `${t.m}×${t.n}`,
      t.injective === true ? "yes" : t.injective === false ? "no" : "unknown",
      t.method,
      fmtMs(t.timeMs),
    ]),
  );
  lines.push(...tries.split("\n").map((l) => `  ${l}`));
  lines.push(`  ${t4.reason}`);
  if (exact) {
    lines.push(
      `Exact check of the full ${exact.m}×${exact.n} matrix (Theorem 1): ${fmtVerdict(exact.injective)}  (method: ${exact.method}${exact.injective !== null ? (exact.exact ? ", evidence checked in exact arithmetic" : ", evidence checked in floating point") : ""}, ${fmtMs(exact.stats.timeMs)})`,
      // checkLayer's reason lists the witness in full; the witness is printed (elided) below.
      exact.witness
        ? `  Not injective on ${exact.domain === "all" ? `R^${exact.n}` : "the nonnegative orthant"}: at x1 only ${exact.witness.activeRows.length} row(s) are active, of rank ${exact.witness.activeRank} < ${exact.n}, and x2 − x1 is orthogonal to all of them.`
        : `  ${exact.reason}`,
    );
    if (exact.witness) {
      const w = exact.witness;
      const y1 = convolve(spec, w.x1);
      const y2 = convolve(spec, w.x2);
      let diff = 0;
      for (let k = 0; k < y1.length; k++)
        diff = Math.max(diff, Math.abs(Math.max(0, y1[k]) - Math.max(0, y2[k])));
      lines.push(
        `  Witness (shape (${[spec.channels, ...spec.signal].join(", ")}), C order): x1 = ${fmtVec(w.x1, 6)}`,
        `                                     x2 = ${fmtVec(w.x2, 6)}`,
        `  ReLU(conv(x1)) = ReLU(conv(x2)) up to ${fmtNum(diff, 3)} (recomputed by a direct convolution)`,
      );
    }
  }
  const verdict = overallVerdict(t4, exact);
  const summary =
    verdict === true
      ? t4.injective === true
        ? `injective (Theorem 4 on the box ${fmtSize(t4.box)}${exact?.injective === true ? ", confirmed by the exact check" : ""})`
        : "injective (exact check of the full matrix; Theorem 4 did not prove it)"
      : verdict === false
        ? "NOT injective (the exact check found a collision)"
        : exact
          ? "unknown (Theorem 4 did not prove it and the exact check did not decide)"
          : "not proved (Theorem 4 is only sufficient: this says nothing about the layer; try --full on a small signal)";
  lines.push(`Verdict: ${summary}`);
  return lines.join("\n");
}
