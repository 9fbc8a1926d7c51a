/**
 * docs/paper-map.md stays true: every `module` → `function` it names exists and is exported by
 * that module, and every theorem, corollary and lemma that the code cites has a row.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const MAP = readFileSync(join(ROOT, "docs/paper-map.md"), "utf8");

/** The table rows: the paper's result and the code cell. */
const rows = MAP.split("\n")
  .filter((l) => l.startsWith("| ") && !l.startsWith("| Paper") && !l.startsWith("| ---"))
  .map((l) => {
    const cells = l.split(/(?<!\\)\|/).map((c) => c.trim());
    return { paper: cells[1], code: cells[3] };
  });

/** `module` → `f`, `g`; `other` → `h` … as [module, function] pairs. */
function references(code: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of code.split(";")) {
    const m = /`(src\/[^`]+\.ts)` → (.*)/.exec(part.trim());
    if (!m) continue;
    for (const f of m[2].matchAll(/`(\w+)`/g)) out.push([m[1], f[1]]);
  }
  return out;
}

describe("docs/paper-map.md", () => {
  it("has a row for each result, each naming code", () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const r of rows) expect(references(r.code).length, r.paper).toBeGreaterThan(0);
  });

  it("every module exists and exports every function it names", () => {
    const missing: string[] = [];
    for (const r of rows) {
      for (const [module, fn] of references(r.code)) {
        const path = join(ROOT, module);
        if (!existsSync(path)) {
          missing.push(`${module} (does not exist)`);
          continue;
        }
        const text = readFileSync(path, "utf8");
        const exported = new RegExp(`^export (?:async )?(?:function\\*?|class|const|let) ${fn}\\b`, "m");
        if (!exported.test(text)) missing.push(`${module} → ${fn}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("every theorem, corollary and lemma that src/ cites is in the map", () => {
    const cited = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".ts"))
          for (const m of readFileSync(p, "utf8").matchAll(/\b(Theorem|Corollary|Lemma) (\d)\b/g))
            cited.add(`${m[1]} ${m[2]}`);
      }
    };
    walk(join(ROOT, "src"));
    expect(cited.size).toBeGreaterThan(5);
    const paperColumn = rows.map((r) => r.paper).join("\n");
    for (const c of cited) expect(paperColumn, c).toContain(c);
  });
});
