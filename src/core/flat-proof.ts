/**
 * The branch and bound's proof tree and its independent replay (issue 14, item 1; the partition of
 * docs/verifier.md, "Branch and bound over flats").
 *
 * A dual-cover certificate says "every flat of rank < n misses the support of some dual". The exact
 * cover check of ./certificate.ts proves that by a search of its own. The branch and bound
 * (./flat-search.ts) has already partitioned the flats while finding the duals; this module
 * records that partition as a proof and checks it by replaying it, without searching and without
 * calling the search's code. A node (S, F) stands for the flats that contain the span of its path
 * S and no row of F; the claim at a node is that each of them misses some dual. A node is one of:
 *
 * - `BRANCH k, c, e_1 … e_c`: e_1 … e_c are exactly the rows of dual k outside F, in some order;
 *   child j is (S + e_j, F ∪ {e_1 … e_{j−1}}). A flat that meets dual k contains a first such row,
 *   so the children cover the node. Each child is a node or `SKIP f`: the forbidden row f lies in
 *   the span of S + e_j, so that child has no flat (proved over the rationals).
 * - `RANK k`: S has rank n − 1, so the only flat is S itself, and no row of dual k is in its span.
 * - `FORB k`: every row of dual k is in F.
 * - `PACK k_1 … k_d` with d = n − rank S (the packing bound of the search): every choice of one row
 *   outside F from each of these duals is independent modulo S, so no flat of rank < n meets all
 *   of them. This is the general-position step the search assumes; here it is proved, by minors
 *   modulo a prime, by a small exhaustive search over the choices.
 * - `INCOMPLETE`: the search left this node unsettled (an LP it could not trust): no proof. With
 *   the `unsettled` option the replay does not fail there but lists the node
 *   ({@link ReplayResult.unsettled}), for the caller to settle its flats independently (the exact
 *   cover check of ./certificate.ts started at that node, {@link exactCoverAt}); the proof then
 *   holds only if each of them does.
 *
 * Spans are kept modulo a prime as the rows' residuals modulo the path, each up to a unit (one
 * elimination step per level, fraction-free, so no inverse mod p). Independence mod p proves independence
 * over the rationals (./modular.ts), so every `BRANCH` extension, `RANK` and `PACK` step is a proof
 * as it stands; only `SKIP` (a dependence) is confirmed over the rationals. A replay that fails
 * proves nothing either way: the caller then runs the exact cover check. The tree has at most n
 * levels, since every child raises the rank by one.
 *
 * A long proof is replayed in steps ({@link replaySteps}, ./steps.ts): {@link splitFlatProof} cuts
 * its subtrees out behind `DELEGATE` entries, the replay with `defer` returns each at its node (from
 * the replay's own state), and each is replayed there, so that a caller can yield between pieces.
 */

import type { IntegerLayer } from "./exact.js";
import { ExactSpan } from "./exact.js";
import type { Budget } from "./budget.js";
import { PRIMES, reduceRows } from "./modular.js";
import type { Steps } from "./steps.js";

/** Token codes of a proof (every other entry is a dual id, a count or a row index). */
export const PROOF_TOKEN = {
  BRANCH: -1,
  RANK: -2,
  FORB: -3,
  PACK: -4,
  SKIP: -5,
  INCOMPLETE: -6,
  /** A subtree proved separately (a task of a parallel search): the next entry of `subproofs`. */
  DELEGATE: -7,
} as const;

/**
 * A recorded branch and bound, in preorder, over original row indices and the certificate's dual
 * indices. `subproofs` holds the proofs of the `DELEGATE` nodes of `tokens`, in order.
 */
export interface FlatProof {
  tokens: Int32Array;
  subproofs?: FlatProof[];
}

/** What {@link replayFlatProof} found. */
export interface ReplayResult {
  /** True when the proof holds: every flat of rank < n misses some dual's support. */
  valid: boolean;
  /** Why not, when not valid. */
  reason: string;
  /** Nodes replayed. */
  nodes: number;
  /** Packing steps proved, by budget (rank n − 1 − rank S). */
  packs: number[];
  /** Subtrees that were replayed modulo another prime after a dependence mod the first one. */
  otherPrimes?: number;
  /** Where a replay that does not hold failed: the rows of the node's path and its forbidden rows. */
  at?: { path: number[]; forbidden: number[] };
  /**
   * With `defer`: the subproofs not replayed, each at its node, for {@link replayProofSubtree}
   * (elsewhere, for example on other threads). The proof holds only if every one of them does too.
   */
  deferred?: ProofSubtree[];
  /**
   * With `unsettled`: the nodes the search left unsettled (`INCOMPLETE`), as the rows of their
   * path and their forbidden rows. The proof holds only if every flat of each of them misses some
   * dual, which the replay does not check: the caller does, by an independent search there.
   */
  unsettled?: ProofNode[];
}

/** A node of the proof tree: the rows of its path (in order) and its forbidden rows. */
export interface ProofNode {
  path: number[];
  forbidden: number[];
}

/** A subproof at its node: the rows of the node's path (in order) and its forbidden rows. */
export interface ProofSubtree {
  path: number[];
  forbidden: number[];
  proof: FlatProof;
}

class ProofFailure extends Error {
  /** True when the failure is a dependence mod p, which another prime may not see. */
  constructor(
    message: string,
    readonly modP = false,
    readonly at?: { path: number[]; forbidden: number[] },
  ) {
    super(message);
  }
}

/** Primes tried when a dependence mod p fails the proof (a dependence over Q fails every prime). */
const REPLAY_PRIMES = 2;

