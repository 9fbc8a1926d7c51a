/**
 * Injectivity of a whole network of dense layers (paper, Corollary 1, equation (4), Corollary 3).
 *
 * Per layer, the exact verdict on the layer's own domain: the first layer on R^n, a layer after a
 * ReLU on the nonnegative orthant (Remark 1), a layer after a linear layer on R^d. A ReLU layer is
 * decided by `checkLayer`; a linear layer is injective iff W has full column rank (numerical rank of
 * the unit-normalized rows by ml-matrix's SVD, singular values above `tolerance`, the same rank test
 * as checkLayer's; the domain does not matter, the orthant has interior).
 *
 * Other layer types (paper, Section 2 and Appendix B):
 * - a dense layer with a one-to-one activation σ (leaky ReLU with alpha > 0, tanh, sigmoid):
 *   σ(W x + b) is injective iff x ↦ W x is, i.e. iff W has full column rank (same rank test as for
 *   a linear layer; a null-space vector v gives the witness x, x + v); rule `one-to-one-rank`;
 * - a batch norm (inference mode, stored as W = diag(s), s = gamma / sqrt(var + eps)): injective iff
 *   every scale s_i ≠ 0; a zero scale gives the witness x, x + e_i; rule `batchnorm-scale`;
 * - a flatten/reshape: the identity, injective; rule `identity`;
 * - a convolution or transposed convolution (stored as its explicit matrix with a `conv` record,
 *   ./conv-layer.ts): when the matrix is small (at most {@link CONV_EXACT_MAX_COLUMNS} columns) or
 *   has fewer rows than columns (then its rank is below n), the exact rule of a dense layer on the
 *   explicit matrix (checkLayer for ReLU, the rank otherwise); rule `conv-exact`. Otherwise, for a
 *   stride-1 ReLU convolution without bias, Theorem 4 via `checkConv` on the equivalent ConvSpec
 *   (kernels flipped, zero boundary; sufficient only, so true or null); rule `conv-theorem4`.
 *   Then, for a ReLU convolution of any stride, transposed or not, with bias: output channels in
 *   exact pairs [C; −λC] with covering biases (./conv-pairs.ts, the paper's injective-GAN filters)
 *   are injective iff the convolution of C has full column rank (exact rank); rule `conv-pairs`.
 *   A convolution's rank is first taken mod p on its sparse rows, built from the record
 *   (../model/conv-residues.ts, ../core/sparse-rank.ts): full rank there needs no dense matrix.
 *   Dense ReLU layers whose rows hold such exact pairs (src/tfjs's InjectiveDense) are decided the
 *   same way, by the exact rank of the first rows of the pairs; rule `dense-pairs`. A ReLU alone
 *   right after a linear convolution and a batch norm (an ONNX/Keras DCGAN export) is decided with
 *   them, on their composition, by the same pair rule on the batch-normed channels; rule
 *   `conv-bn-pairs` (its report has `group`). Both rules name the pairs whose biases leave a dead
 *   zone (both channels zero on a slab).
 *   Otherwise (stride > 1, a transposed convolution, a bias, another activation on a large matrix,
 *   without such pairs) unknown with the reason; rule `conv-unknown`.
 * The domain of the next layer is the orthant after a ReLU or a sigmoid (its outputs are positive),
 * the input domain again after a flatten/reshape (it is the identity), and R^d otherwise.
 *
 * End-to-end:
 * - every layer injective on its domain ⇒ the network is injective (Corollary 1);
 * - a layer that is not injective on its domain does NOT make the network non-injective (equation
 *   (4): ReLU(I·ReLU(Wx)) is injective although ReLU(I·) is not injective on R^m), because the
 *   layer only sees the range of the layers before it. So its collision (h1, h2) is lifted: both
 *   points are inverted through the preceding layers exactly (src/invert); if both have preimages
 *   z1 ≠ z2 then N(z1) = N(z2), re-checked by an exact forward pass. For a linear layer, pairs
 *   h1 = N_{<l}(z), h2 = h1 + t·v (v in the null space) are also tried. Then the sampled collision
 *   search (./collision-search.ts) runs;
 * - the Corollary 3 pattern (injective ReLU expansions alternating with linear projections to
 *   dimensions >= 2n + 1) is injective *almost surely* over the random projections; for a given
 *   file that is not a proof, so the verdict stays `null` with conclusion "injective almost surely";
 * - otherwise unknown, with the reason.
 *
 * Resource limits (`timeLimitMs`, `signal`, `memoryLimitBytes`, one {@link Budget} for the whole
 * check): the explicit matrix of a convolution is built only for the rules that need it, after its
 * memory was reserved (a convolution on a large image is decided by Theorem 4 or left unknown, never
 * expanded); checkLayer, the exact ranks, the exact forward passes and inversions get the budget;
 * the witness lifting and the collision search check the time between steps. A stage that runs out
 * makes its layer (or the end-to-end search) unknown, with the stage and the limit in the reason.
 */

import { Budget, isResourceLimitError, type ResourceLimitError } from "../core/budget.js";
import { checkLayerWithin } from "../core/check-layer.js";
import type { LayerTaskPool } from "../core/parallel-search.js";
import { checkConv } from "../core/theorem4.js";
import {
  Fraction,
  dyadicRows,
  exactNullVector,
  exactRankBudgeted,
  toFraction,
  type IntegerLayer,
} from "../core/exact.js";
import { fractionString, pairAlong, type ExactPair } from "../core/witness.js";
import {
  describeState,
  exactCollision,
  invertPrefixExact,
  jacobianCollision,
  stateOf,
  stateOfFractions,
  type ExactState,
} from "./exact-forward.js";
import { Rng } from "../core/random.js";
import type { Certificate, Domain, LayerCheckResult } from "../core/types.js";
import { assertRange, validateOptions, validateSeed } from "../core/validate.js";
import { invertNetwork } from "../invert/invert-network.js";
import { searchCollisions, type CollisionSearchResult } from "./collision-search.js";
import { convGeometry, convRecordSpec, recordGeometry, type ConvParams } from "../model/conv-layer.js";
import { convResidues } from "../model/conv-residues.js";
import { PRIMES } from "../core/modular.js";
import { sparseModRank } from "../core/sparse-rank.js";
import {
  findConvPairs,
  findRowPairs,
  subRecord,
  type ChannelAffine,
  type ConvPairing,
} from "./conv-pairs.js";
import {
  applyLayer,
  batchNormScales,
  convLayer,
  forwardUnchecked,
  layerDomain,
  layerInputDim,
  layerMatrix,
  layerOutputDim,
  validateNetwork,
  type Activation,
  type DenseLayerSpec,
  type Network,
} from "../model/network.js";
import { validateTolerance } from "../core/numerics.js";

/** Options of {@link checkNetwork}. */
export interface CheckNetworkOptions {
  /** Wall-clock limit for the whole check, in milliseconds. @default Infinity */
  timeLimitMs?: number;
  /** Relative tolerance of the layer checks, ranks and inversions. @default 1e-9 */
  tolerance?: number;
  /** Seed of the falsifiers and the collision search. @default 1 */
  seed?: number;
  /** Run the sampled collision search when a layer is not injective and no witness lifts. @default true */
  collisionSearch?: boolean;
  /**
   * The box [lo, hi]ⁿ of the sampled collision search (it finds collisions inside it only; a
   * collision of the network elsewhere leaves the answer unknown). @default { lo: -1, hi: 1 }
   */
  box?: { lo: number; hi: number };
  /** Cancels the check (the layers not decided yet, and the searches, answer unknown). */
  signal?: AbortSignal;
  /**
   * Largest single allocation the network may cause, in bytes: the explicit matrix of a
   * convolution, batch norm or reshape layer (built only when a rule needs it), the exact integer
   * forms, the collision search's Jacobians. Work above it answers unknown, naming the stage.
   * @default 2 GiB
   */
  memoryLimitBytes?: number;
  /** Threads for the layer checks' branch and bound and re-check (see `CheckLayerOptions.pool`). @default none */
  pool?: LayerTaskPool;
  /**
   * Keep each ReLU layer's branch-and-bound proof in its certificate (see `CheckLayerOptions.proof`),
   * so that `verifyCertificate` (and `injective-relu verify MODEL EVIDENCE --layer k`) replays it
   * instead of searching. @default false
   */
  proof?: boolean;
}

