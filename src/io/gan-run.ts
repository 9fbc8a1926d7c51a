/**
 * The injective-GAN experiment's runs on disk (`injective-relu gan train|eval|table`), after
 * Section 4 and Table 1 of the paper.
 *
 * A run folder holds:
 * - `checkpoint/`: the resumable training state (src/tfjs/gan/train.ts);
 * - `generator/`, `encoder/`, `discriminator/`: the final TF.js layers models (model.json +
 *   weights.bin; the injective generator uses the toolkit's InjectiveDense and
 *   InjectiveConv2dTranspose layers, which `injective-relu check` reads);
 * - `samples.png`: 64 samples G(z) for fixed z;
 * - `train.json`: the settings, loss history and compute;
 * - `eval.json` (after `gan eval`): W2 of Inet(G(z)) to N(0, I), the Fréchet distance and the
 *   Inception-style score with the toolkit's classifier, the latent recovery of Inet against
 *   `invert`, clean and noisy, and the `check` verdict of the generator.
 */

import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { relativeError } from "../core/linalg.js";
import { Rng } from "../core/random.js";
import { w2ToStandardNormal } from "../experiments/gaussian-w2.js";
import { invertGeneratorBatch } from "../invert/invert-batch.js";
import { checkNetwork } from "../network/check-network.js";
import { setupTrainingBackend } from "../tfjs/backend.js";
import { fileLoadHandler, fileSaveHandler } from "../tfjs/file-io.js";
import "../tfjs/injective-conv.js";
import "../tfjs/injective-dense.js";
import { classify, frechetDistance, inceptionScore, trainClassifier } from "../tfjs/gan/metrics.js";
import {
  buildGanDiscriminator,
  buildGanEncoder,
  buildGanGenerator,
  type GanSizes,
  type GeneratorType,
} from "../tfjs/gan/models.js";
import { stepLatents, trainGan, type GanRunConfig, type TrainGanResult } from "../tfjs/gan/train.js";
import { FileFormatError } from "./errors.js";
import { writeImageGrid } from "./image-grid.js";
import { loadImageDataset, type ImageDataset } from "./image-datasets.js";
import { readTfjsLayersModel } from "./tfjs-file.js";
import { InputRangeError } from "../core/validate.js";

/** The seed of the fixed latent codes of `samples.png`. */
export const SAMPLE_SEED = 20211;

/** Options of {@link runGanTraining}. */
export interface GanTrainRunOptions {
  /** "mnist", "fashion" or "folder:<path>". */
  dataset: string;
  type: GeneratorType;
  seed: number;
  steps: number;
  /** The run folder. */
  out: string;
  batch?: number;
  /** Adam's learning rate of the inference network (default: the DCGAN rate 2e-4 of G and D). */
  inetLearningRate?: number;
  sizes?: GanSizes;
  checkpointEvery?: number;
  workers?: number;
  /** Use only the first this many images (quick runs). */
  limit?: number;
  onProgress?: (p: { step: number; steps: number; losses: { d: number; g: number; e: number } }) => void;
  signal?: AbortSignal;
}

/** What `train.json` records. */
export interface GanTrainRecord {
  format: "injective-relu-gan-run/1";
  config: GanRunConfig;
  step: number;
  complete: boolean;
  history: TrainGanResult["history"];
  seconds: number;
  images: number;
  compute: { cpus: number; cpuModel: string; node: string; workers: number };
}

/** Loads a data set for a run (the first `limit` images when given). */
export async function loadRunDataset(
  spec: string,
  limit?: number,
): Promise<ImageDataset & { limited: boolean }> {
  const data = await loadImageDataset(spec);
  if (limit === undefined || limit >= data.count) return { ...data, limited: false };
  if (!Number.isInteger(limit) || limit < 2)
    throw new InputRangeError(`the image limit must be an integer ≥ 2, got ${limit}`);
  // An even spread over the (class-sorted) images, so a small subset still has every class.
  const size = data.side * data.side * data.channels;
  const images = new Float32Array(limit * size);
  const labels = data.labels ? new Int32Array(limit) : null;
  for (let i = 0; i < limit; i++) {
    const k = Math.floor((i * data.count) / limit);
    images.set(data.images.subarray(k * size, (k + 1) * size), i * size);
    if (labels && data.labels) labels[i] = data.labels[k];
  }
  return { ...data, images, labels, count: limit, limited: true };
}

