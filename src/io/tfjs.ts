/**
 * TF.js layers-model import: {@link loadTfjsLayersModel} turns a TensorFlow.js *layers* model (a
 * `model.json` with `modelTopology` and `weightsManifest`, plus its binary weight shards) into a
 * {@link Network} of dense layers. It does not use TensorFlow.js: the JSON and the shards are parsed
 * here, without file access (src/io/tfjs-file.ts reads them from disk, {@link parseTfjsModelFiles}
 * takes them from memory, as in the web playground).
 *
 * Supported: a `Sequential` model, or a `Functional`/`Model` whose layers form a linear chain (each
 * layer consumes the previous one), of the layer classes `Dense` (kernel [in, out], so W = kernelᵀ;
 * `use_bias`; activation relu, linear, tanh or sigmoid), `Activation`, `ReLU` (no max_value or
 * threshold), `LeakyReLU` (alpha or negative_slope), `BatchNormalization` (inference mode, over the
 * last axis of a flat input or of an image, per channel; `center` / `scale` false honoured),
 * `Flatten`, `Reshape`, `Dropout` (the identity at inference) and `InputLayer`; `Conv2D` and `Conv2DTranspose` (channels last, no
 * dilation, `valid` or symmetric `same` padding) into convolution records; and the injective layers
 * of src/tfjs (`InjectiveDense`, `InjectiveConv2d`, `InjectiveConv2dTranspose`), expanded exactly
 * from their saved free parameters (./tfjs-injective.ts). TF.js images are channels last, the
 * toolkit's convolutions channels first: the reader reorders the outputs of the Dense before a
 * convolution and the inputs of the Dense after a Flatten, so the network computes what TF.js
 * computes on its flat inputs and outputs; an image input or output with several channels is
 * refused, or with `channelsFirstImages` taken in channels-first order. Weights are float32,
 * little-endian, stored in the
 * manifest's order; each group's shards are concatenated. A Python-converted `model.json` (topology
 * wrapped in `model_config`, Keras 2 or 3 layer configs) is read too.
 *
 * As for ONNX (src/io/onnx.ts), an activation right after a Dense with a linear activation becomes
 * that layer's activation; elsewhere it becomes a dense identity layer with that activation.
 * Everything else (other layer classes, branches, quantized or non-float32 weights, corrupt JSON,
 * missing or short shards) is a one-line {@link FileFormatError} starting with the source name.
 */

import { formatBytes } from "../core/budget.js";
import {
  batchNormLayer,
  convLayer,
  NETWORK_FORMAT,
  activationLayer,
  reshapeLayer,
  validateNetwork,
  type Activation,
  type DenseLayerSpec,
  type Network,
} from "../model/network.js";
import { InputRangeError, InputTypeError } from "../core/validate.js";
import { clip, FileFormatError, show } from "./errors.js";
import { importedNetwork } from "./imported-network.js";
import { INJECTIVE_TFJS_LAYERS, negScaled, pairScale, type ScaleParameterization } from "./tfjs-injective.js";
import { decodeUtf8 } from "./layer-parse.js";
import { checkDenseSize, memoryLimitOf, tooLarge, type ReaderOptions } from "./limits.js";

/** The layer classes {@link parseTfjsLayersModel} understands, as listed in its error messages. */
export const SUPPORTED_TFJS_LAYERS = [
  "Dense",
  "Activation",
  "ReLU",
  "LeakyReLU",
  "BatchNormalization",
  "Flatten",
  "Reshape",
  "Dropout",
  "InputLayer",
  "Conv2D",
  "Conv2DTranspose",
  ...INJECTIVE_TFJS_LAYERS,
] as const;

const TFJS_ACTIVATIONS: Record<string, Activation> = {
  relu: "relu",
  linear: "linear",
  tanh: "tanh",
  sigmoid: "sigmoid",
};

type Json = Record<string, unknown>;

interface WeightEntry {
  name: string;
  shape: number[];
  data: number[];
}

function isObject(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function product(dims: number[]): number {
  return dims.reduce((a, v) => a * v, 1);
}

/** One byte array holding `parts` one after another. */
function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The (class name, config) of a layer or model entry, Keras 2/3 and TF.js spellings. */
function classAndConfig(entry: unknown): { cls: string; config: Json } {
  const e = isObject(entry) ? entry : {};
  return {
    cls: typeof e.class_name === "string" ? e.class_name : "",
    config: isObject(e.config) ? e.config : {},
  };
}

/**
 * The names of the layers an entry of a Functional model's `layers` consumes, in order. A walk with
 * an explicit stack: the nesting of `inbound_nodes` comes from the file.
 */
function inboundNames(entry: Json): string[] {
  const names: string[] = [];
  const stack: unknown[] = [entry.inbound_nodes];
  while (stack.length > 0) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      // Keras 2 / TF.js: ["layer_name", nodeIndex, tensorIndex, kwargs]
      if (typeof x[0] === "string" && typeof x[1] === "number") names.push(x[0]);
      else for (let k = x.length - 1; k >= 0; k--) stack.push(x[k]);
    } else if (isObject(x)) {
      // Keras 3: {"class_name": "__keras_tensor__", "config": {"keras_history": [name, 0, 0]}}
      const hist = isObject(x.config) ? x.config.keras_history : undefined;
      if (Array.isArray(hist) && typeof hist[0] === "string") names.push(hist[0]);
      else if (Array.isArray(x.args)) for (let k = x.args.length - 1; k >= 0; k--) stack.push(x.args[k]);
    }
  }
  return names;
}

