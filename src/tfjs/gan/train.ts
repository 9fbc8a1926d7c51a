/**
 * Training a run of the injective-GAN experiment (Section 4 of the paper): a generator of one type,
 * its discriminator and its inference network, trained jointly with Adam (DCGAN settings:
 * learning rate 2e-4, β1 = 0.5, batch 64) on both cores by the data-parallel trainer.
 *
 * Reproducible and resumable: the batches and latent codes of step k are functions of the seed and
 * k alone (each epoch a seeded permutation of the images; z from a generator seeded by (seed, k)),
 * and a checkpoint holds every weight, batch-norm statistic and optimizer state bit for bit, so a
 * run killed after a checkpoint and resumed ends with the same weights as an uninterrupted run.
 * Checkpoints are written atomically (a temporary file renamed over the old one).
 */

import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Rng } from "../../core/random.js";
import { DataParallelTrainer, type TrainerState } from "../data-parallel.js";
import {
  dataOutputBias,
  resolveGanSizes,
  type GanSizes,
  type GeneratorType,
  type ResolvedGanSizes,
} from "./models.js";
import type { GanTaskOptions } from "./task.js";
import { InputRangeError } from "../../core/validate.js";

/** What {@link trainGan} trains on: images in [−1, 1], channels last. */
export interface GanData {
  images: Float32Array;
  count: number;
  side: number;
  channels: number;
}

/** The settings of a run (all recorded in its checkpoint; a resume must use the same). */
export interface GanRunConfig {
  type: GeneratorType;
  /** The data set's name (recorded, and checked on resume). */
  dataset: string;
  sizes: ResolvedGanSizes;
  seed: number;
  /** Total training iterations (each: one D, one G and one Inet step). */
  steps: number;
  batch: number;
  learningRate: number;
  /** Adam's learning rate of the inference network (the generator and discriminator use learningRate). */
  inetLearningRate: number;
  beta1: number;
  beta2: number;
  /** Initial bias of the generator's output layer: atanh of the data's mean pixel. */
  outputBias: number;
}

/** Options of {@link trainGan}. */
export interface TrainGanOptions {
  type: GeneratorType;
  dataset: string;
  sizes?: GanSizes;
  /** @default 1 */
  seed?: number;
  steps: number;
  /** @default 64 */
  batch?: number;
  /** @default 2e-4 */
  learningRate?: number;
  /** Learning rate of the inference network. @default learningRate */
  inetLearningRate?: number;
  /** @default 0.5 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** Folder of the checkpoint files; without it nothing is written. */
  checkpointDir?: string;
  /** Write a checkpoint every this many steps (and at the end, and when stopped). @default 200 */
  checkpointEvery?: number;
  /** Worker threads. @default the number of cores */
  workers?: number;
  /** Called after every step. */
  onProgress?: (p: { step: number; steps: number; losses: GanLosses }) => void;
  /** Stops after the current step (a checkpoint is written first). */
  signal?: AbortSignal;
}

/** The losses of one iteration: discriminator, generator (non-saturating), Inet (MSE on G(z)). */
export interface GanLosses {
  d: number;
  g: number;
  e: number;
}

/** The result of {@link trainGan}. */
export interface TrainGanResult {
  config: GanRunConfig;
  /** Steps done (equal to config.steps unless stopped). */
  step: number;
  /** The step the run resumed from (0 for a fresh start). */
  resumedFrom: number;
  stopped: boolean;
  /** Mean losses over each block of {@link HISTORY_BLOCK} steps. */
  history: { step: number; d: number; g: number; e: number }[];
  /** The final weights and optimizer states (models [G, D, Inet]). */
  state: TrainerState;
  seconds: number;
}

/**
 * A checkpoint that cannot be used: unreadable, of another format, or of a run with other settings.
 * An input error (`isInputError`), so the CLI prints its one-line message and exits with code 3.
 */