/** One layer's verdict inside {@link checkNetwork}. */
export interface NetworkLayerReport {
  index: number;
  /** Output and input dimension. */
  m: number;
  n: number;
  activation: Activation;
  /** What the layer is: a dense layer, an inference-mode batch norm, or a flatten/reshape. */
  kind: "dense" | "batchnorm" | "reshape" | "conv" | "conv_transpose";
  /**
   * The rule that decided the layer: `relu` (checkLayer, Theorem 1), `rank` (linear: full column
   * rank), `one-to-one-rank` (leaky ReLU/tanh/sigmoid: full column rank, Section 2),
   * `batchnorm-scale` (every gamma / sqrt(var + eps) ≠ 0, Appendix B), `identity` (reshape),
   * `conv-exact` (a convolution decided exactly on its explicit matrix), `conv-theorem4` (Theorem 4
   * on a box, sufficient only), `conv-pairs` (output channels in exact pairs [C; −λC] whose
   * biases keep one of each pair active, and the convolution of C has full column rank: Corollary 2,
   * ./conv-pairs.ts), `dense-pairs` (the same for the rows of a dense ReLU layer: Corollary 2's
   * [B; −DB; M] with B of full column rank), `conv-bn-pairs` (a ReLU right after a convolution and
   * a batch norm, decided on their composition: the batch-normed channels in exact pairs whose
   * biases keep one of each pair active, and the convolution of C of full column rank; see
   * `group`), `conv-unknown` (a convolution no rule applies to).
   */
  rule:
    | "relu"
    | "rank"
    | "one-to-one-rank"
    | "batchnorm-scale"
    | "identity"
    | "conv-exact"
    | "conv-theorem4"
    | "conv-pairs"
    | "dense-pairs"
    | "conv-bn-pairs"
    | "conv-unknown";
  /** The domain the layer was checked on (for a `group`, the domain of its first layer). */
  domain: Domain;
  /**
   * Present when the verdict is about a composition of consecutive layers (rule `conv-bn-pairs`:
   * convolution, batch norm, ReLU) on the domain of the first of them: this layer is then checked
   * on the range of the others only, which is all that Corollary 1 needs.
   */
  group?: number[];
  injective: boolean | null;
  /** checkLayer's method for ReLU layers; `rank` for linear layers. */
  method: string;
  reason: string;
  /** Rank of W (-1 when not computed: a convolution decided by Theorem 4 or left unknown). */
  rank: number;
  /** True when the layer verdict's evidence was re-checked in exact arithmetic. */
  exact: boolean;
  /** A collision of this layer on its domain, when not injective (exact; fractions in exactX1/exactX2 when needed). */
  witness?: { x1: number[]; x2: number[]; exactX1?: string[]; exactX2?: string[] };
  /**
   * The certificate of a ReLU layer proved injective (rules `relu` and `conv-exact`), which
   * `verifyCertificate` re-checks on `domain` against the layer's matrix (`layerMatrix`; from the
   * command line, `injective-relu verify MODEL EVIDENCE --layer k`). The other rules' evidence is
   * the exact rank or the layer's structure.
   */
  certificate?: Certificate;
  timeMs: number;
}

/** The dimension assumptions of Corollary 3 as checked on a network. */
export interface Corollary3Check {
  /** True when the layers have the pattern and every assumption holds. */
  applies: boolean;
  /** Assumptions that hold, in words. */
  checks: string[];
  /** Assumptions that fail, in words. */
  failed: string[];
}

/** An end-to-end collision N(x1) = N(x2), x1 ≠ x2, of network inputs. */
export interface NetworkWitness {
  /** The first input (the nearest doubles when `exactX1` is present). */
  x1: number[];
  x2: number[];
  /** The exact inputs as fractions "p/q", when some coordinate is not a double. */
  exactX1?: string[];
  exactX2?: string[];
  /** Always true: N(x1) = N(x2) was confirmed by an exact rational forward pass. */
  exact: boolean;
  /** The first layer after which the two hidden states agree exactly. */
  equalAfterLayer: number;
  /** ‖N(x1) − N(x2)‖∞ / max(‖N(x1)‖∞, tiny), by a forward pass. */
  maxOutputDifference: number;
  /** ‖x1 − x2‖∞ / max(1, ‖x1‖∞). */
  separation: number;
  /** `layer`: the first layer's own witness; `lifted`: a layer's collision inverted back exactly; `jacobian`: a null direction of the exact Jacobian of the layers up to a non-injective one; `collision-search`: sampled. */
  source: "layer" | "lifted" | "jacobian" | "collision-search";
  /** The layer whose collision it is (for `layer` and `lifted`). */
  layer?: number;
}

/** Result of {@link checkNetwork}. */
export interface NetworkCheckResult {
  /** true: proved injective; false: `witness` holds two inputs with the same output; null: not proved either way. */
  injective: boolean | null;
  conclusion: "injective" | "not injective" | "injective almost surely" | "unknown";
  reason: string;
  layers: NetworkLayerReport[];
  witness?: NetworkWitness;
  corollary3: Corollary3Check;
  /** Summary of the sampled collision search, when it ran. */
  collisionSearch?: Pick<
    CollisionSearchResult,
    "collisionFound" | "minRatio" | "relativeMinRatio" | "pairsSampled" | "box" | "timeMs"
  > & {
    /** A pair whose outputs agree in floating point but not exactly (evidence, not a witness). */
    nearCollision?: { x1: number[]; x2: number[]; outputDistance: number };
  };
  inputDim: number;
  tolerance: number;
  seed: number;
  timeMs: number;
}

const FN = "checkNetwork()";

/** Convolutions with at most this many columns (inputs) are decided exactly on their explicit matrix. */
export const CONV_EXACT_MAX_COLUMNS = 64;

/**
 * Non-ReLU convolutions up to this many columns get the (polynomial) rank rule even when not small
 * (a 64×64 image of 4 channels; the sparse rank of the 12,288 columns of a 64×64 RGB generator's
 * last layer takes seconds).
 */
const CONV_RANK_MAX_COLUMNS = 16384;

function infNorm(v: number[]): number {
  return v.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
}

/** The report of a layer whose rule ran out of time or memory: unknown, naming the stage. */
function limitReport(
  layer: DenseLayerSpec,
  index: number,
  domain: Domain,
  e: ResourceLimitError,
): Omit<NetworkLayerReport, "timeMs"> {
  return undecidedReport(layer, index, domain, "none", `Unknown: ${e.message}.`);
}

/** A layer report without a verdict (a limit, or a layer not checked). */
function undecidedReport(
  layer: DenseLayerSpec,
  index: number,
  domain: Domain,
  method: string,
  reason: string,
): Omit<NetworkLayerReport, "timeMs"> {
  const kind: NetworkLayerReport["kind"] = layer.conv
    ? layer.conv.op
    : layer.batchnorm
      ? "batchnorm"
      : layer.reshape
        ? "reshape"
        : "dense";
  return {
    index,
    m: layerOutputDim(layer),
    n: layerInputDim(layer),
    activation: layer.activation,
    kind,
    rule: layer.conv ? "conv-unknown" : layer.activation === "relu" ? "relu" : "rank",
    domain,
    injective: null,
    method,
    reason,
    rank: -1,
    exact: false,
  };
}

