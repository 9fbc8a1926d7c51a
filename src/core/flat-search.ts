/**
 * Branch and bound over the flats of the rows: the fast exact decision of injectivity (Theorem 1
 * with bias and Remark 1, in the form of docs/verifier.md; method `branch-and-bound`).
 *
 * F is NOT injective on D iff there is a flat S of the unit rows (the rows inside a subspace of
 * rank <= n − 1) such that every row off S can be made strictly negative at one x in D: then the
 * active rows at x lie in S and x ± δv collide for v ⟂ S. Whether the rows off S can be made
 * negative is the separation LP (./separation-lp.ts); when they cannot, the LP returns a Motzkin
 * dual, weights y >= 0 on rows off S whose combination rules out every flat that misses its support.
 * So F is injective iff no flat of rank <= n − 1 meets the support of every dual — an implicit
 * hitting-set problem over flats, decided here by one depth-first search that adds duals lazily:
 *
 * - a node is a flat S (the span of the rows chosen on its path, closed: every row within the
 *   tolerance of the span belongs to S) with a set of forbidden rows;
 * - if every known dual meets S, the LP at S either finds a witness or a new dual disjoint from S;
 * - otherwise the search branches on the unmet dual with the fewest allowed rows: child j adds its
 *   j-th allowed row e_j and forbids e_1 … e_{j−1}. Every flat above S that meets the dual contains
 *   a first such row, so the children partition the flats, and a child whose closure contains a
 *   forbidden row is covered by an earlier sibling;
 * - a node is cut when the rank budget n − 1 − rank S is used up with a dual still unmet, when an
 *   unmet dual has only forbidden rows (with at least {@link FORBIDDEN_DUAL_BUDGET} rank left, the
 *   separation LP on the forbidden rows looks for such a dual: every flat in the subtree has all of
 *   them off it), and (when `packingBound` is on) when more pairwise disjoint
 *   unmet duals remain than the budget: in general position each extra rank meets at most one of
 *   them. Without general position that bound can cut a hitting flat, which is why the caller
 *   re-checks the resulting certificate with the exact cover check of ./certificate.ts and never
 *   trusts the bound alone.
 *
 * The search is an explicit stack so that it can run in chunks (`step`), report progress and be
 * cancelled; its duals are the certificate of injectivity.
 */

import type { Domain } from "./types.js";
import type { NormalizedLayer } from "./layer.js";
import type { PoolDual, SeparationCandidate } from "./hyperplane-search.js";
import { orthogonalComplementVector } from "./dense.js";
import { dualSupport, polishSeparation, refineDualWeights, separateRows } from "./separation-lp.js";
import { PROOF_TOKEN, type FlatProof } from "./flat-proof.js";

/**
 * A row whose squared distance to S, as 1 − Σ (q_k · w)², exceeds the squared tolerance by more
 * than this is certainly off S (that sum's rounding error is about 1e-15); the others get their
 * residual computed explicitly and compared with the tolerance.
 */
const NEAR_SPAN = 1e-12;

/** Unmet duals {@link FlatSearch.rankLeafDual} tries before it enters the child instead. */
const RANK_LEAF_TRIES = 8;

/** Unmet duals {@link FlatSearch.packLeafDuals} tries before it enters the child instead. */
const PACK_LEAF_TRIES = 48;

/**
 * At nodes with at least this much rank left, the search looks for a Motzkin dual among the
 * forbidden rows ({@link FlatSearch.forbiddenRowsDual}). Every flat below the node misses the
 * forbidden rows, so such a dual settles the whole subtree, and the proof records an ordinary
 * forbidden leaf on it. Measured (docs/benchmarks.md, "Duals among the forbidden rows"): on
 * injective Gaussian layers about 9% of these LPs find one, and the tree shrinks by 18% at
 * n = 10, 29% at n = 11 and 45% at n = 12.
 */
const FORBIDDEN_DUAL_BUDGET = 3;

/** Feasible points of the forbidden rows' LP kept for reuse ({@link FlatSearch.forbiddenRowsDual}). */
const FORBIDDEN_POINTS = 8;

/** Up to this many 32-bit words per dual (256 rows), the duals are also kept as bit sets. */
const BITSET_WORDS = 8;

/** {@link FlatSearch.packLeafDuals} looks at children with up to this much rank left. */
const PACK_LEAF_BUDGET = 2;

/**
 * When the greedy packing fails at a node with at most this much rank left, a depth-first search
 * over the unmet duals (smallest first) looks for enough disjoint ones, within
 * {@link PACK_SEARCH_STEPS} steps.
 */
const PACK_SEARCH_BUDGET = 6;
const PACK_SEARCH_STEPS = 1000;

/** Counters of the branch and bound. */
export interface FlatSearchCounters {
  /** Search nodes expanded. */
  nodes: number;
  /** Separation LPs solved (including witness polishing). */
  lpSolves: number;
  /** Nodes cut by the packing bound. */
  cutByBound: number;
  /** Children skipped because their closure contains a forbidden row. */
  cutByForbidden: number;
  /** Separation LPs on the forbidden rows ({@link FlatSearch.forbiddenRowsDual}; also in lpSolves). */
  forbiddenLps: number;
  /** Nodes settled by a dual that one of those LPs found among the forbidden rows. */
  cutByForbiddenDual: number;
  /** Duals the LP returned that failed their algebra check (numerically borderline layers). */
  rejectedDuals: number;
  /** Duals the LP returned a little off that passed their algebra check once refined ({@link refineDualWeights}). */
  refinedDuals: number;
  /** Nodes whose witness failed its re-check and that were skipped (borderline layers). */
  skippedNodes: number;
}

