/**
 * Injective ReLU layers by construction: the paper's Corollary 2 (minimal expansivity) and the
 * remark after it. For any basis B of Rⁿ, positive diagonal D and any M,
 *
 *     W = [B; −DB; M]  (m = 2n + rows of M outputs)
 *
 * makes x ↦ ReLU(Wx + b) injective on all of Rⁿ for every bias b whose pair entries satisfy
 * β_i + β_{n+i}/d_i ≥ 0 (M's biases are arbitrary). Why: for the pair (w, −d·w) = (B_i, −d_i·B_i)
 * with biases (β1, β2), put t = <w, x>; row 1 is active when t ≥ −β1 and row 2 when t ≤ β2/d, and
 * these two half-lines cover R exactly when β1 + β2/d ≥ 0. So at every x one row of each pair is
 * active, the active rows contain a nonzero multiple of every B_i and span Rⁿ, and Theorem 1 gives
 * injectivity. Extra rows never hurt: adding rows only adds active rows. (`docs/verifier.md`, "Why
 * the structure test is right"; `docs/constructions.md`.) Below m = 2n no W is injective
 * (Corollary 2), which {@link constructDense} enforces.
 */

import { Matrix, QrDecomposition } from "ml-matrix";
import { Rng } from "../core/random.js";
import { Fraction } from "../core/exact.js";
import {
  assertRange,
  assertType,
  validateChoice,
  validateMatrix,
  validatePositive,
  validateVector,
} from "../core/validate.js";
import { gaussianMatrix, randomPermutation, rankAndCondition, validateSeed, validateSize } from "./common.js";

/** How to choose the basis B (n×n): iid Gaussian, a random orthogonal matrix, or given rows. */
export type BasisOption = "gaussian" | "orthogonal" | number[][];

/** How to choose D = diag(d): the identity, iid uniform in [min, max] (0 < min ≤ max), or given d > 0. */
export type DiagonalOption = "identity" | { min: number; max: number } | number[];

/**
 * Bias of the layer. Each choice keeps injectivity (see the module comment):
 * - `none`: no bias;
 * - `nonneg`: pair biases uniform in [0, biasScale), so β1 + β2/d ≥ 0 trivially; M biases N(0, biasScale²);
 * - `paired`: β1 ~ N(0, biasScale²) of either sign, β2 = d·(s − β1) with slack s uniform in
 *   [0.05, 1)·biasScale, so β1 + β2/d = s > 0; M biases N(0, biasScale²);
 * - a vector of length m in the unshuffled row order [B; −DB; M]: checked to satisfy β_i + β_{n+i}/d_i ≥ 0.
 */
export type DenseBiasOption = "none" | "nonneg" | "paired" | number[];

/** Options of {@link constructDense}. */
export interface DenseOptions {
  /** Seed of every random choice. @default 1 */
  seed?: number;
  /** @default "gaussian" */
  basis?: BasisOption;
  /** @default "identity" */
  d?: DiagonalOption;
  /** The m − 2n extra rows M, shape (m − 2n, n); by default iid N(0, scale²). */
  extraRows?: number[][];
  /** @default "none" */
  bias?: DenseBiasOption;
  /** Scale of random biases. @default 1 */
  biasScale?: number;
  /** Standard deviation of random entries of B and M (an orthogonal B is multiplied by it). @default 1 */
  scale?: number;
  /** Permute the rows (seeded) so that the structure is not visible from the row order. @default false */
  shuffle?: boolean;
  /**
   * Largest accepted condition number σ_max/σ_min of B. A given B above it is rejected; a Gaussian B
   * above it is redrawn. The injectivity proof needs only rank n, but an ill-conditioned B makes the
   * layer nearly non-injective in floating point (and hard to invert). @default 1e8
   */
  maxCondition?: number;
}

