/**
 * Files of the phase-transition sweep (src/experiments/phase.ts), all in one directory:
 *
 * - `run.json`: the run parameters ({@link PhaseRunFile}); a re-run with the same directory must
 *   have the same parameters, and then resumes;
 * - `instances.jsonl`: the checkpoint, append-only, one {@link PhaseInstance} per line, flushed
 *   (fsync) after every batch; a truncated last line (the process was killed while writing) is
 *   dropped and cut off on resume, a bad line anywhere else is an error;
 * - `sessions.jsonl`: one {@link PhaseSession} per invocation that ran instances (compute used);
 * - the outputs of a finished sweep or merge: `phase.csv`, `phase.json`
 *   ({@link PhaseReport}) and the plots `phase.svg`, `phase.png` (src/io/phase-plot.ts).
 *
 * Errors are {@link FileFormatError}s: one line, starting with the file name.
 */

import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
  existsSync,
} from "node:fs";
import { join } from "node:path";
import type { PhaseReport, PhaseSession, PhaseShard, PhaseSweepParams } from "../experiments/phase.js";
import type { PhaseInstance } from "../experiments/phase-types.js";
import type { CombinedPhaseReport } from "../experiments/phase-combine.js";
import { describeFsError, FileFormatError } from "./errors.js";

export const RUN_FILE = "run.json";
export const INSTANCES_FILE = "instances.jsonl";
export const SESSIONS_FILE = "sessions.jsonl";

/** The content of `run.json`. */
export interface PhaseRunFile extends PhaseSweepParams {
  format: "injective-relu/phase-run";
  version: 1;
  /** The --ratio option as given (informative; `ratios` is what counts). */
  ratioSpec: string;
  /** The shard this directory runs, or null (whole sweep, or a merge). */
  shard: PhaseShard | null;
  /** Directories merged into this one (`phase merge`), else absent. */
  mergedFrom?: string[];
  /** Version of injective-relu that created the directory (informative). */
  toolVersion?: string;
  createdAt?: string;
}

/** The parameters that must agree for a resume (all of them) or a merge (all but the shard). */
export function diffRunParams(
  a: PhaseRunFile,
  b: PhaseRunFile,
  options: { ignoreShard?: boolean } = {},
): string[] {
  const out: string[] = [];
  const show = (v: unknown) => (Array.isArray(v) ? v.join(",") : JSON.stringify(v));
  const fields: (keyof PhaseSweepParams)[] = ["ns", "ratios", "trials", "seed", "bias", "timeLimitMs"];
  for (const f of fields) {
    if (JSON.stringify(a[f]) !== JSON.stringify(b[f])) out.push(`${f} ${show(a[f])} vs ${show(b[f])}`);
  }
  if (!options.ignoreShard && JSON.stringify(a.shard) !== JSON.stringify(b.shard)) {
    out.push(`shard ${shardLabel(a.shard) ?? "none"} vs ${shardLabel(b.shard) ?? "none"}`);
  }
  return out;
}

/** "k/N", or null. */
export function shardLabel(shard: PhaseShard | null | undefined): string | null {
  return shard ? `${shard.index}/${shard.count}` : null;
}

/**
 * Makes sure `dir` exists (creating it) and is a writable directory.
 * @throws FileFormatError naming the directory
 */
export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new FileFormatError(dir, "is not a directory");
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof FileFormatError) throw e;
    throw new FileFormatError(dir, `cannot write the output directory: ${describeFsError(e)}`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

const isIntList = (x: unknown) => Array.isArray(x) && x.every((v) => Number.isInteger(v) && v >= 1);

/** Reads `DIR/run.json`, or null when there is none. @throws FileFormatError when it is malformed */
export function readRunFile(dir: string): PhaseRunFile | null {
  const path = join(dir, RUN_FILE);
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new FileFormatError(
      path,
      e instanceof SyntaxError ? `is not valid JSON (${e.message})` : describeFsError(e),
    );
  }
  const ok =
    isObject(raw) &&
    raw.format === "injective-relu/phase-run" &&
    raw.version === 1 &&
    isIntList(raw.ns) &&
    Array.isArray(raw.ratios) &&
    raw.ratios.every((v) => typeof v === "number" && v > 0) &&
    Number.isInteger(raw.trials) &&
    Number.isSafeInteger(raw.seed) &&
    typeof raw.bias === "boolean" &&
    typeof raw.timeLimitMs === "number" &&
    (raw.shard === null ||
      (isObject(raw.shard) && Number.isInteger(raw.shard.index) && Number.isInteger(raw.shard.count)));
  if (!ok)
    throw new FileFormatError(path, "is not a phase run file (format injective-relu/phase-run, version 1)");
  return raw as unknown as PhaseRunFile;
}

