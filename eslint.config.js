// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** The folders of src/, lowest first (see README.md, Layout). */
const LAYERS = ["core", "model", "construct", "invert", "network", "experiments", "tfjs", "io", "cli"];

/** src/core is pure math: no Node-only modules, so that it runs in the browser too. */
const CORE_NODE_ONLY = ["node:*", "fs", "path", "os", "child_process", "worker_threads"];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "results/", "web/dist/", "test-artifacts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // The layers of src/, lowest first. A folder may import only from the folders before it, and
  // nothing imports src/index.ts; cli is the edge. One way: no cycles between folders.
  ...LAYERS.map((layer, i) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...(layer === "core"
              ? [
                  {
                    group: CORE_NODE_ONLY,
                    message: "src/core is pure math and runs in the browser: no Node modules.",
                  },
                ]
              : []),
            {
              regex: `^(\\.\\./)+(${[...LAYERS.slice(i + 1), "index(\\.js)?$"].join("|")})(/|$)`,
              message: `src/${layer} may import only from ${LAYERS.slice(0, i).join(", ") || "itself"} (layers: ${LAYERS.join(" < ")}).`,
            },
          ],
        },
      ],
      ...(layer === "core"
        ? { "no-restricted-globals": ["error", "process", "Buffer", "require", "__dirname"] }
        : {}),
    },
  })),
);
