/**
 * `injective-relu gan train|eval|table`: the injective-GAN experiment (the paper's Section 4 and
 * Table 1) on MNIST, Fashion-MNIST or a folder of images: train a regular or injective generator
 * with its discriminator and inference network (resumable from checkpoints), evaluate a run (W2 of
 * the inferred codes, Fréchet distance and score with the toolkit's classifier, latent recovery of
 * Inet against `invert`, the `check` verdict), and tabulate the runs over seeds. See docs/gan.md.
 */

import { Command, InvalidArgumentError } from "commander";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import cliProgress from "cli-progress";
import type { GanEvalRecord, GanTableRow, GanTrainRecord } from "../../io/gan-run.js";
import { GENERATOR_TYPES, type GeneratorArch, type GeneratorType } from "../../tfjs/gan/generator-kinds.js";
import { FileFormatError } from "../../io/errors.js";
import { EXIT } from "../exit-codes.js";
import { fmtNum, table } from "../format.js";
import { parseInteger, parsePositive, printJson } from "../options.js";
import { interruptSignal } from "../progress.js";

/**
 * The gan commands' library, loaded when one of them runs: it loads TensorFlow.js (about 0.7 s),
 * which the other commands do not need at start.
 */
const ganRun = () => import("../../io/gan-run.js");

/** The settings of `gan train --quick` (a smoke run: a few steps on a few images). */
export const QUICK = { steps: 6, limit: 256, batch: 16, checkpointEvery: 3 };

