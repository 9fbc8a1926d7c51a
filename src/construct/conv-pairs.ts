/**
 * The injective-GAN construction of the paper (Section 4): convolution filters in pairs
 * [C; −s²C], s > 0, i.e. Corollary 2's [B; −DB] with B the convolution operator of the kernels C
 * (Definitions 2–3, src/core/convolution.ts) and D = s²·I.
 *
 * When is the layer injective? Its rows come in antiparallel pairs (w, −s²w), and one row of each
 * pair is active at every input, so the active rows always span the row space of B (the structure
 * test of src/core/structure.ts). Hence, exactly:
 *
 *     ReLU([C; −s²C] ·) is injective  ⟺  B = convMatrix(C) has full column rank c·ΠN,
 *
 * for every s > 0 (s plays no role). B has p·ΠN rows for p pairs and c channels, so p >= c is
 * necessary (with p < c the layer has fewer than 2n rows: Corollary 2). The rank of B has a
 * closed form for both boundary conditions ({@link analyzePairedConv}):
 *
 * - zero boundary (kernel anchored as in Definition 2): output j sees inputs j … j + O − 1, so the
 *   last output position sees only the last input position, through the *anchor matrix*
 *   A[f][ch] = K[f, ch, O − 1] (the last kernel entry; in 2-D the bottom-right one). Going backwards
 *   in C order, every position is then seen through A: B has full column rank iff rank A = c,
 *   whatever the signal size and the other kernel entries.
 * - periodic boundary: B is block-circulant, diagonalized by the DFT. B has full column rank iff
 *   the p×c symbol K̂(ω) = Σ_i K[·, ·, O − 1 − i]·e^{2πi ⟨ω, i/N⟩} has rank c at every frequency ω
 *   of the N grid, so the verdict depends on N (e.g. C = [1, 1] is injective iff N is odd).
 *
 * Theorem 4 cannot prove any of these layers when p = c and O > 1 (every box matrix has fewer
 * than 2n rows, see src/core/theorem4.ts); docs/convolutions.md has the table.
 */

import { Matrix, SingularValueDecomposition } from "ml-matrix";
import {
  type Boundary,
  type ConvSpec,
  type ConvSpecOptions,
  convSpec,
  validateConvSpec,
} from "../core/convolution.js";
import { assertRange, assertType } from "../core/validate.js";
import { validateTolerance } from "../core/numerics.js";

/**
 * The paired-filter layer [C; −s²C].
 *
 * @param kernels the p kernels C, shape (p, c, O_1) in 1-D or (p, c, O_1, O_2) in 2-D
 * @param s the positive scalar of the construction (−s²C are the second halves of the pairs)
 * @param options `signal` (N_1[, N_2]), `boundary` (default "zero"), `channels` (checked if given)
 * @returns a {@link ConvSpec} with q = 2p filters: filter f < p is C_f, filter p + f is −s²·C_f,
 *   with s² rounded to float32. The pairs are exactly antiparallel when the products are exact:
 *   for float32 kernels, or s² a power of two. Otherwise (or when −s²·c underflows, as for
 *   5e-324) the layer as given is only within rounding of [C; −s²C], and the exact verifier decides
 *   that matrix, not the ideal one.
 *
 * @example
 * pairedConvSpec([[[1, 2]]], 0.5, { signal: [8] }); // filters [1, 2] and [−0.25, −0.5]
 */
export function pairedConvSpec(kernels: unknown, s: number, options: ConvSpecOptions): ConvSpec {
  const fn = "pairedConvSpec()";
  assertType(typeof s === "number", () => `${fn}: s must be a number, got ${typeof s}`);
  assertRange(Number.isFinite(s) && s > 0, () => `${fn}: s must be a positive number, got ${s}`);
  const base = withFn(fn, () => convSpec(kernels, options));
  const { filters: p, channels: c, kernelSize } = base;
  const size = c * kernelSize.reduce((a, b) => a * b, 1);
  const K = new Float64Array(2 * p * size);
  K.set(base.kernels, 0);
  // s² is rounded to float32, so that −s²·c is exact in float64 for float32 kernels (trained weights):
  // the pairs are then exactly antiparallel, which the exact verifier requires.
  const s2 = Math.fround(s * s);
  for (let k = 0; k < p * size; k++) K[p * size + k] = base.kernels[k] === 0 ? 0 : -s2 * base.kernels[k];
  return validateConvSpec(fn, { ...base, filters: 2 * p, kernels: K });
}

