/**
 * Training speed on the CPU (issue 11, item 4): milliseconds per Adam step of the DCGAN
 * generator, discriminator and inference network (src/tfjs/dcgan.ts, z = 64, 4×4×128 → 32×32×1,
 * batch 64, Adam 2e-4, β1 = 0.5) on our wasm training backend (src/tfjs/backend.ts), against
 * tfjs's stock `cpu` backend in the same run, against the wasm backend with its stock kernels
 * (only the missing Conv2DBackpropFilter added), and against PyTorch on the CPU
 * (scripts/bench-train-torch.py, the same architectures) when `/usr/bin/python3 -c "import torch"`
 * works. Prints a Markdown table.
 *
 *     npm run bench:train
 *     npm run bench:train -- --repeats 10 --cpu-steps 1 --no-torch --profile
 *
 * A last row times one iteration of GAN training (src/tfjs/dcgan-steps.ts, ganIteration; the
 * same in the PyTorch script).
 *
 * Every time is a median over the timed steps of this run, after warm-up steps (wasm and torch).
 * The cpu backend takes tens of seconds per step: it runs `--cpu-steps` steps (default 1, no
 * warm-up), so its column is a single measurement.
 */

import { spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { setupTrainingBackend } from "../src/tfjs/backend.js";
import { REPLACED_KERNELS, stockKernel } from "../src/tfjs/kernels/index.js";
import {
  adamStep,
  DCGAN_NETS,
  dcganBatch,
  dcganTask,
  ganIteration,
  type DcganNet,
} from "../src/tfjs/dcgan-steps.js";
import { DataParallelTrainer } from "../src/tfjs/data-parallel.js";
import { median } from "./common.js";

const USAGE =
  "usage: node dist/bench/train.js [--batch N] [--repeats N] [--warmup N] [--cpu-steps N] [--workers N] [--no-cpu] [--no-torch] [--no-parallel] [--no-stock] [--profile]";

interface Options {
  batch: number;
  repeats: number;
  warmup: number;
  cpuSteps: number;
  workers: number;
  cpu: boolean;
  torch: boolean;
  parallel: boolean;
  stock: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    batch: 64,
    repeats: 20,
    warmup: 3,
    cpuSteps: 1,
    workers: 2,
    cpu: true,
    torch: true,
    parallel: true,
    stock: true,
    profile: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${a} needs a non-negative integer\n${USAGE}`);
      return v;
    };
    if (a === "--batch") o.batch = num();
    else if (a === "--repeats") o.repeats = num();
    else if (a === "--warmup") o.warmup = num();
    else if (a === "--cpu-steps") o.cpuSteps = num();
    else if (a === "--workers") o.workers = num();
    else if (a === "--no-cpu") o.cpu = false;
    else if (a === "--no-torch") o.torch = false;
    else if (a === "--no-parallel") o.parallel = false;
    else if (a === "--no-stock") o.stock = false;
    else if (a === "--profile") o.profile = true;
    else throw new RangeError(`unknown option ${a}\n${USAGE}`);
  }
  if (o.batch < 2 || o.repeats < 1 || o.cpuSteps < 1)
    throw new RangeError(`--batch ≥ 2, --repeats ≥ 1, --cpu-steps ≥ 1\n${USAGE}`);
  return o;
}

const SIZES = { z: 64, width: 32, image: 32 as const };
const DATA_SEED = 11;

/** Times `steps` training steps of `net` on the current backend, after `warmup` untimed ones. */
function timeSteps(
  net: DcganNet,
  batch: number,
  warmup: number,
  steps: number,
): { ms: number; params: number; loss: number } {
  const task = dcganTask(net, { ...SIZES, seed: 1 });
  const { input, target } = dcganBatch(task, batch, DATA_SEED);
  const step = adamStep(task);
  let loss = NaN;
  for (let i = 0; i < warmup; i++) loss = step(input, target);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    loss = step(input, target);
    times.push(performance.now() - t);
  }
  // Trainable parameters (tfjs also counts batch norm's moving statistics, torch does not).
  const params = task.model.trainableWeights.reduce(
    (sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1),
    0,
  );
  task.model.dispose();
  tf.dispose([input, target]);
  return { ms: median(times), params, loss };
}

/**
 * Puts the wasm backend's stock kernels back in place of our replacements (`stock` true), or
 * ours again (false). Conv2DBackpropFilter, which the stock backend lacks, stays registered.
 */
function useStockKernels(stock: boolean): void {
  for (const config of REPLACED_KERNELS) {
    const k = stock ? stockKernel(config.kernelName) : config;
    if (k === undefined) continue;
    tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel(k);
  }
}

/** The benchmark batch of a network's task, as flat arrays (inputs, targets). */
function netData(net: DcganNet, batch: number): [Float32Array, Float32Array] {
  const task = dcganTask(net, { ...SIZES, seed: 1 });
  const { input, target } = dcganBatch(task, batch, DATA_SEED);
  const data: [Float32Array, Float32Array] = [
    Float32Array.from(input.dataSync()),
    Float32Array.from(target.dataSync()),
  ];
  task.model.dispose();
  tf.dispose([input, target]);
  return data;
}

/** The GAN iteration's batch: real images uniform in [−1, 1] and z ~ N(0, I), seeded. */
function ganTensors(batch: number): [tf.Tensor, tf.Tensor] {
  return [
    tf.randomUniform([batch, SIZES.image, SIZES.image, 1], -1, 1, "float32", DATA_SEED),
    tf.randomNormal([batch, SIZES.z], 0, 1, "float32", DATA_SEED + 1),
  ];
}

function ganData(batch: number): [Float32Array, Float32Array] {
  const [real, z] = ganTensors(batch);
  const data: [Float32Array, Float32Array] = [
    Float32Array.from(real.dataSync()),
    Float32Array.from(z.dataSync()),
  ];
  tf.dispose([real, z]);
  return data;
}

/** Times iterations of GAN training (ganIteration: D, then G through D, then the encoder). */
function timeGan(batch: number, warmup: number, steps: number): { ms: number; params: number } {
  const gan = ganIteration({ ...SIZES, seed: 1 });
  const [real, z] = ganTensors(batch);
  for (let i = 0; i < warmup; i++) gan.step(real, z);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    gan.step(real, z);
    times.push(performance.now() - t);
  }
  const params = gan.models.reduce(
    (sum, m) =>
      sum + m.trainableWeights.reduce((s2, w) => s2 + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0),
    0,
  );
  gan.models.forEach((m) => m.dispose());
  tf.dispose([real, z]);
  return { ms: median(times), params };
}

/** The kernels that take the most time in one wasm step of `net` (tf.profile). */
async function profileStep(
  net: DcganNet,
  batch: number,
): Promise<{ total: number; top: [string, number][] }> {
  const task = dcganTask(net, { ...SIZES, seed: 1 });
  const { input, target } = dcganBatch(task, batch, DATA_SEED);
  const step = adamStep(task);
  step(input, target);
  step(input, target);
  const info = await tf.profile(() => {
    step(input, target);
  });
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) {
    // Ops that wrap kernels (names ending in "__op") would count their kernels twice.
    if (k.name.endsWith("__op")) continue;
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  }
  task.model.dispose();
  tf.dispose([input, target]);
  const sorted = [...byKernel.entries()].sort((a, b) => b[1] - a[1]);
  return { total: sorted.reduce((s, [, v]) => s + v, 0), top: sorted.slice(0, 6) };
}

interface TorchResult {
  torch: string;
  threads: number;
  results: Record<DcganNet | "gan", { ms: number; runs: number; params: number }>;
}

function runTorch(o: Options): TorchResult | string {
  const python = "/usr/bin/python3";
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0)
    return `PyTorch not available (${python} -c "import torch" failed): torch column skipped`;
  const script = fileURLToPath(new URL("../../scripts/bench-train-torch.py", import.meta.url));
  const args = [
    script,
    "--batch",
    String(o.batch),
    "--threads",
    "2",
    "--warmup",
    String(o.warmup),
    "--repeats",
    String(o.repeats),
  ];
  const r = spawnSync(python, args, { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0)
    return `PyTorch benchmark failed (${r.stderr.trim().split("\n").pop() ?? "no output"}): torch column skipped`;
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as TorchResult;
}

function fmt(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return "–";
  const r = a / b;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const cpus = os.cpus();
  console.log(
    `Machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.release()}; date ${new Date().toISOString()}; load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(" ")}.`,
  );
  const info = await setupTrainingBackend();
  console.log(`wasm backend: SIMD ${info.simd}, kernels added or replaced: ${info.kernels.join(", ")}.`);
  const ours: Partial<Record<DcganNet, { ms: number; params: number }>> = {};
  for (const net of DCGAN_NETS) {
    ours[net] = timeSteps(net, o.batch, o.warmup, o.repeats);
    console.error(`wasm ${net}: ${fmt(ours[net]?.ms)} ms/step`);
  }
  const stock: Partial<Record<DcganNet, number>> = {};
  if (o.stock) {
    useStockKernels(true);
    try {
      for (const net of DCGAN_NETS) {
        stock[net] = timeSteps(net, o.batch, o.warmup, o.repeats).ms;
        console.error(`wasm, stock kernels + Conv2DBackpropFilter, ${net}: ${fmt(stock[net])} ms/step`);
      }
    } finally {
      useStockKernels(false);
    }
  }
  const gan = timeGan(o.batch, o.warmup, o.repeats);
  console.error(`wasm GAN iteration: ${fmt(gan.ms)} ms`);
  const parallel: Partial<Record<DcganNet | "gan", number>> = {};
  const breakdown: Partial<Record<DcganNet | "gan", { inWorkers: number; blocked: number }>> = {};
  if (o.parallel && o.workers >= 2) {
    for (const net of [...DCGAN_NETS, "gan" as const]) {
      const trainer = await DataParallelTrainer.create({
        net,
        sizes: { ...SIZES, seed: 1 },
        workers: o.workers,
      });
      try {
        const [x, y] = net === "gan" ? ganData(o.batch) : netData(net, o.batch);
        for (let i = 0; i < o.warmup; i++) await trainer.stepLosses(x, y, o.batch);
        const times: number[] = [];
        const inWorkers: number[] = [];
        const blocked: number[] = [];
        for (let i = 0; i < o.repeats; i++) {
          const t = performance.now();
          await trainer.stepLosses(x, y, o.batch);
          times.push(performance.now() - t);
          inWorkers.push(Math.max(...trainer.lastStep.ms));
          blocked.push(
            trainer.lastStep.waitedMs.reduce((a, b) => a + b, 0) / trainer.lastStep.waitedMs.length,
          );
        }
        parallel[net] = median(times);
        breakdown[net] = { inWorkers: median(inWorkers), blocked: median(blocked) };
      } finally {
        await trainer.dispose();
      }
      console.error(`wasm ×${o.workers} workers ${net}: ${fmt(parallel[net])} ms/step`);
    }
  }
  const cpu: Partial<Record<DcganNet, number>> = {};
  if (o.cpu) {
    await setupTrainingBackend({ backend: "cpu" });
    for (const net of DCGAN_NETS) {
      cpu[net] = timeSteps(net, o.batch, 0, o.cpuSteps).ms;
      console.error(`cpu ${net}: ${fmt(cpu[net])} ms/step`);
    }
    await setupTrainingBackend();
  }
  const torch = o.torch ? runTorch(o) : "torch column skipped (--no-torch)";
  const t = typeof torch === "string" ? undefined : torch;
  if (typeof torch === "string") console.log(`Note: ${torch}.`);
  else
    console.log(
      `PyTorch ${torch.torch} on the CPU, ${torch.threads} threads (scripts/bench-train-torch.py).`,
    );

  const best = (net: DcganNet): number | undefined => {
    const vals = [ours[net]?.ms, parallel[net]].filter((v): v is number => v !== undefined);
    return vals.length ? Math.min(...vals) : undefined;
  };
  console.log(
    `\nBatch ${o.batch}; wasm and torch: median of ${o.repeats} steps after ${o.warmup} warm-up steps; ` +
      `tfjs cpu: ${o.cpu ? `median of ${o.cpuSteps} step(s), no warm-up` : "skipped (--no-cpu)"}. "ours" is the faster of the wasm columns. ` +
      `The GAN iteration (ganIterationTask in src/tfjs/dcgan-steps.ts) is not timed on tfjs cpu.\n`,
  );
  console.log(
    "| network | params (tfjs / torch) | wasm stock + Conv2DBackpropFilter ms | wasm, 1 thread ms | wasm, data-parallel ms | tfjs cpu ms | torch ms | ours ÷ torch | cpu ÷ ours |",
  );
  console.log("|:---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const net of DCGAN_NETS) {
    const tr = t?.results[net];
    console.log(
      `| ${net} | ${ours[net]?.params ?? "–"} / ${tr?.params ?? "–"} | ${fmt(stock[net])} | ${fmt(ours[net]?.ms)} | ${fmt(parallel[net])} | ${fmt(cpu[net])} | ${fmt(tr?.ms)} | ${ratio(best(net), tr?.ms)} | ${ratio(cpu[net], best(net))} |`,
    );
  }
  const tg = t?.results.gan;
  console.log(
    `| GAN iteration (D on real + fake, G through D, encoder) | ${gan.params} / ${tg?.params ?? "–"} | – | ${fmt(gan.ms)} | ${fmt(parallel.gan)} | – | ${fmt(tg?.ms)} | ${ratio(Math.min(gan.ms, parallel.gan ?? Infinity), tg?.ms)} | – |`,
  );
  if (Object.keys(breakdown).length > 0) {
    console.log(`\nData-parallel steps (${o.workers} workers), medians per step:\n`);
    console.log(
      "| network | wall ms | slowest worker ms | of which blocked at barriers (mean over workers) ms |",
    );
    console.log("|:---|---:|---:|---:|");
    for (const net of [...DCGAN_NETS, "gan" as const]) {
      const b = breakdown[net];
      if (b !== undefined)
        console.log(`| ${net} | ${fmt(parallel[net])} | ${fmt(b.inWorkers)} | ${fmt(b.blocked)} |`);
    }
  }
  if (o.profile) {
    console.log("\nWhere the time goes in one wasm step (tf.profile, kernel time in ms, top 6):\n");
    console.log("| network | kernel total ms | top kernels |");
    console.log("|:---|---:|:---|");
    for (const net of DCGAN_NETS) {
      const p = await profileStep(net, o.batch);
      console.log(`| ${net} | ${fmt(p.total)} | ${p.top.map(([k, v]) => `${k} ${fmt(v)}`).join(", ")} |`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
