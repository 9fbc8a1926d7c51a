/**
 * A network compiled for inversion: every layer as a linear operator on Float64Array vectors (dense
 * matrix, convolution, per-unit scale, copy), its bias and its activation. Forward passes, Jacobian
 * products for many directions at once (forward mode) and transposed products (reverse mode) never
 * build the explicit matrix of a structured layer: a convolution is applied by direct loops over its
 * kernels (./conv-layer.ts's index convention), a batch norm by its scales, an activation alone or a
 * flatten/reshape as a copy. Memory is the weights plus a few vectors per layer, and for a batch of
 * k directions k vectors per layer.
 *
 * Batched vectors are stored unit-major: entry (unit i, direction t) at `i·k + t`, so the inner
 * loops run over the k directions contiguously.
 *
 * Pure TypeScript, no Node APIs.
 */

import { Budget, formatCount } from "../core/budget.js";
import { recordGeometry, type ConvGeometry } from "../model/conv-layer.js";
import {
  batchNormScales,
  layerInputDim,
  layerMatrix,
  layerOutputDim,
  type Activation,
  type DenseLayerSpec,
  type Network,
} from "../model/network.js";

/** One layer as an operator (see the module comment). */
export interface GenOp {
  kind: "dense" | "conv" | "scale" | "copy";
  /** Index of the layer in the network. */
  index: number;
  inDim: number;
  outDim: number;
  /** `dense`: W row-major (outDim × inDim). */
  W?: Float64Array;
  /** `conv`: the geometry, the direction and the kernels in the record's layout. */
  conv?: { g: ConvGeometry; transpose: boolean; K: Float64Array };
  /** `scale`: the per-unit scales (a batch norm). */
  scale?: Float64Array;
  bias: Float64Array | null;
  activation: Activation;
  /** Slope of a leaky ReLU for negative inputs. */
  alpha: number;
  /** Largest number of products summed into one pre-activation (for the rounding bound). */
  fanIn: number;
}

/** The values of one forward pass: every layer's pre-activation and output. */
export interface Trace {
  /** The input. */
  z: Float64Array;
  pre: Float64Array[];
  out: Float64Array[];
}

/** True for activations with a kink at 0 (their pattern is piecewise constant). */
export function isKink(a: Activation): boolean {
  return a === "relu" || a === "leaky_relu";
}

/** σ(t) for one entry. */
export function activate(a: Activation, alpha: number, t: number): number {
  switch (a) {
    case "relu":
      return t < 0 ? 0 : t;
    case "leaky_relu":
      return t < 0 ? alpha * t : t;
    case "tanh":
      return Math.tanh(t);
    case "sigmoid":
      return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
    default:
      return t;
  }
}

/** σ'(t), from the pre-activation t and the output o = σ(t) (ReLU: 0 at t <= 0). */
export function derivative(a: Activation, alpha: number, t: number, o: number): number {
  switch (a) {
    case "relu":
      return t > 0 ? 1 : 0;
    case "leaky_relu":
      return t < 0 ? alpha : 1;
    case "tanh":
      return 1 - o * o;
    case "sigmoid":
      return o * (1 - o);
    default:
      return 1;
  }
}

/**
 * The network compiled for inversion (see the module comment).
 */
export class GeneratorOps {
  readonly inputDim: number;
  readonly outputDim: number;
  /** Largest layer width (for the sizes of batched buffers). */
  readonly maxWidth: number;

  private constructor(
    readonly ops: GenOp[],
    inputDim: number,
  ) {
    this.inputDim = inputDim;
    this.outputDim = ops[ops.length - 1].outDim;
    this.maxWidth = ops.reduce((a, op) => Math.max(a, op.outDim, op.inDim), inputDim);
  }

  /**
   * Compiles a (validated) network. Stored matrices are copied into Float64Arrays (their bytes are
   * reserved in `budget`); structured layers keep their records.
   */
  static compile(net: Network, budget: Budget = Budget.unlimited()): GeneratorOps {
    const ops = net.layers.map((layer, index) => compileLayer(layer, index, budget));
    return new GeneratorOps(ops, net.inputDim);
  }

