/**
 * `injective-relu/core` runs in a browser: the package export `./core` (the built
 * dist/src/core/index.js that `npm test` builds first) is bundled by Vite for the browser platform,
 * and the bundle must not reach any Node built-in module (`fs`, `node:path`, `worker_threads`, ...).
 * A plugin sees every import before resolution and records the built-in ones with their importer.
 * The same bundler run on a module that does use `node:fs` (the file reader) must report it, so
 * this test can fail.
 */

import { isBuiltin } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build, type Plugin } from "vite";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

/** Bundles `entry` for the browser; returns the Node built-ins imported and the bundle size. */
async function browserBundle(entry: string): Promise<{ builtins: string[]; bytes: number }> {
  const builtins: string[] = [];
  const detector: Plugin = {
    name: "node-builtin-detector",
    enforce: "pre",
    resolveId(id, importer) {
      if (isBuiltin(id)) {
        builtins.push(`${id} (from ${importer ?? "the entry"})`);
        return { id, external: true };
      }
      return null;
    },
  };
  const out = await build({
    configFile: false,
    logLevel: "silent",
    root: ROOT,
    plugins: [detector],
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ["es"], fileName: "bundle" },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[];
  const bytes = outputs
    .flatMap((o) => o.output)
    .reduce((s, c) => s + (c.type === "chunk" ? (c.code ?? "").length : 0), 0);
  return { builtins, bytes };
}

describe("injective-relu/core in the browser", () => {
  it("package.json exports ./core as the built src/core/index.js with its types", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      exports: Record<string, { types: string; import: string }>;
    };
    expect(pkg.exports["./core"]).toEqual({
      types: "./dist/src/core/index.d.ts",
      import: "./dist/src/core/index.js",
    });
  });

  it("the core bundle holds no Node built-in", async () => {
    const { builtins, bytes } = await browserBundle(join(ROOT, "dist/src/core/index.js"));
    expect(builtins).toEqual([]);
    expect(bytes).toBeGreaterThan(10_000); // the core really was bundled
  });

  it("the same check reports a module that imports node:fs (the file reader)", async () => {
    const { builtins } = await browserBundle(join(ROOT, "dist/src/io/safe-file.js"));
    expect(builtins.some((b) => /^(node:)?fs(\/promises)?\b/.test(b))).toBe(true);
  });

  it("the core entry imports and runs (checkLayer on a 2×1 layer)", async () => {
    const specifier = "injective-relu/core"; // through package.json "exports", as a user imports it
    const core = (await import(specifier)) as typeof import("../../src/core/index.js");
    const r = await core.checkLayer([[1], [-1]]);
    expect(r.injective).toBe(true);
  });
});