/** The generator, discriminator and encoder of a run's final state, as TF.js models. */
function modelsOf(config: GanRunConfig, state: TrainGanResult["state"]): tf.LayersModel[] {
  const models = [
    buildGanGenerator(config.type, config.sizes, config.seed, config.outputBias),
    buildGanDiscriminator(config.sizes, config.seed + 1000),
    buildGanEncoder(config.sizes, config.seed + 2000),
  ];
  models.forEach((m, i) => {
    const ws = state.weights[i].map((w) => tf.tensor(w.values, w.shape));
    m.setWeights(ws);
    tf.dispose(ws);
  });
  return models;
}

/**
 * Trains (or resumes) a run into `out` (see the module comment); when the run completes, writes
 * the models, `samples.png` and `train.json`. A stopped run keeps its checkpoint and writes
 * `train.json` with `complete: false`.
 */
export async function runGanTraining(o: GanTrainRunOptions): Promise<GanTrainRecord> {
  const data = await loadRunDataset(o.dataset, o.limit);
  await mkdir(o.out, { recursive: true });
  await setupTrainingBackend();
  const workers = o.workers ?? Math.min(2, availableParallelism());
  const result = await trainGan(data, {
    type: o.type,
    dataset: o.dataset + (data.limited ? `[:${data.count}]` : ""),
    seed: o.seed,
    steps: o.steps,
    checkpointDir: join(o.out, "checkpoint"),
    workers,
    ...(o.batch !== undefined ? { batch: o.batch } : {}),
    ...(o.inetLearningRate !== undefined ? { inetLearningRate: o.inetLearningRate } : {}),
    ...(o.sizes ? { sizes: o.sizes } : {}),
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const complete = result.step >= result.config.steps;
  const record: GanTrainRecord = {
    format: "injective-relu-gan-run/1",
    config: result.config,
    step: result.step,
    complete,
    history: result.history,
    seconds: result.seconds,
    images: data.count,
    compute: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", node: process.version, workers },
  };
  if (complete) {
    const [G, D, E] = modelsOf(result.config, result.state);
    await G.save(fileSaveHandler(join(o.out, "generator")));
    await D.save(fileSaveHandler(join(o.out, "discriminator")));
    await E.save(fileSaveHandler(join(o.out, "encoder")));
    const s = result.config.sizes;
    const x = tf.tidy(
      () => G.predict(tf.tensor2d(stepLatents(SAMPLE_SEED, 0, 64, s.z), [64, s.z])) as tf.Tensor,
    );
    await writeImageGrid(join(o.out, "samples.png"), x.dataSync() as Float32Array, 64, s.side, s.channels);
    x.dispose();
    G.dispose();
    D.dispose();
    E.dispose();
  }
  await writeFile(join(o.out, "train.json"), JSON.stringify(record, null, 1) + "\n");
  return record;
}

/** Reads a run's `train.json`. */
export async function readTrainRecord(run: string): Promise<GanTrainRecord> {
  const file = join(run, "train.json");
  let rec: GanTrainRecord;
  try {
    rec = JSON.parse(await readFile(file, "utf8")) as GanTrainRecord;
  } catch (e) {
    throw new FileFormatError(
      file,
      `cannot read the run record (${e instanceof Error ? e.message.split("\n")[0] : String(e)}); train the run first`,
    );
  }
  if (rec.format !== "injective-relu-gan-run/1") throw new FileFormatError(file, "is not a GAN run record");
  if (!rec.complete)
    throw new FileFormatError(
      file,
      `the run stopped at step ${rec.step} of ${rec.config.steps}; resume it with gan train first`,
    );
  return rec;
}

/** A run's saved TF.js model; an unreadable or corrupt one is a one-line FileFormatError. */
async function loadRunModel(dir: string): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(fileLoadHandler(dir));
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new FileFormatError(join(dir, "model.json"), `cannot load the run's model (${why})`);
  }
}

