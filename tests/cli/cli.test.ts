/**
 * CLI tests: run the built binary (npm test builds first) and check JSON shape, exit codes and
 * one-line bad-input messages.
 */

import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNpy } from "../../src/io/npy.js";
import { BIN, runCli, type CliRun } from "../support/cli.js";

let dir: string;

function run(...args: string[]): CliRun {
  return runCli(args, dir);
}

function write(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

beforeAll(() => {
  expect(existsSync(BIN), "run `npm run build` first (npm test does)").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "injective-relu-cli-"));
});

describe("check: verdicts, JSON and exit codes", () => {
  it("injective layer: exit 0, certificate in JSON", () => {
    const f = write(
      "inj.json",
      JSON.stringify({
        W: [
          [2, 1],
          [1, 3],
          [-2, -1],
          [-0.5, -1.5],
        ],
      }),
    );
    const r = run("check", f, "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.injective).toBe(true);
    expect(typeof j.method).toBe("string");
    expect(j.certificate.kind).toBe("dual-cover");
    expect(j.witness).toBeUndefined();
  });

  it("non-injective layer: exit 1, witness with equal outputs", () => {
    const W = [
      [1, 0],
      [0, 1],
      [-1, -1],
    ];
    const f = write("noninj.json", JSON.stringify({ W }));
    const r = run("check", f, "--json", "--method", "exhaustive");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.injective).toBe(false);
    expect(j.method).toBe("exhaustive");
    const { x1, x2 } = j.witness as { x1: number[]; x2: number[] };
    const F = (x: number[]) => W.map((w) => Math.max(0, w[0] * x[0] + w[1] * x[1]));
    expect(F(x1)).toEqual(F(x2));
    expect(Math.hypot(x1[0] - x2[0], x1[1] - x2[1])).toBeGreaterThan(1e-3);
  });

  it("human output names the verdict, the active rows and their rank", () => {
    const f = write(
      "id.json",
      JSON.stringify({
        W: [
          [1, 0],
          [0, 1],
        ],
      }),
    );
    const r = run("check", f);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/NOT injective/);
    expect(r.out).toMatch(/rank \d < 2/);
    expect(r.out).toMatch(/x1 = \[/);
    const nn = run("check", f, "--domain", "nonnegative");
    expect(nn.code).toBe(0);
    expect(nn.out).toMatch(/injective/);
  });

  it("the nonnegative domain's witness lies in the orthant", () => {
    const f = write(
      "orth.json",
      JSON.stringify({
        W: [
          [1, -1],
          [-1, 1],
          [1, 1],
        ],
      }),
    );
    const r = run("check", f, "--domain", "nonnegative", "--json");
    const j = JSON.parse(r.out);
    expect(r.code).toBe(j.injective ? 0 : 1);
    if (j.witness) expect([...j.witness.x1, ...j.witness.x2].every((v: number) => v >= 0)).toBe(true);
  });

  it("unknown: structure method that does not apply exits 2 with injective null", () => {
    const f = write(
      "gauss.json",
      JSON.stringify({
        W: [
          [1, 0.3],
          [0.2, 1],
          [-1, 0.4],
          [0.1, -1],
          [-0.7, -0.6],
        ],
      }),
    );
    const r = run("check", f, "--method", "structure", "--json");
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).injective).toBeNull();
  });

  it("time limit: a large exhaustive search answers unknown (exit 2), never a guess", () => {
    let s = 3;
    const rnd = () => ((s = (s * 16807) % 2147483647), s / 2147483647 - 0.5);
    const W = Array.from({ length: 120 }, () => Array.from({ length: 8 }, rnd));
    const f = write("big.json", JSON.stringify({ W }));
    const r = run("check", f, "--method", "exhaustive", "--time-limit", "0.3", "--json");
    expect(r.code).toBe(2);
    const j = JSON.parse(r.out);
    expect(j.injective).toBeNull();
    expect(j.reason).toMatch(/time limit/);
  });

  it("reads .npy files", () => {
    const f = write("w.npy", writeNpy([4, 2], [1, 0, 0, 1, -1, 0, 0, -1]));
    const r = run("check", f, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).injective).toBe(true);
  });

  it("several files: a table, and the largest exit code", () => {
    const a = write(
      "m1.json",
      JSON.stringify({
        W: [
          [1, 0],
          [0, 1],
          [-1, 0],
          [0, -1],
        ],
      }),
    );
    const b = write(
      "m2.json",
      JSON.stringify({
        W: [
          [1, 0],
          [0, 1],
        ],
      }),
    );
    const r = run("check", a, b);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/m1\.json.*injective/);
    expect(r.out).toMatch(/m2\.json.*NOT injective/);
  });
});

describe("verify", () => {
  it("re-checks the certificate and the witness printed by check --json", () => {
    const f = write(
      "v.json",
      JSON.stringify({
        W: [
          [3, 1],
          [1, 2],
          [-1, -1],
          [2, -5],
          [-4, 1],
        ],
      }),
    );
    const out = run("check", f, "--json", "--method", "exhaustive");
    const ev = write("v-out.json", out.out);
    const r = run("verify", f, ev);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/VALID/);
    // A tampered certificate or witness is rejected.
    const j = JSON.parse(out.out);
    if (j.certificate) j.certificate.duals = j.certificate.duals.slice(1);
    if (j.witness) j.witness.x2 = j.witness.x2.map((v: number) => v + 0.5);
    const bad = write("v-bad.json", JSON.stringify(j));
    const r2 = run("verify", f, bad);
    expect(r2.code).toBe(1);
    expect(r2.out).toMatch(/INVALID/);
  });
});

