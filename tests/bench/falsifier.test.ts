/**
 * The phase-sweep section of `npm run bench:falsifier` (bench/falsifier.ts, `--phase-misses`): it
 * reads a sweep's instances.jsonl, re-checks the collisions that the sweep's branch and bound had to
 * find with the descent's old budget and the default, and measures what the default budget adds on
 * injective instances. Here on two recorded n = 11 instances of results/phase/n11-100.
 */

import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchPhaseMisses } from "../../bench/falsifier.js";

describe("bench:falsifier --phase-misses", () => {
  it("re-checks a sweep's missed collisions and prices the descent on injective instances", async () => {
    const dir = mkdtempSync(join(tmpdir(), "phase-misses-"));
    try {
      const lines = [
        // Decided by the branch and bound in the sweep; the descent finds it in its 9th restart.
        {
          n: 11,
          m: 55,
          trial: 70,
          seed: 116296371,
          injective: false,
          method: "branch-and-bound",
          timeMs: 175.9,
        },
        // Found by the falsifier in the sweep: not a miss, left out.
        { n: 11, m: 55, trial: 0, seed: 1, injective: false, method: "falsify", timeMs: 5 },
        {
          n: 11,
          m: 88,
          trial: 0,
          seed: 1314518631,
          injective: true,
          method: "branch-and-bound",
          timeMs: 32184.7,
        },
      ];
      writeFileSync(join(dir, "instances.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
      const out = await benchPhaseMisses(dir, 10, 1);
      const rows = out.split("\n").filter((l) => /^\| 11 \|/.test(l));
      expect(rows).toHaveLength(1);
      const cells = rows[0].split("|").map((c) => c.trim());
      expect(cells.slice(1, 5)).toEqual(["11", "55", "70", "116296371"]);
      expect(cells[6]).toBe("not injective (branch-and-bound)");
      expect(cells[8]).toBe("not injective (descent)");
      expect(cells[10]).toBe("9");
      expect(out).toMatch(/The descent found 1 of these 1 collisions/);
      expect(out).toMatch(/On 1 injective instances of the sweep/);
      expect(out).toMatch(/descentRestartsFor\(11\)` = 32 restarts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