/** Options of {@link evaluateGanRun}. */
export interface GanEvalOptions {
  /** Samples for W2, the Fréchet distance and the score. @default 4096 */
  samples?: number;
  /** Fresh images for the latent recovery. @default 16 */
  recovery?: number;
  /** Noise level σ of the noisy recovery (on images in [−1, 1]). @default 0.05 */
  noise?: number;
  /** Time limit of each inversion. @default 20 s */
  invertSeconds?: number;
  /** Time limit of the generator's check. @default 120 s */
  checkSeconds?: number;
  /** Where the classifier of the data set is cached. @default <run>/../classifier-<dataset> */
  classifierDir?: string;
  /** Epochs of the classifier's training. @default 3 */
  classifierEpochs?: number;
  /** @default 7 */
  seed?: number;
  workers?: number;
  onStage?: (stage: string) => void;
  signal?: AbortSignal;
}

/** One recovery measurement (relative errors ‖ẑ − z‖/‖z‖ over the fresh images). */
export interface RecoveryStats {
  median: number;
  mean: number;
  max: number;
}

/** What `eval.json` records. */
export interface GanEvalRecord {
  format: "injective-relu-gan-eval/1";
  run: string;
  dataset: string;
  type: GeneratorType;
  seed: number;
  steps: number;
  trainSeconds: number;
  samples: number;
  /** W2 between N(0, I) and the Gaussian fitted to Inet(G(z)) (the paper's metric, not squared). */
  w2: number;
  /** The same estimator on the z samples themselves: its finite-sample floor. */
  w2Floor: number;
  /** Fréchet distance of classifier features, generated vs real (null without labels). */
  fid: number | null;
  /** Between two disjoint halves of the real images: the distance's floor. */
  fidRealFloor: number | null;
  /** Inception-style score of the generated images, and of real ones for reference. */
  score: number | null;
  scoreReal: number | null;
  classifier: { accuracy: number; dir: string } | null;
  recovery: {
    images: number;
    noise: number;
    inet: { clean: RecoveryStats; noisy: RecoveryStats };
    invert: {
      clean: RecoveryStats;
      noisy: RecoveryStats;
      certifiedClean: number;
      statusesClean: Record<string, number>;
      statusesNoisy: Record<string, number>;
      seconds: number;
    };
  };
  check: {
    injective: boolean | null;
    conclusion: string;
    reason: string;
    seconds: number;
    layers: { rule: string; injective: boolean | null }[];
  };
  evalSeconds: number;
}

function stats(v: number[]): RecoveryStats {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: mid, mean: s.reduce((a, b) => a + b, 0) / s.length, max: s[s.length - 1] };
}

function rows(x: Float32Array, n: number): Float64Array[] {
  const d = x.length / n;
  return Array.from({ length: n }, (_, i) => Float64Array.from(x.subarray(i * d, (i + 1) * d)));
}

async function classifierFor(
  data: ImageDataset,
  dir: string,
  epochs: number,
  onStage?: (s: string) => void,
): Promise<{ model: tf.LayersModel; accuracy: number }> {
  try {
    const info = JSON.parse(await readFile(join(dir, "classifier.json"), "utf8")) as { accuracy: number };
    const model = await tf.loadLayersModel(fileLoadHandler(dir));
    return { model, accuracy: info.accuracy };
  } catch {
    // Not cached yet: train it.
  }
  if (!data.labels) throw new Error("no labels");
  onStage?.(`training the classifier on ${data.count} images (${epochs} epochs)`);
  const c = await trainClassifier(data.images, data.labels, data.side, data.channels, { epochs, seed: 1 });
  await c.model.save(fileSaveHandler(dir));
  await writeFile(
    join(dir, "classifier.json"),
    JSON.stringify(
      { accuracy: c.accuracy, trainImages: c.trainCount, testImages: c.testCount, epochs },
      null,
      1,
    ) + "\n",
  );
  return { model: c.model, accuracy: c.accuracy };
}