/** The report of a layer that was not checked because the network's verdict was already settled. */
function skippedReport(
  layer: DenseLayerSpec,
  index: number,
  domain: Domain,
  why: string,
): NetworkLayerReport {
  return { ...undecidedReport(layer, index, domain, "skipped", `Not checked: ${why}.`), timeMs: 0 };
}

function linearLayerReport(
  layer: DenseLayerSpec,
  index: number,
  domain: Domain,
  _tol: number,
  budget: Budget,
): Omit<NetworkLayerReport, "timeMs"> {
  const m = layerOutputDim(layer);
  const n = layerInputDim(layer);
  const activation = layer.activation;
  if (layer.reshape || layer.batchnorm) {
    const kind = layer.reshape ? ("reshape" as const) : ("batchnorm" as const);
    const base = { index, m, n, activation, kind, domain, exact: false };
    if (layer.reshape) {
      const r = layer.reshape;
      return {
        ...base,
        rule: "identity",
        method: "identity",
        rank: n,
        injective: true,
        reason: `${r.op === "flatten" ? "Flatten" : "Reshape"}${r.inputShape ? ` [${r.inputShape.join(", ")}]` : ""} → [${(r.outputShape ?? [m]).join(", ")}]: the identity on flat vectors, injective.`,
      };
    }
    const scales = batchNormScales(layer.batchnorm!);
    const zero = scales.findIndex((s) => s === 0);
    const rank = scales.filter((s) => s !== 0).length;
    if (zero < 0)
      return {
        ...base,
        rule: "batchnorm-scale",
        method: "batchnorm-scale",
        rank,
        injective: true,
        reason: `Batch norm with every scale gamma / sqrt(var + eps) ≠ 0 (smallest |scale| ${scales.reduce((a, v) => Math.min(a, Math.abs(v)), Infinity).toExponential(2)}): an invertible diagonal affine map, injective (Appendix B).`,
      };
    const x1 = new Array<number>(n).fill(domain === "nonnegative" ? 1 : 0);
    const x2 = x1.map((v, j) => (j === zero ? v + 1 : v));
    return {
      ...base,
      rule: "batchnorm-scale",
      method: "batchnorm-scale",
      rank,
      injective: false,
      reason: `Batch norm with scale gamma[${zero}] / sqrt(var + eps) = 0 for channel ${zero}: that channel's output is the constant beta[${zero}], so x and x + e_${zero} collide.`,
      witness: { x1, x2 },
    };
  }
  // Exact rank: full rank mod a prime proves it; otherwise rational elimination (./core/exact.ts).
  // A convolution's sparse rows mod p come first: full rank there needs no dense matrix.
  const name = `layer ${index}`;
  const sparseFull =
    layer.conv !== undefined &&
    !layer.W &&
    m >= n &&
    sparseModRank(
      convResidues(recordGeometry(layer.conv), layer.conv.op, PRIMES[0], budget, name),
      PRIMES[0],
      budget,
    ) === n;
  const dense = sparseFull ? null : denseIntegerRank(layer, budget, name);
  const rank = dense ? dense.rank : n;
  const oneToOne = activation !== "linear";
  const what = oneToOne
    ? `Layer with the one-to-one activation ${activation}${activation === "leaky_relu" ? ` (alpha ${layer.alpha})` : ""}, whose linear part has`
    : "Linear layer of";
  const base = {
    index,
    m,
    n,
    activation,
    kind: "dense" as const,
    rule: oneToOne ? ("one-to-one-rank" as const) : ("rank" as const),
    domain,
    method: oneToOne ? "one-to-one-rank" : "rank",
    rank,
    exact: true,
  };
  if (!dense || dense.rank === n) {
    return {
      ...base,
      injective: true,
      reason: `${what} rank ${n} = n (full column rank, exact): injective${oneToOne ? " (σ is one-to-one, so σ(Wx + b) is injective iff W has full column rank; Section 2)" : ""}.`,
    };
  }
  const ints = dense.ints;
  // An exact null vector v: W x = W (x + 2^−q v) exactly. The verdict does not need it (the rank is
  // exact), only the lifting does: its entries grow like the rank times the entries' bits, so it
  // gets at most 10 s and is left out when that is not enough.
  let v: bigint[] | null = null;
  try {
    v = exactNullVector(ints.W, n, budget.sub(10_000));
  } catch (e) {
    if (!isResourceLimitError(e) || budget.exhausted()) throw e;
  }
  const x = new Array<number>(n).fill(domain === "nonnegative" ? 1 : 0);
  const built = v && pairAlong(ints, domain, x, v);
  // The witness rule: a pair is reported only after an exact forward pass confirms it.
  const collision = built ? linearCollision(ints.W, built, domain) : null;
  const pair = collision === null ? built : null;
  const representable =
    pair !== null && [...pair.x1, ...pair.x2].every((f) => Fraction.fromFloat(f.toNumber()).sub(f).isZero());
  const witness = pair
    ? {
        x1: pair.x1.map((f) => f.toNumber()),
        x2: pair.x2.map((f) => f.toNumber()),
        ...(representable
          ? {}
          : { exactX1: pair.x1.map(fractionString), exactX2: pair.x2.map(fractionString) }),
      }
    : undefined;
  return {
    ...base,
    injective: false,
    reason: `${what} rank ${rank} < n = ${n} (exact): W x = W (x + v) for every v in the null space${oneToOne ? ", so σ(W x + b) = σ(W (x + v) + b)" : ""}${witness ? "" : collision ? ` (the null-space pair failed the exact forward check: ${collision}; no witness to lift)` : " (no exact null vector within 10 s: the layer has no witness to lift)"}.`,
    ...(witness ? { witness } : {}),
  };
}

/** The exact integer form of a layer (rows scaled by powers of two) and its exact rank. */
function denseIntegerRank(
  layer: DenseLayerSpec,
  budget: Budget,
  name: string,
): { ints: IntegerLayer; rank: number } {
  const m = layerOutputDim(layer);
  const n = layerInputDim(layer);
  const W = layerMatrix(layer, budget, name);
  budget.reserve(`the exact integer form of ${name}`, 64 * m * (n + 1));
  const ints = dyadicRows(W, layer.b ?? new Array<number>(m).fill(0), (i) => {
    if ((i & 63) === 0) budget.check(`the exact integer form of ${name}`);
  });
  return { ints, rank: exactRankBudgeted(ints.W, n, budget) };
}

/**
 * The exact forward check of a linear (or one-to-one activation) layer's pair: x1 ≠ x2, both in the
 * domain, and W x1 = W x2 row by row in rational arithmetic (rows scaled to integers; σ is
 * one-to-one, so σ(W x1 + b) = σ(W x2 + b) exactly then). Returns null when the pair collides, or
 * what failed.
 */
export function linearCollision(
  W: readonly (readonly bigint[])[],
  pair: ExactPair,
  domain: Domain,
): string | null {
  const { x1, x2 } = pair;
  const d = x1.map((f, j) => f.sub(x2[j]));
  if (d.every((f) => f.isZero())) return "x1 = x2";
  if (domain === "nonnegative" && [...x1, ...x2].some((f) => f.num < 0n))
    return "a point lies outside the nonnegative orthant";
  for (let i = 0; i < W.length; i++) {
    let s = new Fraction(0n);
    for (let j = 0; j < d.length; j++) if (W[i][j] !== 0n) s = s.add(d[j].mul(new Fraction(W[i][j])));
    if (!s.isZero()) return `row ${i} differs at the two points`;
  }
  return null;
}

