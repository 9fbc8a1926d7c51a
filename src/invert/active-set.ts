/**
 * The active-set refinement of ./invert-generator.ts: a fit of y ≈ G(z) by Gauss–Newton steps on the
 * current activation pattern, with Levenberg–Marquardt damping (Nielsen's update) as the safeguard.
 *
 * On a fixed activation pattern a ReLU network is affine, G(z + δ) = G(z) + J δ, so the undamped
 * step δ = argmin ‖J δ + r‖ is the exact least-squares solution on that pattern. The step is taken,
 * the pattern is re-read at the new point, and the solve is repeated; when the pattern no longer
 * changes the step predicts the decrease exactly (gain ratio 1) and the damping goes to 0. When a step
 * crosses kinks and the decrease falls short, the damping grows and the steps shorten towards the
 * gradient direction, so every accepted step decreases the objective.
 *
 * The residual of output entry i is
 *
 * - `out` mode: σ(pre_i) − y_i (the output activation included, its derivative in the Jacobian; a
 *   ReLU output makes y_i = 0 the one-sided condition pre_i <= 0, since the residual max(0, pre_i)
 *   is a hinge);
 * - `pre` mode (a tanh or sigmoid output inverted elementwise): w_i (pre_i − t_i) with
 *   t_i = σ⁻¹(y_i) and w_i = σ'(t_i), first-order equal to the output residual but piecewise linear
 *   in z, so that the steps are exact on a pattern even where the outputs are nearly saturated;
 * - for a saturated entry (a float32 tanh output of exactly ±1, see ./precision.ts), in both modes,
 *   σ(pre_i) − σ(T) while the inequality pre_i >= T (or its mirror) that the value stands for is
 *   violated, and 0 once it holds (a hinge on the scale of an output error);
 * - times `rowWeight[i]` when given (a weighted fit).
 *
 * The Jacobian is formed explicitly (m × n, by forward-mode products in blocks, never the layers'
 * matrices; reused while the activation pattern does not change, since it then does not change
 * either), then the normal equations (JᵀJ + μ I) δ = −Jᵀ r are solved by Cholesky: n is the latent
 * dimension (tens to hundreds), so they cost n³/3 per damping trial. The convergence to float64
 * accuracy on a zero-residual problem does not suffer from the squared condition number: each step
 * contracts the error by about cond(J)²·2^-53.
 *
 * Pure TypeScript, no Node APIs.
 */

import { Budget } from "../core/budget.js";
import { choleskySolve } from "../core/dense.js";
import type { Activation } from "../model/network.js";
import { activate, derivative, isKink, type GeneratorOps, type Trace } from "./generator-ops.js";
import type { Saturation } from "./precision.js";

/** The fitting problem: the compiled generator, the target, and the saturated entries. */
export interface FitProblem {
  ops: GeneratorOps;
  y: Float64Array;
  /** Per output entry: null, or the inequality of a saturated value (then y_i is not used). */
  saturated: (Saturation | null)[];
  /**
   * `out` (the default): the residual of an entry is σ(pre_i) − y_i. `pre`: the output activation is
   * inverted elementwise, and the residual is w_i (pre_i − t_i) with t_i = σ⁻¹(y_i) (`target`) and
   * w_i = σ'(t_i) (`weight`), first-order equal to the output residual but piecewise linear in z.
   */
  mode?: "out" | "pre";
  target?: Float64Array;
  weight?: Float64Array;
  /** Extra row weights (a weighted fit), applied to every residual. */
  rowWeight?: Float64Array;
}

/** The residual at a point. */
export interface Evaluation {
  z: Float64Array;
  trace: Trace;
  r: Float64Array;
  /** ½‖r‖². */
  f: number;
  /** The residual's Jacobian at z, once computed (m × n row-major). */
  J?: Float64Array;
}

