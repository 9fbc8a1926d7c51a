/**
 * `injective-relu verify LAYER EVIDENCE`: re-checks a certificate or a witness without searching.
 */

import { Command, Option } from "commander";
import { readUserFile } from "../../io/safe-file.js";
import { verifyCertificate, verifyWitness, type Certificate, type Domain } from "../../core/index.js";
import { readLayerFile } from "../../io/layer-file.js";
import { FileFormatError } from "../../io/errors.js";
import { EXIT } from "../exit-codes.js";
import { parseTolerance, printJson, readerOptions, memoryLimitOption } from "../options.js";
import { DEFAULT_TOLERANCE } from "../../core/numerics.js";
import { DOMAINS } from "../../core/validate.js";

/** The `verify` command. */
export function verifyCommand(): Command {
  const cmd = new Command("verify")
    .description(
      "re-check a certificate of injectivity or a collision witness (for example the --json output of check)",
    )
    .argument("<layer>", "the layer file (JSON or .npy)")
    .argument(
      "<evidence>",
      'JSON: the output of `check --json`, a certificate {"kind": "dual-cover", ...}, or a witness {"x1": [...], "x2": [...]}',
    )
    .addOption(
      new Option(
        "--domain <domain>",
        "the domain asked about (default: the one the evidence names); a certificate for the orthant does not prove all of R^n",
      ).choices(DOMAINS),
    )
    .option(
      "--tolerance <t>",
      "tolerance for reading stated float weights and for reporting near-collisions, in (0, 0.1]; validity is decided exactly",
      parseTolerance,
      DEFAULT_TOLERANCE,
    )
    .addOption(memoryLimitOption())
    .option("--json", "print machine-readable JSON on stdout")
    .addHelpText(
      "after",
      "\nExit codes: 0 valid, 1 invalid, 2 unknown (a file or the check above a limit), 3 bad input.",
    );
  cmd.action(
    async (
      layerPath: string,
      evidencePath: string,
      opts: { domain?: Domain; tolerance: number; memoryLimit?: number; json?: boolean },
    ) => {
      const layer = await readLayerFile(layerPath, readerOptions(opts));
      const text = (await readUserFile(evidencePath, "file", opts.memoryLimit)).toString("utf8");
      let ev: Record<string, unknown>;
      try {
        ev = JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw new FileFormatError(evidencePath, `invalid JSON (${(e as Error).message.split("\n")[0]})`);
      }
      if (typeof ev !== "object" || ev === null)
        throw new FileFormatError(evidencePath, "expected a JSON object");
      const cert = (ev.kind === "dual-cover" ? ev : ev.certificate) as Certificate | undefined;
      const wit = (ev.x1 !== undefined ? ev : ev.witness) as Parameters<typeof verifyWitness>[2] | undefined;
      let out: { kind: string; valid: boolean; exact: boolean; reason: string; domain?: Domain };
      if (cert && typeof cert === "object") {
        // The domain asked about: --domain, else the one the certificate names. A certificate for the
        // orthant does not prove R^n.
        const check = verifyCertificate(layer.W, layer.b ?? null, cert, {
          tolerance: opts.tolerance,
          ...(opts.domain ? { domain: opts.domain } : {}),
        });
        out = {
          kind: "certificate",
          ...check,
          domain: opts.domain ?? (cert.domain === "nonnegative" ? "nonnegative" : "all"),
        };
      } else if (wit && typeof wit === "object") {
        const domain =
          opts.domain ?? ((ev.domain as Domain | undefined) === "nonnegative" ? "nonnegative" : "all");
        out = {
          kind: "witness",
          ...verifyWitness(layer.W, layer.b ?? null, wit, domain, { tolerance: opts.tolerance }),
          domain,
        };
      } else {
        throw new FileFormatError(
          evidencePath,
          'holds neither a certificate ({"kind": "dual-cover"}) nor a witness ({"x1", "x2"})',
        );
      }
      if (opts.json) printJson(out);
      else
        process.stdout.write(
          `${out.kind} ${out.valid ? "VALID" : "INVALID"} for the domain ${out.domain === "nonnegative" ? "nonnegative orthant" : "all of R^n"}${out.exact ? " (exact arithmetic)" : ""}: ${out.reason}\n`,
        );
      process.exitCode = out.valid ? EXIT.injective : EXIT.notInjective;
    },
  );
  return cmd;
}
