/**
 * Input validation, in one place, called at every public entry point (library and CLI alike).
 *
 * Errors name the function and the argument, say what was expected and what was received, and
 * follow the fault: {@link InputTypeError} for wrong types, {@link InputRangeError} for sizes,
 * shapes and non-finite values. Both carry `isInputError = true` so that callers (the CLI) can tell
 * bad input from a bug.
 */

import type { Domain } from "./types.js";

/** A value of the wrong type (not an array, not a number). */
export class InputTypeError extends TypeError {
  readonly isInputError = true;
  constructor(message: string) {
    super(message);
    this.name = "InputTypeError";
  }
}

/** A value of the right type but the wrong size, shape or range (ragged rows, NaN, empty matrix). */
export class InputRangeError extends RangeError {
  readonly isInputError = true;
  constructor(message: string) {
    super(message);
    this.name = "InputRangeError";
  }
}

/** True for errors caused by bad input (as opposed to bugs). */
export function isInputError(e: unknown): e is Error & { isInputError: true } {
  return e instanceof Error && (e as { isInputError?: unknown }).isInputError === true;
}

/** Throws an {@link InputRangeError} with a lazily built message when `ok` is false. */
export function assertRange(ok: boolean, message: () => string): asserts ok {
  if (!ok) throw new InputRangeError(message());
}