  /** The affine part `A x + b` of op l (k = 1). */
  affine(l: number, x: Float64Array): Float64Array {
    const op = this.ops[l];
    const y = linearApply(op, x, 1, "plain");
    if (op.bias) for (let i = 0; i < y.length; i++) y[i] += op.bias[i];
    return y;
  }

  /** A forward pass that keeps every pre-activation and output. */
  forward(z: ArrayLike<number>, budget?: Budget): Trace {
    const z64 = Float64Array.from(z);
    const pre: Float64Array[] = [];
    const out: Float64Array[] = [];
    let h: Float64Array = z64;
    for (let l = 0; l < this.ops.length; l++) {
      budget?.check("a forward pass");
      const op = this.ops[l];
      const p = this.affine(l, h);
      let o = p;
      if (op.activation !== "linear") {
        o = new Float64Array(p.length);
        for (let i = 0; i < p.length; i++) o[i] = activate(op.activation, op.alpha, p[i]);
      }
      pre.push(p);
      out.push(o);
      h = o;
    }
    return { z: z64, pre, out };
  }

  /** The output only. */
  output(z: ArrayLike<number>, budget?: Budget): Float64Array {
    const t = this.forward(z, budget);
    return t.out[t.out.length - 1];
  }

  /**
   * Forward-mode products through layers 0 … upTo − 1 along a trace: for k directions V (inputDim × k,
   * unit-major), returns the derivatives of layer upTo − 1's *pre-activation* (outDim × k). The
   * activation of the last layer included is not applied (the caller scales the rows).
   */
  jvpPre(trace: Trace, V: Float64Array, k: number, budget?: Budget, upTo = this.ops.length): Float64Array {
    let T: Float64Array = V;
    for (let l = 0; l < upTo; l++) {
      budget?.check("the Jacobian");
      const op = this.ops[l];
      const P = linearApply(op, T, k, "plain", budget);
      if (l === upTo - 1) return P;
      if (op.activation !== "linear") {
        const pre = trace.pre[l];
        const out = trace.out[l];
        for (let i = 0; i < op.outDim; i++) {
          const d = derivative(op.activation, op.alpha, pre[i], out[i]);
          if (d === 1) continue;
          const base = i * k;
          for (let t = 0; t < k; t++) P[base + t] *= d;
        }
      }
      T = P;
    }
    return T;
  }

  /**
   * Reverse mode: given g, the derivative of a loss with respect to the last layer's
   * *pre-activation*, returns its derivative with respect to the input (Jᵀ g for J the Jacobian of
   * that pre-activation).
   */
  vjpPre(trace: Trace, g: Float64Array, budget?: Budget): Float64Array {
    let G = linearApplyT(this.ops[this.ops.length - 1], g, 1);
    for (let l = this.ops.length - 2; l >= 0; l--) {
      budget?.check("a gradient");
      const op = this.ops[l];
      if (op.activation !== "linear") {
        const pre = trace.pre[l];
        const out = trace.out[l];
        for (let i = 0; i < op.outDim; i++) G[i] *= derivative(op.activation, op.alpha, pre[i], out[i]);
      }
      G = linearApplyT(op, G, 1);
    }
    return G;
  }

  /**
   * The Jacobian of the last layer's pre-activation at a trace, m × n row-major (entry (i, j) at
   * i·n + j), computed by forward mode in blocks of directions (so the batched buffers stay at
   * maxWidth × block entries).
   */
  jacobianPre(trace: Trace, budget?: Budget, block = 32): Float64Array {
    const n = this.inputDim;
    const m = this.outputDim;
    const J = new Float64Array(m * n);
    for (let j0 = 0; j0 < n; j0 += block) {
      const k = Math.min(block, n - j0);
      const V = new Float64Array(n * k);
      for (let t = 0; t < k; t++) V[(j0 + t) * k + t] = 1;
      const P = this.jvpPre(trace, V, k, budget);
      for (let i = 0; i < m; i++) {
        const src = i * k;
        const dst = i * n + j0;
        for (let t = 0; t < k; t++) J[dst + t] = P[src + t];
      }
    }
    return J;
  }