/** Options of {@link replayFlatProof} and {@link replayProofSubtree}. */
export interface ReplayOptions {
  /** Return the proof's subproofs at their nodes ({@link ReplayResult.deferred}) instead of replaying them. */
  defer?: boolean;
  /** List the nodes the search left unsettled ({@link ReplayResult.unsettled}) instead of failing there. */
  unsettled?: boolean;
  /**
   * Tables made once for many replays of the same layer and supports (used only when made from
   * these very `ints` and `supports`).
   */
  tables?: ReplayTables;
}

/**
 * Replays a proof tree: true only when it partitions the flats of rank < n and every leaf is proved.
 * @param supports the certificate's dual supports (original row indices); their algebra is
 *   checked elsewhere ({@link exactDualProblem} of ./certificate.ts)
 * @param budget checked every 4,096 nodes
 */
export function replayFlatProof(
  ints: IntegerLayer,
  supports: readonly (readonly number[])[],
  n: number,
  proof: FlatProof,
  budget?: Budget,
  options: ReplayOptions = {},
): ReplayResult {
  return replayFrom(ints, supports, n, null, proof, budget, options);
}

/**
 * Replays one subproof at its node ({@link ReplayResult.deferred}): the node's path is rebuilt
 * (each row must raise the rank) and its forbidden rows set, then the subproof is replayed there.
 * With `defer`, the subproof's own subproofs are returned as {@link ReplayResult.deferred}, as by
 * {@link replayFlatProof}.
 */
export function replayProofSubtree(
  ints: IntegerLayer,
  supports: readonly (readonly number[])[],
  n: number,
  subtree: ProofSubtree,
  budget?: Budget,
  options: ReplayOptions = {},
): ReplayResult {
  return replayFrom(ints, supports, n, subtree, subtree.proof, budget, options);
}

function replayFrom(
  ints: IntegerLayer,
  supports: readonly (readonly number[])[],
  n: number,
  at: ProofSubtree | null,
  proof: FlatProof,
  budget: Budget | undefined,
  options: ReplayOptions,
): ReplayResult {
  const defer = options.defer ?? false;
  const unsettled = options.unsettled ?? false;
  const given = options.tables;
  const tables = given?.madeFrom(ints, supports, n) ? given : new ReplayTables(ints, supports, n);
  const packs = new Array<number>(n + 1).fill(0);
  let nodes = 0;
  for (let k = 0; ; k++) {
    let replay: Replay | null = null;
    try {
      replay = new Replay(ints, tables, n, k, budget);
      if (defer) replay.deferred = [];
      if (unsettled) replay.unsettled = [];
      if (at) replay.moveTo(at);
      replay.root(proof);
      return {
        valid: true,
        reason: "",
        nodes: nodes + replay.nodes,
        packs: replay.packs,
        otherPrimes: replay.otherPrimes,
        ...(replay.deferred ? { deferred: replay.deferred } : {}),
        ...(replay.unsettled?.length ? { unsettled: replay.unsettled } : {}),
      };
    } catch (e) {
      if (!(e instanceof ProofFailure)) throw e;
      nodes += replay?.nodes ?? 0;
      // A dependence mod p may be one of the prime only: try another before giving up.
      if (!e.modP || k + 1 >= REPLAY_PRIMES)
        return {
          valid: false,
          reason: e.message,
          nodes,
          packs: replay?.packs ?? packs,
          ...(e.at ? { at: e.at } : {}),
        };
    }
  }
}

/**
 * What the replays of one certificate's proof share: the rows modulo each prime (computed when first
 * asked for) and the supports as checked integer arrays. A replay in pieces (./recheck-chunks.ts)
 * starts a replay per piece; made once, these are not made again for each. Read only; made from
 * the same layer and supports as the replays that use it.
 */
export class ReplayTables {
  readonly sup: Int32Array[];
  readonly longest: number;
  /** A support that names a row outside the layer (the replay fails with this). */
  readonly problem: string | null = null;
  private readonly rows = new Map<number, Float64Array>();

  constructor(
    private readonly ints: IntegerLayer,
    private readonly supports: readonly (readonly number[])[],
    private readonly n: number,
  ) {
    const m = ints.W.length;
    for (const s of supports)
      for (const r of s)
        if (!Number.isInteger(r) || r < 0 || r >= m) {
          this.problem = `a support has row ${r}, not a row`;
          break;
        }
    this.sup = this.problem ? [] : supports.map((s) => Int32Array.from(s));
    this.longest = this.sup.reduce((a, s) => Math.max(a, s.length), 0);
  }

  /** Whether these tables were made from exactly these objects. */
  madeFrom(ints: IntegerLayer, supports: readonly (readonly number[])[], n: number): boolean {
    return this.ints === ints && this.supports === supports && this.n === n;
  }

  /** The rows modulo the `primeIndex`-th prime of {@link PRIMES}, row-major. */
  reduced(primeIndex: number): Float64Array {
    let A = this.rows.get(primeIndex);
    if (!A) this.rows.set(primeIndex, (A = reduceRows(this.ints.W, this.n, PRIMES[primeIndex])));
    return A;
  }
}

/** The replay: a recursive descent over the tokens (depth at most n). */
class Replay {
  nodes = 0;
  readonly packs: number[];
  /** Choices tried by packing steps above dimension 2 (for the limit check). */
  private packWork = 0;
  private readonly m: number;
  private readonly p: number;
  private readonly invP: number;
  /** Rows mod p, row-major. */
  private readonly A: Float64Array;
  /**
   * The quotient tower of the path: level L is the span of its first L rows. `res[L]` caches the
   * residuals of rows modulo level L (n − L coordinates each, row-major; valid where `stampOf[L]`
   * equals `version[L]`); `q[L]` is the residual of the path's (L+1)-th row modulo level L,
   * scaled to 1 at its pivot coordinate `piv[L]`.
   */
  private readonly res: Float64Array[];
  private readonly stampOf: Int32Array[];
  private readonly version: Int32Array;
  private versions = 0;
  private readonly q: Float64Array[];
  private readonly piv: Int32Array;
  private readonly path: number[] = [];
  private readonly forbidden: Uint8Array;
  private readonly sup: Int32Array[];
  private readonly stamp: Int32Array;
  private stampValue = 0;
  private tokens: Int32Array = new Int32Array(0);
  private pos = 0;
  private subproofs: FlatProof[] = [];
  private nextSub = 0;
  /** Per quotient dimension d: d lists of vectors of F_p^d (the packing step), and their lengths. */
  private readonly bufs: Float64Array[][];
  private readonly lens: Int32Array[];

