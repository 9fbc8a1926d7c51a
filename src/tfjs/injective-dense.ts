/**
 * `InjectiveDense`: a TensorFlow.js layer whose weight matrix has the structure of the paper's
 * Corollary 2 (Puthawala et al., *Globally Injective ReLU Networks*), W = [B; −DB; M]: B is a
 * trainable n×n matrix (n = the input dimension), D = diag(d) with d > 0 kept positive by a
 * softplus (or exp) of a free vector, and M optional extra free rows. ReLU(Wx + b) is then
 * injective on all of Rⁿ whenever B is invertible, because at every x one row of each pair
 * (B_k, −d_k·B_k) is active (Theorem 1).
 *
 * Orientation: a tfjs Dense kernel is (inputDim, units), outputs = x·kernel. Here the kernel of B
 * is (n, n) and the toolkit's W (rows = output units) is its transpose, so output unit k < n is
 * ⟨B_k, x⟩ + β_k, unit n + k is −d_k·(⟨B_k, x⟩ + β_k), and units 2n … 2n + extra − 1 are the free
 * rows M. units = 2·inputDim + extraUnits.
 *
 * Bias: one trainable offset β_k per pair, shared by both rows of the pair: the biases are
 * (β_k, −d_k·β_k). The pair then outputs (ReLU(t), d_k·ReLU(−t)) with t = ⟨B_k, x⟩ + β_k, and one
 * of its rows is active at every x (Corollary 2 with bias: β1 + β2/d = 0 ≥ 0), so the bias never
 * breaks injectivity. The extra rows get free biases. A free bias per row could open a dead zone
 * between the rows of a pair (both inactive where −β1 > t > β2/d) and break injectivity: that is why
 * this layer does not offer one.
 *
 * The model reader (src/io/tfjs.ts) expands the layer into W = [B; −DB; M] with the products
 * −d_k·B_kj computed exactly (float32 times float32 is exact in float64), so `injective-relu check`
 * proves it injective by the structure test (Corollary 2) whenever B has full rank.
 */

import * as tf from "@tensorflow/tfjs";
import {
  configError,
  initializerOf,
  positiveInt,
  scalesOf,
  unitScaleParameter,
  validateCommon,
  type BaseLayerArgs,
  type InitializerName,
  type InjectiveActivation,
  type ScaleParameterization,
} from "./common.js";

/** Options of {@link InjectiveDense} (plus the usual layer options: `name`, `inputShape`, …). */
export interface InjectiveDenseArgs extends BaseLayerArgs {
  /** Free rows M after the 2n paired rows. @default 0 */
  extraUnits?: number;
  /** Trainable offsets: β per pair (biases β and −d·β) and free biases for M. @default true */
  useBias?: boolean;
  /** `relu` (the injective layer ReLU(Wx + b)) or `linear` (Wx + b; add a ReLU after it). @default "relu" */
  activation?: InjectiveActivation;
  /** d = softplus(ρ) or d = exp(ρ). @default "softplus" */
  scaleParameterization?: ScaleParameterization;
  /** Initializer of B and M. @default "glorotUniform" */
  kernelInitializer?: InitializerName;
  /** Seed of the initializer. */
  seed?: number;
  /** Initial pair scale d (every pair). @default 1 */
  initialScale?: number;
}

/**
 * A dense layer with the Corollary 2 weights W = [B; −DB; M] (see the module comment): units =
 * 2·inputDim + extraUnits, trainable weights `basis` (n, n), `scale_param` (n) with d =
 * softplus(scale_param), `bias` (n), and with extra rows `extra_kernel` (n, extra) and
 * `extra_bias` (extra). Serializable: it is registered with `tf.serialization.registerClass`.
 *
 * @example
 * const model = tf.sequential({ layers: [new InjectiveDense({ inputShape: [3], extraUnits: 1 })] });
 * model.predict(tf.zeros([1, 3])); // shape [1, 7]
 */
export class InjectiveDense extends tf.layers.Layer {
  /** The class name under which the layer is serialized. */
  static className = "InjectiveDense";
  /** Number of free rows M. */
  readonly extraUnits: number;
  readonly useBias: boolean;
  readonly activation: InjectiveActivation;
  readonly scaleParameterization: ScaleParameterization;
  readonly kernelInitializer: InitializerName;
  readonly seed: number | undefined;
  readonly initialScale: number;
  private basis: tf.LayerVariable | null = null;
  private scaleParam: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;
  private extraKernel: tf.LayerVariable | null = null;
  private extraBias: tf.LayerVariable | null = null;

