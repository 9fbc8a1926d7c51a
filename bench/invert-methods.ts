/**
 * The inversion methods compared by `npm run bench:invert` (bench/invert-real.ts), each a plain
 * function of (network, noisy output y, noise level, time limit) that returns an estimate ẑ (or
 * none) and a status. Every method stops at its deadline and returns what it has.
 *
 * - {@link projectInvert}: the project's entry point, behind one adapter (swap it here).
 * - {@link leiInvert}: baseline (a), the layerwise ℓ∞ linear program of Lei, Jalal, Dhillon and
 *   Dimakis, "Inverting deep generative models, one layer at a time" (NeurIPS 2019), solved by
 *   HiGHS (the `highs` npm package, WebAssembly), no tuning.
 * - {@link adamInvert}: baseline (b), Adam on ‖G(z) − y‖² from seeded random starts, the algorithm
 *   and defaults of src/invert/gradient-inversion.ts (5 restarts × 1500 iterations, step 0.1 decaying
 *   geometrically to 1e-4, starts z ~ N(0, I)) on a compiled copy of the network (sparse rows in
 *   typed arrays, so that it is fast enough to finish at image size) with a deadline.
 */

import type { Highs } from "highs";
import { isResourceLimitError } from "../src/core/budget.js";
import { Rng } from "../src/core/random.js";
import { invertGenerator } from "../src/invert/invert-generator.js";
import {
  inverseActivation,
  layerDomain,
  layerInputDim,
  layerMatrix,
  layerOutputDim,
  type Activation,
  type DenseLayerSpec,
  type Network,
} from "../src/model/network.js";

/** What a method returns for one image. */
export interface MethodResult {
  /** The estimate ẑ, or null when the method gave none. */
  z: number[] | null;
  /** The method's own status, in a few words ("found", "not-in-range", "time limit", ...). */
  status: string;
  /** More detail (a reason, the number of LPs), for the log. */
  note?: string;
}

/** The time allowed for one image. */
export interface MethodBudget {
  timeLimitMs: number;
}

// ---------------------------------------------------------------------------------------------
// The project's method (one adapter: swap the entry point here)
// ---------------------------------------------------------------------------------------------

/**
 * The project's inversion of one image: `invertGenerator` (src/invert/invert-generator.ts) with its
 * default options, the model's precision (float32 for these ONNX exports), y stored in float32 when
 * clean, the noise level σ when noisy, and the per-image time limit (a time limit returns the best
 * estimate so far).
 *
 * @param sigma the standard deviation of the noise added to y (absolute; 0: clean float32 outputs)
 */
