/**
 * Exact rational forward passes and inversions of networks, for witnesses that are never wrong.
 *
 * A network given in doubles is an exact rational map wherever its activations are rational: ReLU,
 * leaky ReLU (alpha is a double, hence rational), linear layers, batch norms (stored as the affine
 * map diag(s)·h + b) and reshapes. tanh and sigmoid are not, but they are one-to-one, so two states
 * that agree exactly stay equal through any later layer. A collision N(x1) = N(x2) is therefore
 * proved by evaluating both points exactly until their states coincide (or to the end); a pair that
 * meets a tanh or sigmoid before coinciding cannot be proved this way.
 *
 * A state is a vector of rationals with one common denominator: h = H / D (integers H, D > 0).
 */

import { Budget } from "../core/budget.js";
import {
  ExactSpan,
  bitLength,
  dyadicOf,
  dyadicRows,
  ratioToNumber,
  solveIntegerSystem,
  type IntegerLayer,
} from "../core/exact.js";
import { PRIMES, invMod, mulMod, reduceRows } from "../core/modular.js";
import { layerMatrix, layerOutputDim, type DenseLayerSpec, type Network } from "../model/network.js";

/** An exact state: h = H / D with D > 0. */
export interface ExactState {
  H: bigint[];
  D: bigint;
}

/** The exact state of a double vector. */
export function stateOf(x: ArrayLike<number>): ExactState {
  const parts = Array.from({ length: x.length }, (_, j) => dyadicOf(x[j]));
  let E = 0;
  for (const p of parts) if (p.num !== 0n) E = Math.max(E, -p.exp);
  return {
    H: parts.map((p) => (p.num === 0n ? 0n : p.num << BigInt(p.exp + E))),
    D: 1n << BigInt(E),
  };
}