/** The verdict of one layer on its domain, by the rule of its kind (see the module comment). */
async function layerReport(
  layer: DenseLayerSpec,
  l: number,
  domain: Domain,
  tol: number,
  seed: number,
  budget: Budget,
  pool?: LayerTaskPool,
  proof = false,
): Promise<Omit<NetworkLayerReport, "timeMs">> {
  if (layer.conv) return convLayerReport(layer, l, domain, tol, seed, budget, pool, proof);
  if (layer.activation !== "relu") return linearLayerReport(layer, l, domain, tol, budget);
  const W = layerMatrix(layer, budget, `layer ${l}`);
  const paired = pairedDenseReport(layer, W, l, domain, tol, budget);
  if (paired) return paired;
  const r: LayerCheckResult = await checkLayerWithin(
    W,
    layer.b ?? null,
    { domain, tolerance: tol, seed, ...(pool ? { pool } : {}), ...(proof ? { proof } : {}) },
    budget,
    `layer ${l}`,
  );
  return {
    index: l,
    m: r.m,
    n: r.n,
    activation: "relu",
    kind: "dense",
    rule: "relu",
    domain,
    injective: r.injective,
    method: r.method,
    reason: r.reason,
    rank: r.rank,
    exact: r.exact,
    ...(r.witness ? { witness: layerWitness(r.witness) } : {}),
    ...(r.injective === true && r.certificate ? { certificate: r.certificate } : {}),
  };
}

/**
 * Dense ReLU layers with more columns than this are tried by the rule `dense-pairs` first; at
 * 256 columns the general check of a [B; −DB] layer takes seconds and at 512 its certificate's
 * re-check needs more than 2 GB, while the pair rule needs the exact rank of B only.
 */
export const DENSE_PAIRS_MIN_COLUMNS = 64;

/**
 * The rule `dense-pairs`: a dense ReLU layer whose rows hold exact pairs [b; −λb] (λ > 0) with
 * biases that keep one row of each pair active (./conv-pairs.ts, `findRowPairs`; src/tfjs's
 * InjectiveDense, Corollary 2's [B; −DB; M]). If the first rows of the pairs, B, have full column
 * rank n (exact), at every input the active rows contain a multiple of every row of B: injective
 * (Theorem 1). The route for wide layers (more than {@link DENSE_PAIRS_MIN_COLUMNS} columns), where
 * the general check's certificate would not fit; the verdict is exact but carries no certificate
 * object. Null when it decides nothing (no pairs, or B rank-deficient while
 * other rows exist; the general check then runs).
 */
function pairedDenseReport(
  layer: DenseLayerSpec,
  W: number[][],
  index: number,
  domain: Domain,
  tol: number,
  budget: Budget,
): Omit<NetworkLayerReport, "timeMs"> | null {
  const n = layerInputDim(layer);
  const m = W.length;
  // Narrow layers go to the general check, which is fast there and returns a certificate that
  // verifyCertificate re-checks; fewer than n pairs cannot hold a basis.
  if (n <= DENSE_PAIRS_MIN_COLUMNS || m < 2 * n) return null;
  budget.check(`the pair search of layer ${index}`);
  const pairing = findRowPairs(W, layer.b ?? null);
  if (pairing.pairs.length < n) return null;
  const B: DenseLayerSpec = { type: "dense", W: pairing.pairs.map(([a]) => W[a]), activation: "linear" };
  let r: Omit<NetworkLayerReport, "timeMs">;
  try {
    r = linearLayerReport(B, index, domain, tol, budget);
  } catch (e) {
    if (!isResourceLimitError(e)) throw e;
    return null;
  }
  if (r.injective !== true) return null;
  return {
    index,
    m,
    n,
    activation: "relu",
    kind: "dense",
    rule: "dense-pairs",
    domain,
    injective: true,
    method: "structure",
    rank: n,
    exact: true,
    reason: `${pairing.pairs.length} exact pair(s) of rows [b; −λb] with λ > 0 whose biases keep one row of each pair active${pairing.unpaired.length ? ` (and ${pairing.unpaired.length} other row(s))` : ""}; the first rows of the pairs have full column rank ${n} (exact), so at every input the active rows span R^${n}: injective (Theorem 1; Corollary 2's [B; −DB; M]).`,
  };
}

/** The per-layer rule of a convolution or transposed convolution (see the module comment). */
async function convLayerReport(
  layer: DenseLayerSpec,
  index: number,
  domain: Domain,
  tol: number,
  seed: number,
  budget: Budget,
  pool?: LayerTaskPool,
  proof = false,
): Promise<Omit<NetworkLayerReport, "timeMs">> {
  const p = layer.conv!;
  const m = layerOutputDim(layer);
  const n = layerInputDim(layer);
  const kind = p.op;
  const g = convGeometry(FN, `layers[${index}].conv`, p);
  const what = `${p.op === "conv" ? "Convolution" : "Transposed convolution"} [${p.inputShape.join(", ")}] → [${g.outputShape.join(", ")}], kernel ${g.kSize.join("×")}, stride ${p.stride.join("×")}, padding ${p.padding.join("×")}`;
  const small = n <= CONV_EXACT_MAX_COLUMNS || m < n;
  const smallWhy =
    n <= CONV_EXACT_MAX_COLUMNS
      ? `${n} <= ${CONV_EXACT_MAX_COLUMNS} columns`
      : `m = ${m} < n = ${n}: fewer rows than columns`;
  if (small || (layer.activation !== "relu" && n <= CONV_RANK_MAX_COLUMNS)) {
    if (layer.activation !== "relu") {
      const r = linearLayerReport(layer, index, domain, tol, budget);
      return {
        ...r,
        kind,
        rule: "conv-exact",
        method: r.method,
        reason: `${what}; its explicit ${m}×${n} matrix decided exactly: ${r.reason}`,
      };
    }
    let r: LayerCheckResult;
    try {
      const W = layerMatrix(layer, budget, `layer ${index}`);
      r = await checkLayerWithin(
        W,
        layer.b ?? null,
        { domain, tolerance: tol, seed, ...(pool ? { pool } : {}), ...(proof ? { proof } : {}) },
        budget,
        `layer ${index}`,
      );
    } catch (e) {
      if (!isResourceLimitError(e) || m >= n) throw e;
      // Fewer rows than columns: not injective, but the witness (a null vector) needs the matrix.
      return {
        ...limitReport(layer, index, domain, e),
        reason: `${what}: unknown: it has fewer rows (m = ${m}) than columns (n = ${n}), so its rank is below n and it is not injective on its domain, but a witness (a null vector) needs its explicit matrix, and ${e.message}.`,
      };
    }
    return {
      index,
      m,
      n,
      activation: "relu",
      kind,
      rule: "conv-exact",
      domain,
      injective: r.injective,
      method: r.method,
      reason: `${what}; its explicit ${m}×${n} matrix (${smallWhy}) checked exactly (Theorem 1): ${r.reason}`,
      rank: r.rank,
      exact: r.exact,
      ...(r.witness ? { witness: layerWitness(r.witness) } : {}),
      ...(r.injective === true && r.certificate ? { certificate: r.certificate } : {}),
    };
  }
  const unknown = (why: string): Omit<NetworkLayerReport, "timeMs"> => ({
    index,
    m,
    n,
    activation: layer.activation,
    kind,
    rule: "conv-unknown",
    domain,
    injective: null,
    method: "none",
    reason: `${what}: unknown: its explicit ${m}×${n} matrix has more than ${CONV_EXACT_MAX_COLUMNS} columns, too large for the exact check, and ${why}.`,
    rank: -1, // not computed
    exact: false,
  });
  if (layer.activation !== "relu")
    return unknown(
      `the rank rule is only run up to ${CONV_RANK_MAX_COLUMNS} columns (activation ${layer.activation})`,
    );
  // Theorem 4 first where it applies (a stride-1 convolution without bias: its box is cheap), then
  // the exact pairs [C; −λC] (any stride, transposed, with bias).
  const spec =
    p.op === "conv" && p.stride.every((s) => s === 1) && !p.bias?.some((v) => v !== 0)
      ? convRecordSpec(p)
      : null;
  let t4: Omit<NetworkLayerReport, "timeMs"> | null = null;
  if (spec) {
    budget.check(`the Theorem 4 check of layer ${index}`);
    const r = await checkConv(spec, { domain, tolerance: tol, seed, ...budget.options() });
    t4 = {
      index,
      m,
      n,
      activation: "relu",
      kind,
      rule: "conv-theorem4",
      domain,
      injective: r.injective,
      method: `theorem4 box ${r.box.join("×")}`,
      reason: `${what}; Theorem 4 on the ConvSpec with flipped kernels and zero boundary (its box argument only uses the full kernel placements, which this layer's rows contain): ${r.reason}`,
      rank: -1, // not computed (only the box matrix is checked)
      exact: r.injective === true && r.layerCheck.exact,
    };
    if (r.injective === true) return t4;
  }
  const paired = pairedConvReport(layer, index, domain, tol, budget, what);
  if (paired) return paired;
  if (t4) return t4;
  if (p.op !== "conv")
    return unknown(
      "Theorem 4 does not apply to a transposed convolution, and its output channels are not in exact pairs [C; −λC] whose C has full column rank",
    );
  if (p.stride.some((s) => s !== 1))
    return unknown(
      `Theorem 4 needs stride 1 (this layer has stride ${p.stride.join("×")}), and the output channels are not in exact pairs [C; −λC] whose C has full column rank`,
    );
  if (p.bias?.some((v) => v !== 0))
    return unknown(
      "Theorem 4 (checkConv) is implemented for layers without bias, and this one has a bias; its output channels are not in exact pairs [C; −λC] whose C has full column rank",
    );
  return unknown("the kernel is larger than the signal, so no ConvSpec matches it");
}

