/**
 * Tests of the phase sweep's files (src/io/phase-files.ts): the append-only checkpoint (a truncated
 * last line is dropped and cut off, a bad line elsewhere is an error), run.json and its comparison,
 * and the CSV layout.
 */

import { describe, it, expect, beforeEach } from "vitest";
import { mkdtempSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isInputError } from "../../src/core/index.js";
import type { PhaseReport } from "../../src/experiments/phase.js";
import type { PhaseInstance } from "../../src/experiments/phase-types.js";
import {
  appendInstances,
  diffRunParams,
  ensureWritableDir,
  INSTANCES_FILE,
  phaseCsv,
  readCheckpoint,
  readRunFile,
  writeRunFile,
  type PhaseRunFile,
} from "../../src/io/phase-files.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "injective-relu-phase-files-"));
});

const inst = (trial: number, injective: boolean | null = true): PhaseInstance => ({
  n: 2,
  m: 5,
  trial,
  seed: 100 + trial,
  injective,
  method: "exhaustive",
  timeMs: 1.5,
});

const RUN: PhaseRunFile = {
  format: "injective-relu/phase-run",
  version: 1,
  ns: [2, 3],
  ratios: [2, 2.5],
  trials: 4,
  seed: 1,
  bias: false,
  timeLimitMs: 60_000,
  ratioSpec: "2:2.5:0.5",
  shard: { index: 1, count: 2 },
};

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("checkpoint", () => {
  it("appends and reads back, in order; no file means no instances", () => {
    expect(readCheckpoint(dir)).toEqual({ instances: [], truncated: false });
    appendInstances(dir, [inst(0), inst(1, false)]);
    appendInstances(dir, [inst(2, null)]);
    expect(readCheckpoint(dir)).toEqual({
      instances: [inst(0), inst(1, false), inst(2, null)],
      truncated: false,
    });
  });

  it("a truncated last line is dropped, and cut off with repair so that appends start a fresh line", () => {
    appendInstances(dir, [inst(0), inst(1)]);
    const path = join(dir, INSTANCES_FILE);
    appendFileSync(path, JSON.stringify(inst(2)).slice(0, 25));
    expect(readCheckpoint(dir)).toEqual({ instances: [inst(0), inst(1)], truncated: true });
    readCheckpoint(dir, { repair: true });
    appendInstances(dir, [inst(3)]);
    expect(readCheckpoint(dir)).toEqual({ instances: [inst(0), inst(1), inst(3)], truncated: false });
  });

  it("a complete last line without its newline is kept (and the newline added with repair)", () => {
    const path = join(dir, INSTANCES_FILE);
    writeFileSync(path, JSON.stringify(inst(0)) + "\n" + JSON.stringify(inst(1)));
    expect(readCheckpoint(dir, { repair: true }).instances).toEqual([inst(0), inst(1)]);
    appendInstances(dir, [inst(2)]);
    expect(readCheckpoint(dir).instances).toEqual([inst(0), inst(1), inst(2)]);
  });

  it("a bad line in the middle is a one-line input error naming the file and line; blank lines are skipped", () => {
    const path = join(dir, INSTANCES_FILE);
    writeFileSync(path, [JSON.stringify(inst(0)), "", "{oops", JSON.stringify(inst(1)), ""].join("\n"));
    const e = thrown(() => readCheckpoint(dir));
    expect(isInputError(e)).toBe(true);
    expect(e.message).toMatch(/instances\.jsonl: line 3 is not a valid instance/);
    expect(e.message).not.toMatch(/\n/);
    writeFileSync(
      path,
      [JSON.stringify(inst(0)), JSON.stringify({ ...inst(1), injective: "yes" }), ""].join("\n"),
    );
    // the last line is bad too, but followed by a newline only: taken as truncated
    expect(readCheckpoint(dir)).toEqual({ instances: [inst(0)], truncated: true });
  });
});

describe("run.json", () => {
  it("round-trips, and diffs name the parameters that differ (the shard only when asked)", () => {
    expect(readRunFile(dir)).toBeNull();
    writeRunFile(dir, RUN);
    expect(readRunFile(dir)).toEqual(RUN);
    expect(diffRunParams(RUN, { ...RUN, toolVersion: "9", createdAt: "x" })).toEqual([]);
    expect(diffRunParams(RUN, { ...RUN, trials: 5, bias: true })).toEqual([
      "trials 4 vs 5",
      "bias false vs true",
    ]);
    const other = { ...RUN, shard: { index: 2, count: 2 } };
    expect(diffRunParams(RUN, other)).toEqual(["shard 1/2 vs 2/2"]);
    expect(diffRunParams(RUN, other, { ignoreShard: true })).toEqual([]);
  });

  it("a malformed run.json is an input error", () => {
    writeFileSync(join(dir, "run.json"), "{");
    expect(isInputError(thrown(() => readRunFile(dir)))).toBe(true);
    writeFileSync(join(dir, "run.json"), JSON.stringify({ ...RUN, format: "other" }));
    expect(thrown(() => readRunFile(dir)).message).toMatch(/not a phase run file/);
  });

  it("an output path under a file is an input error", () => {
    const file = join(dir, "file");
    writeFileSync(file, "");
    const e = thrown(() => ensureWritableDir(join(file, "out")));
    expect(isInputError(e)).toBe(true);
    expect(e.message).toMatch(/cannot write the output directory/);
  });
});

describe("CSV", () => {
  it("one sweep row per point, then the pointwise rows, with empty cells for what does not apply", () => {
    const report = {
      points: [
        {
          n: 2,
          m: 5,
          ratio: 2.5,
          bias: false,
          trials: 3,
          injective: 2,
          notInjective: 1,
          unknown: 0,
          p: 2 / 3,
          low: 0.2,
          high: 0.9,
          medianTimeMs: 1.23456,
          maxTimeMs: 2,
        },
      ],
      pointwise: [
        {
          n: 100,
          m: 250,
          ratio: 2.5,
          bias: false,
          exact: 0.99,
          monteCarlo: null,
        },
      ],
    } as unknown as PhaseReport;
    const lines = phaseCsv(report).trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    const header = lines[0].split(",");
    expect(header.slice(0, 4)).toEqual(["kind", "n", "m", "ratio"]);
    const sweep = Object.fromEntries(header.map((h, j) => [h, lines[1].split(",")[j]]));
    expect(sweep).toMatchObject({
      kind: "sweep",
      injective: "2",
      not_injective: "1",
      median_time_ms: "1.235",
    });
    expect(sweep.pointwise_exact).toBe("");
    const pw = Object.fromEntries(header.map((h, j) => [h, lines[2].split(",")[j]]));
    expect(pw).toMatchObject({ kind: "pointwise", n: "100", m: "250", pointwise_exact: "0.99", trials: "" });
  });
});