/** The name of a layer entry (config.name, or the entry's name), for messages and weight lookup. */
function layerName(entry: unknown): string {
  const e = isObject(entry) ? entry : {};
  const config = isObject(e.config) ? e.config : {};
  const n = config.name ?? e.name;
  return typeof n === "string" ? n : n === undefined || n === null ? "" : show(n, 40);
}

/** The input shape without the batch dimension declared by a layer config, if any. */
function declaredInputShape(config: Json): (number | null)[] | null {
  const batch = config.batch_input_shape ?? config.batch_shape;
  if (Array.isArray(batch)) return batch.slice(1) as (number | null)[];
  if (Array.isArray(config.input_shape)) return config.input_shape as (number | null)[];
  return null;
}

/** A weight of the manifest, validated. */
interface WeightSpec {
  name: string;
  shape: number[];
}

/** A group of the manifest: its weights, the paths of its shards, and the bytes they must hold. */
interface ManifestGroup {
  weights: WeightSpec[];
  paths: unknown[];
  bytes: number;
}

/** The most shard paths a manifest may list (TF.js writes 4 MB shards: this is 400 GB). */
const MAX_SHARDS = 100_000;

/**
 * Validates the `weightsManifest` of a model.json: every weight has a string name, a shape of at
 * most 64 non-negative safe integers, dtype float32 and no quantization; the bytes each group needs
 * (4 per value) are computed, and their sum must fit in the memory limit. Called before any shard
 * is read, so that the reads are bounded by what the manifest declares.
 */
export function validateManifest(
  modelJson: Json,
  fail: (problem: string) => never,
  limit: number,
  source: string,
): ManifestGroup[] {
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest)) return fail('no "weightsManifest" array in model.json');
  const groups: ManifestGroup[] = [];
  let total = 0;
  let shards = 0;
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.weights))
      return fail('a "weightsManifest" entry has no "weights" array');
    const weights: WeightSpec[] = [];
    let bytes = 0;
    for (const w of group.weights) {
      if (!isObject(w) || typeof w.name !== "string" || !Array.isArray(w.shape))
        return fail('a "weightsManifest" weight has no "name" or "shape"');
      const what = `weight "${clip(w.name, 60)}"`;
      const shape = w.shape as unknown[];
      if (shape.length > 64 || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
        fail(`${what} has shape ${show(shape)}, expected nonnegative integers`);
      if (w.quantization !== undefined)
        fail(`${what} is quantized, which is not supported (re-save without quantization)`);
      const dtype = w.dtype ?? "float32";
      if (dtype !== "float32") fail(`${what} has dtype ${show(dtype, 20)}; only float32 is supported`);
      const count = product(shape as number[]);
      if (!(count * 8 <= limit))
        tooLarge(
          source,
          `${what} has ${count} values (${formatBytes(count * 8)} in memory)`,
          count * 8,
          limit,
        );
      bytes += 4 * count;
      weights.push({ name: w.name, shape: (shape as number[]).slice() });
    }
    total += bytes;
    if (!(total <= limit))
      tooLarge(source, `the manifest declares ${formatBytes(total)} of weights`, total, limit);
    const paths = Array.isArray(group.paths) ? group.paths : [];
    shards += paths.length;
    if (shards > MAX_SHARDS) fail(`the manifest lists more than ${MAX_SHARDS} weight shards`);
    groups.push({ weights, paths, bytes });
  }
  return groups;
}

/** A config value under its Keras (snake_case) or TF.js (camelCase) key. */
function cfg(config: Json, camel: string): unknown {
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return config[snake] !== undefined ? config[snake] : config[camel];
}

/**
 * The position in TF.js's channels-last flat order (h, w, c) of each entry of the toolkit's
 * channels-first order (c, h, w): `perm[i]` for the flat index i = (c·H + h)·W + w.
 */
function chwToHwc(H: number, W: number, C: number): Int32Array {
  const perm = new Int32Array(H * W * C);
  for (let c = 0; c < C; c++)
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) perm[(c * H + h) * W + w] = (h * W + w) * C + c;
  return perm;
}

/**
 * The symmetric padding of a TF.js 2-D (transposed) convolution along one dimension, or null when
 * TF.js pads asymmetrically there (`same` with an odd total) or the output length differs from the
 * toolkit's formula (a transposed `valid` convolution with kernel < stride).
 */
function tfjsPadding(
  size: number,
  kernel: number,
  stride: number,
  padding: string,
  transpose: boolean,
): { pad: number; out: number } | null {
  if (transpose) {
    const out = padding === "same" ? size * stride : size * stride + Math.max(kernel - stride, 0);
    // TF.js computes the transposed convolution as the gradient of the convolution from `out`.
    const total = padding === "same" ? Math.max((size - 1) * stride + kernel - out, 0) : 0;
    const pad = Math.floor(total / 2);
    if (total - pad !== pad || (size - 1) * stride - 2 * pad + kernel !== out) return null;
    return { pad, out };
  }
  const out = padding === "same" ? Math.ceil(size / stride) : Math.ceil((size - kernel + 1) / stride);
  const total = padding === "same" ? Math.max((out - 1) * stride + kernel - size, 0) : 0;
  const pad = Math.floor(total / 2);
  if (total - pad !== pad || out < 1 || Math.floor((size + 2 * pad - kernel) / stride) + 1 !== out)
    return null;
  return { pad, out };
}