/** Options of {@link refine}. */
export interface RefineOptions {
  /** Largest number of Jacobians (accepted steps). @default 50 */
  maxJacobians?: number;
  /** Largest number of forward passes (including rejected steps). @default 4·maxJacobians */
  maxEvaluations?: number;
  /**
   * The caller's success level of f: a start still above 100 times it after 8 Jacobians, whose f
   * decreased by less than 10% over the last 4, is abandoned (stop "stalled").
   */
  successF?: number;
  /**
   * Converged when an accepted step decreases f by at most this fraction (a fit to noise does not
   * need more: the statistical spread of f is about √(2/m) of it). @default 1e-10
   */
  relTol?: number;
  /**
   * A decaying pull towards the latent prior's mean: the first steps minimise
   * ½‖r‖² + ½λ‖z‖² with λ = `prior` × the largest diagonal entry of the first JᵀJ, and λ is
   * multiplied by `priorDecay` after every accepted step (and set to 0 below 1e-8 of its start),
   * so that the fit ends unregularised. It keeps early steps inside the prior's typical set, where
   * a generator's z lives, and so avoids many of the local minima of the piecewise-linear fit. 0:
   * none. @default 0
   */
  prior?: number;
  /** Factor of λ per accepted step. @default 0.3 */
  priorDecay?: number;
  budget?: Budget;
}

/** Result of {@link refine}. */
export interface RefineResult {
  best: Evaluation;
  jacobians: number;
  evaluations: number;
  /** Why it stopped. */
  stop: "converged" | "iterations" | "stalled";
}

/**
 * The residual of entry i and its derivative with respect to the last pre-activation (see the
 * module comment): a saturated entry whose inequality is violated has the output residual
 * σ(pre_i) − σ(T), a satisfied one 0.
 */
function entry(
  p: FitProblem,
  act: Activation,
  alpha: number,
  i: number,
  pre: number,
  out: number,
): [number, number] {
  const s = p.saturated[i];
  let r: number;
  let d: number;
  if (s) {
    if (s.sign * (pre - s.threshold) >= 0) return [0, 0];
    r = out - activate(act, alpha, s.threshold);
    d = derivative(act, alpha, pre, out);
  } else if (p.mode === "pre") {
    const w = p.weight![i];
    r = w * (pre - p.target![i]);
    d = w;
  } else {
    r = out - p.y[i];
    d = derivative(act, alpha, pre, out);
  }
  if (p.rowWeight) {
    r *= p.rowWeight[i];
    d *= p.rowWeight[i];
  }
  return [r, d];
}

/** The residual vector of a trace. */
export function residualOf(p: FitProblem, trace: Trace): Float64Array {
  const L = trace.out.length - 1;
  const pre = trace.pre[L];
  const out = trace.out[L];
  const op = p.ops.ops[L];
  const r = new Float64Array(out.length);
  for (let i = 0; i < r.length; i++) r[i] = entry(p, op.activation, op.alpha, i, pre[i], out[i])[0];
  return r;
}

/** Evaluates the residual at z. */
export function evaluate(p: FitProblem, z: Float64Array, budget?: Budget): Evaluation {
  const trace = p.ops.forward(z, budget);
  const r = residualOf(p, trace);
  let f = 0;
  for (let i = 0; i < r.length; i++) f += r[i] * r[i];
  return { z, trace, r, f: f / 2 };
}

/**
 * The Jacobian of the residual at an evaluation, m × n row-major: the pre-activation Jacobian with
 * each row scaled by σ'(pre_i) (or by −sign·w for an active hinge, 0 for a satisfied one).
 */
export function residualJacobian(p: FitProblem, e: Evaluation, budget?: Budget): Float64Array {
  const J = p.ops.jacobianPre(e.trace, budget);
  scaleRows(p, e, J);
  return J;
}

/** Scales the rows of a pre-activation Jacobian into the residual's Jacobian. */
export function scaleRows(p: FitProblem, e: Evaluation, J: Float64Array): void {
  const n = p.ops.inputDim;
  const L = e.trace.out.length - 1;
  const op = p.ops.ops[L];
  const pre = e.trace.pre[L];
  const out = e.trace.out[L];
  for (let i = 0; i < pre.length; i++) {
    const d = entry(p, op.activation, op.alpha, i, pre[i], out[i])[1];
    if (d === 1) continue;
    const base = i * n;
    for (let j = 0; j < n; j++) J[base + j] *= d;
  }
}

