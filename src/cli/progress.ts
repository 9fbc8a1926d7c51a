/**
 * Progress bar (on a TTY only, after half a second) and Ctrl-C handling for long checks.
 */

import cliProgress from "cli-progress";
import type { Progress } from "../core/index.js";

/**
 * A progress reporter for `checkLayer`'s `onProgress` (or any count of work units), drawing on stderr
 * when it is a terminal.
 */
export class ProgressReporter {
  private bar: cliProgress.SingleBar | null = null;
  /** The stage the bar shows (a new stage restarts the bar). */
  private stage: string | null = null;
  private readonly started = Date.now();
  /**
   * @param label printed before the bar
   * @param enabled draw at all (default: stderr is a terminal)
   * @param unit name of the work units counted
   */
  constructor(
    private readonly label: string,
    private readonly enabled = process.stderr.isTTY === true,
    private readonly unit = "hyperplanes",
  ) {}

  readonly onProgress = (p: Progress | { stage: string; done: number; total?: number }): void => {
    if (!this.enabled || p.total === undefined || p.total <= 0) return;
    if (!this.bar) {
      if (Date.now() - this.started < 500) return;
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${this.label} {stage} |{bar}| {percentage}% | ETA {eta_formatted} | {work}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(p.total, p.done, { stage: stageLabel(p.stage), work: this.work(p) });
      this.stage = p.stage;
    }
    if (p.stage !== this.stage) {
      // A new stage starts its own bar (and ETA): the re-check after a finished search is not "100%".
      this.stage = p.stage;
      this.bar.start(p.total, p.done, { stage: stageLabel(p.stage), work: this.work(p) });
    }
    this.bar.setTotal(p.total);
    this.bar.update(p.done, { stage: stageLabel(p.stage), work: this.work(p) });
  };

  /** The branch and bound and the re-check report an estimated share, not countable units. */
  private work(p: { stage: string; done: number; total?: number }): string {
    if (p.stage === "branch-and-bound") return "share of the search tree (estimated)";
    if (p.stage === "certificate") return "share of the proof replayed or of the cover check";
    return `${p.done}/${p.total} ${this.unit}`;
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** The stage of checkLayer's progress in words: the search, then the exact re-check of its certificate. */
export function stageLabel(stage: string): string {
  switch (stage) {
    case "exhaustive":
      return "search (exhaustive)";
    case "branch-and-bound":
      return "search (branch and bound)";
    case "certificate":
      return "exact re-check of the certificate";
    default:
      return stage;
  }
}

/**
 * An AbortSignal that fires on the first Ctrl-C (SIGINT); a second Ctrl-C exits at once.
 * @returns the signal and a function that removes the handler
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write("\nCancelling… (press Ctrl-C again to quit at once)\n");
    controller.abort();
  };
  process.on("SIGINT", handler);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", handler) };
}
