/**
 * The paper's Theorem 4 (sufficient condition for injectivity of a convolutional layer), made
 * checkable, and the exact check of the full convolution matrix to compare it with.
 *
 * Theorem 4. Let W be a convolutional layer with kernels C_1, …, C_q of width O (Definitions 2–3,
 * ./convolution.ts). For a box P >= O, let Z_P(C) be the shifts of the kernel C inside the box
 * (Figure 4, equation (8)) and W|Z_P = ∪_k Z_P(C_k) (equation (9)). If W|Z_P has a directed spanning
 * set (DSS) of R^P w.r.t. every X ∈ R^P, i.e. (Theorem 1) if x ↦ ReLU(W|Z_P x) is injective, then
 * ReLU(W ·) is injective. With c input channels the box is (P, c): every row of W|Z_P has c·ΠP
 * entries, one block per channel, and only spatial shifts are taken.
 *
 * W|Z_P has q·Π(P − O + 1) rows and c·ΠP columns whatever the signal size N, so the check costs
 * the same for a 4×4 and a 512×512 image. It is only sufficient: a box that is not injective
 * proves nothing about W, and {@link checkConv} then answers `null`, never `false`.
 *
 * Why it holds (and why it was checked against the exact verifier anyway, see
 * docs/convolutions.md): for x ∈ R^N and a window B of size P inside the signal, the rows of W
 * whose kernel lies inside B are exactly W|Z_P acting on x|B, with the same signs. If a direction v
 * is orthogonal to every active row of W at x, v|B is orthogonal to every active row of W|Z_P at
 * x|B; those span R^P, so v|B = 0, and the windows cover the signal. For P larger than the signal,
 * the same argument works on the periodic extension of x (periodic boundary) or on x padded with
 * zeros, with the window starting at position 0 (zero boundary, kernels anchored as in
 * Definition 2: box rows beyond the signal see only zeros of x and of v).
 */

import type { CheckLayerOptions, Domain, LayerCheckResult, Method } from "./types.js";
import { Budget, formatCount, isResourceLimitError, matrixBytes } from "./budget.js";
import { checkLayerWithin, limitedLayerResult } from "./check-layer.js";
import {
  assertRange,
  validateCallback,
  validateDomain,
  validateOptions,
  validatePositive,
  validateSeed,
  validateTimeLimit,
} from "./validate.js";
import {
  type Boundary,
  type ConvSpec,
  convMatrix,
  convMatrixSize,
  validateConvSpec,
  validateSizes,
} from "./convolution.js";
import { validateTolerance } from "./numerics.js";

/**
 * Boundary conditions for which a box proof is trusted. Theorem 4 was compared with the exact
 * check of the full matrix on random small layers with both boundaries (tests/core/theorem4.test.ts,
 * docs/convolutions.md) and never disagreed, in line with the proof sketched in the header.
 */
export const THEOREM4_TRUSTED_BOUNDARIES: readonly Boundary[] = ["zero", "periodic"];

/** Options of {@link checkConv}. */
export interface CheckConvOptions {
  /**
   * A fixed box P (one entry per spatial dimension, P >= O). When absent, boxes are tried
   * automatically: P = O + t in every dimension (clipped to `maxBox`), t = 0, 1, 2, …, stopping at
   * the first box that is proved injective.
   */
  box?: readonly number[];
  /** Largest box tried automatically. @default min(N, O + 6) in every dimension */
  maxBox?: readonly number[];
  /**
   * Automatic boxes stop growing when W|Z_P would have more columns (c·ΠP) than this; the box
   * P = O is always tried. @default 12
   */
  maxBoxColumns?: number;
  /**
   * Time limit of each automatic box, in ms. A box whose check runs out of time answers unknown,
   * and no larger box is tried (it would cost more). Not used with a fixed `box`.
   * @default 2000
   */
  boxTimeLimitMs?: number;
  /** Input domain of the layer (Remark 1), used for the box. @default "all" */
  domain?: Domain;
  /** Method of {@link checkLayer} on each box. @default "auto" */
  method?: Method;
  /** Wall-clock limit for all boxes together, in ms; a box cut short answers unknown. @default Infinity */
  timeLimitMs?: number;
  /** As in {@link CheckLayerOptions}. @default 1e-9 */
  tolerance?: number;
  /** As in {@link CheckLayerOptions}. @default "auto" */
  exact?: "auto";
  /** As in {@link CheckLayerOptions}. @default 1 */
  seed?: number;
  /** Cancels the search (the verdict is then `null`). */
  signal?: AbortSignal;
  /**
   * Memory limit in bytes for a box matrix W|Z_P and its check (a large fixed `box` can exceed
   * it); a box above it answers unknown, naming the stage. @default 2 GiB
   */
  memoryLimitBytes?: number;
  /** Progress of the box checks, as in {@link CheckLayerOptions}. */
  onProgress?: CheckLayerOptions["onProgress"];
}