/** Jᵀr. */
function transposeTimes(J: Float64Array, r: Float64Array, m: number, n: number): Float64Array {
  const g = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const ri = r[i];
    if (ri === 0) continue;
    const base = i * n;
    for (let a = 0; a < n; a++) g[a] += J[base + a] * ri;
  }
  return g;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The activation pattern at an evaluation (the state of every ReLU / leaky ReLU unit), when the
 * residual's Jacobian depends on the pattern only; null otherwise (a tanh or sigmoid output fitted
 * in output space, or a violated saturation inequality).
 */
export function patternSignature(p: FitProblem, e: Evaluation): Uint8Array | null {
  const ops = p.ops.ops;
  const L = ops.length - 1;
  const outAct = ops[L].activation;
  if (p.mode !== "pre" && (outAct === "tanh" || outAct === "sigmoid")) return null;
  for (let i = 0; i < p.saturated.length; i++) {
    const s = p.saturated[i];
    if (s && s.sign * (e.trace.pre[L][i] - s.threshold) < 0) return null;
  }
  let size = 0;
  for (let l = 0; l <= L; l++)
    if (isKink(ops[l].activation) && (l < L || p.mode !== "pre")) size += ops[l].outDim;
  const sig = new Uint8Array(size);
  let k = 0;
  for (let l = 0; l <= L; l++) {
    const act = ops[l].activation;
    if (!isKink(act) || (l === L && p.mode === "pre")) continue;
    const pre = e.trace.pre[l];
    if (act === "relu") for (let i = 0; i < pre.length; i++) sig[k++] = pre[i] > 0 ? 1 : 0;
    else for (let i = 0; i < pre.length; i++) sig[k++] = pre[i] < 0 ? 0 : 1;
  }
  return sig;
}

/** JᵀJ (n × n) and Jᵀr. */
export function normalEquations(J: Float64Array, r: Float64Array, m: number, n: number) {
  const A = new Float64Array(n * n);
  const g = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const base = i * n;
    const ri = r[i];
    for (let a = 0; a < n; a++) {
      const ja = J[base + a];
      if (ja === 0) continue;
      g[a] += ja * ri;
      const row = a * n;
      for (let b = a; b < n; b++) A[row + b] += ja * J[base + b];
    }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) A[a * n + b] = A[b * n + a];
  return { A, g };
}

/**
 * The active-set refinement from z0 (see the module comment). Stops when the step or the decrease
 * is negligible (converged: `relTol`), when the Jacobians run out, or when no damping gives a
 * decrease or a start is hopeless (stalled: `successF`). The budget is checked between passes; a
 * ResourceLimitError propagates, and {@link RefineState.best} holds the best point so far for the
 * caller.
 */
