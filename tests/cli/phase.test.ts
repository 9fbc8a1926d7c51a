/**
 * CLI tests of `injective-relu phase` and `phase merge` (src/cli/commands/phase.ts): run the built
 * binary (npm test builds first) on small sweeps. The same seed must give the same counts with one
 * worker or two, as one run or as two shards merged, and after a kill (SIGKILL) or a Ctrl-C (SIGINT)
 * and a re-run of the same command. Bad input: one line on stderr, exit code 3, no stack trace.
 */

import { describe, it, expect, beforeAll } from "vitest";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, runCli, type CliRun } from "../support/cli.js";

let dir: string;

/** The small sweep of most tests: n = 2..4, α = 2..6, 3 trials (15 points, 45 instances). */
const SMALL = ["--n", "2..4", "--ratio", "2:6:1", "--trials", "3"];
/**
 * A sweep slow enough to interrupt: n = 7, m = 49 and 56 (about 0.1–0.3 s per instance), 8 instances.
 * If the verifier gets so fast that these tests report "the run ended before it could be …", raise n.
 */
const SLOW = ["--n", "7", "--ratio", "7:8:1", "--trials", "4", "--pointwise-n", "none"];

function run(...args: string[]): CliRun {
  return runCli(["phase", ...args], dir);
}

interface Point {
  n: number;
  m: number;
  trials: number;
  injective: number;
  notInjective: number;
  unknown: number;
  medianTimeMs?: number;
  maxTimeMs?: number;
}

/** Points without the timing columns (not part of the determinism claim). */
function counts(points: Point[]) {
  return points.map(({ medianTimeMs: _a, maxTimeMs: _b, ...rest }) => rest);
}

function readReport(out: string) {
  return JSON.parse(readFileSync(join(dir, out, "phase.json"), "utf8"));
}

function lines(path: string): string[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
}

/** Spawns the CLI, sends `signal` once the checkpoint has `atLeast` lines, and waits for the exit. */
function interruptAfter(
  args: string[],
  out: string,
  signal: NodeJS.Signals,
  atLeast = 2,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; sent: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "phase", ...args], { cwd: dir });
    let output = "";
    let sent = false;
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const checkpoint = join(dir, out, "instances.jsonl");
    const timer = setInterval(() => {
      if (!sent && existsSync(checkpoint) && lines(checkpoint).length >= atLeast) {
        sent = true;
        child.kill(signal);
      }
    }, 5);
    child.on("error", reject);
    child.on("exit", (code, sig) => {
      clearInterval(timer);
      resolve({ code, signal: sig, out: output, sent });
    });
  });
}

let reference: { points: Point[]; crossings: unknown[] };

beforeAll(() => {
  expect(existsSync(BIN), "run `npm run build` first (npm test does)").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "injective-relu-phase-"));
  const r = run(...SMALL, "--workers", "1", "--out", "ref", "--pointwise-n", "100");
  expect(r.code, r.err).toBe(0);
  reference = readReport("ref");
});

