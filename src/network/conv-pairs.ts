/**
 * Recognises the paper's paired filters in a convolution record: output channels that come in
 * pairs (C_k, −λ_k·C_k), λ_k > 0, exactly, with biases (β1, β2) that keep one channel of each pair
 * active (λ·β1 + β2 ≥ 0). This is Corollary 2's [B; −DB] with B the convolution of the filters C
 * (the injective DCGAN of Section 4 uses λ = s²; src/tfjs's InjectiveConv2d(Transpose) and a
 * PyTorch export of such a generator produce it). At every input one row of each pair is active
 * (Theorem 1 with bias: the two half-lines t ≥ −β1 and t ≤ β2/λ cover R), so:
 *
 * - if every output channel is paired, ReLU of the layer is injective on R^n **iff** the
 *   convolution of the filters C alone (one per pair) has full column rank n: the active rows
 *   always contain a nonzero multiple of every row of B; and a null vector v of B is orthogonal to
 *   every row, so x and x + v collide;
 * - with unpaired channels as well, full column rank of B is still sufficient (extra rows never
 *   hurt), and its failure decides nothing.
 *
 * Every test here is exact: the entries are compared as dyadic rationals (the products of two
 * doubles in BigInt arithmetic), and the bias condition likewise, so a pair that is antiparallel
 * only up to rounding (a float32 product −s²·C computed by a framework) is not a pair. The rank of
 * B is decided by the caller, exactly (src/network/check-network.ts, rule `conv-pairs`).
 */

import { dyadicOf, type Dyadic } from "../core/exact.js";
import { convGeometry, type ConvParams } from "../model/conv-layer.js";

/** The pairs found by {@link findConvPairs}. */
export interface ConvPairing {
  /** Output channel pairs [a, b] with filter_b = −λ·filter_a, λ > 0, and λ·β_a + β_b ≥ 0. */
  pairs: [number, number][];
  /** Output channels in no pair. */
  unpaired: number[];
  /** The number of output channels. */
  channels: number;
}

function times(a: Dyadic, b: Dyadic): Dyadic {
  return { num: a.num * b.num, exp: a.exp + b.exp };
}

function cmp(a: Dyadic, b: Dyadic): number {
  const e = Math.min(a.exp, b.exp);
  const x = a.num << BigInt(a.exp - e);
  const y = b.num << BigInt(b.exp - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The filter of every output channel (its entries over input channels and kernel offsets) of a
 * convolution record, in the record's layout: conv (q, c, kh[, kw]), conv_transpose (c, q, kh[, kw]).
 */
export function outputFilters(p: ConvParams): number[][] {
  const g = convGeometry("outputFilters()", "conv", p);
  const kk = g.kSize.reduce((a, v) => a * v, 1);
  const { q, c, flat } = g;
  return Array.from({ length: q }, (_, o) => {
    const f = new Array<number>(c * kk);
    for (let ch = 0; ch < c; ch++)
      for (let t = 0; t < kk; t++)
        f[ch * kk + t] = p.op === "conv" ? flat[(o * c + ch) * kk + t] : flat[(ch * q + o) * kk + t];
    return f;
  });
}

/**
 * The exact pairs of output channels of a convolution record (see the module comment). Channels
 * are grouped by their direction up to sign (a rounded key; a genuine pair whose key rounds apart
 * is only missed, never invented: every pair is then confirmed exactly), and inside a group each
 * channel is matched greedily with the first opposite channel whose bias condition holds.
 * @returns the pairs (possibly none) and the unpaired channels
 */
export function findConvPairs(p: ConvParams): ConvPairing {
  return findRowPairs(outputFilters(p), p.bias ?? null);
}

/**
 * The exact pairs among the rows of a matrix (a dense layer's rows, or a convolution's filters):
 * rows b = −λ·a, λ > 0, exactly, with biases that keep one row of each pair active
 * (λ·β_a + β_b ≥ 0, exactly). Corollary 2's [B; −DB] with the biases of src/tfjs's InjectiveDense.
 */
export function findRowPairs(filters: number[][], biases: readonly number[] | null): ConvPairing {
  const q = filters.length;
  const bias = (o: number): number => biases?.[o] ?? 0;
  // Direction keys: the filter divided by its first nonzero entry's magnitude, rounded; and the sign.
  const groups = new Map<string, number[]>();
  const lead = new Array<number>(q).fill(-1);
  filters.forEach((f, o) => {
    const t0 = f.findIndex((v) => v !== 0);
    lead[o] = t0;
    if (t0 < 0) return; // a zero filter pairs with nothing
    const s = f[t0];
    const key = `${t0}:${f.map((v) => (v / s).toPrecision(10)).join(",")}`;
    const list = groups.get(key);
    if (list) list.push(o);
    else groups.set(key, [o]);
  });
  const used = new Uint8Array(q);
  const pairs: [number, number][] = [];
  const dy = filters.map((f) => f.map(dyadicOf));
  /** filter_b = −λ·filter_a with λ > 0, exactly: b[t]·a[t0] = a[t]·b[t0] for every t, opposite signs at t0. */
  const antiparallel = (a: number, b: number): boolean => {
    const t0 = lead[a];
    if (lead[b] !== t0 || Math.sign(filters[a][t0]) === Math.sign(filters[b][t0])) return false;
    const fa = dy[a];
    const fb = dy[b];
    for (let t = 0; t < fa.length; t++)
      if (cmp(times(fb[t], fa[t0]), times(fa[t], fb[t0])) !== 0) return false;
    return true;
  };
  /** λ·β_a + β_b ≥ 0 with λ = −b[t0]/a[t0], i.e. β_a·(−b[t0]) + β_b·a[t0] ≥ 0 times sign(a[t0]). */
  const covers = (a: number, b: number): boolean => {
    const t0 = lead[a];
    const ba = dyadicOf(bias(a));
    const bb = dyadicOf(bias(b));
    const minusBt0 = dyadicOf(-filters[b][t0]);
    const lhs = times(ba, minusBt0);
    const rhs = times(bb, dy[a][t0]);
    // lhs + rhs ≥ 0 (when a[t0] > 0) or ≤ 0 (when a[t0] < 0): compare lhs with −rhs.
    const c = cmp(lhs, { num: -rhs.num, exp: rhs.exp });
    return filters[a][t0] > 0 ? c >= 0 : c <= 0;
  };
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    for (const a of members) {
      if (used[a]) continue;
      for (const b of members) {
        if (b === a || used[b]) continue;
        if (antiparallel(a, b) && covers(a, b)) {
          used[a] = 1;
          used[b] = 1;
          pairs.push([a, b]);
          break;
        }
      }
    }
  }
  const unpaired: number[] = [];
  for (let o = 0; o < q; o++) if (!used[o]) unpaired.push(o);
  return { pairs, unpaired, channels: q };
}

/**
 * The convolution record that keeps only the given output channels (one filter per pair: the
 * matrix B of the module comment), without bias.
 */
export function subRecord(p: ConvParams, channels: number[]): ConvParams {
  const k = p.kernels as unknown as unknown[][];
  const kernels =
    p.op === "conv" ? channels.map((o) => k[o]) : k.map((perInput) => channels.map((o) => perInput[o]));
  return {
    op: p.op,
    inputShape: p.inputShape.slice(),
    kernels: kernels as unknown as ConvParams["kernels"],
    stride: p.stride.slice(),
    padding: p.padding.slice(),
  };
}
