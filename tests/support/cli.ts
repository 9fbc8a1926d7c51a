/**
 * Running the built CLI from tests: `npm test` builds first, then tests spawn
 * `dist/src/cli/main.js` (or INJECTIVE_RELU_BIN) and look at exit code, stdout and stderr.
 */

import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** The entry point under test. */
export const BIN = process.env.INJECTIVE_RELU_BIN ?? join(import.meta.dirname, "../../dist/src/cli/main.js");

/** What a CLI run printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `injective-relu ...args` in `cwd` (60 s limit unless `timeoutMs` says otherwise).
 * @param nodeArgs options of node itself, before the script (`--max-old-space-size=1024`)
 */
export function runCli(args: string[], cwd: string, nodeArgs: string[] = [], timeoutMs = 60_000): CliRun {
  const r = spawnSync(process.execPath, [...nodeArgs, BIN, ...args], {
    encoding: "utf8",
    cwd,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
