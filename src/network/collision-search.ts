/**
 * A sampled search for collisions N(x1) = N(x2), x1 ≠ x2, of a ReLU network on a box [lo, hi]ⁿ.
 *
 * Injectivity of whole networks is proved elsewhere (Corollary 3 and Theorem 5 give it almost
 * surely); this module *tests* it. It minimizes the ratio
 *
 *     r(x1, x2) = ‖N(x1) − N(x2)‖₂ / ‖x1 − x2‖₂
 *
 * over pairs of the box: seeded random pairs at all separations (log-uniform from 1e-4 to 1 times the
 * box diameter), pairs x ± δv along the least singular direction v of the Jacobian at sampled points,
 * then Levenberg–Marquardt from the best pairs (N is piecewise linear, so a Gauss–Newton step lands
 * on a collision when one is within the current linear pieces). A collision makes r = 0; an
 * injective piecewise-linear map has min r > 0 on a box (its inverse is piecewise linear, hence
 * Lipschitz). Finding nothing is evidence, not proof. Pure TypeScript.
 */

import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { Budget, matrixBytes, type BudgetOptions } from "../core/budget.js";
import { guardSvd, norm2 } from "../core/linalg.js";
import { Rng } from "../core/random.js";
import { assertRange, assertType, validateSeed } from "../core/validate.js";
import { layerMatrix, networkDims, validateNetwork, type Network } from "../model/network.js";
import { COLLISION_MIN_SEPARATION, COLLISION_SEARCH_TOLERANCE, validateTolerance } from "../core/numerics.js";

const STAGE = "the sampled collision search";

/**
 * Options of {@link searchCollisions}. `timeLimitMs`, `signal` and `memoryLimitBytes` (default
 * 2 GiB) bound the search: the Jacobians (width × n per layer), the explicit matrices of structured
 * layers and the Levenberg–Marquardt systems ((2n)² doubles) are reserved before they are built,
 * and the time is checked between samples; a ResourceLimitError names the stage.
 */
export interface CollisionSearchOptions extends BudgetOptions {
  /** Lower corner of the box (every coordinate). */
  lo: number;
  /** Upper corner of the box (every coordinate), > lo. */
  hi: number;
  /** @default 1 */
  seed?: number;
  /** Random pairs. @default 2000 */
  pairs?: number;
  /** Points where the Jacobian's smallest singular value is computed. @default 500 */
  jacobianSamples?: number;
  /** Local minimisations, started from the best pairs. @default 20 */
  localSearches?: number;
  /** Iterations per local minimisation. @default 60 */
  localIterations?: number;
  /**
   * A pair counts as a collision when its ratio is at most `tolerance` times the Lipschitz
   * estimate and the points are at least `1e-7` box diameters apart. @default 1e-8
   */
  tolerance?: number;
}

/** Result of {@link searchCollisions}. */
export interface CollisionSearchResult {
  /** True when a pair with ratio <= tolerance × lipschitzEstimate was found. */
  collisionFound: boolean;
  /** Smallest ‖N(x1) − N(x2)‖ / ‖x1 − x2‖ found. */
  minRatio: number;
  /** The pair with the smallest ratio (a collision witness when `collisionFound`). */
  pair: { x1: number[]; x2: number[] };
  /** ‖N(x1) − N(x2)‖ for that pair. */
  pairOutputDistance: number;
  /** Smallest σ_min of the Jacobian at the sampled points (the ratio's limit for close pairs). */
  minJacobianSigma: number;
  /** Largest σ_max of the Jacobian at the sampled points: a lower estimate of the Lipschitz constant. */
  lipschitzEstimate: number;
  /** minRatio / lipschitzEstimate: scale-free; near 0 means nearly non-injective. */
  relativeMinRatio: number;
  pairsSampled: number;
  jacobianSamples: number;
  localSearches: number;
  /** Forward passes (with or without Jacobian). */
  evaluations: number;
  box: { lo: number; hi: number; n: number };
  seed: number;
  tolerance: number;
  timeMs: number;
}

/**
 * Forward pass with the Jacobian of the piecewise-linear map (a ReLU's derivative is taken as 0 at
 * pre-activation ≤ 0, matching the forward pass).
 * @param x input, length n
 * @param budget the explicit matrices of structured layers are built within it (see layerMatrix)
 * @returns y (length out) and J (shape out × n, rows)
 */
