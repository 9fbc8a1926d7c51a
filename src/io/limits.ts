/**
 * The memory limit of the file readers, without any file access (so the parsers that work on bytes
 * run in a browser too): the reader options, their validation, and the checks that refuse a file,
 * a decoded array or an implied dense matrix above the limit with a {@link FileTooLargeError}.
 * src/io/safe-file.ts re-exports all of it.
 */

import { DEFAULT_MEMORY_LIMIT_BYTES, formatBytes } from "../core/budget.js";
import { assertRange, assertType } from "../core/validate.js";
import { FileTooLargeError } from "./errors.js";

/** Options of the file readers. */
export interface ReaderOptions {
  /**
   * The memory budget in bytes (`--memory-limit`): a file larger than this is refused before it is
   * read, and so is a decoded array or an implied dense matrix that would be larger.
   * @default 2 GiB (DEFAULT_MEMORY_LIMIT_BYTES)
   */
  memoryLimitBytes?: number;
  /**
   * TF.js layers models only: accept an image input or output with several channels, whose
   * coordinates the imported network then takes or gives in the toolkit's channels-first order
   * (c, h, w) instead of TF.js's (h, w, c). Injectivity does not depend on the order of the
   * coordinates, so `check` sets it; `invert`, whose y must be in the model's order, does not.
   * @default false
   */
  channelsFirstImages?: boolean;
}

/**
 * The memory limit of reader options, validated.
 * @param fn the calling function, for messages
 * @throws InputTypeError / InputRangeError for a limit that is not a positive number
 */
export function memoryLimitOf(fn: string, options: ReaderOptions | undefined): number {
  const limit = options?.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
  assertType(typeof limit === "number", () => `${fn}: options.memoryLimitBytes must be a number`);
  assertRange(
    limit > 0 && !Number.isNaN(limit),
    () => `${fn}: options.memoryLimitBytes must be a positive number, got ${limit}`,
  );
  return limit;
}

/** The end of messages about the memory limit. */
export function limitNote(limit: number): string {
  return `the memory limit of ${formatBytes(limit)} (set by --memory-limit)`;
}

/**
 * Throws a {@link FileTooLargeError}: `what` (e.g. "the file is 3.1 GB") would take `bytes`, above
 * the memory limit.
 */
export function tooLarge(source: string, what: string, bytes: number, limit: number): never {
  throw new FileTooLargeError(source, `${what}, above ${limitNote(limit)}`, bytes, limit);
}

/**
 * Throws a FileFormatError when a dense matrix of `rows` × `cols` numbers that a file implies (an
 * identity for a reshape, a diagonal for a batch norm, the matrix of a convolution) would exceed
 * the memory limit. Called before the matrix is built.
 * @param what the layer, for the message (`Flatten (node "f")`)
 */
export function checkDenseSize(
  source: string,
  what: string,
  rows: number,
  cols: number,
  limit: number,
): void {
  const bytes = rows * cols * 8;
  if (!(bytes <= limit))
    tooLarge(source, `${what} is a ${rows} × ${cols} matrix in memory (${formatBytes(bytes)})`, bytes, limit);
}

/**
 * Throws a FileFormatError when an array of `count` numbers decoded from a file would exceed the
 * memory limit (8 bytes per number).
 */
export function checkArraySize(source: string, what: string, count: number, limit: number): void {
  if (!(count * 8 <= limit))
    tooLarge(source, `${what} has ${count} values (${formatBytes(count * 8)} in memory)`, count * 8, limit);
}