  /** `|A| x` or `(A∘A) x` for op l (no bias), for rounding bounds. */
  weightApply(l: number, x: Float64Array, mode: "abs" | "square"): Float64Array {
    return linearApply(this.ops[l], x, 1, mode);
  }

  /** Multiply-adds of one forward pass (to estimate times). */
  flops(): number {
    let s = 0;
    for (const op of this.ops) s += op.outDim * Math.max(1, op.fanIn);
    return s;
  }
}

function compileLayer(layer: DenseLayerSpec, index: number, budget: Budget): GenOp {
  const inDim = layerInputDim(layer);
  const outDim = layerOutputDim(layer);
  const base = {
    index,
    inDim,
    outDim,
    bias: layer.b ? Float64Array.from(layer.b) : null,
    activation: layer.activation,
    alpha: layer.activation === "leaky_relu" ? (layer.alpha ?? 0.01) : 0,
  };
  if (layer.conv) {
    const g = recordGeometry(layer.conv);
    return {
      ...base,
      kind: "conv",
      conv: { g, transpose: layer.conv.op === "conv_transpose", K: Float64Array.from(g.flat) },
      fanIn: g.c * g.kSize.reduce((a, v) => a * v, 1),
    };
  }
  if (layer.batchnorm) {
    // y = gamma (x − mean) / sqrt(var + eps) + beta: a few roundings per entry.
    return { ...base, kind: "scale", scale: Float64Array.from(batchNormScales(layer.batchnorm)), fanIn: 3 };
  }
  if ((layer.reshape || layer.identity) && !layer.W) return { ...base, kind: "copy", bias: null, fanIn: 0 };
  budget.reserve(
    `a copy of the ${formatCount(outDim)} × ${formatCount(inDim)} matrix of layer ${index}`,
    outDim * inDim * 8,
  );
  const M = layerMatrix(layer, budget, `layer ${index}`);
  const W = new Float64Array(outDim * inDim);
  for (let i = 0; i < outDim; i++) W.set(M[i], i * inDim);
  return { ...base, kind: "dense", W, fanIn: inDim };
}

/** The geometry of a convolution in two spatial dimensions (1-D is height 1). */
function dims2(g: ConvGeometry) {
  const one = g.dims === 1;
  return {
    H: one ? 1 : g.inSize[0],
    Wd: one ? g.inSize[0] : g.inSize[1],
    OH: one ? 1 : g.outSize[0],
    OW: one ? g.outSize[0] : g.outSize[1],
    KH: one ? 1 : g.kSize[0],
    KW: one ? g.kSize[0] : g.kSize[1],
    SH: one ? 1 : g.stride[0],
    SW: one ? g.stride[0] : g.stride[1],
    PH: one ? 0 : g.padding[0],
    PW: one ? g.padding[0] : g.padding[1],
  };
}

/**
 * One kernel weight w of a convolution over all positions: the "grid" image is indexed by (i, j),
 * the "far" image by (i·S − P + a, j·S − P + b); `toGrid` accumulates far → grid, otherwise
 * grid → far. With k directions per unit.
 */