describe("phase: runs and outputs", () => {
  it("smoke: tables per n, crossings, extrapolation, files written, checkpoint complete", () => {
    const r = run(...SMALL, "--out", "smoke");
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^Gaussian phase transition/);
    for (const n of [2, 3, 4]) expect(r.out).toMatch(new RegExp(`^n = ${n}$`, "m"));
    expect(r.out).toMatch(/m\s+ratio\s+trials\s+injective\s+not\s+unknown\s+p\s+95% interval\s+median time/);
    expect(r.out).toMatch(/Crossings α_½\(n\)/);
    expect(r.out).toMatch(/Extrapolation n → ∞/);
    expect(r.out).toMatch(/Written: .*phase\.csv, .*phase\.json, .*phase\.svg, .*phase\.png/);
    for (const f of [
      "run.json",
      "instances.jsonl",
      "sessions.jsonl",
      "phase.csv",
      "phase.json",
      "phase.svg",
      "phase.png",
    ])
      expect(existsSync(join(dir, "smoke", f)), f).toBe(true);
    expect(lines(join(dir, "smoke", "instances.jsonl"))).toHaveLength(45);
    const csv = lines(join(dir, "smoke", "phase.csv"));
    expect(csv[0]).toMatch(/^kind,n,m,ratio,bias,trials,injective,not_injective,unknown,p,low,high/);
    expect(csv.filter((l) => l.startsWith("sweep,"))).toHaveLength(15);
    expect(csv.some((l) => l.startsWith("pointwise,5000,"))).toBe(true);
    expect(counts(readReport("smoke").points)).toEqual(counts(reference.points));
  });

  it("--json prints phase.json: params, points with counts, crossings, pointwise, compute", () => {
    const r = run(...SMALL, "--json", "--workers", "2", "--out", "json", "--pointwise-n", "100");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      format: "injective-relu/phase",
      version: 1,
      complete: true,
      partial: false,
      expectedInstances: 45,
      doneInstances: 45,
      missingInstances: 0,
    });
    expect(j.params).toMatchObject({
      ns: [2, 3, 4],
      ratios: [2, 3, 4, 5, 6],
      trials: 3,
      seed: 1,
      bias: false,
      timeLimitMs: 60_000,
      ratioSpec: "2:6:1",
      shard: null,
      pointwiseNs: [100],
    });
    expect(j.points).toHaveLength(15);
    for (const p of j.points) {
      expect(p.trials).toBe(3);
      expect(p.injective + p.notInjective + p.unknown).toBe(3);
      expect(p.ratio).toBe(p.m / p.n);
      if (p.m < 2 * p.n) expect(p.injective).toBe(0);
    }
    expect(j.crossings.map((c: { n: number }) => c.n)).toEqual([2, 3, 4]);
    expect("extrapolation" in j).toBe(true);
    expect([...new Set(j.pointwise.map((p: { n: number }) => p.n))]).toEqual([2, 3, 4, 100]);
    expect(j.compute).toMatchObject({ workers: 2, node: process.version });
    expect(j.compute.cpus).toBeGreaterThanOrEqual(1);
    expect(j.compute.wallTimeMs).toBeGreaterThan(0);
    expect(j.compute.sessions).toHaveLength(1);
    expect(j.files.json).toBe(join("json", "phase.json"));
    expect(JSON.parse(readFileSync(join(dir, "json", "phase.json"), "utf8")).points).toEqual(j.points);
    // --workers 2 gives the same counts as --workers 1
    expect(counts(j.points)).toEqual(counts(reference.points));
    expect(j.crossings).toEqual(reference.crossings);
  });

  it("a re-run of a finished sweep resumes everything from the checkpoint", () => {
    const r = run(...SMALL, "--workers", "1", "--out", "ref", "--pointwise-n", "100");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/45 instances: 45 from the checkpoint, 0 run now/);
    expect(lines(join(dir, "ref", "instances.jsonl"))).toHaveLength(45);
  });

  it("--redo-unknown decides the checkpoint's unknown instances again; without it they stay", () => {
    // A finished sweep in which three instances were unknown (as when a busy machine starves them).
    const ref = lines(join(dir, "ref", "instances.jsonl"));
    const starved = [4, 20, 37];
    const edited = ref.map((l, k) =>
      starved.includes(k) ? JSON.stringify({ ...JSON.parse(l), injective: null, method: "none" }) : l,
    );
    mkdirSync(join(dir, "redo"));
    copyFileSync(join(dir, "ref", "run.json"), join(dir, "redo", "run.json"));
    writeFileSync(join(dir, "redo", "instances.jsonl"), edited.join("\n") + "\n");
    const args = [...SMALL, "--workers", "1", "--out", "redo", "--pointwise-n", "100"];
    const kept = run(...args, "--json");
    expect(kept.code, kept.err).toBe(0);
    const unknowns = (j: { points: Point[] }) => j.points.reduce((a, p) => a + p.unknown, 0);
    expect(unknowns(JSON.parse(kept.out))).toBe(3);

    const r = run(...args);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/45 from the checkpoint, 0 run now/);
    const again = run(...args, "--redo-unknown");
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(
      /45 instances: 42 from the checkpoint, 3 run now \(3 of them unknown before, decided again\)/,
    );
    const after = lines(join(dir, "redo", "instances.jsonl"));
    expect(after).toHaveLength(45);
    expect(
      new Set(after.map((l) => JSON.stringify([JSON.parse(l).n, JSON.parse(l).m, JSON.parse(l).trial]))).size,
    ).toBe(45);
    const report = readReport("redo");
    expect(counts(report.points)).toEqual(counts(reference.points));
    const sessions = lines(join(dir, "redo", "sessions.jsonl")).map((l) => JSON.parse(l));
    expect(sessions.at(-1).redoneUnknown.instances).toBe(3);
    // Nothing left to redo: the flag then changes nothing.
    const idle = run(...args, "--redo-unknown");
    expect(idle.out).toMatch(/45 from the checkpoint, 0 run now with/);
  });

  it("without --out: a folder named after the parameters under phase-runs/, never results/", () => {
    const r = run("--n", "2..3", "--ratio", "2:3:1", "--trials", "2", "--workers", "1", "--seed", "5");
    expect(r.code, r.err).toBe(0);
    const out = join("phase-runs", "n2-3_ratio2-3-1_trials2_seed5");
    expect(existsSync(join(dir, out, "phase.json"))).toBe(true);
    expect(existsSync(join(dir, "results"))).toBe(false);
    // The same command resumes from that folder.
    const again = run("--n", "2..3", "--ratio", "2:3:1", "--trials", "2", "--workers", "1", "--seed", "5");
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/resum|checkpoint/i);
  });

  it("--bias changes the layers (and the run's parameters)", () => {
    const r = run("--n", "2", "--ratio", "3", "--trials", "4", "--bias", "--json", "--out", "bias");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.params.bias).toBe(true);
    expect(j.points).toHaveLength(1);
    expect(j.points[0]).toMatchObject({ n: 2, m: 6, bias: true, trials: 4 });
  });
});

