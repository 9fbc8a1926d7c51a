/**
 * The native-HiGHS baseline of `npm run bench:verify` (issue 14, item 4): finds a Python with
 * scipy >= 1.9 (scipy.optimize.milp) and keeps one scripts/milp-native.py process that solves the
 * benchmark's feasibility MILP, one JSON line per layer. Without such a Python the benchmark skips
 * this baseline and says why; the WebAssembly HiGHS baseline needs no Python.
 */

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** scripts/milp-native.py, from bench/ (tests, tsx) or dist/bench/ (compiled). */
export const NATIVE_MILP_SCRIPT: string =
  [
    join(import.meta.dirname, "../scripts/milp-native.py"),
    join(import.meta.dirname, "../../scripts/milp-native.py"),
  ].find((p) => existsSync(p)) ?? join(import.meta.dirname, "../scripts/milp-native.py");

/** Pythons tried in order: Debian's (where `apt-get install python3-scipy` puts scipy), then PATH's. */
export const DEFAULT_PYTHONS = ["/usr/bin/python3", "python3"];

export type NativeMilpProbe =
  | {
      available: true;
      python: string;
      scipyVersion: string;
      /** False when this scipy does not pass mip_feasibility_tolerance to HiGHS (δ is then raised). */
      toleranceHonored: boolean;
    }
  | { available: false; reason: string };

/** True when a version string such as "1.10.1" is at least 1.9 (scipy.optimize.milp's first). */
export function scipyHasMilp(version: string): boolean {
  const [major, minor] = version.split(".").map((p) => parseInt(p, 10));
  return Number.isFinite(major) && Number.isFinite(minor) && (major > 1 || (major === 1 && minor >= 9));
}

/** Tries each Python in turn; the first with scipy >= 1.9 wins, otherwise every reason is returned. */
export function probeNativeMilp(pythons: string[] = DEFAULT_PYTHONS): NativeMilpProbe {
  if (!existsSync(NATIVE_MILP_SCRIPT)) return { available: false, reason: `${NATIVE_MILP_SCRIPT} not found` };
  const reasons: string[] = [];
  for (const python of pythons) {
    const r = spawnSync(python, [NATIVE_MILP_SCRIPT, "--version"], { encoding: "utf8", timeout: 60_000 });
    if (r.error) {
      reasons.push(
        `${python}: ${(r.error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : r.error.message}`,
      );
      continue;
    }
    if (r.status !== 0) {
      const last = r.stderr.trim().split("\n").pop() ?? "";
      reasons.push(
        `${python}: ${/No module named '?scipy/.test(last) ? "no scipy" : last || `exit status ${r.status}`}`,
      );
      continue;
    }
    let version = "";
    let toleranceHonored = false;
    try {
      const info = JSON.parse(r.stdout) as { scipy: unknown; toleranceHonored: unknown };
      version = String(info.scipy);
      toleranceHonored = info.toleranceHonored === true;
    } catch {
      reasons.push(`${python}: unreadable answer to --version`);
      continue;
    }
    if (!scipyHasMilp(version)) {
      reasons.push(`${python}: scipy ${version} < 1.9 has no scipy.optimize.milp`);
      continue;
    }
    return { available: true, python, scipyVersion: version, toleranceHonored };
  }
  return { available: false, reason: reasons.join("; ") };
}

export interface NativeMilpAnswer {
  /** true: infeasible (injective in general position); false: feasible; null: limit or error. */
  injective: boolean | null;
  status: string;
  /** Building the model and solving, measured inside Python (ms). */
  ms: number;
  /** For a feasible answer: the point x found. */
  x: number[] | null;
  /** The δ used (raised above the requested one when the tolerance is not honored). */
  delta?: number;
}

interface Proc {
  child: ChildProcessWithoutNullStreams;
  waiting: ((line: string | null) => void)[];
}

function startProc(python: string): Proc {
  const child = spawn(python, [NATIVE_MILP_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
  const proc: Proc = { child, waiting: [] };
  child.stderr.resume(); // errors are answered on stdout as {"status": "error: ..."}
  // A failed spawn or a dead process closes stdout, which answers the waiters; ignore the events.
  child.on("error", () => undefined);
  child.stdin.on("error", () => undefined);
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => proc.waiting.shift()?.(line));
  lines.on("close", () => {
    for (const w of proc.waiting.splice(0)) w(null);
  });
  return proc;
}

/** One long-lived scripts/milp-native.py process (scipy is imported once, as the wasm module is loaded once). */
export class NativeMilp {
  private proc: Proc;
  private requests = 0;

  constructor(readonly python: string) {
    this.proc = startProc(python);
  }

  /** Solves the MILP of W with HiGHS's time limit (s); the process is given that plus 60 s to answer. */
  solve(W: number[][], timeLimitS: number, delta: number): Promise<NativeMilpAnswer> {
    const proc = this.proc;
    const id = ++this.requests;
    return new Promise((resolve) => {
      let done = false;
      const answer = (a: NativeMilpAnswer): void => {
        if (!done) resolve(a);
        done = true;
      };
      const timer = setTimeout(
        () => {
          // No answer: stop this process (its later answers would be out of step) and start another.
          answer({ injective: null, status: "no answer from python", ms: NaN, x: null });
          proc.child.kill();
          this.proc = startProc(this.python);
        },
        timeLimitS * 1000 + 60_000,
      );
      proc.waiting.push((line) => {
        clearTimeout(timer);
        if (line === null) {
          answer({ injective: null, status: "python exited", ms: NaN, x: null });
          return;
        }
        try {
          const a = JSON.parse(line) as NativeMilpAnswer & { id?: unknown };
          if (a.id !== id) throw new Error("answer out of step");
          answer({ injective: a.injective, status: a.status, ms: a.ms, x: a.x, delta: a.delta });
        } catch {
          answer({ injective: null, status: `unreadable answer: ${line.slice(0, 80)}`, ms: NaN, x: null });
        }
      });
      proc.child.stdin.write(JSON.stringify({ W, timeLimit: timeLimitS, delta, id }) + "\n");
    });
  }

  /** Ends the process (closing stdin ends its loop; the kill covers a solve in progress). */
  close(): void {
    this.proc.child.stdin.end();
    this.proc.child.kill();
  }
}