/** What {@link constructDense} built, to reproduce or inspect it. */
export interface DenseMeta {
  basis: "gaussian" | "orthogonal" | "given";
  /** The basis, shape (n, n) (already multiplied by `scale`). */
  B: number[][];
  /** Diagonal of D, length n, all > 0. */
  d: number[];
  /** Condition number of B. */
  conditionNumber: number;
  /** `rowsB[i]` is the row of W holding B_i. */
  rowsB: number[];
  /** `rowsNegDB[i]` is the row of W holding −d_i·B_i. */
  rowsNegDB: number[];
  /** Rows of W holding M, in M's order. */
  rowsM: number[];
  /** Row r of W is row `permutation[r]` of the unshuffled [B; −DB; M] (identity when not shuffled). */
  permutation: number[];
  bias: "none" | "nonneg" | "paired" | "given";
  /** min over pairs of β_i + β_{n+i}/d_i (0 without bias): how much bias slack keeps the pairs covering. */
  pairSlack: number;
  /**
   * True when every row −d_i·B_i was computed exactly, so that W is exactly [B; −DB; M] and injective
   * as given (the verifier decides the matrix exactly). Drawn B and d are float32 values, whose
   * products are exact in float64; a given B or d can make a product round (then false: the exact
   * matrix is only within rounding of the construction; pass d as powers of two or float32 values).
   */
  exactPairs: boolean;
  seed: number;
}

/** A Corollary 2 layer. */
export interface DenseConstruction {
  /** Shape (m, n). */
  W: number[][];
  /** Length m; absent for `bias: "none"`. */
  b?: number[];
  meta: DenseMeta;
}

const FN = "constructDense()";
const MAX_REDRAWS = 100;

/** A Haar-distributed orthogonal n×n matrix: Q of the QR decomposition of a Gaussian matrix, signs fixed. */
function randomOrthogonal(rng: Rng, n: number): number[][] {
  const qr = new QrDecomposition(new Matrix(gaussianMatrix(rng, n, n)));
  const Q = qr.orthogonalMatrix.to2DArray();
  const R = qr.upperTriangularMatrix;
  // Q·diag(sign(R_jj)) is Haar-distributed (plain Householder QR is not).
  for (let j = 0; j < n; j++) {
    if (R.get(j, j) < 0) for (let i = 0; i < n; i++) Q[i][j] = -Q[i][j];
  }
  return Q;
}

function fmtG(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e5 ? x.toExponential(2) : Number(x.toPrecision(3)).toString();
}

/** B, its kind and condition number, validated or drawn. */
function chooseBasis(
  rng: Rng,
  n: number,
  basis: BasisOption,
  scale: number,
  maxCondition: number,
): { kind: DenseMeta["basis"]; B: number[][]; condition: number } {
  if (Array.isArray(basis)) {
    const B = validateMatrix(FN, "options.basis", basis);
    assertRange(
      B.length === n && B[0].length === n,
      () =>
        `${FN}: options.basis must be n×n = ${n}×${n} for n = ${n} inputs, got ${B.length}×${B[0].length}`,
    );
    const { rank, condition, singular } = rankAndCondition(B);
    assertRange(
      rank === n,
      () =>
        `${FN}: options.basis is singular, not a basis of R^${n}: its rank is ${rank} < ${n} (singular values ${singular.map(fmtG).join(", ")})`,
    );
    assertRange(
      condition <= maxCondition,
      () =>
        `${FN}: options.basis is ill-conditioned: condition number ${fmtG(condition)} exceeds options.maxCondition = ${fmtG(maxCondition)} (the layer would be injective only on paper; its inverse would amplify errors by about that factor)`,
    );
    return { kind: "given", B: B.map((row) => row.slice()), condition };
  }
  const kind = validateChoice(FN, "options.basis", basis, ["gaussian", "orthogonal"] as const);
  if (kind === "orthogonal") {
    const Q = randomOrthogonal(rng, n).map((row) => row.map((v) => Math.fround(v * scale)));
    return { kind, B: Q, condition: rankAndCondition(Q).condition };
  }
  for (let attempt = 0; ; attempt++) {
    // float32 entries: the products −d_i·B_i with a float32 d_i are then exact in float64.
    const B = gaussianMatrix(rng, n, n, scale).map((row) => row.map(Math.fround));
    const { rank, condition } = rankAndCondition(B);
    if (rank === n && condition <= maxCondition) return { kind, B, condition };
    // Probability about n/maxCondition per draw; reaching this limit means maxCondition is absurd.
    assertRange(
      attempt < MAX_REDRAWS,
      () =>
        `${FN}: no Gaussian basis with condition number <= options.maxCondition = ${fmtG(maxCondition)} in ${MAX_REDRAWS} draws`,
    );
  }
}

