/**
 * A floating-point filter for a Motzkin dual's exact algebra (docs/verifier.md, "The duals' algebra:
 * a filter before the integers").
 *
 * On R^n a dual on n + 1 rows of rank n has, up to scale, one weight vector: the solution of the
 * square system A y = e with A = [w_{i_1} … w_{i_{n+1}}; 1 … 1] (the rows as columns, then a row of
 * ones) and e = (0, …, 0, 1). The dual holds when every y_t >= 0 and Σ y_t b_t >= 0. The exact check
 * (exactDualProblem in ./certificate.ts) solves it over the integers by fraction-free elimination;
 * this filter proves the same signs in floating point, as exact geometric predicates do, or says it
 * cannot, and then the integers decide. It never decides "does not hold".
 *
 * The bound (a Newton–Kantorovich-type inclusion, as in interval linear solvers): with R ≈ A⁻¹ and
 * ỹ = R e computed in floats, C = I − R A and r = e − A ỹ,
 *
 *   ‖C‖∞ < 1  ⇒  A is nonsingular and ‖A⁻¹ e − ỹ‖∞ <= ‖R r‖∞ / (1 − ‖C‖∞) =: δ,
 *
 * since A⁻¹ = (I − C)⁻¹ R. C and r are computed in floats; each of their entries is a dot product
 * of length k + 1 (k = n + 1), whose rounding error is at most γ_{k+1} times the dot product of the
 * absolute values, plus (k + 1) times the smallest subnormal for underflow (Higham, Accuracy and
 * Stability of Numerical Algorithms, §3.1). Those bounds are added to the computed magnitudes, and
 * every bound computed from them is enlarged by SAFETY, which exceeds the relative rounding of
 * summing k + 3 nonnegative terms for any k this filter accepts. A weight is then proved positive
 * when ỹ_t > δ, and the bias when Σ ỹ_t b_t exceeds δ Σ|b_t| plus its own rounding bound.
 *
 * The filter works on the integer layer's entries converted to doubles, and only when every such
 * conversion is exact, so it proves signs of the very system the integers would solve.
 */

import type { IntegerLayer } from "./exact.js";
import type { Dual } from "./types.js";

/** Unit roundoff of binary64. */
const U = 2 ** -53;
/** The smallest subnormal: the most one product can lose to underflow. */
const ETA = 2 ** -1074;
/** The largest system the filter takes (k = n + 1); beyond it the exact path alone decides. */
const MAX_K = 4096;
/** Enlarges bounds computed in floats: > 1 + (MAX_K + 3)·u·(1 + tiny), with room to spare. */
const SAFETY = 1 + 1e-9;

/** γ_j = j·u / (1 − j·u), the relative error bound of a dot product of length j. */
function gamma(j: number): number {
  return (j * U) / (1 - j * U);
}

/** The integer layer as doubles, with per row whether every entry (bias included) converted exactly. */
interface FloatView {
  n: number;
  W: Float64Array;
  b: Float64Array;
  exact: Uint8Array;
}

const views = new WeakMap<IntegerLayer, FloatView>();

function floatView(ints: IntegerLayer): FloatView {
  let v = views.get(ints);
  if (v) return v;
  const m = ints.W.length;
  const n = m > 0 ? ints.W[0].length : 0;
  const W = new Float64Array(m * n);
  const b = new Float64Array(m);
  const exact = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    let ok = true;
    const row = ints.W[i];
    for (let j = 0; j < n && ok; j++) {
      const x = Number(row[j]);
      ok = Number.isFinite(x) && BigInt(x) === row[j];
      W[i * n + j] = x;
    }
    if (ok) {
      const x = Number(ints.b[i]);
      ok = Number.isFinite(x) && BigInt(x) === ints.b[i];
      b[i] = x;
    }
    exact[i] = ok ? 1 : 0;
  }
  v = { n, W, b, exact };
  views.set(ints, v);
  return v;
}

/**
 * True only when the dual is proved to hold on R^n: its n + 1 rows have one weight vector up to
 * scale, every weight is positive, Σ y_t b_t is positive (or every bias is zero), and the stated
 * weights agree with it within `agreement` (as exactDualProblem requires). False means "not
 * proved here", never "does not hold".
 */
