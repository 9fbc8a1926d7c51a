/**
 * The certificate re-checks in pieces of bounded work (issue 14; docs/verifier.md, "Cancelling").
 *
 * The replay of the search's proof (./flat-proof.ts) and the exact cover check (./certificate.ts)
 * are synchronous. At n = 12 one replay is tens of seconds, one cover check minutes, and during
 * that time the event loop does not run: no progress, and Ctrl-C (an AbortSignal) waits. Here they
 * run as many small calls with a `pause` between them, which yields to the event loop and checks
 * the budget. Nothing is trusted from the splitting itself:
 *
 * - the proof is cut into subtrees by {@link splitFlatProof} and replayed with `defer`, so that the
 *   replay itself says at which node each piece starts (its path and forbidden rows), and each piece
 *   is replayed there, as strictly as the whole proof would be;
 * - the cover check stops at a fixed depth and returns the nodes left there (its `frontier`, the
 *   same split the thread pool uses), and each node's flats are checked by a cover check of its own.
 *
 * Pieces of the replay can also be handed to a thread pool (`farm`), in balanced batches.
 */

import type { Budget } from "./budget.js";
import type { IntegerLayer } from "./exact.js";
import {
  proofLength,
  replayFlatProof,
  replayProofSubtree,
  splitFlatProof,
  ReplayTables,
  type FlatProof,
  type ProofSubtree,
  type ReplayResult,
} from "./flat-proof.js";
import {
  coverModulo,
  coverOps,
  exactCover,
  exactCoverAt,
  type CoverNode,
  type CoverResult,
} from "./certificate.js";
import { PRIMES } from "./modular.js";

/** Entries of a proof replayed in one call when nothing else asks (a few tens of milliseconds). */
export const REPLAY_CHUNK_TOKENS = 1 << 17;

/** With a thread pool: about this many pieces of the replay per thread (for balance). */
export const REPLAY_PIECES_PER_THREAD = 8;

/** With a thread pool: a proof shorter than this is replayed in this thread, uncut. */
export const REPLAY_MIN_FARM_TOKENS = 1 << 14;

/** Options of {@link replayInChunks}. */
export interface ReplayChunkOptions {
  /** List the nodes the search left unsettled instead of failing there (as {@link replayFlatProof}). */
  unsettled?: boolean;
  /** Largest piece replayed in one call, in proof entries. @default {@link REPLAY_CHUNK_TOKENS} */
  chunkTokens?: number;
  /** Awaited between pieces: yields to the event loop and checks the limits (may throw). */
  pause: () => Promise<void>;
  /** Share of the proof's entries replayed so far, in [0, 1]. */
  onShare?: (share: number) => void;
  /**
   * When given, the pieces are not replayed here but handed over, all at once, at the end (for a
   * thread pool); a null answer (the pool failed) replays them here.
   */
  farm?: (pieces: ProofSubtree[]) => Promise<FarmedReplay | null>;
}

/** What a pool answers for the pieces farmed out (as a {@link ReplayResult}, without packing counts). */
export type FarmedReplay = Pick<ReplayResult, "valid" | "reason" | "nodes" | "otherPrimes" | "unsettled">;

/**
 * Replays a proof as {@link replayFlatProof} does, in pieces of at most `chunkTokens` entries with
 * a `pause` between them. Same verdict, same node count.
 */