function chooseDiagonal(rng: Rng, n: number, d: DiagonalOption): number[] {
  if (Array.isArray(d)) {
    const v = validateVector(FN, "options.d", d);
    assertRange(v.length === n, () => `${FN}: options.d has length ${v.length}, expected n = ${n}`);
    v.forEach((x, i) =>
      assertRange(
        x > 0,
        () => `${FN}: options.d must be positive (D is a positive diagonal, Corollary 2), got ${x} at [${i}]`,
      ),
    );
    return v.slice();
  }
  if (d === "identity") return new Array<number>(n).fill(1);
  assertType(
    typeof d === "object" && d !== null,
    () => `${FN}: options.d must be "identity", {min, max} or an array of n positive numbers`,
  );
  const lo = validatePositive(FN, "options.d.min", d.min);
  const hi = validatePositive(FN, "options.d.max", d.max);
  assertRange(lo <= hi, () => `${FN}: options.d.min = ${lo} exceeds options.d.max = ${hi}`);
  return Array.from({ length: n }, () =>
    Math.max(lo, Math.min(hi, Math.fround(lo + (hi - lo) * rng.uniform()))),
  );
}

/** True when −d·v is computed exactly in float64 (then the pair is exactly antiparallel). */
function exactProduct(d: number, v: number): boolean {
  const p = -d * v;
  if (v === 0 || p === 0) return v === 0;
  return Fraction.fromFloat(d).mul(Fraction.fromFloat(v)).neg().sub(Fraction.fromFloat(p)).isZero();
}

/**
 * Builds a Corollary 2 layer `W = [B; −DB; M]` (optionally with a bias and shuffled rows), which is
 * injective on all of Rⁿ by construction.
 *
 * @param n number of inputs (columns of W), ≥ 1
 * @param m number of outputs (rows of W), ≥ 2n
 * @returns W of shape (m, n), b of length m (unless `bias: "none"`) and what was chosen
 * @throws InputRangeError when m < 2n (Corollary 2), for non-positive or non-integer sizes, a
 *   singular or ill-conditioned given basis, a non-positive D, extra rows of the wrong shape, or a
 *   given bias that breaks a pair (β_i + β_{n+i}/d_i < 0)
 *
 * @example
 * const { W } = constructDense(3, 7, { seed: 1, shuffle: true }); // 7×3, injective on R^3
 */