  /** Subtrees replayed modulo another prime after a failure mod p. */
  otherPrimes = 0;
  /** When set, subproofs are collected here instead of replayed. */
  deferred: ProofSubtree[] | null = null;
  /** When set, the nodes the search left unsettled are collected here instead of failing. */
  unsettled: ProofNode[] | null = null;

  constructor(
    private readonly ints: IntegerLayer,
    private readonly tables: ReplayTables,
    private readonly n: number,
    private readonly primeIndex: number,
    private readonly budget: Budget | undefined,
  ) {
    const p = PRIMES[primeIndex];
    this.m = ints.W.length;
    this.p = p;
    this.invP = 1 / p;
    this.A = tables.reduced(primeIndex);
    this.res = Array.from({ length: n + 1 }, (_, L) =>
      L === 0 ? this.A : new Float64Array(this.m * (n - L)),
    );
    this.stampOf = Array.from({ length: n + 1 }, () => new Int32Array(this.m));
    this.version = new Int32Array(n + 1);
    this.version[0] = -1;
    this.q = Array.from({ length: n }, (_, L) => new Float64Array(n - L));
    this.piv = new Int32Array(n);
    this.forbidden = new Uint8Array(this.m);
    this.stamp = new Int32Array(this.m);
    this.packs = new Array<number>(n + 1).fill(0);
    if (tables.problem) throw new ProofFailure(tables.problem);
    const { sup, longest } = tables;
    this.sup = sup;
    this.bufs = Array.from({ length: n + 1 }, (_, d) =>
      Array.from({ length: d }, () => new Float64Array(longest * d)),
    );
    this.lens = Array.from({ length: n + 1 }, (_, d) => new Int32Array(d));
  }

  /** The current node: its path and forbidden rows. */
  private here(): ProofNode {
    const forbidden: number[] = [];
    for (let r = 0; r < this.m; r++) if (this.forbidden[r]) forbidden.push(r);
    return { path: this.path.slice(), forbidden };
  }

  private fail(why: string, modP = false): never {
    throw new ProofFailure(`${why} (at the node of rows [${this.path.join(", ")}])`, modP, this.here());
  }

  /** Starts at a subproof's node: its forbidden rows, then its path (each row must raise the rank). */
  moveTo(at: ProofSubtree): void {
    for (const r of at.forbidden) {
      if (!(Number.isInteger(r) && r >= 0 && r < this.m)) this.fail(`a subtree forbids row ${r}, not a row`);
      this.forbidden[r] = 1;
    }
    for (const r of at.path) {
      if (!(Number.isInteger(r) && r >= 0 && r < this.m) || this.forbidden[r])
        this.fail(`a subtree's path has row ${r}, not an allowed row`);
      if (!this.push(r))
        this.fail(`a subtree's path adds row ${r}, which does not raise the rank (mod p)`, true);
    }
  }

  root(proof: FlatProof): void {
    this.enter(proof);
    this.node();
    this.leave();
  }

  private enter(proof: FlatProof): void {
    this.tokens = proof.tokens;
    this.pos = 0;
    this.subproofs = proof.subproofs ?? [];
    this.nextSub = 0;
  }

  private leave(): void {
    if (this.pos !== this.tokens.length) this.fail("the proof has entries after its last node");
    if (this.nextSub !== this.subproofs.length) this.fail("the proof has unused subproofs");
  }

  private next(): number {
    if (this.pos >= this.tokens.length) this.fail("the proof ends in the middle of a node");
    return this.tokens[this.pos++];
  }

  private dual(): Int32Array {
    const k = this.next();
    if (!(k >= 0 && k < this.sup.length))
      this.fail(`the proof names dual ${k}, not a dual of the certificate`);
    return this.sup[k];
  }

  /**
   * The residual of row r modulo the span of the path (n − depth coordinates), as an offset into
   * `res[depth]`; computed from its residual one level down, which is cached for the siblings.
   */
  private residual(r: number): number {
    return this.residualAt(r, this.path.length);
  }

  private residualAt(r: number, L: number): number {
    const n = this.n;
    if (L === 0) return r * n;
    const dim = n - L;
    const out = this.res[L];
    const o = r * dim;
    if (this.stampOf[L][r] === this.version[L]) return o;
    const src = this.res[L - 1];
    const s = this.residualAt(r, L - 1);
    const q = this.q[L - 1];
    const c = this.piv[L - 1];
    const f = src[s + c];
    if (f === 0) {
      for (let j = 0, t = 0; j <= dim; j++) if (j !== c) out[o + t++] = src[s + j];
    } else {
      // q_c·v − v_c·q without coordinate c: a unit multiple of the residual (zero tests and
      // independence do not see the unit). Each entry is exact before its one reduction (< 2^52).
      const qc = q[c];
      const p = this.p;
      const invP = this.invP;
      for (let j = 0, t = 0; j <= dim; j++) {
        if (j === c) continue;
        const y = qc * src[s + j] - f * q[j];
        let x = y - Math.floor(y * invP) * p;
        if (x < 0) x += p;
        else if (x >= p) x -= p;
        out[o + t++] = x;
      }
    }
    this.stampOf[L][r] = this.version[L];
    return o;
  }

