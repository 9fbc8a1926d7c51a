/**
 * `invertGenerator(net, y, options)`: find z with G(z) = y (or G(z) ≈ y for noisy y) for a trained
 * generator, at real sizes, and say how sure the answer is. The one entry point of the CLI's
 * `invert` and of the benchmarks (docs/networks.md, "Inverting trained generators").
 *
 * Steps:
 *
 * 1. **Checks.** y has the output's length and finite entries; a value outside the range of the
 *    output activation (tanh outside [−1, 1], sigmoid outside [0, 1], ReLU below 0, beyond rounding)
 *    means no preimage. Without noise, a saturated value (a float32 tanh of exactly ±1) becomes the
 *    inequality it stands for (./precision.ts).
 * 2. **Tolerance.** An explicit `tolerance` is a relative ∞-norm bound on the residual. Otherwise,
 *    without noise, the componentwise forward error bound of the model's precision (and of y's
 *    storage) at the estimate (./precision.ts): the answer is "exact up to float32 rounding" when
 *    every |G(ẑ)_i − y_i| is within its bound; a float64 model keeps the relative tolerance 1e-9.
 *    With noise σ, the fit is consistent when its root-mean-square residual is at most σ (plus a
 *    margin for the sample size).
 * 3. **Exact layerwise inversion first** on small networks without noise (./invert-network.ts): it
 *    proves uniqueness globally (every layer's preimage unique) or finds a second preimage.
 * 4. **Active-set refinement** (./active-set.ts) from several starts: the given ones, then seeded
 *    z ~ N(0, I) (a generator's latent prior). Each start is refined by Gauss–Newton steps on the
 *    current activation pattern with Levenberg–Marquardt damping, through the whole network
 *    (dimension-reducing projections included: the unknown is z, never a hidden layer), with the
 *    output activation in the residual. A start that stops improving far above the success level is
 *    abandoned. The first start whose fit is consistent ends the search; otherwise the best fit is
 *    returned.
 * 5. **Certificate.** The result is certified unique when its activation pattern re-checks (no ReLU
 *    pre-activation within its rounding bound of 0, every saturated inequality holds) and the
 *    Jacobian of the fitted equations on that pattern has full column rank n (smallest singular
 *    value above 1e-10 of the largest, from a Householder QR). On that pattern the network is affine
 *    and injective, so ẑ is the only preimage in its activation region; the layerwise proof of step
 *    3 is global. A network that is injective as a whole (for example proved by check-network) has
 *    no other preimage anywhere.
 *
 * Statuses: `unique` (consistent and certified), `found` (consistent, not certified: a flat or
 * ambiguous pattern, or a second preimage), `local-fit` (the best fit is not consistent: y is noisy
 * without a noise level, or the starts ended in local minima), `no-preimage` (proved: a value outside
 * the activation's range, or the layerwise inversion showed y is not in the range and no fit was
 * consistent), `time-limit` (the time limit or the signal stopped it: the best estimate so far).
 * Memory: the Jacobian (m × n) and a few vectors per layer; no layer matrix is built for a
 * convolution, batch norm or lone activation.
 *
 * Pure TypeScript, no Node APIs.
 */

import { Budget, isResourceLimitError, type BudgetOptions } from "../core/budget.js";
import { maxAbs, relativeError } from "../core/linalg.js";
import { Rng } from "../core/random.js";
import { assertRange, assertType, validateChoice, validatePositive, validateSeed } from "../core/validate.js";
import {
  layerInputDim,
  layerOutputDim,
  PRECISIONS,
  validateNetwork,
  type Network,
  type Precision,
} from "../model/network.js";
import {
  evaluate,
  refine,
  residualJacobian,
  type Evaluation,
  type FitProblem,
  type RefineState,
} from "./active-set.js";
import { GeneratorOps, isKink } from "./generator-ops.js";
import { invertNetwork } from "./invert-network.js";
import {
  coarserPrecision,
  FLOAT64_TOLERANCE,
  outOfRange,
  outputBound,
  saturation,
  UNIT_ROUNDOFF,
  type Saturation,
} from "./precision.js";
import { qrR, singularValues } from "./small-linalg.js";
import { loadLpSolver, robustFit, type LpSolver } from "./pattern-lp.js";
import {
  JACOBIAN_RANK_TOLERANCE,
  REFINE_STEP_NOISE_FREE,
  REFINE_STEP_NOISY,
  SAME_ESTIMATE,
} from "../core/numerics.js";