function convTap(
  grid: Float64Array,
  gridBase: number,
  GH: number,
  GW: number,
  far: Float64Array,
  farBase: number,
  FH: number,
  FW: number,
  SH: number,
  SW: number,
  PH: number,
  PW: number,
  a: number,
  b: number,
  w: number,
  k: number,
  toGrid: boolean,
  mask: Uint8Array | null,
): void {
  const i0 = Math.max(0, Math.ceil((PH - a) / SH));
  const i1 = Math.min(GH - 1, Math.floor((FH - 1 + PH - a) / SH));
  const j0 = Math.max(0, Math.ceil((PW - b) / SW));
  const j1 = Math.min(GW - 1, Math.floor((FW - 1 + PW - b) / SW));
  if (i1 < i0 || j1 < j0) return;
  const fStep = SW * k;
  // Positions (unit indices) of the source: far when gathering, grid when scattering.
  const gPos0 = gridBase / k;
  const fPos0 = farBase / k;
  for (let i = i0; i <= i1; i++) {
    const fi = i * SH - PH + a;
    let gp = gridBase + (i * GW + j0) * k;
    let fp = farBase + (fi * FW + j0 * SW - PW + b) * k;
    if (k === 1) {
      if (toGrid) for (let j = j0; j <= j1; j++, gp++, fp += SW) grid[gp] += w * far[fp];
      else for (let j = j0; j <= j1; j++, gp++, fp += SW) far[fp] += w * grid[gp];
      continue;
    }
    let sp = toGrid ? fPos0 + fi * FW + j0 * SW - PW + b : gPos0 + i * GW + j0;
    const spStep = toGrid ? SW : 1;
    for (let j = j0; j <= j1; j++) {
      if (mask === null || mask[sp] !== 0) {
        if (toGrid) for (let t = 0; t < k; t++) grid[gp + t] += w * far[fp + t];
        else for (let t = 0; t < k; t++) far[fp + t] += w * grid[gp + t];
      }
      gp += k;
      fp += fStep;
      sp += spStep;
    }
  }
}

/**
 * Which units of a batched vector (k entries per unit) are not all zero, or null when at least 90%
 * are (then masking does not pay).
 */
function nonzeroUnits(x: Float64Array, k: number): Uint8Array | null {
  if (k === 1) return null;
  const units = x.length / k;
  const mask = new Uint8Array(units);
  let count = 0;
  for (let u = 0; u < units; u++) {
    const base = u * k;
    for (let t = 0; t < k; t++)
      if (x[base + t] !== 0) {
        mask[u] = 1;
        count++;
        break;
      }
  }
  return count > 0.9 * units ? null : mask;
}

/** A convolution's linear map (or its transpose) on k directions. */
function convApply(
  conv: NonNullable<GenOp["conv"]>,
  x: Float64Array,
  k: number,
  mode: WeightMode,
  transposed: boolean,
  budget?: Budget,
): Float64Array {
  const { g, transpose, K } = conv;
  const { H, Wd, OH, OW, KH, KW, SH, SW, PH, PW } = dims2(g);
  const { c, q } = g;
  const inSize = H * Wd;
  const outSize = OH * OW;
  // Without `transposed`: x is (c, H, Wd), the result (q, OH, OW); with it, the reverse.
  const y = new Float64Array((transposed ? c * inSize : q * outSize) * k);
  const mask = nonzeroUnits(x, k);
  for (let o = 0; o < q; o++) {
    budget?.check("a convolution");
    for (let ch = 0; ch < c; ch++) {
      const kBase = (transpose ? ch * q + o : o * c + ch) * KH * KW;
      const inBase = ch * inSize * k;
      const outBase = o * outSize * k;
      for (let a = 0; a < KH; a++)
        for (let b = 0; b < KW; b++) {
          let w = K[kBase + a * KW + b];
          if (w === 0) continue;
          if (mode === "abs") w = Math.abs(w);
          else if (mode === "square") w = w * w;
          if (!transpose) {
            // conv: out (o, i, j) += w · in (ch, i·s − p + a, j·s − p + b); grid = out.
            if (!transposed)
              convTap(y, outBase, OH, OW, x, inBase, H, Wd, SH, SW, PH, PW, a, b, w, k, true, mask);
            else convTap(x, outBase, OH, OW, y, inBase, H, Wd, SH, SW, PH, PW, a, b, w, k, false, mask);
          } else {
            // conv_transpose: out (o, i·s − p + a, j·s − p + b) += w · in (ch, i, j); grid = in.
            if (!transposed)
              convTap(x, inBase, H, Wd, y, outBase, OH, OW, SH, SW, PH, PW, a, b, w, k, false, mask);
            else convTap(y, inBase, H, Wd, x, outBase, OH, OW, SH, SW, PH, PW, a, b, w, k, true, mask);
          }
        }
    }
  }
  return y;
}

