/**
 * `injective-relu verify LAYER EVIDENCE`: re-checks a certificate or a witness without searching.
 * With `--layer k`, LAYER is a network file and the evidence is that of its layer k (for example
 * the `--json` output of check-network), re-checked against the layer's matrix.
 */

import { Command, Option } from "commander";
import { readUserFile } from "../../io/safe-file.js";
import { verifyCertificateAsync, verifyWitness, type Certificate, type Domain } from "../../core/index.js";
import { interruptSignal, ProgressReporter } from "../progress.js";
import { readLayerFile } from "../../io/layer-file.js";
import { FileFormatError } from "../../io/errors.js";
import { EXIT } from "../exit-codes.js";
import {
  cliBudget,
  parseInteger,
  parseTolerance,
  printJson,
  readerOptions,
  memoryLimitOption,
} from "../options.js";
import { isNetworkFile, readNetworkFile } from "../../io/network-file.js";
import { layerMatrix } from "../../model/network.js";
import { InputRangeError } from "../../core/validate.js";
import { DEFAULT_TOLERANCE } from "../../core/numerics.js";
import { DOMAINS } from "../../core/validate.js";

/** The `verify` command. */
export function verifyCommand(): Command {
  const cmd = new Command("verify")
    .description(
      "re-check a certificate of injectivity or a collision witness (for example the --json output of check)",
    )
    .argument("<layer>", "the layer file (JSON or .npy); with --layer, a network file")
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
    .option(
      "--layer <k>",
      "the first argument is a network (any file check-network reads): re-check the evidence of its layer k (0-based) against that layer's matrix; the evidence may be check-network's --json output, whose layers[k] is taken",
      parseInteger,
    )
    .addOption(memoryLimitOption())
    .option("--json", "print machine-readable JSON on stdout")
    .addHelpText(
      "after",
      "\nExit codes: 0 valid, 1 invalid, 2 unknown (a file or the check above a limit), 3 bad input, 130 cancelled (Ctrl-C).",
    );
  cmd.action(
    async (
      layerPath: string,
      evidencePath: string,
      opts: { domain?: Domain; tolerance: number; memoryLimit?: number; json?: boolean; layer?: number },
    ) => {
      if (opts.layer === undefined && (await isNetworkFile(layerPath)))
        throw new InputRangeError(
          `${layerPath} holds a network: pass --layer k to re-check the evidence of its layer k`,
        );
      const layer =
        opts.layer === undefined
          ? await readLayerFile(layerPath, readerOptions(opts))
          : await networkLayer(layerPath, opts.layer, opts);
      const text = (await readUserFile(evidencePath, "file", opts.memoryLimit)).toString("utf8");
      let ev: Record<string, unknown>;
      try {
        ev = JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw new FileFormatError(evidencePath, `invalid JSON (${(e as Error).message.split("\n")[0]})`);
      }
      if (typeof ev !== "object" || ev === null)
        throw new FileFormatError(evidencePath, "expected a JSON object");
      if (Array.isArray(ev.layers)) {
        // check-network's output: the report of the layer asked for.
        if (opts.layer === undefined)
          throw new FileFormatError(
            evidencePath,
            "is a network's report (check-network --json): pass the network file and --layer k",
          );
        const k = opts.layer;
        const report = (ev.layers as unknown[]).find(
          (l) => typeof l === "object" && l !== null && (l as { index?: unknown }).index === k,
        ) as Record<string, unknown> | undefined;
        if (!report) throw new FileFormatError(evidencePath, `has no report of layer ${k}`);
        if (!report.certificate && !report.witness)
          throw new FileFormatError(
            evidencePath,
            `layer ${k}'s report holds neither a certificate nor a witness${typeof report.rule === "string" ? ` (its rule: ${report.rule})` : ""}`,
          );
        ev = report;
      }
      const cert = (ev.kind === "dual-cover" ? ev : ev.certificate) as Certificate | undefined;
      const wit = (ev.x1 !== undefined ? ev : ev.witness) as Parameters<typeof verifyWitness>[2] | undefined;
      let out: { kind: string; valid: boolean; exact: boolean; reason: string; domain?: Domain };
      let cancelled = false;
      if (cert && typeof cert === "object") {
        // The domain asked about: --domain, else the one the certificate names. A certificate for the
        // orthant does not prove R^n.
        // In pieces, with a progress bar on a terminal; Ctrl-C stops it (exit 130).
        const progress = new ProgressReporter(evidencePath, !opts.json && process.stderr.isTTY === true);
        const interrupt = interruptSignal();
        let check: Awaited<ReturnType<typeof verifyCertificateAsync>>;
        try {
          check = await verifyCertificateAsync(layer.W, layer.b ?? null, cert, {
            tolerance: opts.tolerance,
            ...(opts.domain ? { domain: opts.domain } : {}),
            signal: interrupt.signal,
            onProgress: progress.onProgress,
          });
        } finally {
          progress.stop();
          interrupt.dispose();
        }
        if (interrupt.signal.aborted && check.timedOut) cancelled = true;
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
      if (opts.json) printJson(cancelled ? { ...out, cancelled: true } : out);
      else if (cancelled) process.stdout.write(`${out.kind} NOT CHECKED: ${out.reason}\n`);
      else
        process.stdout.write(
          `${out.kind} ${out.valid ? "VALID" : "INVALID"} for the domain ${out.domain === "nonnegative" ? "nonnegative orthant" : "all of R^n"}${out.exact ? " (exact arithmetic)" : ""}: ${out.reason}\n`,
        );
      process.exitCode = cancelled ? EXIT.cancelled : out.valid ? EXIT.injective : EXIT.notInjective;
    },
  );
  return cmd;
}

/** Layer k of a network file, as check-network reads it: its matrix and bias (ReLU layers only). */
async function networkLayer(
  path: string,
  k: number,
  opts: { memoryLimit?: number },
): Promise<{ W: number[][]; b?: number[] }> {
  // The same reading as check-network's (images channels-first), so that the matrix is the one checked.
  const net = await readNetworkFile(path, { ...readerOptions(opts), channelsFirstImages: true });
  if (k < 0 || k >= net.layers.length)
    throw new InputRangeError(
      `--layer ${k}: the network has ${net.layers.length} layer(s), numbered 0 to ${net.layers.length - 1}`,
    );
  const spec = net.layers[k];
  if (spec.activation !== "relu")
    throw new InputRangeError(
      `--layer ${k}: layer ${k} has activation ${spec.activation}; certificates and witnesses of this kind are for ReLU layers`,
    );
  const W = layerMatrix(spec, cliBudget("verify", opts), `layer ${k}`);
  return spec.b ? { W, b: spec.b } : { W };
}
