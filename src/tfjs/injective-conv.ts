/**
 * `InjectiveConv2d` and `InjectiveConv2dTranspose`: TensorFlow.js convolution layers whose filters
 * come in pairs [C; −s²C], the construction of the paper's injective DCGAN (Puthawala et al.,
 * *Globally Injective ReLU Networks*, Section 4): the layer has `filters` = 2p output channels;
 * channel k < p applies the trainable kernel C_k, channel p + k applies −s_k²·C_k, with s_k² > 0 kept
 * positive by a softplus (or exp) of a free vector. This is Corollary 2's [B; −DB] with B the
 * convolution operator of C and D = diag(s²) per channel: one row of each pair (w, −s²w) is active
 * at every input, so ReLU of the layer is injective exactly when the convolution of C alone has
 * full column rank (src/construct/conv-pairs.ts; for a stride-1 convolution, Theorem 4's setting).
 *
 * Bias: one trainable offset β_k per pair, shared as (β_k, −s_k²·β_k), so that a pair outputs
 * (ReLU(t), s²·ReLU(−t)) with t = (C_k ⋆ x) + β_k at every position: the bias cannot open a dead
 * zone between the two rows of a pair (a free bias per channel could; see docs/tfjs.md).
 *
 * Data format: channels last (tfjs's default), no dilation; padding `valid` or `same`, strides and
 * kernel sizes as in `tf.layers.conv2d` / `tf.layers.conv2dTranspose`. The kernels have tfjs's
 * layouts: (kh, kw, inChannels, p) for the convolution and (kh, kw, p, inChannels) for the
 * transposed one.
 *
 * The model reader (src/io/tfjs.ts) expands each layer into a convolution record with the 2p
 * filters [C; −s²C], the products computed exactly, and `check` recognises the pairs
 * (src/network/check-network.ts, rule `conv-pairs`).
 */

import * as tf from "@tensorflow/tfjs";
import {
  configError,
  initializerOf,
  pairOf,
  positiveInt,
  scalesOf,
  validateCommon,
  type BaseLayerArgs,
  type InitializerName,
  type InjectiveActivation,
  type ScaleParameterization,
} from "./common.js";
import { softplusInverse } from "./injective-dense.js";

/** Options of {@link InjectiveConv2d} and {@link InjectiveConv2dTranspose}. */
export interface InjectiveConvArgs extends BaseLayerArgs {
  /** Output channels 2p: p pairs [C_k; −s_k²C_k]. Must be even. */
  filters: number;
  /** Kernel height and width (a number: square). */
  kernelSize: number | [number, number];
  /** @default 1 */
  strides?: number | [number, number];
  /** @default "valid" */
  padding?: "valid" | "same";
  /** Trainable offsets β per pair (biases β and −s²β). @default true */
  useBias?: boolean;
  /** @default "relu" */
  activation?: InjectiveActivation;
  /** s² = softplus(ρ) or exp(ρ). @default "softplus" */
  scaleParameterization?: ScaleParameterization;
  /** Initializer of C. @default "glorotUniform" */
  kernelInitializer?: InitializerName;
  /** Seed of the initializer. */
  seed?: number;
  /** Initial s² (every pair). @default 1 */
  initialScale?: number;
}

/** The output length of a convolution (`transpose` false) or a transposed one, as tfjs computes it. */
export function convOutputLength(
  length: number,
  kernel: number,
  stride: number,
  padding: "valid" | "same",
  transpose: boolean,
): number {
  if (transpose) return padding === "same" ? length * stride : length * stride + Math.max(kernel - stride, 0);
  return padding === "same" ? Math.ceil(length / stride) : Math.ceil((length - kernel + 1) / stride);
}

