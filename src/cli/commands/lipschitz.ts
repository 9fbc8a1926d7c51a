/**
 * `injective-relu lipschitz FILE`: inverse Lipschitz constants of one layer (paper, Theorem 3):
 * C(W) from the cells, σ_min over active sets, the naive σ_min(W), an empirical ratio, and the
 * Corollary 2 bound when the structure is present (docs/stability.md).
 */

import { Command, InvalidArgumentError } from "commander";
import { forwardLayer, type Domain } from "../../core/index.js";
import { inverseLipschitz, type InverseLipschitzResult } from "../../core/lipschitz.js";
import { readLayerFile, type LayerFile } from "../../io/layer-file.js";
import { EXIT } from "../exit-codes.js";
import { fmtMs, fmtNum, fmtVec } from "../format.js";
import { interruptSignal } from "../progress.js";
import { isResourceLimitError } from "../../core/budget.js";
import {
  domainOption,
  memoryLimitOption,
  parseInteger,
  parsePositive,
  printJson,
  reportLimit,
  readerOptions,
} from "../options.js";

interface LipschitzCliOptions {
  domain: Domain;
  samples: number;
  seed: number;
  maxCells: number;
  timeLimit?: number;
  json?: boolean;
  memoryLimit?: number;
}

/** Parses a positive integer (a count). */
function parseCount(value: string): number {
  const x = Number(value);
  if (!Number.isInteger(x) || x < 1)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return x;
}

/** The `lipschitz` command. */
export function lipschitzCommand(): Command {
  const cmd = new Command("lipschitz")
    .description(
      "inverse Lipschitz constants of x ↦ ReLU(Wx + b) (Theorem 3): C(W), σ_min over active sets, naive σ_min(W), an empirical ratio",
    )
    .argument(
      "<file>",
      'a layer file: JSON {"W": [[...]], "b"?: [...]} (rows of W are output units) or .npy holding W',
    )
    .addOption(domainOption())
    .option("--samples <n>", "random pairs of the empirical ratio", parseCount, 2000)
    .option("--seed <n>", "seed of the empirical ratio (and of the verifier's falsifier)", parseInteger, 1)
    .option(
      "--max-cells <k>",
      "stop the cell enumeration after k cells (C(W) is then not exact: exit 2)",
      parseCount,
      200_000,
    )
    .option(
      "--time-limit <seconds>",
      "stop the verdict, the cell enumeration and the sampling after this many seconds (exit 2 if unfinished)",
      parsePositive,
    )
    .addOption(memoryLimitOption())
    .option("--json", "print machine-readable JSON on stdout");
  cmd.addHelpText(
    "after",
    `
Exit codes: 0 injective (C(W) exact), 1 not injective (C(W) = 0, witness printed),
2 unknown or the enumeration was truncated (C(W) not exact), 3 bad input, 4 internal error,
130 cancelled (Ctrl-C).

Examples:
  injective-relu lipschitz examples/layers/04-figure2-center.json
  injective-relu lipschitz examples/layers/10-gaussian-n4-alpha10.json --samples 5000 --json
  injective-relu lipschitz layer.npy --domain nonnegative --max-cells 10000`,
  );
  cmd.action(async (path: string, opts: LipschitzCliOptions) => {
    const file = await readLayerFile(path, readerOptions(opts));
    const interrupt = interruptSignal();
    let result: InverseLipschitzResult;
    try {
      result = await inverseLipschitz(file.W, file.b ?? null, {
        domain: opts.domain,
        samples: opts.samples,
        seed: opts.seed,
        maxCells: opts.maxCells,
        timeLimitMs: opts.timeLimit === undefined ? Infinity : opts.timeLimit * 1000,
        signal: interrupt.signal,
        ...(opts.memoryLimit !== undefined ? { memoryLimitBytes: opts.memoryLimit } : {}),
      });
    } catch (e) {
      if (!isResourceLimitError(e)) throw e;
      process.exitCode = reportLimit(file.path, e, opts.json);
      return;
    } finally {
      interrupt.dispose();
    }
    if (opts.json) printJson({ file: file.path, ...result });
    else process.stdout.write(describeLipschitz(file, result) + "\n");
    process.exitCode = exitCodeFor(result);
  });
  return cmd;
}

