/**
 * The certificate re-checks in pieces of bounded work, asynchronously (issue 14; docs/verifier.md,
 * "The search's proof, replayed").
 *
 * The replay of the search's proof and the exact cover check are written as steps (./steps.ts:
 * `replaySteps` of ./flat-proof.ts, `coverSteps` of ./certificate.ts) that yield between pieces.
 * Run in one call they would hold the event loop: at n = 12 a replay for tens of seconds, a cover
 * check for minutes, with no progress and a Ctrl-C (an AbortSignal) that waits. Here they run with
 * a `pause` between the pieces, which yields to the event loop and checks the budget. Nothing is
 * trusted from the cutting: the replay itself says at which node each piece starts, and the cover
 * check's own split (its `frontier`, as on the thread pool) gives its pieces.
 *
 * The replay's pieces can also be handed to a thread pool (`farm`), in balanced batches.
 */

import type { Budget } from "./budget.js";
import type { IntegerLayer } from "./exact.js";
import {
  addFarmedPieces,
  proofLength,
  replayPieceSteps,
  replaySteps,
  type FlatProof,
  type ProofSubtree,
  type ReplayCounts,
  type ReplayResult,
} from "./flat-proof.js";
import { coverSteps, type CoverNode, type CoverResult } from "./certificate.js";
import { runStepsAsync } from "./steps.js";

/** With a thread pool: about this many pieces of the replay per thread (for balance). */
export const REPLAY_PIECES_PER_THREAD = 8;

/** With a thread pool: a proof shorter than this is replayed in this thread, uncut. */
export const REPLAY_MIN_FARM_TOKENS = 1 << 14;

/** Options of {@link replayInChunks}. */
export interface ReplayChunkOptions {
  /** List the nodes the search left unsettled instead of failing there (as `replayFlatProof`). */
  unsettled?: boolean;
  /** Largest piece replayed in one call, in proof entries. @default `REPLAY_CHUNK_TOKENS` */
  chunkTokens?: number;
  /** Awaited between pieces: yields to the event loop and checks the limits (may throw). */
  pause: () => Promise<void>;
  /** Share of the proof's entries replayed so far, in [0, 1]. */
  onShare?: (share: number) => void;
  /**
   * When given, the pieces are not replayed here but handed over, all at once, at the end (for a
   * thread pool); a null answer (the pool failed) replays them here.
   */
  farm?: (pieces: ProofSubtree[]) => Promise<ReplayCounts | null>;
}

/**
 * Replays a proof as `replayFlatProof` does, in pieces of at most `chunkTokens` entries with a
 * `pause` between them (`replaySteps`). Same verdict, same node count.
 */
export async function replayInChunks(
  ints: IntegerLayer,
  supports: readonly (readonly number[])[],
  n: number,
  proof: FlatProof,
  budget: Budget | undefined,
  options: ReplayChunkOptions,
): Promise<ReplayResult> {
  const run = await runStepsAsync(
    replaySteps(ints, supports, n, proof, budget, {
      ...(options.unsettled !== undefined ? { unsettled: options.unsettled } : {}),
      ...(options.chunkTokens !== undefined ? { chunkTokens: options.chunkTokens } : {}),
      ...(options.onShare ? { onShare: options.onShare } : {}),
      keepPieces: options.farm !== undefined,
    }),
    options.pause,
  );
  if (!run.result.valid || run.pieces.length === 0) return run.result;
  const farmed = options.farm ? await options.farm(run.pieces) : null;
  if (farmed) return addFarmedPieces(run, farmed);
  await options.pause();
  return runStepsAsync(replayPieceSteps(ints, supports, n, run, budget), options.pause);
}

/**
 * Cuts a list of pieces into at most `batches` batches of about equal work (entries), largest
 * first, each batch a contiguous run of the sorted list (for a pool: one message per batch).
 */
export function balancedBatches(pieces: readonly ProofSubtree[], batches: number): ProofSubtree[][] {
  const sized = pieces.map((p) => ({ p, size: proofLength(p.proof) })).sort((a, b) => b.size - a.size);
  const k = Math.max(1, Math.min(batches, sized.length));
  // Greedy: each piece to the lightest batch so far (longest processing time first).
  const out: ProofSubtree[][] = Array.from({ length: k }, () => []);
  const load = new Float64Array(k);
  for (const { p, size } of sized) {
    let best = 0;
    for (let i = 1; i < k; i++) if (load[i] < load[best]) best = i;
    out[best].push(p);
    load[best] += size;
  }
  return out.filter((b) => b.length > 0);
}

/**
 * The exact cover check (`exactCover`, or `exactCoverAt` at `start`) in pieces, with a `pause`
 * between them (`coverSteps` of ./certificate.ts). Same verdict.
 * @returns null when the check cannot start at `start` (as `exactCoverAt`)
 */
export function coverInChunks(
  ints: IntegerLayer,
  supports: number[][],
  n: number,
  start: CoverNode | null,
  budget: Budget | undefined,
  pause: () => Promise<void>,
  onShare?: (share: number) => void,
): Promise<CoverResult | null> {
  return runStepsAsync(coverSteps(ints, supports, n, start, budget, onShare), pause);
}
