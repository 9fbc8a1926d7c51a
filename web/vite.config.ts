/**
 * Vite configuration of the web playground (`npm run web` serves it, `npm run web:build` builds it
 * into web/dist). The page imports the library as `injective-relu/core`, aliased to the source of
 * its browser-safe entry point, and the build fails if anything pulls in a Node built-in (the
 * Node-only LP solver `highs` is replaced by a stub, src/no-highs.ts).
 */

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { noNodeBuiltins } from "./no-node-builtins.js";

const core = fileURLToPath(new URL("../src/core/index.ts", import.meta.url));
// The generator inversion imports the LP solver HiGHS, needed only for its l1/linf fits (never used
// here) and built for Node: the page gets a stub that refuses to load it.
const noHighs = fileURLToPath(new URL("./src/no-highs.ts", import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: {
    alias: [
      { find: /^injective-relu\/core$/, replacement: core },
      { find: /^highs$/, replacement: noHighs },
    ],
  },
  plugins: [noNodeBuiltins()],
  worker: { format: "es", plugins: () => [noNodeBuiltins()] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2000,
  },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
