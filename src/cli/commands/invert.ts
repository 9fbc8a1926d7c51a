/**
 * `injective-relu invert MODEL.json --output y.(json|npy)`: exact layerwise inversion of a network
 * on its range (Corollary 1's inverse; see src/invert/invert-network.ts).
 */

import { Command } from "commander";
import { readFile } from "node:fs/promises";
import { describeFsError, FileFormatError } from "../../io/errors.js";
import { readNetworkFile } from "../../io/network-file.js";
import { parseNpy } from "../../io/npy.js";
import { invertNetwork, type NetworkInverse } from "../../invert/invert-network.js";
import { fmtNum, fmtVec } from "../format.js";
import { parsePositive, printJson } from "../options.js";

interface InvertCliOptions {
  output: string;
  tolerance: number;
  json?: boolean;
}

/** Exit codes of `invert`: 0 found (unique), 1 found but not proved unique, 2 no preimage, 3 bad input. */
export const INVERT_EXIT = { unique: 0, notUnique: 1, noPreimage: 2 } as const;

/** Reads y: a JSON array of numbers, or a .npy holding a vector (shape (k) or (1, k)). */
export async function readOutputVector(path: string): Promise<number[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new FileFormatError(path, `cannot read file (${describeFsError(e)})`);
  }
  if (path.toLowerCase().endsWith(".npy")) {
    const { shape, data } = parseNpy(new Uint8Array(bytes), path);
    if (!(shape.length === 1 || (shape.length === 2 && shape[0] === 1)))
      throw new FileFormatError(path, `expected a vector, got an array of shape (${shape.join(", ")})`);
    const y = Array.from(data);
    if (y.length === 0 || !y.every(Number.isFinite))
      throw new FileFormatError(path, "the vector is empty or holds NaN/Inf");
    return y;
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, ""));
  } catch {
    throw new FileFormatError(path, "invalid JSON (expected a plain array of numbers)");
  }
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((v) => typeof v === "number" && Number.isFinite(v))
  )
    throw new FileFormatError(path, "expected a non-empty JSON array of finite numbers");
  return value as number[];
}

/** Exit code of an inversion. */
export function invertExitCode(r: NetworkInverse): number {
  if (r.status !== "found") return INVERT_EXIT.noPreimage;
  return r.unique === true ? INVERT_EXIT.unique : INVERT_EXIT.notUnique;
}

/** The human report of an inversion. */
export function describeInverse(r: NetworkInverse): string {
  const lines: string[] = [];
  if (r.status === "found") {
    lines.push(
      `Preimage: x = ${fmtVec(r.x!, 10)}`,
      `  relative residual ‖N(x) − y‖∞/‖y‖∞ = ${fmtNum(r.residual, 3)}; unique: ${r.unique === true ? "yes" : r.unique === false ? "no" : "not proved"}`,
    );
    if (r.x2) lines.push(`  second preimage: x2 = ${fmtVec(r.x2, 10)}`);
  } else {
    lines.push(
      `No preimage (${r.status}): relative residual ${fmtNum(r.residual, 3)} at layer ${r.failedLayer}`,
    );
  }
  lines.push(`  ${r.reason}`);
  for (const l of r.layers)
    lines.push(
      `  layer ${l.index} (${l.domain}): ${l.found ? "inverted" : "no preimage"} by ${l.method}, residual ${fmtNum(l.residual, 3)}; ${l.uniqueness}`,
    );
  return lines.join("\n");
}

/** The `invert` command (register it in src/cli/main.ts). */
export function invertCommand(): Command {
  const cmd = new Command("invert")
    .description("find x with N(x) = y by exact layerwise inversion, and say whether it is unique")
    .argument("<model>", "network JSON file")
    .requiredOption("--output <file>", "the output y to invert: a JSON array of numbers or a .npy vector")
    .option("--tolerance <t>", "relative tolerance of the residual checks", parsePositive, 1e-9)
    .option("--json", "print machine-readable JSON on stdout");
  cmd.addHelpText(
    "after",
    `
Exit codes: 0 preimage found and unique, 1 found but not unique (a second preimage is printed when
one was found) or uniqueness not proved, 2 no preimage (y is not in the range, or the layerwise
inversion was inconclusive), 3 bad input.`,
  );
  cmd.action(async (path: string, opts: InvertCliOptions) => {
    const net = await readNetworkFile(path);
    const y = await readOutputVector(opts.output);
    const out = net.layers[net.layers.length - 1].W.length;
    if (y.length !== out)
      throw new FileFormatError(
        opts.output,
        `y has length ${y.length}, expected ${out} (the network's output dimension)`,
      );
    const r = invertNetwork(net, y, { tolerance: opts.tolerance });
    if (opts.json) {
      const { x, residual, unique, x2, status, ...rest } = r;
      printJson({ x: x ?? null, residual, unique, ...(x2 ? { x2 } : {}), status, ...rest });
    } else process.stdout.write(describeInverse(r) + "\n");
    process.exitCode = invertExitCode(r);
  });
  return cmd;
}