export class CheckpointError extends Error {
  readonly isInputError = true;
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** Steps per entry of the loss history. */
export const HISTORY_BLOCK = 50;

const CHECKPOINT_JSON = "checkpoint.json";
const CHECKPOINT_BIN = "checkpoint.bin";

/** A 32-bit mix of two integers, for per-step seeds. */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** The permutation of the images for epoch `e` of a run with seed `seed`. */
export function epochPermutation(count: number, seed: number, e: number): Uint32Array {
  const rng = new Rng(mix(seed, 1_000_000 + e));
  const p = new Uint32Array(count);
  for (let i = 0; i < count; i++) p[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** The latent codes of step k: batch × z standard normals from a generator seeded by (seed, k). */
export function stepLatents(seed: number, k: number, batch: number, z: number): Float32Array {
  const rng = new Rng(mix(seed, k));
  const out = new Float32Array(batch * z);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/** A tiny cache of the current epoch's permutation. */
class Batches {
  private epoch = -1;
  private perm: Uint32Array = new Uint32Array(0);
  constructor(
    private readonly data: GanData,
    private readonly seed: number,
  ) {}
  /** The images of step k (batch of them, in the order of the epoch permutations). */
  images(k: number, batch: number): Float32Array {
    const size = this.data.side * this.data.side * this.data.channels;
    const out = new Float32Array(batch * size);
    for (let j = 0; j < batch; j++) {
      const p = k * batch + j;
      const e = Math.floor(p / this.data.count);
      if (e !== this.epoch) {
        this.perm = epochPermutation(this.data.count, this.seed, e);
        this.epoch = e;
      }
      const idx = this.perm[p % this.data.count];
      out.set(this.data.images.subarray(idx * size, (idx + 1) * size), j * size);
    }
    return out;
  }
}

/** Serializes a trainer state: the JSON layout and one Float32 buffer. */
function packState(state: TrainerState): { layout: unknown; bytes: Uint8Array } {
  const arrays: Float32Array[] = [];
  const layout = {
    weights: state.weights.map((ws) =>
      ws.map((w) => {
        arrays.push(w.values);
        return { shape: w.shape };
      }),
    ),
    optimizers: state.optimizers.map((o) => ({
      powers: o.powers,
      variables: o.variables.map((v) => {
        arrays.push(v.values);
        return { name: v.name, shape: v.shape };
      }),
    })),
  };
  const total = arrays.reduce((a, v) => a + v.length, 0);
  const flat = new Float32Array(total);
  let off = 0;
  for (const a of arrays) {
    flat.set(a, off);
    off += a.length;
  }
  return { layout, bytes: new Uint8Array(flat.buffer) };
}

interface Layout {
  weights: { shape: number[] }[][];
  optimizers: { powers: number[]; variables: { name: string; shape: number[] }[] }[];
}

function unpackState(layout: Layout, bytes: Uint8Array, file: string): TrainerState {
  if (bytes.byteLength % 4 !== 0)
    throw new CheckpointError(`${file}: ${bytes.byteLength} bytes is not a float32 array`);
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let off = 0;
  const take = (shape: number[]): Float32Array => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (off + n > flat.length) throw new CheckpointError(`${file}: shorter than its layout says`);
    const v = flat.slice(off, off + n);
    off += n;
    return v;
  };
  const state: TrainerState = {
    weights: layout.weights.map((ws) => ws.map((w) => ({ shape: w.shape, values: take(w.shape) }))),
    optimizers: layout.optimizers.map((o) => ({
      powers: o.powers,
      variables: o.variables.map((v) => ({ name: v.name, shape: v.shape, values: take(v.shape) })),
    })),
  };
  if (off !== flat.length) throw new CheckpointError(`${file}: longer than its layout says`);
  return state;
}

/** A saved checkpoint of a run. */
export interface GanCheckpoint {
  config: GanRunConfig;
  step: number;
  history: TrainGanResult["history"];
  /** Sums of the losses of the unfinished history block. */
  block?: { d: number; g: number; e: number; n: number };
  seconds: number;
  state: TrainerState;
}

/** Writes a checkpoint atomically (temporary files renamed into place, the binary first). */
export async function writeGanCheckpoint(dir: string, c: GanCheckpoint): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { layout, bytes } = packState(c.state);
  const tag = `${c.step}`;
  const bin = `${CHECKPOINT_BIN}.${tag}`;
  await writeFile(join(dir, bin + ".tmp"), bytes);
  await rename(join(dir, bin + ".tmp"), join(dir, bin));
  const meta = {
    format: "injective-relu-gan-checkpoint/1",
    config: c.config,
    step: c.step,
    seconds: c.seconds,
    history: c.history,
    block: c.block,
    stateFile: bin,
    layout,
  };
  await writeFile(join(dir, CHECKPOINT_JSON + ".tmp"), JSON.stringify(meta));
  // The JSON names its binary, so a kill between the two renames leaves the old pair intact.
  const old = await readMeta(dir).catch(() => null);
  await rename(join(dir, CHECKPOINT_JSON + ".tmp"), join(dir, CHECKPOINT_JSON));
  if (old && old.stateFile !== bin) await rm(join(dir, old.stateFile), { force: true });
}

async function readMeta(dir: string): Promise<{ stateFile: string } & Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, CHECKPOINT_JSON), "utf8")) as { stateFile: string };
}