/** Options of {@link invertGenerator}. */
export interface InvertGeneratorOptions extends BudgetOptions {
  /**
   * Standard deviation σ of additive noise on y. 0 (the default): y is G(z) up to the rounding of
   * the model's precision.
   */
  noise?: number;
  /** Relative tolerance ‖G(ẑ) − y‖∞ / ‖y‖∞ that counts as exact; overrides the precision rule. */
  tolerance?: number;
  /** Precision the model computed y in. @default net.precision, else "float64" */
  precision?: Precision;
  /** Precision y was stored in (a float32 .npy: "float32"). @default "float64" */
  yPrecision?: Precision;
  /** Seed of the random starts. @default 1 */
  seed?: number;
  /**
   * Largest number of random starts. @default 8 without noise, 4 with noise (three times as many on
   * networks of at most 200,000 multiply-adds per forward pass)
   */
  starts?: number;
  /** Starts tried first (for example a previous estimate). */
  initial?: number[][];
  /** Try the exact layerwise inversion first: "auto" on small networks without noise. @default "auto" */
  layerwise?: boolean | "auto";
  /** Largest number of Jacobians per start. @default 60 */
  maxJacobians?: number;
  /**
   * The fit: least squares (`l2`, Gaussian noise σ), or a linear program on the activation pattern
   * after the least-squares search (./pattern-lp.ts): `l1` (robust to a few wrong entries; σ is then
   * compared with 1.4826 × the median absolute residual) or `linf` (`noise` is then a bound on
   * every |e_i|). @default "l2"
   */
  norm?: "l2" | "l1" | "linf";
  /** HiGHS, loaded by `await loadLpSolver()`: needed for `norm` l1 or linf. */
  lpSolver?: LpSolver;
}

/** The status of {@link GeneratorInverse} (see the module comment). */
export type GeneratorStatus = "unique" | "found" | "local-fit" | "no-preimage" | "time-limit";

/** The pattern certificate's numbers. */
export interface PatternCertificate {
  /**
   * Kink units (ReLU, leaky ReLU) whose pre-activation at ẑ is within the rounding of our own
   * float64 evaluation of 0: the pattern at ẑ is not determined.
   */
  ambiguous: number;
  /**
   * Kink units whose pre-activation is within the model-precision rounding bound of 0: the framework
   * may have computed y in the adjacent activation region, so ẑ's error bound is first order there.
   */
  nearKink: number;
  /** Saturated entries whose inequality does not hold. */
  violatedSaturations: number;
  /** Fitted equations (rows of the Jacobian that are not identically 0). */
  equations: number;
  /** Numerical rank of their Jacobian (out of n, the latent dimension), and its extreme singular values. */
  rank: number;
  n: number;
  sigmaMax: number;
  sigmaMin: number;
}

/** One start of the active-set refinement. */
export interface StartReport {
  start: string;
  /** ½‖r‖² at the end. */
  f: number;
  jacobians: number;
  stop: string;
}

/** Result of {@link invertGenerator}. */
export interface GeneratorInverse {
  /** The estimate ẑ (always present: the best one found). */
  z: number[];
  status: GeneratorStatus;
  /** True when ẑ is proved to be the only preimage (globally, or in its activation region). */
  certified: boolean;
  /** How: the layerwise proof (global) or the pattern certificate (the activation region). */
  certificate: "layerwise" | "pattern" | null;
  /** Relative residual ‖G(ẑ) − y‖∞ / ‖y‖∞. */
  residual: number;
  /** Root-mean-square residual ‖G(ẑ) − y‖₂ / √m (absolute; compare with the noise level). */
  residualRms: number;
  /** The relative tolerance: explicit, or ‖bound‖∞/‖y‖∞ of the precision rule (max with 1e-9). */
  tolerance: number;
  /** The noise level σ assumed (0: exact up to rounding). */
  noise: number;
  /** Where the tolerance came from. */
  toleranceSource: "option" | "precision" | "noise";
  /** Largest |G(ẑ)_i − y_i| / bound_i (precision rule: <= 1 means exact up to rounding). */
  boundRatio?: number;
  /** The precisions assumed. */
  precision: { model: Precision; y: Precision };
  /** True when the residual passes the tolerance (or the noise test). */
  consistent: boolean;
  /** First-order bound on ‖ẑ − z‖₂ from the rounding bound and σ_min (certified, no noise). */
  zErrorBound?: number;
  /** Another preimage (the layerwise inversion found that y has several). */
  second?: number[];
  /** Output entries treated as inequalities (saturated). */
  saturated: number;
  pattern?: PatternCertificate;
  /** The method that produced ẑ. */
  method: string;
  starts: StartReport[];
  timeMs: number;
  /** One or two sentences on the outcome. */
  reason: string;
}

const FN = "invertGenerator()";

function rms(r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] * r[i];
  return Math.sqrt(s / Math.max(1, r.length));
}