export function refine(
  p: FitProblem,
  z0: Float64Array,
  options: RefineOptions = {},
  state: RefineState = { best: null },
): RefineResult {
  const budget = options.budget;
  const n = p.ops.inputDim;
  const m = p.ops.outputDim;
  const maxJ = options.maxJacobians ?? 50;
  const maxEval = options.maxEvaluations ?? 4 * maxJ;
  const history: number[] = [];
  let cur = evaluate(p, z0, budget);
  state.best = cur;
  let evaluations = 1;
  let jacobians = 0;
  let mu = -1;
  let nu = 2;
  // On an unchanged activation pattern the Jacobian is unchanged (the problem is linear there):
  // it is reused, and only Jᵀr is recomputed.
  let cached: { sig: Uint8Array; J: Float64Array; A: Float64Array } | null = null;
  let iterations = 0;
  // The prior's weight λ (set from the first JᵀJ) and the objective it gives.
  let lambda = -1;
  let lambdaFloor = 0;
  const decay = options.priorDecay ?? 0.3;
  const objective = (e: Evaluation): number => {
    if (lambda <= 0) return e.f;
    let zz = 0;
    for (let a = 0; a < n; a++) zz += e.z[a] * e.z[a];
    return e.f + 0.5 * lambda * zz;
  };
  while (jacobians < maxJ && iterations++ < 4 * maxJ) {
    budget?.check("the active-set refinement");
    const sig = patternSignature(p, cur);
    let J: Float64Array;
    let A: Float64Array;
    let g: Float64Array;
    if (sig && cached && sameBytes(sig, cached.sig)) {
      ({ J, A } = cached);
      g = transposeTimes(J, cur.r, m, n);
    } else {
      J = residualJacobian(p, cur, budget);
      jacobians++;
      ({ A, g } = normalEquations(J, cur.r, m, n));
      cached = sig ? { sig, J, A } : null;
    }
    cur.J = J;
    let maxDiag = 0;
    for (let a = 0; a < n; a++) maxDiag = Math.max(maxDiag, A[a * n + a]);
    if (maxDiag === 0) return { best: cur, jacobians, evaluations, stop: "stalled" };
    if (mu < 0) mu = 1e-3 * maxDiag;
    if (lambda < 0) {
      lambda = (options.prior ?? 0) * maxDiag;
      lambdaFloor = 1e-8 * lambda;
    }
    if (lambda > 0) {
      // The prior's terms: A + λI and g + λz (on copies: A may be cached with the pattern).
      A = A.slice();
      g = g.slice();
      for (let a = 0; a < n; a++) {
        A[a * n + a] += lambda;
        g[a] += lambda * cur.z[a];
      }
    }
    let gNorm = 0;
    for (let a = 0; a < n; a++) gNorm = Math.max(gNorm, Math.abs(g[a]));
    if (gNorm === 0) return { best: cur, jacobians, evaluations, stop: "converged" };
    let accepted = false;
    let zNorm = 0;
    for (let a = 0; a < n; a++) zNorm += cur.z[a] * cur.z[a];
    zNorm = Math.sqrt(zNorm);
    while (!accepted) {
      if (evaluations >= maxEval) return { best: cur, jacobians, evaluations, stop: "iterations" };
      const neg = g.map((v) => -v);
      const delta = choleskySolve(A, n, mu, neg);
      if (delta === null) {
        mu = Math.max(mu * nu, 1e-300);
        nu *= 2;
        continue;
      }
      let dNorm = 0;
      for (let a = 0; a < n; a++) dNorm += delta[a] * delta[a];
      dNorm = Math.sqrt(dNorm);
      if (dNorm <= 1e-15 * (zNorm + 1e-15)) return { best: cur, jacobians, evaluations, stop: "converged" };
      const zn = new Float64Array(n);
      for (let a = 0; a < n; a++) zn[a] = cur.z[a] + delta[a];
      budget?.check("the active-set refinement");
      const next = evaluate(p, zn, budget);
      evaluations++;
      // Predicted decrease of the damped model: ½ δᵀ(μ δ − g).
      let pred = 0;
      for (let a = 0; a < n; a++) pred += delta[a] * (mu * delta[a] - g[a]);
      pred /= 2;
      const actual = objective(cur) - objective(next);
      const rho = pred > 0 ? actual / pred : -1;
      if (actual > 0 && rho > 0) {
        cur = next;
        state.best = cur;
        mu *= Math.max(1 / 3, 1 - Math.pow(2 * rho - 1, 3));
        nu = 2;
        accepted = true;
        if (lambda > 0) {
          // Still regularised: no convergence test (the fit of the unregularised problem is wanted).
          lambda *= decay;
          if (lambda < lambdaFloor) lambda = 0;
          continue;
        }
        // Converged on a nonzero residual (noise, rounding): the decrease is negligible.
        const relTol = options.relTol ?? 1e-10;
        history.push(cur.f);
        const h = history.length;
        // Near a kink of the objective (a pattern boundary) the steps shrink and the gain ratio
        // wanders: three accepted steps that together gain less than 10·relTol also converged.
        if (
          (actual <= relTol * next.f && rho > 0.5) ||
          (h >= 4 && history[h - 4] - cur.f <= 10 * relTol * cur.f)
        )
          return { best: cur, jacobians, evaluations, stop: "converged" };
        if (
          options.successF !== undefined &&
          h >= 8 &&
          cur.f > 100 * options.successF &&
          cur.f > 0.9 * history[h - 5]
        )
          return { best: cur, jacobians, evaluations, stop: "stalled" };
      } else {
        if (mu > 1e30 * Math.max(1, maxDiag)) return { best: cur, jacobians, evaluations, stop: "stalled" };
        mu *= nu;
        nu *= 2;
      }
    }
  }
  return { best: cur, jacobians, evaluations, stop: "iterations" };
}

/** Where {@link refine} keeps its best point, for a caller that catches a time limit. */
export interface RefineState {
  best: Evaluation | null;
}
