/**
 * CLI tests of `injective-relu gan train|eval|table` (src/cli/commands/gan.ts) at smoke sizes:
 * `gan train --quick` trains and writes the run; a run killed (SIGKILL) after a checkpoint and
 * started again continues the same run and ends with the same generator as an uninterrupted one;
 * `gan eval` measures a run and `check` proves the injective generator injective; `gan table`
 * tabulates; bad arguments are one-line errors with exit code 3.
 */

import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BIN, runCli } from "../support/cli.js";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ir-gan-cli-"));
});

/** Smoke runs with the small convolutional generator (fast to train, check and invert). */
const QUICK = ["--dataset", "mnist", "--quick", "--arch", "dcgan", "--critic-width", "4"];

/** Runs `injective-relu gan …` (training and evaluation take minutes on a busy machine). */
function gan(...args: string[]) {
  return runCli(["gan", ...args], dir, [], 500_000);
}

describe("gan train --quick", () => {
  it("trains both types and writes the models, samples and the record", () => {
    for (const type of ["injective", "regular"]) {
      const r = gan("train", ...QUICK, "--type", type, "--out", `run-${type}`, "--json");
      expect(r.err).not.toMatch(/at .*\.js:\d+/);
      expect(r.code).toBe(0);
      const rec = JSON.parse(r.out) as {
        complete: boolean;
        step: number;
        config: { type: string; steps: number };
      };
      expect(rec).toMatchObject({ complete: true, step: 6, config: { type, steps: 6 } });
      for (const f of [
        "generator/model.json",
        "encoder/model.json",
        "discriminator/model.json",
        "samples.png",
        "train.json",
      ])
        expect(existsSync(join(dir, `run-${type}`, f))).toBe(true);
    }
    const model = JSON.parse(readFileSync(join(dir, "run-injective/generator/model.json"), "utf8")) as object;
    expect(JSON.stringify(model)).toMatch(/InjectiveConv2dTranspose/);
  }, 400_000);

  it("a run killed after a checkpoint resumes and ends with the same generator", async () => {
    const args = ["gan", "train", ...QUICK, "--type", "injective", "--steps", "8", "--checkpoint-every", "1"];
    const straight = gan("train", ...QUICK, "--type", "injective", "--steps", "8", "--out", "straight");
    expect(straight.code).toBe(0);
    const child = spawn(process.execPath, [BIN, ...args, "--out", "killed"], { cwd: dir, stdio: "ignore" });
    const ckpt = join(dir, "killed/checkpoint/checkpoint.json");
    const killedAt = await new Promise<number>((resolve, reject) => {
      const t = setInterval(() => {
        if (existsSync(ckpt)) {
          const step = (JSON.parse(readFileSync(ckpt, "utf8")) as { step: number }).step;
          if (step >= 2) {
            child.kill("SIGKILL");
            clearInterval(t);
            resolve(step);
          }
        }
      }, 20);
      child.on("exit", () => {
        clearInterval(t);
        reject(new Error("the run ended before it could be killed"));
      });
    });
    expect(killedAt).toBeLessThan(8);
    const resumed = gan(
      "train",
      ...QUICK,
      "--type",
      "injective",
      "--steps",
      "8",
      "--checkpoint-every",
      "1",
      "--out",
      "killed",
    );
    expect(resumed.code).toBe(0);
    const a = readFileSync(join(dir, "straight/generator/weights.bin"));
    const b = readFileSync(join(dir, "killed/generator/weights.bin"));
    expect(b.equals(a)).toBe(true);
  }, 400_000);
});

describe("gan eval and gan table", () => {
  it("evaluates the quick runs; check proves the injective generator injective", () => {
    const evalRun = (run: string, checkSeconds: string) => {
      const r = gan(
        "eval",
        run,
        "--samples",
        "256",
        "--recovery",
        "2",
        "--invert-time-limit",
        "60",
        "--check-time-limit",
        checkSeconds,
        "--classifier-epochs",
        "1",
        "--workers",
        "1",
        "--json",
      );
      expect(r.err).not.toMatch(/at .*\.js:\d+/);
      expect(r.code).toBe(0);
      return (
        JSON.parse(r.out) as {
          type: string;
          w2: number;
          w2Floor: number;
          fid: number;
          score: number;
          check: { injective: boolean | null; conclusion: string };
          recovery: { invert: { clean: { median: number } }; inet: { clean: { median: number } } };
        }[]
      )[0];
    };
    const inj = evalRun("run-injective", "120");
    // The regular generator's first layer has no proof or witness in a few seconds: unknown.
    const reg = evalRun("run-regular", "3");
    expect(inj.type).toBe("injective");
    expect(inj.check).toMatchObject({ injective: true, conclusion: "injective" });
    expect(reg.check.injective).not.toBe(true);
    for (const e of [inj, reg]) {
      expect(e.w2).toBeGreaterThan(0);
      expect(e.w2Floor).toBeGreaterThan(0);
      expect(e.fid).toBeGreaterThan(0);
      expect(e.score).toBeGreaterThanOrEqual(1);
      expect(e.score).toBeLessThanOrEqual(10);
    }
    // invert recovers z on the range of the injective generator (exactly, up to rounding).
    expect(inj.recovery.invert.clean.median).toBeLessThan(1e-3);
    expect(existsSync(join(dir, "classifier-mnist/model.json"))).toBe(true);

    const t = gan("table", ".");
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/mnist\s+injective\s+1/);
    expect(readFileSync(join(dir, "table.md"), "utf8")).toMatch(/\| mnist \| injective \| 1 \|/);
  }, 900_000);

  it("bad arguments are one-line errors with exit code 3", () => {
    const cases: [string[], RegExp][] = [
      [["train", "--dataset", "cifar", "--type", "injective"], /expected mnist, fashion or folder:<path>/],
      [["train", "--dataset", "mnist", "--type", "bijective"], /expected regular or injective/],
      [
        ["train", "--dataset", "folder:/nonexistent-dir", "--type", "regular", "--quick"],
        /cannot read the image folder/,
      ],
      [["eval", "no-such-run"], /no-such-run.*train\.json: cannot read the run record/],
      [["table", "no-such-dir"], /no-such-dir: cannot read the results folder/],
      [["eval", "broken"], /broken.generator.model\.json: cannot load the run's model/],
    ];
    // A finished run whose generator file was damaged.
    mkdirSync(join(dir, "broken/generator"), { recursive: true });
    copyFileSync(join(dir, "run-injective/train.json"), join(dir, "broken/train.json"));
    writeFileSync(join(dir, "broken/generator/model.json"), "{garbage");
    for (const [args, re] of cases) {
      const r = gan(...args);
      expect(r.code, args.join(" ")).toBe(3);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
  });
});
