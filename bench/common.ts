/**
 * Helpers shared by the benchmarks: the HiGHS loader, seeded Gaussian matrices, medians, timing
 * with a JIT warm-up, and Markdown formatting.
 */

import highsModule from "highs";
import type { Highs } from "highs";
import { Rng } from "../src/core/random.js";

// The package's types describe the loader as the default export, while some loaders hand over the
// CommonJS module object instead; accept both shapes (as tests/reference/brute-force.ts does).
type HighsLoader = () => Promise<Highs>;
export const highsLoader: HighsLoader =
  typeof highsModule === "function"
    ? (highsModule as unknown as HighsLoader)
    : (highsModule as unknown as { default: HighsLoader }).default;

/** An m×n matrix of iid N(0, 1) entries from a seeded generator. */
export function gaussianMatrix(m: number, n: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** A run at least this long is measured once: its warm-up run is the measurement. */
export const LONG_MS = 1000;

/**
 * A run shorter than this is measured {@link SHORT_FACTOR} times as often: a median of three runs
 * of a few milliseconds moves by tens of percent with a collection or a timer tick.
 */
export const SHORT_MS = 50;
export const SHORT_FACTOR = 5;

/** Timed runs after a warm-up run of `firstMs`: none when long, more when short. */
export function repeatsAfter(firstMs: number, repeats: number): number {
  return firstMs >= LONG_MS ? 0 : firstMs < SHORT_MS ? repeats * SHORT_FACTOR : repeats;
}

export interface Timed<T> {
  /** Median wall-clock time in ms. */
  ms: number;
  /** Number of timed runs the median is over. */
  runs: number;
  value: T;
}

/**
 * Runs `f` once (JIT warm-up, timed); if that took at least {@link LONG_MS} it is the only
 * measurement, otherwise `f` runs `repeats` more times ({@link SHORT_FACTOR} times as many when it
 * took under {@link SHORT_MS}) and the median of those is returned.
 */
export function timeSync<T>(f: () => T, repeats: number): Timed<T> {
  let t = performance.now();
  let value = f();
  const first = performance.now() - t;
  if (first >= LONG_MS) return { ms: first, runs: 1, value };
  const times: number[] = [];
  const runs = repeatsAfter(first, repeats);
  for (let r = 0; r < runs; r++) {
    t = performance.now();
    value = f();
    times.push(performance.now() - t);
  }
  return { ms: median(times), runs, value };
}

/** {@link timeSync} for async functions. */
export async function timeAsync<T>(f: () => Promise<T> | T, repeats: number): Promise<Timed<T>> {
  let t = performance.now();
  let value = await f();
  const first = performance.now() - t;
  if (first >= LONG_MS) return { ms: first, runs: 1, value };
  const times: number[] = [];
  const runs = repeatsAfter(first, repeats);
  for (let r = 0; r < runs; r++) {
    t = performance.now();
    value = await f();
    times.push(performance.now() - t);
  }
  return { ms: median(times), runs, value };
}