/** 0: injective with an exact C; 1: not injective; 2: unknown or truncated; 130: cancelled. */
export function exitCodeFor(r: InverseLipschitzResult): number {
  if (r.injective === false) return EXIT.notInjective;
  if (r.stats.stopReason === "cancelled") return EXIT.cancelled;
  return r.injective === true && r.exact ? EXIT.injective : EXIT.unknown;
}

const v6 = (x: number) => fmtNum(x, 6);

/** The human report. */
export function describeLipschitz(file: LayerFile, r: InverseLipschitzResult): string {
  const region = r.domain === "all" ? `R^${r.n}` : "the nonnegative orthant";
  const bias = file.b && file.b.some((v) => v !== 0) ? "with bias" : "no bias";
  const s = r.stats;
  const verdict = r.injective === true ? "injective" : r.injective === false ? "NOT injective" : "unknown";
  const lines = [
    `${file.path}: W is ${r.m}×${r.n} (m = ${r.m} outputs, n = ${r.n} inputs), ${bias}; domain ${region}`,
    `Verdict: ${verdict}  (method: ${r.method.verdict})`,
  ];
  const row = (label: string, value: string, comment: string) =>
    lines.push(`  ${label.padEnd(24)}${value.padEnd(12)}${comment}`);
  const rowsText = (rows: number[]) => (rows.length ? rows.join(", ") : "none");

  if (r.injective === false && r.witness) {
    const w = r.witness;
    row("C(W)", "0", "F is not injective: two inputs have the same output");
    lines.push(
      `    x1 = ${fmtVec(w.x1, 10)}`,
      `    x2 = ${fmtVec(w.x2, 10)}`,
      `    F(x1) = F(x2) = ${fmtVec(forwardLayer(file.W, file.b ?? null, w.x1))}  (max difference ${fmtNum(w.maxOutputDifference, 3)}${w.exact ? ", exactly 0" : ""}); active rows ${rowsText(w.activeRows)} (rank ${w.activeRank} < ${r.n})`,
    );
    row(
      "σ_min over active sets",
      "0",
      r.minCell && r.minCell.sigmaMin <= r.tolerance * 10
        ? `cell with active rows ${rowsText(r.minCell.activeRows)} at x = ${fmtVec(r.minCell.point)}`
        : "some cell's active rows do not span R^n (Theorem 1)",
    );
  } else if (r.C !== null && r.sigmaMinActive !== null) {
    row("C(W)", v6(r.C), `= σ_min over active sets / √(2m), exact over all ${s.cells} cells (Theorem 3)`);
    row(
      "σ_min over active sets",
      v6(r.sigmaMinActive),
      r.minCell
        ? `cell with active rows ${rowsText(r.minCell.activeRows)} at x = ${fmtVec(r.minCell.point)}`
        : "",
    );
  } else {
    const why =
      s.stopReason === "cell-limit"
        ? `the cell limit (${s.cells} cells)`
        : s.stopReason === "time-limit"
          ? `the time limit (${s.cells} cells)`
          : s.stopReason === "cancelled"
            ? `Ctrl-C (${s.cells} cells)`
            : s.stopReason === "memory-limit"
              ? `the memory limit (${s.cells} cells)`
              : `an undecided verdict`;
    const e = r.enumerated;
    row(
      "C(W)",
      "unknown",
      e
        ? `the enumeration stopped at ${why}; over those cells the minimum is ${v6(e.C)}, an upper bound on C(W)`
        : `the enumeration stopped at ${why}`,
    );
    row(
      "σ_min over active sets",
      "unknown",
      e ? `at most ${v6(e.sigmaMinActive)} (the minimum over the enumerated cells)` : "",
    );
  }
  row(
    "naive σ_min(W)",
    v6(r.naiveSigmaMin),
    r.injective === false && r.naiveSigmaMin > 0
      ? "nonzero although F is not injective: the naive estimate is too optimistic"
      : "ignores which rows are active: too optimistic (paper, §2.3)",
  );
  const e = r.empirical;
  row(
    "empirical ratio",
    v6(r.empiricalRatio),
    e.foundBy === "given"
      ? "the witness pair"
      : `min ‖F(x0) − F(x1)‖/‖x0 − x1‖ over ${e.samples} random pairs, ${e.localSearches} local searches from the best of them and ${e.startPairs} from the cells of smallest σ_min (seed ${e.seed}; found by ${e.foundBy})`,
  );
  if (e.foundBy !== "given" && e.blindRatio > r.empiricalRatio * (1 + 1e-9)) {
    row("", "", `(random pairs and their local searches alone: ${v6(e.blindRatio)}; they miss thin cells)`);
  }
  if (r.sharperC !== null && r.injective !== false) {
    row(
      "sharper constant",
      v6(r.sharperC),
      `= σ_min over active sets / √(h + 1), h = ${s.hyperplanes} distinct hyperplanes (same proof; docs/stability.md)`,
    );
  }
  if (r.structure && r.injective !== false) {
    const st = r.structure;
    const pairs = st.groups.filter((g) => g.antiparallel).map((g) => g.rows.join("/"));
    const others = st.groups.filter((g) => !g.antiparallel).map((g) => g.rows.join("/"));
    const from = [
      pairs.length ? `antiparallel rows ${pairs.join(", ")}` : "",
      others.length ? `rows ${others.join(", ")} (active on the whole orthant)` : "",
    ]
      .filter((t) => t)
      .join(" and ");
    row(
      st.corollary2 ? "Corollary 2 bound" : "structure bound",
      v6(st.CLowerBound),
      `C(W) ≥ this: σ_min(W_S) ≥ ${v6(st.sigmaLowerBound)} in every cell, from the always-active ${from}`,
    );
  }
  for (const note of r.notes) {
    if (!/nonnegative orthant \(Remark 1\)/.test(note)) lines.push(`  Note: ${note}`);
  }
  lines.push(whereTheTruthLies(r));
  lines.push(
    `Stats: ${s.cells} cells${s.complete ? "" : " (incomplete)"}, ${s.hyperplanes} distinct hyperplanes, ${s.lpSolves} LPs, ${fmtMs(s.timeMs)} (verdict ${fmtMs(s.checkMs)}, cells ${fmtMs(s.cellsMs)}, sampling ${fmtMs(s.empiricalMs)}); seed ${r.seed}`,
  );
  return lines.join("\n");
}

/** The one sentence on where the best constant lies. */
function whereTheTruthLies(r: InverseLipschitzResult): string {
  const b = r.bounds;
  if (r.injective === false) return "The true inverse Lipschitz constant is 0: F is not injective.";
  const upperWhy =
    b.upperFrom === "sigmaMinActive"
      ? "σ_min over active sets (two close points of that cell achieve it)"
      : "the empirical ratio (a pair that achieves it)";
  if (b.lowerFrom === "none") {
    return `The true inverse Lipschitz constant L* = inf ‖F(x0) − F(x1)‖/‖x0 − x1‖ is at most ${v6(b.upper)}, from ${upperWhy}; no lower bound is known without the full enumeration.`;
  }
  const lowerWhy =
    b.lowerFrom === "sharperC"
      ? "the sharper constant (Theorem 3's proof)"
      : "the structure bound with the sharper factor";
  return `The true inverse Lipschitz constant L* = inf ‖F(x0) − F(x1)‖/‖x0 − x1‖ lies in [${v6(b.lower)}, ${v6(b.upper)}]: at least ${lowerWhy}, at most ${upperWhy}.`;
}