/**
 * The rule `conv-pairs` (./conv-pairs.ts): output channels in exact pairs [C; −λC] whose biases keep
 * one channel of each pair active; then the layer is injective when the convolution of C (one
 * filter per pair) has full column rank, decided exactly (rank mod a prime, then rationals), and
 * not injective when every channel is paired and that rank is below n (a null vector of it is a
 * null vector of the whole layer: the witness x, x + v). Null when no pair is found, or when the
 * rank is below n but some channels are unpaired (the rule then decides nothing).
 */
function pairedConvReport(
  layer: DenseLayerSpec,
  index: number,
  domain: Domain,
  tol: number,
  budget: Budget,
  what: string,
): Omit<NetworkLayerReport, "timeMs"> | null {
  const p = layer.conv!;
  budget.check(`the pair search of layer ${index}`);
  const pairing = findConvPairs(p);
  if (pairing.pairs.length === 0) {
    if (pairing.deadZones.length === 0) return null;
    return {
      ...undecidedReport(layer, index, domain, "structure", ""),
      rule: "conv-pairs",
      reason: `${what}: unknown: its output channels come in opposite pairs [C; −λC], but no pair keeps one channel active${pairingNotes(pairing, "the biases")}, so the pair rule (Corollary 2) does not apply.`,
    };
  }
  const m = layerOutputDim(layer);
  const n = layerInputDim(layer);
  const halfRows = (pairing.pairs.length * m) / pairing.channels;
  if (halfRows < n && pairing.unpaired.length > 0) {
    // Too few rows for full rank, and unpaired channels: the rule cannot decide (no rank needed).
    if (pairing.deadZones.length === 0) return null;
    return {
      ...undecidedReport(layer, index, domain, "structure", ""),
      rule: "conv-pairs",
      reason: `${what}: unknown: ${pairing.pairs.length} exact pair(s) of output channels [C; −λC] keep one channel active${pairingNotes(pairing, "the biases")}; the convolution of C over the covering pairs has ${halfRows} rows < n = ${n}, so the pair rule (Corollary 2) does not decide.`,
    };
  }
  let r: Omit<NetworkLayerReport, "timeMs">;
  try {
    r = pairsRank(p, pairing, index, domain, tol, budget);
  } catch (e) {
    if (!isResourceLimitError(e)) throw e;
    return {
      ...limitReport(layer, index, domain, e),
      rule: "conv-pairs",
      reason: `${what}: unknown: its output channels come in ${pairing.pairs.length} exact pair(s) [C; −λC] whose biases keep one channel of each pair active, so it is injective iff the convolution of C has full column rank${pairing.unpaired.length ? " (sufficient only: some channels are unpaired)" : ""}, but the exact rank of that ${halfRows}×${n} matrix did not fit: ${e.message}.`,
    };
  }
  const shown = pairing.pairs
    .slice(0, 4)
    .map(([a, b]) => `${a}/${b}`)
    .join(", ");
  const pairsText = `${pairing.pairs.length} exact pair(s) of output channels [C; −λC] with λ > 0 (${shown}${pairing.pairs.length > 4 ? ", …" : ""}) whose biases keep one channel of each pair active${pairing.unpaired.length ? ` (and ${pairing.unpaired.length} unpaired channel(s))` : ""}`;
  const base = {
    index,
    m,
    n,
    activation: "relu" as const,
    kind: p.op,
    rule: "conv-pairs" as const,
    domain,
    method: "structure",
    rank: r.rank,
    exact: true,
  };
  if (r.injective === true)
    return {
      ...base,
      injective: true,
      reason: `${what}: ${pairsText}; the convolution of C alone has full column rank ${n} (exact), so at every input the active rows contain a multiple of every row of C's matrix and span R^${n}: injective (Theorem 1; Corollary 2's [B; −DB] with B the convolution of C, the paper's paired filters).`,
    };
  if (pairing.unpaired.length > 0) {
    if (pairing.deadZones.length === 0) return null;
    return {
      ...base,
      injective: null,
      exact: false,
      reason: `${what}: unknown: ${pairsText}${pairingNotes(pairing, "the biases")}; the convolution of C over the covering pairs has rank ${r.rank} < n = ${n} (exact), so the pair rule (Corollary 2) does not decide.`,
    };
  }
  return {
    ...base,
    injective: false,
    reason: `${what}: ${pairsText}, every channel paired, but the convolution of C alone has rank ${r.rank} < n = ${n} (exact): a null vector v of it is orthogonal to every row of the layer, so F(x) = F(x + v)${r.witness ? "" : " (no exact null vector within 10 s: no witness)"}.`,
    ...(r.witness ? { witness: r.witness } : {}),
  };
}

/** The exact rank report of the convolution of C: one filter per pair (the first of each), linear. */
function pairsRank(
  p: ConvParams,
  pairing: ConvPairing,
  index: number,
  domain: Domain,
  tol: number,
  budget: Budget,
): Omit<NetworkLayerReport, "timeMs"> {
  const half = convLayer(
    subRecord(
      p,
      pairing.pairs.map(([a]) => a),
    ),
    "linear",
  );
  return linearLayerReport(half, index, domain, tol, budget);
}

/**
 * The dead zones and parallel pairs of a pairing, as a clause starting with "; " (empty when none).
 * @param who what opened them ("the batch norm", "the biases")
 */
