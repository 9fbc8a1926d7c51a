/**
 * Open cells of a hyperplane arrangement { x : <w_i, x> + b_i = 0 }, restricted to a domain.
 *
 * The cells are the regions on which the sign vector of `W x + b` is constant. They carry the
 * paper's wedge picture (Section 2.1: "W partitions R^n into open wedges S_k with constant sign
 * patterns") and its stability constant: Theorem 3 takes C(W) = (2m)^(−1/2) min_x σ_min(W|S(x)),
 * and because S(x) only shrinks from faces to open cells (docs/stability.md), the minimum runs over the
 * open cells that this module lists. The enumeration is general (linear or affine hyperplanes, all
 * of R^n or the open nonnegative orthant) so that pointwise experiments can reuse it.
 *
 * Algorithm: a depth-first search over the distinct hyperplanes. A node fixes the signs of the
 * first k hyperplanes and holds a point strictly inside that partial cell. The child on the point's
 * own side inherits the point; the other child needs one strict-feasibility LP (below), solved
 * with the project's dense simplex (./lp/simplex.ts). Infeasible branches are pruned, so every
 * leaf is a nonempty open cell, and the work is about one LP per node of the search tree.
 *
 * Degenerate rows: a zero row (all entries 0; each row is scaled on its own, as in
 * ./layer.ts) is no hyperplane; its
 * sign is the sign of its bias everywhere (0 when the bias is 0). Rows that define the same
 * hyperplane (w_j = c w_i and b_j = c b_i, c ≠ 0, to the tolerance on unit rows) are searched once
 * and get sign(c) times its sign. Parallel rows with different biases are different hyperplanes;
 * the LPs prune their impossible combinations.
 *
 * Numerics: the rows are scaled to unit norm and the biases by their largest magnitude, so that
 * the LP margins are relative. A cell counts when the LP finds a point whose recomputed margin
 * (distance to the nearest hyperplane and, on the orthant, to the nearest coordinate hyperplane,
 * capped at 1 in these units) exceeds the tolerance. Cells thinner than that are not reported;
 * `stats.thinnestMargin` tells how close the reported ones came.
 */

import type { Domain } from "./types.js";
import { DEFAULT_MEMORY_LIMIT_BYTES } from "./budget.js";
import { norm2 } from "./linalg.js";
import { solveDenseLp } from "./lp/simplex.js";
import {
  validateChoice,
  validateDomain,
  validateLayer,
  validateOptions,
  validatePositive,
  validateSignal,
  validateTimeLimit,
} from "./validate.js";
import { validateTolerance } from "./numerics.js";

/** Re-solve a leaf's LP when its inherited margin is below this (in normalized units, max 1). */
const RECENTER_BELOW = 1e-3;
/** Check the clock and the abort signal every this many search nodes. */
const CHECK_EVERY = 64;
/** Certificates kept per (hyperplane, sign). */
const MAX_CERTIFICATES = 64;
/** The async wrapper yields to the event loop at least this often (ms). */
const YIELD_MS = 50;

/** Sign of `<w_i, x> + b_i` on a cell: +1, −1, or 0 for a zero row with zero bias. */
export type CellSign = -1 | 0 | 1;

/** Options of {@link enumerateCells} and {@link CellEnumerator}. */
export interface ArrangementOptions {
  /** `all`: cells of R^n. `nonnegative`: cells meeting the open orthant x > 0 (Remark 1). @default "all" */
  domain?: Domain;
  /** Stop after this many cells. The search then goes on only until it finds one more cell, so a truncated result proves that more cells exist. @default Infinity */
  maxCells?: number;
  /** Wall-clock limit in milliseconds. @default Infinity */
  timeLimitMs?: number;
  /** Stops the search (with `stopReason: "cancelled"`). */
  signal?: AbortSignal;
  /** On a limit or cancellation: return what was found (`complete: false`), or throw an {@link ArrangementLimitError}. @default "truncate" */
  onLimit?: "truncate" | "throw";
  /** Identical hyperplanes (on unit rows) and the strictness of cells are decided to this relative tolerance. @default 1e-9 */
  tolerance?: number;
  /**
   * {@link enumerateCells} only: stop (`stopReason: "memory-limit"`) before the cells it keeps
   * (sign vector and point each) would need more than this many bytes. @default 2 GiB
   */
  memoryLimitBytes?: number;
}

