/**
 * Every function, class and constant that the docs (README.md, docs/*.md) name in code spans is
 * importable from the built package entry it belongs to: `injective-relu` (dist/src/index.js) or,
 * for the TensorFlow.js layers, `injective-relu/tfjs`. A name counts as API when some module under
 * src/ exports it; the CLI commands and the few internals that the design docs name as such
 * (listed below, each with the reason) are the exceptions. docs/paper-map.md is left out: it names
 * the internal functions that implement each theorem on purpose (tests/paper-map.test.ts checks
 * those).
 */

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

/** Internals that the docs name while explaining how something works; not part of the API. */
const INTERNALS: Record<string, string> = {
  activeRows: "a field of a witness, not a function",
  falsify: "a method name in a result, not a function",
  identity: "a layer record's field in the layer table",
  dyadicRows: "docs/verifier.md: how the exact re-check scales rows to integers",
  lowBitExponent: "docs/benchmarks.md: the scale dyadicRows takes from a row's lowest set bit",
  mayGiveDoubles: "docs/benchmarks.md: when the exact witness skips its tries on a grid of doubles",
  findUncovered: "docs/convolutions.md: the cover check inside verifyCertificate",
  FlatSearch: "docs/benchmarks.md: the branch and bound's class, moved from subtree to subtree by a thread",
  solveDenseLp: "docs/networks.md, docs/resource-limits.md: the dense simplex behind the LPs",
  convRecordSpec: "docs/networks.md: how a conv record maps to the core's ConvSpec",
  gaussianLayer: "docs/phase.md: how the phase sweep draws an instance",
  instanceSeed: "docs/phase.md: how the phase sweep seeds an instance",
  ganIterationTask: "docs/tfjs.md: the GAN step inside the data-parallel trainer",
  localMinimizer: "docs/tfjs.md: the one-thread minimizer inside the trainer",
  createTask: "docs/tfjs.md: the name a task module of the data-parallel trainer exports",
  modRank: "docs/benchmarks.md: the dense rank mod p the sparse one is measured against",
  sparseModRank: "docs/benchmarks.md: the sparse rank mod p behind the exact rank of convolutions",
  exactRankBudgeted: "docs/benchmarks.md: the exact rank that every rank rule calls",
  exactCover: "docs/benchmarks.md: the cover check measured with and without its hyperplane test",
  falsifyByDescent: "docs/verifier.md: the LP-guided descent inside checkLayer's falsifier stage",
  integerOrthogonalVector: "docs/verifier.md: the fraction-free normal behind every exact witness",
};

/** Names that issue 12 found documented but not exported; kept explicit so a rename is noticed. */
const MUST_EXPORT = [
  "checkLayer",
  "verifyCertificate",
  "verifyWitness",
  "inverseLipschitz",
  "checkNetwork",
  "invertLayer",
  "invertNetwork",
  "invertLayerRobust",
  "readTfjsLayersModel",
  "readSafetensorsModel",
  "readOnnxModel",
  "readNetworkFile",
  "readLayerFile",
];

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f));
}

/** Identifiers in code spans of the docs: `name`, `name(...)`, `name.field`. */
function docNames(): Set<string> {
  const docs = [
    join(ROOT, "README.md"),
    ...filesUnder(join(ROOT, "docs"), ".md").filter((f) => !f.endsWith("paper-map.md")),
  ];
  const names = new Set<string>();
  for (const f of docs) {
    for (const m of readFileSync(f, "utf8").matchAll(/`([A-Za-z_$][\w$]*)[(`.]/g)) names.add(m[1]);
  }
  return names;
}

/** The module (path under src/) that exports each value name. */
function exportingModules(): Map<string, string[]> {
  const where = new Map<string, string[]>();
  for (const f of filesUnder(join(ROOT, "src"), ".ts")) {
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(/^export (?:async )?(?:function\*?|class|const|let) ([\w$]+)/gm)) {
      where.set(m[1], [...(where.get(m[1]) ?? []), relative(join(ROOT, "src"), f)]);
    }
  }
  return where;
}

describe("the package entries export what the docs name", async () => {
  const main = (await import(join(ROOT, "dist/src/index.js"))) as Record<string, unknown>;
  const tfjs = (await import(join(ROOT, "dist/src/tfjs/index.js"))) as Record<string, unknown>;
  const where = exportingModules();
  const documented = [...docNames()].filter((n) => where.has(n)).sort();

  it("finds the documented API names (the scan itself works)", () => {
    expect(documented.length).toBeGreaterThan(50);
    for (const n of ["checkLayer", "checkNetwork", "invertNetwork", "constructDense"])
      expect(documented).toContain(n);
  });

  it("exports every name that issue 12 found missing", () => {
    for (const n of MUST_EXPORT) expect(typeof main[n], n).toBe("function");
  });

  it("exports every documented name from its entry point", () => {
    const missing: string[] = [];
    for (const n of documented) {
      const modules = where.get(n)!;
      if (n in INTERNALS || modules.every((m) => m.startsWith("cli/"))) continue;
      const entry = modules.every((m) => m.startsWith("tfjs/")) ? tfjs : main;
      if (!(n in entry) || entry[n] === undefined) missing.push(`${n} (${modules.join(", ")})`);
    }
    expect(missing).toEqual([]);
  });

  it("every listed internal is still named by the docs and still not exported", () => {
    for (const n of Object.keys(INTERNALS)) {
      expect(documented, n).toContain(n);
      expect(n in main || n in tfjs, n).toBe(false);
    }
  });
});
