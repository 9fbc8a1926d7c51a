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
 * A per-channel affine map after the convolution (a batch norm, `after` of {@link findConvPairs})
 * scales the two channels of a pair independently: they stay opposite when their scales have the
 * same sign, and their batch-normed biases may then fail the condition, which leaves a *dead zone*
 * (a slab of inputs where both channels are zero); such pairs are reported, not used.
 *
 * Every test here is exact: the entries are compared as dyadic rationals (the products of two
 * doubles in BigInt arithmetic), and the bias condition likewise, so a pair that is antiparallel
 * only up to rounding (a float32 product −s²·C computed by a framework) is not a pair. The rank of
 * B is decided by the caller, exactly (src/network/check-network.ts, rule `conv-pairs`).
 */

import { dyadicOf, dyadicToNumber, type Dyadic } from "../core/exact.js";
import { convGeometry, type ConvParams } from "../model/conv-layer.js";

/** A pair of rows (or channels) pointing in opposite directions whose active half-spaces leave a gap. */
export interface DeadZone {
  /** The two rows (channels): row b = −λ·row a, λ > 0. */
  pair: [number, number];
  /**
   * Width of the slab of inputs where both rows are inactive (both pre-activations < 0), as a
   * distance in the input space: (−β_a − β_b/λ)/‖row a‖, rounded to a double.
   */
  width: number;
}

/** The pairs found by {@link findConvPairs} and {@link findRowPairs}. */
export interface ConvPairing {
  /** Output channel pairs [a, b] with filter_b = −λ·filter_a, λ > 0, and λ·β_a + β_b ≥ 0. */
  pairs: [number, number][];
  /** Output channels in no such pair (including those of `deadZones` and `parallel`). */
  unpaired: number[];
  /** The number of output channels. */
  channels: number;
  /**
   * Opposite pairs whose biases do NOT keep one row active (λ·β_a + β_b < 0): between the two
   * hyperplanes both rows are zero (a batch norm after a paired layer can do this).
   */
  deadZones: DeadZone[];
  /**
   * Rows opposite before the per-row scales but parallel after them (a batch norm whose scales of
   * the two channels have opposite signs): they are no longer a pair.
   */
  parallel: [number, number][];
}

function times(a: Dyadic, b: Dyadic): Dyadic {
  return { num: a.num * b.num, exp: a.exp + b.exp };
}

function plus(a: Dyadic, b: Dyadic): Dyadic {
  const e = Math.min(a.exp, b.exp);
  return { num: (a.num << BigInt(a.exp - e)) + (b.num << BigInt(b.exp - e)), exp: e };
}