describe("phase: shards and merge", () => {
  it("shard 1/2 + shard 2/2 merged equal the unsharded run", () => {
    const a = run(...SMALL, "--shard", "1/2", "--workers", "1", "--out", "s1");
    expect(a.code, a.err).toBe(0);
    expect(a.out).toMatch(/23 instances in shard 1\/2/);
    expect(a.out).toMatch(/partial counts/);
    expect(existsSync(join(dir, "s1", "phase.json"))).toBe(false);
    const b = run(...SMALL, "--shard", "2/2", "--workers", "2", "--out", "s2");
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/22 instances in shard 2\/2/);

    const m = runCli(["phase", "merge", "s1", "s2", "--out", "merged", "--pointwise-n", "100"], dir);
    expect(m.code, m.err).toBe(0);
    expect(m.out).toMatch(/Merged 2 directories \(s1, s2\).*45 of 45 instances/);
    const merged = readReport("merged");
    expect(merged.complete).toBe(true);
    expect(counts(merged.points)).toEqual(counts(reference.points));
    expect(merged.crossings).toEqual(reference.crossings);
    expect(merged.compute.sessions).toHaveLength(2);
    expect(lines(join(dir, "merged", "instances.jsonl"))).toHaveLength(45);
    for (const f of ["phase.csv", "phase.svg", "phase.png"])
      expect(existsSync(join(dir, "merged", f))).toBe(true);
  });

  it("merge refuses missing and duplicate instances and other parameters; --allow-partial reports what is missing", () => {
    const missing = runCli(["phase", "merge", "s1", "--out", "m1"], dir);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(
      /^injective-relu: 22 of 45 instances are missing \(n=2 m=4 trial 1, .*--allow-partial\n$/,
    );

    const dup = runCli(["phase", "merge", "s1", "s1", "s2", "--out", "m1"], dir);
    expect(dup.code).toBe(3);
    expect(dup.err).toMatch(
      /the shards overlap: 23 duplicate instance\(s\), e\.g\. n=2 m=4 trial 0 in both s1 and s1/,
    );

    expect(run(...SMALL, "--seed", "2", "--shard", "2/2", "--out", "s2seed2").code).toBe(0);
    const other = runCli(["phase", "merge", "s1", "s2seed2", "--out", "m1"], dir);
    expect(other.code).toBe(3);
    expect(other.err).toMatch(/s1 and s2seed2 are runs with other parameters \(seed 1 vs 2\)/);

    const partial = runCli(["phase", "merge", "s1", "--out", "m1", "--allow-partial", "--json"], dir);
    expect(partial.code, partial.err).toBe(0);
    const j = JSON.parse(partial.out);
    expect(j).toMatchObject({
      complete: false,
      doneInstances: 23,
      missingInstances: 22,
      expectedInstances: 45,
    });
    const human = runCli(["phase", "merge", "s1", "--out", "m2", "--allow-partial"], dir);
    expect(human.out).toMatch(/PARTIAL: 22 instances missing \(n=2: 7, n=3: 8, n=4: 7\)/);

    const into = runCli(["phase", "merge", "s1", "s2", "--out", "s1"], dir);
    expect(into.code).toBe(3);
    expect(into.err).toMatch(/is one of the merged directories/);
    const notRun = runCli(["phase", "merge", "s1", "nowhere", "--out", "m3"], dir);
    expect(notRun.code).toBe(3);
    expect(notRun.err).toMatch(/nowhere: is not a phase run directory/);
  });
});