/** Validates y (length, finite) with one-line messages. */
export function validateOutput(fn: string, y: unknown, m: number): number[] {
  assertType(
    Array.isArray(y) || ArrayBuffer.isView(y),
    () => `${fn}: y must be an array of numbers, got ${y === null ? "null" : typeof y}`,
  );
  const arr = y as ArrayLike<unknown>;
  assertRange(
    arr.length === m,
    () => `${fn}: y has length ${arr.length}, expected ${m} (the network's output dimension)`,
  );
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    assertType(typeof v === "number", () => `${fn}: y[${i}] must be a number, got ${typeof v}`);
    assertRange(Number.isFinite(v), () => `${fn}: y[${i}] is ${v}; y must be finite (no NaN or Inf)`);
  }
  return Array.from(arr as ArrayLike<number>);
}

/**
 * Inverts a generator at y (see the module comment).
 *
 * @param net a network (validated here): dense, convolution, transposed convolution, batch norm,
 *   reshape and lone activation layers; ReLU, leaky ReLU, linear, tanh, sigmoid
 * @param y the output (image) to invert, flat, length = the output dimension
 * @returns ẑ and its status, certificate, residual, tolerance, method and time (never throws on a
 *   time limit: the best estimate so far, status `time-limit`)
 * @throws InputTypeError / InputRangeError for an invalid network, y of the wrong length, NaN in y,
 *   or bad options
 * @throws ResourceLimitError of kind "memory" when the compiled network or the Jacobian does not fit
 *
 * @example
 * const r = invertGenerator(net, y); // r.status === "unique", r.z ≈ the z that made y
 */
