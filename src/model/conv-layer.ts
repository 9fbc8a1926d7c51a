/**
 * Convolutional layers inside networks, as deep-learning libraries define them (PyTorch `Conv1d`,
 * `Conv2d`, `ConvTranspose1d`, `ConvTranspose2d`, ONNX `Conv`, `ConvTranspose`): stride, symmetric
 * zero padding, no dilation, one group.
 *
 A convolution is stored in a network as a dense layer with its parameters in the layer's `conv`
 * record ({@link ConvParams}) and no explicit W: the matrix of a convolution on an image of
 * H × W pixels has (H·W)² entries times the channels, so it is built only when a stage needs it,
 * by `layerMatrix` (src/model/network.ts) through {@link convLayerMatrix}, after the memory
 * budget allowed it. Forward passes use {@link convForward} directly. b repeats the per-channel
 * bias over the output positions. The record lets the layer be written back in its short file
 * form and checked specially (src/network/check-network.ts: Theorem 4 needs no explicit matrix).
 *
 * ## Shapes and index convention (flat vectors in C order, last index fastest)
 *
 * - `conv`: input (c, H[, W]), kernels (q, c, kh[, kw]), output (q, H'[, W']) with
 *   H' = floor((H + 2p − kh)/s) + 1, and
 *
 *       y[o, i, j] = Σ_ch Σ_{a, b} K[o, ch, a, b] · x[ch, i·s − p + a, j·s − p + b]
 *
 *   (x is zero outside the input). This is a cross-correlation, as in PyTorch: the kernel is NOT
 *   read backwards.
 * - `conv_transpose`: input (c, H[, W]), kernels (c, q, kh[, kw]) (PyTorch's and ONNX's layout: input
 *   channels first), output (q, H'[, W']) with H' = (H − 1)·s − 2p + kh, and
 *
 *       y[o, i·s − p + a, j·s − p + b] += K[ch, o, a, b] · x[ch, i, j]
 *
 *   for every input position (i, j) (contributions landing outside the output are dropped). Its
 *   matrix is the transpose of the matrix of the `conv` with the same kernels, stride and padding
 *   from (q, H', W') to (c, H, W).
 *
 * ## Relation to src/core/convolution.ts (paper, Definition 2)
 *
 * `ConvSpec` uses stride 1, "same"-size output and the kernel read backwards:
 * `y[f, j] = Σ_i K[f, ch, O − 1 − i] · x[ch, j + i]`. A stride-1 `conv` record with kernels K
 * therefore corresponds to the ConvSpec with the kernels flipped in every spatial dimension
 * (`K'[f, ch, O − 1 − a] = K[f, ch, a]`, {@link convRecordSpec}) and the zero boundary: row (o, i)
 * of the record's matrix is the kernel placed at input position i − p, and the full placements
 * (kernel entirely inside the signal, starts 0 … N − O) are exactly the rows of `convMatrix(spec)`
 * whose kernel is not truncated. Both matrices also have truncated rows (the record on both sides,
 * p of them per side; the ConvSpec O − 1 on the far side), so they are not equal in general; but
 * Theorem 4's box argument with boxes P <= N only uses the full placements, and adding rows keeps a
 * ReLU layer injective, so a box proof for the ConvSpec proves the record's layer injective too.
 */

import type { NestedKernels } from "../core/convolution.js";
import { convSpec, type ConvSpec } from "../core/convolution.js";
import { Budget, formatCount, matrixBytes } from "../core/budget.js";
import { assertRange, assertType } from "../core/validate.js";

/** The parameters of a convolutional layer (see the module comment). */
export interface ConvParams {
  op: "conv" | "conv_transpose";
  /** Input shape without the batch dimension: (c, H) or (c, H, W). */
  inputShape: number[];
  /** `conv`: shape (q, c, kh[, kw]); `conv_transpose`: shape (c, q, kh[, kw]). Nested arrays. */
  kernels: NestedKernels;
  /** One bias per output channel; absent means zero. */
  bias?: number[];
  /** Stride per spatial dimension (>= 1). */
  stride: number[];
  /** Symmetric zero padding per spatial dimension (>= 0). */
  padding: number[];
}

