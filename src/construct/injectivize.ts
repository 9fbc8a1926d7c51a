/**
 * Injective approximation of a ReLU network: the recipe of the paper's Theorem 5 (universal
 * approximation with injective networks, m ≥ 2n + 1), made concrete.
 *
 * Given f : Rⁿ → Rᵐ (a Network, any ReLU network, injective or not) with m ≥ 2n + 1, a box
 * Z = [lo, hi]ⁿ and ε > 0:
 *
 *  1. H(x) = (u(x), f(x)) with u(x) = (ReLU(x), ReLU(−x)) ∈ R^{2n}. H is injective, because
 *     ReLU(x) − ReLU(−x) = x. It is a ReLU network: the pass-through rows [I; −I] sit next to f's
 *     first layer, and u ≥ 0 passes unchanged through f's later layers (ReLU(u) = u).
 *  2. N = P ∘ H with P = [αA | I_m] : R^{m+2n} → Rᵐ, A an m×2n Gaussian matrix, so that
 *     N(x) = f(x) + αA u(x). P is near [0 | I]: ‖P − [0 | I]‖₂ = α‖A‖₂.
 *
 * Error: ‖N(x) − f(x)‖₂ = α‖A u(x)‖₂ ≤ α‖A‖₂ ‖u(x)‖₂ = α‖A‖₂ ‖x‖₂ ≤ α‖A‖₂ R, with
 * R = max_{x∈Z} ‖x‖₂ = √n · max(|lo|, |hi|). We take α = τ ε / (‖A‖₂ R) with τ uniform in [0.9, 1),
 * so the error is ≤ τε ≤ ε on Z.
 *
 * Injectivity (probability 1, on all of Rⁿ): N(x1) = N(x2) means αA(u(x1) − u(x2)) = f(x2) − f(x1),
 * and u(x1) ≠ u(x2) when x1 ≠ x2. For one pair this is m independent linear conditions on the
 * matrix αA; the pairs form a 2n-dimensional piecewise-linear family, so the matrices that admit a
 * collision form a set of dimension ≤ 2nm − (m − 2n) < 2nm when m ≥ 2n + 1: Lebesgue-null. αA has
 * a density on R^{m×2n} (a Gaussian direction times an independent random radius τε/R — this is
 * why τ is random: a fixed radius would put αA on a null sphere), so N is injective almost surely.
 * Theorem 5 proves that such N exist; the sampled error and the collision search *test* this draw.
 * Full derivation: `docs/constructions.md`.
 */

import { Budget, type BudgetOptions } from "../core/budget.js";
import { Rng } from "../core/random.js";
import { assertRange, assertType, validatePositive } from "../core/validate.js";
import {
  forwardUnchecked,
  layerMatrix,
  outputDim,
  validateNetwork,
  type DenseLayerSpec,
  type Network,
} from "../model/network.js";
import { gaussianMatrix, spectralNorm, validateSeed } from "./common.js";

/**
 * Options of {@link injectivize}. `memoryLimitBytes` (default 2 GiB) bounds the explicit matrices of
 * f's convolution, batch norm and reshape layers, which the construction needs (a ResourceLimitError
 * names the layer when one does not fit); `timeLimitMs` and `signal` stop building them.
 */
export interface InjectivizeOptions extends BudgetOptions {
  /** The box Z = [lo, hi]ⁿ on which the error bound holds. */
  lo: number;
  hi: number;
  /** Largest allowed ‖N(x) − f(x)‖₂ on the box, > 0. */
  epsilon: number;
  /** @default 1 */
  seed?: number;
  /** Random points of the box where the error is measured (the 2ⁿ corners are added). @default 2000 */
  errorSamples?: number;
}

/** Measured ‖N(x) − f(x)‖₂ on sampled points of a box. */
export interface ApproximationError {
  /** Largest error over the points. */
  max: number;
  /** Where it occurs. */
  at: number[];
  /** Random points used. */
  samples: number;
  /** Corners used (all 2ⁿ for n ≤ 12, else 4096 random ones). */
  corners: number;
}

/** Result of {@link injectivize}. */
export interface InjectivizeResult {
  /** N : Rⁿ → Rᵐ, with N(x) = f(x) + αA(ReLU(x), ReLU(−x)). */
  network: Network;
  meta: {
    n: number;
    m: number;
    epsilon: number;
    box: { lo: number; hi: number };
    /** R = max ‖x‖₂ over the box. */
    radius: number;
    /** The Gaussian matrix A, shape (m, 2n), before scaling. */
    A: number[][];
    /** ‖A‖₂. */
    normA: number;
    /** τ ∈ [0.9, 1). */
    tau: number;
    /** α = τ ε / (‖A‖₂ R). */
    alpha: number;
    /** The proved bound α‖A‖₂R = τε on max_Z ‖N − f‖₂. */
    bound: number;
    /**
     * max_Z ‖αA u(x)‖₂ computed from the vertices {lo, 0, hi}ⁿ ∩ Z (u is linear on each orthant, so
     * the norm is convex there and peaks at a vertex); null when n > 10.
     */
    exactMaxError: number | null;
    /** ‖N(x) − f(x)‖₂ measured by forward passes of both networks. */
    error: ApproximationError;
    seed: number;
  };
}