function parseType(v: string): GeneratorType {
  if (!(GENERATOR_TYPES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`expected ${GENERATOR_TYPES.join(" or ")}`);
  return v as GeneratorType;
}

function parseArch(v: string): GeneratorArch {
  if (v !== "mlp" && v !== "dcgan") throw new InvalidArgumentError("expected mlp or dcgan");
  return v;
}

function parseDataset(v: string): string {
  if (v === "mnist" || v === "fashion" || (v.startsWith("folder:") && v.length > 7)) return v;
  throw new InvalidArgumentError("expected mnist, fashion or folder:<path>");
}

/** A progress bar on a TTY (steps, losses, ETA). */
function trainBar(enabled: boolean): {
  update(step: number, steps: number, text: string): void;
  stop(): void;
} {
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(step, steps, text) {
      if (!enabled) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: "training |{bar}| {value}/{total} steps | ETA {eta_formatted} | {text}",
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 100,
            fps: 4,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(steps, step, { text });
      }
      bar.update(step, { text });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

interface TrainCli {
  dataset: string;
  type: GeneratorType;
  seed: number;
  steps?: number;
  batch?: number;
  inetLr?: number;
  out?: string;
  checkpointEvery?: number;
  workers?: number;
  limit?: number;
  z?: number;
  criticWidth?: number;
  encoderWidth?: number;
  arch?: GeneratorArch;
  quick?: boolean;
  json?: boolean;
}

function describeTrain(r: GanTrainRecord, out: string): string {
  const last = r.history[r.history.length - 1];
  const lines = [
    `${r.config.type} generator on ${r.config.dataset} (${r.images} images), seed ${r.config.seed}: ${r.complete ? "finished" : "stopped"} at step ${r.step} of ${r.config.steps} (${fmtNum(r.seconds / 60, 3)} min on ${r.compute.workers} worker(s)).`,
  ];
  if (last)
    lines.push(
      `Losses (mean of the last ${last.step - (r.history[r.history.length - 2]?.step ?? 0)} steps): D ${fmtNum(last.d, 4)}, G ${fmtNum(last.g, 4)}, Inet ${fmtNum(last.e, 4)}.`,
    );
  lines.push(
    r.complete
      ? `Wrote ${join(out, "generator")}/, encoder/, discriminator/ (TF.js), samples.png and train.json. Next: injective-relu gan eval ${out}`
      : `The checkpoint in ${join(out, "checkpoint")} keeps the run: the same command resumes it.`,
  );
  return lines.join("\n");
}

function trainCommand(): Command {
  return new Command("train")
    .description(
      "train a regular or injective DCGAN generator with its discriminator and inference network (resumes from the run folder's checkpoint)",
    )
    .requiredOption(
      "--dataset <name>",
      "mnist, fashion (Fashion-MNIST) or folder:<path> (PNG/JPEG, 64×64 RGB)",
      parseDataset,
    )
    .requiredOption("--type <type>", "regular or injective", parseType)
    .option("--seed <n>", "seed of the weights, batches and latent codes", parseInteger, 1)
    .option("--steps <n>", "training iterations (each: one D, G and Inet step)", parseInteger)
    .option("--batch <n>", "batch size (DCGAN: 64)", parseInteger)
    .option(
      "--inet-lr <x>",
      "Adam learning rate of the inference network (default: 2e-4, the DCGAN rate of G and D)",
      parsePositive,
    )
    .option("--out <dir>", "the run folder (default: gan-runs/<dataset>-<type>-seed<seed>)")
    .option("--checkpoint-every <n>", "steps between checkpoints (default 200)", parseInteger)
    .option("--workers <n>", "worker threads (data-parallel; default: 2)", parseInteger)
    .option("--limit <n>", "train on the first n images only (spread over the classes)", parseInteger)
    .option("--z <n>", "latent dimension (default 64)", parseInteger)
    .option(
      "--arch <arch>",
      "generator layers: mlp (default at 32×32) or dcgan (default at 64×64)",
      parseArch,
    )
    .option("--critic-width <n>", "channels of the first convolution of D (default 16)", parseInteger)
    .option(
      "--encoder-width <n>",
      "channels of the first convolution of Inet (default: the critic width)",
      parseInteger,
    )
    .option("--quick", `a smoke run: ${QUICK.steps} steps, batch ${QUICK.batch}, ${QUICK.limit} images`)
    .option("--json", "print the run record as JSON")
    .action(async (o: TrainCli) => {
      const steps = o.steps ?? (o.quick ? QUICK.steps : 2000);
      const out =
        o.out ??
        join(
          "gan-runs",
          `${o.dataset.replace(/^folder:.*[\\/]/, "folder-").replace(/[^a-z0-9-]/gi, "_")}-${o.type}-seed${o.seed}${o.quick ? "-quick" : ""}`,
        );
      const interrupt = interruptSignal();
      const bar = trainBar(process.stderr.isTTY === true && !o.json);
      let rec: GanTrainRecord;
      try {
        rec = await (
          await ganRun()
        ).runGanTraining({
          dataset: o.dataset,
          type: o.type,
          seed: o.seed,
          steps,
          out,
          ...(o.batch !== undefined || o.quick ? { batch: o.batch ?? QUICK.batch } : {}),
          ...(o.inetLr !== undefined ? { inetLearningRate: o.inetLr } : {}),
          ...(o.checkpointEvery !== undefined || o.quick
            ? { checkpointEvery: o.checkpointEvery ?? QUICK.checkpointEvery }
            : {}),
          ...(o.workers !== undefined ? { workers: o.workers } : {}),
          ...(o.limit !== undefined || o.quick ? { limit: o.limit ?? QUICK.limit } : {}),
          sizes: {
            ...(o.z !== undefined ? { z: o.z } : {}),
            ...(o.arch !== undefined ? { arch: o.arch } : {}),
            ...(o.criticWidth !== undefined ? { criticWidth: o.criticWidth } : {}),
            ...(o.encoderWidth !== undefined ? { encoderWidth: o.encoderWidth } : {}),
          },
          signal: interrupt.signal,
          onProgress: (p) =>
            bar.update(
              p.step,
              p.steps,
              `D ${p.losses.d.toFixed(3)} G ${p.losses.g.toFixed(3)} Inet ${p.losses.e.toFixed(3)}`,
            ),
        });
      } finally {
        bar.stop();
        interrupt.dispose();
      }
      if (o.json) printJson({ out, ...rec });
      else process.stdout.write(describeTrain(rec, out) + "\n");
      process.exitCode = rec.complete ? EXIT.injective : EXIT.cancelled;
    });
}

interface EvalCli {
  samples?: number;
  recovery?: number;
  noise?: number;
  invertTimeLimit?: number;
  checkTimeLimit?: number;
  classifierDir?: string;
  classifierEpochs?: number;
  workers?: number;
  json?: boolean;
}

const e3 = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));