  /** Adds row r to the span (false: r is in the span mod p). */
  private push(r: number): boolean {
    const L = this.path.length;
    const dim = this.n - L;
    const src = this.res[L];
    const s = this.residualAt(r, L);
    let c = -1;
    for (let j = 0; j < dim && c < 0; j++) if (src[s + j] !== 0) c = j;
    if (c < 0) return false;
    // The new row's residual, not normalized (residuals are kept up to a unit, see residualAt).
    const q = this.q[L];
    for (let j = 0; j < dim; j++) q[j] = src[s + j];
    this.piv[L] = c;
    // Level L + 1 is a new span: its cached residuals are stale.
    this.version[L + 1] = ++this.versions;
    this.path.push(r);
    return true;
  }

  /** Removes the last row of the path. */
  private pop(): void {
    this.path.pop();
  }

  /** Whether the residual at offset o of level `depth` is zero. */
  private zeroAt(o: number, dim: number): boolean {
    const R = this.res[this.path.length];
    for (let j = 0; j < dim; j++) if (R[o + j] !== 0) return false;
    return true;
  }

  private node(): void {
    this.nodes++;
    if ((this.nodes & 4095) === 0) this.budget?.check("the replay of the search's proof");
    const depth = this.path.length;
    const tok = this.next();
    switch (tok) {
      case PROOF_TOKEN.BRANCH:
        return this.branch();
      case PROOF_TOKEN.RANK: {
        const d = this.dual();
        if (depth !== this.n - 1) this.fail(`a rank leaf at rank ${depth}, not ${this.n - 1}`);
        for (const r of d)
          if (this.zeroAt(this.residual(r), 1))
            this.fail(`a rank leaf whose dual has row ${r} in its span (mod p)`, true);
        return;
      }
      case PROOF_TOKEN.FORB: {
        const d = this.dual();
        for (const r of d)
          if (!this.forbidden[r]) this.fail(`a forbidden-rows leaf whose dual has row ${r} allowed`);
        return;
      }
      case PROOF_TOKEN.PACK:
        return this.pack();
      case PROOF_TOKEN.INCOMPLETE:
        if (this.unsettled) {
          this.unsettled.push(this.here());
          return;
        }
        return this.fail("the search left a node unsettled (an LP it could not trust)");
      case PROOF_TOKEN.DELEGATE:
        return this.delegate();
      default:
        return this.fail(`unknown proof entry ${tok}`);
    }
  }

  private branch(): void {
    const d = this.dual();
    const c = this.next();
    if (!(c >= 0 && c <= d.length)) this.fail(`a branch of ${c} rows on a dual of ${d.length}`);
    // The c rows must be exactly the dual's rows outside F.
    const s = ++this.stampValue;
    const stamp = this.stamp;
    for (const r of d) if (!this.forbidden[r]) stamp[r] = s;
    let allowed = 0;
    for (const r of d) if (!this.forbidden[r]) allowed++;
    if (c !== allowed) this.fail(`a branch over ${c} rows of a dual with ${allowed} allowed rows`);
    const rows = new Int32Array(c);
    for (let j = 0; j < c; j++) {
      const r = this.next();
      if (!(r >= 0 && r < this.m) || stamp[r] !== s)
        this.fail(`a branch on row ${r}, not an allowed row of its dual`);
      stamp[r] = 0;
      rows[j] = r;
    }
    const added: number[] = [];
    for (let j = 0; j < c; j++) {
      if (j > 0 && !this.forbidden[rows[j - 1]]) {
        this.forbidden[rows[j - 1]] = 1;
        added.push(rows[j - 1]);
      }
      const e = rows[j];
      if (this.tokens[this.pos] === PROOF_TOKEN.SKIP) {
        this.pos++;
        this.skip(e, this.next());
        continue;
      }
      const start = this.pos;
      const depth = this.path.length;
      try {
        if (!this.push(e)) this.fail(`a child adds row ${e}, which does not raise the rank (mod p)`, true);
        this.node();
        this.pop();
      } catch (x) {
        if (!(x instanceof ProofFailure) || !x.modP) throw x;
        // A dependence mod p that may be the prime's: this child's subtree, with another prime.
        while (this.path.length > depth) this.pop();
        this.childModulo(e, start, x);
      }
    }
    for (const r of added) this.forbidden[r] = 0;
  }

  /**
   * Replays the child S + e (its proof starts at `start`) modulo the next primes, after a failure
   * mod p in it (expected now and then: a replay at n = 12 makes about 10^9 tests, each wrong mod p
   * with chance about 1/p). A failure under every prime is final.
   */
  private childModulo(e: number, start: number, failure: ProofFailure): void {
    for (let k = this.primeIndex + 1; k < PRIMES.length; k++) {
      const alt = new Replay(this.ints, this.tables, this.n, k, this.budget);
      alt.forbidden.set(this.forbidden);
      alt.deferred = this.deferred;
      const deferredBefore = this.deferred?.length ?? 0;
      if (!this.path.every((r) => alt.push(r)) || !alt.push(e)) continue;
      alt.tokens = this.tokens;
      alt.pos = start;
      alt.subproofs = this.subproofs;
      alt.nextSub = this.nextSub;
      try {
        alt.node();
      } catch (x) {
        if (this.deferred) this.deferred.length = deferredBefore;
        if (x instanceof ProofFailure && x.modP) continue;
        throw x;
      }
      this.pos = alt.pos;
      this.nextSub = alt.nextSub;
      this.nodes += alt.nodes;
      this.otherPrimes += 1 + alt.otherPrimes;
      for (let d = 0; d < alt.packs.length; d++) this.packs[d] += alt.packs[d];
      return;
    }
    throw new ProofFailure(`${failure.message}, modulo every prime tried`, false, failure.at);
  }

