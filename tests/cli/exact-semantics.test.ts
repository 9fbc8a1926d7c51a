/**
 * CLI regressions of issue 9: exact verdicts for the matrix as given, `verify` cannot be fooled, and
 * bad tolerances are refused with one line.
 */

import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliRun } from "../support/cli.js";

let dir: string;
const run = (...args: string[]): CliRun => runCli(args, dir);
const write = (name: string, value: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof value === "string" ? value : JSON.stringify(value));
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "injective-relu-exact-"));
  write("b30.json", {
    W: [
      [1073741824, 0],
      [1073741824, 1],
      [-1073741824, 0],
      [-1073741824, -1],
    ],
  });
  write("gap.json", { W: [[1], [-1]], b: [0, -1e-10] });
  write("big.json", {
    W: [
      [1.7e308, 1.7e308],
      [1.7e308, -1.7e308],
      [-1.7e308, -1.7e308],
    ],
  });
  write("w.json", {
    W: [
      [2.5, 0.1],
      [0.1, 2.5],
    ],
  });
  write("forged.json", {
    kind: "dual-cover",
    domain: "all",
    m: 2,
    n: 2,
    duals: [
      { rows: [0], weights: [1e308] },
      { rows: [1], weights: [1e308] },
    ],
  });
  write("id.json", {
    W: [
      [1, 0],
      [0, 1],
    ],
  });
});

describe("check: exact verdicts", () => {
  it("[B; −B] with 2^30 entries: injective (exit 0), with an exact certificate", () => {
    const r = run("check", "b30.json", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.injective).toBe(true);
    expect(j.exact).toBe(true);
  });

  it("a dead zone of width 1e-10: NOT injective (exit 1), the witness re-verifies with `verify`", () => {
    const r = run("check", "gap.json", "--json");
    expect(r.code).toBe(1);
    write("gap-evidence.json", r.out);
    const v = run("verify", "gap.json", "gap-evidence.json", "--json");
    expect(v.code).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({ kind: "witness", valid: true, exact: true });
  });

  it("entries near 1e308: a finite witness that re-verifies", () => {
    const r = run("check", "big.json", "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect([...j.witness.x1, ...j.witness.x2].every(Number.isFinite)).toBe(true);
    write("big-evidence.json", r.out);
    expect(run("verify", "big.json", "big-evidence.json").code).toBe(0);
  });

  it("bad tolerances: one line, exit 3", () => {
    for (const t of ["NaN", "2", "0", "-1e-9", "Infinity"]) {
      const r = run("check", "gap.json", "--tolerance", t);
      expect(r.code, t).toBe(3);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("verify cannot be fooled", () => {
  it("rejects the forged 1e308 certificate (exit 1)", () => {
    const r = run("verify", "w.json", "forged.json");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/INVALID/);
  });

  it("--domain all refuses a certificate for the orthant; the certificate's own domain is reported", () => {
    const c = run("check", "id.json", "--domain", "nonnegative", "--json");
    expect(c.code).toBe(0);
    write("id-cert.json", c.out);
    const own = run("verify", "id.json", "id-cert.json");
    expect(own.code).toBe(0);
    expect(own.out).toMatch(/VALID for the domain nonnegative orthant/);
    const all = run("verify", "id.json", "id-cert.json", "--domain", "all", "--json");
    expect(all.code).toBe(1);
    expect(JSON.parse(all.out)).toMatchObject({ valid: false, domain: "all" });
  });

  it("a near-collision in floating point is INVALID", () => {
    write("near.json", { x1: [1, 1], x2: [1.3, 0.9] });
    write("v.json", {
      W: [
        [0.1, 0.3],
        [-1, 0.2],
      ],
    });
    const r = run("verify", "v.json", "near.json", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ valid: false, approximate: true });
  });
});

describe("check --snap: the explicit 'injective up to ε' question", () => {
  it("a float-rounded [B; −DB] is NOT injective as given and injective up to 1e-12", () => {
    write("fp.json", {
      W: [
        [0, 0.004],
        [-0.024, -0.016],
        [-0, -0.00004],
        [0.00024, 0.00016],
      ],
    });
    expect(run("check", "fp.json").code).toBe(1);
    const r = run("check", "fp.json", "--snap", "1e-12", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.snap.snapped).toHaveLength(2);
    expect(j.snap.maxAngle).toBeLessThan(1e-12);
    // The snapped layer and its certificate re-verify.
    write("fp-snapped.json", { W: j.snap.W });
    write("fp-cert.json", j.certificate);
    expect(run("verify", "fp-snapped.json", "fp-cert.json").code).toBe(0);
    expect(run("check", "fp.json", "--snap", "0.5").code).toBe(3);
  });
});

describe("input-sized spreads are gone from the verifier", () => {
  it("one JSON row of 130,000 entries: NOT injective (rank 1), no stack overflow", () => {
    write("row130k.json", { W: [Array.from({ length: 130_000 }, (_, j) => (j % 7) - 3)] });
    const r = run("check", "row130k.json", "--json", "--time-limit", "30");
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.method).toBe("rank");
    expect(j.witness.exact).toBe(true);
  });
});

describe("many rows in few dimensions", () => {
  it("100,000 rows on the unit circle: the separation LPs use constraint generation (no m² tableau)", () => {
    write("circle.json", { W: Array.from({ length: 100_000 }, (_, i) => [Math.sin(i), Math.cos(i)]) });
    const r = run("check", "circle.json", "--json", "--time-limit", "60");
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).exact).toBe(true);
  });
});