function cmp(a: Dyadic, b: Dyadic): number {
  const e = Math.min(a.exp, b.exp);
  const x = a.num << BigInt(a.exp - e);
  const y = b.num << BigInt(b.exp - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

function sign(a: Dyadic): number {
  return a.num > 0n ? 1 : a.num < 0n ? -1 : 0;
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
 * @param after an affine map applied per output channel after the convolution (a batch norm,
 *   ./check-network.ts): channel o becomes scale[o]·(conv_o + bias_o) + shift[o], exactly
 * @returns the pairs (possibly none), the unpaired channels and the pairs with a dead zone
 */
export function findConvPairs(p: ConvParams, after?: ChannelAffine): ConvPairing {
  const filters = outputFilters(p);
  if (!after) return pairRows(filters, (p.bias ?? []).map(dyadicOf), null);
  const bias = filters.map((_, o) =>
    plus(times(dyadicOf(after.scale[o]), dyadicOf(p.bias?.[o] ?? 0)), dyadicOf(after.shift[o])),
  );
  return pairRows(filters, bias, after.scale.map(dyadicOf));
}

/** Per-channel scale and shift applied after a layer (the dense form of a batch norm). */
export interface ChannelAffine {
  scale: readonly number[];
  shift: readonly number[];
}

/**
 * The exact pairs among the rows of a matrix (a dense layer's rows, or a convolution's filters):
 * rows b = −λ·a, λ > 0, exactly, with biases that keep one row of each pair active
 * (λ·β_a + β_b ≥ 0, exactly). Corollary 2's [B; −DB] with the biases of src/tfjs's InjectiveDense.
 */
export function findRowPairs(filters: number[][], biases: readonly number[] | null): ConvPairing {
  return pairRows(filters, (biases ?? []).map(dyadicOf), null);
}

/**
 * The pairing of the rows scale_o·filter_o with exact biases β_o (absent: 0) and scales (null: 1).
 * Two rows are opposite when their filters are exactly proportional and the scaled leading
 * entries have opposite signs; an opposite pair is a pair when λ·β_a + β_b ≥ 0 (λ > 0 the ratio),
 * and a dead zone otherwise.
 */
function pairRows(
  filters: number[][],
  biases: readonly Dyadic[],
  scales: readonly Dyadic[] | null,
): ConvPairing {
  const q = filters.length;
  const zero: Dyadic = { num: 0n, exp: 0 };
  const bias = (o: number): Dyadic => biases[o] ?? zero;
  const one: Dyadic = { num: 1n, exp: 0 };
  const scale = (o: number): Dyadic => scales?.[o] ?? one;
  // Direction keys: the filter divided by its first nonzero entry, rounded (so a and −λa share one).
  const groups = new Map<string, number[]>();
  const lead = new Array<number>(q).fill(-1);
  filters.forEach((f, o) => {
    const t0 = f.findIndex((v) => v !== 0);
    lead[o] = t0;
    if (t0 < 0 || sign(scale(o)) === 0) return; // a zero row pairs with nothing
    const s = f[t0];
    const key = `${t0}:${f.map((v) => (v / s).toPrecision(10)).join(",")}`;
    const list = groups.get(key);
    if (list) list.push(o);
    else groups.set(key, [o]);
  });
  const used = new Uint8Array(q);
  const pairs: [number, number][] = [];
  const deadZones: DeadZone[] = [];
  const parallel: [number, number][] = [];
  const dy = filters.map((f) => f.map(dyadicOf));
  /** The scaled leading entry r_o[t0] = scale_o·filter_o[t0], exactly. */
  const leadOf = (o: number): Dyadic => times(scale(o), dy[o][lead[o]]);
  /** filter_b ∥ filter_a exactly: b[t]·a[t0] = a[t]·b[t0] for every t. */
  const proportional = (a: number, b: number): boolean => {
    const t0 = lead[a];
    if (lead[b] !== t0) return false;
    const fa = dy[a];
    const fb = dy[b];
    for (let t = 0; t < fa.length; t++)
      if (cmp(times(fb[t], fa[t0]), times(fa[t], fb[t0])) !== 0) return false;
    return true;
  };
  /** sign(r_a[t0])·(β_a·(−r_b[t0]) + β_b·r_a[t0]), whose sign is that of λ·β_a + β_b. */
  const coverSign = (a: number, b: number): number => {
    const ra = leadOf(a);
    const rb = leadOf(b);
    const s = plus(times(bias(a), { num: -rb.num, exp: rb.exp }), times(bias(b), ra));
    return sign(s) * sign(ra);
  };
  const opposite = (a: number, b: number): boolean => sign(leadOf(a)) !== sign(leadOf(b));
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    for (const a of members) {
      if (used[a]) continue;
      let dead = -1;
      let flipped = -1;
      for (const b of members) {
        if (b === a || used[b] || !proportional(a, b)) continue;
        if (!opposite(a, b)) {
          // Opposite filters made parallel by the scales (or a parallel copy: not reported).
          if (flipped < 0 && Math.sign(filters[a][lead[a]]) !== Math.sign(filters[b][lead[b]])) flipped = b;
          continue;
        }
        if (coverSign(a, b) >= 0) {
          used[a] = 1;
          used[b] = 1;
          pairs.push([a, b]);
          dead = -2;
          break;
        }
        if (dead === -1) dead = b;
      }
      if (dead >= 0) {
        used[a] = 1;
        used[dead] = 1;
        deadZones.push({ pair: [a, dead], width: gapWidth(filters, a, dead, bias, scale, lead) });
      } else if (dead === -1 && flipped >= 0) {
        used[a] = 1;
        used[flipped] = 1;
        parallel.push([a, flipped]);
      }
    }
  }
  const unpaired: number[] = [];
  const inPair = new Uint8Array(q);
  for (const [a, b] of pairs) inPair[a] = inPair[b] = 1;
  for (let o = 0; o < q; o++) if (!inPair[o]) unpaired.push(o);
  return { pairs, unpaired, channels: q, deadZones, parallel };
}

/** (−β_a − β_b/λ)/‖r_a‖ in doubles, with r = scale·filter and λ = −r_b[t0]/r_a[t0]. */
function gapWidth(
  filters: number[][],
  a: number,
  b: number,
  bias: (o: number) => Dyadic,
  scale: (o: number) => Dyadic,
  lead: number[],
): number {
  const t0 = lead[a];
  const sa = dyadicToNumber(scale(a));
  const sb = dyadicToNumber(scale(b));
  const lambda = -(sb * filters[b][t0]) / (sa * filters[a][t0]);
  const norm = Math.abs(sa) * Math.hypot(...filters[a]);
  return (-dyadicToNumber(bias(a)) - dyadicToNumber(bias(b)) / lambda) / norm;
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
