/**
 * Exit codes of the CLI, one meaning each (documented in the README).
 */
export const EXIT = {
  /** Every layer checked is injective (or, for `examples`/`verify`, everything agreed). */
  injective: 0,
  /** A layer is not injective (a witness was printed). */
  notInjective: 1,
  /** Unknown: the time limit ran out, or the method does not decide this layer. */
  unknown: 2,
  /** Bad input: unreadable file, wrong shape, NaN/Inf, bad option. */
  badInput: 3,
  /** An internal error (a bug): please report it. */
  internal: 4,
  /** Cancelled with Ctrl-C. */
  cancelled: 130,
} as const;

/** Exit code for a verdict. */
export function exitForVerdict(injective: boolean | null): number {
  return injective === true ? EXIT.injective : injective === false ? EXIT.notInjective : EXIT.unknown;
}
