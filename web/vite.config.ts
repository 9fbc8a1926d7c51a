/**
 * Vite configuration of the web playground (`npm run web` serves it, `npm run web:build` builds it
 * into web/dist). The page imports the library as `injective-relu/core`, aliased to the source of
 * its browser-safe entry point, and the build fails if anything pulls in a Node built-in.
 */

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { noNodeBuiltins } from "./no-node-builtins.js";

const core = fileURLToPath(new URL("../src/core/index.ts", import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: { alias: { "injective-relu/core": core } },
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
