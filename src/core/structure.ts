/**
 * Sufficient test: always-active rows that span R^n (generalizes Corollary 2).
 *
 * Corollary 2: W = [B; −DB; M] with B a basis and D a positive diagonal is injective. The reason:
 * for every x one row of each antiparallel pair (b_k, −d_k b_k) is active, so the active rows always
 * contain a basis. With bias, a pair (w, −d w) with biases (β1, β2) always has an active row iff
 * β1 + β2/d >= 0 (on unit rows: b̂_i + b̂_j >= 0, tested up to the rounding of the normalized
 * biases and then re-checked exactly); this covers the Lemma 1 counterexample and the paired biases
 * β2 = −d·β1 (slack exactly 0) of src/tfjs's layers.
 * On the nonnegative orthant a single row with w >= 0 and b >= 0 is always active.
 * If the lines of such always-active groups span R^n, every active set spans R^n: injective.
 *
 * Each group is also a Motzkin dual (pair: equal weights on the unit rows; single orthant row:
 * weight 1), and spanning lines make every hyperplane miss one group, so the test returns an
 * ordinary dual-cover certificate.
 *
 * ## Cost
 *
 * The pairs are not enumerated (a layer of 10,000 rows in R^1 has 25 million of them). Rows are
 * grouped by line instead: the unit rows are sorted by their projection onto a fixed generic
 * direction r (ties broken by the entries, so equal rows are neighbours) and equal rows form one
 * class. A row u can only pair with rows whose projection is within the tolerance of −<u, r>
 * (‖u + v‖ <= tol implies |<u, r> + <v, r>| <= tol for a unit r), so each class looks at a short
 * window of the sorted classes, and inside a partner class the first partner k > i with
 * b̂_i + b̂_k >= 0 is found in O(log m) with a max-segment tree over the biases. Time
 * O(m log m · n) and memory O(m·n) (the unit rows themselves) on every input where a line does not
 * hold more than {@link MAX_PARTNER_CLASSES} distinct but tolerance-equal directions; beyond that
 * cap a pair can be missed, which only loses this shortcut (the result is re-verified anyway).
 *
 * The result is the one of the plain O(m²) enumeration: the groups are taken in the same order
 * (orthant rows, then pairs (i, k) by i, then k), and for each line the first group is kept.
 */

import type { Domain, Dual } from "./types.js";
import type { NormalizedLayer } from "./layer.js";
import { Budget } from "./budget.js";
import { greedyIndependent } from "./dense.js";
import { RANK_FLOOR } from "./numerics.js";

/** An always-active group found by {@link alwaysActiveCover}. */
export interface ActiveGroup {
  kind: "pair" | "nonnegative-row";
  /** Original row indices. */
  rows: number[];
}

/**
 * Partner classes examined per class: distinct directions (not bitwise equal) whose projections
 * lie within the tolerance of each other. Only adversarial inputs have more.
 */
export const MAX_PARTNER_CLASSES = 64;

/** Rows between two time checks. */
const CHUNK = 1024;

const STAGE = "the structure test (always-active pairs)";

/** A fixed generic unit direction (deterministic, no zero entries). */
function genericDirection(n: number): Float64Array {
  const r = new Float64Array(n);
  let s = 0;
  for (let j = 0; j < n; j++) {
    // Fractional parts of multiples of the golden ratio, shifted away from 0.
    const f = ((j + 1) * 0.6180339887498949) % 1;
    r[j] = f < 0.5 ? f + 0.25 : f - 1.25;
    s += r[j] * r[j];
  }
  const norm = Math.sqrt(s);
  for (let j = 0; j < n; j++) r[j] /= norm;
  return r;
}

/**
 * For the sorted positions of one class: a max-segment tree over the biases, ordered by row index,
 * answering "the first member with index > i and bias >= t" in O(log size).
 */