export function constructDense(n: number, m: number, options: DenseOptions = {}): DenseConstruction {
  validateSize(FN, "n", n);
  validateSize(FN, "m", m);
  assertType(typeof options === "object" && options !== null, () => `${FN}: options must be an object`);
  assertRange(
    m >= 2 * n,
    () =>
      `${FN}: m = ${m} outputs is fewer than 2n = ${2 * n} for n = ${n} inputs; Corollary 2 (minimal expansivity): "for any W ∈ R^{m×n}, ReLU(W·) is non-injective if m < 2n"`,
  );
  const seed = validateSeed(FN, options.seed ?? 1);
  const scale = validatePositive(FN, "options.scale", options.scale ?? 1);
  const biasScale = validatePositive(FN, "options.biasScale", options.biasScale ?? 1);
  const maxCondition = validatePositive(FN, "options.maxCondition", options.maxCondition ?? 1e8, true);
  assertType(
    options.shuffle === undefined || typeof options.shuffle === "boolean",
    () => `${FN}: options.shuffle must be true or false`,
  );
  const rng = new Rng(seed);
  const extra = m - 2 * n;

  // Draw order is fixed (B, d, M, bias, permutation) so that a seed always gives the same layer.
  const { kind, B, condition } = chooseBasis(rng, n, options.basis ?? "gaussian", scale, maxCondition);
  const d = chooseDiagonal(rng, n, options.d ?? "identity");
  let M: number[][];
  if (
    options.extraRows !== undefined &&
    !(extra === 0 && Array.isArray(options.extraRows) && options.extraRows.length === 0)
  ) {
    M = validateMatrix(FN, "options.extraRows", options.extraRows);
    assertRange(
      M.length === extra && M[0].length === n,
      () =>
        `${FN}: options.extraRows must have shape (m − 2n, n) = (${extra}, ${n}), got (${M.length}, ${M[0].length})`,
    );
    M = M.map((row) => row.slice());
  } else {
    M = gaussianMatrix(rng, extra, n, scale);
  }
  const rows = [...B.map((row) => row.slice()), ...B.map((row, i) => row.map((v) => -d[i] * v)), ...M];

  const biasOpt = options.bias ?? "none";
  let bias: number[] | undefined;
  let biasKind: DenseMeta["bias"];
  if (Array.isArray(biasOpt)) {
    bias = validateVector(FN, "options.bias", biasOpt).slice();
    assertRange(
      bias.length === m,
      () => `${FN}: options.bias has length ${bias!.length}, expected m = ${m} (order [B; −DB; M])`,
    );
    biasKind = "given";
  } else {
    biasKind = validateChoice(FN, "options.bias", biasOpt, ["none", "nonneg", "paired"] as const);
    if (biasKind === "nonneg") {
      bias = [
        ...Array.from({ length: 2 * n }, () => biasScale * rng.uniform()),
        ...Array.from({ length: extra }, () => biasScale * rng.normal()),
      ];
    } else if (biasKind === "paired") {
      const b1 = Array.from({ length: n }, () => biasScale * rng.normal());
      const b2 = b1.map((beta, i) => d[i] * (biasScale * (0.05 + 0.95 * rng.uniform()) - beta));
      bias = [...b1, ...b2, ...Array.from({ length: extra }, () => biasScale * rng.normal())];
    }
  }
  let pairSlack = 0;
  if (bias) {
    pairSlack = Infinity;
    for (let i = 0; i < n; i++) {
      const slack = bias[i] + bias[n + i] / d[i];
      pairSlack = Math.min(pairSlack, slack);
      assertRange(
        slack >= 0,
        () =>
          `${FN}: options.bias breaks the pair of rows ${i} (B_${i}) and ${n + i} (−d_${i}·B_${i}): b[${i}] + b[${n + i}]/d[${i}] = ${fmtG(slack)} < 0, so some inputs make both rows inactive; the construction guarantees injectivity only when β1 + β2/d >= 0 for every pair`,
      );
    }
  }

  const permutation = options.shuffle ? randomPermutation(rng, m) : Array.from({ length: m }, (_, i) => i);
  const W = permutation.map((k) => rows[k]);
  const b = bias ? permutation.map((k) => bias![k]) : undefined;
  const position = new Array<number>(m);
  permutation.forEach((k, r) => (position[k] = r));
  const meta: DenseMeta = {
    basis: kind,
    B,
    d,
    conditionNumber: condition,
    rowsB: position.slice(0, n),
    rowsNegDB: position.slice(n, 2 * n),
    rowsM: position.slice(2 * n),
    permutation,
    bias: biasKind,
    pairSlack,
    exactPairs: B.every((row, i) => row.every((v) => exactProduct(d[i], v))),
    seed,
  };
  return b ? { W, b, meta } : { W, meta };
}