const FN = "injectivize()";

function validateBox(fn: string, lo: unknown, hi: unknown): { lo: number; hi: number } {
  assertType(
    typeof lo === "number" && typeof hi === "number",
    () => `${fn}: options.lo and options.hi must be numbers`,
  );
  assertRange(
    Number.isFinite(lo) && Number.isFinite(hi) && lo < hi,
    () => `${fn}: the box [lo, hi]^n needs finite lo < hi, got lo = ${lo}, hi = ${hi}`,
  );
  return { lo, hi };
}

/**
 * Maximum of ‖N(x) − f(x)‖₂ over seeded random points of [lo, hi]ⁿ and its corners.
 * @param N, f networks with the same input and output dimensions
 * @param options.samples random points (default 2000), options.seed (default 1)
 */
export function approximationError(
  N: Network,
  f: Network,
  options: { lo: number; hi: number; samples?: number; seed?: number },
): ApproximationError {
  const fn = "approximationError()";
  validateNetwork(fn, N);
  validateNetwork(fn, f);
  assertRange(
    N.inputDim === f.inputDim && outputDim(N) === outputDim(f),
    () => `${fn}: N maps R^${N.inputDim} → R^${outputDim(N)} but f maps R^${f.inputDim} → R^${outputDim(f)}`,
  );
  const { lo, hi } = validateBox(fn, options.lo, options.hi);
  const samples = options.samples ?? 2000;
  assertRange(
    Number.isSafeInteger(samples) && samples >= 0,
    () => `${fn}: options.samples must be a non-negative integer`,
  );
  const rng = new Rng(validateSeed(fn, options.seed ?? 1));
  const n = f.inputDim;
  let max = -Infinity;
  let at: number[] = [];
  const probe = (x: number[]): void => {
    const a = forwardUnchecked(N, x);
    const b = forwardUnchecked(f, x);
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
    const e = Math.sqrt(s);
    if (e > max) {
      max = e;
      at = x;
    }
  };
  const corners = n <= 12 ? 2 ** n : 4096;
  for (let k = 0; k < corners; k++) {
    probe(Array.from({ length: n }, (_, j) => ((n <= 12 ? (k >> j) & 1 : rng.uniform() < 0.5) ? hi : lo)));
  }
  for (let k = 0; k < samples; k++) probe(Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform()));
  return { max, at, samples, corners };
}

/** max over {lo, 0, hi}ⁿ ∩ box of ‖C u(x)‖₂, C of shape (m, 2n), u(x) = (ReLU(x), ReLU(−x)). */
function exactPerturbationMax(C: number[][], n: number, lo: number, hi: number): number {
  const values = lo < 0 && hi > 0 ? [lo, 0, hi] : [lo, hi];
  const total = values.length ** n;
  let max = 0;
  const x = new Array<number>(n);
  for (let k = 0; k < total; k++) {
    let r = k;
    for (let j = 0; j < n; j++) {
      x[j] = values[r % values.length];
      r = Math.floor(r / values.length);
    }
    let s = 0;
    for (const row of C) {
      let v = 0;
      for (let j = 0; j < n; j++) v += x[j] > 0 ? row[j] * x[j] : -row[n + j] * x[j];
      s += v * v;
    }
    max = Math.max(max, Math.sqrt(s));
  }
  return max;
}

/**
 * Theorem 5's construction: an injective network N with ‖N(x) − f(x)‖₂ ≤ ε on [lo, hi]ⁿ.
 *
 * N has the depth of f (one more linear layer when f's last layer is a ReLU, one more ReLU layer
 * when f's first layer is linear); its hidden layers are 2n units wider than f's.
 *
 * @param f a network Rⁿ → Rᵐ with m ≥ 2n + 1 (pad f with zero outputs if needed)
 * @returns N, α, A, the proved bound and the measured error
 * @throws InputRangeError when m < 2n + 1, ε ≤ 0, lo ≥ hi or lo = hi = 0, or f is invalid
 * @throws ResourceLimitError when the explicit matrix of one of f's layers is above the memory limit
 *
 * @example
 * const { network, meta } = injectivize(f, { lo: -Math.PI, hi: Math.PI, epsilon: 0.05, seed: 1 });
 * meta.error.max <= 0.05; // true
 */