/**
 * Turns the parsed `model.json` of a TF.js layers model and its weight bytes into a network (see
 * the module comment). Pure: no file access.
 *
 * @param modelJson the parsed `model.json`
 * @param weightData the weight bytes: one array per shard path in manifest order, or all shards
 *   concatenated in one array
 * @param source the file name, put at the start of error messages
 * @param options the memory limit for the matrices the layers imply (default 2 GiB), and
 *   `channelsFirstImages`: accept image inputs and outputs with several channels, taken in the
 *   toolkit's channels-first order (only for questions that do not depend on the order, like
 *   injectivity)
 * @returns the network, validated
 * @throws FileFormatError (one line, starting with `source`) for an unsupported layer class
 *   (`unsupported layer class Conv2D (layer "conv2d_1"); supported: Dense, ...`), a topology that is
 *   not a linear chain, weights that are missing, of the wrong size or not float32, or a layer
 *   above the memory limit
 */
export function parseTfjsLayersModel(
  modelJson: unknown,
  weightData: Uint8Array | Uint8Array[],
  source: string,
  options?: ReaderOptions,
): Network {
  const limit = memoryLimitOf("parseTfjsLayersModel", options);
  const fail = (problem: string): never => {
    throw new FileFormatError(source, problem);
  };
  if (!isObject(modelJson) || !isObject(modelJson.modelTopology))
    return fail('not a TF.js layers model (no "modelTopology" object in model.json)');
  let topology: Json = modelJson.modelTopology;
  if (isObject(topology.model_config)) topology = topology.model_config;
  const { cls: modelClass, config: modelConfig } = classAndConfig(topology);
  if (!["Sequential", "Functional", "Model"].includes(modelClass))
    fail(
      `the model class is "${clip(modelClass) || "missing"}", expected Sequential or a Functional model (a linear chain)`,
    );
  const rawLayers = Array.isArray(topology.config) ? topology.config : modelConfig.layers;
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) return fail("the model topology has no layers");

  // Functional: the layers must form a chain in list order.
  if (modelClass !== "Sequential") {
    rawLayers.forEach((entry, i) => {
      const name = layerName(entry);
      const ins = isObject(entry) ? inboundNames(entry) : [];
      const prevName = i > 0 ? layerName(rawLayers[i - 1]) : null;
      if (i === 0 ? ins.length !== 0 : ins.length !== 1 || ins[0] !== prevName)
        fail(
          `layer "${clip(name)}" consumes ${
            ins.length
              ? ins
                  .slice(0, 4)
                  .map((s) => `"${clip(s)}"`)
                  .join(", ") + (ins.length > 4 ? ", …" : "")
              : "nothing"
          }, not the previous layer${prevName ? ` "${clip(prevName)}"` : ""}: only a linear chain of layers is supported`,
        );
    });
    const outs = modelConfig.output_layers;
    const lastName = layerName(rawLayers[rawLayers.length - 1]);
    const outName = Array.isArray(outs) ? (Array.isArray(outs[0]) ? outs[0][0] : outs[0]) : undefined;
    if (Array.isArray(outs) && outs.length !== 1 && !(outs.length === 3 && typeof outs[0] === "string"))
      fail(`the model has ${outs.length} outputs, expected one (a linear chain)`);
    if (outName !== undefined && outName !== lastName)
      fail(
        `the model output is ${show(outName)}, expected the last layer "${clip(lastName)}" (a linear chain)`,
      );
  }

  // Weights: the manifest's entries, read in order from the concatenated shards.
  const groups = validateManifest(modelJson, fail, limit, source);
  const specs = groups.flatMap((g) => g.weights);
  const bytes = concat(Array.isArray(weightData) ? weightData : [weightData]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const needed = groups.reduce((a, g) => a + g.bytes, 0);
  if (bytes.length !== needed)
    fail(
      `the weight shards hold ${bytes.length} bytes, but the manifest's float32 weights need ${needed}${bytes.length < needed ? " (a shard is short or missing)" : ""}`,
    );
  const weights = new Map<string, WeightEntry>();
  let offset = 0;
  for (const s of specs) {
    const count = product(s.shape);
    const data = new Array<number>(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + 4 * i, true);
    if (!data.every(Number.isFinite))
      fail(`weight "${clip(s.name, 60)}" has a non-finite value (NaN or ±Infinity)`);
    offset += 4 * count;
    weights.set(s.name, { name: s.name, shape: s.shape, data });
  }
  const used = new Set<string>();
  /** The weight `${layer}/${suffix}` (possibly prefixed by a model scope, e.g. "sequential/dense/kernel"). */
  const weight = (layerName: string, suffix: string, desc: string): WeightEntry => {
    const key = `${layerName}/${suffix}`;
    let hit = weights.get(key);
    if (!hit) for (const [n, w] of weights) if (n.endsWith(`/${key}`) && !used.has(n)) hit ??= w;
    if (!hit) return fail(`${desc}: the weight "${clip(key, 60)}" is not in the weightsManifest`);
    used.add(hit.name);
    return hit;
  };

  let shape: number[] | null = null;
  let width: number | null = null;
  let inputDim: number | null = null;
  const layers: DenseLayerSpec[] = [];
  let fusable = false;
  // The order of the current flat vector: entry i of the network's vector is entry perm[i] of
  // TF.js's (channels-last) flat vector; null means the same order. Convolutions work channels
  // first, so their inputs and outputs are in the order (c, h, w) (see convertToChw below).
  let perm: Int32Array | null = null;
  const samePerm = (a: Int32Array | null, b: Int32Array | null): boolean =>
    a === null || b === null
      ? (a ?? b ?? new Int32Array(0)).every((v, i) => v === i)
      : a.length === b.length && a.every((v, i) => v === b[i]);

  const setInput = (desc: string, s: (number | null)[]): void => {
    if (s.length > 64 || !s.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d > 0))
      fail(`${desc} declares the input shape ${show(s)}, expected known positive sizes`);
    if (!Number.isSafeInteger(product(s as number[])))
      fail(`${desc} declares the input shape [${s.join(", ")}], too many values`);
    shape = s as number[];
    width = product(shape);
    inputDim = width;
  };
  const needWidth = (desc: string): number =>
    width ?? fail(`${desc} comes before any layer and the input shape is unknown (no batch_input_shape)`);
  const dense = (desc: string, rows: number, cols: number): void =>
    checkDenseSize(source, desc, rows, cols, limit);

  rawLayers.forEach((entry) => {
    const { cls, config } = classAndConfig(entry);
    const name = layerName(entry);
    const desc = `${clip(cls)} (layer "${clip(name)}")`;
    if (!(SUPPORTED_TFJS_LAYERS as readonly string[]).includes(cls))
      fail(
        `unsupported layer class ${clip(cls) || "(none)"} (layer "${clip(name)}"); supported: ${SUPPORTED_TFJS_LAYERS.join(", ")}`,
      );
    if (width === null) {
      const declared = declaredInputShape(config);
      if (declared) setInput(desc, declared);
    }
    const activationOf = (v: unknown): Activation => {
      const a = v === undefined || v === null ? "linear" : typeof v === "string" ? v : show(v, 40);
      return (
        TFJS_ACTIVATIONS[a] ??
        fail(`${desc} has activation "${clip(a)}"; supported: ${Object.keys(TFJS_ACTIVATIONS).join(", ")}`)
      );
    };
    const pushActivation = (activation: Activation, extra: Partial<DenseLayerSpec>): void => {
      const last = layers[layers.length - 1];
      if (fusable && last && last.activation === "linear") Object.assign(last, { activation, ...extra });
      else if (activation !== "linear" || Object.keys(extra).length > 0) {
        layers.push(activationLayer(needWidth(desc), activation, extra.alpha));
      }
      fusable = false;
    };

    /** Puts the current vector in the channels-first order a convolution needs (see `perm`). */
    const convertToChw = (H: number, Wd: number, C: number): void => {
      dense(desc, 1, H * Wd * C); // the index arrays of the reordering
      const target = chwToHwc(H, Wd, C);
      if (samePerm(perm, target)) return;
      // Reorder the outputs of the last layer with an explicit W (a Dense), through the
      // elementwise layers after it (activations, reshapes; a batch norm's vectors are permuted).
      const cur = perm ?? Int32Array.from({ length: target.length }, (_, i) => i);
      const inv = new Int32Array(cur.length);
      cur.forEach((t, i) => (inv[t] = i));
      const from = Array.from(target, (t) => inv[t]); // new entry i = old entry from[i]
      const pick = <T>(v: T[]): T[] => from.map((k) => v[k]);
      let k = layers.length - 1;
      while (k >= 0 && !layers[k].W && (layers[k].identity || layers[k].reshape || layers[k].batchnorm)) k--;
      // An image input with several channels: with channelsFirstImages the network takes it in
      // the order (c, h, w) (batch norms before the convolution are reordered below).
      const inputOrder = k < 0 && options?.channelsFirstImages === true;
      if (!inputOrder && (k < 0 || !layers[k].W))
        fail(
          `${desc} gets an input of shape [${H}, ${Wd}, ${C}] in TF.js's channels-last order, which the toolkit (channels first) can only reorder through the outputs of a Dense layer before it${k < 0 ? " (the model input has several channels; check accepts it in channels-first order)" : ` (layer ${k} is a convolution)`}`,
        );
      if (!inputOrder) {
        const L = layers[k];
        layers[k] = { ...L, W: pick(L.W!), ...(L.b ? { b: pick(L.b) } : {}) };
      }
      for (let j = k + 1; j < layers.length; j++) {
        const bn = layers[j].batchnorm;
        if (!bn) continue;
        const { activation, alpha } = layers[j];
        layers[j] = {
          ...batchNormLayer({
            gamma: pick(bn.gamma),
            beta: pick(bn.beta),
            mean: pick(bn.mean),
            var: pick(bn.var),
            epsilon: bn.epsilon,
          }),
          activation,
          ...(alpha !== undefined ? { alpha } : {}),
        };
      }
      perm = target;
    };
    /** The spatial input [H, W, C] of a 2-D convolution, from the current shape. */
    const imageShape = (): [number, number, number] => {
      needWidth(desc);
      if (!shape || shape.length !== 3)
        fail(
          `${desc} gets an input of shape [${(shape ?? []).join(", ")}]; a 2-D convolution needs [height, width, channels] (add a Reshape before it)`,
        );
      return shape as [number, number, number];
    };
    /** Adds a convolution record from TF.js kernels, in the toolkit's layouts (see ConvParams). */
    const pushConv = (
      transpose: boolean,
      kernels: number[][][][],
      bias: number[] | undefined,
      activation: Activation,
    ): void => {
      const [H, Wd, C] = imageShape();
      const ks = cfg(config, "kernelSize");
      const st = cfg(config, "strides") ?? [1, 1];
      const padding = cfg(config, "padding") ?? "valid";
      const dil = cfg(config, "dilationRate");
      const fmt = cfg(config, "dataFormat");
      const pair = (v: unknown): number[] | null => {
        const a = typeof v === "number" ? [v, v] : v;
        return Array.isArray(a) && a.length === 2 && a.every((x) => Number.isSafeInteger(x) && x > 0)
          ? (a as number[])
          : null;
      };
      const kSize = pair(ks) ?? fail(`${desc}: unsupported kernel_size ${show(ks, 40)}`);
      const stride = pair(st) ?? fail(`${desc}: unsupported strides ${show(st, 40)}`);
      if (fmt !== undefined && fmt !== null && fmt !== "channels_last" && fmt !== "channelsLast")
        fail(`${desc} has data_format ${show(fmt, 40)}; only channels_last is supported`);
      if (dil !== undefined && dil !== null && !(pair(dil) ?? [0]).every((v) => v === 1))
        fail(`${desc} has dilation_rate ${show(dil, 40)}; only 1 is supported`);
      if (padding !== "valid" && padding !== "same")
        fail(`${desc} has padding ${show(padding, 40)}; only "valid" and "same" are supported`);
      const pads = [H, Wd].map((size, d) =>
        tfjsPadding(size, kSize[d], stride[d], padding as string, transpose),
      );
      if (pads.some((p) => p === null))
        fail(
          `${desc}: TF.js's "${padding}" padding with kernel ${kSize.join("×")} and stride ${stride.join("×")} on a ${H}×${Wd} input is asymmetric or crops the output, which the toolkit's convolutions (symmetric padding) cannot express`,
        );
      convertToChw(H, Wd, C);
      // The repeated bias (one number per output) is the only memory the record takes.
      dense(desc, 1, pads.reduce((a, p) => a * p!.out, 1) * (transpose ? kernels[0].length : kernels.length));
      let layer: DenseLayerSpec;
      try {
        layer = convLayer(
          {
            op: transpose ? "conv_transpose" : "conv",
            inputShape: [C, H, Wd],
            kernels,
            ...(bias ? { bias } : {}),
            stride,
            padding: pads.map((p) => p!.pad),
          },
          activation,
          undefined,
          "readTfjsLayersModel",
          desc,
        );
      } catch (e) {
        if (e instanceof InputRangeError || e instanceof InputTypeError)
          return fail(e.message.replace(/^readTfjsLayersModel:? ?/, ""));
        throw e;
      }
      layers.push(layer);
      const q = transpose ? kernels[0].length : kernels.length;
      const [oh, ow] = pads.map((p) => p!.out);
      shape = [oh, ow, q];
      width = oh * ow * q;
      perm = chwToHwc(oh, ow, q);
      fusable = activation === "linear";
    };
    /**
     * TF.js kernel (kh, kw, a, b) → nested (b, a, kh, kw) for a convolution (a = input channels,
     * b = filters) or (b, a, kh, kw) for a transposed one (a = filters, b = input channels): in both
     * cases the record's layout, (q, c, kh, kw) and (c, q, kh, kw) respectively.
     */
    const recordKernels = (k: WeightEntry): number[][][][] => {
      const [kh, kw, a, b] = k.shape;
      const at = (i: number, j: number, x: number, y: number): number =>
        k.data[((i * kw + j) * a + x) * b + y];
      return Array.from({ length: b }, (_, y) =>
        Array.from({ length: a }, (_, x) =>
          Array.from({ length: kh }, (_, i) => Array.from({ length: kw }, (_, j) => at(i, j, x, y))),
        ),
      );
    };
    /** Reads a 4-D TF.js kernel and checks its shape against the input channels. */
    const kernel4 = (transpose: boolean, channels: number): WeightEntry => {
      const k = weight(name, "kernel", desc);
      if (k.shape.length !== 4 || k.shape[transpose ? 3 : 2] !== channels || k.shape.some((v) => v === 0))
        fail(
          `${desc}: the kernel has shape [${k.shape.join(", ")}], expected [kh, kw, ${transpose ? `filters, ${channels}` : `${channels}, filters`}]`,
        );
      return k;
    };
    const scaleParameterization = (): ScaleParameterization => {
      const v = cfg(config, "scaleParameterization") ?? "softplus";
      if (v !== "softplus" && v !== "exp")
        fail(`${desc} has scale_parameterization ${show(v, 40)}; expected "softplus" or "exp"`);
      return v as ScaleParameterization;
    };
    const vector = (suffix: string, length: number): number[] => {
      const w = weight(name, suffix, desc);
      if (w.data.length !== length)
        fail(`${desc}: ${suffix} has ${w.data.length} values, expected ${length}`);
      return w.data;
    };
    /** A Dense kernel (W = kernelᵀ), its columns reordered to the current vector's order. */
    const denseFromKernel = (kernel: WeightEntry, d: number): number[][] => {
      if (kernel.shape.length !== 2 || kernel.shape[0] !== d || kernel.shape[1] === 0)
        fail(`${desc}: the kernel has shape [${kernel.shape.join(", ")}], expected [${d}, units]`);
      const [rows, cols] = kernel.shape;
      const col = perm ? (j: number) => perm![j] : (j: number) => j;
      return Array.from({ length: cols }, (_, i) =>
        Array.from({ length: rows }, (_, j) => kernel.data[col(j) * cols + i]),
      );
    };
    const flatInput = (): number => {
      const d = needWidth(desc);
      if (shape && shape.length !== 1)
        fail(
          `${desc} gets an input of shape [${shape.join(", ")}]; only a flat input is supported (add a Flatten before it)`,
        );
      return d;
    };

    if (cls === "InputLayer" || cls === "Dropout") {
      return;
    } else if (cls === "Dense") {
      const d = flatInput();
      const W = denseFromKernel(weight(name, "kernel", desc), d);
      const cols = W.length;
      if (typeof config.units === "number" && config.units !== cols)
        fail(`${desc}: the kernel has ${cols} columns, but units = ${config.units}`);
      let b: number[] | undefined;
      if (config.use_bias !== false) b = vector("bias", cols);
      layers.push({ type: "dense", W, ...(b ? { b } : {}), activation: activationOf(config.activation) });
      fusable = layers[layers.length - 1].activation === "linear";
      width = cols;
      shape = [cols];
      perm = null;
    } else if (cls === "InjectiveDense") {
      // W = [B; −DB; M] rebuilt exactly from the saved free parameters (./tfjs-injective.ts).
      const n = flatInput();
      const extraRaw = cfg(config, "extraUnits") ?? 0;
      if (!(Number.isSafeInteger(extraRaw) && (extraRaw as number) >= 0))
        fail(`${desc} has extra_units ${show(extraRaw, 40)}, expected an integer >= 0`);
      const extra = extraRaw as number;
      const B = denseFromKernel(weight(name, "basis", desc), n);
      if (B.length !== n) fail(`${desc}: the basis has ${B.length} columns, expected ${n} (square)`);
      const param = scaleParameterization();
      const d = vector("scale_param", n).map((r) => pairScale(r, param));
      if (!d.every((v) => v > 0))
        fail(`${desc}: a pair scale d = ${param}(scale_param) underflows to 0 in float32`);
      const M = extra > 0 ? denseFromKernel(weight(name, "extra_kernel", desc), n) : [];
      if (M.length !== extra) fail(`${desc}: extra_kernel has ${M.length} columns, expected ${extra}`);
      const W = [...B, ...B.map((row, k) => row.map((v) => negScaled(d[k], v))), ...M];
      const useBias = cfg(config, "useBias") !== false;
      let b: number[] | undefined;
      if (useBias) {
        const beta = vector("bias", n);
        b = [
          ...beta,
          ...beta.map((v, k) => negScaled(d[k], v)),
          ...(extra > 0 ? vector("extra_bias", extra) : []),
        ];
      }
      const act = cfg(config, "activation") ?? "relu";
      if (act !== "relu" && act !== "linear")
        fail(`${desc} has activation ${show(act, 40)}; expected relu or linear`);
      layers.push({ type: "dense", W, ...(b ? { b } : {}), activation: act as Activation });
      fusable = act === "linear";
      width = W.length;
      shape = [W.length];
      perm = null;
    } else if (cls === "Conv2D" || cls === "Conv2DTranspose") {
      const transpose = cls === "Conv2DTranspose";
      const [, , C] = imageShape();
      const k = kernel4(transpose, C);
      const q = transpose ? k.shape[2] : k.shape[3];
      if (typeof config.filters === "number" && config.filters !== q)
        fail(`${desc}: the kernel has ${q} filters, but filters = ${config.filters}`);
      const bias = cfg(config, "useBias") !== false ? vector("bias", q) : undefined;
      pushConv(transpose, recordKernels(k), bias, activationOf(config.activation));
    } else if (cls === "InjectiveConv2d" || cls === "InjectiveConv2dTranspose") {
      // Filters [C; −s²C] rebuilt exactly from the saved free parameters (./tfjs-injective.ts).
      const transpose = cls === "InjectiveConv2dTranspose";
      const [, , C] = imageShape();
      const k = kernel4(transpose, C);
      const p = transpose ? k.shape[2] : k.shape[3];
      if (typeof config.filters === "number" && config.filters !== 2 * p)
        fail(`${desc}: the kernel has ${p} pairs of filters, but filters = ${config.filters}`);
      const param = scaleParameterization();
      const s2 = vector("scale_param", p).map((r) => pairScale(r, param));
      if (!s2.every((v) => v > 0))
        fail(`${desc}: a pair scale s² = ${param}(scale_param) underflows to 0 in float32`);
      const half = recordKernels(k);
      const neg = (x: number[][][], f: number): number[][][] =>
        x.map((a) => a.map((row) => row.map((v) => negScaled(s2[f], v))));
      // conv: (q, c, kh, kw), pairs along q; conv_transpose: (c, q, kh, kw), pairs along q.
      const kernels = transpose
        ? half.map((perInput) => [...perInput, ...perInput.map((kq, f) => neg([kq], f)[0])])
        : [...half, ...half.map((kq, f) => neg(kq, f))];
      const useBias = cfg(config, "useBias") !== false;
      const beta = useBias ? vector("bias", p) : undefined;
      const bias = beta ? [...beta, ...beta.map((v, f) => negScaled(s2[f], v))] : undefined;
      const act = cfg(config, "activation") ?? "relu";
      if (act !== "relu" && act !== "linear")
        fail(`${desc} has activation ${show(act, 40)}; expected relu or linear`);
      pushConv(transpose, kernels, bias, act as Activation);
    } else if (cls === "Activation") {
      pushActivation(activationOf(config.activation), {});
    } else if (cls === "ReLU") {
      const maxValue = config.max_value;
      if (
        (maxValue !== undefined && maxValue !== null) ||
        (typeof config.threshold === "number" && config.threshold !== 0)
      )
        fail(`${desc} has max_value or threshold set; only the plain ReLU is supported`);
      const ns = config.negative_slope;
      const slope = typeof ns === "number" ? ns : 0;
      if (!(slope >= 0) || !Number.isFinite(slope))
        fail(`${desc} has negative_slope = ${slope}, only a finite slope >= 0 is supported`);
      pushActivation(slope === 0 ? "relu" : "leaky_relu", slope === 0 ? {} : { alpha: slope });
    } else if (cls === "LeakyReLU") {
      const a = config.alpha ?? config.negative_slope ?? 0.3;
      if (typeof a !== "number" || !(a > 0) || !Number.isFinite(a))
        fail(`${desc} has alpha = ${show(a, 40)}, only alpha > 0 (one-to-one) is supported`);
      pushActivation("leaky_relu", { alpha: a as number });
    } else if (cls === "BatchNormalization") {
      const d = needWidth(desc);
      const axis = Array.isArray(config.axis) ? config.axis : [config.axis ?? -1];
      const rank = (shape ?? [d]).length;
      if (axis.length !== 1 || !(axis[0] === -1 || axis[0] === rank))
        fail(`${desc} normalizes axis ${show(config.axis, 40)}; only the last axis is supported`);
      if (rank !== 1 && rank !== 3)
        fail(
          `${desc} gets an input of shape [${shape!.join(", ")}]; only a flat input or an image [height, width, channels] is supported`,
        );
      dense(desc, d, 1); // batch norm is lazy: only its parameter vectors are held
      // One parameter per entry of a flat input, per channel of an image (the last axis), expanded
      // over the positions; entries in the network's order (channels first after a convolution,
      // see `perm`).
      const channels = rank === 3 ? shape![2] : d;
      const vec = (suffix: string): number[] => {
        const w = weight(name, suffix, desc);
        if (w.data.length !== channels)
          fail(`${desc}: ${suffix} has ${w.data.length} values, expected ${channels}`);
        if (!perm && rank === 1) return w.data;
        return Array.from({ length: d }, (_, i) => w.data[(perm ? perm[i] : i) % channels]);
      };
      const gamma = config.scale === false ? new Array<number>(d).fill(1) : vec("gamma");
      const beta = config.center === false ? new Array<number>(d).fill(0) : vec("beta");
      const mean = vec("moving_mean");
      const variance = vec("moving_variance");
      const epsilon = typeof config.epsilon === "number" ? config.epsilon : 1e-3;
      try {
        layers.push(
          validateNetwork("readTfjsLayersModel", {
            format: NETWORK_FORMAT,
            version: 1,
            inputDim: d,
            layers: [batchNormLayer({ gamma, beta, mean, var: variance, epsilon })],
          }).layers[0],
        );
      } catch (e) {
        if (e instanceof InputRangeError || e instanceof InputTypeError)
          fail(`${desc}: ${e.message.replace(/^readTfjsLayersModel: layers\[0\]\.batchnorm:? ?/, "")}`);
        throw e;
      }
      fusable = false;
    } else {
      // Flatten or Reshape
      const d = needWidth(desc);
      const inShape: number[] = shape ?? [d];
      let outShape: number[] = [d];
      if (cls === "Flatten") {
        if (config.data_format === "channels_first" && inShape.length > 2)
          fail(`${desc} has data_format channels_first, which permutes the entries; not supported`);
      } else {
        const t = config.target_shape;
        if (
          !Array.isArray(t) ||
          t.length === 0 ||
          t.length > 64 ||
          !t.every((v) => Number.isSafeInteger(v) && (v > 0 || v === -1))
        )
          return fail(`${desc}: unsupported target_shape ${show(t, 40)}`);
        const target = (t as number[]).slice();
        if (target.filter((v) => v === -1).length > 1) fail(`${desc}: target_shape has more than one -1`);
        if (target.includes(-1)) target[target.indexOf(-1)] = d / product(target.filter((v) => v !== -1));
        if (product(target) !== d || !target.every(Number.isSafeInteger))
          fail(`${desc}: the target shape [${(t as number[]).join(", ")}] does not have ${d} entries`);
        outShape = target;
      }
      layers.push(
        reshapeLayer(d, {
          op: cls === "Flatten" ? "flatten" : "reshape",
          inputShape: inShape,
          outputShape: outShape,
        }),
      );
      shape = outShape;
      fusable = false;
    }
  });
  if (layers.length === 0) fail("the model has no dense, convolution, normalization or reshape layers");
  if (!samePerm(perm, null) && options?.channelsFirstImages !== true)
    fail(
      `the model's output has shape [${shape!.join(", ")}], whose TF.js order (channels last) differs from the toolkit's (channels first) when there are several channels; end the model with a one-channel convolution, or a Flatten and a Dense (check accepts it in channels-first order)`,
    );
  return importedNetwork("readTfjsLayersModel", inputDim!, layers, fail, "float32");
}

