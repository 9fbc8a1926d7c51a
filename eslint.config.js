// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "results/", "web/dist/", "test-artifacts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // src/core is pure math: no Node-only modules, so that it runs in the browser too.
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: ["node:*", "fs", "path", "os", "child_process", "worker_threads", "../io/*", "../cli/*"],
        },
      ],
      "no-restricted-globals": ["error", "process", "Buffer", "require", "__dirname"],
    },
  },
);