export function injectivize(f: Network, options: InjectivizeOptions): InjectivizeResult {
  validateNetwork(FN, f);
  assertType(typeof options === "object" && options !== null, () => `${FN}: options must be an object`);
  const { lo, hi } = validateBox(FN, options.lo, options.hi);
  const epsilon = validatePositive(FN, "options.epsilon", options.epsilon);
  const seed = validateSeed(FN, options.seed ?? 1);
  const budget = Budget.from(FN, options);
  const errorSamples = options.errorSamples ?? 2000;
  assertRange(
    Number.isSafeInteger(errorSamples) && errorSamples >= 0,
    () => `${FN}: options.errorSamples must be a non-negative integer, got ${errorSamples}`,
  );
  const n = f.inputDim;
  const m = outputDim(f);
  assertRange(
    m >= 2 * n + 1,
    () =>
      `${FN}: f maps R^${n} to R^${m}, but Theorem 5 needs m >= 2n + 1 = ${2 * n + 1} outputs (a generic projection of the n-dimensional image is injective only then); pad f with zero outputs, as the paper does with f(x) = (0, 0, sin x)`,
  );
  const radius = Math.sqrt(n) * Math.max(Math.abs(lo), Math.abs(hi));

  const rng = new Rng(seed);
  const A = gaussianMatrix(rng, m, 2 * n);
  const tau = 0.9 + 0.1 * rng.uniform();
  const normA = spectralNorm(A);
  const alpha = (tau * epsilon) / (normA * radius);
  const P = A.map((row) => row.map((v) => alpha * v));

  // Hidden vectors are (u, h): u = (ReLU(x), ReLU(−x)) on top, h = f's hidden state.
  const twoN = 2 * n;
  const passRows: number[][] = Array.from({ length: twoN }, (_, i) =>
    Array.from({ length: n }, (_, j) => (j === i % n ? (i < n ? 1 : -1) : 0)),
  );
  const zeros = (k: number): number[] => new Array<number>(k).fill(0);
  const layers: DenseLayerSpec[] = [];
  // Pending f-layers as weights on (u, h): Wu (rows × 2n) and Wh (rows × dim h).
  interface Pending {
    Wu: number[][];
    Wh: number[][];
    b?: number[];
    activation: DenseLayerSpec["activation"];
  }
  const pending: Pending[] = [];
  const [first, ...rest] = f.layers;
  const firstW = layerMatrix(first, budget, "the first layer of f");
  if (first.activation === "relu") {
    layers.push({
      type: "dense",
      W: [...passRows, ...firstW.map((row) => row.slice())],
      b: [...zeros(twoN), ...(first.b ?? zeros(firstW.length))],
      activation: "relu",
    });
  } else {
    layers.push({ type: "dense", W: passRows, activation: "relu" });
    // W1 x = W1 (u⁺ − u⁻) = [W1, −W1] u.
    pending.push({
      Wu: firstW.map((row) => [...row, ...row.map((v) => -v)]),
      Wh: firstW.map(() => []),
      ...(first.b ? { b: first.b } : {}),
      activation: first.activation,
    });
  }
  for (let l = 0; l < rest.length; l++) {
    const layer = rest[l];
    const W = layerMatrix(layer, budget, `layer ${l + 1} of f`);
    pending.push({
      Wu: W.map(() => zeros(twoN)),
      Wh: W,
      ...(layer.b ? { b: layer.b } : {}),
      activation: layer.activation,
    });
  }
  const last = pending.length > 0 ? pending[pending.length - 1] : undefined;
  const mergeLast = last !== undefined && last.activation === "linear";
  const body = mergeLast ? pending.slice(0, -1) : pending;
  for (const p of body) {
    const hDim = p.Wh[0].length;
    layers.push({
      type: "dense",
      W: [
        ...Array.from({ length: twoN }, (_, i) => [
          ...Array.from({ length: twoN }, (_, j) => (i === j ? 1 : 0)),
          ...zeros(hDim),
        ]),
        ...p.Wu.map((row, i) => [...row, ...p.Wh[i]]),
      ],
      b: [...zeros(twoN), ...(p.b ?? zeros(p.Wu.length))],
      activation: p.activation,
    });
  }
  if (mergeLast) {
    // N(x) = f(x) + αA u = (Wu + αA) u + Wh h + b.
    layers.push({
      type: "dense",
      W: last.Wu.map((row, i) => [...row.map((v, j) => v + P[i][j]), ...last.Wh[i]]),
      ...(last.b ? { b: last.b.slice() } : {}),
      activation: "linear",
    });
  } else {
    // f ends with a ReLU: project (u, f(x)) with [αA | I].
    layers.push({
      type: "dense",
      W: P.map((row, i) => [...row, ...Array.from({ length: m }, (_, j) => (i === j ? 1 : 0))]),
      activation: "linear",
    });
  }
  const network: Network = { format: "injective-relu/network", version: 1, inputDim: n, layers };
  const error = approximationError(network, f, { lo, hi, samples: errorSamples, seed: seed + 1 });
  return {
    network,
    meta: {
      n,
      m,
      epsilon,
      box: { lo, hi },
      radius,
      A,
      normA,
      tau,
      alpha,
      bound: alpha * normA * radius,
      exactMaxError: n <= 10 ? exactPerturbationMax(P, n, lo, hi) : null,
      error,
      seed,
    },
  };
}