/** Writes `DIR/run.json` (atomically: a temporary file, then a rename). */
export function writeRunFile(dir: string, run: PhaseRunFile): void {
  writeAtomic(join(dir, RUN_FILE), JSON.stringify(run, null, 2) + "\n");
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    throw new FileFormatError(path, `cannot write: ${describeFsError(e)}`);
  }
}

function parseInstance(x: unknown): PhaseInstance | null {
  if (!isObject(x)) return null;
  const { n, m, trial, seed, injective, method, timeMs } = x;
  const int = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;
  if (!int(n, 1) || !int(m, 1) || !int(trial, 0) || !int(seed, 0)) return null;
  if (!(injective === true || injective === false || injective === null)) return null;
  if (typeof method !== "string" || typeof timeMs !== "number" || !Number.isFinite(timeMs)) return null;
  return {
    n: n as number,
    m: m as number,
    trial: trial as number,
    seed: seed as number,
    injective,
    method,
    timeMs,
  };
}

/** What {@link readCheckpoint} found. */
export interface Checkpoint {
  instances: PhaseInstance[];
  /** A truncated last line was found (and, with `repair`, cut off). */
  truncated: boolean;
}

/**
 * Reads `DIR/instances.jsonl` (no file: no instances). Blank lines are skipped. A last line that is
 * not a valid instance is taken as a write cut short by a kill: it is ignored, and with `repair`
 * cut off the file so that appends start on a fresh line.
 * @throws FileFormatError for a bad line that is not the last one
 */
export function readCheckpoint(dir: string, options: { repair?: boolean } = {}): Checkpoint {
  const path = join(dir, INSTANCES_FILE);
  if (!existsSync(path)) return { instances: [], truncated: false };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new FileFormatError(path, `cannot read: ${describeFsError(e)}`);
  }
  const lines = text.split("\n");
  // The offset where each line starts (for cutting off a truncated last line).
  const instances: PhaseInstance[] = [];
  let offset = 0;
  let lastContent = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].trim() !== "") {
      lastContent = i;
      break;
    }
  }
  let truncated = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const start = offset;
    offset += Buffer.byteLength(line, "utf8") + 1;
    if (line.trim() === "") continue;
    let inst: PhaseInstance | null = null;
    try {
      inst = parseInstance(JSON.parse(line));
    } catch {
      inst = null;
    }
    if (inst) {
      instances.push(inst);
      if (i === lastContent && i === lines.length - 1 && options.repair) appendText(path, "\n");
      continue;
    }
    if (i !== lastContent) {
      throw new FileFormatError(
        path,
        `line ${i + 1} is not a valid instance (corrupt checkpoint: fix or delete that line, or use another --out)`,
      );
    }
    truncated = true;
    if (options.repair) {
      try {
        truncateSync(path, start);
      } catch (e) {
        throw new FileFormatError(path, `cannot repair the truncated last line: ${describeFsError(e)}`);
      }
    }
  }
  return { instances, truncated };
}