export function projectInvert(net: Network, y: number[], sigma: number, budget: MethodBudget): MethodResult {
  try {
    const r = invertGenerator(net, y, {
      noise: sigma,
      yPrecision: sigma === 0 ? "float32" : "float64",
      timeLimitMs: budget.timeLimitMs,
    });
    return {
      z: r.z,
      status: r.status,
      note: `${r.method}; residual ${r.residual.toExponential(2)}${r.certified ? "; certified" : ""}`,
    };
  } catch (e) {
    if (isResourceLimitError(e)) return { z: null, status: `${e.kind} limit`, note: e.message };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// A compiled copy of the network: every layer's W as sparse rows (CSR) in typed arrays
// ---------------------------------------------------------------------------------------------

/**
 * One layer `σ(W h + b)`: W in compressed sparse rows (`starts`, `cols`, `vals`), and also row-major
 * in `dense` when at least half of its entries are nonzero (a dense loop is faster then).
 */
export interface CompiledLayer {
  m: number;
  n: number;
  starts: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  dense: Float64Array | null;
  b: Float64Array;
  activation: Activation;
  alpha: number;
  /** The layer's input is nonnegative (it follows a ReLU or a sigmoid): Lei et al.'s x >= 0. */
  nonnegativeInput: boolean;
}

export interface CompiledNetwork {
  inputDim: number;
  outputDim: number;
  layers: CompiledLayer[];
}

/**
 * Compiles a network for the baselines: each layer's matrix (built once, by `layerMatrix`, for a
 * convolution) is stored as sparse rows. Meant for the benchmark's generators (the largest dense
 * matrix built is a few tens of MB), not for arbitrary sizes.
 */
export function compileNetwork(net: Network): CompiledNetwork {
  const layers = net.layers.map((layer: DenseLayerSpec, l): CompiledLayer => {
    const m = layerOutputDim(layer);
    const n = layerInputDim(layer);
    const W = layerMatrix(layer);
    const starts = new Int32Array(m + 1);
    let nnz = 0;
    for (let i = 0; i < m; i++) {
      const row = W[i];
      for (let j = 0; j < n; j++) if (row[j] !== 0) nnz++;
      starts[i + 1] = nnz;
    }
    const cols = new Int32Array(nnz);
    const vals = new Float64Array(nnz);
    let k = 0;
    for (let i = 0; i < m; i++) {
      const row = W[i];
      for (let j = 0; j < n; j++)
        if (row[j] !== 0) {
          cols[k] = j;
          vals[k++] = row[j];
        }
    }
    let dense: Float64Array | null = null;
    if (nnz >= 0.5 * m * n) {
      dense = new Float64Array(m * n);
      for (let i = 0; i < m; i++) dense.set(W[i], i * n);
    }
    return {
      m,
      n,
      starts,
      cols,
      vals,
      dense,
      b: Float64Array.from(layer.b ?? new Array<number>(m).fill(0)),
      activation: layer.activation,
      alpha: layer.alpha ?? 0.01,
      nonnegativeInput: layerDomain(net, l) === "nonnegative",
    };
  });
  return { inputDim: net.inputDim, outputDim: layers[layers.length - 1].m, layers };
}

function act(L: CompiledLayer, s: number): number {
  switch (L.activation) {
    case "relu":
      return s < 0 ? 0 : s;
    case "leaky_relu":
      return s < 0 ? L.alpha * s : s;
    case "tanh":
      return Math.tanh(s);
    case "sigmoid":
      return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
    default:
      return s;
  }
}

function actDerivative(L: CompiledLayer, s: number, o: number): number {
  switch (L.activation) {
    case "relu":
      return s <= 0 ? 0 : 1;
    case "leaky_relu":
      return s < 0 ? L.alpha : 1;
    case "tanh":
      return 1 - o * o;
    case "sigmoid":
      return o * (1 - o);
    default:
      return 1;
  }
}

/** G(z) on the compiled network. */
export function compiledForward(c: CompiledNetwork, z: ArrayLike<number>): Float64Array {
  let h: Float64Array = Float64Array.from(z);
  for (const L of c.layers) {
    const pre = preActivations(L, h);
    for (let i = 0; i < L.m; i++) pre[i] = act(L, pre[i]);
    h = pre;
  }
  return h;
}

/** W h + b. */
function preActivations(L: CompiledLayer, h: Float64Array): Float64Array {
  const out = new Float64Array(L.m);
  const { n, dense } = L;
  for (let i = 0; i < L.m; i++) {
    let s = L.b[i];
    if (dense) for (let j = 0, o = i * n; j < n; j++) s += dense[o + j] * h[j];
    else for (let k = L.starts[i]; k < L.starts[i + 1]; k++) s += L.vals[k] * h[L.cols[k]];
    out[i] = s;
  }
  return out;
}

/** ‖G(z) − y‖² and its gradient in z (one forward, one backward pass). */
export function compiledLossAndGradient(
  c: CompiledNetwork,
  y: ArrayLike<number>,
  z: ArrayLike<number>,
): { loss: number; grad: Float64Array } {
  const pres: Float64Array[] = [];
  const outs: Float64Array[] = [Float64Array.from(z)];
  for (const L of c.layers) {
    const pre = preActivations(L, outs[outs.length - 1]);
    const out = new Float64Array(L.m);
    for (let i = 0; i < L.m; i++) out[i] = act(L, pre[i]);
    pres.push(pre);
    outs.push(out);
  }
  const top = outs[outs.length - 1];
  let loss = 0;
  let g = new Float64Array(top.length);
  for (let i = 0; i < top.length; i++) {
    const d = top[i] - y[i];
    loss += d * d;
    g[i] = 2 * d;
  }
  for (let l = c.layers.length - 1; l >= 0; l--) {
    const L = c.layers[l];
    const pre = pres[l];
    const out = outs[l + 1];
    const back = new Float64Array(L.n);
    const { n, dense } = L;
    for (let i = 0; i < L.m; i++) {
      const gi = g[i] * actDerivative(L, pre[i], out[i]);
      if (gi === 0) continue;
      if (dense) for (let j = 0, o = i * n; j < n; j++) back[j] += gi * dense[o + j];
      else for (let k = L.starts[i]; k < L.starts[i + 1]; k++) back[L.cols[k]] += gi * L.vals[k];
    }
    g = back;
  }
  return { loss, grad: g };
}

// ---------------------------------------------------------------------------------------------
// Baseline (b): Adam on ‖G(z) − y‖² with restarts
// ---------------------------------------------------------------------------------------------

/** Options of {@link adamInvert}: the defaults of src/invert/gradient-inversion.ts. */
export interface AdamOptions {
  restarts?: number;
  iterations?: number;
  learningRate?: number;
  finalLearningRateRatio?: number;
  seed?: number;
}

/**
 * Adam on ‖G(z) − y‖² from `restarts` seeded starts z ~ N(0, I), `iterations` steps each, the step
 * decaying geometrically from `learningRate` to `learningRate·finalLearningRateRatio`; the best
 * iterate of all starts is returned (as gradientInversion does). At the deadline it stops and
 * returns the best iterate so far, with the status "time limit (k of R restarts)".
 */
export function adamInvert(
  c: CompiledNetwork,
  y: ArrayLike<number>,
  budget: MethodBudget,
  options: AdamOptions = {},
): MethodResult {
  const deadline = performance.now() + budget.timeLimitMs;
  const n = c.inputDim;
  const restarts = options.restarts ?? 5;
  const iterations = options.iterations ?? 1500;
  const lr0 = options.learningRate ?? 0.1;
  const ratio = options.finalLearningRateRatio ?? 1e-3;
  const rng = new Rng(options.seed ?? 1);
  const decay = iterations > 1 ? Math.pow(ratio, 1 / (iterations - 1)) : 1;
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-12;
  let best: number[] | null = null;
  let bestLoss = Infinity;
  for (let r = 0; r < restarts; r++) {
    const z = Array.from({ length: n }, () => rng.normal());
    const mom = new Float64Array(n);
    const vel = new Float64Array(n);
    let lr = lr0;
    for (let t = 1; t <= iterations; t++) {
      if (t % 16 === 0 && performance.now() > deadline)
        return { z: best, status: `time limit (${r} of ${restarts} restarts done)` };
      const { loss, grad } = compiledLossAndGradient(c, y, z);
      if (loss < bestLoss) {
        bestLoss = loss;
        best = z.slice();
      }
      const c1 = 1 - Math.pow(beta1, t);
      const c2 = 1 - Math.pow(beta2, t);
      for (let j = 0; j < n; j++) {
        mom[j] = beta1 * mom[j] + (1 - beta1) * grad[j];
        vel[j] = beta2 * vel[j] + (1 - beta2) * grad[j] * grad[j];
        z[j] -= (lr * (mom[j] / c1)) / (Math.sqrt(vel[j] / c2) + eps);
      }
      lr *= decay;
    }
    const { loss } = compiledLossAndGradient(c, y, z);
    if (loss < bestLoss) {
      bestLoss = loss;
      best = z.slice();
    }
  }
  return { z: best, status: "done", note: `loss ${bestLoss.toExponential(2)}` };
}

// ---------------------------------------------------------------------------------------------
// Baseline (a): Lei et al.'s layerwise ℓ∞ linear program
// ---------------------------------------------------------------------------------------------

/** Growth of the threshold after an infeasible LP (θ = 1.2 in Lei et al.'s code). */
const THETA = 1.2;

/** The ends of the range of a bounded activation (tanh: (−1, 1); sigmoid: (0, 1)). */
function activationRange(a: Activation): [number, number] | null {
  return a === "tanh" ? [-1, 1] : a === "sigmoid" ? [0, 1] : null;
}

/**
 * The constraints of one layer's LP at threshold τ, as rows `lo <= w_i·x + tc·t <= hi` over the
 * variables (x, t), 0 <= t <= τ (Lei et al.'s `method_linprog`, ℓ∞):
 *
 * - ReLU: every row w_i·x + b_i − t <= h_i; the rows with h_i > τ (active) also
 *   w_i·x + b_i + t >= h_i.
 * - leaky ReLU (slope α): h_i > τ: |p_i − h_i| <= t; h_i < −τ: |p_i − h_i/α| <= t/α; otherwise
 *   p_i <= h_i + t and p_i >= (h_i − t)/α.
 * - linear: |p_i − h_i| <= t.
 * - tanh, sigmoid (not in Lei et al.): the same band in output space, |σ(p_i) − h_i| <= τ, mapped
 *   through σ⁻¹: σ⁻¹(h_i − τ) <= p_i <= σ⁻¹(h_i + τ), an end of the range giving no bound. Since
 *   the band is not linear in t, the LP minimizes instead the fraction t ∈ [0, 1] of each
 *   two-sided band that p_i uses around its centre (a secant version of their ℓ∞ objective);
 *   one-sided bands are hard constraints. null means that some h_i is farther than τ from the
 *   range of σ (infeasible at τ without an LP).
 */
function layerRows(
  L: CompiledLayer,
  h: ArrayLike<number>,
  tau: number,
): { row: number; lo: number; hi: number; tc: number }[] | null {
  const rows: { row: number; lo: number; hi: number; tc: number }[] = [];
  const range = activationRange(L.activation);
  const inv = (v: number): number =>
    inverseActivation({ type: "dense", activation: L.activation, alpha: L.alpha }, v) ?? NaN;
  for (let i = 0; i < L.m; i++) {
    const hi = h[i];
    const bi = L.b[i];
    switch (L.activation) {
      case "relu":
        rows.push({ row: i, lo: -Infinity, hi: hi - bi, tc: -1 });
        if (hi > tau) rows.push({ row: i, lo: hi - bi, hi: Infinity, tc: 1 });
        break;
      case "leaky_relu": {
        const a = L.alpha;
        if (hi > tau) {
          rows.push(
            { row: i, lo: -Infinity, hi: hi - bi, tc: -1 },
            { row: i, lo: hi - bi, hi: Infinity, tc: 1 },
          );
        } else if (hi < -tau) {
          rows.push(
            { row: i, lo: -Infinity, hi: hi / a - bi, tc: -1 / a },
            { row: i, lo: hi / a - bi, hi: Infinity, tc: 1 / a },
          );
        } else {
          rows.push(
            { row: i, lo: -Infinity, hi: hi - bi, tc: -1 },
            { row: i, lo: hi / a - bi, hi: Infinity, tc: 1 / a },
          );
        }
        break;
      }
      case "tanh":
      case "sigmoid": {
        const [low, high] = range!;
        // No value of σ within τ of h_i: infeasible at this τ.
        if (hi - tau >= high || hi + tau <= low) return null;
        const lo = hi - tau > low ? inv(hi - tau) - bi : -Infinity;
        const up = hi + tau < high ? inv(hi + tau) - bi : Infinity;
        if (Number.isFinite(lo) && Number.isFinite(up)) {
          // p_i within t·(half the band) of the band's centre, 0 <= t <= 1.
          const c = (lo + up) / 2;
          const r = (up - lo) / 2;
          rows.push({ row: i, lo: -Infinity, hi: c, tc: -r }, { row: i, lo: c, hi: Infinity, tc: r });
        } else if (Number.isFinite(lo) || Number.isFinite(up)) rows.push({ row: i, lo, hi: up, tc: 0 });
        break;
      }
      default:
        rows.push(
          { row: i, lo: -Infinity, hi: hi - bi, tc: -1 },
          { row: i, lo: hi - bi, hi: Infinity, tc: 1 },
        );
    }
  }
  return rows;
}

/** One LP solve; returns x, or "infeasible", or a limit status. */
function solveLayerLp(
  highs: Highs,
  L: CompiledLayer,
  h: ArrayLike<number>,
  tau: number,
  deadline: number,
): { x: number[] } | { status: "infeasible" | "time limit" | string } {
  const rows = layerRows(L, h, tau);
  if (rows === null) return { status: "infeasible" };
  const n = L.n;
  const nnzOf = (r: { row: number; tc: number }) =>
    L.starts[r.row + 1] - L.starts[r.row] + (r.tc !== 0 ? 1 : 0);
  const starts = new Int32Array(rows.length + 1);
  rows.forEach((r, k) => (starts[k + 1] = starts[k] + nnzOf(r)));
  const cols = new Int32Array(starts[rows.length]);
  const vals = new Float64Array(starts[rows.length]);
  const rowLower = new Float64Array(rows.length);
  const rowUpper = new Float64Array(rows.length);
  rows.forEach((r, k) => {
    let p = starts[k];
    for (let q = L.starts[r.row]; q < L.starts[r.row + 1]; q++) {
      cols[p] = L.cols[q];
      vals[p++] = L.vals[q];
    }
    if (r.tc !== 0) {
      cols[p] = n;
      vals[p] = r.tc;
    }
    rowLower[k] = r.lo === -Infinity ? -highs.infinity : r.lo;
    rowUpper[k] = r.hi === Infinity ? highs.infinity : r.hi;
  });
  const colCost = new Float64Array(n + 1);
  colCost[n] = 1;
  const colLower = new Float64Array(n + 1).fill(L.nonnegativeInput ? 0 : -highs.infinity);
  colLower[n] = 0;
  const colUpper = new Float64Array(n + 1).fill(highs.infinity);
  colUpper[n] = activationRange(L.activation) ? 1 : tau;
  const left = (deadline - performance.now()) / 1000;
  if (left <= 0) return { status: "time limit" };
  const model = highs.createModel({
    numCols: n + 1,
    numRows: rows.length,
    colCost,
    colLower,
    colUpper,
    rowLower,
    rowUpper,
    matrix: { format: "csr", numRows: rows.length, numCols: n + 1, starts, indices: cols, values: vals },
  });
  try {
    model.options.set({ output_flag: false, time_limit: left });
    const { modelStatus } = model.run();
    const S = highs.constants.modelStatus;
    if (modelStatus === S.optimal) {
      const v = model.getSolution().colValue;
      return { x: Array.from(v.subarray(0, n)) };
    }
    if (modelStatus === S.infeasible || modelStatus === S.unboundedOrInfeasible)
      return { status: "infeasible" };
    if (modelStatus === S.timeLimit) return { status: "time limit" };
    // HiGHS could not classify the LP (numerical trouble near the feasibility boundary): keep a
    // feasible primal point when it has one (solution status 2), otherwise treat the LP as
    // infeasible at this τ, so that τ grows.
    if (modelStatus === S.unknown) {
      if (model.info.get("primal_solution_status") === 2) {
        const v = model.getSolution().colValue;
        return { x: Array.from(v.subarray(0, n)) };
      }
      return { status: "infeasible" };
    }
    return { status: `HiGHS status ${modelStatus}` };
  } finally {
    model.dispose();
  }
}

/**
 * Lei et al.'s layerwise inversion: from the output back, one LP per layer for its input given its
 * (estimated) output, minimizing the ℓ∞ band t <= τ (see {@link layerRows}); when the LP is
 * infeasible, τ grows by θ = 1.2 and the LP is solved again. τ starts at the noise level
 * (`noiseStd`; 1e-6·max(1, ‖y‖∞) for clean outputs, as `e = 1e-6` in their code) and is carried
 * from layer to layer, as in their code. No other tuning.
 */
export function leiInvert(
  highs: Highs,
  c: CompiledNetwork,
  y: ArrayLike<number>,
  noiseStd: number,
  budget: MethodBudget,
  trace?: (layer: number, tau: number, solves: number, x: number[]) => void,
): MethodResult {
  const deadline = performance.now() + budget.timeLimitMs;
  let yMax = 0;
  for (let i = 0; i < y.length; i++) yMax = Math.max(yMax, Math.abs(y[i]));
  let tau = noiseStd > 0 ? noiseStd : 1e-6 * Math.max(1, yMax);
  let h: ArrayLike<number> = y;
  let solves = 0;
  for (let l = c.layers.length - 1; l >= 0; l--) {
    const L = c.layers[l];
    for (;;) {
      if (performance.now() > deadline)
        return {
          z: null,
          status: "time limit",
          note: `layer ${l}, ${solves} LPs, τ = ${tau.toExponential(2)}`,
        };
      const r = solveLayerLp(highs, L, h, tau, deadline);
      solves++;
      if ("x" in r) {
        h = r.x;
        trace?.(l, tau, solves, r.x);
        break;
      }
      if (r.status !== "infeasible")
        return { z: null, status: r.status, note: `layer ${l}, ${solves} LPs, τ = ${tau.toExponential(2)}` };
      tau *= THETA;
    }
  }
  return {
    z: Array.from(h),
    status: "done",
    note: `${solves} LPs, final τ = ${tau.toExponential(2)}`,
  };
}