export function invertGenerator(
  net: Network,
  y: ArrayLike<number>,
  options: InvertGeneratorOptions = {},
): GeneratorInverse {
  const t0 = performance.now();
  validateNetwork(FN, net);
  const m = layerOutputDim(net.layers[net.layers.length - 1]);
  const yArr = validateOutput(FN, y, m);
  assertType(typeof options === "object" && options !== null, () => `${FN}: options must be an object`);
  const noise = options.noise ?? 0;
  assertRange(
    typeof noise === "number" && Number.isFinite(noise) && noise >= 0,
    () => `${FN}: options.noise must be a number >= 0, got ${String(noise)}`,
  );
  const explicitTol =
    options.tolerance === undefined
      ? undefined
      : validatePositive(FN, "options.tolerance", options.tolerance);
  const modelP = validateChoice(
    FN,
    "options.precision",
    options.precision ?? net.precision ?? "float64",
    PRECISIONS,
  );
  const yP = validateChoice(FN, "options.yPrecision", options.yPrecision ?? "float64", PRECISIONS);
  const seed = validateSeed(FN, options.seed);
  const norm = validateChoice(FN, "options.norm", options.norm ?? "l2", ["l2", "l1", "linf"] as const);
  assertType(
    norm === "l2" || (typeof options.lpSolver === "object" && options.lpSolver !== null),
    () =>
      `${FN}: options.norm "${norm}" needs options.lpSolver (HiGHS: await loadLpSolver(), or call invertGeneratorAsync)`,
  );
  const maxStarts = options.starts ?? (noise > 0 ? 4 : 8);
  // Cheap networks (small forward passes) get three times the starts: they cost milliseconds.
  assertRange(
    Number.isInteger(maxStarts) && maxStarts >= 0,
    () => `${FN}: options.starts must be an integer >= 0`,
  );
  const initial = options.initial ?? [];
  initial.forEach((s, i) =>
    assertRange(
      Array.isArray(s) && s.length === net.inputDim && s.every(Number.isFinite),
      () => `${FN}: options.initial[${i}] must be a finite vector of length ${net.inputDim}`,
    ),
  );
  const budget = Budget.from(FN, options);
  const ops = GeneratorOps.compile(net, budget);
  const n = ops.inputDim;
  budget.reserve("the Jacobian of the generator", m * n * 8 * 2);
  const yv = Float64Array.from(yArr);
  const outOp = ops.ops[ops.ops.length - 1];
  const effP = coarserPrecision(modelP, yP);
  const yScale = Math.max(maxAbs(yv), 1e-300);

  // 1. Range and saturation.
  const slack = 4 * UNIT_ROUNDOFF[effP] * Math.max(1, yScale) + (noise > 0 ? Infinity : 0);
  const outside: number[] = [];
  for (let i = 0; i < m; i++) if (outOfRange(outOp.activation, yv[i], slack)) outside.push(i);
  const saturated: (Saturation | null)[] = new Array<Saturation | null>(m).fill(null);
  let nSat = 0;
  if (noise === 0)
    for (let i = 0; i < m; i++) {
      // An entry outside the range is fitted as the nearest saturated value (the status says no preimage).
      let v = yv[i];
      if (outOp.activation === "tanh") v = Math.max(-1, Math.min(1, v));
      if (outOp.activation === "sigmoid") v = Math.max(0, Math.min(1, v));
      const s = saturation(outOp.activation, v, effP);
      if (s) {
        saturated[i] = s;
        nSat++;
      }
    }
  // The output problem (residuals σ(pre) − y), and for tanh/sigmoid outputs the piecewise-linear
  // problem with σ inverted elementwise (residuals σ'(t)(pre − t), t = σ⁻¹(y)), which is fitted first.
  const problem: FitProblem = { ops, y: yv, saturated };
  const smooth = outOp.activation === "tanh" || outOp.activation === "sigmoid";
  const preProblem: FitProblem | null = smooth
    ? invertedProblem(problem, outOp.activation as "tanh" | "sigmoid", noise, effP)
    : null;
  const precision = { model: modelP, y: yP };
  const starts: StartReport[] = [];
  const state: RefineState = { best: null };
  let best: Evaluation | null = null;
  let method = "active-set";
  let second: number[] | undefined;
  let layerwiseUnique = false;
  let layerwiseNotInRange = false;

  /**
   * Without noise, a fit whose rms bound ratio is above 1 (but not far) is polished by a few steps
   * weighted by 1/bound_i: the least-squares fit in the metric of the rounding bound.
   */
  const polishWeighted = (e: Evaluation): Evaluation => {
    if (noise > 0 || explicitTol !== undefined) return e;
    const j0 = judge(e);
    if (j0.consistent || j0.ratio > 1e3) return e;
    const rowWeight = j0.ob.bound.map((b) => 1 / Math.max(b, 1e-300));
    const pol = refine({ ...problem, rowWeight }, e.z, { maxJacobians: 4, budget }, state);
    const next = evaluate(problem, pol.best.z, budget);
    starts.push({ start: "weighted polish", f: next.f, jacobians: pol.jacobians, stop: pol.stop });
    return judge(next).ratio < j0.ratio ? next : e;
  };

  /** Consistency of an evaluation with y: tolerance or noise. */
  const judge = (e: Evaluation) => {
    const out = e.trace.out[e.trace.out.length - 1];
    let maxErr = 0;
    for (let i = 0; i < m; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - yv[i]));
    const residual = maxErr / yScale;
    let sq = 0;
    for (let i = 0; i < m; i++) sq += (out[i] - yv[i]) ** 2;
    const residualRms = Math.sqrt(sq / m);
    const ob = outputBound(ops, e.trace, yv, modelP, yP);
    // The root-mean-square of |G(ẑ)_i − y_i| / bound_i over the unsaturated entries: the true z has
    // every ratio <= 1, so the least-squares fit has an rms ratio <= 1 (never a false rejection).
    let ratioSq = 0;
    let count = 0;
    let bMax = 0;
    for (let i = 0; i < m; i++) {
      bMax = Math.max(bMax, ob.bound[i]);
      // A saturated entry is judged by its inequality (below), not by its value.
      if (saturated[i]) continue;
      ratioSq += ((out[i] - yv[i]) / Math.max(ob.bound[i], 1e-300)) ** 2;
      count++;
    }
    const ratio = Math.sqrt(ratioSq / Math.max(1, count));
    let satViolations = 0;
    const L = e.trace.pre.length - 1;
    for (let i = 0; i < m; i++) {
      const s = saturated[i];
      if (s && s.sign * (e.trace.pre[L][i] - s.threshold) < -ob.pre[L][i]) satViolations++;
    }
    let tolerance: number;
    let source: GeneratorInverse["toleranceSource"];
    let consistent: boolean;
    let robustSigma: number | undefined;
    if (explicitTol !== undefined) {
      tolerance = explicitTol;
      source = "option";
      consistent = residual <= tolerance && satViolations === 0;
    } else if (noise > 0) {
      source = "noise";
      if (norm === "linf") {
        tolerance = noise / yScale;
        consistent = residual * yScale <= noise + bMax;
      } else if (norm === "l1") {
        // The median absolute residual estimates σ robustly (1.4826 MAD for Gaussian noise).
        tolerance = (noise * (1 + 4 / Math.sqrt(2 * m))) / yScale;
        const abs = Array.from(out, (v, i) => Math.abs(v - yv[i])).sort((a, b) => a - b);
        // The median is biased upwards by the outliers that ℓ1 is for (about 10% at 5% outliers)
        // and spreads more than the rms: a wider margin.
        robustSigma = 1.4826 * abs[Math.floor((m - 1) / 2)];
        consistent = robustSigma <= noise * (1.1 + 6 / Math.sqrt(2 * m)) + rms(ob.bound);
      } else {
        tolerance = (noise * (1 + 4 / Math.sqrt(2 * m))) / yScale;
        consistent = residualRms <= noise * (1 + 4 / Math.sqrt(2 * m)) + rms(ob.bound);
      }
    } else {
      tolerance = Math.max(FLOAT64_TOLERANCE, bMax / yScale);
      source = "precision";
      consistent =
        (modelP === "float64" && yP === "float64"
          ? residual <= FLOAT64_TOLERANCE || ratio <= 1
          : ratio <= 1) && satViolations === 0;
    }
    return { residual, residualRms, tolerance, source, consistent, ratio, ob, satViolations, robustSigma };
  };

  const finish = (
    e: Evaluation,
    status: GeneratorStatus | null,
    reasonPrefix: string,
    certifyIt: boolean,
  ): GeneratorInverse => {
    const j = judge(e);
    let pattern: PatternCertificate | undefined;
    let certified = false;
    let certificate: GeneratorInverse["certificate"] = null;
    let zErrorBound: number | undefined;
    if (layerwiseUnique && j.consistent && method.startsWith("layerwise")) {
      certified = true;
      certificate = "layerwise";
    } else if (certifyIt && status !== "time-limit") {
      try {
        const own = outputBound(ops, e.trace, yv, "float64", "float64").pre;
        const c = certify(problem, e, own, j.ob.pre, budget);
        pattern = c.pattern;
        certified = c.ok && j.consistent && second === undefined && j.satViolations === 0;
        if (certified) certificate = "pattern";
        if (certified && noise === 0 && c.pattern.sigmaMin > 0) {
          let s = 0;
          for (let i = 0; i < m; i++) if (!saturated[i]) s += j.ob.bound[i] ** 2;
          zErrorBound = Math.sqrt(s) / c.pattern.sigmaMin;
        }
      } catch (err) {
        if (!isResourceLimitError(err)) throw err;
        status = "time-limit";
      }
    }
    const st: GeneratorStatus =
      status ??
      (j.consistent
        ? certified
          ? "unique"
          : "found"
        : layerwiseNotInRange || outside.length > 0
          ? "no-preimage"
          : "local-fit");
    return {
      z: Array.from(e.z),
      status: outside.length > 0 && st !== "time-limit" ? "no-preimage" : st,
      certified,
      certificate,
      residual: j.residual,
      residualRms: j.residualRms,
      tolerance: j.tolerance,
      noise,
      toleranceSource: j.source,
      ...(j.source === "precision" ? { boundRatio: j.ratio } : {}),
      precision,
      consistent: j.consistent,
      ...(zErrorBound !== undefined ? { zErrorBound } : {}),
      ...(second ? { second } : {}),
      saturated: nSat,
      ...(pattern ? { pattern } : {}),
      method,
      starts,
      timeMs: performance.now() - t0,
      reason: describeOutcome(
        st,
        reasonPrefix,
        j,
        pattern,
        certificate,
        modelP,
        yP,
        noise,
        outside,
        yv,
        outOp.activation,
      ),
    };
  };

  try {
    // 3. Exact layerwise inversion on small networks without noise.
    const small =
      net.layers.every((l) => layerInputDim(l) <= 128 && layerOutputDim(l) <= 1024) &&
      net.layers.reduce((a, l) => a + layerInputDim(l) * layerOutputDim(l), 0) <= 200_000;
    const tryLayerwise = options.layerwise === true || (options.layerwise !== false && small && noise === 0);
    if (tryLayerwise && outside.length === 0) {
      const layerTol =
        explicitTol ??
        (effP === "float64" ? FLOAT64_TOLERANCE : Math.max(FLOAT64_TOLERANCE, 1e3 * UNIT_ROUNDOFF[effP]));
      // At most 200 ms: its LPs (dense simplex) are for small layers, and a dimension-reducing
      // layer makes it inconclusive anyway; the active-set refinement follows.
      const sub = budget.sub(Math.max(1, Math.min(200, budget.remainingMs() / 3)));
      const lw = invertNetwork(net, yArr, {
        tolerance: layerTol,
        ...sub.options(),
      });
      if (lw.status === "found" && lw.x) {
        const e = polishWeighted(evaluate(problem, Float64Array.from(lw.x), budget));
        const j = judge(e);
        starts.push({ start: "layerwise exact", f: e.f, jacobians: 0, stop: lw.status });
        if (j.consistent) {
          method = "layerwise exact";
          layerwiseUnique = lw.unique === true;
          if (lw.unique === false && lw.x2) second = lw.x2;
          best = e;
          return finish(
            e,
            null,
            lw.unique === false
              ? "The exact layerwise inversion found a preimage and a second one (y has several preimages)"
              : "Found by the exact layerwise inversion",
            lw.unique !== true,
          );
        }
        best = e;
      } else {
        starts.push({ start: "layerwise exact", f: NaN, jacobians: 0, stop: lw.status });
        layerwiseNotInRange = lw.status === "not-in-range";
      }
    }

    // 4. Active-set refinement from several starts.
    const rng = new Rng(seed);
    const startPoints: { name: string; z: Float64Array }[] = initial.map((s, i) => ({
      name: `given ${i + 1}`,
      z: Float64Array.from(s),
    }));
    if (best) startPoints.unshift({ name: "layerwise estimate", z: best.z.slice() });
    const nStarts = options.starts ?? (ops.flops() <= 2e5 ? 3 * maxStarts : maxStarts);
    const fixed = startPoints.length;
    /**
     * Start k: a seeded z ~ N(0, I), or (every other start after the fourth) a jump from the best fit
     * so far, by N(0, (rms(ẑ)/2)² I) (basin hopping: local minima of these fits cluster, and a jump
     * from the best one finds the global minimum in fewer starts than fresh random starts).
     */
    const startAt = (k: number): { name: string; z: Float64Array } => {
      if (k < fixed) return startPoints[k];
      const r = k - fixed;
      if (r >= 4 && r % 2 === 1 && best) {
        let ss = 0;
        for (const v of best.z) ss += v * v;
        const scale = 0.5 * Math.sqrt(ss / n);
        return { name: `jump ${r + 1} (seed ${seed})`, z: best.z.map((v) => v + scale * rng.normal()) };
      }
      return {
        name: `random ${r + 1} (seed ${seed})`,
        z: Float64Array.from({ length: n }, () => rng.normal()),
      };
    };
    let repeats = 0;
    const successF = successLevel(noise, m, yScale, effP, explicitTol);
    const maxJ = options.maxJacobians ?? 60;
    const relTol = noise > 0 ? REFINE_STEP_NOISY : REFINE_STEP_NOISE_FREE;
    /**
     * One start: the output problem with a decaying pull to the prior (its bounded residuals make
     * far starts converge far more often than the inverted problem's linear ones: 55 of 64 starts
     * against 7 of 32 on the DCGAN, 63 of 64 with the pull), then, without noise, a polish on the
     * inverted problem (tanh, sigmoid), which is piecewise linear and so exact near saturation.
     */
    const fit = (z0: Float64Array) => {
      const a = refine(problem, z0, { maxJacobians: maxJ, budget, successF, relTol, prior: PRIOR }, state);
      let jac = a.jacobians;
      let fitted = a.best;
      let stop = a.stop;
      if (preProblem && noise === 0) {
        const b = refine(preProblem, fitted.z, { maxJacobians: 10, budget, successF, relTol }, state);
        jac += b.jacobians;
        const e = evaluate(problem, b.best.z, budget);
        const ja = judge(fitted);
        const jb = judge(e);
        if ((jb.consistent && !ja.consistent) || (jb.consistent === ja.consistent && jb.ratio < ja.ratio)) {
          fitted = e;
          stop = b.stop;
        }
      }
      return { best: fitted, jacobians: jac, stop };
    };
    for (let k = 0; k < fixed + nStarts; k++) {
      const sp = startAt(k);
      budget.check("the active-set refinement");
      const fitted = fit(sp.z);
      starts.push({ start: sp.name, f: fitted.best.f, jacobians: fitted.jacobians, stop: fitted.stop });
      const res = { ...fitted, best: polishWeighted(fitted.best) };
      if (best && relativeError(res.best.z, best.z) <= SAME_ESTIMATE) {
        // With noise, the best point again: after four starts that agree, more are unlikely to help.
        if (noise > 0 && ++repeats >= 3) break;
      } else if (!best || res.best.f < best.f) {
        best = res.best;
        repeats = 0;
      }
      if (judge(res.best).consistent) break;
    }
    if (!best) best = evaluate(problem, new Float64Array(n), budget);
    method = "active-set (Gauss–Newton on the activation pattern)";
    if (norm !== "l2") {
      const lp = robustFit(problem, best, norm, options.lpSolver!, budget);
      starts.push({
        start: `${norm} LP fit (HiGHS, ${lp.lps} LPs)`,
        f: lp.best.f,
        jacobians: lp.jacobians,
        stop: "converged",
      });
      best = lp.best;
      method = `active-set, then ${norm === "l1" ? "ℓ1" : "ℓ∞"} LPs on the activation pattern (HiGHS)`;
    }
    return finish(best, null, "", true);
  } catch (err) {
    if (!isResourceLimitError(err) || err.kind === "memory") throw err;
    // The refinement's last point may be one of the inverted problem (another f): re-evaluated.
    const last = state.best ? evaluate(problem, state.best.z) : null;
    const e = last && (!best || last.f < best.f) ? last : best;
    const fallback = e ?? evaluate(problem, new Float64Array(n));
    return finish(fallback, "time-limit", `${err.message}; the best estimate so far is returned`, false);
  }
}

