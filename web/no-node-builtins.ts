/**
 * A Vite/Rollup plugin that fails the build when any module of the playground imports a Node
 * built-in (`fs`, `node:path`, …): the page must run the library's browser-safe modules only.
 * Without it, Vite would silently replace the import with an empty stub.
 */

import { builtinModules } from "node:module";
import type { Plugin } from "vite";

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** True for the name of a Node built-in module (`fs`, `fs/promises`, `node:worker_threads`). */
export function isNodeBuiltin(id: string): boolean {
  return id.startsWith("node:") || BUILTINS.has(id);
}

/**
 * The plugin: resolving a Node built-in is a build error naming the importing module.
 * @returns a Vite plugin (enforce "pre", so that it runs before Vite's own resolution)
 */
export function noNodeBuiltins(): Plugin {
  return {
    name: "no-node-builtins",
    enforce: "pre",
    resolveId(id, importer) {
      if (isNodeBuiltin(id))
        this.error(
          `${importer ?? "(entry)"} imports the Node built-in "${id}": the playground may only use browser-safe modules`,
        );
      return null;
    },
  };
}
