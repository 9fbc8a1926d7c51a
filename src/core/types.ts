/**
 * Public types of the single-layer verifier.
 *
 * A layer is `F(x) = ReLU(W x + b)` with `W` of shape (m, n): rows are output units, columns are
 * inputs. The exact criterion (paper, Theorem 1, extended to bias and
 * to the nonnegative orthant of Remark 1): F is injective on D iff for every x in the interior of D
 * the rows `{ w_i : <w_i, x> + b_i >= 0 }` span R^n.
 */

import type { EncodedFlatProof } from "./flat-proof.js";

import type { LayerTaskPool } from "./parallel-search.js";

/** Where the inputs live: all of R^n, or the closed nonnegative orthant (inputs of a layer after a ReLU). */
export type Domain = "all" | "nonnegative";

/**
 * How to decide.
 * - `auto`: cheap sufficient tests, then a short falsifier run, then the branch and bound (stops at the first witness).
 * - `branch-and-bound`: the branch and bound over flats alone (./flat-search.ts; exact for every W).
 * - `exhaustive`: the plain hyperplane enumeration alone (exact for every W; the slow baseline).
 * - `falsify`: the randomized witness search alone; answers `null` (unknown) when it finds nothing.
 * - `structure`: the sufficient test alone (always-active spanning rows, which covers Corollary 2); `null` when it does not apply.
 * - `lemma1`: the paper's Lemma 1 used as a sufficient test: the exhaustive search on `W|b>=0` without bias; `null` when that is not injective.
 */
export type Method = "auto" | "branch-and-bound" | "exhaustive" | "falsify" | "structure" | "lemma1";

/** Progress of a long search, reported to `onProgress`. */
export interface Progress {
  /** Stage currently running. */
  stage: "structure" | "falsify" | "exhaustive" | "branch-and-bound" | "certificate";
  /** Work units done in this stage (hyperplane candidates for `exhaustive`). */
  done: number;
  /** Work units in this stage, when known. */
  total?: number;
}

/** Options of {@link checkLayer}. */
export interface CheckLayerOptions {
  /** Input domain. @default "all" */
  domain?: Domain;
  /** Decision method. @default "auto" */
  method?: Method;
  /** Wall-clock limit in milliseconds; when it runs out the verdict is `null` (unknown). @default Infinity */
  timeLimitMs?: number;
  /**
   * Relative tolerance of the floating-point search, in (0, 0.1]. Rows are scaled to unit norm (with
   * their bias): the search treats a row as lying in a hyperplane with unit normal v when
   * |<ŵ_i, v>| <= tolerance, a set of rows as dependent when a Gram–Schmidt residual is <= tolerance,
   * and a separation LP as feasible when its margin exceeds it. The verdict never rests on it: every
   * witness and certificate is re-checked exactly, so the tolerance can only turn a verdict into
   * unknown (null), never flip it.
   * @default 1e-9
   */
  tolerance?: number;
  /**
   * Exact re-check: `auto`, the only mode. Every witness and every certificate is re-verified in
   * exact rational (BigInt) arithmetic for W and b exactly as given, and a verdict that fails the
   * exact check is not returned. (The former `never` mode, floating-point checks only, was removed:
   * it could return wrong verdicts.)
   * @default "auto"
   */
  exact?: "auto";
  /** Seed of the falsifier's random directions. @default 1 */
  seed?: number;
  /** Random restarts of the falsifier. @default 16 in `auto`, 64 + 8 m with method `falsify` */
  falsifierRestarts?: number;
  /**
   * Restarts of the LP-guided descent that runs after the random falsifier (at most 6 reweighting
   * rounds each; layers with more than 256 nonzero rows skip it); 0 turns it off.
   * @default in `auto` 8 up to n = 9, doubling with each n above, at most 256 (`descentRestartsFor`);
   *   4 times as many with method `falsify`
   */
  descentRestarts?: number;
  /**
   * Keep the branch and bound's proof tree in the certificate (`certificate.proof`, about 1.5 bytes
   * per search node), so that {@link verifyCertificate} re-checks by replaying it. @default false
   */
  proof?: boolean;
  /** Cancels the search; the result is then `null` (unknown) with the reason "cancelled". */
  signal?: AbortSignal;
  /**
   * Largest allocation the input may cause, in bytes (the integer form of W, the search's working
   * memory); larger work answers `null` (unknown) before allocating. @default 2 GiB
   */
  memoryLimitBytes?: number;
  /** Called now and then during long searches. */
  onProgress?: (progress: Progress) => void;
  /**
   * Threads for the branch and bound and the exact cover check (for example
   * `layerWorkerPool(2)` from `injective-relu/node`); the verdict is the same as without. Used for
   * n >= 6 (smaller layers are decided faster in one thread). @default none: one thread
   */
  pool?: LayerTaskPool;
}