/** The shared implementation of the two paired convolution layers. */
abstract class PairedConv extends tf.layers.Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: "valid" | "same";
  readonly useBias: boolean;
  readonly activation: InjectiveActivation;
  readonly scaleParameterization: ScaleParameterization;
  readonly kernelInitializer: InitializerName;
  readonly seed: number | undefined;
  readonly initialScale: number;
  protected kernel: tf.LayerVariable | null = null;
  protected scaleParam: tf.LayerVariable | null = null;
  protected bias: tf.LayerVariable | null = null;

  protected abstract readonly transpose: boolean;
  protected abstract readonly cls: string;

  constructor(cls: string, args: InjectiveConvArgs) {
    super(args);
    const common = validateCommon(cls, args);
    this.activation = common.activation;
    this.scaleParameterization = common.scaleParameterization;
    this.kernelInitializer = common.kernelInitializer;
    this.seed = common.seed;
    this.filters = positiveInt(cls, "filters", args.filters, 2);
    if (this.filters % 2 !== 0)
      configError(cls, `filters must be even (pairs [C; −s²C]), got ${this.filters}`);
    this.kernelSize = pairOf(cls, "kernelSize", args.kernelSize);
    this.strides = pairOf(cls, "strides", args.strides, 1);
    const padding = args.padding ?? "valid";
    if (padding !== "valid" && padding !== "same")
      configError(cls, `padding must be "valid" or "same", got ${String(padding)}`);
    this.padding = padding;
    if (args.useBias !== undefined && typeof args.useBias !== "boolean")
      configError(cls, `useBias must be a boolean, got ${String(args.useBias)}`);
    this.useBias = args.useBias ?? true;
    const s = args.initialScale ?? 1;
    if (!(typeof s === "number" && Number.isFinite(s) && s > 0))
      configError(cls, `initialScale must be a positive number, got ${String(s)}`);
    this.initialScale = s;
  }

  /** The number of pairs p = filters / 2. */
  get pairs(): number {
    return this.filters / 2;
  }

  protected inputShapeOf(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 4 || typeof shape[3] !== "number")
      configError(
        this.cls,
        `expects inputs of shape [batch, height, width, channels] (channels last) with known channels, got [${shape.map((v) => (v === null ? "null" : v)).join(", ")}]`,
      );
    return shape;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const c = this.inputShapeOf(inputShape)[3] as number;
    const [kh, kw] = this.kernelSize;
    const shape = this.transpose ? [kh, kw, this.pairs, c] : [kh, kw, c, this.pairs];
    this.kernel = this.addWeight(
      "kernel",
      shape,
      "float32",
      initializerOf(this.kernelInitializer, this.seed),
    );
    const rho0 =
      this.scaleParameterization === "exp" ? Math.log(this.initialScale) : softplusInverse(this.initialScale);
    this.scaleParam = this.addWeight(
      "scale_param",
      [this.pairs],
      "float32",
      tf.initializers.constant({ value: rho0 }),
    );
    if (this.useBias) this.bias = this.addWeight("bias", [this.pairs], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, h, w] = this.inputShapeOf(inputShape);
    const len = (v: number | null, d: 0 | 1): number | null =>
      v === null
        ? null
        : convOutputLength(v, this.kernelSize[d], this.strides[d], this.padding, this.transpose);
    return [batch, len(h, 0), len(w, 1), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const K = this.kernel!.read() as tf.Tensor4D;
      let y: tf.Tensor;
      if (this.transpose) {
        const [batch, h, w] = x.shape;
        const out: [number, number, number, number] = [
          batch,
          convOutputLength(h, this.kernelSize[0], this.strides[0], this.padding, true),
          convOutputLength(w, this.kernelSize[1], this.strides[1], this.padding, true),
          this.pairs,
        ];
        y = tf.conv2dTranspose(x, K, out, this.strides, this.padding);
      } else y = tf.conv2d(x, K, this.strides, this.padding);
      if (this.bias) y = tf.add(y, this.bias.read());
      const s2 = scalesOf(this.scaleParam!.read(), this.scaleParameterization);
      const out = tf.concat([y, tf.neg(tf.mul(y, s2))], -1);
      return this.activation === "relu" ? tf.relu(out) : out;
    });
  }

  /** The current pair scales s² (float32, as tfjs computes them). */
  pairScales(): tf.Tensor1D {
    if (!this.scaleParam) configError(this.cls, "pairScales() needs a built layer");
    return tf.tidy(() => scalesOf(this.scaleParam!.read(), this.scaleParameterization) as tf.Tensor1D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      useBias: this.useBias,
      activation: this.activation,
      scaleParameterization: this.scaleParameterization,
      kernelInitializer: this.kernelInitializer,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
      initialScale: this.initialScale,
    };
  }
}

/**
 * A 2-D convolution (channels last) with filters in pairs [C; −s²C] (see the module comment).
 * Trainable weights: `kernel` (kh, kw, inChannels, p), `scale_param` (p) with s² =
 * softplus(scale_param), `bias` (p). Registered with `tf.serialization.registerClass`.
 *
 * @example
 * new InjectiveConv2d({ filters: 8, kernelSize: 3, padding: "same", inputShape: [16, 16, 4] });
 */
export class InjectiveConv2d extends PairedConv {
  /** The class name under which the layer is serialized. */
  static className = "InjectiveConv2d";
  protected readonly transpose = false;
  protected readonly cls = InjectiveConv2d.className;
  constructor(args: InjectiveConvArgs) {
    super(InjectiveConv2d.className, args);
  }
}

/**
 * A 2-D transposed convolution (channels last) with filters in pairs [C; −s²C], as in the paper's
 * injective DCGAN generator (see the module comment). Trainable weights: `kernel` (kh, kw, p,
 * inChannels), `scale_param` (p) with s² = softplus(scale_param), `bias` (p). Registered with
 * `tf.serialization.registerClass`.
 *
 * @example
 * new InjectiveConv2dTranspose({ filters: 8, kernelSize: 4, strides: 2, padding: "same", inputShape: [4, 4, 3] });
 */
export class InjectiveConv2dTranspose extends PairedConv {
  /** The class name under which the layer is serialized. */
  static className = "InjectiveConv2dTranspose";
  protected readonly transpose = true;
  protected readonly cls = InjectiveConv2dTranspose.className;
  constructor(args: InjectiveConvArgs) {
    super(InjectiveConv2dTranspose.className, args);
  }
}

tf.serialization.registerClass(InjectiveConv2d);
tf.serialization.registerClass(InjectiveConv2dTranspose);