/** The exact state of rationals given as numerator/denominator pairs (denominators > 0). */
export function stateOfFractions(x: readonly { num: bigint; den: bigint }[]): ExactState {
  let D = 1n;
  for (const f of x) D = (D / gcd(D, f.den)) * f.den;
  return { H: x.map((f) => (f.num * D) / f.den), D };
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Exact equality of two states. */
export function statesEqual(a: ExactState, b: ExactState): boolean {
  if (a.H.length !== b.H.length) return false;
  for (let i = 0; i < a.H.length; i++) if (a.H[i] * b.D !== b.H[i] * a.D) return false;
  return true;
}

/** The integer form of a layer's affine part, cached per layer object. */
const intCache = new WeakMap<DenseLayerSpec, IntegerLayer>();
function intsOf(layer: DenseLayerSpec, budget: Budget = Budget.unlimited()): IntegerLayer {
  let ints = intCache.get(layer);
  if (!ints) {
    // The explicit matrix (built within the budget for a convolution, batch norm or reshape).
    const W = layerMatrix(layer, budget, "a layer of the exact forward pass");
    const m = layerOutputDim(layer);
    budget.reserve("the exact integer form of a layer", 64 * m * (W[0].length + 1));
    const b = layer.b ?? new Array<number>(m).fill(0);
    ints = dyadicRows(W, b);
    intCache.set(layer, ints);
  }
  return ints;
}

/** True when the layer's map is rational (exactly computable here). */
export function isRationalLayer(layer: DenseLayerSpec): boolean {
  return (
    layer.reshape !== undefined ||
    layer.activation === "relu" ||
    layer.activation === "linear" ||
    layer.activation === "leaky_relu"
  );
}

/** Applies one rational layer exactly. */
export function applyLayerExact(layer: DenseLayerSpec, h: ExactState, budget?: Budget): ExactState {
  if (layer.reshape) return { H: h.H.slice(), D: h.D };
  const ints = intsOf(layer, budget);
  const m = ints.W.length;
  let smax = 0;
  for (const s of ints.shift) smax = Math.max(smax, s);
  // a_i = (Wint_i H + bint_i D) / (D 2^s_i) = (…) 2^(smax − s_i) / (D 2^smax)
  const A: bigint[] = new Array<bigint>(m);
  for (let i = 0; i < m; i++) {
    if ((i & 255) === 0) budget?.check("the exact forward pass");
    const row = ints.W[i];
    let s = ints.b[i] * h.D;
    if (layer.batchnorm) s += row[i] * h.H[i];
    else for (let j = 0; j < row.length; j++) if (row[j] !== 0n && h.H[j] !== 0n) s += row[j] * h.H[j];
    A[i] = s << BigInt(smax - ints.shift[i]);
  }
  let D = h.D << BigInt(smax);
  if (layer.activation === "relu") for (let i = 0; i < m; i++) if (A[i] < 0n) A[i] = 0n;
  if (layer.activation === "leaky_relu") {
    const a = dyadicOf(layer.alpha ?? 0.01);
    // alpha = an · 2^ae. Over the denominator D · 2^k (k = max(0, −ae)): positive entries × 2^k,
    // negative entries × an · 2^(ae + k).
    const k = Math.max(0, -a.exp);
    for (let i = 0; i < m; i++) A[i] = A[i] >= 0n ? A[i] << BigInt(k) : (A[i] * a.num) << BigInt(a.exp + k);
    D <<= BigInt(k);
  }
  return { H: A, D };
}

/** Result of {@link exactCollision}. */
export interface ExactCollisionCheck {
  /** True: N(x1) = N(x2) holds exactly. False: it does not, or it could not be decided (see `decided`). */
  collides: boolean;
  /** False when a tanh or sigmoid was reached with different states (not computable exactly). */
  decided: boolean;
  /** The first layer after which the two states coincide (when `collides`). */
  equalAfter?: number;
  reason: string;
}

/**
 * Decides N(x1) = N(x2) exactly for x1 ≠ x2 (see the module header).
 * @param x1 first input (exact state)
 * @param x2 second input (exact state)
 */
export function exactCollision(
  net: Network,
  x1: ExactState,
  x2: ExactState,
  budget?: Budget,
): ExactCollisionCheck {
  if (statesEqual(x1, x2)) return { collides: false, decided: true, reason: "x1 and x2 are the same point" };
  let a = x1;
  let b = x2;
  for (let l = 0; l < net.layers.length; l++) {
    const layer = net.layers[l];
    if (!isRationalLayer(layer))
      return {
        collides: false,
        decided: false,
        reason: `the states differ before layer ${l} (${layer.activation}), which is not rational, so the pair cannot be checked exactly`,
      };
    a = applyLayerExact(layer, a, budget);
    b = applyLayerExact(layer, b, budget);
    if (statesEqual(a, b))
      return {
        collides: true,
        decided: true,
        equalAfter: l,
        reason: `the states agree exactly after layer ${l}, so every later layer maps them alike`,
      };
  }
  return { collides: false, decided: true, reason: "the outputs differ in exact arithmetic" };
}

/**
 * Indices of n rows of W (shape m × n, integers) that are independent mod p (hence over the
 * rationals), preferring the given order; fewer when the rank mod p is below n.
 */
function independentRows(W: readonly (readonly bigint[])[], rows: readonly number[], n: number): number[] {
  const p = PRIMES[0];
  const basis: { pivot: number; v: Float64Array }[] = [];
  const chosen: number[] = [];
  const Rm = reduceRows(
    rows.map((i) => W[i]),
    n,
    p,
  );
  for (let t = 0; t < rows.length && chosen.length < n; t++) {
    const v = Rm.slice(t * n, (t + 1) * n);
    for (const bv of basis) {
      const f = v[bv.pivot];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        let x = v[j] - mulMod(f, bv.v[j], p);
        if (x < 0) x += p;
        v[j] = x;
      }
    }
    const piv = v.findIndex((x) => x !== 0);
    if (piv < 0) continue;
    const inv = invMod(v[piv], p);
    for (let j = 0; j < n; j++) v[j] = mulMod(v[j], inv, p);
    basis.push({ pivot: piv, v });
    chosen.push(rows[t]);
  }
  return chosen;
}