/** Options of the shard reader that {@link loadTfjsLayersModel} calls. */
export interface ShardReadOptions {
  /** The largest size allowed (what the manifest declares for the rest of the group). */
  maxBytes: number;
  /** Says why a larger shard is refused (`the manifest declares 208 bytes for it`). */
  tooLarge: (size: number) => string;
}

/**
 * Reads a TF.js layers model from the bytes of its `model.json`, fetching the shards its
 * `weightsManifest` names through `readShard` (from disk confined to the model's folder in
 * src/io/tfjs-file.ts, from dropped files in the browser). The manifest is validated before any
 * shard is read, and each read is bounded by the bytes it declares: a group's shards may not hold
 * more than its weights need nor less. See {@link parseTfjsLayersModel} for the model itself.
 * @param raw the bytes of model.json
 * @param source the name error messages start with
 * @param readShard reads one shard path as written in the manifest (any JSON value); it throws a
 *   FileFormatError naming `source` for a path it refuses, a missing shard or one above `maxBytes`
 * @param options the memory limit (default 2 GiB) and `channelsFirstImages`
 * @throws FileFormatError for corrupt JSON, a bad manifest, a short or long shard, or an
 *   unsupported model
 */
export async function loadTfjsLayersModel(
  raw: Uint8Array,
  source: string,
  readShard: (path: unknown, options: ShardReadOptions) => Promise<Uint8Array> | Uint8Array,
  options?: ReaderOptions,
): Promise<Network> {
  const limit = memoryLimitOf("loadTfjsLayersModel", options);
  const fail = (problem: string): never => {
    throw new FileFormatError(source, problem);
  };
  const text = decodeUtf8(raw, source);
  if (text === undefined) return fail("is not valid UTF-8 text");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim().slice(0, 160);
    return fail(`invalid JSON in the TF.js model.json (${reason})`);
  }
  if (!isObject(json) || !isObject(json.modelTopology))
    return fail('not a TF.js layers model (no "modelTopology" object in model.json)');
  const groups = validateManifest(json, fail, limit, source);
  const shards: Uint8Array[] = [];
  for (const group of groups) {
    let have = 0;
    const shown = group.paths
      .slice(0, 3)
      .map((p) => show(p, 60))
      .join(", ");
    const named = `the weight shard(s) ${shown}${group.paths.length > 3 ? ", …" : ""}`;
    for (const p of group.paths) {
      const part = await readShard(p, {
        maxBytes: group.bytes - have,
        tooLarge: () =>
          have === 0
            ? `the manifest declares ${group.bytes} bytes of float32 weights for its group (the shard is too long)`
            : `only ${group.bytes - have} of the ${group.bytes} bytes the manifest declares for its group remain (the shard is too long)`,
      });
      have += part.length;
      shards.push(part);
    }
    if (have !== group.bytes)
      fail(`${named} hold ${have} bytes, but their float32 weights need ${group.bytes} (truncated)`);
  }
  return parseTfjsLayersModel(json, shards, source, {
    memoryLimitBytes: limit,
    ...(options?.channelsFirstImages ? { channelsFirstImages: true } : {}),
  });
}

