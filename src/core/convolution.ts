/**
 * Multi-channel convolution operators with stride 1 (paper, Definition 2: the convolution operator,
 * and Definition 3: the convolutional layer W = [C_1; …; C_q]).
 *
 * ## Shapes (all arrays are flat Float64Arrays in C order, last index fastest)
 *
 * - signal size `N = (N_1[, N_2])`: 1 or 2 spatial dimensions;
 * - input `x` of shape `(c, N_1[, N_2])`: `c` input channels;
 * - kernels `K` of shape `(q, c, O_1[, O_2])`: `q` filters (output channels), each with one kernel
 *   of width `O = (O_1[, O_2])` per input channel;
 * - output `y` of shape `(q, N_1[, N_2])` ("same" size as the input in every spatial dimension).
 *
 * ## Index convention (Definition 2, 0-based)
 *
 * For filter f and output position j (a multi-index, 0 <= j_d < N_d):
 *
 *     y[f, j] = Σ_ch Σ_{0 <= i < O} K[f, ch, O − 1 − i] · x[ch, j + i]
 *
 * This is the paper's `(Cx)_J = Σ_{I=1}^{O} c_{O−I+1} x_{J+I}` with I = i + 1, the kernel read
 * backwards (a true convolution, not a cross-correlation), and the output index J read as 0-based,
 * so that output j sees the inputs j, j + 1, …, j + O − 1 (the kernel is anchored at its last entry
 * `K[O − 1]`, which multiplies `x[j]`). Read literally with 1-based J = 1, …, N, output J would see
 * inputs J + 1, …, J + O, so with zero padding the first input would never be seen and no layer
 * could be injective; the 0-based reading is the only sensible one.
 *
 * Positions j + i outside the signal are handled by the boundary condition:
 * - `"zero"`: x is zero outside `0 <= p < N` (zero padding on the far side; the last O − 1
 *   outputs of each dimension see a truncated kernel);
 * - `"periodic"`: positions are taken modulo N (circular convolution).
 *
 * Multi-channel convolution is the usual one: every filter sums over all c input channels. In the
 * paper's notation (N = (N_1, N_2, n_c), O = (O_1, O_2, n_c)) this is the channel shift 0 only.
 *
 * ## The dense matrix
 *
 * {@link convMatrix} returns W of shape (q·ΠN, c·ΠN): row `f·ΠN + flat(j)` is output unit (f, j),
 * column `ch·ΠN + flat(p)` is input (ch, p), where `flat` is the C-order flat index
 * (`flat(j) = j_1·N_2 + j_2` in 2-D). So `W · x = convolve(spec, x)` with both in C order.
 */

import { Budget, formatCount, matrixBytes } from "./budget.js";
import { assertRange, assertType, validateChoice } from "./validate.js";

/** Boundary condition of the convolution: zero padding or circular (periodic) wrap-around. */
export type Boundary = "zero" | "periodic";

/** The boundary conditions, in the order the CLI lists them. */
export const BOUNDARIES: readonly Boundary[] = ["zero", "periodic"];

/**
 * A stride-1 multi-channel convolution layer (Definitions 2–3). Build one with {@link convSpec}
 * from nested arrays; every function re-validates the spec it is given.
 */
export interface ConvSpec {
  /** Spatial size of the signal `(N_1[, N_2])`: 1 or 2 positive integers. */
  readonly signal: readonly number[];
  /** Number of input channels `c`. */
  readonly channels: number;
  /** Number of filters (output channels) `q`. */
  readonly filters: number;
  /** Spatial size of the kernels `(O_1[, O_2])`, same number of entries as `signal`, `O <= N`. */
  readonly kernelSize: readonly number[];
  /** Kernel weights, shape `(q, c, O_1[, O_2])`, C order; length `q · c · ΠO`. */
  readonly kernels: Float64Array;
  /** Boundary condition. */
  readonly boundary: Boundary;
}

/**
 * Nested kernels: `number[][][]` of shape (q, c, O_1) in 1-D, `number[][][][]` of shape
 * (q, c, O_1, O_2) in 2-D.
 */