  /** `SKIP f` at child S + e: f is forbidden and in the span of S + e, over the rationals. */
  private skip(e: number, f: number): void {
    if (!(f >= 0 && f < this.m) || !this.forbidden[f])
      this.fail(`a skipped child names row ${f}, which is not forbidden`);
    const span = new ExactSpan(this.n);
    for (const r of this.path) span.add(this.ints.W[r]);
    span.add(this.ints.W[e]);
    if (!span.contains(this.ints.W[f])) this.fail(`a skipped child: row ${f} is not in the span of its flat`);
  }

  private pack(): void {
    const depth = this.path.length;
    const dim = this.n - depth;
    const count = this.next();
    if (count !== dim || dim < 2)
      this.fail(`a packing step with ${count} duals at rank ${depth} (needs ${dim} ≥ 2)`);
    this.packs[dim - 1]++;
    const R = this.res[depth];
    const bufs = this.bufs[dim];
    const lens = this.lens[dim];
    for (let t = 0; t < count; t++) {
      const d = this.dual();
      const buf = bufs[t];
      let u = 0;
      for (let x = 0; x < d.length; x++) {
        const r = d[x];
        if (this.forbidden[r]) continue;
        const o = this.residual(r);
        let zero = true;
        for (let j = 0; j < dim; j++) {
          const v = R[o + j];
          if (v !== 0) zero = false;
          buf[u + j] = v;
        }
        if (zero) this.fail(`a packing step whose dual has row ${r} in the span (mod p)`, true);
        u += dim;
      }
      lens[t] = u;
    }
    if (!this.transversalsIndependent(dim))
      this.fail(
        `a packing step at rank ${depth}: some choice of rows from its duals is dependent (mod p)`,
        true,
      );
  }

  /**
   * Whether every choice of one vector from each of the `dim` lists `bufs[dim]` (vectors of
   * F_p^dim, `lens[dim]` entries each) is independent: branch on the shortest list's vectors and
   * project the other lists modulo each, into the lists one level down.
   */
  private transversalsIndependent(dim: number): boolean {
    const bufs = this.bufs[dim];
    const lens = this.lens[dim];
    let shortest = 0;
    for (let t = 0; t < dim; t++) {
      if (lens[t] === 0) return true;
      if (lens[t] < lens[shortest]) shortest = t;
    }
    if (dim === 2) {
      const a = bufs[0];
      const b = bufs[1];
      const la = lens[0];
      const lb = lens[1];
      const p = this.p;
      const invP = this.invP;
      for (let s = 0; s < la; s += 2) {
        const a0 = a[s];
        const a1 = a[s + 1];
        for (let t = 0; t < lb; t += 2) {
          // The minor a0·b1 − a1·b0 is exact (|·| < 2^52); one reduction: it is 0 mod p iff r is 0 or ±p.
          const d = a0 * b[t + 1] - a1 * b[t];
          const r = d - Math.floor(d * invP) * p;
          if (r === 0 || r === p || r === -p) return false;
        }
      }
      return true;
    }
    const A = bufs[shortest];
    const down = this.bufs[dim - 1];
    const downLens = this.lens[dim - 1];
    const p = this.p;
    const invP = this.invP;
    for (let s = 0; s < lens[shortest]; s += dim) {
      // A packing step costs up to the product of its duals' sizes: honour the limit inside it.
      if ((++this.packWork & 1023) === 0) this.budget?.check("the replay of the search's proof");
      let c = 0;
      while (A[s + c] === 0) c++;
      const ac = A[s + c];
      // v ↦ a_c·v − v_c·a, without coordinate c: the class of v modulo a, up to a unit.
      let k = 0;
      for (let t = 0; t < dim; t++) {
        if (t === shortest) continue;
        const L = bufs[t];
        const out = down[k];
        let w = 0;
        for (let u = 0; u < lens[t]; u += dim) {
          const vc = L[u + c];
          let zero = true;
          for (let j = 0; j < dim; j++) {
            if (j === c) continue;
            // a_c·v_j − v_c·a_j is exact (|·| < 2^52): one reduction into [0, p).
            const y = ac * L[u + j] - vc * A[s + j];
            let x = y - Math.floor(y * invP) * p;
            if (x < 0) x += p;
            else if (x >= p) x -= p;
            if (x !== 0) zero = false;
            out[w++] = x;
          }
          if (zero) return false;
        }
        downLens[k++] = w;
      }
      if (!this.transversalsIndependent(dim - 1)) return false;
    }
    return true;
  }

  private delegate(): void {
    if (this.nextSub >= this.subproofs.length)
      this.fail("the proof delegates more subtrees than it has subproofs");
    const sub = this.subproofs[this.nextSub++];
    // The subproof's root is this node (counted there).
    this.nodes--;
    if (this.deferred) {
      const forbidden: number[] = [];
      for (let r = 0; r < this.m; r++) if (this.forbidden[r]) forbidden.push(r);
      this.deferred.push({ path: this.path.slice(), forbidden, proof: sub });
      return;
    }
    const saved = { tokens: this.tokens, pos: this.pos, subproofs: this.subproofs, nextSub: this.nextSub };
    this.enter(sub);
    this.node();
    this.leave();
    this.tokens = saved.tokens;
    this.pos = saved.pos;
    this.subproofs = saved.subproofs;
    this.nextSub = saved.nextSub;
  }
}

/** Entries of a proof replayed in one step when nothing else asks (a few tens of milliseconds). */
export const REPLAY_CHUNK_TOKENS = 1 << 17;

/** What a replay answers in counts (a {@link ReplayResult} without packing counts; a pool's answer). */
export type ReplayCounts = Pick<ReplayResult, "valid" | "reason" | "nodes" | "otherPrimes" | "unsettled">;