/**
 * Inverts one rational layer exactly at an exact output y: a point x with layer(x) = y exactly, or
 * null. ReLU rows with y_i > 0 (all rows for linear and leaky ReLU, after undoing the slope) are
 * equations; n independent ones are solved exactly (the float guess `hint` fills free variables
 * when there are fewer), and the result is checked by an exact forward pass.
 */
export function invertLayerExact(
  layer: DenseLayerSpec,
  y: ExactState,
  hint: ArrayLike<number> | undefined,
  budget?: Budget,
): ExactState | null {
  if (layer.reshape) return { H: y.H.slice(), D: y.D };
  if (!isRationalLayer(layer)) return null;
  const ints = intsOf(layer, budget);
  const n = ints.W[0].length;
  // Pre-activations z = Z / Dz: undo the activation entrywise.
  let Z = y.H.slice();
  let Dz = y.D;
  if (layer.activation === "leaky_relu") {
    const a = dyadicOf(layer.alpha ?? 0.01);
    // z = y for y >= 0, y / alpha for y < 0; alpha = an·2^ae, so y/alpha = y·2^−ae / an.
    const an = a.num < 0n ? -a.num : a.num;
    const k = Math.max(0, a.exp);
    Z = Z.map((v) => (v >= 0n ? (v * an) << BigInt(k) : v << BigInt(k - a.exp)));
    Dz = (Dz * an) << BigInt(k);
    if (a.num < 0n) return null;
  }
  const eq: number[] = [];
  for (let i = 0; i < Z.length; i++) if (layer.activation !== "relu" || Z[i] > 0n) eq.push(i);
  const rows = independentRows(ints.W, eq, n);
  // Equations Wint_i x = (z_i − b_i) 2^s_i, i.e. Wint_i (Dz x) = Z_i 2^s_i − bint_i Dz.
  const M = rows.map((i) => ints.W[i]);
  const e = rows.map((i) => (Z[i] << BigInt(ints.shift[i])) - ints.b[i] * Dz);
  if (rows.length === 0) return null;
  budget?.check("the exact inversion");
  // The hint, scaled to the unknown X = Dz·x (only its free variables matter).
  const scale = bitLength(Dz) < 1000 ? Number(Dz) : 0;
  const sol = solveIntegerSystem(M, e, hint ? Array.from(hint, (v) => v * scale) : []);
  if (!sol) return null;
  // x = X / Dz = Y / (L · Dz).
  const x: ExactState = { H: sol.Y, D: sol.L * Dz };
  const back = applyLayerExact(layer, x, budget);
  return statesEqual(back, y) ? x : null;
}

/**
 * Inverts the first `l` layers exactly at the state h (the input of layer l): an input z with
 * N_{<l}(z) = h exactly, or null (not in the range, a non-rational layer, or not found).
 * @param hints float guesses of the intermediate inputs, by layer (optional)
 */
export function invertPrefixExact(
  net: Network,
  l: number,
  h: ExactState,
  hints?: readonly (ArrayLike<number> | undefined)[],
  budget?: Budget,
): ExactState | null {
  let y = h;
  for (let j = l - 1; j >= 0; j--) {
    const x = invertLayerExact(net.layers[j], y, hints?.[j], budget);
    if (!x) return null;
    y = x;
  }
  return y;
}

/** A state as exact fraction strings "p/q" and their nearest doubles. */
export function describeState(s: ExactState): { values: number[]; exact: string[]; representable: boolean } {
  const values: number[] = [];
  const exact: string[] = [];
  let representable = true;
  for (const v of s.H) {
    const g = gcd(v, s.D);
    const num = g > 1n ? v / g : v;
    const den = g > 1n ? s.D / g : s.D;
    exact.push(den === 1n ? num.toString() : `${num}/${den}`);
    const f = ratioToNumber(num, den);
    values.push(f);
    // A double iff den is a power of two and num fits the mantissa (checked by a round trip).
    const d = dyadicOf(f);
    const back = d.exp >= 0 ? d.num << BigInt(d.exp) : d.num;
    const backDen = d.exp >= 0 ? 1n : 1n << BigInt(-d.exp);
    if (back * den !== num * backDen) representable = false;
  }
  return { values, exact, representable };
}