/** Options of {@link FlatSearch}. */
export interface FlatSearchOptions {
  /** Cut with the disjoint-duals packing bound (exact in general position only; see the header). @default true */
  packingBound?: boolean;
  /**
   * Look for Motzkin duals among the forbidden rows at nodes with rank to spare (exact: such a dual
   * is a forbidden leaf; see {@link FORBIDDEN_DUAL_BUDGET}). @default true
   */
  forbiddenDuals?: boolean;
  /** Duals known in advance (for example from the falsifier). */
  duals?: readonly PoolDual[];
  /**
   * Search only the subtree of this node (a task of a parallel search; see {@link FlatNode}).
   * @default the root
   */
  start?: FlatNode;
  /**
   * Do not expand the nodes at this depth (the number of rows on the path): collect them in
   * {@link FlatSearch.frontier} instead, as tasks whose subtrees partition the rest of the search.
   */
  splitDepth?: number;
  /**
   * Record the search tree as a proof ({@link FlatSearch.proof}) that ./flat-proof.ts replays in
   * place of the exact cover check. @default false
   */
  record?: boolean;
  /** Most entries the recorded proof may take (4 bytes each); a longer proof is dropped. @default 2^26 */
  recordLimit?: number;
  /**
   * Keep each dual's rows as a bit set too, for the packing bound and the unmet duals (an
   * implementation choice with the same search tree; the tests compare both).
   * @default true when the layer has at most 256 rows
   */
  bitsets?: boolean;
}