export type NestedKernels = number[][][] | number[][][][];

/** Options of {@link convSpec}. */
export interface ConvSpecOptions {
  /** Spatial size of the signal `(N_1[, N_2])`. */
  signal: readonly number[];
  /** Boundary condition. @default "zero" */
  boundary?: Boundary;
  /** Expected number of input channels; checked against the kernels when given. */
  channels?: number;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === "number") return String(x);
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 20 ? x.slice(0, 20) + "…" : x)}`;
  return typeof x;
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/**
 * Validates a list of sizes: 1 or 2 positive integers.
 * @param fn calling function, for messages
 * @param name argument name, for messages
 */
export function validateSizes(fn: string, name: string, sizes: unknown, dims?: number): number[] {
  assertType(Array.isArray(sizes), () => `${fn}: ${name} must be an array of sizes, got ${describe(sizes)}`);
  assertRange(
    sizes.length === 1 || sizes.length === 2,
    () => `${fn}: ${name} must have 1 or 2 entries (spatial dimensions), got ${sizes.length}`,
  );
  if (dims !== undefined) {
    assertRange(
      sizes.length === dims,
      () => `${fn}: ${name} has ${sizes.length} dimension(s) but the signal has ${dims}`,
    );
  }
  for (let d = 0; d < sizes.length; d++) {
    const v: unknown = sizes[d];
    assertType(typeof v === "number", () => `${fn}: ${name}[${d}] must be a number, got ${describe(v)}`);
    assertRange(
      Number.isInteger(v) && v > 0,
      () => `${fn}: ${name}[${d}] must be a positive integer, got ${v}`,
    );
  }
  return sizes as number[];
}

/**
 * Reads a rectangular nested array of finite numbers of a given depth.
 * @returns its shape and its entries in C order
 */
function readNested(
  fn: string,
  name: string,
  value: unknown,
  depth: number,
  axisNames: readonly string[],
): { shape: number[]; data: Float64Array } {
  const shape: number[] = [];
  // Shape from the first element along each axis.
  let probe: unknown = value;
  for (let a = 0; a < depth; a++) {
    const where = name + "[0]".repeat(a);
    assertType(
      Array.isArray(probe),
      () =>
        `${fn}: ${where} must be an array (${name} has shape (${axisNames.join(", ")}), ${depth} levels of nesting), got ${describe(probe)}`,
    );
    assertRange(probe.length > 0, () => `${fn}: ${where} is empty (${axisNames[a]} must be at least 1)`);
    shape.push(probe.length);
    probe = probe[0];
  }
  const data = new Float64Array(product(shape));
  let k = 0;
  const walk = (node: unknown, a: number, path: number[]): void => {
    const where = `${name}${path.map((i) => `[${i}]`).join("")}`;
    if (a === depth) {
      assertType(
        typeof node === "number",
        () =>
          `${fn}: ${where} must be a number, got ${describe(node)}${Array.isArray(node) ? " (too deeply nested)" : ""}`,
      );
      assertRange(
        Number.isFinite(node),
        () => `${fn}: ${name} must be finite, got ${node} at [${path.join(", ")}]`,
      );
      data[k++] = node;
      return;
    }
    assertType(Array.isArray(node), () => `${fn}: ${where} must be an array, got ${describe(node)}`);
    assertRange(
      node.length === shape[a],
      () =>
        `${fn}: ${name} is ragged: ${name}${"[0]".repeat(a)} has ${shape[a]} entries but ${where} has ${node.length}`,
    );
    for (let i = 0; i < node.length; i++) walk(node[i], a + 1, [...path, i]);
  };
  walk(value, 0, []);
  return { shape, data };
}

/**
 * Builds a {@link ConvSpec} from nested kernels.
 *
 * @param kernels shape (q, c, O_1) for a 1-D signal, (q, c, O_1, O_2) for a 2-D signal: `kernels[f][ch]`
 *   is the kernel of filter f on input channel ch; rectangular, finite
 * @param options `signal` (N_1[, N_2]), `boundary` (default "zero"), `channels` (checked if given)
 * @throws InputTypeError / InputRangeError naming `convSpec()` and the argument
 *
 * @example
 * const spec = convSpec([[[1, -1]]], { signal: [8], boundary: "periodic" }); // one 1-D difference filter
 * convolve(spec, Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7])); // y[j] = −x[j] + x[j+1], wrapping
 */
export function convSpec(kernels: unknown, options: ConvSpecOptions): ConvSpec {
  const fn = "convSpec()";
  assertType(
    typeof options === "object" && options !== null,
    () => `${fn}: options must be an object with a signal size`,
  );
  const signal = validateSizes(fn, "options.signal", options.signal);
  const boundary = validateChoice(fn, "options.boundary", options.boundary ?? "zero", BOUNDARIES);
  const dims = signal.length;
  const axes = ["q (filters)", "c (input channels)", ...signal.map((_, d) => `O_${d + 1} (kernel width)`)];
  const { shape, data } = readNested(fn, "kernels", kernels, dims + 2, axes);
  const [q, c, ...O] = shape;
  if (options.channels !== undefined) {
    assertRange(
      options.channels === c,
      () => `${fn}: options.channels is ${options.channels} but the kernels have ${c} input channel(s)`,
    );
  }
  const spec: ConvSpec = {
    signal: [...signal],
    channels: c,
    filters: q,
    kernelSize: O,
    kernels: data,
    boundary,
  };
  return validateConvSpec(fn, spec);
}

/**
 * Validates a {@link ConvSpec} (also one built by hand): sizes, kernel length, finite weights,
 * kernel no larger than the signal in any dimension, boundary.
 * @param fn calling function, for messages
 * @returns the same spec
 */
export function validateConvSpec(fn: string, spec: unknown): ConvSpec {
  assertType(
    typeof spec === "object" && spec !== null,
    () => `${fn}: spec must be a ConvSpec object, got ${describe(spec)}`,
  );
  const s = spec as Partial<ConvSpec>;
  const signal = validateSizes(fn, "spec.signal", s.signal);
  const kernelSize = validateSizes(fn, "spec.kernelSize", s.kernelSize, signal.length);
  for (const [name, v] of [
    ["spec.channels", s.channels],
    ["spec.filters", s.filters],
  ] as const) {
    assertType(typeof v === "number", () => `${fn}: ${name} must be a number, got ${describe(v)}`);
    assertRange(Number.isInteger(v) && v > 0, () => `${fn}: ${name} must be a positive integer, got ${v}`);
  }
  validateChoice(fn, "spec.boundary", s.boundary, BOUNDARIES);
  assertType(
    s.kernels instanceof Float64Array,
    () => `${fn}: spec.kernels must be a Float64Array of shape (q, c, O...), got ${describe(s.kernels)}`,
  );
  const expected = s.filters! * s.channels! * product(kernelSize);
  assertRange(
    s.kernels.length === expected,
    () =>
      `${fn}: spec.kernels has length ${s.kernels!.length}, expected q·c·ΠO = ${s.filters}·${s.channels}·${kernelSize.join("·")} = ${expected}`,
  );
  for (let k = 0; k < s.kernels.length; k++) {
    const v = s.kernels[k];
    assertRange(Number.isFinite(v), () => `${fn}: spec.kernels must be finite, got ${v} at flat index ${k}`);
  }
  for (let d = 0; d < signal.length; d++) {
    assertRange(
      kernelSize[d] <= signal[d],
      () =>
        `${fn}: kernel larger than the signal: kernel ${kernelSize[d]} > signal ${signal[d]} in dimension ${d}`,
    );
  }
  return spec as ConvSpec;
}

/** C-order strides of a shape. */
function strides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) st[d] = st[d + 1] * shape[d + 1];
  return st;
}

/**
 * The taps of the convolution: for output position j (flat over N) and kernel offset i (flat over
 * O), `taps[j · ΠO + i]` is the flat input position of `j + i` after the boundary condition, or −1
 * when it falls in the zero padding. The weight of that tap is `K[f, ch, ΠO − 1 − i]` (reversing
 * every coordinate of a C-order multi-index reverses its flat index).
 */
function tapTable(
  signal: readonly number[],
  kernelSize: readonly number[],
  boundary: Boundary,
  budget: Budget = Budget.unlimited(),
): Int32Array {
  const nPos = product(signal);
  const nOff = product(kernelSize);
  const dims = signal.length;
  const sStride = strides(signal);
  budget.reserve(
    `the tap table of a convolution (${formatCount(nPos)} positions × ${formatCount(nOff)} kernel offsets)`,
    nPos * nOff * 4,
  );
  const taps = new Int32Array(nPos * nOff);
  const j = new Array<number>(dims).fill(0);
  const i = new Array<number>(dims).fill(0);
  for (let jf = 0; jf < nPos; jf++) {
    let r = jf;
    for (let d = 0; d < dims; d++) {
      j[d] = Math.floor(r / sStride[d]);
      r -= j[d] * sStride[d];
    }
    i.fill(0);
    for (let f = 0; f < nOff; f++) {
      let p = 0;
      for (let d = 0; d < dims && p >= 0; d++) {
        let pd = j[d] + i[d];
        if (pd >= signal[d]) {
          if (boundary === "periodic") pd -= signal[d];
          else p = -1;
        }
        if (p >= 0) p += pd * sStride[d];
      }
      taps[jf * nOff + f] = p;
      // Next kernel offset in C order.
      for (let d = dims - 1; d >= 0; d--) {
        if (++i[d] < kernelSize[d]) break;
        i[d] = 0;
      }
    }
  }
  return taps;
}

/**
 * Shape of the output of {@link convolve}: `(q, N_1[, N_2])`.
 * @param spec the layer
 */
export function convOutputShape(spec: ConvSpec): number[] {
  validateConvSpec("convOutputShape()", spec);
  return [spec.filters, ...spec.signal];
}

/**
 * Shape of the input of {@link convolve}: `(c, N_1[, N_2])`.
 * @param spec the layer
 */
export function convInputShape(spec: ConvSpec): number[] {
  validateConvSpec("convInputShape()", spec);
  return [spec.channels, ...spec.signal];
}

/**
 * The convolution `y = C x` computed directly (Definition 2, stride 1, see the module header for
 * the index convention and the boundary conditions).
 *
 * @param spec the layer: q filters of shape (c, O_1[, O_2]) on a signal of size (N_1[, N_2])
 * @param x input of shape (c, N_1[, N_2]) in C order, length c·ΠN
 * @returns y of shape (q, N_1[, N_2]) in C order, length q·ΠN
 *
 * @example
 * // 1-D, periodic, kernel K = [1, 2] (K[1] = 2 multiplies x[j], K[0] = 1 multiplies x[j+1]):
 * convolve(convSpec([[[1, 2]]], { signal: [3], boundary: "periodic" }), [1, 10, 100]);
 * // → [2·1 + 10, 2·10 + 100, 2·100 + 1] = [12, 120, 201]
 */
export function convolve(spec: ConvSpec, x: ArrayLike<number>): Float64Array {
  const fn = "convolve()";
  validateConvSpec(fn, spec);
  const { signal, channels: c, filters: q, kernelSize, kernels, boundary } = spec;
  const nPos = product(signal);
  const nOff = product(kernelSize);
  assertType(
    x !== null && typeof x === "object" && typeof (x as ArrayLike<number>).length === "number",
    () => `${fn}: x must be an array of numbers, got ${describe(x)}`,
  );
  assertRange(
    x.length === c * nPos,
    () =>
      `${fn}: x has length ${x.length}, expected c·ΠN = ${c}·${signal.join("·")} = ${c * nPos} (shape (${[c, ...signal].join(", ")}), C order)`,
  );
  for (let k = 0; k < x.length; k++) {
    const v: unknown = x[k];
    assertType(typeof v === "number", () => `${fn}: x[${k}] must be a number, got ${describe(v)}`);
    assertRange(Number.isFinite(v), () => `${fn}: x must be finite, got ${v} at [${k}]`);
  }
  const taps = tapTable(signal, kernelSize, boundary);
  const y = new Float64Array(q * nPos);
  for (let f = 0; f < q; f++) {
    for (let ch = 0; ch < c; ch++) {
      const kBase = (f * c + ch) * nOff;
      const xBase = ch * nPos;
      for (let j = 0; j < nPos; j++) {
        let s = 0;
        for (let i = 0; i < nOff; i++) {
          const p = taps[j * nOff + i];
          if (p >= 0) s += kernels[kBase + nOff - 1 - i] * x[xBase + p];
        }
        y[f * nPos + j] += s;
      }
    }
  }
  return y;
}

/**
 * The convolution layer as an explicit dense matrix (Definition 3: W = [C_1; …; C_q]).
 *
 * Its (q·ΠN)·(c·ΠN) entries grow with the square of the signal size (a 2000 × 2000 image: 128 TB),
 * so the memory is reserved in `budget` before anything is allocated (a ResourceLimitError above
 * the memory limit), and the time is checked between chunks of rows.
 *
 * @param spec the layer
 * @param budget memory limit and deadline (default: the default memory limit, no deadline)
 * @returns W of shape (q·ΠN, c·ΠN) as rows: row `f·ΠN + flat(j)` is output (f, j), column
 *   `ch·ΠN + flat(p)` is input (ch, p), flat indices in C order; `W x = convolve(spec, x)`
 * @throws ResourceLimitError when the matrix is above the memory limit or the time runs out
 */
export function convMatrix(spec: ConvSpec, budget: Budget = Budget.unlimited()): number[][] {
  const fn = "convMatrix()";
  validateConvSpec(fn, spec);
  const { signal, channels: c, filters: q, kernelSize, kernels, boundary } = spec;
  const nPos = product(signal);
  const nOff = product(kernelSize);
  const stage = `the explicit ${formatCount(q * nPos)} × ${formatCount(c * nPos)} convolution matrix`;
  budget.reserve(stage, matrixBytes(q * nPos, c * nPos));
  const taps = tapTable(signal, kernelSize, boundary, budget);
  const W: number[][] = [];
  const rowsPerCheck = Math.max(1, Math.floor((1 << 20) / (c * nPos)));
  for (let f = 0; f < q; f++) {
    for (let j = 0; j < nPos; j++) {
      if (j % rowsPerCheck === 0) budget.check(stage);
      const row = new Array<number>(c * nPos).fill(0);
      for (let ch = 0; ch < c; ch++) {
        const kBase = (f * c + ch) * nOff;
        for (let i = 0; i < nOff; i++) {
          const p = taps[j * nOff + i];
          if (p >= 0) row[ch * nPos + p] += kernels[kBase + nOff - 1 - i];
        }
      }
      W.push(row);
    }
  }
  return W;
}

/**
 * Size of {@link convMatrix}'s result without building it.
 * @returns `{ m: q·ΠN, n: c·ΠN }`
 */
export function convMatrixSize(spec: ConvSpec): { m: number; n: number } {
  validateConvSpec("convMatrixSize()", spec);
  const nPos = product(spec.signal);
  return { m: spec.filters * nPos, n: spec.channels * nPos };
}

/**
 * The kernels of a spec as nested arrays, shape (q, c, O_1[, O_2]) (the inverse of {@link convSpec}).
 */
export function nestedKernels(spec: ConvSpec): NestedKernels {
  validateConvSpec("nestedKernels()", spec);
  const { channels: c, filters: q, kernelSize, kernels } = spec;
  const nOff = product(kernelSize);
  const out: unknown[] = [];
  for (let f = 0; f < q; f++) {
    const perChannel: unknown[] = [];
    for (let ch = 0; ch < c; ch++) {
      const flat = Array.from(kernels.subarray((f * c + ch) * nOff, (f * c + ch + 1) * nOff));
      if (kernelSize.length === 1) perChannel.push(flat);
      else
        perChannel.push(
          Array.from({ length: kernelSize[0] }, (_, a) =>
            flat.slice(a * kernelSize[1], (a + 1) * kernelSize[1]),
          ),
        );
    }
    out.push(perChannel);
  }
  return out as NestedKernels;
}