class PartnerIndex {
  private readonly size: number;
  private readonly tree: Float64Array;
  constructor(
    /** Row indices (into the normalized layer), ascending. */
    readonly members: Int32Array,
    bias: Float64Array,
  ) {
    let size = 1;
    while (size < members.length) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size).fill(-Infinity);
    for (let j = 0; j < members.length; j++) this.tree[size + j] = bias[members[j]];
    for (let v = size - 1; v >= 1; v--) this.tree[v] = Math.max(this.tree[2 * v], this.tree[2 * v + 1]);
  }

  /** The smallest member k > i with bias[k] >= t, or -1. */
  firstAfter(i: number, t: number): number {
    const { members, size, tree } = this;
    // First position whose member index exceeds i (binary search).
    let lo = 0;
    let hi = members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (members[mid] <= i) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= members.length || tree[1] < t) return -1;
    // Every position of range(v) that is >= lo has been examined and fails, until a right
    // sibling holds a value >= t; then descend to its leftmost such leaf.
    let v = lo + size;
    if (!(tree[v] >= t)) {
      while (v > 1 && ((v & 1) === 1 || !(tree[v + 1] >= t))) v >>= 1;
      if (v <= 1) return -1;
      v += 1;
      while (v < size) v = tree[2 * v] >= t ? 2 * v : 2 * v + 1;
    }
    return members[v - size];
  }
}

/**
 * Finds always-active groups whose lines span R^n.
 * @param budget time checks between chunks of rows, and the memory of the work arrays (optional:
 *   no limits without one)
 * @param chooseIndependent picks, in order, lines (normalized row indices) that are independent;
 *   default: greedy Gram–Schmidt to the tolerance. checkLayer passes an exact chooser (mod a prime),
 *   so that ill-conditioned but independent lines (a convolution's nearly singular B) still count.
 * @returns the groups used (n of them) and their duals, or null when the test does not apply
 * @throws ResourceLimitError when the budget runs out
 */
export function alwaysActiveCover(
  layer: NormalizedLayer,
  domain: Domain,
  tolerance: number,
  budget: Budget = Budget.unlimited(),
  chooseIndependent?: (candidates: Int32Array) => number[],
): { groups: ActiveGroup[]; duals: Dual[] } | null {
  const { n, count, rows, bias, index, logNorm } = layer;
  // Work arrays: order, classes, projections, partners (a few numbers per row) and the Q of the
  // greedy rank (n·n doubles).
  budget.reserve(STAGE, count * 64 + n * n * 8);

  const nonneg = new Uint8Array(count);
  if (domain === "nonnegative") {
    for (let i = 0; i < count; i++) {
      let ok = bias[i] >= 0;
      for (let j = 0; j < n && ok; j++) ok = rows[i * n + j] >= 0;
      if (ok) nonneg[i] = 1;
    }
  }

  // partner[i]: the smallest k > i such that (i, k) is an always-active pair, or -1.
  const partner = findPartners(layer, tolerance, budget);

  // The lines in the order of the groups' first occurrence: orthant rows, then pair lines by i.
  const lines: number[] = [];
  for (let i = 0; i < count; i++) if (nonneg[i]) lines.push(i);
  for (let i = 0; i < count; i++) if (!nonneg[i] && partner[i] >= 0) lines.push(i);
  if (lines.length < n) return null;
  budget.check(STAGE);
  // Pick lines greedily that are independent; each line's first group is used.
  const chosenLines = chooseIndependent
    ? chooseIndependent(Int32Array.from(lines))
    : greedyIndependent(rows, n, Int32Array.from(lines), Math.max(tolerance, RANK_FLOOR));
  if (chosenLines.length < n) return null;
  const groups: ActiveGroup[] = [];
  const duals: Dual[] = [];
  for (const i of chosenLines) {
    if (nonneg[i]) {
      groups.push({ kind: "nonnegative-row", rows: [index[i]] });
      duals.push({ rows: [index[i]], weights: [1] });
    } else {
      const k = partner[i];
      // Weights 1/2 on the unit rows are weights ∝ 1/‖w‖ on the original rows, i.e. ‖w_k‖ : ‖w_i‖.
      const top = Math.max(logNorm[i], logNorm[k]);
      const ni = 2 ** (logNorm[i] - top);
      const nk = 2 ** (logNorm[k] - top);
      groups.push({ kind: "pair", rows: [index[i], index[k]] });
      duals.push({ rows: [index[i], index[k]], weights: [nk / (ni + nk), ni / (ni + nk)] });
    }
  }
  return { groups, duals };
}