/** Throws an {@link InputTypeError} with a lazily built message when `ok` is false. */
export function assertType(ok: boolean, message: () => string): asserts ok {
  if (!ok) throw new InputTypeError(message());
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === "number") return String(x);
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 20 ? x.slice(0, 20) + "…" : x)}`;
  return typeof x;
}

/**
 * Validates a matrix given as rows: non-empty, rectangular, finite numbers.
 * @param fn name of the calling function, for messages
 * @param name name of the argument, for messages
 * @returns the same rows, typed
 */
export function validateMatrix(fn: string, name: string, M: unknown): number[][] {
  assertType(Array.isArray(M), () => `${fn}: ${name} must be an array of rows, got ${describe(M)}`);
  assertRange(M.length > 0, () => `${fn}: ${name} is empty (it needs at least one row)`);
  let cols = -1;
  for (let i = 0; i < M.length; i++) {
    const row: unknown = M[i];
    assertType(
      Array.isArray(row),
      () => `${fn}: ${name} must be an array of rows, but row ${i} is ${describe(row)}`,
    );
    if (cols < 0) {
      cols = row.length;
      assertRange(cols > 0, () => `${fn}: ${name} has rows of length 0 (it needs at least one column)`);
    }
    assertRange(
      row.length === cols,
      () => `${fn}: ${name} is ragged: row 0 has ${cols} entries but row ${i} has ${row.length}`,
    );
    for (let j = 0; j < row.length; j++) {
      const v: unknown = row[j];
      assertType(
        typeof v === "number",
        () => `${fn}: ${name}[${i}][${j}] must be a number, got ${describe(v)}`,
      );
      assertRange(Number.isFinite(v), () => `${fn}: ${name} must be finite, got ${v} at [${i}, ${j}]`);
    }
  }
  return M as number[][];
}

/**
 * Validates a vector of finite numbers of a given length.
 * @param length the required length, or undefined for any positive length
 */
export function validateVector(fn: string, name: string, v: unknown, length?: number): number[] {
  assertType(Array.isArray(v), () => `${fn}: ${name} must be an array of numbers, got ${describe(v)}`);
  if (length !== undefined) {
    assertRange(
      v.length === length,
      () => `${fn}: ${name} has length ${v.length}, expected ${length} (one entry per row of W)`,
    );
  }
  assertRange(v.length > 0, () => `${fn}: ${name} is empty`);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    assertType(typeof x === "number", () => `${fn}: ${name}[${i}] must be a number, got ${describe(x)}`);
    assertRange(Number.isFinite(x), () => `${fn}: ${name} must be finite, got ${x} at [${i}]`);
  }
  return v as number[];
}

/**
 * Validates a layer `(W, b)`: W of shape (m, n) with m, n >= 1, finite; b absent or of length m.
 * @returns W and b, with b filled with zeros when absent
 */
export function validateLayer(fn: string, W: unknown, b?: unknown): { W: number[][]; b: number[] } {
  const Wv = validateMatrix(fn, "W", W);
  const bv =
    b === undefined || b === null
      ? new Array<number>(Wv.length).fill(0)
      : validateVector(fn, "b", b, Wv.length);
  return { W: Wv, b: bv };
}

/** Validates a positive finite number (a tolerance, a time limit). */
export function validatePositive(fn: string, name: string, x: unknown, allowInfinity = false): number {
  assertType(typeof x === "number", () => `${fn}: ${name} must be a number, got ${describe(x)}`);
  assertRange(
    x > 0 && (allowInfinity ? !Number.isNaN(x) : Number.isFinite(x)),
    () => `${fn}: ${name} must be a positive number, got ${x}`,
  );
  return x;
}

/** Validates one of a fixed set of string options. */
export function validateChoice<T extends string>(
  fn: string,
  name: string,
  x: unknown,
  choices: readonly T[],
): T {
  assertType(
    typeof x === "string" && (choices as readonly string[]).includes(x),
    () => `${fn}: ${name} must be one of ${choices.join(", ")}, got ${describe(x)}`,
  );
  return x as T;
}

/** The domains of a layer: all of R^n, or the nonnegative orthant (the input after a ReLU). */
export const DOMAINS: readonly Domain[] = ["all", "nonnegative"];

/**
 * Validates an options argument: absent (then `{}`) or a non-null object.
 * @param fn the calling function, for messages
 */
export function validateOptions<T extends object>(fn: string, options: T | undefined, name = "options"): T {
  if (options === undefined) return {} as T;
  assertType(
    typeof options === "object" && options !== null && !Array.isArray(options),
    () => `${fn}: ${name} must be an object, got ${describe(options)}`,
  );
  return options;
}

/**
 * Validates a domain, one of {@link DOMAINS}; `undefined` is "all".
 * @param fn the calling function, for messages
 */
export function validateDomain(fn: string, x: unknown, name = "options.domain"): Domain {
  return validateChoice(fn, name, x ?? "all", DOMAINS);
}

/**
 * Validates a seed: a safe integer (seeds are hashed as integers; 1.5 and "1" are refused).
 * @param fallback the seed of an absent option
 */
export function validateSeed(fn: string, x: unknown, name = "options.seed", fallback = 1): number {
  if (x === undefined) return fallback;
  assertType(
    typeof x === "number" && Number.isSafeInteger(x),
    () => `${fn}: ${name} must be an integer, got ${describe(x)}`,
  );
  return x;
}

/**
 * Validates a time limit in milliseconds: a positive number or Infinity (the default).
 * @param fn the calling function, for messages
 */
export function validateTimeLimit(fn: string, x: unknown, name = "options.timeLimitMs"): number {
  return validatePositive(fn, name, x ?? Infinity, true);
}

/**
 * Validates an integer count with a lower bound (restarts, samples, workers).
 * @param fallback the value of an absent option
 */
export function validateCount(fn: string, name: string, x: unknown, min: number, fallback?: number): number {
  if (x === undefined && fallback !== undefined) return fallback;
  assertType(
    typeof x === "number" && Number.isSafeInteger(x),
    () => `${fn}: ${name} must be an integer, got ${describe(x)}`,
  );
  assertRange(x >= min, () => `${fn}: ${name} must be an integer >= ${min}, got ${x}`);
  return x;
}

/**
 * Validates a callback option (`onProgress`): absent or a function.
 * @param fn the calling function, for messages
 */
export function validateCallback<F extends (...args: never[]) => unknown>(
  fn: string,
  name: string,
  x: F | undefined,
): F | undefined {
  assertType(
    x === undefined || typeof x === "function",
    () => `${fn}: ${name} must be a function, got ${describe(x)}`,
  );
  return x;
}

/**
 * Validates a cancel signal: absent or an `AbortSignal`. The library only reads `aborted`, so any
 * object with a boolean `aborted` passes (signals of other realms, the worker pool's shared flag).
 */
export function validateSignal(fn: string, x: unknown, name = "options.signal"): AbortSignal | undefined {
  if (x === undefined) return undefined;
  const s = x as { aborted?: unknown } | null;
  assertType(
    typeof s === "object" && s !== null && typeof s.aborted === "boolean",
    () => `${fn}: ${name} must be an AbortSignal, got ${describe(x)}`,
  );
  return x as AbortSignal;
}