/** Options of {@link replaySteps}. */
export interface ReplayStepOptions {
  /** List the nodes the search left unsettled instead of failing there (as {@link replayFlatProof}). */
  unsettled?: boolean;
  /** Largest piece replayed in one step, in proof entries. @default {@link REPLAY_CHUNK_TOKENS} */
  chunkTokens?: number;
  /** Share of the proof's entries replayed so far, in [0, 1]. */
  onShare?: (share: number) => void;
  /**
   * Keep the pieces of at most `chunkTokens` entries (cut out at their nodes) in
   * {@link ReplayRun.pieces} instead of replaying them (for a thread pool). @default false
   */
  keepPieces?: boolean;
}

/** Where a {@link replaySteps} run stands: the counts so far, and the pieces it kept. */
export interface ReplayRun {
  /** The replay so far: valid when every step held (then the kept pieces remain to be proved). */
  result: ReplayResult;
  /** With `keepPieces`: the pieces not replayed, each at its node. */
  pieces: ProofSubtree[];
  readonly tables: ReplayTables;
  readonly unsettled: boolean;
  readonly onShare?: (share: number) => void;
  /** Entries replayed so far, of `total`. */
  done: number;
  readonly total: number;
}

/** Adds a replay's counts to `acc` (nodes, packing counts, other primes, unsettled nodes). */
export function addReplayCounts(acc: ReplayResult, r: ReplayCounts & { packs?: number[] }): void {
  acc.nodes += r.nodes;
  const packs = r.packs ?? [];
  for (let d = 0; d < packs.length && d < acc.packs.length; d++) acc.packs[d] += packs[d];
  if (r.otherPrimes) acc.otherPrimes = (acc.otherPrimes ?? 0) + r.otherPrimes;
  if (r.unsettled?.length) (acc.unsettled ??= []).push(...r.unsettled);
}

/** The failure of a piece, with the counts so far (the piece's own counts added already). */
function pieceFailed(acc: ReplayResult, r: ReplayCounts & { at?: ReplayResult["at"] }): ReplayResult {
  return {
    valid: false,
    reason: r.reason,
    nodes: acc.nodes,
    packs: acc.packs,
    ...(r.at ? { at: r.at } : {}),
  };
}

/**
 * Replays a proof as {@link replayFlatProof} does, in steps of at most `chunkTokens` entries
 * (./steps.ts): {@link splitFlatProof} cuts the subtrees out, the replay of what is left returns
 * each at its node (from the replay's own state, nothing of the cutting is trusted), and each is
 * replayed there in a step of its own. Same verdict, same node and packing counts.
 */
export function* replaySteps(
  ints: IntegerLayer,
  supports: readonly (readonly number[])[],
  n: number,
  proof: FlatProof,
  budget: Budget | undefined,
  options: ReplayStepOptions = {},
): Steps<ReplayRun> {
  const chunk = Math.max(16, options.chunkTokens ?? REPLAY_CHUNK_TOKENS);
  const run: ReplayRun = {
    result: { valid: true, reason: "", nodes: 0, packs: new Array<number>(n + 1).fill(0) },
    pieces: [],
    tables: new ReplayTables(ints, supports, n),
    unsettled: options.unsettled ?? false,
    ...(options.onShare ? { onShare: options.onShare } : {}),
    done: 0,
    total: Math.max(1, proofLength(proof)),
  };
  const { tables, unsettled } = run;
  const work: { at: ProofSubtree | null; proof: FlatProof; size: number }[] = [
    { at: null, proof, size: run.total },
  ];
  let first = true;
  while (work.length > 0) {
    const item = work.pop()!;
    if (options.keepPieces && item.at && item.size <= chunk && !item.proof.subproofs?.length) {
      run.pieces.push(item.at);
      continue;
    }
    if (!first) yield;
    first = false;
    const split = splitFlatProof(item.proof, chunk, Math.min(64, chunk >> 2));
    const r = item.at
      ? replayProofSubtree(ints, supports, n, { ...item.at, proof: split }, budget, {
          defer: true,
          unsettled,
          tables,
        })
      : replayFlatProof(ints, supports, n, split, budget, { defer: true, unsettled, tables });
    addReplayCounts(run.result, r);
    if (!r.valid) {
      run.result = pieceFailed(run.result, r);
      return run;
    }
    let rest = 0;
    // Reversed, so that the pieces come off the stack in the proof's order.
    for (const d of (r.deferred ?? []).slice().reverse()) {
      const size = proofLength(d.proof);
      rest += size;
      work.push({ at: d, proof: d.proof, size });
    }
    run.done += item.size - rest;
    run.onShare?.(Math.min(1, run.done / run.total));
  }
  return run;
}

/** Replays the pieces a {@link replaySteps} run kept, here, one step each; the run's result after. */
export function* replayPieceSteps(
  ints: IntegerLayer,
  supports: readonly (readonly number[])[],
  n: number,
  run: ReplayRun,
  budget: Budget | undefined,
): Steps<ReplayResult> {
  const pieces = run.pieces;
  run.pieces = [];
  for (const at of pieces) {
    yield;
    const r = replayProofSubtree(ints, supports, n, at, budget, {
      unsettled: run.unsettled,
      tables: run.tables,
    });
    addReplayCounts(run.result, r);
    if (!r.valid) return (run.result = pieceFailed(run.result, r));
    run.done += proofLength(at.proof);
    run.onShare?.(Math.min(1, run.done / run.total));
  }
  return run.result;
}

/** Adds the answer of a pool for a run's kept pieces; the run's result after. */
export function addFarmedPieces(run: ReplayRun, farmed: ReplayCounts): ReplayResult {
  addReplayCounts(run.result, farmed);
  run.pieces = [];
  if (!farmed.valid) run.result = pieceFailed(run.result, farmed);
  return run.result;
}

