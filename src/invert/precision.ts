/**
 * Floating-point precision of a model and of its outputs, and the default inversion tolerance derived
 * from it (docs/networks.md, "Precision-aware inversion").
 *
 * A framework computes G(z) in the precision of the weights (float32 for PyTorch, TF.js and most ONNX
 * exports), with unit roundoff u (2^-24 for float32). The computed output ŷ differs from the exact
 * G(z) by at most a componentwise bound e_L, accumulated through the layers from the classical
 * bound on a computed dot product, |fl(w·h) − w·h| <= γ_k |w|·|h| with γ_k = k·u / (1 − k·u) for k
 * products (Higham, Accuracy and Stability of Numerical Algorithms, §3.1):
 *
 *     e_0 = 0,
 *     ε_l = |A_l| e_{l−1} + γ_{k_l + 1} (|A_l| |h_{l−1}| + |b_l|)     (pre-activation of layer l),
 *     e_l = L_l ε_l + c_σ u |h_l|                                     (after the activation),
 *
 * with k_l the fan-in (products per output: the width for a dense layer, c·kh·kw for a convolution),
 * L_l the largest |σ'| on [pre − ε, pre + ε] (1 for ReLU and the identity, max(1, α) for leaky ReLU,
 * 1 − tanh² of the distance to 0 for tanh, σ(1 − σ) likewise for sigmoid) and c_σ the roundings of
 * the activation itself (0 for ReLU, 1 for leaky ReLU, 2 for tanh, 4 for sigmoid). The vectors h_l
 * are those of the estimate ẑ (the bound is evaluated where it is used). Storing y in a coarser
 * format adds u_y |y_i|, and our own float64 evaluation of G(ẑ) adds the same bound with u = 2^-53.
 *
 * The default relative tolerance is max(1e-9, ‖bound‖∞ / ‖y‖∞): a float64 JSON model keeps 1e-9,
 * a float32 model gets its rounding bound (about 1e-6 to 1e-4 for the models measured). It is a
 * worst-case bound, so a true float32 output is never rejected, and a smaller residual is what makes
 * the answer "exact up to float32 rounding".
 *
 * Pure TypeScript, no Node APIs.
 */

import type { Activation, Precision } from "../model/network.js";
import type { GeneratorOps, Trace } from "./generator-ops.js";
import { FLOAT64_TOLERANCE } from "../core/numerics.js";

/** Unit roundoff u = 2^-p of each format (p = significand bits). */
export const UNIT_ROUNDOFF: Readonly<Record<Precision, number>> = {
  float64: 2 ** -53,
  float32: 2 ** -24,
  float16: 2 ** -11,
  bfloat16: 2 ** -8,
};

/** Smallest positive normal number of each format. */
const MIN_NORMAL: Readonly<Record<Precision, number>> = {
  float64: 2 ** -1022,
  float32: 2 ** -126,
  float16: 2 ** -14,
  bfloat16: 2 ** -126,
};

/** The tolerance of a float64 model (and the floor of every default tolerance). */
export { FLOAT64_TOLERANCE };

/** γ_k = k·u / (1 − k·u), the bound on the relative error of a sum of k products. */
export function gammaK(k: number, u: number): number {
  const ku = k * u;
  return ku < 0.5 ? ku / (1 - ku) : Infinity;
}

/** The coarser of two precisions. */
export function coarserPrecision(a: Precision, b: Precision): Precision {
  return UNIT_ROUNDOFF[b] > UNIT_ROUNDOFF[a] ? b : a;
}

/** Roundings of an activation itself, in units of u·|output|. */
function activationRoundings(a: Activation): number {
  switch (a) {
    case "leaky_relu":
      return 1;
    case "tanh":
      return 2;
    case "sigmoid":
      return 4;
    default:
      return 0;
  }
}

/** Largest |σ'| on [t − e, t + e]. */
function localLipschitz(a: Activation, alpha: number, t: number, e: number): number {
  switch (a) {
    case "leaky_relu":
      return Math.max(1, alpha);
    case "tanh": {
      const d = Math.max(0, Math.abs(t) - e);
      const s = Math.tanh(d);
      return 1 - s * s;
    }
    case "sigmoid": {
      const d = Math.max(0, Math.abs(t) - e);
      const s = 1 / (1 + Math.exp(-d));
      return s * (1 - s);
    }
    default:
      return 1;
  }
}

/** The componentwise bounds of {@link forwardErrorBound}. */
export interface ForwardBound {
  /** Bound on every layer's computed pre-activation, layer by layer. */
  pre: Float64Array[];
  /** Bound on the computed output. */
  out: Float64Array;
}

/** The confidence parameter λ of the probabilistic bound (Higham and Mary 2019). */
export const LAMBDA = 6;

/**
 * The componentwise bound on |fl(G(z)) − G(z)| of a forward pass in unit roundoff u, evaluated along
 * a trace (see the module comment). `worst-case` is the rigorous recursion with γ_k and |A|.
 * `probabilistic` treats the rounding errors as independent, mean zero and at most u in relative
 * size (the model of Higham and Mary, "A new approach to probabilistic rounding error analysis",
 * SIAM J. Sci. Comput. 2019): it propagates a standard deviation, s_l² = (A_l∘A_l) s_{l−1}² +
 * k_l u² (|A_l| |h_{l−1}| + |b_l|)², through the layers (times σ'² at an activation, plus its own
 * rounding), and returns λ·s with λ = 6.
 */