/** One open cell of the arrangement. */
export interface ArrangementCell {
  /** Sign of `<w_i, x> + b_i` on the cell for every original row i (length m). */
  signs: CellSign[];
  /** A point in the cell (and in the open orthant for the `nonnegative` domain). */
  point: number[];
  /**
   * The open ball of this radius around `point` lies in the cell (and in the domain's interior):
   * min over nonzero rows of |<w_i, point> + b_i| / ‖w_i‖ (and, on the orthant, min_j point_j).
   */
  margin: number;
}

/** Why an enumeration stopped early. */
export type ArrangementStop = "cell-limit" | "time-limit" | "cancelled" | "memory-limit";

/** Counters of an enumeration. */
export interface ArrangementStats {
  /** Cells reported. */
  cells: number;
  /** Nodes of the search tree visited (partial sign vectors found nonempty). */
  nodes: number;
  /** Strict-feasibility LPs solved. */
  lpSolves: number;
  /** Branches pruned without an LP by the support of an earlier LP's dual (an infeasibility certificate). */
  prunedByCertificates: number;
  /** Smallest margin (normalized units: unit rows, biases scaled to at most 1) among the reported cells; Infinity when none. */
  thinnestMargin: number;
  timeMs: number;
}

/** Result of {@link enumerateCells}. */
export interface ArrangementResult {
  cells: ArrangementCell[];
  /** True when every cell was found. */
  complete: boolean;
  /** Why the search stopped early (null when complete). */
  stopReason: ArrangementStop | null;
  m: number;
  n: number;
  domain: Domain;
  /** Number of distinct hyperplanes (nonzero rows up to identical copies). */
  hyperplanes: number;
  /** Rows treated as zero. */
  zeroRows: number[];
  /**
   * For each row: the first row that defines the same hyperplane (itself when it is the first),
   * or −1 for a zero row.
   */
  sameHyperplaneAs: number[];
  stats: ArrangementStats;
}

/** Thrown by the enumeration when `onLimit` is `"throw"` and a limit stops it. */
export class ArrangementLimitError extends Error {
  constructor(
    readonly reason: ArrangementStop,
    readonly cellsFound: number,
  ) {
    super(
      `enumerateCells(): stopped by the ${reason === "cancelled" ? "abort signal" : reason} after ${cellsFound} cell(s); the enumeration is incomplete`,
    );
    this.name = "ArrangementLimitError";
  }
}

/**
 * Strict feasibility of a system of sign conditions, the building block of the enumeration.
 *
 *     maximize t   s.t.   s_i (<a_i, x> + c_i) >= t  (i in rows),   t <= 1,   [orthant: x_j >= t]
 *
 * over x (free, split as x+ − x−; nonnegative on the orthant). The simplex needs a feasible start
 * at 0, so t = τ − K with K = 1 + max(0, max_i −s_i c_i): every right-hand side is then >= 1.
 *
 * @param a hyperplane normals, row-major, shape (H, n), typically unit rows
 * @param c offsets, length H
 * @param signs the required sign s_i (±1) of each hyperplane, length H (only `rows` are read)
 * @param rows indices of the conditions to impose (a subset of 0..H−1)
 * @returns the optimal point; its recomputed margin min_i s_i(<a_i, x> + c_i) over `rows` (and
 *   min_j x_j on the orthant, and at most 1), so the system is strictly feasible iff it is > 0; the
 *   LP's optimal t (`lpMargin`); and the LP dual y >= 0, aligned with `rows`. When t* < 1,
 *   Σ y_i s_i a_i = 0 (<= 0 on the orthant) and, by weak duality, every system that contains the
 *   conditions with y_i > 0 has an optimal margin of at most t*: the support of y is a reusable
 *   infeasibility certificate.
 * @throws Error if the simplex does not reach an optimum (a bug: the LP is bounded and feasible)
 */