/** Evaluates a finished run (see {@link GanEvalRecord}) and writes `eval.json`. */
export async function evaluateGanRun(run: string, o: GanEvalOptions = {}): Promise<GanEvalRecord> {
  const t0 = performance.now();
  const rec = await readTrainRecord(run);
  const cfg = rec.config;
  const s = cfg.sizes;
  const N = o.samples ?? 4096;
  const R = o.recovery ?? 16;
  const sigma = o.noise ?? 0.05;
  const seed = o.seed ?? 7;
  await setupTrainingBackend();
  const G = await loadRunModel(join(run, "generator"));
  const E = await loadRunModel(join(run, "encoder"));
  const size = s.side * s.side * s.channels;

  // W2 of Inet(G(z)) against N(0, I).
  o.onStage?.(`W2 of Inet(G(z)) on ${N} samples`);
  const z = stepLatents(seed, 0, N, s.z);
  const fake = new Float32Array(N * size);
  const codes = new Float32Array(N * s.z);
  for (let i = 0; i < N; i += 512) {
    const k = Math.min(N, i + 512) - i;
    const [x, c] = tf.tidy(() => {
      const x = G.predict(tf.tensor2d(z.subarray(i * s.z, (i + k) * s.z), [k, s.z])) as tf.Tensor;
      return [x.dataSync() as Float32Array, (E.predict(x) as tf.Tensor).dataSync() as Float32Array];
    });
    fake.set(x, i * size);
    codes.set(c, i * s.z);
  }
  const w2 = w2ToStandardNormal(rows(codes, N));
  const w2Floor = w2ToStandardNormal(rows(z, N));

  // Sample quality with the data set's classifier.
  const datasetName = cfg.dataset.replace(/\[:\d+\]$/, "");
  let fid: number | null = null;
  let fidRealFloor: number | null = null;
  let score: number | null = null;
  let scoreReal: number | null = null;
  let classifier: GanEvalRecord["classifier"] = null;
  const data = await loadImageDataset(datasetName);
  if (data.labels) {
    const dir =
      o.classifierDir ?? join(dirname(run), `classifier-${datasetName.replace(/[^a-z0-9-]/gi, "_")}`);
    const c = await classifierFor(data, dir, o.classifierEpochs ?? 3, o.onStage);
    classifier = { accuracy: c.accuracy, dir };
    o.onStage?.("Fréchet distance and score");
    const rng = new Rng(seed + 1);
    const pick = Array.from({ length: 2 * N }, () => Math.floor(rng.uniform() * data.count));
    const real = new Float32Array(2 * N * size);
    pick.forEach((k, i) => real.set(data.images.subarray(k * size, (k + 1) * size), i * size));
    const cr = classify(c.model, real, 2 * N, s.side, s.channels);
    const cf = classify(c.model, fake, N, s.side, s.channels);
    fid = frechetDistance(cf.features, cr.features.slice(0, N));
    fidRealFloor = frechetDistance(cr.features.slice(N), cr.features.slice(0, N));
    score = inceptionScore(cf.probs);
    scoreReal = inceptionScore(cr.probs.slice(0, N));
    c.model.dispose();
  }

  // Latent recovery on fresh samples: Inet against invert, clean and noisy.
  o.onStage?.(`latent recovery on ${R} fresh images (Inet and invert, clean and σ = ${sigma})`);
  const zr = stepLatents(seed + 2, 0, R, s.z);
  const noiseRng = new Rng(seed + 3);
  const [xs, inetClean, inetNoisy, noisy] = tf.tidy(() => {
    const x = G.predict(tf.tensor2d(zr, [R, s.z])) as tf.Tensor;
    const xv = x.dataSync() as Float32Array;
    const nv = Float32Array.from(xv, (v) => v + sigma * noiseRng.normal());
    const n = tf.tensor(nv, x.shape);
    return [
      xv,
      (E.predict(x) as tf.Tensor).dataSync() as Float32Array,
      (E.predict(n) as tf.Tensor).dataSync() as Float32Array,
      nv,
    ];
  });
  const truths = rows(zr, R);
  const inetErr = (c: Float32Array) => rows(c, R).map((v, i) => relativeError(v, truths[i]));
  const net = await readTfjsLayersModel(join(run, "generator", "model.json"));
  const ti = performance.now();
  const common = {
    timeLimitMs: (o.invertSeconds ?? 20) * 1000,
    truths,
    seed,
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const clean = await invertGeneratorBatch(net, rows(xs, R), common);
  const noisyInv = await invertGeneratorBatch(net, rows(noisy, R), { ...common, noise: sigma });
  const invertSeconds = (performance.now() - ti) / 1000;
  const count = (items: { status: string }[]) =>
    items.reduce<Record<string, number>>((a, it) => ((a[it.status] = (a[it.status] ?? 0) + 1), a), {});

  // The generator's injectivity.
  o.onStage?.("check of the generator");
  const tc = performance.now();
  const chk = await checkNetwork(net, {
    timeLimitMs: (o.checkSeconds ?? 120) * 1000,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  G.dispose();
  E.dispose();
  const record: GanEvalRecord = {
    format: "injective-relu-gan-eval/1",
    run,
    dataset: datasetName,
    type: cfg.type,
    seed: cfg.seed,
    steps: cfg.steps,
    trainSeconds: rec.seconds,
    samples: N,
    w2,
    w2Floor,
    fid,
    fidRealFloor,
    score,
    scoreReal,
    classifier,
    recovery: {
      images: R,
      noise: sigma,
      inet: { clean: stats(inetErr(inetClean)), noisy: stats(inetErr(inetNoisy)) },
      invert: {
        clean: stats(clean.map((it) => it.error ?? NaN)),
        noisy: stats(noisyInv.map((it) => it.error ?? NaN)),
        certifiedClean: clean.filter((it) => it.certified).length,
        statusesClean: count(clean),
        statusesNoisy: count(noisyInv),
        seconds: invertSeconds,
      },
    },
    check: {
      injective: chk.injective,
      conclusion: chk.conclusion,
      reason: chk.reason,
      seconds: (performance.now() - tc) / 1000,
      layers: chk.layers.map((l) => ({ rule: l.rule, injective: l.injective })),
    },
    evalSeconds: (performance.now() - t0) / 1000,
  };
  await writeFile(join(run, "eval.json"), JSON.stringify(record, null, 1) + "\n");
  return record;
}

/** Mean and sample standard deviation. */
export function meanStd(v: number[]): { mean: number; std: number; n: number } {
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const std = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** One row of the table: a data set and a generator type, over seeds. */
export interface GanTableRow {
  dataset: string;
  type: GeneratorType;
  seeds: number[];
  score: { mean: number; std: number; n: number } | null;
  fid: { mean: number; std: number; n: number } | null;
  w2: { mean: number; std: number; n: number };
  inetClean: { mean: number; std: number; n: number };
  invertClean: { mean: number; std: number; n: number };
  inetNoisy: { mean: number; std: number; n: number };
  invertNoisy: { mean: number; std: number; n: number };
  proved: number;
  refuted: number;
  unknown: number;
  trainMinutes: { mean: number; std: number; n: number };
}

/** Every `eval.json` below `root` (one level of run folders). */
export async function readEvalRecords(root: string): Promise<GanEvalRecord[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (e) {
    throw new FileFormatError(
      root,
      `cannot read the results folder (${(e as { code?: string }).code ?? String(e)})`,
    );
  }
  const out: GanEvalRecord[] = [];
  for (const n of names.sort()) {
    try {
      out.push(JSON.parse(await readFile(join(root, n, "eval.json"), "utf8")) as GanEvalRecord);
    } catch {
      // Not an evaluated run.
    }
  }
  return out;
}

/** Groups evaluations by data set and type: Table 1 for our data. */
export function ganTable(records: GanEvalRecord[]): GanTableRow[] {
  const groups = new Map<string, GanEvalRecord[]>();
  for (const r of records) {
    const k = `${r.dataset}\u0000${r.type}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const rowsOut: GanTableRow[] = [];
  for (const rs of groups.values()) {
    const nums = (f: (r: GanEvalRecord) => number | null) => {
      const v = rs.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
      return v.length ? meanStd(v) : null;
    };
    rowsOut.push({
      dataset: rs[0].dataset,
      type: rs[0].type,
      seeds: rs.map((r) => r.seed).sort((a, b) => a - b),
      score: nums((r) => r.score),
      fid: nums((r) => r.fid),
      w2: meanStd(rs.map((r) => r.w2)),
      inetClean: meanStd(rs.map((r) => r.recovery.inet.clean.median)),
      invertClean: meanStd(rs.map((r) => r.recovery.invert.clean.median)),
      inetNoisy: meanStd(rs.map((r) => r.recovery.inet.noisy.median)),
      invertNoisy: meanStd(rs.map((r) => r.recovery.invert.noisy.median)),
      proved: rs.filter((r) => r.check.injective === true).length,
      refuted: rs.filter((r) => r.check.injective === false).length,
      unknown: rs.filter((r) => r.check.injective === null).length,
      trainMinutes: meanStd(rs.map((r) => r.trainSeconds / 60)),
    });
  }
  const order = (t: GeneratorType) => (t === "injective" ? 0 : 1);
  return rowsOut.sort((a, b) => a.dataset.localeCompare(b.dataset) || order(a.type) - order(b.type));
}