export function forwardWithJacobian(
  net: Network,
  x: ArrayLike<number>,
  budget: Budget = Budget.unlimited(),
): { y: number[]; J: number[][] } {
  const n = net.inputDim;
  let h: number[] = Array.from(x);
  let J: number[][] = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let l = 0; l < net.layers.length; l++) {
    const layer = net.layers[l];
    const W = layerMatrix(layer, budget, `layer ${l}`);
    const b = layer.b;
    const relu = layer.activation === "relu";
    const hNext = new Array<number>(W.length);
    const JNext: number[][] = new Array(W.length);
    // Rows between two time checks: about a million multiply-adds each.
    const rowsPerCheck = Math.max(1, Math.floor((1 << 20) / Math.max(1, W[0].length * n)));
    for (let i = 0; i < W.length; i++) {
      if (i % rowsPerCheck === rowsPerCheck - 1) budget.check(STAGE);
      const row = W[i];
      let s = b ? b[i] : 0;
      for (let k = 0; k < row.length; k++) s += row[k] * h[k];
      const off = relu && s <= 0;
      hNext[i] = relu && s < 0 ? 0 : s;
      const Ji = new Array<number>(n).fill(0);
      if (!off) {
        for (let k = 0; k < row.length; k++) {
          const a = row[k];
          if (a === 0) continue;
          const Jk = J[k];
          for (let j = 0; j < n; j++) Ji[j] += a * Jk[j];
        }
      }
      JNext[i] = Ji;
    }
    h = hNext;
    J = JNext;
  }
  return { y: h, J };
}

function singular(J: number[][], budget: Budget): { min: number; max: number; vMin: number[] } {
  const n = J[0].length;
  guardSvd(`${STAGE} (SVD of a Jacobian)`, Math.max(J.length, n), n, budget, false);
  // Pad to at least n rows so that the SVD returns n right singular vectors.
  const rows =
    J.length >= n ? J : J.concat(Array.from({ length: n - J.length }, () => new Array<number>(n).fill(0)));
  const svd = new SingularValueDecomposition(new Matrix(rows), { computeLeftSingularVectors: false });
  const s = svd.diagonal;
  let kMin = 0;
  let kMax = 0;
  for (let k = 1; k < s.length; k++) {
    if (s[k] < s[kMin]) kMin = k;
    if (s[k] > s[kMax]) kMax = k;
  }
  const V = svd.rightSingularVectors;
  return { min: s[kMin], max: s[kMax], vMin: Array.from({ length: n }, (_, j) => V.get(j, kMin)) };
}

/** Solves the symmetric positive definite system A z = r (A: p×p row-major) by Cholesky; null if not PD. */
function solveSpd(A: Float64Array, r: Float64Array, p: number): Float64Array | null {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * p + i] = Math.sqrt(s);
      } else {
        L[i * p + j] = s / L[j * p + j];
      }
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = r[i];
    for (let k = 0; k < i; k++) s -= L[i * p + k] * y[k];
    y[i] = s / L[i * p + i];
  }
  const z = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < p; k++) s -= L[k * p + i] * z[k];
    z[i] = s / L[i * p + i];
  }
  return z;
}

function dist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** A candidate pair and its ratio. */
interface Candidate {
  x1: number[];
  x2: number[];
  ratio: number;
  out: number;
}

/**
 * Searches for a collision of `net` on the box [lo, hi]ⁿ (see the module comment for the method).
 *
 * @param net a network R^n → R^m
 * @returns the smallest ratio found, its pair, Jacobian statistics and whether it is a collision
 * @throws InputRangeError / InputTypeError for an invalid network, box or counts
 * @throws ResourceLimitError when the time limit, the signal or the memory limit stops the search
 */
