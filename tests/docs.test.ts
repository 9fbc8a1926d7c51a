/**
 * The shown commands of README.md and of the docs still print what they show. Every fenced block
 * whose lines start with `$ injective-relu …` (or `$ npx injective-relu …`) is cut into commands
 * and their shown output; each cheap command is run by the built CLI (README.md's in the
 * repository, the docs' in a scratch folder that sees examples/, so that `--out` and `> file`
 * write there and later commands read what they wrote) and its output (stdout, then stderr) is
 * compared line by line, modulo:
 * - durations (`8.2 ms`, `2.38 s`, `1.2 min`), which differ from run to run, and with them the
 *   widths of table columns (runs of spaces and of dashes);
 * - a shown line ending in `…`, which only has to be a prefix of the real line;
 * - a shown line `...`, which stands for any number of real lines;
 * - a shown line `(exit N)`, which is the exit code, not output;
 * - JSON output (`--json`), of which the README shows an abbreviation: every `"key": value` with a
 *   scalar value that it shows must be the value of that key somewhere in the real object,
 *   except times;
 * - blank lines at the end of a shown output.
 * Skipped, each with its reason in the test name: the expensive commands (SLOW: inversions, the
 * compressed-sensing sweep), and the commands that read a file the docs made by hand (a path that
 * is neither in the repository nor written by an earlier command of the same file).
 */

import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

const ROOT = join(import.meta.dirname, "..");

/** Commands not run here (each takes seconds to minutes): inversions and the compressed-sensing sweep. */
const SLOW = [/^invert /, /^compressed-sensing /];

/** The documents whose commands are run, and where. */
const DOCS: { file: string; inRepository: boolean }[] = [
  { file: "README.md", inRepository: true },
  { file: "docs/verifier.md", inRepository: false },
  { file: "docs/stability.md", inRepository: false },
  { file: "docs/constructions.md", inRepository: false },
  { file: "docs/networks.md", inRepository: false },
  { file: "docs/tfjs.md", inRepository: false },
];

/** Arguments that name files or folders (inputs or outputs). */
const pathLike = (w: string): boolean => /\.(json|npy|onnx|safetensors)$/.test(w) || w.includes("/");

/** The options whose value a command writes (so it need not exist before). */
const OUTPUT_OPTIONS = new Set(["--out", ">"]);

interface Shown {
  command: string;
  output: string[];
  line: number;
}

/** The commands of README.md's shell blocks and what they are shown to print. */
export function shownCommands(markdown: string): Shown[] {
  const lines = markdown.split("\n");
  const out: Shown[] = [];
  let inBlock = false;
  let current: Shown | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("```")) {
      inBlock = !inBlock;
      current = null;
      continue;
    }
    if (!inBlock) continue;
    const m = /^\$ (?:npx )?injective-relu (.*)$/.exec(line);
    if (m) {
      let command = m[1];
      while (command.endsWith("\\")) command = command.slice(0, -1).trimEnd() + " " + lines[++i].trim();
      current = { command, output: [], line: i + 1 };
      out.push(current);
    } else if (current) current.output.push(line);
  }
  for (const c of out)
    while (c.output.length > 0 && c.output[c.output.length - 1].trim() === "") c.output.pop();
  return out;
}

/** Durations vary between runs. */
const normalize = (s: string): string =>
  s
    .replace(/\b\d+(?:\.\d+)?\s?(?:ms|s|min|h)\b/g, "<time>")
    .replace(/-{3,}/g, "---")
    .replace(/\s+/g, " ")
    .trim();

/** Compares real output lines with shown ones (see the module comment); returns the first mismatch. */
export function mismatch(real: string[], shown: string[]): string | null {
  let r = 0;
  for (let s = 0; s < shown.length; s++) {
    const want = normalize(shown[s]);
    if (want.trim() === "..." || want.trim() === "…") {
      // Any number of real lines, up to the one that matches the next shown line.
      const next = shown[s + 1];
      if (next === undefined) return null;
      const nextWant = normalize(next);
      while (r < real.length && !lineMatches(normalize(real[r]), nextWant)) r++;
      continue;
    }
    if (r >= real.length) return `missing line: ${shown[s]}`;
    const got = normalize(real[r]);
    if (!lineMatches(got, want)) return `shown: ${shown[s]}\n  real: ${real[r]}`;
    r++;
  }
  return r < real.length ? `extra line: ${real[r]}` : null;
}

function lineMatches(got: string, want: string): boolean {
  if (want.endsWith("…")) return got.startsWith(want.slice(0, -1));
  return got === want;
}