/**
 * The problem with a tanh or sigmoid output inverted elementwise (see FitProblem.mode): targets
 * t_i = σ⁻¹(y_i) and weights σ'(t_i); without noise the saturated entries stay inequalities; with
 * noise, values at or beyond the range are clipped into it first.
 */
function invertedProblem(p: FitProblem, act: "tanh" | "sigmoid", noise: number, prec: Precision): FitProblem {
  const m = p.y.length;
  const target = new Float64Array(m);
  const weight = new Float64Array(m);
  const eps = Math.max(UNIT_ROUNDOFF[prec], noise > 0 ? 1e-6 : 0);
  for (let i = 0; i < m; i++) {
    if (p.saturated[i]) continue;
    let v = p.y[i];
    if (act === "tanh") {
      v = Math.max(-1 + eps, Math.min(1 - eps, v));
      target[i] = Math.atanh(v);
      weight[i] = 1 - v * v;
    } else {
      v = Math.max(eps, Math.min(1 - eps, v));
      target[i] = Math.log(v) - Math.log1p(-v);
      weight[i] = v * (1 - v);
    }
  }
  return { ...p, mode: "pre", target, weight };
}

/**
 * {@link invertGenerator} that loads HiGHS first when `options.norm` is l1 or linf (the same
 * result; the LP solver is loaded once per thread).
 */