/**
 * For each unit row i, the smallest k > i with ‖u_i + u_k‖ <= tolerance and b̂_i + b̂_k >= 0
 * (-1 when there is none), without enumerating the pairs (see the module comment).
 */
function findPartners(layer: NormalizedLayer, tolerance: number, budget: Budget): Int32Array {
  const { n, count, rows, bias } = layer;
  const partner = new Int32Array(count).fill(-1);
  if (count === 0) return partner;
  const r = genericDirection(n);
  const proj = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += rows[i * n + j] * r[j];
    proj[i] = s;
  }
  // Sort by projection, then by the entries (equal rows become neighbours), then by index.
  const order = Array.from({ length: count }, (_, i) => i);
  const cmpRows = (a: number, b: number): number => {
    for (let j = 0; j < n; j++) {
      const d = rows[a * n + j] - rows[b * n + j];
      if (d !== 0) return d < 0 ? -1 : 1;
    }
    return 0;
  };
  order.sort((a, b) => proj[a] - proj[b] || cmpRows(a, b) || a - b);
  budget.check(STAGE);

  // Classes: runs of equal rows in the sorted order.
  const classStart: number[] = [];
  for (let t = 0; t < count; t++) if (t === 0 || cmpRows(order[t - 1], order[t]) !== 0) classStart.push(t);
  const classes = classStart.length;
  classStart.push(count);
  const classProj = new Float64Array(classes);
  for (let c = 0; c < classes; c++) classProj[c] = proj[order[classStart[c]]];
  const members = (c: number): Int32Array =>
    Int32Array.from(order.slice(classStart[c], classStart[c + 1])).sort();
  const indexOf = new Map<number, PartnerIndex>();
  const partnerIndex = (c: number): PartnerIndex => {
    let p = indexOf.get(c);
    if (!p) {
      p = new PartnerIndex(members(c), bias);
      indexOf.set(c, p);
    }
    return p;
  };
  // Rounding allowance of the bias test, relative to |b̂_i| (two normalized biases, each within
  // about (n + 4)·ε of its exact value, and b̂_k ≈ −b̂_i when the slack is near 0).
  const BIAS_ULPS = (4 * n + 16) * Number.EPSILON;
  // |<u + v, r>| <= ‖u + v‖, plus rounding of the two projections.
  const delta = tolerance * (1 + 1e-9) + 4 * n * Number.EPSILON;

  let work = 0;
  for (let c = 0; c < classes; c++) {
    const target = -classProj[c];
    // First class with projection >= target − delta (binary search), then a window forward.
    let lo = 0;
    let hi = classes;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (classProj[mid] < target - delta) lo = mid + 1;
      else hi = mid;
    }
    const rep = order[classStart[c]];
    let mine: Int32Array | null = null;
    for (let d = lo, seen = 0; d < classes && classProj[d] <= target + delta; d++, seen++) {
      if (seen >= MAX_PARTNER_CLASSES) break;
      const other = order[classStart[d]];
      let s = 0;
      for (let j = 0; j < n; j++) {
        const e = rows[rep * n + j] + rows[other * n + j];
        s += e * e;
      }
      if (Math.sqrt(s) > tolerance) continue;
      mine ??= members(c);
      const pi = partnerIndex(d);
      for (let t = 0; t < mine.length; t++) {
        const i = mine[t];
        // b̂_i + b̂_k >= 0 up to the rounding of the two normalized biases (each within about
        // (n + 4) ulps of its exact value): a pair with exactly matching offsets (β2 = −d·β1, slack
        // 0, as the paired layers of src/tfjs have) must not be lost to rounding. A pair accepted
        // here with a slightly negative exact slack fails the exact re-check of its dual, and the
        // caller falls back to the search, so this only widens the candidates.
        const slack = BIAS_ULPS * Math.abs(bias[i]);
        const k = pi.firstAfter(i, -bias[i] - slack);
        if (k >= 0 && bias[i] + bias[k] >= -slack && (partner[i] < 0 || k < partner[i])) partner[i] = k;
      }
      work += mine.length;
    }
    work += 1;
    if (work >= CHUNK) {
      work = 0;
      budget.check(STAGE);
    }
  }
  return partner;
}