function pairingNotes(pairing: ConvPairing, who: string): string {
  const list = (items: string[]): string => `${items.slice(0, 4).join(", ")}${items.length > 4 ? ", …" : ""}`;
  const dead = pairing.deadZones.length
    ? `; ${who} open${who.endsWith("s") ? "" : "s"} a dead zone in ${pairing.deadZones.length} opposite pair(s) (${list(
        pairing.deadZones.map(
          (d) => `${d.pair[0]}/${d.pair[1]}: a slab of width ${d.width.toPrecision(3)} where both are zero`,
        ),
      )})`
    : "";
  const parallel = pairing.parallel.length
    ? `; the batch norm's scales have opposite signs in ${pairing.parallel.length} pair(s) (${list(
        pairing.parallel.map(([a, b]) => `${a}/${b}`),
      )}), which makes them parallel, not a pair`
    : "";
  return dead + parallel;
}

/**
 * The layers [convolution, batch norm] right before layer l when layer l is a ReLU alone and the
 * three compute ReLU(s ⊙ (conv(x) + bias) + shift) with one scale and shift per output channel (an
 * ONNX or Keras export of the paper's DCGAN: ConvTranspose, BatchNormalization, Relu); else null.
 */
function convBatchNormGroup(
  net: Network,
  l: number,
): { conv: number; bn: number; after: ChannelAffine } | null {
  const relu = net.layers[l];
  if (l < 2 || !relu.identity || relu.activation !== "relu") return null;
  const conv = net.layers[l - 2];
  const bn = net.layers[l - 1];
  if (!conv.conv || conv.activation !== "linear" || !bn.batchnorm) return null;
  const m = layerOutputDim(conv);
  const scales = batchNormScales(bn.batchnorm);
  const shifts = bn.b ?? [];
  if (scales.length !== m || shifts.length !== m) return null;
  const q = convGeometry(FN, `layers[${l - 2}].conv`, conv.conv).q;
  const per = m / q;
  const scale: number[] = [];
  const shift: number[] = [];
  for (let o = 0; o < q; o++) {
    for (let i = o * per; i < (o + 1) * per; i++)
      if (!Object.is(scales[i], scales[o * per]) || !Object.is(shifts[i], shifts[o * per])) return null;
    scale.push(scales[o * per]);
    shift.push(shifts[o * per]);
  }
  return { conv: l - 2, bn: l - 1, after: { scale, shift } };
}

/**
 * The rule `conv-bn-pairs`: layer l is a ReLU after a convolution and a batch norm
 * ({@link convBatchNormGroup}), decided on their composition ReLU(s ⊙ (C * x + bias) + shift), whose
 * rows are the convolution's rows scaled per channel. Channels a, b with filter_b = −μ·filter_a
 * (μ > 0) and scales of the same sign stay opposite after the batch norm; they are a pair when the
 * batch-normed biases keep one of them active (./conv-pairs.ts, exactly, the scales and biases as
 * dyadic rationals), and a **dead zone** otherwise: a slab of inputs where both are zero. When the
 * convolution of C over the pairs has full column rank, the composition is injective on the domain
 * of the convolution (Theorem 1, as in `conv-pairs`), so layer l is injective on the range of the
 * two layers before it. Otherwise the rule does not decide; the report then names the dead zones
 * and the pairs that the batch norm made parallel. Null when no channels are paired or opposite.
 */
function pairedConvBnReport(
  net: Network,
  g: { conv: number; bn: number; after: ChannelAffine },
  index: number,
  tol: number,
  budget: Budget,
): Omit<NetworkLayerReport, "timeMs"> | null {
  const convLayerSpec = net.layers[g.conv];
  const p = convLayerSpec.conv!;
  const n = layerInputDim(convLayerSpec);
  const m = layerOutputDim(convLayerSpec);
  const domain = layerDomain(net, g.conv);
  budget.check(`the pair search of layers ${g.conv}–${index}`);
  const pairing = findConvPairs(p, g.after);
  if (pairing.pairs.length === 0 && pairing.deadZones.length === 0 && pairing.parallel.length === 0)
    return null;
  const geo = convGeometry(FN, `layers[${g.conv}].conv`, p);
  const what = `ReLU (layer ${index}) after the ${p.op === "conv" ? "convolution" : "transposed convolution"} [${p.inputShape.join(", ")}] → [${geo.outputShape.join(", ")}] (layer ${g.conv}) and the batch norm (layer ${g.bn}), decided on their composition`;
  const base = {
    index,
    m,
    n,
    activation: "relu" as const,
    kind: p.op,
    rule: "conv-bn-pairs" as const,
    domain,
    group: [g.conv, g.bn, index],
    method: "structure",
  };
  const undecided = (why: string, rank = -1): Omit<NetworkLayerReport, "timeMs"> => ({
    ...base,
    injective: null,
    rank,
    exact: false,
    reason: `${what}: unknown: ${pairing.pairs.length} of its ${pairing.channels / 2} channel pair(s) keep one channel active${pairingNotes(pairing, "the batch norm")}; ${why}.`,
  });
  if (pairing.pairs.length === 0)
    return undecided("no pair keeps one channel active, so the pair rule (Corollary 2) does not apply");
  const halfRows = (pairing.pairs.length * m) / pairing.channels;
  if (halfRows < n)
    return undecided(
      `the convolution of C over those pairs has ${halfRows} rows < n = ${n}, so the pair rule does not decide${pairing.deadZones.length ? " (an input inside a dead zone loses both channels of that pair)" : ""}`,
    );
  let r: Omit<NetworkLayerReport, "timeMs">;
  try {
    r = pairsRank(p, pairing, index, domain, tol, budget);
  } catch (e) {
    if (!isResourceLimitError(e)) throw e;
    return undecided(`the exact rank of the convolution of C over those pairs did not fit: ${e.message}`);
  }
  if (r.injective !== true)
    return undecided(
      `the convolution of C over those pairs has rank ${r.rank} < n = ${n} (exact), so the pair rule does not decide${pairing.deadZones.length ? " (an input inside a dead zone loses both channels of that pair)" : ""}`,
      r.rank,
    );
  const shown = pairing.pairs
    .slice(0, 4)
    .map(([a, b]) => `${a}/${b}`)
    .join(", ");
  return {
    ...base,
    injective: true,
    rank: n,
    exact: true,
    reason: `${what}: ${pairing.pairs.length} exact pair(s) of output channels [C; −μC] (${shown}${pairing.pairs.length > 4 ? ", …" : ""}) stay opposite after the batch norm, and its biases keep one channel of each pair active${pairing.unpaired.length ? ` (and ${pairing.unpaired.length} other channel(s)${pairingNotes(pairing, "the batch norm")})` : ""}; the convolution of C alone has full column rank ${n} (exact), so the composition is injective on ${domain === "all" ? `R^${n}` : "the nonnegative orthant"} (Theorem 1; Corollary 2), and this layer is injective on the range of layers ${g.conv}–${g.bn}.`,
  };
}

/** The Corollary 3 pattern: (ReLU expansion, linear projection) pairs, projections to >= 2n + 1. */
export function corollary3Pattern(net: Network, layers: NetworkLayerReport[]): Corollary3Check {
  const n = net.inputDim;
  const checks: string[] = [];
  const failed: string[] = [];
  const L = net.layers.length;
  if (L % 2 !== 0 || L === 0)
    failed.push(`${L} layers: the pattern needs an even number (expansion, projection pairs)`);
  for (let l = 0; l < L; l++) {
    const r = layers[l];
    const d = `d_${l + 1} = ${r.m}`;
    if (l % 2 === 0) {
      if (r.activation !== "relu")
        failed.push(`layer ${l} is linear; the pattern needs a ReLU expansion here`);
      else if (r.injective === true)
        checks.push(
          `expansion layer ${l}: ${r.n} → ${r.m}, injective on ${r.domain === "all" ? `R^${r.n}` : "the orthant"} (${r.method})`,
        );
      else
        failed.push(
          `expansion layer ${l}: not proved injective (${r.injective === false ? "not injective" : "unknown"})`,
        );
    } else {
      if (r.activation !== "linear")
        failed.push(`layer ${l} has a ReLU; the pattern needs a linear projection here`);
      else if (r.m >= 2 * n + 1) checks.push(`projection layer ${l}: ${d} >= 2n + 1 = ${2 * n + 1}`);
      else failed.push(`projection layer ${l}: ${d} < 2n + 1 = ${2 * n + 1}`);
    }
  }
  return { applies: failed.length === 0 && L > 0, checks, failed };
}