export function strictFeasiblePoint(
  a: Float64Array,
  c: Float64Array,
  signs: ArrayLike<number>,
  rows: ArrayLike<number>,
  n: number,
  domain: Domain,
): { x: Float64Array; margin: number; lpMargin: number; dual: Float64Array } {
  const orthant = domain === "nonnegative";
  const k = rows.length;
  let K = 1;
  for (let t = 0; t < k; t++) K = Math.max(K, 1 - signs[rows[t]] * c[rows[t]]);
  const nx = orthant ? n : 2 * n;
  const cols = nx + 1;
  const height = k + 1 + (orthant ? n : 0);
  const A = new Float64Array(height * cols);
  const r = new Float64Array(height);
  // −s_i <a_i, x> + τ <= s_i c_i + K
  for (let t = 0; t < k; t++) {
    const i = rows[t];
    const s = signs[i];
    const off = t * cols;
    for (let j = 0; j < n; j++) {
      const v = -s * a[i * n + j];
      A[off + j] = v;
      if (!orthant) A[off + n + j] = -v;
    }
    A[off + nx] = 1;
    r[t] = s * c[i] + K;
  }
  // t <= 1  <=>  τ <= K + 1
  A[k * cols + nx] = 1;
  r[k] = K + 1;
  if (orthant) {
    // t <= x_j  <=>  τ − x_j <= K
    for (let j = 0; j < n; j++) {
      const off = (k + 1 + j) * cols;
      A[off + j] = -1;
      A[off + nx] = 1;
      r[k + 1 + j] = K;
    }
  }
  const obj = new Float64Array(cols);
  obj[nx] = 1;
  const sol = solveDenseLp(A, height, cols, r, obj);
  if (sol.status !== "optimal") {
    throw new Error(`strictFeasiblePoint(): the simplex stopped with status ${sol.status}`);
  }
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) x[j] = orthant ? sol.z[j] : sol.z[j] - sol.z[n + j];
  let margin = 1;
  for (let t = 0; t < k; t++) {
    const i = rows[t];
    let v = c[i];
    for (let j = 0; j < n; j++) v += a[i * n + j] * x[j];
    margin = Math.min(margin, signs[i] * v);
  }
  if (orthant) for (let j = 0; j < n; j++) margin = Math.min(margin, x[j]);
  return { x, margin, lpMargin: sol.z[nx] - K, dual: sol.y.subarray(0, k) };
}

interface Frame {
  /** Number of hyperplanes whose sign is fixed at this node (the node's sign is for hyperplane depth − 1). */
  depth: number;
  sign: number;
  /** A strictly interior point, or null when the LP has not been solved yet. */
  point: Float64Array | null;
  margin: number;
  /** For a node without a point: its parent's point (it violates only this node's sign). */
  parent: Float64Array | null;
}

/**
 * The enumeration as a resumable state machine: each {@link CellEnumerator.next} call returns the
 * next cell, or null when the search is finished or stopped (see `complete` and `stopReason`).
 * {@link enumerateCells} wraps it; use the class directly to stream cells without storing them.
 */
export class CellEnumerator {
  readonly m: number;
  readonly n: number;
  readonly domain: Domain;
  /** Number of distinct hyperplanes searched. */
  readonly hyperplanes: number;
  readonly zeroRows: number[];
  readonly sameHyperplaneAs: number[];
  readonly stats: ArrangementStats;
  /** Why the search stopped early, or null. */
  stopReason: ArrangementStop | null = null;