/** The validated geometry of a {@link ConvParams}. */
export interface ConvGeometry {
  /** 1 or 2 spatial dimensions. */
  dims: number;
  /** Input and output channels. */
  c: number;
  q: number;
  /** Spatial input size, kernel size, output size (each of length `dims`). */
  inSize: number[];
  kSize: number[];
  outSize: number[];
  stride: number[];
  padding: number[];
  /** Kernels in C order, in the record's layout. */
  flat: number[];
  /** Output shape (q, H'[, W']). */
  outputShape: number[];
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 30 ? x.slice(0, 30) + "…" : x)}`;
  return typeof x === "object" ? "an object" : String(x);
}

/** A list of per-dimension integers: a number (the same in every dimension) or an array. */
function perDim(fn: string, name: string, v: unknown, dims: number, min: number, def: number): number[] {
  if (v === undefined || v === null) return new Array<number>(dims).fill(def);
  const arr = typeof v === "number" ? new Array<number>(dims).fill(v) : v;
  assertType(
    Array.isArray(arr),
    () => `${fn}: ${name} must be an integer or an array of ${dims} integers, got ${describe(v)}`,
  );
  assertRange(
    arr.length === dims,
    () => `${fn}: ${name} has ${arr.length} entries, expected ${dims} (one per spatial dimension)`,
  );
  arr.forEach((x: unknown, d) =>
    assertRange(
      Number.isSafeInteger(x) && (x as number) >= min,
      () => `${fn}: ${name}[${d}] must be an integer >= ${min}, got ${describe(x)}`,
    ),
  );
  return (arr as number[]).slice();
}

/** Reads a rectangular nested array of finite numbers of the given depth: shape and C-order data. */
function nested(
  fn: string,
  name: string,
  value: unknown,
  depth: number,
): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  let probe: unknown = value;
  for (let a = 0; a < depth; a++) {
    assertType(
      Array.isArray(probe) && probe.length > 0,
      () =>
        `${fn}: ${name}${"[0]".repeat(a)} must be a non-empty array (${name} has ${depth} levels of nesting), got ${describe(probe)}`,
    );
    shape.push((probe as unknown[]).length);
    probe = (probe as unknown[])[0];
  }
  const flat: number[] = [];
  const walk = (node: unknown, a: number, path: string): void => {
    if (a === depth) {
      assertType(
        typeof node === "number" && Number.isFinite(node),
        () => `${fn}: ${name}${path} must be a finite number, got ${describe(node)}`,
      );
      flat.push(node as number);
      return;
    }
    assertType(
      Array.isArray(node) && node.length === shape[a],
      () =>
        `${fn}: ${name} is ragged or too shallow: ${name}${path} must be an array of ${shape[a]} entries, got ${describe(node)}`,
    );
    (node as unknown[]).forEach((v, i) => walk(v, a + 1, `${path}[${i}]`));
  };
  walk(value, 0, "");
  return { shape, flat };
}

/**
 * Validates convolution parameters (a `conv` record or the short file form) and computes the
 * output shape.
 * @param fn calling function, for messages; `name` the record's name (`layers[2].conv`)
 * @throws InputTypeError / InputRangeError with a message naming the field
 */
export function convGeometry(fn: string, name: string, p: unknown): ConvGeometry {
  assertType(
    typeof p === "object" && p !== null && !Array.isArray(p),
    () => `${fn}: ${name} must be an object {"op", "inputShape", "kernels", "stride", "padding", "bias"?}`,
  );
  const r = p as Record<string, unknown>;
  assertType(
    r.op === "conv" || r.op === "conv_transpose",
    () => `${fn}: ${name}.op must be "conv" or "conv_transpose", got ${describe(r.op)}`,
  );
  const inputShape = r.inputShape;
  assertType(
    Array.isArray(inputShape) &&
      (inputShape.length === 2 || inputShape.length === 3) &&
      inputShape.every((v) => Number.isSafeInteger(v) && (v as number) > 0),
    () =>
      `${fn}: ${name}.inputShape must be (c, H) or (c, H, W): 2 or 3 positive integers without the batch dimension, got ${Array.isArray(inputShape) ? `[${inputShape.slice(0, 8).map(describe).join(", ")}${inputShape.length > 8 ? ", …" : ""}]` : describe(inputShape)}`,
  );
  const [c, ...inSize] = inputShape as number[];
  const dims = inSize.length;
  const { shape, flat } = nested(fn, `${name}.kernels`, r.kernels, dims + 2);
  const transpose = r.op === "conv_transpose";
  const layout = transpose ? "(c_in, q_out, kh[, kw])" : "(q_out, c_in, kh[, kw])";
  const [k0, k1, ...kSize] = shape;
  const kc = transpose ? k0 : k1;
  const q = transpose ? k1 : k0;
  assertRange(
    kc === c,
    () =>
      `${fn}: ${name}.kernels has shape (${shape.join(", ")}), layout ${layout}, so ${kc} input channel(s), but inputShape has c = ${c}`,
  );
  const stride = perDim(fn, `${name}.stride`, r.stride, dims, 1, 1);
  const padding = perDim(fn, `${name}.padding`, r.padding, dims, 0, 0);
  const outSize = inSize.map((n, d) =>
    transpose
      ? (n - 1) * stride[d] - 2 * padding[d] + kSize[d]
      : Math.floor((n + 2 * padding[d] - kSize[d]) / stride[d]) + 1,
  );
  outSize.forEach((o, d) =>
    assertRange(o >= 1 && (transpose || inSize[d] + 2 * padding[d] >= kSize[d]), () =>
      transpose
        ? `${fn}: ${name}: the output size (H − 1)·s − 2p + k = (${inSize[d]} − 1)·${stride[d]} − 2·${padding[d]} + ${kSize[d]} = ${o} in dimension ${d} is not positive`
        : `${fn}: ${name}: the kernel (${kSize[d]}) is larger than the padded input (${inSize[d]} + 2·${padding[d]}) in dimension ${d}`,
    ),
  );
  if (r.bias !== undefined && r.bias !== null) {
    const b = r.bias;
    assertType(
      Array.isArray(b) && b.every((v) => typeof v === "number" && Number.isFinite(v)),
      () => `${fn}: ${name}.bias must be an array of finite numbers, got ${describe(b)}`,
    );
    assertRange(
      b.length === q,
      () => `${fn}: ${name}.bias has length ${b.length}, expected ${q} (one per output channel)`,
    );
  }
  return { dims, c, q, inSize, kSize, outSize, stride, padding, flat, outputShape: [q, ...outSize] };
}

const prod = (xs: readonly number[]): number => xs.reduce((a, v) => a * v, 1);

const geometries = new WeakMap<object, ConvGeometry>();

/**
 * The geometry of a layer's `conv` record, computed once per record object (forward passes in
 * loops need it every time). The record must not be modified afterwards.
 * @throws InputTypeError / InputRangeError for an invalid record
 */
export function recordGeometry(p: ConvParams, fn = "recordGeometry()", name = "conv"): ConvGeometry {
  let g = geometries.get(p);
  if (!g) {
    g = convGeometry(fn, name, p);
    geometries.set(p, g);
  }
  return g;
}

/** Number of rows and columns of the explicit matrix of a convolution with geometry `g`. */
export function convMatrixShape(g: ConvGeometry): { rows: number; cols: number } {
  return { rows: g.q * prod(g.outSize), cols: g.c * prod(g.inSize) };
}

/** Matrix entries built between two time checks. */
const BUILD_CHUNK = 1 << 20;

/**
 * The explicit matrix of a convolution (rows: output units (o, i[, j]) in C order; columns: inputs
 * (ch, i[, j]) in C order), built row by row with a direct loop. Every entry is a single kernel
 * weight or 0 (no sums), so it is exact.
 *
 * Its memory is reserved in `budget` before anything is allocated (rows·cols doubles, see
 * {@link matrixBytes}), and the time is checked between chunks of rows: a convolution on a
 * 2000 × 2000 image has a 4,000,000 × 4,000,000 matrix (128 TB), which is refused with a
 * {@link ResourceLimitError} instead of exhausting the heap.
 *
 * @param g a validated geometry ({@link convGeometry})
 * @param op "conv" or "conv_transpose"
 * @param budget the memory limit and deadline (default: no deadline, the default memory limit)
 * @param what the matrix in words, for the message ("layer 3")
 * @throws ResourceLimitError when the matrix is above the memory limit or time runs out
 */
export function convLayerMatrix(
  g: ConvGeometry,
  op: ConvParams["op"],
  budget: Budget = Budget.unlimited(),
  what = "a convolution",
): number[][] {
  const { rows, cols } = convMatrixShape(g);
  const stage = `the explicit ${formatCount(rows)} × ${formatCount(cols)} matrix of ${what}`;
  budget.reserve(stage, matrixBytes(rows, cols));
  budget.check(stage);
  const W: number[][] = new Array<number[]>(rows);
  const rowsPerCheck = Math.max(1, Math.floor(BUILD_CHUNK / Math.max(1, cols)));
  const entries = convRowEntries(g, op);
  for (let r = 0; r < rows; r++) {
    if (r % rowsPerCheck === 0 && r > 0) budget.check(stage);
    const row = new Array<number>(cols).fill(0);
    entries(r, (j, t) => (row[j] = g.flat[t])); // −0 stays +0 (only nonzero weights are visited)
    W[r] = row;
  }
  return W;
}

/**
 * The nonzero entries of the rows of a convolution's explicit matrix ({@link convLayerMatrix}),
 * without building it: the returned function calls `visit(column, t)` for every nonzero kernel
 * weight `g.flat[t]` of row r (distinct columns, each once; in no particular order).
 * @param g a validated geometry ({@link convGeometry})
 */
export function convRowEntries(
  g: ConvGeometry,
  op: ConvParams["op"],
): (r: number, visit: (column: number, t: number) => void) => void {
  // 1-D is 2-D with height 1.
  const [H, Wd] = g.dims === 1 ? [1, g.inSize[0]] : g.inSize;
  const [OH, OW] = g.dims === 1 ? [1, g.outSize[0]] : g.outSize;
  const [KH, KW] = g.dims === 1 ? [1, g.kSize[0]] : g.kSize;
  const [SH, SW] = g.dims === 1 ? [1, g.stride[0]] : g.stride;
  const [PH, PW] = g.dims === 1 ? [0, g.padding[0]] : g.padding;
  const { c, q, flat } = g;
  return (r, visit) => {
    const o = Math.floor(r / (OH * OW));
    const y = Math.floor(r / OW) % OH;
    const x = r % OW;
    for (let ch = 0; ch < c; ch++) {
      if (op === "conv") {
        // Output (o, y, x) sees input (ch, y·s − p + a, x·s − p + b) through K[o, ch, a, b].
        const base = (o * c + ch) * KH * KW;
        for (let a = 0; a < KH; a++) {
          const iy = y * SH - PH + a;
          if (iy < 0 || iy >= H) continue;
          for (let b = 0; b < KW; b++) {
            const ix = x * SW - PW + b;
            if (ix < 0 || ix >= Wd) continue;
            const t = base + a * KW + b;
            if (flat[t] !== 0) visit((ch * H + iy) * Wd + ix, t);
          }
        }
      } else {
        // Input (ch, i, j) lands on output (o, i·s − p + a, j·s − p + b) through K[ch, o, a, b].
        const base = (ch * q + o) * KH * KW;
        for (let a = 0; a < KH; a++) {
          const ty = y + PH - a;
          if (ty < 0 || ty % SH !== 0 || ty / SH >= H) continue;
          const i = ty / SH;
          for (let b = 0; b < KW; b++) {
            const tx = x + PW - b;
            if (tx < 0 || tx % SW !== 0 || tx / SW >= Wd) continue;
            const t = base + a * KW + b;
            if (flat[t] !== 0) visit((ch * H + i) * Wd + tx / SW, t);
          }
        }
      }
    }
  };
}

/**
 * The convolution (or transposed convolution) applied directly to a flat input, without the
 * explicit matrix: `W x + b` in O(q·c·ΠH'·Πk) operations and O(output) memory.
 * @param g a validated geometry
 * @param x the input (c, H[, W]) in C order
 * @param bias one bias per output channel, or undefined
 * @returns the output (q, H'[, W']) in C order
 */
export function convForward(
  g: ConvGeometry,
  op: ConvParams["op"],
  x: ArrayLike<number>,
  bias?: readonly number[],
): number[] {
  const [H, Wd] = g.dims === 1 ? [1, g.inSize[0]] : g.inSize;
  const [OH, OW] = g.dims === 1 ? [1, g.outSize[0]] : g.outSize;
  const [KH, KW] = g.dims === 1 ? [1, g.kSize[0]] : g.kSize;
  const [SH, SW] = g.dims === 1 ? [1, g.stride[0]] : g.stride;
  const [PH, PW] = g.dims === 1 ? [0, g.padding[0]] : g.padding;
  const { c, q, flat } = g;
  const per = OH * OW;
  const y = new Array<number>(q * per);
  for (let o = 0; o < q; o++) {
    const b0 = bias ? bias[o] : 0;
    for (let k = 0; k < per; k++) y[o * per + k] = b0;
  }
  for (let o = 0; o < q; o++)
    for (let ch = 0; ch < c; ch++) {
      const base = (op === "conv" ? o * c + ch : ch * q + o) * KH * KW;
      for (let a = 0; a < KH; a++)
        for (let b = 0; b < KW; b++) {
          const k = flat[base + a * KW + b];
          if (k === 0) continue;
          if (op === "conv") {
            for (let i = 0; i < OH; i++) {
              const iy = i * SH - PH + a;
              if (iy < 0 || iy >= H) continue;
              const xRow = (ch * H + iy) * Wd;
              const yRow = (o * OH + i) * OW;
              for (let j = 0; j < OW; j++) {
                const ix = j * SW - PW + b;
                if (ix >= 0 && ix < Wd) y[yRow + j] += k * x[xRow + ix];
              }
            }
          } else {
            for (let i = 0; i < H; i++) {
              const oy = i * SH - PH + a;
              if (oy < 0 || oy >= OH) continue;
              const xRow = (ch * H + i) * Wd;
              const yRow = (o * OH + oy) * OW;
              for (let j = 0; j < Wd; j++) {
                const ox = j * SW - PW + b;
                if (ox >= 0 && ox < OW) y[yRow + ox] += k * x[xRow + j];
              }
            }
          }
        }
    }
  return y;
}

/**
 * The transpose of the convolution applied to a flat vector: `Wᵀ v` without the explicit matrix
 * (for gradients). `v` has the output's length, the result the input's.
 */
export function convForwardTranspose(g: ConvGeometry, op: ConvParams["op"], v: ArrayLike<number>): number[] {
  const [H, Wd] = g.dims === 1 ? [1, g.inSize[0]] : g.inSize;
  const [OH, OW] = g.dims === 1 ? [1, g.outSize[0]] : g.outSize;
  const [KH, KW] = g.dims === 1 ? [1, g.kSize[0]] : g.kSize;
  const [SH, SW] = g.dims === 1 ? [1, g.stride[0]] : g.stride;
  const [PH, PW] = g.dims === 1 ? [0, g.padding[0]] : g.padding;
  const { c, q, flat } = g;
  const out = new Array<number>(c * H * Wd).fill(0);
  for (let o = 0; o < q; o++)
    for (let ch = 0; ch < c; ch++) {
      const base = (op === "conv" ? o * c + ch : ch * q + o) * KH * KW;
      for (let a = 0; a < KH; a++)
        for (let b = 0; b < KW; b++) {
          const k = flat[base + a * KW + b];
          if (k === 0) continue;
          if (op === "conv") {
            for (let i = 0; i < OH; i++) {
              const iy = i * SH - PH + a;
              if (iy < 0 || iy >= H) continue;
              for (let j = 0; j < OW; j++) {
                const ix = j * SW - PW + b;
                if (ix >= 0 && ix < Wd) out[(ch * H + iy) * Wd + ix] += k * v[(o * OH + i) * OW + j];
              }
            }
          } else {
            for (let i = 0; i < H; i++) {
              const oy = i * SH - PH + a;
              if (oy < 0 || oy >= OH) continue;
              for (let j = 0; j < Wd; j++) {
                const ox = j * SW - PW + b;
                if (ox >= 0 && ox < OW) out[(ch * H + i) * Wd + j] += k * v[(o * OH + oy) * OW + ox];
              }
            }
          }
        }
    }
  return out;
}

/** The bias vector of a convolution: each channel's bias repeated over its output positions. */
export function convLayerBias(g: ConvGeometry, bias: readonly number[]): number[] {
  const per = prod(g.outSize);
  return Array.from({ length: g.q * per }, (_, r) => bias[Math.floor(r / per)]);
}

/** A copy of the record with stride/padding as arrays and the bias only when given. */
export function normalizeConvParams(fn: string, name: string, p: unknown): ConvParams {
  const g = convGeometry(fn, name, p);
  const r = p as Record<string, unknown>;
  return {
    op: r.op as ConvParams["op"],
    inputShape: (r.inputShape as number[]).slice(),
    kernels: r.kernels as NestedKernels,
    ...(r.bias !== undefined && r.bias !== null ? { bias: (r.bias as number[]).slice() } : {}),
    stride: g.stride,
    padding: g.padding,
  };
}

/**
 * The stride-1 `conv` record as a {@link ConvSpec} of src/core/convolution.ts: kernels flipped in
 * every spatial dimension, signal = the spatial input size, zero boundary (see the module comment
 * for how the two matrices relate). Null for strides other than 1, a transposed convolution, or a
 * kernel larger than the signal.
 */
export function convRecordSpec(p: ConvParams): ConvSpec | null {
  const g = convGeometry("convRecordSpec()", "conv", p);
  if (p.op !== "conv" || g.stride.some((s) => s !== 1) || g.kSize.some((k, d) => k > g.inSize[d]))
    return null;
  const [KH, KW] = g.dims === 1 ? [1, g.kSize[0]] : g.kSize;
  const flipped = Array.from({ length: g.q }, (_, o) =>
    Array.from({ length: g.c }, (_, ch) => {
      const at = (a: number, b: number): number => g.flat[((o * g.c + ch) * KH + a) * KW + b];
      if (g.dims === 1) return Array.from({ length: KW }, (_, b) => at(0, KW - 1 - b));
      return Array.from({ length: KH }, (_, a) =>
        Array.from({ length: KW }, (_, b) => at(KH - 1 - a, KW - 1 - b)),
      );
    }),
  );
  return convSpec(flipped, { signal: g.inSize, boundary: "zero", channels: g.c });
}