/**
 * Decides (when it can) whether a network of dense layers is injective on R^n, with per-layer
 * verdicts and the end-to-end reasoning (see the module comment).
 *
 * @param net a network (validated here)
 * @returns `injective` true (proved), false (with a witness of network inputs, re-checked by a
 *   forward pass) or null (with `conclusion` "injective almost surely" for the Corollary 3 pattern,
 *   or "unknown" and the reason), the per-layer reports and the Corollary 3 checks
 * @throws InputTypeError / InputRangeError for an invalid network or options
 */
export async function checkNetwork(
  net: Network,
  options: CheckNetworkOptions = {},
): Promise<NetworkCheckResult> {
  validateNetwork(FN, net);
  validateOptions(FN, options);
  const tol = validateTolerance(FN, options.tolerance);
  const budget = Budget.from(FN, options);
  const seed = validateSeed(FN, options.seed);
  const box = options.box ?? { lo: -1, hi: 1 };
  assertRange(
    typeof box === "object" &&
      box !== null &&
      Number.isFinite(box.lo) &&
      Number.isFinite(box.hi) &&
      box.lo < box.hi,
    () => `${FN}: options.box needs finite lo < hi, got ${JSON.stringify(box)}`,
  );
  const start = performance.now();
  const n = net.inputDim;

  const layers: NetworkLayerReport[] = [];
  // A collision of the first layer is a collision of the network: once it is confirmed, the later
  // layers cannot change the verdict and are not checked (their reports say so).
  let settled: NetworkWitness | null = null;
  for (let l = 0; l < net.layers.length; l++) {
    const layer = net.layers[l];
    const domain = layerDomain(net, l);
    if (settled) {
      layers.push(
        skippedReport(layer, l, domain, "the network's verdict was settled by the collision of layer 0"),
      );
      continue;
    }
    const t0 = performance.now();
    try {
      budget.check(`the check of layer ${l}`);
      const fused = convBatchNormGroup(net, l);
      const r =
        (fused && pairedConvBnReport(net, fused, l, tol, budget)) ??
        (await layerReport(layer, l, domain, tol, seed, budget, options.pool, options.proof));
      layers.push({ ...r, timeMs: performance.now() - t0 });
      if (l === 0 && r.injective === false && r.witness && net.layers.length > 1)
        settled = liftWitness(net, layers[0], tol, seed, [], budget);
    } catch (e) {
      if (!isResourceLimitError(e)) throw e;
      if (layers.length === l)
        layers.push({ ...limitReport(layer, l, domain, e), timeMs: performance.now() - t0 });
    }
  }
  const corollary3 = corollary3Pattern(net, layers);
  const result = (
    injective: boolean | null,
    conclusion: NetworkCheckResult["conclusion"],
    reason: string,
    extra: Partial<NetworkCheckResult> = {},
  ): NetworkCheckResult => ({
    injective,
    conclusion,
    reason,
    ...extra,
    layers,
    corollary3,
    inputDim: n,
    tolerance: tol,
    seed,
    timeMs: performance.now() - start,
  });

  if (settled) {
    const skipped = layers.filter((r) => r.method === "skipped").map((r) => r.index);
    return result(
      false,
      "not injective",
      `Not injective: the first layer is not injective on R^${n}, and its collision x1 ≠ x2 gives N(x1) = N(x2) (re-checked by an exact forward pass). Layer(s) ${skipped.join(", ")} were not checked: they cannot change this verdict.`,
      { witness: settled },
    );
  }

  if (layers.every((r) => r.injective === true)) {
    return result(
      true,
      "injective",
      `Injective: each of the ${layers.length} layer(s) is injective on its domain (the first on R^${n}, a layer after a ReLU${layers.some((r) => r.activation === "sigmoid") ? " or a sigmoid" : ""} on the nonnegative orthant), so the composition is injective (Corollary 1).`,
    );
  }

  // Not every layer is injective on its domain: look for an end-to-end witness.
  const bad = layers.filter((r) => r.injective === false);
  const notes: string[] = [];
  for (const r of bad) {
    let w: NetworkWitness | null = null;
    try {
      w = liftWitness(net, r, tol, seed, notes, budget);
    } catch (e) {
      if (!isResourceLimitError(e)) throw e;
      notes.push(`lifting the collision of layer ${r.index} stopped: ${e.message}`);
    }
    if (w) {
      return result(
        false,
        "not injective",
        w.source === "layer"
          ? `Not injective: the first layer is not injective on R^${n}, and its collision x1 ≠ x2 gives N(x1) = N(x2) (re-checked by an exact forward pass).`
          : w.source === "jacobian"
            ? `Not injective: layer ${r.index} is not injective on its domain, and near x1 the layers up to it are linear with an exact Jacobian of rank < ${n}: x2 = x1 + t·u along a null vector u gives N(x1) = N(x2) (re-checked by an exact forward pass).`
            : `Not injective: layer ${r.index} is not injective on its domain, and its collision (h1, h2) lies in the range of the layers before it: the exact inverses x1 ≠ x2 give N(x1) = N(x2) (re-checked by an exact forward pass).`,
        { witness: w },
      );
    }
    if (budget.exhausted()) break;
  }
  let search: CollisionSearchResult | undefined;
  const searchable = net.layers.every(
    (layer) => layer.activation === "relu" || layer.activation === "linear",
  );
  if (!searchable && bad.length + layers.filter((r) => r.injective === null).length > 0)
    notes.push("the sampled collision search was skipped (it supports ReLU and linear activations only)");
  if (
    searchable &&
    options.collisionSearch !== false &&
    bad.length + layers.filter((r) => r.injective === null).length > 0
  ) {
    let found: CollisionSearchResult;
    try {
      found = searchCollisions(net, {
        lo: box.lo,
        hi: box.hi,
        seed,
        pairs: 1000,
        jacobianSamples: 200,
        localSearches: 10,
        ...budget.options(),
      });
    } catch (e) {
      if (!isResourceLimitError(e)) throw e;
      notes.push(`the sampled collision search stopped: ${e.message}`);
      return finishUnknown(result, layers, corollary3, notes, {}, n);
    }
    search = found;
    const extra = {
      collisionSearch: {
        collisionFound: search.collisionFound,
        minRatio: search.minRatio,
        relativeMinRatio: search.relativeMinRatio,
        pairsSampled: search.pairsSampled,
        box: search.box,
        timeMs: search.timeMs,
      },
    };
    if (search.collisionFound) {
      let w: NetworkWitness | null = null;
      try {
        w = checkedWitness(
          net,
          stateOf(search.pair.x1),
          stateOf(search.pair.x2),
          "collision-search",
          undefined,
          budget,
        );
      } catch (e) {
        if (!isResourceLimitError(e)) throw e;
        notes.push(`the exact re-check of the collision search's pair stopped: ${e.message}`);
      }
      if (w)
        return result(
          false,
          "not injective",
          `Not injective: the sampled collision search found x1 ≠ x2 with N(x1) = N(x2), confirmed by an exact forward pass (the states agree exactly after layer ${w.equalAfterLayer}).`,
          { witness: w, ...extra },
        );
      (extra.collisionSearch as NonNullable<NetworkCheckResult["collisionSearch"]>).nearCollision = {
        x1: search.pair.x1,
        x2: search.pair.x2,
        outputDistance: search.pairOutputDistance,
      };
      notes.push(
        `the sampled collision search found a numerical near-collision (‖N(x1) − N(x2)‖ = ${search.pairOutputDistance.toExponential(2)} for ‖x1 − x2‖∞ = ${infNorm(found.pair.x1.map((v, j) => v - found.pair.x2[j])).toExponential(2)}) that is not an exact collision: floating-point evidence that the network is nearly non-injective, not a proof`,
      );
    }
    notes.push(
      `the sampled collision search on [${box.lo}, ${box.hi}]^${n} found none (smallest ratio ‖N(x1) − N(x2)‖/‖x1 − x2‖ = ${search.minRatio.toExponential(2)}, ${search.relativeMinRatio.toExponential(2)} of the Lipschitz estimate)`,
    );
    return finishUnknown(result, layers, corollary3, notes, extra, n);
  }
  return finishUnknown(result, layers, corollary3, notes, {}, n);
}