function describeEval(r: GanEvalRecord): string {
  const rc = r.recovery;
  const lines = [
    `${r.type} generator on ${r.dataset}, seed ${r.seed} (${r.steps} steps, ${fmtNum(r.trainSeconds / 60, 3)} min):`,
    `  W2(N(0, I), Inet(G(z))) = ${fmtNum(r.w2, 4)} over ${r.samples} samples (the estimator's floor on the z themselves: ${fmtNum(r.w2Floor, 4)})`,
  ];
  if (r.fid !== null && r.score !== null)
    lines.push(
      `  Fréchet distance ${fmtNum(r.fid, 4)} (real vs real: ${fmtNum(r.fidRealFloor ?? NaN, 4)}), score ${fmtNum(r.score, 4)} (real images: ${fmtNum(r.scoreReal ?? NaN, 4)}); classifier accuracy ${fmtNum((r.classifier?.accuracy ?? NaN) * 100, 4)}% — a LeNet-type classifier, not Inception: not comparable with the paper's FID/IS`,
    );
  else
    lines.push(
      "  Fréchet distance and score: not computed (the data set has no labels to train the classifier)",
    );
  lines.push(
    `  Latent recovery on ${rc.images} fresh G(z), median ‖ẑ − z‖/‖z‖: clean Inet ${e3(rc.inet.clean.median)}, invert ${e3(rc.invert.clean.median)} (${rc.invert.certifiedClean}/${rc.images} certified unique); σ = ${rc.noise}: Inet ${e3(rc.inet.noisy.median)}, invert ${e3(rc.invert.noisy.median)}`,
    `  check: ${r.check.conclusion} (${fmtNum(r.check.seconds, 3)} s): ${r.check.reason}`,
  );
  return lines.join("\n");
}

function evalCommand(): Command {
  return new Command("eval")
    .description(
      "evaluate finished runs: W2 of Inet(G(z)) to N(0, I), Fréchet distance and score (toolkit classifier), Inet vs invert latent recovery, and the check verdict; writes eval.json",
    )
    .argument("<runs...>", "run folders written by gan train")
    .option("--samples <n>", "samples for W2, distance and score (default 4096)", parseInteger)
    .option("--recovery <n>", "fresh images for the latent recovery (default 16)", parseInteger)
    .option("--noise <sigma>", "noise level of the noisy recovery (default 0.05)", parsePositive)
    .option("--invert-time-limit <s>", "seconds per inversion (default 20)", parsePositive)
    .option("--check-time-limit <s>", "seconds for the generator's check (default 120)", parsePositive)
    .option("--classifier-dir <dir>", "where the data set's classifier is cached (default: beside the run)")
    .option(
      "--classifier-epochs <n>",
      "epochs of the classifier's training when it is not cached (default 3)",
      parseInteger,
    )
    .option("--workers <n>", "worker threads of the inversions", parseInteger)
    .option("--json", "print the evaluations as JSON")
    .action(async (runs: string[], o: EvalCli) => {
      const interrupt = interruptSignal();
      const out: GanEvalRecord[] = [];
      try {
        for (const run of runs) {
          const r = await (
            await ganRun()
          ).evaluateGanRun(run, {
            ...(o.samples !== undefined ? { samples: o.samples } : {}),
            ...(o.recovery !== undefined ? { recovery: o.recovery } : {}),
            ...(o.noise !== undefined ? { noise: o.noise } : {}),
            ...(o.invertTimeLimit !== undefined ? { invertSeconds: o.invertTimeLimit } : {}),
            ...(o.checkTimeLimit !== undefined ? { checkSeconds: o.checkTimeLimit } : {}),
            ...(o.classifierDir !== undefined ? { classifierDir: o.classifierDir } : {}),
            ...(o.classifierEpochs !== undefined ? { classifierEpochs: o.classifierEpochs } : {}),
            ...(o.workers !== undefined ? { workers: o.workers } : {}),
            signal: interrupt.signal,
            onStage: o.json ? undefined : (s) => process.stderr.write(`${run}: ${s}…\n`),
          });
          out.push(r);
          if (!o.json) process.stdout.write(describeEval(r) + "\n");
          if (interrupt.signal.aborted) break;
        }
      } finally {
        interrupt.dispose();
      }
      if (o.json) printJson(out);
      process.exitCode = interrupt.signal.aborted ? EXIT.cancelled : EXIT.injective;
    });
}

