/**
 * `injective-relu examples`: the main job of `npm start`. Checks the bundled example layers (paper
 * figures and corollaries, a Gaussian layer, the Lemma 1 counterexample) in both domains and prints
 * a verdict table next to the known answers (the paper, and the counterexamples in docs/verifier.md).
 */

import { Command } from "commander";
import { fileURLToPath } from "node:url";
import { relative } from "node:path";
import { listLayerFiles, readLayerFile } from "../../io/layer-file.js";
import { EXIT } from "../exit-codes.js";
import { fmtMs, fmtVerdict, table } from "../format.js";
import { addCheckOptions, runCheck, type CheckRunOptions } from "./check.js";
import { printJson } from "../options.js";
import { DOMAINS } from "../../core/validate.js";

/** The folder of bundled examples, found relative to this file (works from src/ and dist/src/). */
export function bundledExamplesDir(): string {
  const here = fileURLToPath(import.meta.url);
  const root = here.includes("/dist/")
    ? here.slice(0, here.lastIndexOf("/dist/"))
    : here.slice(0, here.lastIndexOf("/src/"));
  return `${root}/examples/layers`;
}

/** The `examples` command. */
export function examplesCommand(): Command {
  const cmd = new Command("examples")
    .description("check the bundled example layers in both domains and compare with the paper's claims")
    .option("--dir <dir>", "folder of example layer files", bundledExamplesDir());
  addCheckOptions(cmd);
  cmd.addHelpText(
    "after",
    "\nExit codes: 0 every verdict agrees with the expected one, 1 some verdict disagrees, 3 bad input.",
  );
  cmd.action(async (opts: CheckRunOptions & { dir: string }) => {
    const rows: Record<string, unknown>[] = [];
    let disagreements = 0;
    const started = performance.now();
    for (const path of await listLayerFiles(opts.dir)) {
      const file = await readLayerFile(path);
      for (const domain of DOMAINS) {
        const result = await runCheck(file, domain, opts);
        const expected = file.expected?.[domain] ?? null;
        const agrees = expected === null ? null : result.injective === expected;
        if (agrees === false) disagreements++;
        rows.push({
          file: path,
          name: file.name ?? path,
          source: file.source ?? null,
          domain,
          expected,
          agrees,
          result,
        });
      }
    }
    if (opts.json) {
      printJson({ disagreements, results: rows });
    } else {
      const text = table(
        ["example", "m×n", "domain", "expected", "verdict", "method", "exact", "time", "agrees"],
        rows.map((r) => {
          const res = r.result as Awaited<ReturnType<typeof runCheck>>;
          const exp = r.expected as boolean | null;
          return [
            String(r.name),
            `${res.m}×${res.n}`,
            String(r.domain),
            exp === null ? "(no claim)" : fmtVerdict(exp),
            fmtVerdict(res.injective),
            res.method,
            res.injective === null ? "-" : res.exact ? "yes" : "no",
            fmtMs(res.stats.timeMs),
            r.agrees === null ? "" : r.agrees ? "yes" : "NO",
          ];
        }),
      );
      process.stdout.write(`Bundled examples (${relative(process.cwd(), opts.dir) || "."})\n\n${text}\n\n`);
      process.stdout.write(
        disagreements === 0
          ? `All verdicts agree with the known answers (${rows.length} checks, ${fmtMs(performance.now() - started)}).\n` +
              "Details of one layer: injective-relu check FILE; machine output: --json.\n"
          : `${disagreements} verdict(s) disagree with the expected ones.\n`,
      );
    }
    process.exitCode = disagreements === 0 ? EXIT.injective : EXIT.notInjective;
  });
  return cmd;
}