  private readonly a: Float64Array;
  private readonly c: Float64Array;
  /** Bias scale: normalized points are original points divided by it. */
  private readonly scale: number;
  private readonly rowHyperplane: Int32Array;
  private readonly rowOrientation: Int8Array;
  private readonly zeroSign: Int8Array;
  private readonly prefix: Float64Array;
  private readonly stack: Frame[] = [];
  private readonly maxCells: number;
  private readonly deadline: number;
  private readonly signal: AbortSignal | undefined;
  private readonly throwOnLimit: boolean;
  private readonly tol: number;
  private readonly start: number;
  private finished = false;
  /**
   * Infeasibility certificates, by (hyperplane h, sign s) = index 2h + (s > 0 ? 1 : 0): supports of
   * LP duals, i.e. signed hyperplanes (all before h) that together with (h, s) leave no cell. A
   * prefix that contains one of them is pruned without an LP. Most recently useful first.
   */
  private readonly certificates: { rows: Int32Array; signs: Int8Array }[][];
  private sinceCheck = CHECK_EVERY - 1;
  // Scratch space of solveBranch.
  private readonly work: Int32Array;
  private readonly inSet: Uint8Array;
  private readonly margins: Float64Array;
  private readonly allRows: Int32Array;

  /**
   * @param W shape (m, n), rows are the hyperplanes' normals; finite, non-empty
   * @param b offsets, length m, or null/undefined for a central (linear) arrangement
   */
  constructor(W: number[][], b?: number[] | null, options: ArrangementOptions = {}) {
    const fn = "enumerateCells()";
    const layer = validateLayer(fn, W, b);
    validateOptions(fn, options);
    this.domain = validateDomain(fn, options.domain);
    this.maxCells = validatePositive(fn, "options.maxCells", options.maxCells ?? Infinity, true);
    const timeLimit = validateTimeLimit(fn, options.timeLimitMs);
    this.tol = validateTolerance(fn, options.tolerance);
    const onLimit = validateChoice(fn, "options.onLimit", options.onLimit ?? "truncate", [
      "truncate",
      "throw",
    ] as const);
    this.throwOnLimit = onLimit === "throw";
    this.signal = validateSignal(fn, options.signal);
    this.start = performance.now();
    this.deadline = this.start + timeLimit;

    const Wv = layer.W;
    const bv = layer.b;
    const m = Wv.length;
    const n = Wv[0].length;
    this.m = m;
    this.n = n;
    const norms = Wv.map((row) => norm2(row));
    const tol = this.tol;
    // The search for identical hyperplanes costs O(m · H · n): check the clock and the signal.
    let early: ArrangementStop | null = null;

    // Zero rows, then identical hyperplanes among the unit rows.
    this.zeroRows = [];
    this.zeroSign = new Int8Array(m);
    this.rowHyperplane = new Int32Array(m).fill(-1);
    this.rowOrientation = new Int8Array(m);
    this.sameHyperplaneAs = new Array<number>(m).fill(-1);
    // Unit rows and offsets; offsets are compared relative to the largest one (the bias scale).
    const unitOf: (Float64Array | null)[] = [];
    const offsetOf: number[] = [];
    let maxOffset = 0;
    for (let i = 0; i < m; i++) {
      if (!(norms[i] > 0)) {
        this.zeroRows.push(i);
        this.zeroSign[i] = bv[i] > 0 ? 1 : bv[i] < 0 ? -1 : 0;
        unitOf.push(null);
        offsetOf.push(0);
        continue;
      }
      unitOf.push(Float64Array.from(Wv[i], (v) => v / norms[i]));
      offsetOf.push(bv[i] / norms[i]);
      maxOffset = Math.max(maxOffset, Math.abs(bv[i] / norms[i]));
    }
    this.scale = maxOffset > 0 ? maxOffset : 1;
    const repRow: number[] = [];
    const units: Float64Array[] = [];
    const offsets: number[] = [];
    for (let i = 0; i < m; i++) {
      if (i % 64 === 63) {
        if (this.signal?.aborted) early = "cancelled";
        else if (performance.now() > this.deadline) early = "time-limit";
        if (early) break;
      }
      const u = unitOf[i];
      if (u === null) continue;
      const off = offsetOf[i] / this.scale;
      let found = -1;
      let orient = 1;
      for (let h = 0; h < units.length && found < 0; h++) {
        const q = units[h];
        let dot = 0;
        for (let j = 0; j < n; j++) dot += u[j] * q[j];
        const s = dot >= 0 ? 1 : -1;
        let dev = Math.abs(off - s * offsets[h]);
        for (let j = 0; j < n; j++) dev = Math.max(dev, Math.abs(u[j] - s * q[j]));
        if (dev <= tol) {
          found = h;
          orient = s;
        }
      }
      if (found < 0) {
        found = units.length;
        units.push(u);
        offsets.push(off);
        repRow.push(i);
      }
      this.rowHyperplane[i] = found;
      this.rowOrientation[i] = orient;
      this.sameHyperplaneAs[i] = repRow[found];
    }
    const H = units.length;
    this.hyperplanes = H;
    this.a = new Float64Array(H * n);
    this.c = new Float64Array(H);
    for (let h = 0; h < H; h++) {
      this.a.set(units[h], h * n);
      this.c[h] = offsets[h];
    }
    this.work = new Int32Array(H);
    this.inSet = new Uint8Array(H);
    this.margins = new Float64Array(H);
    this.allRows = Int32Array.from({ length: H }, (_, h) => h);
    this.prefix = new Float64Array(H);
    this.certificates = Array.from({ length: 2 * H }, () => []);
    this.stats = {
      cells: 0,
      nodes: 0,
      lpSolves: 0,
      prunedByCertificates: 0,
      thinnestMargin: Infinity,
      timeMs: 0,
    };

    if (early) {
      // Stopped while grouping the rows: no search (the hyperplanes are incomplete).
      this.stop(early);
      return;
    }
    // The root: no sign fixed; a point of the domain's interior with margin 1.
    const root = new Float64Array(n);
    if (this.domain === "nonnegative") root.fill(1);
    this.stack.push({ depth: 0, sign: 0, point: root, margin: 1, parent: null });
  }

