/**
 * The CLI's error contract, table-driven over every command: a bad option value, an unknown
 * option, a bad enum value or a missing file exits 3 with exactly one line on stderr that starts
 * with "injective-relu: " (commander's own "error: " included), and with --json also prints the
 * object {"error": {"message", "exitCode": 3}} on stdout.
 */

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const ROOT = join(import.meta.dirname, "../..");
const LAYER = "examples/layers/01-identity-2d.json";
const NET = "examples/models/generator-injective.json";

/** [command line, what the message must mention]. */
const CASES: [string[], RegExp][] = [
  [["check", LAYER, "--tolerance", "2"], /--tolerance.*\(0, 0\.1\]/],
  [["check", LAYER, "--tolerance", "-1"], /--tolerance/],
  [["check", LAYER, "--seed", "1.5"], /--seed/],
  [["check", LAYER, "--time-limit", "-1"], /--time-limit/],
  [["check", LAYER, "--domain", "positive"], /--domain/],
  [["check", LAYER, "--method", "fast"], /--method/],
  [["check", LAYER, "--bogus"], /unknown option '--bogus'/],
  [["check", "no-such-file.json"], /no-such-file\.json/],
  [["verify", LAYER, LAYER, "--tolerance", "0"], /--tolerance/],
  [["verify", LAYER, LAYER, "--domain", "positive"], /--domain/],
  [["check-conv", "[[[1, 2]], [[-1, -2]]]", "--signal", "4", "--boundary", "mirror"], /--boundary/],
  [["check-conv", "[[[1, 2]], [[-1, -2]]]", "--signal", "4", "--time-limit", "abc"], /--time-limit/],
  [["construct", "dense", "--inputs", "2", "--outputs", "4", "--seed", "x"], /--seed/],
  [["construct", "dense", "--inputs", "2", "--outputs", "4"], /required option '--seed/],
  [["lipschitz", LAYER, "--samples", "-5"], /--samples/],
  [["lipschitz", LAYER, "--domain", "positive"], /--domain/],
  [["check-network", NET, "--tolerance", "2"], /--tolerance/],
  [["check-network", NET, "--seed", "1.5"], /--seed/],
  [["invert", NET, "--tolerance", "-1"], /--tolerance/],
  [["invert", NET, "--output", "y.npy", "--workers", "abc"], /--workers/],
  [["compressed-sensing", NET, "--trials", "0"], /--trials/],
  [["phase", "--n", "2..3", "--ratio", "2:3:1", "--trials", "-2"], /--trials/],
  [["phase", "merge", "x", "--out", "unused", "--bogus"], /unknown option '--bogus'/],
  [["examples", "--tolerance", "5"], /--tolerance/],
];

describe("CLI errors: one prefix, and the JSON object with --json", () => {
  for (const [args, mention] of CASES) {
    it(args.join(" "), () => {
      for (const json of [false, true]) {
        const r = runCli(json ? [...args, "--json"] : args, ROOT);
        expect(r.code, r.err).toBe(3);
        const lines = r.err.trimEnd().split("\n");
        expect(lines, r.err).toHaveLength(1);
        expect(lines[0].startsWith("injective-relu: "), lines[0]).toBe(true);
        expect(lines[0]).not.toMatch(/^injective-relu: error: /);
        expect(lines[0]).toMatch(mention);
        if (json) {
          const out = JSON.parse(r.out) as { error: { message: string; exitCode: number } };
          expect(out.error.exitCode).toBe(3);
          expect(`injective-relu: ${out.error.message}`).toBe(lines[0]);
        } else {
          expect(r.out).toBe("");
        }
      }
    });
  }
});