/** Two distinct inputs of the domain with the same output: a proof of non-injectivity. */
export interface Witness {
  /** The first point (the nearest doubles when `exactX1` is present). */
  x1: number[];
  /** The second point (the nearest doubles when `exactX2` is present). */
  x2: number[];
  /**
   * The exact points as fractions "p/q", present when some coordinate is not a double (then x1 and
   * x2 are their roundings and only the fractions collide exactly). {@link verifyWitness} reads them.
   */
  exactX1?: string[];
  exactX2?: string[];
  /** Unit vector along x2 − x1; every active row is orthogonal to it. */
  direction: number[];
  /** Rows active (`<w_i, x> + b_i >= 0`) at both points: the rows whose span misses `direction`. */
  activeRows: number[];
  /** Rank of the active rows (< n). */
  activeRank: number;
  /** max_i |F_i(x1) − F_i(x2)| / ‖w_i‖, as recomputed by a forward pass. */
  maxOutputDifference: number;
  /** ‖x1 − x2‖₂ / max(1, ‖x1‖₂, ‖x2‖₂). */
  separation: number;
  /** True: F(x1) = F(x2) was confirmed in exact rational arithmetic (every returned witness is). */
  exact: boolean;
}

/**
 * One Gordan/Motzkin dual: nonnegative weights y (summing to 1) on `rows` such that
 * Σ y_i w_i = 0 (domain `all`) or Σ y_i w_i >= 0 componentwise (domain `nonnegative`), and
 * Σ y_i b_i >= 0. It proves that no x in D makes all these rows strictly negative, so no collision
 * direction v can have all of them off its hyperplane.
 */
export interface Dual {
  rows: number[];
  weights: number[];
}

/**
 * Certificate of injectivity: a list of duals such that every hyperplane through 0 misses the
 * support of at least one of them. {@link verifyCertificate} re-checks both parts without the search.
 */
export interface Certificate {
  kind: "dual-cover";
  domain: Domain;
  /** Shape of the W it was made for. */
  m: number;
  n: number;
  duals: Dual[];
  /**
   * The branch and bound's own proof that the duals cover every flat (checkLayer's `proof`
   * option): a re-check replays it instead of searching (./flat-proof.ts). Optional; without it, or
   * when it does not hold, the independent cover check decides.
   */
  proof?: EncodedFlatProof;
}

/** Counters of the search. */
export interface CheckStats {
  /** Candidate hyperplanes (independent (n−1)-subsets of rows) enumerated. */
  hyperplanesVisited: number;
  /** Number of (n−1)-subsets of nonzero rows, the exhaustive search's worst case. */
  hyperplanesTotal: number;
  /** Distinct hyperplanes examined (after deduplication). */
  distinctHyperplanes: number;
  /** Hyperplanes settled by a dual found earlier, without an LP. */
  prunedByDuals: number;
  /** Linear programs solved. */
  lpSolves: number;
  /** Random directions tried by the falsifier. */
  falsifierSamples: number;
  /** Restarts of the LP-guided descent begun (absent when it did not run). */
  descentRestarts?: number;
  /** LPs the descent solved (its reweighting and separation LPs; not counted in `lpSolves`). */
  descentLps?: number;
  /** Milliseconds the descent took (included in `timeMs`). */
  descentMs?: number;
  /** Search nodes expanded by the branch and bound. */
  nodes?: number;
  /** Flats settled in exact arithmetic after the search, when its certificate did not cover them. */
  repairs?: number;
  /** Of those, flats that needed the exact (rational) simplex because floating point could not decide. */
  exactLps?: number;
  /**
   * How the certificate's cover was re-checked: `proof replay` (the branch and bound's own tree,
   * replayed in exact arithmetic) or `cover check` (an independent exact search over the flats).
   */
  recheckBy?: "proof replay" | "cover check";
  /** Milliseconds of the exact re-check of the certificate (its duals' algebra and its cover). */
  recheckMs?: number;
  /** Nodes of the search's proof tree replayed. */
  proofNodes?: number;
  /**
   * Nodes the search left unsettled (an LP it could not trust) that the re-check settled by the
   * exact cover check of their flats alone, the rest of the proof being replayed.
   */
  unsettledNodes?: number;
  /** Why the replay of the search's proof did not hold (the cover check then decided). */
  replayFailure?: string;
  /** Wall-clock time in milliseconds. */
  timeMs: number;
}

/** Result of {@link checkLayer}. */
export interface LayerCheckResult {
  /** true: injective; false: a witness is attached; null: unknown (time limit, cancelled, or the method does not apply). */
  injective: boolean | null;
  domain: Domain;
  /** The method that produced the verdict (for `auto`, the stage that settled it). */
  method: "branch-and-bound" | "exhaustive" | "falsify" | "structure" | "lemma1" | "rank" | "none";
  /** One or two sentences explaining the verdict. */
  reason: string;
  /** What the verdict assumes (tolerance, exactness). */
  assumptions: string[];
  m: number;
  n: number;
  /** Numerical rank of W. */
  rank: number;
  /** Present when `injective === false`. */
  witness?: Witness;
  /** Present when `injective === true`. */
  certificate?: Certificate;
  /** True when the witness or certificate was re-verified in exact rational arithmetic (every decided verdict). */
  exact: boolean;
  /** Present when a resource limit stopped the check: what ran out, and in which stage. */
  limit?: { kind: "time" | "memory" | "cancelled"; stage: string };
  tolerance: number;
  seed: number;
  stats: CheckStats;
}