/** Re-labels validation errors of convSpec() with the calling function's name. */
function withFn<T>(fn: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("convSpec(): "))
      e.message = `${fn}: ${e.message.slice(12)}`;
    throw e;
  }
}

/** Result of {@link analyzePairedConv}. */
export interface PairedConvAnalysis {
  /** Whether ReLU([C; −s²C] ·) is injective on R^n (for every s > 0). */
  injective: boolean;
  /** Number of pairs p (kernels C). */
  pairs: number;
  /** Number of input channels c. */
  channels: number;
  boundary: Boundary;
  /**
   * Which rule decided: `too-few-pairs` (p < c: fewer than 2n rows, Corollary 2), `anchor-rank`
   * (zero boundary: rank of the anchor matrix), `symbol-rank` (periodic: rank of the DFT symbol).
   */
  rule: "too-few-pairs" | "anchor-rank" | "symbol-rank";
  /** Rank of the anchor matrix (zero) or the smallest rank of the symbol over the frequencies (periodic). */
  rank: number;
  /** Periodic boundary: a frequency ω (multi-index, 0 <= ω < N) where the symbol has rank < c. */
  singularFrequency?: number[];
  /** In words. */
  reason: string;
}

/**
 * Numerical rank of a real matrix (rows): singular values above `tol` (the rows are built from
 * unit-norm filters, so the threshold is absolute; a symbol that vanishes up to rounding, like
 * 1 + e^{iπ}, then has rank 0 rather than 1).
 */
function rankOf(rows: number[][], tol: number): number {
  if (rows.length === 0 || rows[0].length === 0) return 0;
  const svd = new SingularValueDecomposition(new Matrix(rows), { autoTranspose: true });
  return svd.diagonal.filter((v) => v > tol).length;
}

/**
 * The exact injectivity verdict of the paired layer [C; −s²C] from a closed form (see the module
 * header): p >= c, and then rank A = c (zero boundary, A = the anchor entries K[f, ch, O − 1]) or
 * rank K̂(ω) = c at every frequency ω of the N grid (periodic boundary). Cost: one p×c rank
 * (zero) or ΠN of them (periodic), instead of an injectivity check of a (2p·ΠN)×(c·ΠN) matrix.
 *
 * @param kernels the p kernels C, shape (p, c, O_1[, O_2]) (as for {@link pairedConvSpec})
 * @param options `signal`, `boundary` (default "zero"); `tolerance`: rank tolerance on unit-norm filters (default 1e-9)
 */