export function forwardErrorBound(
  ops: GeneratorOps,
  trace: Trace,
  u: number,
  kind: "worst-case" | "probabilistic" = "probabilistic",
): ForwardBound {
  const worst = kind === "worst-case";
  // Worst case: the error bound e; probabilistic: the variance.
  let e = new Float64Array(ops.inputDim);
  const pre: Float64Array[] = [];
  const scale = worst ? 1 : LAMBDA;
  for (let l = 0; l < ops.ops.length; l++) {
    const op = ops.ops[l];
    const h = l === 0 ? trace.z : trace.out[l - 1];
    let eps: Float64Array;
    if (op.kind === "copy") {
      eps = e.slice();
    } else {
      const k = op.fanIn + (op.bias ? 1 : 0);
      eps = ops.weightApply(l, e, worst ? "abs" : "square");
      const terms = ops.weightApply(l, h.map(Math.abs), "abs");
      for (let i = 0; i < eps.length; i++) {
        const t = terms[i] + (op.bias ? Math.abs(op.bias[i]) : 0);
        eps[i] += worst ? gammaK(k, u) * t : k * u * u * t * t;
      }
    }
    pre.push(worst ? eps : eps.map((v) => scale * Math.sqrt(v)));
    const p = trace.pre[l];
    const o = trace.out[l];
    const c = activationRoundings(op.activation) * u;
    const next = new Float64Array(eps.length);
    for (let i = 0; i < eps.length; i++) {
      const width = worst ? eps[i] : scale * Math.sqrt(eps[i]);
      const L = localLipschitz(op.activation, op.alpha, p[i], width);
      next[i] = worst ? L * eps[i] + c * Math.abs(o[i]) : L * L * eps[i] + (c * o[i]) ** 2;
    }
    e = next;
  }
  return { pre, out: worst ? e : e.map((v) => scale * Math.sqrt(v)) };
}

/**
 * The bound on |y_i − G(z)_i| for y computed by the model in `model` precision, stored in `stored`
 * precision, and compared with our float64 evaluation (see the module comment).
 */
export function outputBound(
  ops: GeneratorOps,
  trace: Trace,
  y: ArrayLike<number>,
  model: Precision,
  stored: Precision,
  kind: "worst-case" | "probabilistic" = "probabilistic",
): { bound: Float64Array; pre: Float64Array[] } {
  const uModel = Math.max(UNIT_ROUNDOFF[model], UNIT_ROUNDOFF.float64);
  const fb = forwardErrorBound(ops, trace, uModel, kind);
  const uY = UNIT_ROUNDOFF[stored];
  const own = UNIT_ROUNDOFF.float64 / uModel;
  const bound = new Float64Array(fb.out.length);
  for (let i = 0; i < bound.length; i++) bound[i] = fb.out[i] * (1 + own) * 1.01 + uY * Math.abs(y[i]);
  return { bound, pre: fb.pre };
}

/** What a saturated output entry stands for: an inequality on its pre-activation. */
export interface Saturation {
  /** +1: pre >= threshold; −1: pre <= threshold. */
  sign: 1 | -1;
  threshold: number;
}

/**
 * Whether output value v of activation `a` is saturated in precision p (a float32 tanh returns
 * exactly ±1 for |t| above about 9; a float32 sigmoid returns exactly 1 above about 17 and 0 below
 * about −87 or −103), and the inequality it stands for: tanh = ±1 ⇒ ±t >= atanh(1 − u), the
 * pre-activation of the largest value below 1; sigmoid = 1 ⇒ t >= logit(1 − u); sigmoid = 0 ⇒
 * t <= log(smallest normal) (a weaker inequality than any that a 0 could come from). Null for an
 * unsaturated value, or another activation.
 */
export function saturation(a: Activation, v: number, p: Precision): Saturation | null {
  const u = UNIT_ROUNDOFF[p];
  if (a === "tanh" && Math.abs(v) === 1) {
    const T = Math.atanh(1 - u);
    return v > 0 ? { sign: 1, threshold: T } : { sign: -1, threshold: -T };
  }
  if (a === "sigmoid") {
    if (v === 1) return { sign: 1, threshold: Math.log1p(-u) - Math.log(u) };
    if (v === 0) return { sign: -1, threshold: Math.log(MIN_NORMAL[p]) };
  }
  return null;
}

/**
 * Whether v is outside the range of the output activation by more than `slack` (absolute): tanh
 * outside [−1, 1], sigmoid outside [0, 1], ReLU below 0. Such a y has no preimage.
 */
export function outOfRange(a: Activation, v: number, slack: number): boolean {
  switch (a) {
    case "tanh":
      return Math.abs(v) > 1 + slack;
    case "sigmoid":
      return v < -slack || v > 1 + slack;
    case "relu":
      return v < -slack;
    default:
      return false;
  }
}
