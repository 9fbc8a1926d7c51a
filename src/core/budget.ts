/**
 * Resource limits of one run: a wall-clock deadline, a cancel signal and a memory budget.
 *
 * Every stage that can take long or allocate much (parsing, exact rank, SVD, the structure test,
 * convolution matrices, the searches, the certificate re-check, the network check) asks its
 * {@link Budget} before it works: {@link Budget.check} between chunks of work, and
 * {@link Budget.reserve} before an allocation whose size the input controls. Both throw a
 * {@link ResourceLimitError} that names the stage, so that a caller can answer "unknown: the time
 * limit ran out in <stage>" (or the memory limit, or cancelled) instead of hanging or aborting.
 *
 * The memory budget bounds single allocations that the input controls (a dense matrix of a
 * convolution, a table of row pairs, a buffer read from a file), estimated before allocating. It is
 * not a hard cap on the process: small bookkeeping is not counted.
 */

import { assertRange, assertType, validateSignal, validateTimeLimit } from "./validate.js";

/** Default memory budget: 2 GiB. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 2 * 1024 ** 3;

/** What ran out. */
export type LimitKind = "time" | "memory" | "cancelled";

/** Thrown when a stage would exceed the deadline, the memory budget, or was cancelled. */
export class ResourceLimitError extends Error {
  constructor(
    readonly kind: LimitKind,
    /** The stage that stopped, in words ("exact rank", "SVD", "convolution matrix"). */
    readonly stage: string,
    detail?: string,
  ) {
    super(
      kind === "time"
        ? `the time limit ran out during ${stage}${detail ? ` (${detail})` : ""}`
        : kind === "cancelled"
          ? `cancelled during ${stage}${detail ? ` (${detail})` : ""}`
          : `${stage} would need ${detail ?? "more memory than the memory limit allows"}`,
    );
    this.name = "ResourceLimitError";
  }
}

/** True for a {@link ResourceLimitError}. */
export function isResourceLimitError(e: unknown): e is ResourceLimitError {
  return e instanceof ResourceLimitError;
}

/** Options that set a budget; every public entry point that can run long accepts them. */
export interface BudgetOptions {
  /** Wall-clock limit in milliseconds. @default Infinity */
  timeLimitMs?: number;
  /** Cancels the work. */
  signal?: AbortSignal;
  /** Largest single allocation that the input may cause, in bytes. @default 2 GiB */
  memoryLimitBytes?: number;
}

/** Formats a byte count for messages ("3.2 GB", "2.05 PB"; decimal units). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "an unbounded amount of memory";
  if (bytes >= 1e18) return `${(bytes / 1e18).toPrecision(3)} EB`;
  if (bytes >= 1e15) return `${(bytes / 1e15).toPrecision(3)} PB`;
  if (bytes >= 1e12) return `${(bytes / 1e12).toPrecision(3)} TB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toPrecision(3)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toPrecision(3)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toPrecision(3)} kB`;
  return `${bytes} bytes`;
}

/**
 * A memory limit as the `--memory-limit` option spells it: "2G", "512M", "10M", "1.5G" (binary
 * units), or a byte count.
 */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [
    ["T", 1024 ** 4],
    ["G", 1024 ** 3],
    ["M", 1024 ** 2],
    ["K", 1024],
  ] as const) {
    if (bytes >= size) {
      const x = bytes / size;
      return `${Number.isInteger(x) ? x : x.toPrecision(3)}${unit}`;
    }
  }
  return `${bytes} bytes`;
}

/**
 * Bytes of a `number[][]` of doubles with `rows` rows of `cols` entries, as V8 stores it (64-bit,
 * no pointer compression): 8 bytes per entry, plus about 56 bytes per row (the row's JSArray and
 * its FixedDoubleArray header) and 8 per row for the outer array's slot. An estimate to reserve
 * before building, not an exact count.
 */
export function matrixBytes(rows: number, cols: number): number {
  return rows * (cols * 8 + 64) + 64;
}

/** `1,234,567`: a count with thousands separators, for messages. */
export function formatCount(x: number): string {
  return Number.isSafeInteger(x) ? x.toLocaleString("en-US") : x.toPrecision(3);
}

