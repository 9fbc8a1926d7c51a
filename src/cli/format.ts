/**
 * Human-readable formatting for the CLI (and the web playground, which shows the same words): numbers,
 * vectors, aligned tables, verdicts. No I/O.
 */

/** A number with up to `digits` significant digits, without trailing noise. */
export function fmtNum(x: number, digits = 6): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/** A vector as `[a, b, c]`, elided in the middle when long. */
export function fmtVec(x: readonly number[], digits = 6, max = 12): string {
  const parts = x.map((v) => fmtNum(v, digits));
  if (parts.length > max) {
    const head = parts.slice(0, max / 2);
    const tail = parts.slice(-max / 2);
    return `[${head.join(", ")}, … (${parts.length - max} more) …, ${tail.join(", ")}]`;
  }
  return `[${parts.join(", ")}]`;
}

/** Milliseconds as a short duration. */
export function fmtMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${((ms % 60_000) / 1000).toFixed(0)} s`;
}

/** An aligned text table with a header rule. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, j) => rows.reduce((w, r) => Math.max(w, (r[j] ?? "").length), h.length));
  const line = (cells: string[]) =>
    cells
      .map((c, j) => c.padEnd(widths[j]))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** "injective" / "NOT injective" / "unknown". */
export function fmtVerdict(injective: boolean | null): string {
  return injective === true ? "injective" : injective === false ? "NOT injective" : "unknown";
}

/** Short names of the rules of a network check's per-layer table (`check` on a network). */
export const NETWORK_RULE_LABELS: Readonly<Record<string, string>> = {
  relu: "Thm 1",
  rank: "rank",
  "one-to-one-rank": "σ 1-1 + rank",
  "batchnorm-scale": "scales ≠ 0",
  identity: "identity",
  "dense-pairs": "Cor 2 pairs",
};
