/**
 * Option parsers and output helpers shared by the CLI commands.
 */

import { availableParallelism } from "node:os";
import { PARALLEL_MIN_N } from "../core/parallel-search.js";
import { InvalidArgumentError, Option } from "commander";
import { Budget, DEFAULT_MEMORY_LIMIT_BYTES, type ResourceLimitError } from "../core/budget.js";
import { EXIT } from "./exit-codes.js";
import { MAX_TOLERANCE } from "../core/numerics.js";
import { DOMAINS } from "../core/validate.js";

/** Parses a positive finite number. */
export function parsePositive(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0)
    throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return x;
}

/**
 * Parses a box for a sampled search: `R` (the box [−R, R]ⁿ, R > 0) or `lo:hi` (lo < hi, finite).
 */
export function parseBox(value: string): { lo: number; hi: number } {
  const parts = value.split(":");
  if (parts.length === 1) {
    const r = Number(parts[0]);
    if (!Number.isFinite(r) || r <= 0)
      throw new InvalidArgumentError(`expected R > 0 (the box [−R, R]^n) or lo:hi, got "${value}"`);
    return { lo: -r, hi: r };
  }
  const [lo, hi] = parts.map((t) => (t.trim() === "" ? NaN : Number(t)));
  if (parts.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || lo >= hi)
    throw new InvalidArgumentError(`expected R > 0 or lo:hi with finite lo < hi, got "${value}"`);
  return { lo, hi };
}

/** Parses an integer. */
export function parseInteger(value: string): number {
  const x = Number(value);
  if (!Number.isInteger(x)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return x;
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** The `--domain all|nonnegative` option shared by the commands that check layers. */
export function domainOption(): Option {
  return new Option(
    "--domain <domain>",
    "input domain: all of R^n, or the nonnegative orthant (layers after a ReLU)",
  )
    .choices(DOMAINS)
    .default("all");
}

/** Parses a byte size: a number of bytes, or a number with a unit K, M, G (powers of 1024), e.g. "2G". */
export function parseByteSize(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*$/.exec(value);
  const units: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const x = m ? Number(m[1]) * units[m[2].toLowerCase()] : NaN;
  if (!Number.isFinite(x) || x <= 0)
    throw new InvalidArgumentError(`expected a size such as 512M or 2G, got "${value}"`);
  return Math.floor(x);
}

/** The `--memory-limit SIZE` option shared by the commands that can allocate much (default 2G). */
export function memoryLimitOption(): Option {
  return new Option(
    "--memory-limit <size>",
    "largest single allocation the input may cause (e.g. 512M, 2G); larger work answers unknown",
  )
    .argParser(parseByteSize)
    .default(DEFAULT_MEMORY_LIMIT_BYTES, "2G");
}

/**
 * The budget of a CLI run from its `--time-limit <seconds>` (absent: none) and `--memory-limit`
 * (absent: the default) options, and the Ctrl-C signal.
 */
export function cliBudget(
  command: string,
  opts: { timeLimit?: number; memoryLimit?: number },
  signal?: AbortSignal,
): Budget {
  return Budget.from(command, {
    timeLimitMs: opts.timeLimit === undefined ? Infinity : opts.timeLimit * 1000,
    memoryLimitBytes: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT_BYTES,
    ...(signal ? { signal } : {}),
  });
}

/**
 * Prints the unknown verdict of a run that a resource limit stopped before it had a result (the
 * stage and the limit in the reason; JSON `{"file", "injective": null, ...}` with `--json`) and
 * returns its exit code: 2, or 130 when it was cancelled.
 */
export function reportLimit(path: string, e: ResourceLimitError, json: boolean | undefined): number {
  const reason = `Unknown: ${e.message}.`;
  if (json)
    printJson({
      file: path,
      injective: null,
      conclusion: "unknown",
      reason,
      limit: { kind: e.kind, stage: e.stage },
    });
  else process.stdout.write(`${path}\nVerdict: unknown\n  ${reason}\n`);
  return e.kind === "cancelled" ? EXIT.cancelled : EXIT.unknown;
}

/** Parses a search tolerance: a number in (0, MAX_TOLERANCE] (rows are unit vectors; larger values mean nothing). */
export function parseTolerance(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0 || x > MAX_TOLERANCE)
    throw new InvalidArgumentError(`expected a tolerance in (0, ${MAX_TOLERANCE}], got "${value}"`);
  return x;
}

/** The readers' options from a command's `--memory-limit` (files above it are refused before reading). */
export function readerOptions(opts: { memoryLimit?: number }): { memoryLimitBytes?: number } {
  return opts.memoryLimit !== undefined ? { memoryLimitBytes: opts.memoryLimit } : {};
}

/** Parses `--workers`: an integer from 1 to 64. */
export function parseWorkers(value: string): number {
  const x = parseInteger(value);
  if (x < 1 || x > 64) throw new InvalidArgumentError(`expected an integer from 1 to 64, got "${value}"`);
  return x;
}

/** The `--workers <k>` option of the commands that check layers: threads for one layer's search. */
export function layerWorkersOption(): Option {
  return new Option(
    "--workers <k>",
    `threads for one layer's branch and bound and certificate re-check (layers with n >= ${PARALLEL_MIN_N}; same verdicts; ${availableParallelism()} CPUs here)`,
  )
    .argParser(parseWorkers)
    .default(1);
}
