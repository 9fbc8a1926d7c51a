/**
 * The human reports of `check` (a layer, {@link describeResult}) and of `check` / `check-network` on
 * a network ({@link describeNetworkResult}). Pure (no I/O), so that the web playground prints the
 * very same words as the CLI.
 */

import { forwardLayer, type LayerCheckResult } from "../core/index.js";
import type { SnappedRow } from "../core/snap.js";
import type { LayerFile } from "../io/layer-parse.js";
import type { NetworkCheckResult } from "../network/check-network.js";
import { fmtMs, fmtNum, fmtVec, fmtVerdict, NETWORK_RULE_LABELS, table } from "./format.js";

/** What `--snap` did, attached to the result. */
export interface SnapInfo {
  epsilon: number;
  maxAngle: number;
  snapped: SnappedRow[];
  /** The snapped layer that the verdict is about (re-check it with `verify`). */
  W: number[][];
  b: number[] | null;
}

/** A checkLayer result, with the snapping when `--snap` was given. */
export type CheckResult = LayerCheckResult & { snap?: SnapInfo };

/** The detailed human report of one check. */
export function describeResult(file: LayerFile, r: CheckResult): string {
  const region = r.domain === "all" ? `R^${r.n}` : "the nonnegative orthant";
  const bias = file.b && file.b.some((v) => v !== 0) ? "with bias" : "no bias";
  const lines = [
    `${file.path}: W is ${r.m}×${r.n} (m = ${r.m} outputs, n = ${r.n} inputs), ${r.rank >= 0 ? `rank ${r.rank}` : "rank not computed"}, ${bias}; domain ${region}`,
    `Verdict: ${fmtVerdict(r.injective)}  (method: ${r.method}${r.injective !== null ? (r.exact ? ", evidence checked in exact arithmetic" : ", evidence checked in floating point") : ""})`,
    `  ${r.reason}`,
  ];
  if (r.snap) {
    const s = r.snap;
    lines.splice(
      1,
      0,
      `Snapped (--snap ${s.epsilon}): ${s.snapped.length} row(s) made exactly (anti)parallel to another row's line, largest angle ${fmtNum(s.maxAngle, 3)} rad. The verdict is for the snapped layer${r.injective === true ? `: a layer within relative ${fmtNum(s.maxAngle, 3)} of W, row by row, is injective ("injective up to ε"); W as given is decided by \`check\` without --snap` : ""}. --json prints it.`,
    );
  }
  if (r.witness) {
    const w = r.witness;
    const y = forwardLayer(r.snap?.W ?? file.W, r.snap ? r.snap.b : (file.b ?? null), w.x1);
    lines.push(
      `  Witness: x1 = ${fmtVec(w.x1, 10)}`,
      `           x2 = ${fmtVec(w.x2, 10)}`,
      `           F(x1) = F(x2) = ${fmtVec(y)}  (max difference ${fmtNum(w.maxOutputDifference, 3)}${w.exact ? ", exactly 0" : ""})`,
      `           active rows ${w.activeRows.length ? w.activeRows.join(", ") : "none"} (rank ${w.activeRank} < ${r.n}); x2 − x1 is orthogonal to all of them`,
    );
  }
  if (r.certificate) {
    lines.push(
      `  Certificate: ${r.certificate.duals.length} Motzkin dual(s), re-verified independently${r.exact ? " in exact arithmetic" : ""}; --json prints it, \`injective-relu verify\` re-checks it.`,
    );
  }
  const s = r.stats;
  lines.push(
    `Stats: ${s.nodes !== undefined ? `${s.nodes} branch-and-bound nodes` : `${s.hyperplanesVisited} hyperplane candidates (${s.distinctHyperplanes} distinct, ${s.prunedByDuals} settled by earlier duals)`}, ${s.lpSolves} LPs, ${s.descentRestarts ? `LP-guided descent ${s.descentRestarts} restart(s) (${s.descentLps ?? 0} LPs), ` : ""}${s.falsifierSamples} falsifier restarts, ${fmtMs(s.timeMs)}${s.nodes !== undefined && s.recheckMs !== undefined ? ` (re-check ${fmtMs(s.recheckMs)}, by ${s.recheckBy === "proof replay" ? "replaying the search's proof" : "the cover check"})` : ""}; seed ${r.seed}, tolerance ${r.tolerance}`,
  );
  return lines.join("\n");
}

/** The human report: per-layer table, then the conclusion and its reasoning. */
export function describeNetworkResult(path: string, r: NetworkCheckResult): string {
  const rows = r.layers.map((l) => [
    String(l.index),
    `${l.m}×${l.n}`,
    l.kind === "dense" ? l.activation : l.kind,
    l.domain,
    l.method === "skipped" ? "skipped" : fmtVerdict(l.injective),
    NETWORK_RULE_LABELS[l.rule] ?? l.rule,
    l.method,
    fmtMs(l.timeMs),
  ]);
  const lines = [
    `${path}: ${r.layers.length} layer(s), input dimension n = ${r.inputDim}`,
    table(["layer", "m×n", "activation", "domain", "verdict", "rule", "method", "time"], rows),
    "",
    `Network: ${r.conclusion === "injective almost surely" ? "injective almost surely (not a proof)" : fmtVerdict(r.injective)}`,
    `  ${r.reason}`,
  ];
  if (r.corollary3.applies || r.conclusion === "unknown") {
    lines.push(`  Corollary 3 assumptions: ${r.corollary3.applies ? "all hold" : "do not all hold"}`);
    for (const c of r.corollary3.checks) lines.push(`    ok    ${c}`);
    if (!r.corollary3.applies) for (const c of r.corollary3.failed) lines.push(`    fails ${c}`);
  }
  if (r.witness) {
    const w = r.witness;
    lines.push(
      `  Witness (${w.source}${w.layer !== undefined ? `, layer ${w.layer}` : ""}): x1 = ${fmtVec(w.x1, 10)}`,
      `           x2 = ${fmtVec(w.x2, 10)}`,
      `           N(x1) = N(x2) exactly (rational forward pass; the states agree after layer ${w.equalAfterLayer})${w.exactX1 ? "; the exact inputs are fractions, printed by --json" : ""}`,
    );
  }
  for (const l of r.layers) if (l.injective !== true) lines.push(`  layer ${l.index}: ${l.reason}`);
  lines.push(`Time: ${fmtMs(r.timeMs)}; seed ${r.seed}, tolerance ${r.tolerance}`);
  return lines.join("\n");
}