/**
 * Reads a TF.js layers model from files in memory (dropped into a web page): `model.json`'s bytes and
 * the weight shards by file name. A shard path of the manifest is looked up by its last component
 * (the browser gives file names without folders).
 * @param modelJson the bytes of model.json
 * @param shards the other files, by name
 * @param source the name error messages start with
 * @param options the memory limit (default 2 GiB) and `channelsFirstImages`
 * @throws FileFormatError as {@link loadTfjsLayersModel}, and for a shard that is not among `shards`
 */
export function parseTfjsModelFiles(
  modelJson: Uint8Array,
  shards: ReadonlyMap<string, Uint8Array>,
  source: string,
  options?: ReaderOptions,
): Promise<Network> {
  return loadTfjsLayersModel(
    modelJson,
    source,
    (path, { maxBytes, tooLarge: why }) => {
      const named = `the weight shard ${show(path)}`;
      if (typeof path !== "string" || path === "")
        throw new FileFormatError(source, `${named} is not a file name`);
      const bytes = shards.get(path.split(/[\\/]/).pop()!);
      if (bytes === undefined)
        throw new FileFormatError(source, `cannot read ${named} (add it to the files given with model.json)`);
      if (bytes.length > maxBytes)
        throw new FileFormatError(source, `${named} holds ${bytes.length} bytes, but ${why(bytes.length)}`);
      return bytes;
    },
    options,
  );
}