export async function invertGeneratorAsync(
  net: Network,
  y: ArrayLike<number>,
  options: InvertGeneratorOptions = {},
): Promise<GeneratorInverse> {
  const lp =
    options.norm && options.norm !== "l2" && !options.lpSolver ? { lpSolver: await loadLpSolver() } : {};
  return invertGenerator(net, y, { ...options, ...lp });
}

/** The pull to the prior's mean in the first steps of every start (RefineOptions.prior). */
const PRIOR = 0.1;

/** The ½‖r‖² below which a start counts as successful (for abandoning hopeless starts). */
function successLevel(noise: number, m: number, yScale: number, p: Precision, tol?: number): number {
  if (noise > 0) return 0.5 * m * (2 * noise) ** 2;
  const t = tol ?? Math.max(FLOAT64_TOLERANCE, 1e3 * UNIT_ROUNDOFF[p]);
  return 0.5 * m * (t * yScale) ** 2;
}

/** The pattern certificate at an evaluation (see the module comment). */
function certify(
  p: FitProblem,
  e: Evaluation,
  ownBound: Float64Array[],
  preBound: Float64Array[],
  budget: Budget,
): { ok: boolean; pattern: PatternCertificate } {
  const ops = p.ops;
  let ambiguous = 0;
  let nearKink = 0;
  for (let l = 0; l < ops.ops.length; l++) {
    if (!isKink(ops.ops[l].activation)) continue;
    const pre = e.trace.pre[l];
    const own: number[] = [];
    const near: number[] = [];
    for (let i = 0; i < pre.length; i++) {
      const a = Math.abs(pre[i]);
      if (a <= ownBound[l][i]) own.push(i);
      if (a <= preBound[l][i]) near.push(i);
    }
    if (own.length === 0 && near.length === 0) continue;
    // A unit whose pre-activation does not depend on z near ẑ (every input to it is a ReLU that is
    // off, so its tangent row is exactly 0) stays where it is: not ambiguous.
    const moving = movingUnits(ops, e, l, [...new Set([...own, ...near])], budget);
    ambiguous += own.filter((i) => moving.has(i)).length;
    nearKink += near.filter((i) => moving.has(i)).length;
  }
  let violatedSaturations = 0;
  const L = e.trace.pre.length - 1;
  for (let i = 0; i < p.saturated.length; i++) {
    const s = p.saturated[i];
    if (s && s.sign * (e.trace.pre[L][i] - s.threshold) < -preBound[L][i]) violatedSaturations++;
  }
  const n = ops.inputDim;
  const m = ops.outputDim;
  // The Jacobian of the refinement's last step when it was computed at ẑ on the same problem.
  const J = e.J ?? residualJacobian(p, e, budget);
  const rows: number[] = [];
  for (let i = 0; i < m; i++) {
    if (p.saturated[i]) continue;
    let nz = false;
    for (let j = 0; j < n && !nz; j++) nz = J[i * n + j] !== 0;
    if (nz) rows.push(i);
  }
  let sv: number[] = [];
  if (rows.length > 0) sv = singularValues(qrR(J, n, rows, budget), n);
  const sigmaMax = sv.length ? sv[0] : 0;
  const sigmaMin = rows.length >= n ? sv[n - 1] : 0;
  const rank = sv.filter((s) => s > JACOBIAN_RANK_TOLERANCE * sigmaMax).length;
  const pattern = {
    ambiguous,
    nearKink,
    violatedSaturations,
    equations: rows.length,
    rank,
    n,
    sigmaMax,
    sigmaMin,
  };
  return { ok: ambiguous === 0 && violatedSaturations === 0 && rank === n, pattern };
}