  /** True when the search has finished and every cell was reported. */
  get complete(): boolean {
    return this.finished && this.stopReason === null;
  }

  /**
   * The next cell, or null when the search is over (finished, or stopped by a limit: then
   * `stopReason` says why, or an {@link ArrangementLimitError} is thrown with `onLimit: "throw"`).
   */
  next(): ArrangementCell | null {
    return this.nextWithin(Infinity) as ArrangementCell | null;
  }

  /**
   * Like {@link CellEnumerator.next}, but returns `"paused"` after `maxNodes` popped search nodes
   * without a cell, so that a caller can yield to the event loop; call it again to go on.
   */
  nextWithin(maxNodes: number): ArrangementCell | null | "paused" {
    if (this.finished) return null;
    const { n, a, c, prefix } = this;
    const H = this.hyperplanes;
    const tol = this.tol;
    let popped = 0;
    while (this.stack.length > 0) {
      if (popped++ >= maxNodes) return "paused";
      if (++this.sinceCheck >= CHECK_EVERY) {
        this.sinceCheck = 0;
        if (this.signal?.aborted) return this.stop("cancelled");
        if (performance.now() > this.deadline) return this.stop("time-limit");
      }
      const frame = this.stack.pop()!;
      const d = frame.depth;
      if (d > 0) prefix[d - 1] = frame.sign;
      let point = frame.point;
      let margin = frame.margin;
      if (point === null && this.certified(d - 1, frame.sign)) {
        this.stats.prunedByCertificates++;
        continue;
      }
      if (point === null) {
        const found = this.solveBranch(d, frame.parent!);
        if (found === null) continue; // empty, or thinner than the tolerance: prune
        point = found.x;
        margin = found.margin;
      }
      if (d === H && margin < RECENTER_BELOW) {
        // A leaf with an inherited point close to a wall: recenter it (max-margin LP, all rows).
        const lp = strictFeasiblePoint(a, c, prefix, this.allRows, n, this.domain);
        this.stats.lpSolves++;
        if (lp.margin > margin) {
          point = lp.x;
          margin = lp.margin;
        }
      }
      this.stats.nodes++;
      if (d === H) {
        // A cell beyond the limit exists: the enumeration is provably incomplete.
        if (this.stats.cells >= this.maxCells) return this.stop("cell-limit");
        this.stats.cells++;
        this.stats.thinnestMargin = Math.min(this.stats.thinnestMargin, margin);
        return this.cell(point, margin);
      }
      let v = c[d];
      for (let j = 0; j < n; j++) v += a[d * n + j] * point[j];
      if (Math.abs(v) > tol) {
        const s = v > 0 ? 1 : -1;
        this.stack.push({ depth: d + 1, sign: -s, point: null, margin: 0, parent: point });
        const inherited = Math.min(margin, Math.abs(v));
        this.stack.push({ depth: d + 1, sign: s, point, margin: inherited, parent: null });
      } else {
        this.stack.push({ depth: d + 1, sign: -1, point: null, margin: 0, parent: point });
        this.stack.push({ depth: d + 1, sign: 1, point: null, margin: 0, parent: point });
      }
    }
    this.finished = true;
    this.stats.timeMs = performance.now() - this.start;
    return null;
  }