/** Reads the checkpoint of `dir`, or null when there is none. */
export async function readGanCheckpoint(dir: string): Promise<GanCheckpoint | null> {
  let meta: Record<string, unknown>;
  try {
    meta = await readMeta(dir);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw new CheckpointError(
      `${join(dir, CHECKPOINT_JSON)}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
    );
  }
  const file = join(dir, String(meta.stateFile));
  if (meta.format !== "injective-relu-gan-checkpoint/1" || typeof meta.stateFile !== "string")
    throw new CheckpointError(`${join(dir, CHECKPOINT_JSON)}: not a GAN checkpoint of this version`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new CheckpointError(
      `${file}: cannot read the checkpoint's state (${(e as { code?: string }).code ?? String(e)})`,
    );
  }
  return {
    config: meta.config as GanRunConfig,
    step: meta.step as number,
    seconds: meta.seconds as number,
    history: meta.history as TrainGanResult["history"],
    ...(meta.block ? { block: meta.block as GanCheckpoint["block"] } : {}),
    state: unpackState(meta.layout as Layout, new Uint8Array(bytes), file),
  };
}

/** The differences between two run configurations, as "key: a ≠ b" strings. */
export function configDifferences(a: GanRunConfig, b: GanRunConfig): string[] {
  const out: string[] = [];
  const flat = (c: GanRunConfig): Record<string, unknown> => ({ ...c, ...c.sizes, sizes: undefined });
  const fa = flat(a);
  const fb = flat(b);
  for (const k of Object.keys({ ...fa, ...fb }))
    if (k !== "sizes" && JSON.stringify(fa[k]) !== JSON.stringify(fb[k]))
      out.push(`${k}: ${JSON.stringify(fa[k])} ≠ ${JSON.stringify(fb[k])}`);
  return out;
}

/** The configuration {@link trainGan} records for `options`. */
export function ganRunConfig(options: TrainGanOptions, data: GanData): GanRunConfig {
  const sizes = resolveGanSizes({
    ...options.sizes,
    side: data.side as 32 | 64,
    channels: data.channels as 1 | 3,
  });
  const steps = options.steps;
  const batch = options.batch ?? 64;
  if (!Number.isInteger(steps) || steps < 1)
    throw new InputRangeError(`trainGan(): steps must be a positive integer, got ${steps}`);
  if (!Number.isInteger(batch) || batch < 2)
    throw new InputRangeError(`trainGan(): batch must be an integer ≥ 2, got ${batch}`);
  for (const [name, v] of [
    ["learningRate", options.learningRate],
    ["inetLearningRate", options.inetLearningRate],
  ] as const)
    if (v !== undefined && !(Number.isFinite(v) && v > 0 && v <= 1))
      throw new InputRangeError(`trainGan(): ${name} must be in (0, 1], got ${v}`);
  return {
    type: options.type,
    dataset: options.dataset,
    sizes,
    seed: options.seed ?? 1,
    steps,
    batch,
    learningRate: options.learningRate ?? 2e-4,
    inetLearningRate: options.inetLearningRate ?? options.learningRate ?? 2e-4,
    beta1: options.beta1 ?? 0.5,
    beta2: options.beta2 ?? 0.999,
    outputBias: dataOutputBias(data.images),
  };
}