/** Entries of a proof with all its subproofs (a measure of its replay's work). */
export function proofLength(proof: FlatProof): number {
  let total = proof.tokens.length;
  for (const sub of proof.subproofs ?? []) total += proofLength(sub);
  return total;
}

/** Deepest node nesting {@link splitFlatProof} parses (a valid proof has at most n + 1 levels). */
const SPLIT_MAX_DEPTH = 512;

/**
 * The same proof with its subtrees of at most `maxTokens` entries (and at least `minTokens`) cut
 * out as subproofs behind `DELEGATE` entries, so that a replay with `defer` returns them as
 * {@link ProofSubtree}s at their nodes: pieces of bounded work, for a replay in chunks that yields
 * between them, or spread over threads. Subtrees that hold a `DELEGATE` stay in place (the proof's
 * own subproofs keep their order). Nothing is checked here: a proof that does not parse is returned
 * unchanged, for the replay to reject, and whatever comes out is replayed as strictly as the input.
 */
export function splitFlatProof(proof: FlatProof, maxTokens: number, minTokens = 64): FlatProof {
  const t = proof.tokens;
  const len = t.length;
  if (len <= maxTokens) return proof;
  // Pass 1: the end of every node (negative when its subtree holds a DELEGATE), or −1 if malformed.
  const endOf = new Int32Array(len);
  const parse = (pos: number, depth: number): number => {
    if (depth > SPLIT_MAX_DEPTH || pos >= len) return -1;
    let end: number;
    let del = false;
    switch (t[pos]) {
      case PROOF_TOKEN.BRANCH: {
        if (pos + 2 >= len) return -1;
        const c = t[pos + 2];
        if (c < 0) return -1;
        let p = pos + 3 + c;
        for (let j = 0; j < c && p <= len; j++) {
          if (p < len && t[p] === PROOF_TOKEN.SKIP) {
            p += 2;
            continue;
          }
          const e = parse(p, depth + 1);
          if (e < 0) return -1;
          if (endOf[p] < 0) del = true;
          p = e;
        }
        end = p;
        break;
      }
      case PROOF_TOKEN.RANK:
      case PROOF_TOKEN.FORB:
        end = pos + 2;
        break;
      case PROOF_TOKEN.PACK: {
        const count = pos + 1 < len ? t[pos + 1] : -1;
        if (count < 0) return -1;
        end = pos + 2 + count;
        break;
      }
      case PROOF_TOKEN.INCOMPLETE:
        end = pos + 1;
        break;
      case PROOF_TOKEN.DELEGATE:
        end = pos + 1;
        del = true;
        break;
      default:
        return -1;
    }
    if (end > len) return -1;
    endOf[pos] = del ? -end : end;
    return end;
  };
  if (parse(0, 0) !== len) return proof;
  // Pass 2: the top of the tree, with the small enough subtrees as subproofs.
  let out = new Int32Array(Math.min(len, 1024));
  let size = 0;
  const put = (from: number, to: number): void => {
    if (size + to - from > out.length) {
      const grown = new Int32Array(Math.max(2 * out.length, size + to - from));
      grown.set(out.subarray(0, size));
      out = grown;
    }
    out.set(t.subarray(from, to), size);
    size += to - from;
  };
  const own = proof.subproofs ?? [];
  let nextOwn = 0;
  const subproofs: FlatProof[] = [];
  const delegateHere = (sub: FlatProof): void => {
    if (size === out.length) {
      const grown = new Int32Array(2 * out.length);
      grown.set(out);
      out = grown;
    }
    out[size++] = PROOF_TOKEN.DELEGATE;
    subproofs.push(sub);
  };
  const emit = (pos: number): void => {
    const end = Math.abs(endOf[pos]);
    if (t[pos] === PROOF_TOKEN.DELEGATE) {
      if (nextOwn < own.length) delegateHere(own[nextOwn]);
      nextOwn++;
      return;
    }
    if (t[pos] !== PROOF_TOKEN.BRANCH) return put(pos, end);
    const c = t[pos + 2];
    put(pos, pos + 3 + c);
    let p = pos + 3 + c;
    for (let j = 0; j < c; j++) {
      if (t[p] === PROOF_TOKEN.SKIP) {
        put(p, p + 2);
        p += 2;
        continue;
      }
      const e = Math.abs(endOf[p]);
      const plain = endOf[p] > 0;
      if (plain && e - p <= maxTokens && e - p >= minTokens) delegateHere({ tokens: t.slice(p, e) });
      else if (plain && e - p <= maxTokens) put(p, e);
      else emit(p);
      p = e;
    }
  };
  emit(0);
  if (nextOwn !== own.length) return proof;
  return { tokens: out.slice(0, size), subproofs };
}

/**
 * The proof with every dual index k replaced by `map(k)` (a proof recorded against one list of
 * duals, renumbered for another; a parallel search's subtrees use it). Walks the tokens without
 * checking them: a malformed proof stays malformed for {@link replayFlatProof} to reject.
 * @returns null when `map` returns a negative index (a dual the other list does not have)
 */
export function renumberProofDuals(tokens: Int32Array, map: (k: number) => number): Int32Array | null {
  const out = Int32Array.from(tokens);
  let ok = true;
  const set = (pos: number): void => {
    if (pos >= out.length) return;
    const k = map(out[pos]);
    if (k < 0) ok = false;
    out[pos] = k;
  };
  let pos = 0;
  // Entries are read in preorder; a branch's rows are skipped by their count.
  while (pos < out.length && ok) {
    const tok = out[pos];
    if (tok === PROOF_TOKEN.BRANCH) {
      set(pos + 1);
      pos += 3 + Math.max(0, out[pos + 2] ?? 0);
    } else if (tok === PROOF_TOKEN.RANK || tok === PROOF_TOKEN.FORB) {
      set(pos + 1);
      pos += 2;
    } else if (tok === PROOF_TOKEN.PACK) {
      const count = Math.max(0, out[pos + 1] ?? 0);
      for (let t = 0; t < count; t++) set(pos + 2 + t);
      pos += 2 + count;
    } else if (tok === PROOF_TOKEN.SKIP) pos += 2;
    else pos += 1;
  }
  return ok ? out : null;
}