  /**
   * Strict feasibility of the prefix of length d (the signs of hyperplanes 0..d−1), by constraint
   * generation: an LP on a few conditions (the new one and those nearest to the parent's point),
   * then the conditions its optimum violates, until the optimum satisfies all of them (a cell) or
   * the LP on the working set is infeasible (then so is the prefix, and the dual's support is kept
   * as a certificate). Returns null when there is no point with margin > tolerance.
   */
  private solveBranch(d: number, parent: Float64Array): { x: Float64Array; margin: number } | null {
    const { n, a, c, prefix, work, margins, tol } = this;
    const orthant = this.domain === "nonnegative";
    // Margins of the parent's point; it violates only hyperplane d − 1.
    for (let i = 0; i < d - 1; i++) {
      let v = c[i];
      for (let j = 0; j < n; j++) v += a[i * n + j] * parent[j];
      margins[i] = prefix[i] * v;
    }
    const inSet = this.inSet;
    inSet.fill(0, 0, d);
    let size = 0;
    work[size++] = d - 1;
    inSet[d - 1] = 1;
    // The 2n conditions with the smallest margins at the parent's point.
    const seed = Math.min(d - 1, 2 * n);
    for (let q = 0; q < seed; q++) {
      let best = -1;
      for (let i = 0; i < d - 1; i++) if (!inSet[i] && (best < 0 || margins[i] < margins[best])) best = i;
      work[size++] = best;
      inSet[best] = 1;
    }
    for (;;) {
      const lp = strictFeasiblePoint(a, c, prefix, work.subarray(0, size), n, this.domain);
      this.stats.lpSolves++;
      if (!(lp.margin > tol)) {
        this.remember(d - 1, prefix[d - 1], work.subarray(0, size), lp.dual);
        return null;
      }
      let margin = lp.margin;
      const before = size;
      for (let i = 0; i < d; i++) {
        if (inSet[i]) continue;
        let v = c[i];
        for (let j = 0; j < n; j++) v += a[i * n + j] * lp.x[j];
        v *= prefix[i];
        if (v <= tol) {
          work[size++] = i;
          inSet[i] = 1;
        } else if (v < margin) {
          margin = v;
        }
      }
      if (size === before) {
        if (orthant) for (let j = 0; j < n; j++) margin = Math.min(margin, lp.x[j]);
        return { x: lp.x, margin };
      }
    }
  }

  /** True when a stored certificate shows that fixing hyperplane h to sign s after the current prefix leaves no cell. */
  private certified(h: number, s: number): boolean {
    const list = this.certificates[2 * h + (s > 0 ? 1 : 0)];
    const prefix = this.prefix;
    for (let t = 0; t < list.length; t++) {
      const cert = list[t];
      let ok = true;
      for (let q = 0; q < cert.rows.length && ok; q++) ok = prefix[cert.rows[q]] === cert.signs[q];
      if (ok) {
        if (t > 0) {
          list.splice(t, 1);
          list.unshift(cert);
        }
        return true;
      }
    }
    return false;
  }