/**
 * Trains (or resumes) a run: see the module comment.
 *
 * @throws Error when the checkpoint in `checkpointDir` belongs to a run with other settings
 */
export async function trainGan(data: GanData, options: TrainGanOptions): Promise<TrainGanResult> {
  const config = ganRunConfig(options, data);
  const size = data.side * data.side * data.channels;
  if (data.images.length !== data.count * size || data.count < 1)
    throw new InputRangeError(
      `trainGan(): ${data.images.length} values are not ${data.count} images of ${data.side}×${data.side}×${data.channels}`,
    );
  const every = options.checkpointEvery ?? 200;
  if (!Number.isInteger(every) || every < 1)
    throw new InputRangeError(`trainGan(): checkpointEvery must be a positive integer, got ${every}`);
  const prior = options.checkpointDir ? await readGanCheckpoint(options.checkpointDir) : null;
  if (prior) {
    // Checkpoints written before inetLearningRate existed used learningRate for the Inet too.
    const before = {
      ...prior.config,
      inetLearningRate: prior.config.inetLearningRate ?? prior.config.learningRate,
    };
    const diff = configDifferences({ ...before, steps: 0 }, { ...config, steps: 0 });
    if (diff.length > 0)
      throw new CheckpointError(
        `${options.checkpointDir}: the checkpoint belongs to a run with other settings (${diff.join("; ")}); use another folder`,
      );
  }
  const taskOptions: GanTaskOptions = {
    type: config.type,
    sizes: config.sizes,
    seed: config.seed,
    outputBias: config.outputBias,
  };
  const trainer = await DataParallelTrainer.create({
    module: new URL("./task.js", import.meta.url).href,
    taskOptions,
    workers: Math.min(options.workers ?? 2, config.batch),
    learningRate: config.learningRate,
    // Optimizer slots of the task: G 0, D 1, Inet 2.
    learningRates: [config.learningRate, config.learningRate, config.inetLearningRate],
    beta1: config.beta1,
    beta2: config.beta2,
  });
  const start = performance.now();
  let step = 0;
  let seconds0 = 0;
  let history: TrainGanResult["history"] = [];
  let stopped = false;
  try {
    if (prior) {
      await trainer.setState(prior.state);
      step = prior.step;
      history = prior.history;
      seconds0 = prior.seconds;
    }
    const resumedFrom = step;
    const batches = new Batches(data, config.seed);
    const block = { d: 0, g: 0, e: 0, n: 0, ...prior?.block };
    const save = async (): Promise<void> => {
      if (!options.checkpointDir) return;
      await writeGanCheckpoint(options.checkpointDir, {
        config,
        step,
        history,
        block: { ...block },
        seconds: seconds0 + (performance.now() - start) / 1000,
        state: await trainer.getState(),
      });
    };
    while (step < config.steps) {
      if (options.signal?.aborted) {
        stopped = true;
        break;
      }
      const real = batches.images(step, config.batch);
      const z = stepLatents(config.seed, step, config.batch, config.sizes.z);
      const [d, g, e] = await trainer.stepLosses(real, z, config.batch);
      step++;
      block.d += d;
      block.g += g;
      block.e += e;
      block.n++;
      if (step % HISTORY_BLOCK === 0 || step === config.steps) {
        history.push({ step, d: block.d / block.n, g: block.g / block.n, e: block.e / block.n });
        Object.assign(block, { d: 0, g: 0, e: 0, n: 0 });
      }
      options.onProgress?.({ step, steps: config.steps, losses: { d, g, e } });
      if (step % every === 0 && step < config.steps) await save();
    }
    await save();
    return {
      config,
      step,
      resumedFrom,
      stopped,
      history,
      state: await trainer.getState(),
      seconds: seconds0 + (performance.now() - start) / 1000,
    };
  } finally {
    await trainer.dispose();
  }
}