/** The scalar `"key": value` pairs an abbreviated JSON listing shows (times left out). */
function shownScalars(shown: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (const m of shown
    .join("\n")
    .matchAll(/"(\w+)": ("(?:[^"\\]|\\.)*"|-?\d[\d.e+-]*|true|false|null)(?=[,\s}])/g))
    if (!/Ms$/.test(m[1])) pairs.push([m[1], m[2]]);
  return pairs;
}

/** Every value of `key` in a JSON value, at any depth (as JSON text). */
function findAll(x: unknown, key: string, out: string[] = []): string[] {
  if (typeof x !== "object" || x === null) return out;
  if (!Array.isArray(x) && key in x) out.push(JSON.stringify((x as Record<string, unknown>)[key]));
  for (const v of Object.values(x)) findAll(v, key, out);
  return out;
}

/** Splits a command line into words (double quotes group, as the README writes them). */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

for (const doc of DOCS) {
  describe(`${doc.file}: the shown commands print what is shown`, () => {
    const commands = shownCommands(readFileSync(join(ROOT, doc.file), "utf8"));
    const dir = mkdtempSync(join(tmpdir(), "docs-"));
    if (!doc.inRepository) symlinkSync(join(ROOT, "examples"), join(dir, "examples"));
    const cwd = doc.inRepository ? ROOT : dir;
    /** Files the commands wrote by `> file` (README.md: into the scratch folder). */
    const written = new Map<string, string>();
    /** Paths the commands of this document write (`--out`, `> file`). */
    const outputs = new Set<string>();
    for (const c of commands) {
      const w = words(c.command);
      w.forEach((x, k) => OUTPUT_OPTIONS.has(x) && w[k + 1] && outputs.add(w[k + 1]));
    }

    it("finds commands", () => {
      expect(commands.length).toBeGreaterThan(0);
    });

    for (const c of commands) {
      const all = words(c.command);
      const madeByHand = all.filter(
        (w, k) =>
          pathLike(w) && !OUTPUT_OPTIONS.has(all[k - 1]) && !outputs.has(w) && !existsSync(join(ROOT, w)),
      );
      const skip = SLOW.some((re) => re.test(c.command))
        ? " (skipped: slow)"
        : madeByHand.length > 0
          ? ` (skipped: ${madeByHand.join(", ")} made by hand in the docs)`
          : "";
      it.skipIf(skip !== "")(`${doc.file}:${c.line}: injective-relu ${c.command}${skip}`, () => {
        let args = all.map((w) => written.get(w) ?? w);
        const redirect = args.indexOf(">");
        const target = redirect >= 0 ? args[redirect + 1] : null;
        if (redirect >= 0) args = args.slice(0, redirect);
        const r = runCli(args, cwd);
        if (target) {
          expect(r.code, r.err).toBeLessThan(3);
          const path = join(dir, target);
          written.set(target, path);
          writeFileSync(path, r.out);
          expect(c.output.filter((l) => l.trim() !== "")).toEqual([]);
          return;
        }
        if (args.includes("--json") && r.code < 3) {
          const real = JSON.parse(r.out) as unknown;
          for (const [key, value] of shownScalars(c.output))
            expect(findAll(real, key), `"${key}"`).toContain(JSON.stringify(JSON.parse(value)));
          return;
        }
        const exit = c.output.map((l) => /^\(exit (\d+)\)$/.exec(l.trim())).find((m) => m);
        if (exit) expect(r.code, "the exit code shown").toBe(Number(exit[1]));
        const shownOutput = c.output.filter((l) => !/^\(exit \d+\)$/.test(l.trim()));
        const real = (r.out + r.err).replace(/\n$/, "").split("\n");
        const problem = mismatch(real, shownOutput);
        expect(problem, `${doc.file}:${c.line}`).toBeNull();
      });
    }
  });
}

describe("the comparison itself", () => {
  it("ignores durations and honours … and ...", () => {
    expect(mismatch(["took 8.2 ms", "a", "b", "tail end"], ["took 1.5 s", "...", "tail …"])).toBeNull();
  });
  it("reports a changed line, a missing line and an extra line", () => {
    expect(mismatch(["x = 1"], ["x = 2"])).toMatch(/shown: x = 2/);
    expect(mismatch(["a"], ["a", "b"])).toMatch(/missing line: b/);
    expect(mismatch(["a", "b"], ["a"])).toMatch(/extra line: b/);
  });
});