export function dualHoldsByFilter(ints: IntegerLayer, d: Dual, agreement: number): boolean {
  const view = floatView(ints);
  const n = view.n;
  const k = n + 1;
  const rows = d.rows;
  if (rows.length !== k || k > MAX_K || d.weights.length !== k) return false;
  for (const i of rows) if (!view.exact[i]) return false;
  // A (k × k, row-major): A[j][t] = W[rows_t][j] for j < n, A[n][t] = 1.
  const A = new Float64Array(k * k);
  for (let t = 0; t < k; t++) {
    const base = rows[t] * n;
    for (let j = 0; j < n; j++) A[j * k + t] = view.W[base + j];
    A[n * k + t] = 1;
  }
  const R = invert(A, k);
  if (!R) return false;
  const g = gamma(k + 1);
  // ‖C‖∞ with C = I − R A, each entry bounded by |fl(C_ij)| + γ (δ_ij + (|R||A|)_ij) + (k + 1)η.
  let normC = 0;
  for (let i = 0; i < k; i++) {
    let rowSum = 0;
    for (let j = 0; j < k; j++) {
      let s = i === j ? 1 : 0;
      let abs = i === j ? 1 : 0;
      for (let l = 0; l < k; l++) {
        const p = R[i * k + l] * A[l * k + j];
        s -= p;
        abs += Math.abs(p);
      }
      rowSum += Math.abs(s) + g * abs * SAFETY + (k + 1) * ETA;
    }
    normC = Math.max(normC, rowSum * SAFETY);
  }
  if (!(normC < 0.5)) return false;
  // ỹ = R e (the last column of R) and r = e − A ỹ, bounded entrywise.
  const y = new Float64Array(k);
  for (let t = 0; t < k; t++) y[t] = R[t * k + n];
  const rb = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = i === n ? 1 : 0;
    let abs = i === n ? 1 : 0;
    for (let l = 0; l < k; l++) {
      const p = A[i * k + l] * y[l];
      s -= p;
      abs += Math.abs(p);
    }
    rb[i] = (Math.abs(s) + g * abs * SAFETY + (k + 1) * ETA) * SAFETY;
  }
  // δ >= ‖R r‖∞ / (1 − ‖C‖∞).
  let zMax = 0;
  for (let i = 0; i < k; i++) {
    let z = 0;
    for (let l = 0; l < k; l++) z += Math.abs(R[i * k + l]) * rb[l];
    zMax = Math.max(zMax, z * SAFETY + k * ETA);
  }
  const delta = (zMax / (1 - normC)) * SAFETY * SAFETY;
  if (!Number.isFinite(delta)) return false;
  for (let t = 0; t < k; t++) if (!(y[t] > delta)) return false;
  // Σ y_t b_t >= Σ ỹ_t b_t − δ Σ |b_t|, the first sum computed with its own rounding bound.
  let bias = 0;
  let biasAbs = 0;
  let bAbs = 0;
  for (let t = 0; t < k; t++) {
    const bt = view.b[rows[t]];
    bias += y[t] * bt;
    biasAbs += Math.abs(y[t] * bt);
    bAbs += Math.abs(bt);
  }
  if (bAbs > 0) {
    const slack = (gamma(k) * biasAbs + k * ETA + delta * bAbs) * SAFETY * SAFETY;
    if (!(bias > slack)) return false;
  }
  return weightsAgree(ints, d, y, delta, agreement);
}

/**
 * The stated weights against the proved ones, on the original rows (y_orig,t ∝ y_t · 2^shift_t),
 * both normalized to sum 1: true when every difference is provably within `agreement`.
 */
function weightsAgree(
  ints: IntegerLayer,
  d: Dual,
  y: Float64Array,
  delta: number,
  agreement: number,
): boolean {
  const k = y.length;
  let sMax = -Infinity;
  for (const i of d.rows) sMax = Math.max(sMax, ints.shift[i]);
  const lo = new Float64Array(k);
  const hi = new Float64Array(k);
  let sumLo = 0;
  let sumHi = 0;
  let stated = 0;
  for (let t = 0; t < k; t++) {
    const e = ints.shift[d.rows[t]] - sMax;
    if (e < -900) return false;
    const scale = 2 ** e;
    lo[t] = (y[t] - delta) * scale;
    hi[t] = (y[t] + delta) * scale;
    sumLo += lo[t];
    sumHi += hi[t];
    stated += d.weights[t];
  }
  if (!(sumLo > 0) || !(stated > 0)) return false;
  // Relative slack for the rounding of these few operations (far below the agreement asked for).
  const eps = 1e-12;
  for (let t = 0; t < k; t++) {
    const s = d.weights[t] / stated;
    const a = (hi[t] / sumLo) * (1 + eps) - s;
    const c = s - (lo[t] / sumHi) * (1 - eps);
    if (!(Math.max(a, c) + eps <= agreement)) return false;
  }
  return true;
}

/** An approximate inverse by Gauss–Jordan with partial pivoting, or null when a pivot vanishes. */
function invert(A: Float64Array, k: number): Float64Array | null {
  const M = Float64Array.from(A);
  const R = new Float64Array(k * k);
  for (let i = 0; i < k; i++) R[i * k + i] = 1;
  for (let c = 0; c < k; c++) {
    let piv = c;
    let best = Math.abs(M[c * k + c]);
    for (let i = c + 1; i < k; i++) {
      const v = Math.abs(M[i * k + c]);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    if (!(best > 0) || !Number.isFinite(best)) return null;
    if (piv !== c) {
      for (let j = 0; j < k; j++) {
        let tmp = M[c * k + j];
        M[c * k + j] = M[piv * k + j];
        M[piv * k + j] = tmp;
        tmp = R[c * k + j];
        R[c * k + j] = R[piv * k + j];
        R[piv * k + j] = tmp;
      }
    }
    const inv = 1 / M[c * k + c];
    for (let j = 0; j < k; j++) {
      M[c * k + j] *= inv;
      R[c * k + j] *= inv;
    }
    for (let i = 0; i < k; i++) {
      if (i === c) continue;
      const f = M[i * k + c];
      if (f === 0) continue;
      for (let j = 0; j < k; j++) {
        M[i * k + j] -= f * M[c * k + j];
        R[i * k + j] -= f * R[c * k + j];
      }
    }
  }
  return R;
}