function appendText(path: string, text: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(path, "a");
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    throw new FileFormatError(path, `cannot write: ${describeFsError(e)}`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Appends instances to `DIR/instances.jsonl`, one JSON line each, in one write, then fsyncs. */
export function appendInstances(dir: string, instances: readonly PhaseInstance[]): void {
  if (instances.length === 0) return;
  appendText(join(dir, INSTANCES_FILE), instances.map((i) => JSON.stringify(i) + "\n").join(""));
}

/** Replaces `DIR/instances.jsonl` with these instances (for a merge). */
export function writeInstances(dir: string, instances: readonly PhaseInstance[]): void {
  writeAtomic(join(dir, INSTANCES_FILE), instances.map((i) => JSON.stringify(i) + "\n").join(""));
}

/** Appends one session to `DIR/sessions.jsonl`. */
export function appendSession(dir: string, session: PhaseSession): void {
  appendText(join(dir, SESSIONS_FILE), JSON.stringify(session) + "\n");
}

/** Reads `DIR/sessions.jsonl` (bad lines are skipped: it is only informative). */
export function readSessions(dir: string): PhaseSession[] {
  const path = join(dir, SESSIONS_FILE);
  if (!existsSync(path)) return [];
  const out: PhaseSession[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    try {
      const s = JSON.parse(line) as PhaseSession;
      if (isObject(s) && typeof s.wallTimeMs === "number") out.push(s);
    } catch {
      // a line cut short by a kill
    }
  }
  return out;
}

/** Writes `DIR/sessions.jsonl` with these sessions (for a merge). */
export function writeSessions(dir: string, sessions: readonly PhaseSession[]): void {
  writeAtomic(join(dir, SESSIONS_FILE), sessions.map((s) => JSON.stringify(s) + "\n").join(""));
}

const CSV_HEADER = [
  "kind",
  "n",
  "m",
  "ratio",
  "bias",
  "trials",
  "injective",
  "not_injective",
  "unknown",
  "p",
  "low",
  "high",
  "median_time_ms",
  "max_time_ms",
  "pointwise_exact",
  "pointwise_mc_trials",
  "pointwise_mc_successes",
  "pointwise_mc_p",
  "pointwise_mc_low",
  "pointwise_mc_high",
];

/**
 * The CSV of a report: one row per swept point (`kind` = `sweep`) then one per point of the
 * pointwise curve (`kind` = `pointwise`); columns that do not apply are empty.
 */
export function phaseCsv(report: Pick<PhaseReport, "points" | "pointwise">): string {
  const cell = (v: string | number | boolean | null | undefined) =>
    v === null || v === undefined ? "" : String(v);
  const rows: string[] = [CSV_HEADER.join(",")];
  for (const p of report.points) {
    rows.push(
      [
        "sweep",
        p.n,
        p.m,
        p.ratio,
        p.bias,
        p.trials,
        p.injective,
        p.notInjective,
        p.unknown,
        p.p,
        p.low,
        p.high,
        Number(p.medianTimeMs.toFixed(3)),
        Number(p.maxTimeMs.toFixed(3)),
        ...Array<null>(6).fill(null),
      ]
        .map(cell)
        .join(","),
    );
  }
  for (const q of report.pointwise) {
    const mc = q.monteCarlo;
    rows.push(
      [
        "pointwise",
        q.n,
        q.m,
        q.ratio,
        q.bias,
        ...Array<null>(9).fill(null),
        q.exact,
        mc?.trials,
        mc?.successes,
        mc?.p,
        mc?.low,
        mc?.high,
      ]
        .map(cell)
        .join(","),
    );
  }
  return rows.join("\n") + "\n";
}

/**
 * Writes `phase.csv`, `phase.json` and the plots `phase.svg`, `phase.png` into `dir`; the returned
 * report (also the content of phase.json) lists the paths in `files`.
 */
export function writePhaseOutputs(dir: string, report: PhaseReport): Promise<PhaseReport> {
  return writeOutputs(dir, report);
}

/**
 * Writes a combined report (`phase combine`): `phase.csv`, `phase.json` and the plots, as
 * {@link writePhaseOutputs} does for one sweep.
 */
export function writeCombinedOutputs(dir: string, report: CombinedPhaseReport): Promise<CombinedPhaseReport> {
  return writeOutputs(dir, report);
}

async function writeOutputs<R extends PhaseReport | CombinedPhaseReport>(dir: string, report: R): Promise<R> {
  const csv = join(dir, "phase.csv");
  const json = join(dir, "phase.json");
  let plots: { svg: string; png: string };
  try {
    // Loaded on demand: the plotting libraries (Vega, resvg) take a while to load.
    const { writePhasePlots } = await import("./phase-plot.js");
    plots = await writePhasePlots(dir, {
      points: report.points,
      crossings: report.crossings,
      extrapolation: report.extrapolation,
      pointwise: report.pointwise,
    });
  } catch (e) {
    if ((e as { isInputError?: unknown } | null)?.isInputError === true) throw e;
    if (typeof (e as { code?: unknown } | null)?.code === "string")
      throw new FileFormatError(dir, `cannot write the plots: ${describeFsError(e)}`);
    throw e;
  }
  const withFiles: R = { ...report, files: { csv, json, svg: plots.svg, png: plots.png } };
  writeAtomic(csv, phaseCsv(withFiles));
  writeAtomic(json, JSON.stringify(withFiles, null, 2) + "\n");
  return withFiles;
}

/** Reads a finished sweep's `phase.json` (for `phase combine`). */
export function readPhaseReport(dir: string): PhaseReport {
  const path = join(dir, "phase.json");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new FileFormatError(path, `cannot be read: ${describeFsError(e)} (run or merge the sweep first)`);
  }
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    throw new FileFormatError(path, "is not valid JSON");
  }
  const r = report as Partial<PhaseReport> | null;
  if (!r || r.format !== "injective-relu/phase" || !Array.isArray(r.points) || !r.params)
    throw new FileFormatError(path, "is not a phase report (format injective-relu/phase)");
  return r as PhaseReport;
}