export function analyzePairedConv(
  kernels: unknown,
  options: ConvSpecOptions & { tolerance?: number },
): PairedConvAnalysis {
  const fn = "analyzePairedConv()";
  const spec = withFn(fn, () => convSpec(kernels, options));
  const tol = validateTolerance(fn, options.tolerance);
  const { filters: p, channels: c, kernelSize: O, signal: N, boundary, kernels: K } = spec;
  const nOff = O.reduce((a, b) => a * b, 1);
  const base = { pairs: p, channels: c, boundary };
  if (p < c) {
    return {
      ...base,
      injective: false,
      rule: "too-few-pairs",
      rank: Math.min(p, c),
      reason: `Not injective: p = ${p} pairs < c = ${c} channels, so the layer has 2p·ΠN < 2c·ΠN = 2n rows (Corollary 2).`,
    };
  }
  // Injectivity does not change when a filter pair is scaled by a positive number, so every filter
  // is scaled to unit norm (as checkLayer scales rows): ranks are then scale-free.
  const size = c * nOff;
  const unit = new Float64Array(K.length);
  for (let f = 0; f < p; f++) {
    let big = 0;
    for (let t = 0; t < size; t++) big = Math.max(big, Math.abs(K[f * size + t]));
    if (big === 0) continue;
    let norm = 0;
    for (let t = 0; t < size; t++) norm += (K[f * size + t] / big) ** 2;
    norm = big * Math.sqrt(norm);
    for (let t = 0; t < size; t++) unit[f * size + t] = K[f * size + t] / big / (norm / big);
  }
  // K[f, ch, flat] for the kernel offset flat (C order over O), filters of unit norm.
  const k = (f: number, ch: number, flat: number): number => unit[(f * c + ch) * nOff + flat];
  if (boundary === "zero") {
    const A = Array.from({ length: p }, (_, f) => Array.from({ length: c }, (_, ch) => k(f, ch, nOff - 1)));
    const rank = rankOf(A, tol);
    const where = O.length === 1 ? `K[·, ·, ${O[0] - 1}]` : `K[·, ·, ${O[0] - 1}, ${O[1] - 1}]`;
    return {
      ...base,
      injective: rank === c,
      rule: "anchor-rank",
      rank,
      reason:
        rank === c
          ? `Injective: the anchor matrix ${where} (the last kernel entries, the only ones that see the last input position) has rank c = ${c}, so B has full column rank for every signal size (zero boundary).`
          : `Not injective: the anchor matrix ${where} has rank ${rank} < c = ${c}; an input supported on the first position with channel vector in its null space is mapped to 0 by B (zero boundary).`,
    };
  }
  // Periodic: the symbol at frequency ω is Σ_i K[f, ch, O−1−i] e^{2πi <ω, i/N>} (i over kernel offsets).
  const dims = N.length;
  const nFreq = N.reduce((a, b) => a * b, 1);
  const offsets: number[][] = [];
  for (let flat = 0; flat < nOff; flat++) {
    offsets.push(dims === 1 ? [flat] : [Math.floor(flat / O[1]), flat % O[1]]);
  }
  let minRank = c;
  let singular: number[] | undefined;
  for (let w = 0; w < nFreq && minRank === c; w++) {
    const omega = dims === 1 ? [w] : [Math.floor(w / N[1]), w % N[1]];
    // Real embedding [[Re, −Im], [Im, Re]] of the complex p×c symbol: its rank is twice the complex rank.
    const re = Array.from({ length: p }, () => new Array<number>(c).fill(0));
    const im = Array.from({ length: p }, () => new Array<number>(c).fill(0));
    for (let flat = 0; flat < nOff; flat++) {
      const i = offsets[flat];
      let phase = 0;
      for (let d = 0; d < dims; d++) phase += (omega[d] * i[d]) / N[d];
      const cr = Math.cos(2 * Math.PI * phase);
      const ci = Math.sin(2 * Math.PI * phase);
      for (let f = 0; f < p; f++) {
        for (let ch = 0; ch < c; ch++) {
          const v = k(f, ch, nOff - 1 - flat);
          re[f][ch] += v * cr;
          im[f][ch] += v * ci;
        }
      }
    }
    const embed = [
      ...re.map((r, f) => [...r, ...im[f].map((v) => -v)]),
      ...im.map((r, f) => [...r, ...re[f]]),
    ];
    const rank = Math.round(rankOf(embed, tol) / 2);
    if (rank < minRank) {
      minRank = rank;
      singular = omega;
    }
  }
  return {
    ...base,
    injective: minRank === c,
    rule: "symbol-rank",
    rank: minRank,
    ...(singular ? { singularFrequency: singular } : {}),
    reason:
      minRank === c
        ? `Injective: the DFT symbol of the kernels has rank c = ${c} at all ${nFreq} frequencies of the ${N.join("×")} grid, so B has full column rank (periodic boundary).`
        : `Not injective: at the frequency ω = (${singular!.join(", ")}) of the ${N.join("×")} grid the DFT symbol of the kernels has rank ${minRank} < c = ${c}; the corresponding (real part of the) Fourier mode is mapped to 0 by B (periodic boundary).`,
  };
}