const pm = (v: { mean: number; std: number } | null, digits = 3): string =>
  v === null ? "—" : `${fmtNum(v.mean, digits)} ± ${fmtNum(v.std, digits)}`;
const pmE = (v: { mean: number; std: number }): string => `${e3(v.mean)} ± ${e3(v.std)}`;

/** The cells of a table row that the Markdown and the terminal table share. */
function rowCells(r: GanTableRow): string[] {
  return [
    r.dataset,
    r.type,
    String(r.seeds.length),
    pm(r.score),
    pm(r.fid),
    pm(r.w2),
    pmE(r.inetClean),
    pmE(r.invertClean),
    pmE(r.inetNoisy),
    pmE(r.invertNoisy),
  ];
}

/** The table as Markdown (what `gan table` prints and writes to table.md). */
export function tableMarkdown(rowsIn: GanTableRow[]): string {
  const header = [
    "data set",
    "type of G",
    "seeds",
    "score ↑",
    "Fréchet distance ↓",
    "W2(P_z, P_ẑ) ↓",
    "Inet error (clean)",
    "invert error (clean)",
    "Inet error (σ)",
    "invert error (σ)",
    "check",
    "train min",
  ];
  const body = rowsIn.map((r) => [
    ...rowCells(r),
    `${r.proved} proved, ${r.refuted} refuted, ${r.unknown} unknown`,
    pm(r.trainMinutes, 2),
  ]);
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...body.map((b) => `| ${b.join(" | ")} |`),
  ].join("\n");
}

function tableCommand(): Command {
  return new Command("table")
    .description(
      "Table 1 for our data: mean ± std over seeds of every evaluated run below a folder; writes table.md and table.json",
    )
    .argument("<dir>", "the folder of run folders (each with an eval.json)")
    .option("--json", "print the table as JSON")
    .action(async (dir: string, o: { json?: boolean }) => {
      const { readEvalRecords, ganTable } = await ganRun();
      const recs = await readEvalRecords(dir);
      if (recs.length === 0) throw new FileFormatError(dir, "holds no evaluated run (run gan eval first)");
      const t = ganTable(recs);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "table.json"), JSON.stringify(t, null, 1) + "\n");
      const md = tableMarkdown(t);
      await writeFile(join(dir, "table.md"), md + "\n");
      if (o.json) printJson(t);
      else
        process.stdout.write(
          table(
            [
              "data set",
              "type",
              "seeds",
              "score",
              "Fréchet",
              "W2",
              "Inet err",
              "invert err",
              "Inet err σ",
              "invert err σ",
              "check",
            ],
            t.map((r) => [...rowCells(r), `${r.proved}/${r.refuted}/${r.unknown}`]),
          ) +
            `\n(check: proved/refuted/unknown; errors are medians of ‖ẑ − z‖/‖z‖ over fresh samples.) Wrote ${join(dir, "table.md")} and table.json.\n`,
        );
    });
}

/** The `gan` command group. */
export function ganCommand(): Command {
  const cmd = new Command("gan").description(
    "the injective-GAN experiment (paper Section 4, Table 1): gan train | gan eval | gan table",
  );
  cmd.addCommand(trainCommand());
  cmd.addCommand(evalCommand());
  cmd.addCommand(tableCommand());
  return cmd;
}