/** A growable list of proof entries. */
class ProofBuffer {
  private buf = new Int32Array(4096);
  length = 0;
  /** Set when the proof outgrew its limit: it is then dropped (the cover check re-checks instead). */
  overflow = false;
  constructor(private readonly limit: number) {}
  push(x: number): void {
    if (this.length === this.buf.length) {
      if (this.overflow || this.buf.length * 2 > this.limit) {
        this.overflow = true;
        this.length = 0;
        return;
      }
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = x;
  }
  take(): Int32Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * A node of the search tree, as a task for another search: the rows added on its path, in order
 * (normalized indices; each child added one row and the rows its span brought in), and every row
 * forbidden there. Its subtree is the set of flats that contain the path's span and no forbidden row.
 */
export interface FlatNode {
  path: number[];
  forbidden: number[];
}

interface Frame {
  /** Rows of the dual branched on, in branch order. */
  branch: Int32Array;
  /** Next child index. */
  next: number;
  /** The children before this index have their row forbidden (see {@link FlatSearch.forbidSiblings}). */
  forbidden: number;
}

/** Depth-first branch and bound over flats; see the module header. */
export class FlatSearch {
  readonly counters: FlatSearchCounters = {
    nodes: 0,
    lpSolves: 0,
    cutByBound: 0,
    cutByForbidden: 0,
    forbiddenLps: 0,
    cutByForbiddenDual: 0,
    rejectedDuals: 0,
    refinedDuals: 0,
    skippedNodes: 0,
  };
  /** Duals found (the certificate), over normalized row indices. */
  readonly duals: PoolDual[] = [];
  /** The duals this search's own LPs found (the others were given or imported). */
  readonly found: PoolDual[] = [];
  /** Per dual: its rows in S (kept only without bit sets; with them, unmet duals are found by bit tests). */
  private readonly hit: number[] = [];
  /** 32-bit words per dual bit set (0: no bit sets). */
  private readonly words: number;
  /** The duals' rows as bit sets, `words` per dual. */
  private bits: Int32Array;
  /** Bit set of the rows not forbidden. */
  private readonly allowedBits: Int32Array;
  /** Scratch bit sets: the rows taken by a packing, the rows that joined S. */
  private readonly usedBits: Int32Array;
  private readonly joinBits: Int32Array;
  /** Unmet duals of the node at each depth on the current path (exactly the duals with hit 0 there). */
  private readonly unmet: number[][];
  private readonly bucketCount: Int32Array;
  private readonly bucketOrder: number[] = [];
  /** Scratch of {@link branchOrder}: a dual's allowed rows and their scores, in order. */
  private readonly orderRows: Int32Array;
  private readonly orderScore: Int32Array;
  /** Scratch of {@link branchOrder} with bit sets: the dual's allowed rows, and per row its count of unmet duals. */
  private readonly candBits: Int32Array;
  private readonly rowScore: Int32Array;
  /**
   * Per dual: its allowed rows (not forbidden; rows of S count too). Kept up to date by
   * forbid/unforbid without bit sets; with bit sets only the current node's unmet duals are
   * counted, when it is expanded ({@link refreshAvail}): a forbidden row is in hundreds of duals,
   * and updating them all on every forbid and unforbid was a fifth of the search.
   */
  private readonly avail: number[] = [];
  private readonly incidence: number[][];
  private readonly n: number;
  private readonly count: number;
  private readonly tol: number;
  private readonly packing: boolean;
  /** Per row and depth: Σ (q_k · w_i)² over the basis vectors below that depth (row-major, n + 1 per row). */
  private readonly sumSq: Float64Array;
  /** Orthonormal basis of S, one row per depth. */
  private readonly Q: Float64Array;
  private readonly basisRows: Int32Array;
  /** Depth at which a row joined S (−1: not in S). */
  private readonly inLevel: Int32Array;
  /** Depth of the node that forbade a row (−1: allowed). */
  private readonly forbLevel: Int32Array;
  private readonly stamp: Int32Array;
  private stampValue = 0;
  private readonly stack: Frame[] = [];
  private depth = 0;
  /** Depth of the node the search started at (0: the root; see {@link FlatSearchOptions.start}). */
  private base = 0;
  private readonly splitDepth: number;
  /** The nodes left unexpanded at `splitDepth`, in depth-first order. */
  readonly frontier: FlatNode[] = [];
  /** The current node still has to be expanded (true) or has children being iterated (false). */
  private fresh = true;
  private finished = false;
  private readonly R: Int32Array;
  private readonly scratch: Float64Array;
  private readonly joinBuf: Int32Array;
  /** The proof being recorded (null: not recording). */
  private readonly rec: ProofBuffer | null;
  /** Candidate duals for the packing cuts of the current node's children ({@link packCandidates}). */
  private readonly packCand: number[][];
  /** Scratch of {@link packLeafDuals}: per candidate, whether it stays unmet in the child. */
  private readonly candState = new Int8Array(PACK_LEAF_TRIES);
  /** The stamp of the rows taken by the current packing (without bit sets). */
  private takenStamp = 0;
  /** Per row: the probe that last tested it ({@link staysUnmet}), and whether it was near the span. */
  private readonly probeSeen: Int32Array;
  private readonly probeNear: Uint8Array;
  private probeId = 0;
  /** Steps left to the packing search of the current node ({@link packFrom}). */
  private packSteps = 0;
  /** Whether {@link packFrom} has left the greedy's path (from then on, steps are limited). */
  private packBacktracked = false;
  /** The row and depth of the last {@link probe}, whose vector {@link descend} reuses (−1: none). */
  private probedRow = -1;
  private probedDepth = -1;
  /** The duals of the last packing cut. */
  private readonly packed: number[] = [];
  /** The forbidden row that made the last {@link descend} fail. */
  private blocked = -1;
  private readonly forbiddenDuals: boolean;
  /** The node count when {@link forbiddenRowsDual} last ran (once per node). */
  private forbiddenCheckedAt = -1;
  /**
   * Per depth on the current path: a point of D at which every row forbidden at that node is
   * strictly negative (`fxOk` 1), for the children to test their few new forbidden rows on.
   */
  private readonly fx: Float64Array;
  private readonly fxOk: Uint8Array;
  /** The last {@link FORBIDDEN_POINTS} such points (a ring), tried before an LP. */
  private readonly fxRing: Float64Array;
  private fxRingSize = 0;
  private fxRingNext = 0;

  constructor(
    readonly layer: NormalizedLayer,
    readonly domain: Domain,
    tolerance: number,
    options: FlatSearchOptions = {},
  ) {
    const { n, count } = layer;
    this.n = n;
    this.count = count;
    this.tol = tolerance;
    this.packing = options.packingBound ?? true;
    this.forbiddenDuals = options.forbiddenDuals ?? true;
    this.fx = new Float64Array((n + 1) * n);
    this.fxOk = new Uint8Array(n + 1);
    this.fxRing = new Float64Array(FORBIDDEN_POINTS * n);
    this.incidence = Array.from({ length: count }, () => []);
    this.unmet = Array.from({ length: n + 1 }, () => []);
    this.packCand = Array.from({ length: n + 1 }, () => []);
    this.probeSeen = new Int32Array(count);
    this.probeNear = new Uint8Array(count);
    const words = Math.ceil(count / 32);
    this.words = (options.bitsets ?? words <= BITSET_WORDS) ? words : 0;
    this.bits = new Int32Array(this.words * 64);
    this.allowedBits = new Int32Array(this.words);
    for (let i = 0; i < count && this.words > 0; i++) this.allowedBits[i >> 5] |= 1 << (i & 31);
    this.usedBits = new Int32Array(this.words);
    this.joinBits = new Int32Array(this.words);
    this.bucketCount = new Int32Array(count + 2);
    this.orderRows = new Int32Array(count);
    this.orderScore = new Int32Array(count);
    this.candBits = new Int32Array(this.words);
    this.rowScore = new Int32Array(count);
    this.sumSq = new Float64Array(count * (n + 1));
    this.Q = new Float64Array(n * n);
    this.basisRows = new Int32Array(n);
    this.inLevel = new Int32Array(count).fill(-1);
    this.forbLevel = new Int32Array(count).fill(-1);
    this.stamp = new Int32Array(count);
    this.R = new Int32Array(count);
    this.scratch = new Float64Array(n);
    this.joinBuf = new Int32Array(count);
    this.rec = options.record ? new ProofBuffer(options.recordLimit ?? 2 ** 26) : null;
    for (const d of options.duals ?? []) this.addDual(d.rows, d.weights);
    this.splitDepth = options.splitDepth ?? Infinity;
    this.moveTo(options.start ?? { path: [], forbidden: [] });
  }

  /** Goes to node `start` (from the root) and makes it the root of the search. */
  private moveTo(start: FlatNode): void {
    if (start.forbidden.length > 0 && start.path.length === 0)
      throw new Error("FlatSearch: a start node with forbidden rows needs a path");
    // Forbidden at level 0, which a subtree search (base >= 1) never lifts.
    for (const r of start.forbidden) this.forbid(r, 0);
    for (const e of start.path)
      if (this.inLevel[e] >= 0 || this.forbLevel[e] >= 0 || !this.descend(e))
        throw new Error(`FlatSearch: the start node's path is not a node of the search (row ${e})`);
    this.base = this.depth;
    // No node above the start was expanded here: no point of a parent to reuse.
    this.fxOk.fill(0);
    if (this.splitDepth <= this.base) throw new Error("FlatSearch: splitDepth must be below the start node");
  }

  /**
   * Searches the subtree of another node next, keeping every dual known (a thread of a parallel
   * search takes its subtrees one after another). Valid once the current search is done.
   */
  restart(start: FlatNode): void {
    if (!this.finished) throw new Error("FlatSearch.restart(): the current search is not done");
    for (let level = this.depth; level >= 1; level--) this.leave(level);
    this.depth = 0;
    for (let i = 0; i < this.count; i++)
      if (this.forbLevel[i] >= 0) {
        this.forbLevel[i] = -1;
        if (this.words > 0) this.allowedBits[i >> 5] |= 1 << (i & 31);
        else for (const k of this.incidence[i]) this.avail[k]++;
      }
    this.stack.length = 0;
    this.probedRow = -1;
    this.fresh = true;
    this.finished = false;
    if (this.rec) {
      this.rec.length = 0;
      this.rec.overflow = false;
    }
    // At the root no dual is met.
    const root = this.unmet[0];
    root.length = 0;
    for (let k = 0; k < this.duals.length; k++) root.push(k);
    this.moveTo(start);
  }

  /**
   * The recorded proof of the search (or of the subtree it searched since the last restart), over
   * original row indices and the indices of {@link duals}; null when not recording. Complete once
   * the search is done; its `DELEGATE` nodes are the {@link frontier} nodes, in order.
   */
  proof(): FlatProof | null {
    return this.rec && !this.rec.overflow ? { tokens: this.rec.take() } : null;
  }

  get done(): boolean {
    return this.finished;
  }

  /**
   * Fraction of the search tree settled so far, estimated from the branch positions on the path
   * (each level splits the remaining share evenly among its children).
   */
  progress(): number {
    if (this.finished) return 1;
    let p = 0;
    let share = 1;
    for (const f of this.stack) {
      const k = f.branch.length;
      if (k === 0) break;
      const doneChildren = Math.max(0, f.next - 1);
      p += share * (doneChildren / k);
      share /= k;
    }
    return Math.min(1, p);
  }

  /**
   * Expands up to `maxNodes` nodes.
   * @returns a strictly feasible flat (a witness to re-check; the search can be resumed after it,
   *   and then skips that node), or null
   */
  step(maxNodes: number): SeparationCandidate | null {
    let budget = maxNodes;
    while (!this.finished && budget > 0) {
      if (this.fresh) {
        if (this.depth === this.splitDepth) {
          this.rec?.push(PROOF_TOKEN.DELEGATE);
          this.frontier.push(this.node());
          this.backtrack();
          continue;
        }
        budget--;
        this.counters.nodes++;
        const out = this.expand();
        if (out === "leaf") this.backtrack();
        else if (out !== "branch") {
          // A witness: the next step leaves this node (unproved, if the witness is rejected).
          this.rec?.push(PROOF_TOKEN.INCOMPLETE);
          this.fresh = false;
          this.stack.push({ branch: new Int32Array(0), next: 0, forbidden: 0 });
          return out;
        }
        continue;
      }
      // Iterate the children of the node on top of the stack.
      const frame = this.stack[this.stack.length - 1];
      if (frame.next >= frame.branch.length) {
        this.stack.pop();
        this.unforbid(this.depth);
        if (this.stack.length === 0) {
          this.finished = true;
          break;
        }
        this.backtrack();
        continue;
      }
      const e = frame.branch[frame.next++];
      // The children of rank n − 1 are mostly settled without being entered, and without the
      // forbidden rows: forbid their earlier siblings only when one is entered.
      const lazy = this.depth === this.n - 2;
      if (!lazy) this.forbidSiblings(frame);
      if (this.forbLevel[e] >= 0 || this.inLevel[e] >= 0) {
        this.rec?.push(PROOF_TOKEN.INCOMPLETE);
        continue;
      }
      if (this.depth === this.n - 2 && this.depth + 1 !== this.splitDepth && budget > 0) {
        // A child of rank n − 1 is nearly always a rank leaf: tell it from a few dot products.
        const k = this.rankLeafDual(e);
        if (k >= 0) {
          budget--;
          this.counters.nodes++;
          if (this.rec) {
            this.rec.push(PROOF_TOKEN.RANK);
            this.rec.push(k);
          }
          continue;
        }
      }
      if (
        this.packing &&
        this.depth >= this.n - 2 - PACK_LEAF_BUDGET &&
        this.depth <= this.n - 3 &&
        this.depth + 1 !== this.splitDepth &&
        budget > 0
      ) {
        // A child with little rank left is mostly cut by disjoint duals: look for them first.
        if (this.packLeafDuals(e, this.n - 1 - this.depth)) {
          budget--;
          this.counters.nodes++;
          this.counters.cutByBound++;
          if (this.rec) {
            this.rec.push(PROOF_TOKEN.PACK);
            this.rec.push(this.packed.length);
            for (const k of this.packed) this.rec.push(k);
          }
          continue;
        }
      }
      this.forbidSiblings(frame);
      if (this.descend(e)) this.fresh = true;
      else {
        this.counters.cutByForbidden++;
        if (this.rec) {
          this.rec.push(PROOF_TOKEN.SKIP);
          this.rec.push(this.layer.index[this.blocked]);
        }
      }
    }
    return null;
  }

  /** Forbids the rows of the children before the current one (the partition of the flats). */
  private forbidSiblings(frame: Frame): void {
    const upto = frame.next - 1;
    while (frame.forbidden < upto) this.forbid(frame.branch[frame.forbidden++], this.depth);
  }

  /** Marks a node whose witness was rejected as settled (the search then continues after it). */
  skipWitness(): void {
    this.counters.skippedNodes++;
  }

  /** The current node as a task. */
  private node(): FlatNode {
    const forbidden: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.forbLevel[i] >= 0) forbidden.push(i);
    return { path: Array.from(this.basisRows.subarray(0, this.depth)), forbidden };
  }

  /** Leaves the current child: undoes its additions to S and returns to its parent's frame. */
  private backtrack(): void {
    if (this.depth === this.base) {
      // The root itself was a leaf.
      this.finished = true;
      return;
    }
    this.leave(this.depth);
    this.depth--;
    this.fresh = false;
  }

  /**
   * Expands the current node: LPs while every dual is met, then either a witness, a cut ("leaf"),
   * or a branch frame pushed ("branch").
   */
  private expand(): SeparationCandidate | "leaf" | "branch" {
    const budget = this.n - 1 - this.depth;
    const rec = this.rec;
    if (budget <= 0 && this.unmet[this.depth].length > 0) {
      rec?.push(PROOF_TOKEN.RANK);
      rec?.push(this.unmet[this.depth][0]);
      return "leaf";
    }
    if (this.words > 0) this.refreshAvail();
    for (;;) {
      const pick = this.pickUnmet();
      if (pick === -1) {
        const out = this.solveAt();
        if (out === "dual") continue;
        if (out === "stuck") {
          rec?.push(PROOF_TOKEN.INCOMPLETE);
          return "leaf";
        }
        return out;
      }
      if (budget <= 0 || this.avail[pick] === 0) {
        rec?.push(this.avail[pick] === 0 ? PROOF_TOKEN.FORB : PROOF_TOKEN.RANK);
        rec?.push(pick);
        return "leaf";
      }
      if (this.packing && budget < this.unmet[this.depth].length && this.packingExceeds(budget)) {
        this.counters.cutByBound++;
        if (rec) {
          rec.push(PROOF_TOKEN.PACK);
          rec.push(this.packed.length);
          for (const k of this.packed) rec.push(k);
        }
        return "leaf";
      }
      if (
        this.forbiddenDuals &&
        budget >= FORBIDDEN_DUAL_BUDGET &&
        this.forbiddenCheckedAt !== this.counters.nodes
      ) {
        // Once per node: a new dual among the forbidden rows is unmet with no allowed row, so the
        // next pick takes it and the node is a forbidden leaf.
        this.forbiddenCheckedAt = this.counters.nodes;
        if (this.forbiddenRowsDual()) {
          this.counters.cutByForbiddenDual++;
          continue;
        }
      }
      const branch = this.branchOrder(pick);
      if (this.packing && this.depth >= this.n - 2 - PACK_LEAF_BUDGET && this.depth <= this.n - 3)
        this.packCandidates();
      if (rec) {
        rec.push(PROOF_TOKEN.BRANCH);
        rec.push(pick);
        rec.push(branch.length);
        for (let t = 0; t < branch.length; t++) rec.push(this.layer.index[branch[t]]);
      }
      this.stack.push({ branch, next: 0, forbidden: 0 });
      this.fresh = false;
      return "branch";
    }
  }

  /** With bit sets: {@link avail} of the current node's unmet duals, by popcount. */
  private refreshAvail(): void {
    const W = this.words;
    const bits = this.bits;
    const allowed = this.allowedBits;
    const avail = this.avail;
    const list = this.unmet[this.depth];
    for (let t = 0; t < list.length; t++) {
      const k = list[t];
      const o = k * W;
      let c = 0;
      for (let w = 0; w < W; w++) {
        let x = bits[o + w] & allowed[w];
        x -= (x >>> 1) & 0x55555555;
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        c += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      avail[k] = c;
    }
  }

  /** The unmet dual with the fewest allowed rows (−1 when every dual meets S). */
  private pickUnmet(): number {
    let best = -1;
    let bestAvail = Infinity;
    const avail = this.avail;
    const list = this.unmet[this.depth];
    for (let t = 0; t < list.length; t++) {
      const k = list[t];
      if (avail[k] < bestAvail) {
        bestAvail = avail[k];
        best = k;
        if (bestAvail === 0) break;
      }
    }
    return best;
  }

  /**
   * Packing of pairwise disjoint unmet duals (on allowed rows): more than `budget`? The greedy
   * (smallest first, take every dual disjoint from those taken) and, when it misses and at most
   * {@link PACK_SEARCH_BUDGET} rank is left, a depth-first search over the same order: one walk,
   * since the search's first path is the greedy.
   */
  private packingExceeds(budget: number): boolean {
    const order = this.bySize(this.unmet[this.depth], Infinity);
    this.packed.length = 0;
    this.clearTaken();
    this.packSteps = budget > PACK_SEARCH_BUDGET ? 0 : PACK_SEARCH_STEPS;
    this.packBacktracked = false;
    return this.packFrom(order, 0, budget + 1);
  }

  /**
   * Extends the packing {@link packed} (its rows taken) by duals of `order` from position `from`
   * on, to `need` pairwise disjoint duals. The first path (the greedy) always runs to its end;
   * backtracking is allowed within {@link packSteps}, which counts the steps of the first path
   * too (the steps of a search that starts after a separate greedy pass: the same tree).
   */
  private packFrom(order: readonly number[], from: number, need: number): boolean {
    const chosen = this.packed;
    if (chosen.length === need) return true;
    for (let t = from; t + need - chosen.length <= order.length; t++) {
      if (--this.packSteps < 0 && this.packBacktracked) return false;
      const k = order[t];
      if (!this.untaken(k)) continue;
      this.take(k);
      chosen.push(k);
      if (this.packFrom(order, t + 1, need)) return true;
      chosen.pop();
      this.untake(k);
      this.packBacktracked = true;
    }
    return false;
  }

  /**
   * The unmet duals with the fewest allowed rows (in that order, up to {@link PACK_LEAF_TRIES}),
   * for {@link packLeafDuals} on the children of the current node: small duals are the likeliest
   * to be disjoint.
   */
  private packCandidates(): void {
    const out = this.packCand[this.depth];
    const order = this.bySize(this.unmet[this.depth], PACK_LEAF_TRIES);
    out.length = 0;
    for (let t = 0; t < order.length; t++) out.push(order[t]);
  }

  /**
   * The first `limit` duals of `list` by allowed size, smallest first (ties in list order): a
   * counting sort, into a scratch array that the next call overwrites.
   */
  private bySize(list: readonly number[], limit: number): number[] {
    const avail = this.avail;
    const cnt = this.bucketCount;
    let maxAvail = 0;
    for (let t = 0; t < list.length; t++) if (avail[list[t]] > maxAvail) maxAvail = avail[list[t]];
    cnt.fill(0, 0, maxAvail + 2);
    for (let t = 0; t < list.length; t++) cnt[avail[list[t]] + 1]++;
    for (let a = 1; a <= maxAvail + 1; a++) cnt[a] += cnt[a - 1];
    const order = this.bucketOrder;
    order.length = list.length;
    for (let t = 0; t < list.length; t++) order[cnt[avail[list[t]]]++] = list[t];
    if (order.length > limit) order.length = limit;
    return order;
  }

  /** Allowed rows of dual k, those in most unmet duals first. */
  private branchOrder(k: number): Int32Array {
    const rows = this.duals[k].rows;
    const list = this.orderRows;
    const score = this.orderScore;
    const W = this.words;
    const unmet = this.unmet[this.depth];
    const rowScore = this.rowScore;
    if (W > 0) {
      // The unmet duals are exactly those of the unmet list: one pass over them, counting their
      // rows among the dual's allowed rows (a word test per dual, then its few common rows).
      const cand = this.candBits;
      for (let t = 0; t < rows.length; t++) {
        const r = rows[t];
        if (this.forbLevel[r] < 0) cand[r >> 5] |= 1 << (r & 31);
      }
      const bits = this.bits;
      for (let u = 0; u < unmet.length; u++) {
        const o = unmet[u] * W;
        for (let w = 0; w < W; w++) {
          let x = bits[o + w] & cand[w];
          while (x !== 0) {
            const low = x & -x;
            rowScore[(w << 5) + 31 - Math.clz32(low)]++;
            x ^= low;
          }
        }
      }
      cand.fill(0);
    }
    let len = 0;
    for (let t = 0; t < rows.length; t++) {
      const r = rows[t];
      if (this.forbLevel[r] >= 0) continue;
      let c = 0;
      if (W === 0) {
        for (const d of this.incidence[r]) if (this.hit[d] === 0) c++;
      } else {
        c = rowScore[r];
        rowScore[r] = 0;
      }
      // Insertion in order: higher score first, then lower row.
      let at = len++;
      while (at > 0 && (score[at - 1] < c || (score[at - 1] === c && list[at - 1] > r))) {
        list[at] = list[at - 1];
        score[at] = score[at - 1];
        at--;
      }
      list[at] = r;
      score[at] = c;
    }
    return list.slice(0, len);
  }

  /**
   * Adds row e to S (with the rows its span brings in) as a child at depth + 1.
   * @returns false (nothing changed) when the closure contains a forbidden row
   */
  private descend(e: number): boolean {
    const { n, count } = this;
    const rows = this.layer.rows;
    const d = this.depth;
    const Q = this.Q;
    // New basis vector: e's residual against the basis, Gram–Schmidt twice (orthogonal to rounding),
    // unless a shortcut that failed has just probed it (the same vector, in the same place).
    const q = Q.subarray(d * n, (d + 1) * n);
    if (this.probedRow !== e || this.probedDepth !== d) {
      const norm = this.residualOf(e, d, q);
      for (let j = 0; j < n; j++) q[j] /= norm;
    }
    this.probedRow = -1;
    // Every other row: its squared residual is 1 − Σ_k (q_k · w_i)² (unit rows, orthonormal q),
    // kept per level. That sum is only a filter: a row it does not put far from S gets its
    // residual computed, and joins S when that is within the tolerance.
    const S2 = this.sumSq;
    const w = n + 1;
    const tol2 = this.tol * this.tol;
    const r = this.scratch;
    let joined = 0;
    for (let i = 0; i < count; i++) {
      if (this.inLevel[i] >= 0) continue;
      const o = i * n;
      let c = 0;
      for (let j = 0; j < n; j++) c += q[j] * rows[o + j];
      const s2 = S2[i * w + d] + c * c;
      S2[i * w + d + 1] = s2;
      if (i === e || (1 - s2 <= tol2 + NEAR_SPAN && this.residualOf(i, d + 1, r) ** 2 <= tol2)) {
        if (this.forbLevel[i] >= 0) {
          this.blocked = i;
          return false;
        }
        this.joinBuf[joined++] = i;
      }
    }
    this.depth = d + 1;
    this.basisRows[d] = e;
    const parent = this.unmet[d];
    const child = this.unmet[d + 1];
    child.length = 0;
    const W = this.words;
    if (W === 0) {
      for (let t = 0; t < joined; t++) {
        const i = this.joinBuf[t];
        this.inLevel[i] = d + 1;
        for (const k of this.incidence[i]) this.hit[k]++;
      }
      for (let t = 0; t < parent.length; t++) if (this.hit[parent[t]] === 0) child.push(parent[t]);
      return true;
    }
    // With bit sets: a dual unmet at the parent stays unmet unless it has a row that joined.
    for (let t = 0; t < joined; t++) this.inLevel[this.joinBuf[t]] = d + 1;
    const bits = this.bits;
    if (joined === 1) {
      const word = e >> 5;
      const bit = 1 << (e & 31);
      for (let t = 0; t < parent.length; t++)
        if ((bits[parent[t] * W + word] & bit) === 0) child.push(parent[t]);
      return true;
    }
    const jb = this.joinBits;
    jb.fill(0);
    for (let t = 0; t < joined; t++) jb[this.joinBuf[t] >> 5] |= 1 << (this.joinBuf[t] & 31);
    for (let t = 0; t < parent.length; t++) {
      const o = parent[t] * W;
      let met = false;
      for (let w = 0; w < W && !met; w++) if ((bits[o + w] & jb[w]) !== 0) met = true;
      if (!met) child.push(parent[t]);
    }
    return true;
  }

  /**
   * Whether dual k stays unmet in the child S + e, where q is the unit residual of e against S at
   * depth d: e is not a row of k, and every row of k is farther from span(S, e) than the filter of
   * {@link descend} lets through, so that none can join the child's closure.
   */
  private staysUnmet(k: number, e: number, q: Float64Array, d: number): boolean {
    const { n } = this;
    const rows = this.layer.rows;
    const S2 = this.sumSq;
    const w = n + 1;
    const near = this.tol * this.tol + NEAR_SPAN;
    const dual = this.duals[k].rows;
    const seen = this.probeSeen;
    const isNear = this.probeNear;
    const id = this.probeId;
    for (let u = 0; u < dual.length; u++) {
      const i = dual[u];
      if (i === e) return false;
      if (seen[i] !== id) {
        // Each row is tested once per probe (the candidate duals share rows).
        const o = i * n;
        let c = 0;
        for (let j = 0; j < n; j++) c += q[j] * rows[o + j];
        seen[i] = id;
        isNear[i] = 1 - (S2[i * w + d] + c * c) <= near ? 1 : 0;
      }
      if (isNear[i]) return false;
    }
    return true;
  }

  /** Sets row e's unit residual against S (at the current depth) as basis vector `depth`; returns it. */
  private probe(e: number): Float64Array {
    const { n } = this;
    const d = this.depth;
    const q = this.Q.subarray(d * n, (d + 1) * n);
    const norm = this.residualOf(e, d, q);
    for (let j = 0; j < n; j++) q[j] /= norm;
    this.probeId++;
    this.probedRow = e;
    this.probedDepth = d;
    return q;
  }

  /**
   * The shortcut for a child S + e of rank n − 1 (no rank left): a dual unmet at S that
   * {@link staysUnmet} in the child, which is then a rank leaf on that dual without being entered;
   * −1 when the first few unmet duals do not show that (the child is then entered). The proof
   * records the same leaf, which the replay checks as any other.
   */
  private rankLeafDual(e: number): number {
    const d = this.depth;
    const q = this.probe(e);
    const list = this.unmet[d];
    const tries = Math.min(list.length, RANK_LEAF_TRIES);
    for (let t = 0; t < tries; t++) if (this.staysUnmet(list[t], e, q, d)) return list[t];
    return -1;
  }

  /**
   * The shortcut for a child S + e with little rank left (`need` − 1, at most
   * {@link PACK_LEAF_BUDGET}): `need` duals unmet at S that stay unmet in the child
   * ({@link staysUnmet}) and share no allowed row pairwise, so that the child is cut by the packing
   * bound without being entered (into {@link packed}). Tries the candidates of
   * {@link packCandidates} greedily from each start; false when they do not give such a set (the
   * child is then entered). The replay checks the cut as any other.
   */
  private packLeafDuals(e: number, need: number): boolean {
    const d = this.depth;
    const q = this.probe(e);
    const cand = this.packCand[d];
    const L = cand.length;
    // Per candidate: 0 not tested yet, 1 stays unmet in the child, 2 does not (tested lazily,
    // after the cheap disjointness test).
    this.candState.fill(0, 0, L);
    const chosen = this.packed;
    for (let start = 0; start + need <= L; start++) {
      if (!this.candidateOk(start, e, q, d)) continue;
      chosen.length = 0;
      this.clearTaken();
      this.take(cand[start]);
      chosen.push(cand[start]);
      for (let t = start + 1; t < L && chosen.length < need; t++) {
        if (!this.untaken(cand[t]) || !this.candidateOk(t, e, q, d)) continue;
        this.take(cand[t]);
        chosen.push(cand[t]);
      }
      if (chosen.length === need) return true;
    }
    chosen.length = 0;
    return false;
  }

  /** Whether candidate t of {@link packCand} stays unmet in the child S + e (tested once per child). */
  private candidateOk(t: number, e: number, q: Float64Array, d: number): boolean {
    const state = this.candState;
    if (state[t] === 0) state[t] = this.staysUnmet(this.packCand[d][t], e, q, d) ? 1 : 2;
    return state[t] === 1;
  }

  /** Starts a new packing: no row taken. */
  private clearTaken(): void {
    if (this.words > 0) this.usedBits.fill(0);
    else this.takenStamp = ++this.stampValue;
  }

  /** Whether dual k has no allowed row taken by the packing. */
  private untaken(k: number): boolean {
    const W = this.words;
    if (W > 0) {
      const bits = this.bits;
      const allowed = this.allowedBits;
      const used = this.usedBits;
      const o = k * W;
      for (let w = 0; w < W; w++) if ((bits[o + w] & allowed[w] & used[w]) !== 0) return false;
      return true;
    }
    const rows = this.duals[k].rows;
    for (let u = 0; u < rows.length; u++)
      if (this.forbLevel[rows[u]] < 0 && this.stamp[rows[u]] === this.takenStamp) return false;
    return true;
  }

  /** Removes dual k's allowed rows from the packing (k was the last dual taken, disjoint from the rest). */
  private untake(k: number): void {
    const W = this.words;
    if (W > 0) {
      const o = k * W;
      for (let w = 0; w < W; w++) this.usedBits[w] &= ~(this.bits[o + w] & this.allowedBits[w]);
      return;
    }
    const rows = this.duals[k].rows;
    for (let u = 0; u < rows.length; u++) if (this.forbLevel[rows[u]] < 0) this.stamp[rows[u]] = 0;
  }

  /** Adds dual k's allowed rows to the packing. */
  private take(k: number): void {
    const W = this.words;
    if (W > 0) {
      const o = k * W;
      for (let w = 0; w < W; w++) this.usedBits[w] |= this.bits[o + w] & this.allowedBits[w];
      return;
    }
    const rows = this.duals[k].rows;
    for (let u = 0; u < rows.length; u++)
      if (this.forbLevel[rows[u]] < 0) this.stamp[rows[u]] = this.takenStamp;
  }

  /**
   * Row i's residual against the first k basis vectors (Gram–Schmidt twice), into out.
   * @returns its norm
   */
  private residualOf(i: number, k: number, out: Float64Array): number {
    const { n, Q } = this;
    const o = i * n;
    for (let j = 0; j < n; j++) out[j] = this.layer.rows[o + j];
    for (let pass = 0; pass < 2; pass++)
      for (let t = 0; t < k; t++) {
        let c = 0;
        for (let j = 0; j < n; j++) c += Q[t * n + j] * out[j];
        for (let j = 0; j < n; j++) out[j] -= c * Q[t * n + j];
      }
    let s = 0;
    for (let j = 0; j < n; j++) s += out[j] * out[j];
    return Math.sqrt(s);
  }

  /** Removes the rows that joined S at `level`. */
  private leave(level: number): void {
    for (let i = 0; i < this.count; i++) {
      if (this.inLevel[i] === level) {
        this.inLevel[i] = -1;
        if (this.words === 0) for (const k of this.incidence[i]) this.hit[k]--;
      }
    }
  }

  private forbid(r: number, level: number): void {
    if (this.forbLevel[r] >= 0) return;
    this.forbLevel[r] = level;
    if (this.words > 0) this.allowedBits[r >> 5] &= ~(1 << (r & 31));
    else for (const k of this.incidence[r]) this.avail[k]--;
  }

  private unforbid(level: number): void {
    for (let i = 0; i < this.count; i++) {
      if (this.forbLevel[i] === level) {
        this.forbLevel[i] = -1;
        if (this.words > 0) this.allowedBits[i >> 5] |= 1 << (i & 31);
        else for (const k of this.incidence[i]) this.avail[k]++;
      }
    }
  }

  /**
   * Looks for a Motzkin dual among the rows forbidden at the current node: the separation LP on
   * them, unless a known point of D makes them all strictly negative (the parent's point, tested on
   * the rows forbidden since, or one of the last {@link FORBIDDEN_POINTS} points). Every flat in the
   * node's subtree has the forbidden rows off it, so a dual among them settles the subtree; it is
   * added to the pool (and the certificate) as any LP dual is.
   * @returns whether such a dual was added
   */
  private forbiddenRowsDual(): boolean {
    const { n, count } = this;
    const d = this.depth;
    const fx = this.fx;
    this.fxOk[d] = 0;
    let f = 0;
    for (let i = 0; i < count; i++) if (this.forbLevel[i] >= 0) this.R[f++] = i;
    if (f < 2) return false;
    const R = this.R.subarray(0, f);
    // The parent's point: only the rows its children forbade (level d − 1) are new here.
    if (d > this.base && this.fxOk[d - 1] && this.negativeAt(fx, (d - 1) * n, R, d - 1)) {
      fx.copyWithin(d * n, (d - 1) * n, d * n);
      this.fxOk[d] = 1;
      return false;
    }
    // Newest first; a point that serves moves to the newest place (swapped with the point there).
    const P = FORBIDDEN_POINTS;
    for (let back = 1; back <= this.fxRingSize; back++) {
      const t = (this.fxRingNext - back + P) % P;
      if (this.negativeAt(this.fxRing, t * n, R, -1)) {
        const ring = this.fxRing;
        const top = (this.fxRingNext - 1 + P) % P;
        for (let j = 0; j < n; j++) {
          const v = ring[t * n + j];
          ring[t * n + j] = ring[top * n + j];
          ring[top * n + j] = v;
          fx[d * n + j] = v;
        }
        this.fxOk[d] = 1;
        return false;
      }
    }
    this.counters.lpSolves++;
    this.counters.forbiddenLps++;
    const sep = separateRows(this.layer, R, this.domain, this.tol);
    if (sep.feasible) {
      for (let j = 0; j < n; j++) fx[d * n + j] = sep.x[j];
      this.fxOk[d] = 1;
      this.fxRing.set(sep.x.subarray(0, n), this.fxRingNext * n);
      this.fxRingNext = (this.fxRingNext + 1) % FORBIDDEN_POINTS;
      this.fxRingSize = Math.min(this.fxRingSize + 1, FORBIDDEN_POINTS);
      return false;
    }
    const { rows, w } = dualSupport(R, sep.weights);
    // An LP answer that fails its algebra only loses the shortcut: the node is branched on.
    if (!this.dualHolds(rows, w)) return false;
    this.addDual(rows, w);
    this.found.push(this.duals[this.duals.length - 1]);
    return true;
  }

  /**
   * Whether the point at `X[o …]` makes every row of R (those forbidden at `level`, or all when
   * level < 0) strictly negative. Only a filter that saves an LP: a wrong "no" costs an LP, a
   * wrong "yes" a cut, never a verdict.
   */
  private negativeAt(X: Float64Array, o: number, R: Int32Array, level: number): boolean {
    const { n } = this;
    const rows = this.layer.rows;
    const bias = this.layer.bias;
    for (let t = 0; t < R.length; t++) {
      const i = R[t];
      if (level >= 0 && this.forbLevel[i] !== level) continue;
      let c = bias[i];
      for (let j = 0; j < n; j++) c += rows[i * n + j] * X[o + j];
      if (!(c < 0)) return false;
    }
    return true;
  }

  /** The separation LP at the current flat: a witness, a new dual ("dual"), or "stuck". */
  private solveAt(): SeparationCandidate | "dual" | "stuck" {
    const { n, count } = this;
    let k = 0;
    for (let i = 0; i < count; i++) if (this.inLevel[i] < 0) this.R[k++] = i;
    const R = this.R.subarray(0, k);
    const v = new Float64Array(n);
    orthogonalComplementVector(this.Q, this.depth, n, v);
    const hyperplaneRows = Array.from(this.basisRows.subarray(0, this.depth));
    if (k === 0) {
      const x = new Float64Array(n);
      if (this.domain === "nonnegative") x.fill(1);
      return { x, v, margin: 1, hyperplaneRows };
    }
    this.counters.lpSolves++;
    const sep = separateRows(this.layer, R, this.domain, this.tol);
    if (sep.feasible) {
      this.counters.lpSolves++;
      const best = polishSeparation(this.layer, R, this.domain, sep);
      return { x: best.x, v, margin: best.margin, hyperplaneRows };
    }
    const { rows, w } = dualSupport(R, sep.weights);
    if (!this.dualHolds(rows, w)) {
      // The LP's weights a little off (seen once in about 7,000 LPs at n = 12): refine them on the
      // same support before giving the node up as unsettled.
      const refined = this.domain === "all" ? refineDualWeights(this.layer, rows, w) : null;
      if (!refined || !this.dualHolds(rows, Array.from(refined))) {
        this.counters.rejectedDuals++;
        return "stuck";
      }
      this.counters.refinedDuals++;
      w.splice(0, w.length, ...refined);
    }
    this.addDual(rows, w);
    this.found.push(this.duals[this.duals.length - 1]);
    return "dual";
  }

  /** The algebra of a dual on unit rows, to the tolerance (visibly wrong LP answers are dropped). */
  private dualHolds(rows: number[], w: number[]): boolean {
    if (rows.length === 0) return false;
    const n = this.n;
    let worst = 0;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < rows.length; t++) s += w[t] * this.layer.rows[rows[t] * n + j];
      worst = Math.max(worst, this.domain === "all" ? Math.abs(s) : -s);
    }
    let bias = 0;
    for (let t = 0; t < rows.length; t++) bias += w[t] * this.layer.bias[rows[t]];
    return worst <= this.tol && bias >= -this.tol;
  }