/**
 * A collision from a rank-deficient Jacobian: at an input z where the layers 0 … l are linear on a
 * neighbourhood (no pre-activation exactly 0), the map N_{≤l} is z' ↦ N_{≤l}(z) + J (z' − z) nearby,
 * with J exact (products of the integer weights and the activation slopes at z). If rank J < n, an
 * exact null vector u of J gives N_{≤l}(z + t u) = N_{≤l}(z) for small t = 2^−q, hence a collision of
 * the whole network; q grows until an exact forward pass confirms it.
 * @returns the pair, or null (a non-rational layer up to l, J of full rank, or a kink at z)
 */
export function jacobianCollision(
  net: Network,
  l: number,
  z: ArrayLike<number>,
  budget?: Budget,
): { s1: ExactState; s2: ExactState } | null {
  const n = net.inputDim;
  // The Jacobians are dense (width × n) tables of integers: reserve them before building any
  // (about 48 bytes per BigInt entry; without a budget, the default memory limit applies).
  let widest = n;
  for (let k = 0; k <= l; k++) widest = Math.max(widest, layerOutputDim(net.layers[k]));
  (budget ?? Budget.unlimited()).reserve(
    "the exact Jacobian of the layers up to a non-injective one",
    48 * 2 * widest * n,
  );
  let h = stateOf(z);
  // J = Jint / 2^e (rows: outputs of the current layer, columns: the n inputs).
  let J: bigint[][] = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1n : 0n)),
  );
  for (let k = 0; k <= l; k++) {
    const layer = net.layers[k];
    if (!isRationalLayer(layer)) return null;
    budget?.check("the exact Jacobian");
    const next = applyLayerExact(layer, h, budget);
    if (layer.reshape) {
      h = next;
      continue;
    }
    const ints = intsOf(layer, budget);
    let smax = 0;
    for (const s of ints.shift) smax = Math.max(smax, s);
    // Pre-activation signs at z: the state after a linear map, before the activation.
    const pre = applyLayerExact({ ...layer, activation: "linear" }, h, budget);
    const alpha = dyadicOf(layer.alpha ?? 0.01);
    const kAlpha = layer.activation === "leaky_relu" ? Math.max(0, -alpha.exp) : 0;
    const rows: bigint[][] = [];
    for (let i = 0; i < ints.W.length; i++) {
      const row = ints.W[i];
      const out = new Array<bigint>(n).fill(0n);
      if (layer.batchnorm) {
        for (let j = 0; j < n; j++) out[j] = row[i] * J[i][j];
      } else {
        for (let t = 0; t < row.length; t++) {
          const w = row[t];
          if (w === 0n) continue;
          const Jt = J[t];
          for (let j = 0; j < n; j++) if (Jt[j] !== 0n) out[j] += w * Jt[j];
        }
      }
      const sh = BigInt(smax - ints.shift[i]);
      const sign = pre.H[i] > 0n ? 1 : pre.H[i] < 0n ? -1 : 0;
      if (sign === 0 && layer.activation !== "linear") return null; // a kink at z
      for (let j = 0; j < n; j++) {
        let v = out[j] << sh;
        if (layer.activation === "relu" && sign < 0) v = 0n;
        if (layer.activation === "leaky_relu")
          v = sign > 0 ? v << BigInt(kAlpha) : (v * alpha.num) << BigInt(alpha.exp + kAlpha);
        out[j] = v;
      }
      rows.push(out);
    }
    J = rows;
    h = next;
  }
  const span = new ExactSpan(n);
  for (const row of J) if (span.add(row) && span.rank === n) return null;
  const u = span.orthogonalVector();
  const x = stateOf(z);
  let uBits = 0;
  for (const e of u) uBits = Math.max(uBits, bitLength(e));
  for (let q = uBits + 2; q <= uBits + 80; q += 6) {
    // z2 = z + 2^−q u over the denominator D · 2^q.
    const s2: ExactState = { H: x.H.map((e, j) => (e << BigInt(q)) + u[j] * x.D), D: x.D << BigInt(q) };
    if (exactCollision(net, x, s2, budget).collides) return { s1: x, s2 };
  }
  return null;
}
