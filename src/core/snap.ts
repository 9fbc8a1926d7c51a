/**
 * "Injective up to noise ε": snapping nearly parallel and antiparallel rows (Corollary 2's pairs
 * [B; −DB] as computed in floating point, or trained as [C; −s²C] in float32).
 *
 * The verifier decides the matrix exactly as given, and such a matrix is generically NOT injective:
 * a pair (w, −d·w) computed in floating point is rotated by a rounding error, which opens a wedge
 * of angle about 1e-16 where both rows are inactive. The explicit question a user with noisy
 * weights asks is different: is there an injective layer within relative distance ε of this one?
 * {@link snapLayer} answers it constructively: every row whose direction is within angle ε of an
 * earlier row's line is replaced by that row times ±2^k (exact in doubles), with its bias rescaled
 * by the same positive factor. Injectivity does not change under positive row scaling, so if the
 * snapped layer is injective (decided exactly by checkLayer), then the layer whose rows are the
 * snapped directions at the original norms, within relative distance ε of W row by row, is
 * injective. Other near-dependencies (a row near the span of two others) are not snapped.
 */

import { assertRange, validateLayer } from "./validate.js";
import { timesPow2 } from "./layer.js";

/** One snapped row. */
export interface SnappedRow {
  /** The row that was replaced. */
  row: number;
  /** The row whose line it was snapped to. */
  to: number;
  /** +1: snapped to the same direction; −1: to the opposite direction (an antiparallel pair). */
  sign: 1 | -1;
  /** The power of two k in w'_row = sign · 2^k · w_to. */
  power: number;
  /** Angle in radians between the original row and its snapped line (at most ε). */
  angle: number;
  /**
   * The positive factor c of the move: the snapped row is c times the original row turned by
   * `angle` (c = 2^k‖w_to‖/‖w_row‖, within a factor √2 of 1), and its bias is c times the original.
   */
  factor: number;
}

/** Result of {@link snapLayer}. */
export interface SnapResult {
  /** The snapped weights (rows that were not moved are the original doubles). */
  W: number[][];
  /** The snapped biases (null when the layer has none). */
  b: number[] | null;
  snapped: SnappedRow[];
  /** Largest angle moved (radians); relative row change <= 2·sin(angle/2) <= angle. */
  maxAngle: number;
  epsilon: number;
}

/**
 * Snaps rows within angle ε of an earlier row's line (see the module header).
 * @param epsilon the largest angle (radians, ≈ the relative row perturbation), in (0, 0.1]
 */
export function snapLayer(W: number[][], b: number[] | null | undefined, epsilon: number): SnapResult {
  const fn = "snapLayer()";
  const { W: Wv, b: bv } = validateLayer(fn, W, b);
  assertRange(
    typeof epsilon === "number" && epsilon > 0 && epsilon <= 0.1,
    () => `${fn}: epsilon must be a number in (0, 0.1], got ${epsilon}`,
  );
  const m = Wv.length;
  const n = Wv[0].length;
  // Unit rows and log2 norms, computed after scaling each row by a power of two (no overflow).
  const unit: (Float64Array | null)[] = [];
  const logNorm: number[] = [];
  for (const row of Wv) {
    let maxAbs = 0;
    for (const v of row) maxAbs = Math.max(maxAbs, Math.abs(v));
    if (maxAbs === 0) {
      unit.push(null);
      logNorm.push(-Infinity);
      continue;
    }
    const e = Math.floor(Math.log2(maxAbs));
    const r = Float64Array.from(row, (v) => timesPow2(v, -e));
    let s = 0;
    for (const v of r) s += v * v;
    s = Math.sqrt(s);
    for (let j = 0; j < n; j++) r[j] /= s;
    unit.push(r);
    logNorm.push(e + Math.log2(s));
  }
  const chordLimit = 2 * Math.sin(epsilon / 2);
  const outW = Wv.map((r) => r.slice());
  const outB = b === undefined || b === null ? null : bv.slice();
  const snapped: SnappedRow[] = [];
  const anchors: number[] = [];
  let maxAngle = 0;
  for (let j = 0; j < m; j++) {
    const uj = unit[j];
    if (!uj) continue;
    // The nearest anchor line by chord length ‖u_j ∓ u_i‖ = 2 sin(angle/2) (cos(ε) rounds to 1 for
    // tiny ε, the chord does not).
    let best = -1;
    let bestChord = chordLimit;
    let sign: 1 | -1 = 1;
    for (const i of anchors) {
      const ui = unit[i]!;
      let dot = 0;
      for (let t = 0; t < n; t++) dot += ui[t] * uj[t];
      const sg = dot >= 0 ? 1 : -1;
      let c2 = 0;
      for (let t = 0; t < n; t++) c2 += (uj[t] - sg * ui[t]) ** 2;
      const chord = Math.sqrt(c2);
      if (chord <= bestChord) {
        bestChord = chord;
        best = i;
        sign = sg;
      }
    }
    if (best < 0) {
      anchors.push(j);
      continue;
    }
    // Exactly ±2^k·w_best with 2^k the power of two nearest to ‖w_j‖ / ‖w_best‖; the bias takes
    // the same positive factor (the layer's row j is (w_j, b_j) scaled by 2^k ‖w_best‖ / ‖w_j‖).
    const k = Math.round(logNorm[j] - logNorm[best]);
    const row = Wv[best].map((v) => timesPow2(sign * v, k));
    if (row.some((v, t) => !Number.isFinite(v) || (v === 0 && Wv[best][t] !== 0))) {
      anchors.push(j); // the multiple would overflow or underflow: keep the row as it is
      continue;
    }
    const angle = 2 * Math.asin(Math.min(1, bestChord / 2));
    if (angle === 0 && row.every((v, t) => v === Wv[j][t])) continue; // already exact
    const factor = 2 ** (k + logNorm[best] - logNorm[j]);
    if (!Number.isFinite(factor) || factor <= 0 || (outB && !Number.isFinite(bv[j] * factor))) {
      anchors.push(j); // the factor would overflow or underflow: keep the row as it is
      continue;
    }
    outW[j] = row;
    if (outB) outB[j] = bv[j] * factor;
    snapped.push({ row: j, to: best, sign, power: k, angle, factor });
    maxAngle = Math.max(maxAngle, angle);
  }
  return { W: outW, b: outB, snapped, maxAngle, epsilon };
}