  private remember(h: number, s: number, set: Int32Array, dual: Float64Array): void {
    const rows: number[] = [];
    for (let t = 0; t < set.length; t++) if (dual[t] > 0 && set[t] !== h) rows.push(set[t]);
    const list = this.certificates[2 * h + (s > 0 ? 1 : 0)];
    list.unshift({ rows: Int32Array.from(rows), signs: Int8Array.from(rows, (i) => this.prefix[i]) });
    if (list.length > MAX_CERTIFICATES) list.pop();
  }

  private stop(reason: ArrangementStop): null {
    this.finished = true;
    this.stopReason = reason;
    this.stats.timeMs = performance.now() - this.start;
    if (this.throwOnLimit) throw new ArrangementLimitError(reason, this.stats.cells);
    return null;
  }

  private cell(point: Float64Array, margin: number): ArrangementCell {
    const signs: CellSign[] = new Array<CellSign>(this.m);
    for (let i = 0; i < this.m; i++) {
      const h = this.rowHyperplane[i];
      signs[i] = (h < 0 ? this.zeroSign[i] : this.rowOrientation[i] * this.prefix[h]) as CellSign;
    }
    return {
      signs,
      point: Array.from(point, (v) => v * this.scale),
      margin: margin * this.scale,
    };
  }
}

/**
 * Lists the open cells of the arrangement { x : <w_i, x> + b_i = 0 } that meet the interior of the
 * domain, each with its sign vector and an interior point.
 *
 * Async only so that the abort signal and timers can fire: it yields to the event loop every
 * 50 ms. Known cell counts (tests/core/arrangement.test.ts): m hyperplanes in general position
 * through 0 in R^n make 2 Σ_{k<n} C(m−1, k) cells; affine ones in general position Σ_{k≤n} C(m, k).
 *
 * @param W shape (m, n): the hyperplanes' normals (rows); finite, non-empty
 * @param b offsets, length m, or null/undefined for hyperplanes through 0
 * @param options domain, limits (`maxCells`, `timeLimitMs`, `signal`, `onLimit`), tolerance
 * @param onCell called with each cell as it is found; return false to keep the cells out of the
 *   result (streaming); the enumeration goes on either way
 * @returns the cells (in search order), whether the list is complete, and the statistics
 * @throws InputTypeError / InputRangeError for bad arguments; ArrangementLimitError on a limit
 *   when `onLimit` is `"throw"`
 *
 * @example
 * const r = await enumerateCells([[1, 0], [0, 1]]); // the coordinate axes
 * r.cells.length; // 4 quadrants, e.g. { signs: [1, -1], point: [1, -1], margin: 1 }
 */
export async function enumerateCells(
  W: number[][],
  b?: number[] | null,
  options: ArrangementOptions = {},
  onCell?: (cell: ArrangementCell) => boolean | void,
): Promise<ArrangementResult> {
  const e = new CellEnumerator(W, b, options);
  const cells: ArrangementCell[] = [];
  const memoryLimit = validatePositive(
    "enumerateCells()",
    "options.memoryLimitBytes",
    options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES,
  );
  // A kept cell: its sign vector (m numbers), its point (n), and the objects around them.
  const cellBytes = (e.m + e.n) * 8 + 200;
  let stoppedByMemory = false;
  let lastYield = performance.now();
  for (;;) {
    const cell = e.nextWithin(256);
    if (cell === null) break;
    if (cell !== "paused" && onCell?.(cell) !== false) {
      if ((cells.length + 1) * cellBytes > memoryLimit) {
        stoppedByMemory = true;
        break;
      }
      cells.push(cell);
    }
    const now = performance.now();
    if (now - lastYield > YIELD_MS) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
    }
  }
  if (stoppedByMemory && options.onLimit === "throw")
    throw new ArrangementLimitError("memory-limit", cells.length);
  return {
    cells,
    complete: e.complete && !stoppedByMemory,
    stopReason: stoppedByMemory ? "memory-limit" : e.stopReason,
    m: e.m,
    n: e.n,
    domain: e.domain,
    hyperplanes: e.hyperplanes,
    zeroRows: e.zeroRows,
    sameHyperplaneAs: e.sameHyperplaneAs,
    stats: e.stats,
  };
}
