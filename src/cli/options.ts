/**
 * Option parsers and output helpers shared by the CLI commands.
 */

import { InvalidArgumentError, Option } from "commander";

/** Parses a positive finite number. */
export function parsePositive(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0)
    throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return x;
}

/** Parses an integer. */
export function parseInteger(value: string): number {
  const x = Number(value);
  if (!Number.isInteger(x)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return x;
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** The `--domain all|nonnegative` option shared by the commands that check layers. */
export function domainOption(): Option {
  return new Option(
    "--domain <domain>",
    "input domain: all of R^n, or the nonnegative orthant (layers after a ReLU)",
  )
    .choices(["all", "nonnegative"])
    .default("all");
}