/** The units (of `units`, in layer l) whose pre-activation has a nonzero derivative in z at ẑ. */
function movingUnits(
  ops: GeneratorOps,
  e: Evaluation,
  l: number,
  units: number[],
  budget: Budget,
): Set<number> {
  const n = ops.inputDim;
  const moving = new Set<number>();
  const block = 32;
  for (let j0 = 0; j0 < n && moving.size < units.length; j0 += block) {
    const k = Math.min(block, n - j0);
    const V = new Float64Array(n * k);
    for (let t = 0; t < k; t++) V[(j0 + t) * k + t] = 1;
    const P = ops.jvpPre(e.trace, V, k, budget, l + 1);
    for (const i of units) {
      if (moving.has(i)) continue;
      for (let t = 0; t < k; t++)
        if (P[i * k + t] !== 0) {
          moving.add(i);
          break;
        }
    }
  }
  return moving;
}

function fmt(x: number): string {
  return x === 0 ? "0" : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2);
}

function describeOutcome(
  status: GeneratorStatus,
  prefix: string,
  j: {
    residual: number;
    residualRms: number;
    tolerance: number;
    source: string;
    ratio: number;
    robustSigma?: number;
  },
  pattern: PatternCertificate | undefined,
  certificate: GeneratorInverse["certificate"],
  modelP: Precision,
  yP: Precision,
  noise: number,
  outside: number[],
  y: Float64Array,
  act: string,
): string {
  const parts: string[] = [];
  if (prefix) parts.push(prefix.replace(/\.$/, "") + ".");
  if (outside.length > 0)
    parts.push(
      `y[${outside[0]}] = ${y[outside[0]]} is outside the range of the output activation ${act}${outside.length > 1 ? ` (and ${outside.length - 1} more entries)` : ""}, so y has no preimage; ẑ is the best fit.`,
    );
  const p = coarserPrecision(modelP, yP);
  const exactWhat =
    j.source === "precision"
      ? p === "float64"
        ? `within the float64 tolerance ${fmt(j.tolerance)}`
        : `exact up to ${p} rounding (the residuals are within the forward error bound: rms of |G(ẑ)_i − y_i| / bound_i = ${fmt(j.ratio)})`
      : j.source === "noise"
        ? j.robustSigma !== undefined
          ? `consistent with the noise level σ = ${fmt(noise)} (1.4826 × the median absolute residual = ${fmt(j.robustSigma)})`
          : `consistent with the noise level σ = ${fmt(noise)} (rms residual ${fmt(j.residualRms)})`
        : `within the tolerance ${fmt(j.tolerance)}`;
  if (status === "unique" || status === "found")
    parts.push(`The fit is ${exactWhat}: relative residual ${fmt(j.residual)}.`);
  else if (status === "no-preimage" && outside.length === 0)
    parts.push(
      `y is not in the range at the tolerance ${fmt(j.tolerance)}: the exact layerwise inversion found no preimage (every later layer's preimage unique), and no start of the active-set refinement fitted y within it (best relative residual ${fmt(j.residual)}).`,
    );
  else if (status === "local-fit")
    parts.push(
      `No start reached a consistent fit: the best has relative residual ${fmt(j.residual)} (rms ${fmt(j.residualRms)}), above the tolerance ${fmt(j.tolerance)}${noise === 0 ? "; if y is noisy, give its noise level (--noise σ)" : ""}.`,
    );
  if (certificate === "layerwise")
    parts.push("It is the only preimage: every layer's preimage is unique (Corollary 1).");
  else if (certificate === "pattern" && pattern) {
    parts.push(
      `Certified unique in its activation region: the pattern re-checks (no unit within rounding of its kink) and the ${pattern.equations} fitted equations have rank ${pattern.rank} = n (σ_min/σ_max = ${fmt(pattern.sigmaMin / pattern.sigmaMax)}).`,
    );
    if (pattern.nearKink > 0)
      parts.push(
        `${pattern.nearKink} unit(s) are within ${p} rounding of their kink: the framework may have computed y on the adjacent region, so the error bound of ẑ is first order.`,
      );
  } else if (pattern && status === "found") {
    const why = [
      pattern.ambiguous > 0 ? `${pattern.ambiguous} unit(s) at their kink` : "",
      pattern.violatedSaturations > 0
        ? `${pattern.violatedSaturations} saturated inequalit(ies) violated`
        : "",
      pattern.rank < pattern.n
        ? `the ${pattern.equations} fitted equations have rank ${pattern.rank} < n = ${pattern.n}, so z is not determined on this pattern`
        : "",
    ].filter(Boolean);
    if (why.length > 0) parts.push(`Not certified: ${why.join("; ")}.`);
  }
  return parts.join(" ");
}