describe("check --proof and verify", () => {
  it("keeps the search's proof in the certificate; verify replays it, and a broken proof is not trusted", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2 - 1;
    const f = write(
      "p.json",
      JSON.stringify({ W: Array.from({ length: 42 }, () => Array.from({ length: 6 }, rnd)) }),
    );
    const out = run("check", f, "--json", "--proof", "--method", "branch-and-bound");
    const j = JSON.parse(out.out);
    expect(j.injective).toBe(true);
    expect(j.certificate.proof.format).toBe("injective-relu/flat-proof");
    const r = run("verify", f, write("p-out.json", out.out));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/proof .* replays/);
    // Without the proof: the same verdict by the cover check.
    const plain = structuredClone(j);
    delete plain.certificate.proof;
    const r0 = run("verify", f, write("p-plain.json", JSON.stringify(plain)));
    expect(r0.code).toBe(0);
    expect(r0.out).toMatch(/cover nodes/);
    // A proof that does not hold is not trusted: the cover check decides (the duals still cover).
    const wrong = structuredClone(j);
    wrong.certificate.proof.tokens = "AQ==";
    wrong.certificate.proof.length = 1;
    const r1 = run("verify", f, write("p-wrong.json", JSON.stringify(wrong)));
    expect(r1.code).toBe(0);
    expect(r1.out).toMatch(/does not hold.*cover check decided/);
    // A malformed proof makes the certificate malformed.
    const bad = structuredClone(j);
    bad.certificate.proof.tokens = "not base64!";
    const r2 = run("verify", f, write("p-bad.json", JSON.stringify(bad)));
    expect(r2.code).toBe(1);
    expect(r2.out).toMatch(/malformed proof/);
  });
});

describe("bad input: one line, exit 3, no stack trace", () => {
  const cases: [string, () => string[], RegExp][] = [
    ["missing file", () => ["check", join(dir, "nope.json")], /nope\.json.*(no such file)/],
    ["invalid JSON", () => ["check", write("bad.json", "{ W: [1, 2")], /bad\.json.*invalid JSON/],
    ["ragged rows", () => ["check", write("ragged.json", '{"W": [[1, 2], [3]]}')], /ragged/],
    ["empty matrix", () => ["check", write("empty.json", '{"W": []}')], /empty/],
    ["empty rows", () => ["check", write("empty2.json", '{"W": [[]]}')], /length 0|empty/],
    ["Inf (1e999)", () => ["check", write("inf.json", '{"W": [[1e999, 1]]}')], /finite/],
    ["string entry", () => ["check", write("str.json", '{"W": [["a", 1]]}')], /number/],
    [
      "bias of the wrong length",
      () => ["check", write("bias.json", '{"W": [[1, 0], [0, 1]], "b": [1]}')],
      /b has length 1, expected 2/,
    ],
    ["NaN in .npy", () => ["check", write("nan.npy", writeNpy([2, 2], [1, NaN, 0, 1]))], /finite.*NaN/],
    [
      "wrong .npy dtype",
      () => ["check", write("c.npy", npyWithHeader("<c16", false, [1, 1], 16))],
      /c16|complex/,
    ],
    [
      "Fortran-order .npy",
      () => ["check", write("f.npy", npyWithHeader("<f8", true, [2, 2], 32))],
      /Fortran/,
    ],
    [
      "truncated .npy",
      () => ["check", write("t.npy", writeNpy([3, 3], new Array(9).fill(1)).slice(0, 100))],
      /truncated/,
    ],
    ["bad option value", () => ["check", write("ok.json", '{"W": [[1]]}'), "--domain", "positive"], /domain/],
    [
      "negative time limit",
      () => ["check", write("ok2.json", '{"W": [[1]]}'), "--time-limit", "-1"],
      /positive number/,
    ],
  ];
  for (const [name, args, re] of cases) {
    it(name, () => {
      const r = run(...args());
      expect(r.code).toBe(3);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(re);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.out).toBe("");
    });
  }

  it("with --json, bad input also prints a JSON error object", () => {
    const r = run("check", join(dir, "nope.json"), "--json");
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out).error.message).toMatch(/nope\.json/);
  });
});

describe("examples (npm start)", () => {
  it("prints the verdict table and every verdict agrees with the paper", () => {
    const r = run("examples");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/All verdicts agree/);
    expect(r.out).toMatch(/Lemma 1/);
  });
});

/** A .npy file with an arbitrary header (for unsupported variants writeNpy refuses to make). */
function npyWithHeader(descr: string, fortran: boolean, shape: number[], dataBytes: number): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const bytes = new Uint8Array(10 + header.length + dataBytes);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  bytes[8] = header.length & 0xff;
  bytes[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  return bytes;
}