/** The weights used: A, |A| (entrywise absolute values) or A∘A (entrywise squares). */
export type WeightMode = "plain" | "abs" | "square";

function weight(w: number, mode: WeightMode): number {
  return mode === "plain" ? w : mode === "abs" ? Math.abs(w) : w * w;
}

/** `A x` (or `|A| x`, `(A∘A) x`) of an op on k directions, without the bias. */
export function linearApply(
  op: GenOp,
  x: Float64Array,
  k: number,
  mode: WeightMode,
  budget?: Budget,
): Float64Array {
  switch (op.kind) {
    case "copy":
      return x.slice();
    case "scale": {
      const s = op.scale!;
      const y = new Float64Array(op.outDim * k);
      for (let i = 0; i < op.outDim; i++) {
        const si = weight(s[i], mode);
        for (let t = 0; t < k; t++) y[i * k + t] = si * x[i * k + t];
      }
      return y;
    }
    case "conv":
      return convApply(op.conv!, x, k, mode, false, budget);
    default: {
      const W = op.W!;
      const n = op.inDim;
      const m = op.outDim;
      const y = new Float64Array(m * k);
      if (k === 1) {
        for (let i = 0; i < m; i++) {
          let s = 0;
          const r = i * n;
          if (mode === "plain") for (let j = 0; j < n; j++) s += W[r + j] * x[j];
          else if (mode === "abs") for (let j = 0; j < n; j++) s += Math.abs(W[r + j]) * x[j];
          else for (let j = 0; j < n; j++) s += W[r + j] * W[r + j] * x[j];
          y[i] = s;
        }
        return y;
      }
      // Columns j whose k entries are all zero (inactive units) are skipped.
      const mask = nonzeroUnits(x, k);
      const cols: number[] = [];
      for (let j = 0; j < n; j++) if (mask === null || mask[j] !== 0) cols.push(j);
      for (let i = 0; i < m; i++) {
        if ((i & 63) === 0) budget?.check("a dense layer");
        const r = i * n;
        const yb = i * k;
        for (const j of cols) {
          let w = W[r + j];
          if (w === 0) continue;
          if (mode !== "plain") w = weight(w, mode);
          const xb = j * k;
          for (let t = 0; t < k; t++) y[yb + t] += w * x[xb + t];
        }
      }
      return y;
    }
  }
}

/** `Aᵀ g` of an op on k directions. */
export function linearApplyT(op: GenOp, g: Float64Array, k: number): Float64Array {
  switch (op.kind) {
    case "copy":
      return g.slice();
    case "scale": {
      const s = op.scale!;
      const y = new Float64Array(op.inDim * k);
      for (let i = 0; i < op.inDim; i++) for (let t = 0; t < k; t++) y[i * k + t] = s[i] * g[i * k + t];
      return y;
    }
    case "conv":
      return convApply(op.conv!, g, k, "plain", true);
    default: {
      const W = op.W!;
      const n = op.inDim;
      const m = op.outDim;
      const y = new Float64Array(n * k);
      for (let i = 0; i < m; i++) {
        const r = i * n;
        if (k === 1) {
          const gi = g[i];
          if (gi === 0) continue;
          for (let j = 0; j < n; j++) y[j] += W[r + j] * gi;
          continue;
        }
        const gb = i * k;
        for (let j = 0; j < n; j++) {
          const w = W[r + j];
          if (w === 0) continue;
          const yb = j * k;
          for (let t = 0; t < k; t++) y[yb + t] += w * g[gb + t];
        }
      }
      return y;
    }
  }
}