export function searchCollisions(net: Network, options: CollisionSearchOptions): CollisionSearchResult {
  const fn = "searchCollisions()";
  validateNetwork(fn, net);
  net.layers.forEach((layer, l) =>
    assertRange(
      layer.activation === "relu" || layer.activation === "linear",
      () => `${fn}: supports ReLU and linear layers only, got ${layer.activation} at layer ${l}`,
    ),
  );
  assertType(typeof options === "object" && options !== null, () => `${fn}: options must be an object`);
  const { lo, hi } = options;
  assertType(
    typeof lo === "number" && typeof hi === "number",
    () => `${fn}: options.lo and options.hi must be numbers`,
  );
  assertRange(
    Number.isFinite(lo) && Number.isFinite(hi) && lo < hi,
    () => `${fn}: the box needs finite lo < hi, got lo = ${lo}, hi = ${hi}`,
  );
  const count = (name: keyof CollisionSearchOptions, fallback: number): number => {
    const v = options[name] ?? fallback;
    assertRange(
      typeof v === "number" && Number.isSafeInteger(v) && v >= 0,
      () => `${fn}: options.${name} must be a non-negative integer, got ${String(v)}`,
    );
    return v as number;
  };
  const pairs = count("pairs", 2000);
  const jacobianSamples = count("jacobianSamples", 500);
  const localSearches = count("localSearches", 20);
  const localIterations = count("localIterations", 60);
  const tolerance = validateTolerance(fn, options.tolerance, "options.tolerance", COLLISION_SEARCH_TOLERANCE);
  const seed = validateSeed(fn, options.seed);

  const start = performance.now();
  const n = net.inputDim;
  const budget = Budget.from(fn, options);
  // The Jacobians (two of width × n at a time) and the Levenberg–Marquardt systems.
  const dims = networkDims(net);
  let widest = 0;
  for (const d of dims) widest = Math.max(widest, d);
  const out = dims[dims.length - 1];
  budget.reserve(
    `${STAGE} (Jacobians of ${widest} × ${n} entries)`,
    4 * matrixBytes(widest, n) + out * 2 * n * 8 + 2 * (2 * n) ** 2 * 8,
  );
  const rng = new Rng(seed);
  const width = hi - lo;
  const diam = width * Math.sqrt(n);
  const minSeparation = COLLISION_MIN_SEPARATION * diam;
  let evaluations = 0;
  const clamp = (v: number): number => (v < lo ? lo : v > hi ? hi : v);
  const randomPoint = (): number[] => Array.from({ length: n }, () => lo + width * rng.uniform());
  const randomUnit = (): number[] => {
    const v = Array.from({ length: n }, () => rng.normal());
    const s = norm2(v) || 1;
    return v.map((x) => x / s);
  };
  const fwd = (x: ArrayLike<number>): { y: number[]; J: number[][] } => {
    budget.check(STAGE);
    return forwardWithJacobian(net, x, budget);
  };
  const evaluate = (x: ArrayLike<number>): number[] => {
    evaluations++;
    return fwd(x).y;
  };

  // Keep the best candidates (smallest ratio) for the local searches.
  const best: Candidate[] = [];
  const keep = Math.max(localSearches, 1);
  const consider = (x1: number[], x2: number[], y1?: number[], y2?: number[]): void => {
    const sep = dist(x1, x2);
    if (!(sep >= minSeparation)) return;
    const out = dist(y1 ?? evaluate(x1), y2 ?? evaluate(x2));
    const c: Candidate = { x1, x2, ratio: out / sep, out };
    if (best.length < keep || c.ratio < best[best.length - 1].ratio) {
      best.push(c);
      best.sort((a, b) => a.ratio - b.ratio);
      if (best.length > keep) best.pop();
    }
  };

  // 1. Jacobians at random points: Lipschitz estimate, least-gain directions.
  let lipschitz = 0;
  let minSigma = Infinity;
  for (let k = 0; k < jacobianSamples; k++) {
    const x = randomPoint();
    const { J } = fwd(x);
    evaluations++;
    const s = singular(J, budget);
    lipschitz = Math.max(lipschitz, s.max);
    if (s.min < minSigma) minSigma = s.min;
    // A short pair along the least singular direction probes the local gain.
    if (k < 4 * keep || s.min <= minSigma) {
      const delta = 1e-3 * diam;
      const x1 = x.map((v, j) => clamp(v - delta * s.vMin[j]));
      const x2 = x.map((v, j) => clamp(v + delta * s.vMin[j]));
      consider(x1, x2);
    }
  }

  // 2. Random pairs at all scales.
  for (let k = 0; k < pairs; k++) {
    const x1 = randomPoint();
    let x2: number[];
    if (k % 2 === 0) {
      x2 = randomPoint();
    } else {
      const v = randomUnit();
      const s = diam * Math.pow(10, -4 * rng.uniform());
      x2 = x1.map((x, j) => clamp(x + s * v[j]));
    }
    consider(x1, x2);
  }

  // 3. Levenberg–Marquardt on the residual R(z) = (N(x1) − N(x2)) / ‖x1 − x2‖, z = (x1, x2).
  const p = 2 * n;
  const starts = best.slice(0, localSearches);
  for (const c of starts) {
    let x1 = c.x1.slice();
    let x2 = c.x2.slice();
    let f1 = fwd(x1);
    let f2 = fwd(x2);
    evaluations += 2;
    let ratio = c.ratio;
    let lambda = 1e-3;
    for (let it = 0; it < localIterations && ratio > 0; it++) {
      const dx = x1.map((v, j) => v - x2[j]);
      const sep = norm2(dx);
      const g = f1.y.map((v, i) => v - f2.y[i]);
      const mOut = g.length;
      // JR = [J1/c − g dxᵀ/c³, −J2/c + g dxᵀ/c³], R = g / c.
      const JR = new Float64Array(mOut * p);
      const c3 = sep * sep * sep;
      for (let i = 0; i < mOut; i++) {
        for (let j = 0; j < n; j++) {
          const corr = (g[i] * dx[j]) / c3;
          JR[i * p + j] = f1.J[i][j] / sep - corr;
          JR[i * p + n + j] = -f2.J[i][j] / sep + corr;
        }
      }
      const A = new Float64Array(p * p);
      const rhs = new Float64Array(p);
      for (let i = 0; i < mOut; i++) {
        const Ri = g[i] / sep;
        for (let a = 0; a < p; a++) {
          const ja = JR[i * p + a];
          if (ja === 0) continue;
          rhs[a] -= ja * Ri;
          for (let b = 0; b <= a; b++) A[a * p + b] += ja * JR[i * p + b];
        }
      }
      let scaleDiag = 0;
      for (let a = 0; a < p; a++) {
        for (let b = 0; b < a; b++) A[b * p + a] = A[a * p + b];
        scaleDiag = Math.max(scaleDiag, A[a * p + a]);
      }
      let improved = false;
      for (let tries = 0; tries < 8 && !improved; tries++) {
        const M = A.slice();
        for (let a = 0; a < p; a++) M[a * p + a] += lambda * (scaleDiag || 1);
        const step = solveSpd(M, rhs, p);
        if (step) {
          const y1 = x1.map((v, j) => clamp(v + step[j]));
          const y2 = x2.map((v, j) => clamp(v + step[n + j]));
          const sepNew = dist(y1, y2);
          if (sepNew >= minSeparation) {
            const g1 = fwd(y1);
            const g2 = fwd(y2);
            evaluations += 2;
            const r = dist(g1.y, g2.y) / sepNew;
            if (r < ratio) {
              x1 = y1;
              x2 = y2;
              f1 = g1;
              f2 = g2;
              ratio = r;
              improved = true;
              lambda = Math.max(lambda / 5, 1e-12);
            }
          }
        }
        if (!improved) lambda *= 8;
      }
      if (!improved) break;
    }
    consider(x1, x2, f1.y, f2.y);
  }

  const top = best[0];
  const minRatio = top ? top.ratio : Infinity;
  const L = lipschitz > 0 ? lipschitz : 1;
  return {
    collisionFound: top !== undefined && top.ratio <= tolerance * L,
    minRatio,
    pair: top ? { x1: top.x1, x2: top.x2 } : { x1: [], x2: [] },
    pairOutputDistance: top ? top.out : NaN,
    minJacobianSigma: minSigma,
    lipschitzEstimate: lipschitz,
    relativeMinRatio: minRatio / L,
    pairsSampled: pairs,
    jacobianSamples,
    localSearches: starts.length,
    evaluations,
    box: { lo, hi, n },
    seed,
    tolerance,
    timeMs: performance.now() - start,
  };
}