/** One box tried by {@link checkConv}. */
export interface BoxTry {
  /** The box P (spatial sizes). */
  box: number[];
  /** Shape of W|Z_P: m = q·Π(P − O + 1) rows, n = c·ΠP columns. */
  m: number;
  n: number;
  /**
   * Verdict on x ↦ ReLU(W|Z_P x): true (so W is injective by Theorem 4), false (the box is not
   * injective: this says nothing about W), null (unknown, e.g. the time limit).
   */
  injective: boolean | null;
  /** `counting` when m < 2n settled it without a search (Corollary 2), else checkLayer's method. */
  method: LayerCheckResult["method"] | "counting";
  reason: string;
  timeMs: number;
}

/** Result of {@link checkConv}. */
export interface ConvCheckResult {
  /** true: injective (proved by Theorem 4); null: not proved. Never false: the test is only sufficient. */
  injective: true | null;
  theorem: "Theorem 4";
  /** Always true: a box that is not injective proves nothing about the layer. */
  sufficientOnly: true;
  /** The box of the deciding try (the proving box, or the last box checked when none proved it). */
  box: number[];
  /** Shape of W|Z_P for that box. */
  boxMatrixSize: { m: number; n: number };
  /** checkLayer's result on W|Z_P for that box (with its certificate or witness, for the box). */
  layerCheck: LayerCheckResult;
  /** Every box considered, in order. */
  tries: BoxTry[];
  /**
   * False when no box can ever be injective: W|Z_P has q·Π(P − O + 1) < k·c·ΠP rows for every
   * P, with k = 2 on R^n (Corollary 2) and k = 1 on the orthant (rank). That happens exactly when
   * q <= k·c and O > 1 in some dimension, or q < k·c and O = 1.
   */
  applicable: boolean;
  /** Whether a proof by Theorem 4 is trusted for this boundary (see {@link THEOREM4_TRUSTED_BOUNDARIES}). */
  trusted: boolean;
  trustedBoundaries: readonly Boundary[];
  /** In words. */
  reason: string;
  domain: Domain;
  boundary: Boundary;
  /** Shape of the full convolution matrix (q·ΠN, c·ΠN), for comparison. */
  fullMatrixSize: { m: number; n: number };
  timeMs: number;
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Shape of W|Z_P: q·Π(P − O + 1) rows, c·ΠP columns. */
export function boxMatrixSize(spec: ConvSpec, box: readonly number[]): { m: number; n: number } {
  const fn = "boxMatrixSize()";
  validateConvSpec(fn, spec);
  const P = validateBox(fn, spec, box);
  return {
    m: spec.filters * product(P.map((p, d) => p - spec.kernelSize[d] + 1)),
    n: spec.channels * product(P),
  };
}

function validateBox(fn: string, spec: ConvSpec, box: unknown): number[] {
  const P = validateSizes(fn, "box", box, spec.signal.length);
  for (let d = 0; d < P.length; d++) {
    assertRange(
      P[d] >= spec.kernelSize[d],
      () =>
        `${fn}: box smaller than the kernel: box ${P[d]} < kernel ${spec.kernelSize[d]} in dimension ${d}`,
    );
  }
  return [...P];
}

/**
 * The box matrix W|Z_P of Theorem 4 (equation (9)): every shift of every kernel inside the box P.
 *
 * Row `f·Π(P−O+1) + flat(D)` is filter f shifted by D (0 <= D <= P − O, C order); its entry at
 * column `ch·ΠP + flat(D + i)` is `K[f, ch, O − 1 − i]`, exactly as the row of output D of the
 * convolution matrix (./convolution.ts). So W|Z_P is the set of rows of `convMatrix` on a signal of
 * size P whose kernel lies inside the signal.
 *
 * @param spec the layer (its signal size is not used)
 * @param box P, one entry per spatial dimension, P >= O
 * @param budget its memory is reserved first, the time checked between rows (default: the default
 *   memory limit, no deadline)
 * @returns rows of shape (q·Π(P − O + 1), c·ΠP)
 * @throws ResourceLimitError when the box matrix is above the memory limit or time runs out
 */
export function boxMatrix(
  spec: ConvSpec,
  box: readonly number[],
  budget: Budget = Budget.unlimited(),
): number[][] {
  const fn = "boxMatrix()";
  validateConvSpec(fn, spec);
  const P = validateBox(fn, spec, box);
  const { channels: c, filters: q, kernelSize: O, kernels } = spec;
  const dims = P.length;
  const nOff = product(O);
  const nBox = product(P);
  const shifts = P.map((p, d) => p - O[d] + 1);
  const nShift = product(shifts);
  const stage = `the ${formatCount(q * nShift)} × ${formatCount(c * nBox)} box matrix W|Z_P of the box ${P.join("×")}`;
  budget.reserve(stage, matrixBytes(q * nShift, c * nBox));
  const rows: number[][] = [];
  const D = new Array<number>(dims).fill(0);
  const i = new Array<number>(dims).fill(0);
  const flatBox = (pos: number[]): number => (dims === 1 ? pos[0] : pos[0] * P[1] + pos[1]);
  for (let f = 0; f < q; f++) {
    D.fill(0);
    for (let s = 0; s < nShift; s++) {
      if (s % 1024 === 0) budget.check(stage);
      const row = new Array<number>(c * nBox).fill(0);
      i.fill(0);
      for (let off = 0; off < nOff; off++) {
        const col = flatBox(D.map((dd, d) => dd + i[d]));
        for (let ch = 0; ch < c; ch++) row[ch * nBox + col] = kernels[(f * c + ch) * nOff + nOff - 1 - off];
        for (let d = dims - 1; d >= 0; d--) {
          if (++i[d] < O[d]) break;
          i[d] = 0;
        }
      }
      rows.push(row);
      for (let d = dims - 1; d >= 0; d--) {
        if (++D[d] < shifts[d]) break;
        D[d] = 0;
      }
    }
  }
  return rows;
}

/**
 * Necessary number of rows for an injective layer with n inputs: 2n on R^n (Corollary 2), n on
 * the nonnegative orthant (the rank; there the identity is injective, Remark 2).
 */
const minRowsFactor = (domain: Domain): number => (domain === "all" ? 2 : 1);

/**
 * True when some box P can give W|Z_P enough rows: q·Π(P − O + 1) >= k·c·ΠP with k = 2 (R^n) or
 * 1 (orthant). As Π(P − O + 1)/ΠP < 1 tends to 1, that is q > k·c, or q >= k·c when O = 1.
 */
function boxCanBeInjective(spec: ConvSpec, domain: Domain): boolean {
  const k = minRowsFactor(domain);
  if (spec.kernelSize.every((o) => o === 1)) return spec.filters >= k * spec.channels;
  return spec.filters > k * spec.channels;
}

/** The boxes tried automatically: P = min(maxBox, O + t), t = 0, 1, …, while c·ΠP <= maxColumns. */
function autoBoxes(spec: ConvSpec, maxBox: number[], maxColumns: number): number[][] {
  const boxes: number[][] = [];
  for (let t = 0; ; t++) {
    const P = spec.kernelSize.map((o, d) => Math.min(maxBox[d], o + t));
    const prev = boxes[boxes.length - 1];
    if (prev && P.every((p, d) => p === prev[d])) break;
    if (boxes.length > 0 && spec.channels * product(P) > maxColumns) break;
    boxes.push(P);
  }
  return boxes;
}

const fmtBox = (P: readonly number[]): string => P.join("×");

/**
 * Theorem 4 as a test: is x ↦ ReLU(W|Z_P x) injective for some box P? If so, the convolutional
 * layer ReLU(W ·) is injective on every signal size (for the trusted boundary conditions).
 *
 * Boxes whose W|Z_P has fewer than 2n rows (n on the orthant) are settled by counting (Corollary 2,
 * resp. the rank: never injective) without a search; the others are decided by {@link checkLayer}
 * on W|Z_P (domain as given). The first box proved injective decides. The cost depends on the
 * kernels and the box only, not on the signal size.
 *
 * @param spec the layer: q filters of shape (c, O_1[, O_2]) on a signal (N_1[, N_2]) (./convolution.ts)
 * @param options box (fixed) or maxBox / maxBoxColumns (automatic), domain, time limit, checkLayer options
 * @returns `injective: true` (proved) or `null` (not proved: Theorem 4 is only sufficient), the
 *   box used, checkLayer's result on W|Z_P, every box tried, and whether the test can apply at all
 *
 * @example
 * // [C; −C] with C = [1, 2], 1 channel: the box P = O = 2 holds the rows [2, 1] and [−2, −1]:
 * // rank 1 < 2, not injective, and no box is (q = 2 <= 2c = 2): checkConv answers null.
 */
export async function checkConv(spec: ConvSpec, options: CheckConvOptions = {}): Promise<ConvCheckResult> {
  const fn = "checkConv()";
  validateConvSpec(fn, spec);
  validateOptions(fn, options);
  const domain = validateDomain(fn, options.domain);
  const timeLimit = validateTimeLimit(fn, options.timeLimitMs);
  // Passed on to checkLayer on each box: validated here, so that errors name checkConv().
  validateTolerance(fn, options.tolerance);
  validateSeed(fn, options.seed);
  validateCallback(fn, "options.onProgress", options.onProgress);
  const maxColumns = validatePositive(fn, "options.maxBoxColumns", options.maxBoxColumns ?? 12);
  const boxTimeLimit =
    options.box !== undefined
      ? Infinity
      : validatePositive(fn, "options.boxTimeLimitMs", options.boxTimeLimitMs ?? 2000, true);
  const start = performance.now();
  const budget = Budget.from(fn, { ...options, timeLimitMs: timeLimit });

  let boxes: number[][];
  if (options.box !== undefined) {
    boxes = [validateBox(fn, spec, options.box)];
  } else {
    const maxBox =
      options.maxBox !== undefined
        ? validateBox(fn, spec, options.maxBox)
        : spec.kernelSize.map((o, d) => Math.min(spec.signal[d], o + 6));
    boxes = autoBoxes(spec, maxBox, maxColumns);
  }

  const applicable = boxCanBeInjective(spec, domain);
  const factor = minRowsFactor(domain);
  const trusted = THEOREM4_TRUSTED_BOUNDARIES.includes(spec.boundary);
  const tries: BoxTry[] = [];
  let last: { box: number[]; size: { m: number; n: number }; result: LayerCheckResult } | null = null;
  let proved = false;
  const sizes = boxes.map((P) => boxMatrixSize(spec, P));
  // Boxes with enough rows (2n on R^n by Corollary 2, n on the orthant); if none has, the
  // smallest box is still checked, so that the result carries checkLayer's evidence for the box.
  const toRun = new Set(boxes.map((_, k) => k).filter((k) => sizes[k].m >= factor * sizes[k].n));
  if (toRun.size === 0) toRun.add(0);
  // When no box can ever have enough rows, the smallest one (checked, with its witness) says it all.
  if (!applicable) boxes = boxes.slice(0, 1);

  for (let k = 0; k < boxes.length && !proved; k++) {
    const P = boxes[k];
    const { m, n } = sizes[k];
    if (!toRun.has(k)) {
      tries.push({
        box: P,
        m,
        n,
        injective: false,
        method: "counting",
        reason:
          domain === "all"
            ? `W|Z_P has m = ${m} < 2n = ${2 * n} rows, so it is not injective (Corollary 2).`
            : `W|Z_P has m = ${m} < n = ${n} rows, so its rank is below n and it is not injective.`,
        timeMs: 0,
      });
      continue;
    }
    const t0 = performance.now();
    // The overall limit ran out after some box was checked: stop (the result has that box's check).
    if (last && budget.exhausted()) break;
    let result: LayerCheckResult;
    try {
      const boxBudget = budget.sub(boxTimeLimit);
      result = await checkLayerWithin(
        boxMatrix(spec, P, boxBudget),
        null,
        {
          domain,
          method: options.method,
          tolerance: options.tolerance,
          exact: options.exact,
          seed: options.seed,
          onProgress: options.onProgress,
        },
        boxBudget,
        `the box matrix W|Z_P of the box ${fmtBox(P)}`,
      );
    } catch (e) {
      if (!isResourceLimitError(e)) throw e;
      result = limitedLayerResult(m, n, e, { domain, tolerance: options.tolerance, seed: options.seed });
    }
    tries.push({
      box: P,
      m,
      n,
      injective: result.injective,
      method: result.method,
      reason: result.reason,
      timeMs: performance.now() - t0,
    });
    last = { box: P, size: { m, n }, result };
    if (result.injective === true) proved = true;
    // Unknown (time limit or cancelled): a larger box would cost more, so stop here.
    if (result.injective === null || options.signal?.aborted) break;
  }
  const final = last!;
  const injective = proved && trusted ? true : null;
  const reason = convReason(spec, domain, final.box, final.size, final.result, tries, applicable, trusted);
  return {
    injective,
    theorem: "Theorem 4",
    sufficientOnly: true,
    box: final.box,
    boxMatrixSize: final.size,
    layerCheck: final.result,
    tries,
    applicable,
    trusted,
    trustedBoundaries: THEOREM4_TRUSTED_BOUNDARIES,
    reason,
    domain,
    boundary: spec.boundary,
    fullMatrixSize: convMatrixSize(spec),
    timeMs: performance.now() - start,
  };
}

function convReason(
  spec: ConvSpec,
  domain: Domain,
  box: number[],
  size: { m: number; n: number },
  result: LayerCheckResult,
  tries: BoxTry[],
  applicable: boolean,
  trusted: boolean,
): string {
  const region = domain === "all" ? "every input" : "every nonnegative input";
  const boxDesc = `the box P = ${fmtBox(box)}${spec.channels > 1 ? ` (× ${spec.channels} channels)` : ""}`;
  if (result.injective === true) {
    if (!trusted)
      return `W|Z_P on ${boxDesc} is injective, but Theorem 4 is not trusted for the ${spec.boundary} boundary: not proved.`;
    return `Injective by Theorem 4: W|Z_P on ${boxDesc} (${size.m}×${size.n}: every shift of the ${spec.filters} kernel(s) inside the box) has a DSS w.r.t. ${region} (checkLayer, method ${result.method}), so ReLU(W·) is injective for every signal size, with the ${spec.boundary} boundary.`;
  }
  if (!applicable) {
    const ones = spec.kernelSize.every((o) => o === 1);
    const k = domain === "all" ? 2 : 1;
    const need = domain === "all" ? "2n rows and is not injective (Corollary 2)" : "n rows and has rank < n";
    return `Not proved: Theorem 4 cannot apply to this layer. It has q = ${spec.filters} ${ones ? "<" : "<="} ${k === 2 ? "2c" : "c"} = ${k * spec.channels} filters, so every box matrix has fewer than ${need}. This says nothing about the layer itself: the test is only sufficient (use the exact check of the full matrix).`;
  }
  const tried = tries.map((t) => fmtBox(t.box)).join(", ");
  const last =
    result.injective === false
      ? `on ${boxDesc} it is not injective`
      : `on ${boxDesc} the check did not decide (${result.reason.replace(/\.$/, "")})`;
  return `Not proved: no box tried (${tried}) gives an injective W|Z_P; ${last}. Theorem 4 is only sufficient, so this says nothing about the layer (use the exact check of the full matrix, or a larger box).`;
}

/**
 * Options of {@link checkConvExact}: those of {@link checkLayer}; `memoryLimitBytes` (default
 * 2 GiB) bounds the full matrix, which is refused before it is built when it does not fit.
 */
export type CheckConvExactOptions = CheckLayerOptions;

/**
 * The exact verdict on a convolutional layer: {@link checkLayer} on the full convolution matrix
 * (Theorem 1), with no bias. Its cost grows quickly with the signal size: the matrix is
 * (q·ΠN) × (c·ΠN). See {@link convMatrixSize} to decide beforehand whether to run it.
 *
 * Resource limits: the matrix's memory is reserved before it is built and the time checked while
 * it is built; the rank SVD is refused up front when it cannot finish in the time left. When a
 * limit stops it, the verdict is `null` with the stage and the limit in the reason.
 *
 * @param spec the layer
 * @returns checkLayer's result on `convMatrix(spec)`: a witness pair x1 ≠ x2 of shape (c, N…) in
 *   C order when not injective, a certificate when injective, null when undecided
 */
export async function checkConvExact(
  spec: ConvSpec,
  options: CheckConvExactOptions = {},
): Promise<LayerCheckResult> {
  const fn = "checkConvExact()";
  validateConvSpec(fn, spec);
  const budget = Budget.from(fn, options);
  const { m, n } = convMatrixSize(spec);
  const { timeLimitMs: _t, signal: _s, memoryLimitBytes: _m, ...rest } = options;
  try {
    return await checkLayerWithin(
      convMatrix(spec, budget),
      null,
      rest,
      budget,
      "the full convolution matrix",
    );
  } catch (e) {
    if (!isResourceLimitError(e)) throw e;
    return limitedLayerResult(m, n, e, options);
  }
}
