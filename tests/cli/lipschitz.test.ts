/**
 * CLI tests of `injective-relu lipschitz` (src/cli/commands/lipschitz.ts): run the built binary
 * (npm test builds first) and check the human report, the JSON fields, the exit codes
 * (0 injective, 1 not injective, 2 truncated, 3 bad input) and one-line errors.
 */

import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, runCli, type CliRun } from "../support/cli.js";

const ROOT = join(import.meta.dirname, "../..");
const EXAMPLES = join(ROOT, "examples/layers");
let dir: string;

function run(...args: string[]): CliRun {
  return runCli(["lipschitz", ...args], dir);
}

function write(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

beforeAll(() => {
  expect(existsSync(BIN), "run `npm run build` first (npm test does)").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "injective-relu-lipschitz-"));
});

describe("lipschitz: reports and exit codes", () => {
  it("injective Corollary 2 layer: exit 0, the three numbers, the Corollary 2 bound and where the truth lies", () => {
    const r = run(join(EXAMPLES, "04-figure2-center.json"));
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/Verdict: injective/);
    expect(r.out).toMatch(/C\(W\)\s+0\.48859/);
    expect(r.out).toMatch(/σ_min over active sets\s+1\.38197/);
    expect(r.out).toMatch(/naive σ_min\(W\)\s+2\.12/);
    expect(r.out).toMatch(/empirical ratio\s+\d/);
    expect(r.out).toMatch(/Corollary 2 bound\s+0\.48859/);
    expect(r.out).toMatch(/lies in \[/);
    expect(r.out).toMatch(/seed 1/);
  });

  it("--json: the four numbers, exact C, the seed and the number of samples", () => {
    const r = run(
      join(EXAMPLES, "05-corollary2-extra-rows.json"),
      "--json",
      "--samples",
      "500",
      "--seed",
      "7",
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const key of ["C", "sigmaMinActive", "naiveSigmaMin", "empiricalRatio"]) {
      expect(typeof j[key]).toBe("number");
    }
    expect(j.file).toMatch(/05-corollary2-extra-rows\.json$/);
    expect(j.injective).toBe(true);
    expect(j.exact).toBe(true);
    expect(j.C).toBeCloseTo(j.sigmaMinActive / 4, 12); // m = 8: (2m)^(-1/2) = 1/4
    expect(j.empiricalRatio).toBeGreaterThanOrEqual(j.C);
    expect(j.empirical.seed).toBe(7);
    expect(j.empirical.samples).toBe(500);
    expect(j.structure.corollary2).toBe(true);
    expect(j.stats.complete).toBe(true);
  });

  it("the same seed gives the same empirical ratio", () => {
    const f = join(EXAMPLES, "04-figure2-center.json");
    const a = JSON.parse(run(f, "--json", "--seed", "3", "--samples", "300").out);
    const b = JSON.parse(run(f, "--json", "--seed", "3", "--samples", "300").out);
    expect(a.empiricalRatio).toBe(b.empiricalRatio);
  });

  it("non-injective layer: C = 0 and the witness, exit 1", () => {
    const r = run(join(EXAMPLES, "03-figure2-left.json"));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Verdict: NOT injective/);
    expect(r.out).toMatch(/C\(W\)\s+0\s/);
    expect(r.out).toMatch(/x1 = \[/);
    expect(r.out).toMatch(/F\(x1\) = F\(x2\)/);
    expect(r.out).toMatch(/is 0: F is not injective/);
    const j = JSON.parse(run(join(EXAMPLES, "03-figure2-left.json"), "--json").out);
    expect(j.C).toBe(0);
    expect(j.injective).toBe(false);
    expect(j.witness.x1).toHaveLength(2);
  });

  it("--domain nonnegative: the identity is injective there, with C = 1/√(2·2)", () => {
    const f = write(
      "id.json",
      JSON.stringify({
        W: [
          [1, 0],
          [0, 1],
        ],
      }),
    );
    const j = JSON.parse(run(f, "--domain", "nonnegative", "--json").out);
    expect(j.domain).toBe("nonnegative");
    expect(j.injective).toBe(true);
    expect(j.C).toBeCloseTo(0.5, 12);
    expect(run(f).code).toBe(1);
  });

  it("a truncated enumeration: exit 2, C unknown with an upper bound", () => {
    const f = join(EXAMPLES, "10-gaussian-n4-alpha10.json");
    const r = run(f, "--max-cells", "50", "--samples", "200");
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/C\(W\)\s+unknown/);
    expect(r.out).toMatch(/upper bound on C\(W\)/);
    const j = JSON.parse(run(f, "--max-cells", "50", "--samples", "200", "--json").out);
    expect(j.C).toBeNull();
    expect(j.exact).toBe(false);
    expect(j.enumerated.cells).toBe(50);
    expect(j.stats.stopReason).toBe("cell-limit");
  });

  it("bad input: one line on stderr, exit 3", () => {
    const missing = run(join(dir, "nope.json"));
    expect(missing.code).toBe(3);
    expect(missing.err.trim().split("\n")).toHaveLength(1);
    expect(missing.err).toMatch(/nope\.json: cannot read file/);
    const nan = write("bad.json", '{"W": [[1, "x"]]}');
    const r = run(nan, "--json");
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out).error.exitCode).toBe(3);
    const f = join(EXAMPLES, "04-figure2-center.json");
    expect(run(f, "--samples", "0").code).toBe(3);
    expect(run(f, "--max-cells", "-1").code).toBe(3);
    expect(run(f, "--domain", "positive").code).toBe(3);
    expect(run(f, "--time-limit", "0").code).toBe(3);
  });
});