/** A deadline, a signal and a memory budget, shared by the stages of one run. */
export class Budget {
  /** `performance.now()` after which {@link check} throws. */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  readonly memoryLimitBytes: number;

  constructor(deadline: number, signal: AbortSignal | undefined, memoryLimitBytes: number) {
    this.deadline = deadline;
    this.signal = signal;
    this.memoryLimitBytes = memoryLimitBytes;
  }

  /** No limits (the default of library calls that are given none). */
  static unlimited(): Budget {
    return new Budget(Infinity, undefined, DEFAULT_MEMORY_LIMIT_BYTES);
  }

  /**
   * A budget from validated options.
   * @param fn the calling function, for messages
   */
  static from(fn: string, options: BudgetOptions = {}): Budget {
    const t = validateTimeLimit(fn, options.timeLimitMs);
    const mem = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    assertType(
      typeof mem === "number",
      () => `${fn}: options.memoryLimitBytes must be a number, got ${typeof mem}`,
    );
    assertRange(
      mem > 0 && !Number.isNaN(mem),
      () => `${fn}: options.memoryLimitBytes must be a positive number, got ${mem}`,
    );
    const signal = validateSignal(fn, options.signal);
    return new Budget(performance.now() + t, signal, mem);
  }

  /** Milliseconds left (Infinity without a deadline; never negative). */
  remainingMs(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  /** True when the deadline has passed or the signal was aborted. */
  exhausted(): boolean {
    return this.signal?.aborted === true || performance.now() > this.deadline;
  }

  /**
   * Throws a {@link ResourceLimitError} when the run was cancelled or the deadline has passed.
   * @param stage the stage that is running, in words, for the message
   */
  check(stage: string): void {
    if (this.signal?.aborted) throw new ResourceLimitError("cancelled", stage);
    if (performance.now() > this.deadline) throw new ResourceLimitError("time", stage);
  }

  /**
   * Throws a {@link ResourceLimitError} of kind "memory" when an allocation of `bytes` would exceed
   * the budget. Call it before allocating, with an estimate that grows with the input.
   */
  reserve(stage: string, bytes: number): void {
    if (!(bytes <= this.memoryLimitBytes))
      throw new ResourceLimitError(
        "memory",
        stage,
        `${formatBytes(bytes)}, above the memory limit of ${formatByteSize(this.memoryLimitBytes)} (--memory-limit, or memoryLimitBytes in the library)`,
      );
  }

  /**
   * Throws a {@link ResourceLimitError} of kind "time" when work estimated to take `estimatedMs`
   * cannot finish before the deadline (or cancelled when the signal was aborted). For a step that
   * cannot be interrupted once started (an SVD): the estimate is the only guard.
   * @param what the estimate in words, for the message ("an SVD of a 2000 × 2000 matrix")
   */
  reserveTime(stage: string, estimatedMs: number, what: string): void {
    this.check(stage);
    const left = this.remainingMs();
    if (estimatedMs > left)
      throw new ResourceLimitError(
        "time",
        stage,
        `${what} takes about ${formatMs(estimatedMs)} and ${formatMs(left)} were left, so it was not started`,
      );
  }

  /**
   * A budget for a sub-stage: the same signal and memory limit, and a deadline no later than this
   * one's nor than `timeLimitMs` from now.
   */
  sub(timeLimitMs: number = Infinity): Budget {
    return new Budget(
      Math.min(this.deadline, performance.now() + timeLimitMs),
      this.signal,
      this.memoryLimitBytes,
    );
  }

  /** The options of a library call that takes time limit, signal and memory limit separately. */
  options(): { timeLimitMs: number; signal?: AbortSignal; memoryLimitBytes: number } {
    return {
      timeLimitMs: Math.max(1, this.remainingMs()),
      ...(this.signal ? { signal: this.signal } : {}),
      memoryLimitBytes: this.memoryLimitBytes,
    };
  }
}

/** A duration in words: "850 ms", "2.50 s", "3.20 min", "1.10 h" ("forever" for Infinity). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "forever";
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toPrecision(3)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toPrecision(3)} min`;
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  return `${Math.round(ms)} ms`;
}