describe("phase combine", () => {
  it("joins sweeps at different n, recomputes the crossings, refuses overlapping n", () => {
    const common = ["--ratio", "2:8:1", "--trials", "12", "--workers", "1", "--pointwise-n", "none"];
    for (const [n, out] of [
      ["2", "c2"],
      ["3", "c3"],
      ["4", "c4"],
    ]) {
      const r = run("--n", n, ...common, "--out", out);
      expect(r.code, r.err).toBe(0);
    }
    const c = runCli(["phase", "combine", "c2", "c3", "c4", "--out", "combined", "--fit-min-n", "2"], dir);
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/Combined 3 sweep\(s\)/);
    expect(c.out).toMatch(/Extrapolation n → ∞ by the smallest n used/);
    const rep = JSON.parse(readFileSync(join(dir, "combined", "phase.json"), "utf8"));
    expect(rep.format).toBe("injective-relu/phase-combined");
    expect(rep.points.map((p: Point) => p.n)).toEqual([
      ...Array(7).fill(2),
      ...Array(7).fill(3),
      ...Array(7).fill(4),
    ]);
    // The crossings are those of the single sweeps (same points, same fit).
    for (const [n, out] of [
      [2, "c2"],
      [3, "c3"],
    ] as const) {
      const single = readReport(out).crossings.find((x: { n: number }) => x.n === n);
      expect(rep.crossings.find((x: { n: number }) => x.n === n)).toEqual(single);
    }
    for (const f of ["phase.csv", "phase.svg", "phase.png"])
      expect(existsSync(join(dir, "combined", f))).toBe(true);

    const dup = runCli(["phase", "combine", "c2", "c2", "--out", "combined2"], dir);
    expect(dup.code).toBe(3);
    expect(dup.err.trim().split("\n")).toHaveLength(1);
    expect(dup.err).toMatch(/both have points at n = 2/);
    const missing = runCli(["phase", "combine", "nothere", "--out", "combined3"], dir);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/phase\.json/);
  });
});

