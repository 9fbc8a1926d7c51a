/**
 * The README's shown commands still print what the README shows. Every fenced block whose lines
 * start with `$ injective-relu …` (or `$ npx injective-relu …`) is cut into commands and their
 * shown output; each cheap command is run by the built CLI in the repository (a `> file`
 * redirection writes to a scratch folder, and later commands read the file from there) and its
 * output is compared line by line, modulo:
 * - durations (`8.2 ms`, `2.38 s`, `1.2 min`), which differ from run to run, and with them the
 *   widths of table columns (runs of spaces and of dashes);
 * - a shown line ending in `…`, which only has to be a prefix of the real line;
 * - a shown line `...`, which stands for any number of real lines;
 * - JSON output (`--json`), of which the README shows an abbreviation: every `"key": value` with a
 *   scalar value that it shows must be in the real object (its first occurrence, depth first),
 *   except times.
 * The expensive commands (inverting 16 images) are listed in SLOW and only checked to exist.
 */

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

const ROOT = join(import.meta.dirname, "..");

/** Commands not run here (each takes tens of seconds): their output is from docs/benchmarks.md runs. */
const SLOW = [/^invert examples\/models\/mnist-dcgan32-generator\.onnx/];

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
    .matchAll(/"(\w+)": ("(?:[^"\\]|\\.)*"|-?[\d.e+-]+|true|false|null)(?=[,\s}])/g))
    if (!/Ms$/.test(m[1])) pairs.push([m[1], m[2]]);
  return pairs;
}

/** The first value of `key` in a JSON value, depth first (undefined when absent). */
function find(x: unknown, key: string): unknown {
  if (typeof x !== "object" || x === null) return undefined;
  if (!Array.isArray(x) && key in x) return (x as Record<string, unknown>)[key];
  for (const v of Object.values(x)) {
    const f = find(v, key);
    if (f !== undefined) return f;
  }
  return undefined;
}

/** Splits a command line into words (double quotes group, as the README writes them). */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

describe("README.md: the shown commands print what is shown", () => {
  const commands = shownCommands(readFileSync(join(ROOT, "README.md"), "utf8"));
  const dir = mkdtempSync(join(tmpdir(), "readme-"));
  /** Files the README's commands wrote by `> file`, and where they are. */
  const written = new Map<string, string>();

  it("finds the README's commands", () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
  });

  for (const c of commands) {
    const slow = SLOW.some((re) => re.test(c.command));
    it.skipIf(slow)(`README.md:${c.line}: injective-relu ${c.command}`, () => {
      let args = words(c.command).map((w) => written.get(w) ?? w);
      const redirect = args.indexOf(">");
      const target = redirect >= 0 ? args[redirect + 1] : null;
      if (redirect >= 0) args = args.slice(0, redirect);
      const r = runCli(args, ROOT);
      expect(r.code, r.err).toBeLessThan(3);
      if (target) {
        written.set(target, join(dir, target));
        writeFileSync(join(dir, target), r.out);
        expect(c.output.filter((l) => l.trim() !== "")).toEqual([]);
        return;
      }
      if (args.includes("--json")) {
        const real = JSON.parse(r.out) as unknown;
        for (const [key, value] of shownScalars(c.output)) {
          const got = find(real, key);
          expect(JSON.stringify(got), `"${key}"`).toBe(JSON.stringify(JSON.parse(value)));
        }
        return;
      }
      const problem = mismatch(r.out.replace(/\n$/, "").split("\n"), c.output);
      expect(problem, `README.md:${c.line}`).toBeNull();
    });
  }
});

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