function finishUnknown(
  result: (
    injective: boolean | null,
    conclusion: NetworkCheckResult["conclusion"],
    reason: string,
    extra?: Partial<NetworkCheckResult>,
  ) => NetworkCheckResult,
  layers: NetworkLayerReport[],
  corollary3: Corollary3Check,
  notes: string[],
  extra: Partial<NetworkCheckResult>,
  n: number,
): NetworkCheckResult {
  const searched = notes.length ? ` No end-to-end collision was found: ${notes.join("; ")}.` : "";
  if (corollary3.applies) {
    return result(
      null,
      "injective almost surely",
      `Injective almost surely (Corollary 3): injective ReLU expansions alternate with linear projections to dimensions >= 2n + 1 = ${2 * n + 1} (every assumption checked, see corollary3.checks). This holds for generic (random) projection matrices, not for every matrix, so it is not a proof for these weights.${searched}`,
      extra,
    );
  }
  const unknownLayers = layers.filter((r) => r.injective === null);
  const badLayers = layers.filter((r) => r.injective === false);
  const parts: string[] = [];
  if (badLayers.length)
    parts.push(
      `layer(s) ${badLayers.map((r) => r.index).join(", ")} are not injective on their domain, which does not by itself make the network non-injective (equation (4): a layer only sees the range of the layers before it)`,
    );
  if (unknownLayers.length)
    parts.push(
      `layer(s) ${unknownLayers.map((r) => r.index).join(", ")} are undecided (${unknownLayers.map((r) => r.reason).join(" ")})`,
    );
  return result(null, "unknown", `Unknown: ${parts.join("; ")}.${searched}`, extra);
}

/** The public part of a layer witness: points, and their fractions when they are not doubles. */
function layerWitness(w: {
  x1: number[];
  x2: number[];
  exactX1?: string[];
  exactX2?: string[];
}): NonNullable<NetworkLayerReport["witness"]> {
  return { x1: w.x1, x2: w.x2, ...(w.exactX1 ? { exactX1: w.exactX1, exactX2: w.exactX2 } : {}) };
}

/** The exact state of a layer witness point: its fractions when given, else its doubles. */
function witnessState(values: number[], exact: string[] | undefined): ExactState | null {
  if (!exact) return stateOf(values);
  const fr = exact.map((t) => toFraction(t));
  return fr.every((f) => f !== null) ? stateOfFractions(fr as { num: bigint; den: bigint }[]) : null;
}

/**
 * The exact re-check of a candidate pair of network inputs (./exact-forward.ts): a witness only when
 * N(x1) = N(x2) holds in exact arithmetic; otherwise null, with the reason in `notes`.
 */
function checkedWitness(
  net: Network,
  s1: ExactState,
  s2: ExactState,
  source: NetworkWitness["source"],
  layer: number | undefined,
  budget: Budget,
  notes?: string[],
): NetworkWitness | null {
  const check = exactCollision(net, s1, s2, budget);
  if (!check.collides) {
    notes?.push(`a candidate pair (${source}) failed the exact re-check: ${check.reason}`);
    return null;
  }
  const d1 = describeState(s1);
  const d2 = describeState(s2);
  const y1 = forwardUnchecked(net, d1.values);
  const y2 = forwardUnchecked(net, d2.values);
  const scale = Math.max(infNorm(y1), infNorm(y2), 1e-300);
  const diff = infNorm(y1.map((v, i) => v - y2[i])) / scale;
  const separation = infNorm(d1.values.map((v, j) => v - d2.values[j])) / Math.max(1, infNorm(d1.values));
  return {
    x1: d1.values,
    x2: d2.values,
    ...(d1.representable && d2.representable ? {} : { exactX1: d1.exact, exactX2: d2.exact }),
    maxOutputDifference: Number.isFinite(diff) ? diff : 0,
    separation,
    source,
    exact: true,
    equalAfterLayer: check.equalAfter!,
    ...(layer !== undefined ? { layer } : {}),
  };
}

/** Float guesses of the inputs of layers 0 … l−1 along the forward pass of z. */
function prefixHints(net: Network, l: number, z: number[]): number[][] {
  const hints: number[][] = [];
  let h: number[] = z;
  for (let j = 0; j < l; j++) {
    hints.push(h);
    h = applyLayer(net.layers[j], h);
  }
  return hints;
}

/**
 * Tries to turn a layer's collision into a collision of network inputs (see the module comment):
 * both points are inverted through the layers before it in exact arithmetic (the float inversion
 * only supplies guesses), and the pair is re-checked by an exact forward pass.
 */
function liftWitness(
  net: Network,
  r: NetworkLayerReport,
  tol: number,
  seed: number,
  notes: string[],
  budget: Budget,
): NetworkWitness | null {
  const l = r.index;
  budget.check(`lifting the collision of layer ${l}`);
  const states = r.witness
    ? {
        s1: witnessState(r.witness.x1, r.witness.exactX1),
        s2: witnessState(r.witness.x2, r.witness.exactX2),
      }
    : null;
  if (states?.s1 && states.s2 && l === 0)
    return checkedWitness(net, states.s1, states.s2, "layer", 0, budget, notes);
  const sub: Network = { ...net, layers: net.layers.slice(0, l) };
  const exactPreimage = (h: ExactState, hFloat: number[]): ExactState | null => {
    const a = invertNetwork(sub, hFloat, { tolerance: tol, findSecond: false, ...budget.options() });
    budget.check(`lifting the collision of layer ${l}`);
    const hints = a.status === "found" ? prefixHints(net, l, a.x!) : undefined;
    return invertPrefixExact(net, l, h, hints, budget);
  };
  if (states?.s1 && states.s2 && r.witness) {
    const z1 = exactPreimage(states.s1, r.witness.x1);
    const z2 = z1 && exactPreimage(states.s2, r.witness.x2);
    if (z1 && z2) {
      const w = checkedWitness(net, z1, z2, "lifted", l, budget, notes);
      if (w) return w;
    }
  }
  // Local collisions: where the layers up to l are linear near a random input and their exact
  // Jacobian has rank < n, a null direction collides (./exact-forward.ts jacobianCollision).
  const rng = new Rng(seed);
  for (let k = 0; k < 16; k++) {
    const z = Array.from({ length: net.inputDim }, () => rng.normal());
    const pair = jacobianCollision(net, l, z, budget);
    if (pair) {
      const w = checkedWitness(net, pair.s1, pair.s2, "jacobian", l, budget, notes);
      if (w) return w;
    }
  }
  notes.push(
    `the collision of layer ${l} was not found in the range of the layers before it (exact inversion)`,
  );
  return null;
}