  /**
   * Adds a dual found elsewhere (another thread's search) in the middle of the search: unlike the
   * duals of the LPs here, it may meet the current flat, so it is unmet at exactly the depths below
   * the first level where one of its rows joined S. A valid dual prunes any node, so the search
   * stays complete.
   */
  importDual(rows: ArrayLike<number>, weights: ArrayLike<number>): void {
    const id = this.duals.length;
    const r = Int32Array.from(rows);
    this.duals.push({ rows: r, weights: Float64Array.from(weights) });
    let hit = 0;
    let avail = 0;
    let first = this.depth + 1;
    for (let t = 0; t < r.length; t++) {
      const i = r[t];
      this.incidence[i].push(id);
      if (this.inLevel[i] >= 0) {
        hit++;
        first = Math.min(first, this.inLevel[i]);
      }
      // (avail counts the rows not forbidden, those in S too, as forbid and unforbid keep it.)
      if (this.forbLevel[i] < 0) avail++;
    }
    this.hit.push(hit);
    this.avail.push(avail);
    this.pushBits(r);
    for (let d = 0; d < first && d <= this.depth; d++) this.unmet[d].push(id);
  }

  private addDual(rows: ArrayLike<number>, weights: ArrayLike<number>): void {
    const id = this.duals.length;
    const r = Int32Array.from(rows);
    this.duals.push({ rows: r, weights: Float64Array.from(weights) });
    let hit = 0;
    let avail = 0;
    for (let t = 0; t < r.length; t++) {
      const i = r[t];
      this.incidence[i].push(id);
      if (this.inLevel[i] >= 0) hit++;
      else if (this.forbLevel[i] < 0) avail++;
    }
    this.hit.push(hit);
    this.avail.push(avail);
    this.pushBits(r);
    // A new dual is disjoint from the current flat, so unmet at every node on the path.
    if (hit === 0) for (let d = 0; d <= this.depth; d++) this.unmet[d].push(id);
  }

  /** Appends the bit set of a new dual's rows. */
  private pushBits(rows: Int32Array): void {
    const W = this.words;
    if (W === 0) return;
    const o = (this.duals.length - 1) * W;
    if (o + W > this.bits.length) {
      const grown = new Int32Array(this.bits.length * 2);
      grown.set(this.bits);
      this.bits = grown;
    }
    for (let t = 0; t < rows.length; t++) this.bits[o + (rows[t] >> 5)] |= 1 << (rows[t] & 31);
  }
}