describe("phase: interruption and resume", () => {
  let slowReference: Point[];

  beforeAll(() => {
    const r = run(...SLOW, "--workers", "2", "--json", "--out", "slow-ref");
    expect(r.code, r.err).toBe(0);
    slowReference = JSON.parse(r.out).points;
  });

  it("SIGKILL after some checkpoint lines, then the same command: the same table", async () => {
    const args = [...SLOW, "--workers", "1", "--batch-size", "1", "--out", "killed"];
    const k = await interruptAfter(args, "killed", "SIGKILL");
    expect(k.sent, "the run ended before it could be killed").toBe(true);
    expect(k.signal).toBe("SIGKILL");
    expect(existsSync(join(dir, "killed", "phase.json"))).toBe(false);
    const done = lines(join(dir, "killed", "instances.jsonl")).length;
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(8);

    const r = run(...args, "--json");
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.complete).toBe(true);
    expect(counts(j.points)).toEqual(counts(slowReference));
    expect(lines(join(dir, "killed", "instances.jsonl"))).toHaveLength(8);
  });

  it("Ctrl-C (SIGINT): stops after the running instance, keeps the checkpoint, prints how to resume, exit 130", async () => {
    const args = [...SLOW, "--workers", "1", "--batch-size", "1", "--out", "interrupted"];
    const k = await interruptAfter(args, "interrupted", "SIGINT", 1);
    expect(k.sent, "the run ended before it could be interrupted").toBe(true);
    expect(k.code).toBe(130);
    expect(k.out).toMatch(/Interrupted: \d of 8 instances done, kept in interrupted\/instances\.jsonl/);
    expect(k.out).toMatch(
      /Resume with the same command:\n {2}injective-relu phase --n 7 .*--out interrupted/,
    );
    const done = lines(join(dir, "interrupted", "instances.jsonl")).length;
    expect(done).toBeLessThan(8);

    const r = run(...args);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`8 instances: ${done} from the checkpoint, ${8 - done} run now`));
    expect(counts(readReport("interrupted").points)).toEqual(counts(slowReference));
  });
});

describe("phase: bad input", () => {
  const cases: [string, string[], RegExp][] = [
    ["n < 1", ["--n", "0..3", "--ratio", "2:3:1"], /--n <list>.*values must be >= 1/],
    ["bad range syntax", ["--n", "2-5", "--ratio", "2:3:1"], /--n <list>.*expected integers/],
    ["ratio step <= 0", ["--n", "2", "--ratio", "2:3:0"], /step must be > 0/],
    ["bad ratio syntax", ["--n", "2", "--ratio", "two"], /expected start:stop:step/],
    [
      "trials < 1",
      ["--n", "2", "--ratio", "2:3:1", "--trials", "0"],
      /--trials <n>.*expected an integer >= 1/,
    ],
    ["shard k > N", ["--n", "2", "--ratio", "2:3:1", "--shard", "3/2"], /1 <= k <= N, got 3\/2/],
    ["missing --n", ["--ratio", "2:3:1"], /required option '--n <list>' not specified/],
    [
      "out dir not writable",
      ["--n", "2", "--ratio", "2:3:1", "--out", "afile/out"],
      /afile\/out: cannot write/,
    ],
  ];
  it.each(cases)("%s: one line on stderr, exit 3", (_name, args, pattern) => {
    writeFileSync(join(dir, "afile"), "");
    const r = run(...args);
    expect(r.code).toBe(3);
    expect(r.out).toBe("");
    expect(r.err).toMatch(pattern);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("a re-run with other parameters in the same --out is refused", () => {
    const r = run(...SMALL, "--trials", "4", "--workers", "1", "--out", "ref");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/ref\/run\.json: belongs to a run with other parameters \(trials 3 vs 4\)/);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });

  it("a corrupt checkpoint line in the middle is refused (a truncated last line is not)", () => {
    const args = ["--n", "2", "--ratio", "3", "--trials", "4", "--workers", "1", "--pointwise-n", "none"];
    expect(run(...args, "--out", "corrupt").code).toBe(0);
    const path = join(dir, "corrupt", "instances.jsonl");
    const good = lines(path);
    writeFileSync(path, good.slice(0, 2).join("\n") + "\n" + good[2].slice(0, 20));
    const resumed = run(...args, "--out", "corrupt");
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/2 from the checkpoint \(a truncated last line was dropped\), 2 run now/);

    writeFileSync(path, [good[0], "not json", good[2], good[3], ""].join("\n"));
    const r = run(...args, "--out", "corrupt");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/corrupt\/instances\.jsonl: line 2 is not a valid instance/);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });
});