  constructor(args: InjectiveDenseArgs = {}) {
    super(args);
    const cls = InjectiveDense.className;
    const common = validateCommon(cls, args);
    this.activation = common.activation;
    this.scaleParameterization = common.scaleParameterization;
    this.kernelInitializer = common.kernelInitializer;
    this.seed = common.seed;
    this.extraUnits = args.extraUnits === undefined ? 0 : positiveInt(cls, "extraUnits", args.extraUnits, 0);
    if (args.useBias !== undefined && typeof args.useBias !== "boolean")
      configError(cls, `useBias must be a boolean, got ${String(args.useBias)}`);
    this.useBias = args.useBias ?? true;
    const s = args.initialScale ?? 1;
    if (!(typeof s === "number" && Number.isFinite(s) && s > 0))
      configError(cls, `initialScale must be a positive number, got ${String(s)}`);
    this.initialScale = s;
  }

  /** The input dimension n (the number of pairs). */
  private inputDim(inputShape: tf.Shape | tf.Shape[]): number {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const n = shape[shape.length - 1];
    if (shape.length !== 2 || typeof n !== "number" || !(n > 0))
      configError(
        InjectiveDense.className,
        `expects inputs of shape [batch, n] with n known, got [${shape.map((v) => (v === null ? "null" : v)).join(", ")}]`,
      );
    return n as number;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const n = this.inputDim(inputShape);
    const init = initializerOf(this.kernelInitializer, this.seed);
    this.basis = this.addWeight("basis", [n, n], "float32", init);
    const rho0 =
      this.scaleParameterization === "exp" ? Math.log(this.initialScale) : softplusInverse(this.initialScale);
    this.scaleParam = this.addWeight(
      "scale_param",
      [n],
      "float32",
      tf.initializers.constant({
        value: Number.isFinite(rho0) ? rho0 : unitScaleParameter(this.scaleParameterization),
      }),
    );
    if (this.useBias) this.bias = this.addWeight("bias", [n], "float32", tf.initializers.zeros());
    if (this.extraUnits > 0) {
      this.extraKernel = this.addWeight(
        "extra_kernel",
        [n, this.extraUnits],
        "float32",
        initializerOf(this.kernelInitializer, this.seed === undefined ? undefined : this.seed + 1),
      );
      if (this.useBias)
        this.extraBias = this.addWeight("extra_bias", [this.extraUnits], "float32", tf.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const n = this.inputDim(inputShape);
    return [...shape.slice(0, -1), 2 * n + this.extraUnits];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      let z: tf.Tensor = tf.matMul(x, this.basis!.read() as tf.Tensor2D);
      if (this.bias) z = tf.add(z, this.bias.read());
      const d = scalesOf(this.scaleParam!.read(), this.scaleParameterization);
      const parts: tf.Tensor[] = [z, tf.neg(tf.mul(z, d))];
      if (this.extraKernel) {
        let e: tf.Tensor = tf.matMul(x, this.extraKernel.read() as tf.Tensor2D);
        if (this.extraBias) e = tf.add(e, this.extraBias.read());
        parts.push(e);
      }
      const out = tf.concat(parts, -1);
      return this.activation === "relu" ? tf.relu(out) : out;
    });
  }

  /**
   * The effective kernel [B, −B·diag(d), M] of shape (n, 2n + extra) and bias [β, −d∘β, β_M] (absent
   * without bias), as tfjs computes them in float32 (for inspection; the model reader rebuilds them exactly).
   */
  effectiveWeights(): { kernel: tf.Tensor2D; bias?: tf.Tensor1D } {
    if (!this.basis) configError(InjectiveDense.className, "effectiveWeights() needs a built layer");
    return tf.tidy((): { kernel: tf.Tensor2D; bias?: tf.Tensor1D } => {
      const B = this.basis!.read() as tf.Tensor2D;
      const d = scalesOf(this.scaleParam!.read(), this.scaleParameterization);
      const cols: tf.Tensor2D[] = [B, tf.neg(tf.mul(B, d)) as tf.Tensor2D];
      if (this.extraKernel) cols.push(this.extraKernel.read() as tf.Tensor2D);
      const kernel = tf.concat(cols, 1);
      if (!this.bias) return { kernel };
      const beta = this.bias.read() as tf.Tensor1D;
      const parts: tf.Tensor1D[] = [beta, tf.neg(tf.mul(beta, d)) as tf.Tensor1D];
      if (this.extraBias) parts.push(this.extraBias.read() as tf.Tensor1D);
      return { kernel, bias: tf.concat(parts) };
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      extraUnits: this.extraUnits,
      useBias: this.useBias,
      activation: this.activation,
      scaleParameterization: this.scaleParameterization,
      kernelInitializer: this.kernelInitializer,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
      initialScale: this.initialScale,
    };
  }
}

/** ρ with softplus(ρ) = v (v > 0). */
export function softplusInverse(v: number): number {
  return v > 30 ? v : Math.log(Math.expm1(v));
}

tf.serialization.registerClass(InjectiveDense);