export async function replayInChunks(
  ints: IntegerLayer,
  supports: readonly (readonly number[])[],
  n: number,
  proof: FlatProof,
  budget: Budget | undefined,
  options: ReplayChunkOptions,
): Promise<ReplayResult> {
  const chunk = Math.max(16, options.chunkTokens ?? REPLAY_CHUNK_TOKENS);
  const tables = new ReplayTables(ints, supports, n);
  const unsettled = options.unsettled ?? false;
  const total = Math.max(1, proofLength(proof));
  const acc: ReplayResult = { valid: true, reason: "", nodes: 0, packs: new Array<number>(n + 1).fill(0) };
  let done = 0;
  const add = (r: FarmedReplay & { packs?: number[] }): void => {
    acc.nodes += r.nodes;
    const packs = r.packs ?? [];
    for (let d = 0; d < packs.length && d < acc.packs.length; d++) acc.packs[d] += packs[d];
    if (r.otherPrimes) acc.otherPrimes = (acc.otherPrimes ?? 0) + r.otherPrimes;
    if (r.unsettled?.length) (acc.unsettled ??= []).push(...r.unsettled);
  };
  /** The failure of a piece, with the counts so far (its own counts are in them already). */
  const failed = (r: FarmedReplay & { at?: ReplayResult["at"] }): ReplayResult => ({
    valid: false,
    reason: r.reason,
    nodes: acc.nodes,
    packs: acc.packs,
    ...(r.at ? { at: r.at } : {}),
  });
  const work: { at: ProofSubtree | null; proof: FlatProof; size: number }[] = [
    { at: null, proof, size: total },
  ];
  const pieces: ProofSubtree[] = [];
  while (work.length > 0) {
    const item = work.pop()!;
    if (options.farm && item.at && item.size <= chunk && !item.proof.subproofs?.length) {
      pieces.push(item.at);
      continue;
    }
    await options.pause();
    const split = splitFlatProof(item.proof, chunk, Math.min(64, chunk >> 2));
    const r = item.at
      ? replayProofSubtree(ints, supports, n, { ...item.at, proof: split }, budget, {
          defer: true,
          unsettled,
          tables,
        })
      : replayFlatProof(ints, supports, n, split, budget, { defer: true, unsettled, tables });
    add(r);
    if (!r.valid) return failed(r);
    let rest = 0;
    // Reversed, so that the pieces come off the stack in the proof's order.
    for (const d of (r.deferred ?? []).slice().reverse()) {
      const size = proofLength(d.proof);
      rest += size;
      work.push({ at: d, proof: d.proof, size });
    }
    done += item.size - rest;
    options.onShare?.(Math.min(1, done / total));
  }
  if (pieces.length === 0) return acc;
  const farmed = options.farm ? await options.farm(pieces) : null;
  if (farmed) {
    add(farmed);
    return farmed.valid ? acc : failed(farmed);
  }
  for (const at of pieces) {
    await options.pause();
    const r = replayProofSubtree(ints, supports, n, at, budget, { unsettled, tables });
    add(r);
    if (!r.valid) return failed(r);
    done += proofLength(at.proof);
    options.onShare?.(Math.min(1, done / total));
  }
  return acc;
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

/** Depth below the start node at which {@link coverInChunks} splits the cover check. */
const COVER_SPLIT_LEVELS = 2;

/**
 * The exact cover check ({@link exactCover}, or {@link exactCoverAt} at `start`) in pieces: the
 * check down to two rows below the start, then each node left there, with a `pause` between them.
 * The primes are tried in turn as there; rational arithmetic (an unlucky prime for every prime
 * tried, which has not been seen on a real layer) runs in one piece.
 * @returns null when the check cannot start at `start` (as {@link exactCoverAt})
 */
export async function coverInChunks(
  ints: IntegerLayer,
  supports: number[][],
  n: number,
  start: CoverNode | null,
  budget: Budget | undefined,
  pause: () => Promise<void>,
  onShare?: (share: number) => void,
): Promise<CoverResult | null> {
  const depth = start?.chosen.length ?? 0;
  const splitDepth = depth + COVER_SPLIT_LEVELS;
  if (start && start.chosen.some((r) => !supports.some((s) => s.includes(r)))) return null;
  // A start node whose path does not raise the rank modulo the prime: try the next prime.
  const notStart = (e: unknown): boolean => e instanceof Error && /start node/.test(e.message);
  primes: for (let k = 0; k < PRIMES.length; k++) {
    const ops = coverOps(ints, supports, n, k);
    if (!ops) continue;
    let top: CoverResult | null;
    try {
      top = coverModulo(
        ints,
        supports,
        n,
        k,
        budget,
        undefined,
        { ...(start ? { start } : {}), ...(splitDepth < n ? { splitDepth } : {}) },
        ops,
      );
    } catch (e) {
      if (notStart(e)) continue;
      throw e;
    }
    if (!top) continue;
    if (top.uncovered || !top.frontier?.length) return top;
    let nodes = top.nodes;
    let hyperplaneCuts = top.hyperplaneCuts;
    const frontier = top.frontier;
    for (let i = 0; i < frontier.length; i++) {
      await pause();
      const r = coverModulo(ints, supports, n, k, budget, undefined, { start: frontier[i] }, ops);
      if (!r) continue primes;
      nodes += r.nodes;
      hyperplaneCuts += r.hyperplaneCuts;
      if (r.uncovered) return { uncovered: r.uncovered, nodes, hyperplaneCuts };
      onShare?.((i + 1) / frontier.length);
    }
    return { uncovered: null, nodes, hyperplaneCuts };
  }
  await pause();
  return start
    ? exactCoverAt(ints, supports, n, { path: start.chosen, forbidden: start.forbidden }, budget)
    : exactCover(ints, supports, n, budget);
}