/** The dual indices a proof names, each once, in order of first use. */
export function proofDuals(tokens: Int32Array): number[] {
  const seen = new Map<number, number>();
  renumberProofDuals(tokens, (k) => {
    if (!seen.has(k)) seen.set(k, seen.size);
    return k;
  });
  return [...seen.keys()];
}

/** A {@link FlatProof} as JSON: its entries as zigzag varints in base64, subproofs likewise. */
export interface EncodedFlatProof {
  format: "injective-relu/flat-proof";
  version: 1;
  /** Number of entries of `tokens` (a check on the decoding). */
  length: number;
  tokens: string;
  subproofs?: EncodedFlatProof[];
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;
const B64_CODES = Uint8Array.from(B64, (ch) => ch.charCodeAt(0));
const ASCII = new TextDecoder("ascii");

/** Encodes a proof for a certificate file (about 1.5 bytes per entry). */
export function encodeFlatProof(proof: FlatProof): EncodedFlatProof {
  // Zigzag varints (at most 5 bytes per entry), then base64 as ASCII codes, decoded at once.
  const bytes = new Uint8Array(5 * proof.tokens.length);
  let nb = 0;
  for (const t of proof.tokens) {
    let z = t >= 0 ? 2 * t : -2 * t - 1;
    while (z >= 0x80) {
      bytes[nb++] = (z & 0x7f) | 0x80;
      z = Math.floor(z / 0x80);
    }
    bytes[nb++] = z;
  }
  const chars = new Uint8Array(4 * Math.ceil(nb / 3));
  let nc = 0;
  for (let i = 0; i < nb; i += 3) {
    const a = bytes[i];
    const b = i + 1 < nb ? bytes[i + 1] : 0;
    const c = i + 2 < nb ? bytes[i + 2] : 0;
    chars[nc++] = B64_CODES[a >> 2];
    chars[nc++] = B64_CODES[((a & 3) << 4) | (b >> 4)];
    chars[nc++] = i + 1 < nb ? B64_CODES[((b & 15) << 2) | (c >> 6)] : 61;
    chars[nc++] = i + 2 < nb ? B64_CODES[c & 63] : 61;
  }
  const s = ASCII.decode(chars.subarray(0, nc));
  return {
    format: "injective-relu/flat-proof",
    version: 1,
    length: proof.tokens.length,
    tokens: s,
    ...(proof.subproofs?.length ? { subproofs: proof.subproofs.map(encodeFlatProof) } : {}),
  };
}

/**
 * Decodes a proof from a certificate file.
 * @throws Error with a one-line message naming what is malformed
 */
export function decodeFlatProof(value: unknown, depth = 0): FlatProof {
  const bad = (why: string): never => {
    throw new Error(`malformed proof: ${why}`);
  };
  if (typeof value !== "object" || value === null) return bad("not an object");
  const v = value as Partial<Record<keyof EncodedFlatProof, unknown>>;
  if (v.format !== "injective-relu/flat-proof" || v.version !== 1)
    return bad('format must be "injective-relu/flat-proof", version 1');
  if (typeof v.tokens !== "string" || v.tokens.length % 4 !== 0) return bad("tokens must be a base64 string");
  const length = v.length;
  if (typeof length !== "number" || !Number.isInteger(length) || length < 0 || length > v.tokens.length)
    return bad("length must be the number of entries");
  const tokens = new Int32Array(length);
  let z = 0;
  let scale = 1;
  let t = 0;
  const s = v.tokens;
  const byte = (x: number): void => {
    z += (x & 0x7f) * scale;
    if (x & 0x80) {
      scale *= 0x80;
      if (scale > 2 ** 35) bad("an entry is too long");
      return;
    }
    if (t >= length) bad("more entries than its length");
    const value = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    if (value > 2 ** 31 - 1 || value < -(2 ** 31)) bad("an entry is out of range");
    tokens[t++] = value;
    z = 0;
    scale = 1;
  };
  /** The 6-bit value of the character at i; −2 for the padding "=", −1 for a non-base64 character. */
  const sextet = (i: number): number => {
    const code = s.charCodeAt(i);
    return code === 61 ? -2 : code < 128 ? B64_INDEX[code] : -1;
  };
  for (let i = 0; i < s.length; i += 4) {
    const c0 = sextet(i);
    const c1 = sextet(i + 1);
    const c2 = sextet(i + 2);
    const c3 = sextet(i + 3);
    if (c0 < 0 || c1 < 0 || c2 === -1 || c3 === -1) bad("tokens is not base64");
    byte((c0 << 2) | (c1 >> 4));
    if (c2 >= 0) byte(((c1 & 15) << 4) | (c2 >> 2));
    if (c3 >= 0) byte(((c2 & 3) << 6) | c3);
    if ((c2 === -2 || c3 === -2) && i + 4 < s.length) bad("padding inside tokens");
  }
  if (t !== length || scale !== 1) bad(`${t} entries decoded, length says ${length}`);
  if (v.subproofs === undefined) return { tokens };
  if (!Array.isArray(v.subproofs)) return bad("subproofs must be an array");
  if (depth > 0 && v.subproofs.length > 0) return bad("subproofs nest only one level");
  return { tokens, subproofs: v.subproofs.map((x) => decodeFlatProof(x, depth + 1)) };
}
