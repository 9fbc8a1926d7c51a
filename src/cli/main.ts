#!/usr/bin/env node
/**
 * The `injective-relu` command line: a thin layer over the library. Bad input gets one line on
 * stderr and exit code 3, never a stack trace.
 */

import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { isInputError, isResourceLimitError } from "../core/index.js";
import { FileTooLargeError } from "../io/errors.js";
import { EXIT } from "./exit-codes.js";
import { checkCommand } from "./commands/check.js";
import { examplesCommand } from "./commands/examples.js";
import { verifyCommand } from "./commands/verify.js";
import { constructCommand } from "./commands/construct.js";
import { lipschitzCommand } from "./commands/lipschitz.js";
import { checkNetworkCommand } from "./commands/check-network.js";
import { invertCommand } from "./commands/invert.js";
import { compressedSensingCommand } from "./commands/compressed-sensing.js";
import { checkConvCommand } from "./commands/check-conv.js";
import { phaseCommand } from "./commands/phase.js";
import { ganCommand } from "./commands/gan.js";

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return "unknown";
  }
}

/** Builds the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command("injective-relu")
    .description(
      "Verify, construct and invert globally injective ReLU networks (Puthawala et al., Globally Injective ReLU Networks)",
    )
    .version(version());
  program.addCommand(checkCommand());
  program.addCommand(examplesCommand());
  program.addCommand(verifyCommand());
  program.addCommand(checkConvCommand());
  program.addCommand(constructCommand());
  program.addCommand(lipschitzCommand());
  program.addCommand(checkNetworkCommand());
  program.addCommand(invertCommand());
  program.addCommand(compressedSensingCommand());
  program.addCommand(phaseCommand());
  program.addCommand(ganCommand());
  // Every command's own errors (an unknown option, a bad option value) get the same prefix as the
  // library's errors; commander does not pass these settings on to added subcommands.
  const outputError = (str: string, write: (s: string) => void): void => write(cliErrorLine(str));
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride().configureOutput({ outputError });
  return program;
}

/** The prefix of every error line the command writes on stderr. */
export const ERROR_PREFIX = "injective-relu: ";

/** One error line: the prefix, then the message without commander's own "error: ". */
function cliErrorLine(message: string): string {
  return `${ERROR_PREFIX}${message.replace(/^error: /, "").trimEnd()}\n`;
}

/** The JSON object of an error, on stdout, when --json was asked for. */
function jsonError(message: string, exitCode: number): string {
  return JSON.stringify({ error: { message, exitCode } }) + "\n";
}

async function main(argv: string[]): Promise<void> {
  // Output piped into a reader that stops early (`| head`): end quietly, not with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const program = buildProgram();
  const wantsJson = argv.includes("--json");
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed its one-line message (or the help).
      const ok = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(e.code);
      process.exitCode = ok ? EXIT.injective : EXIT.badInput;
      if (!ok && wantsJson)
        process.stdout.write(jsonError(e.message.replace(/^error: /, "").split("\n")[0], EXIT.badInput));
      return;
    }
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    if (
      e instanceof RangeError &&
      /^(Array buffer allocation failed|Invalid array length|Invalid typed array length)/.test(e.message)
    ) {
      // An allocation that no memory guard estimated failed: still a limit, not a crash.
      process.stderr.write(
        `${ERROR_PREFIX}unknown: an allocation failed (${message}): the input needs more memory than is available; please report it, a guard is missing\n`,
      );
      process.exitCode = EXIT.unknown;
      return;
    }
    // A valid input whose work (or file) does not fit the time or memory limit: the verdict is
    // unknown. A file above the memory limit was valid as far as it was read.
    const limit = isResourceLimitError(e)
      ? { kind: e.kind, stage: e.stage, hint: "" }
      : e instanceof FileTooLargeError
        ? { kind: "memory" as const, stage: "reading the file", hint: " (raise --memory-limit to go on)" }
        : null;
    if (limit) {
      const cancelled = limit.kind === "cancelled";
      process.stderr.write(`${ERROR_PREFIX}${cancelled ? "" : "unknown: "}${message}${limit.hint}\n`);
      if (wantsJson)
        process.stdout.write(
          JSON.stringify({
            injective: null,
            conclusion: "unknown",
            reason: `Unknown: ${message}.`,
            limit: { kind: limit.kind, stage: limit.stage },
          }) + "\n",
        );
      process.exitCode = cancelled ? EXIT.cancelled : EXIT.unknown;
      return;
    }
    if (isInputError(e)) {
      process.stderr.write(cliErrorLine(message));
      if (wantsJson) process.stdout.write(jsonError(message, EXIT.badInput));
      process.exitCode = EXIT.badInput;
    } else {
      process.stderr.write(
        `${ERROR_PREFIX}internal error: ${message} (please report it; set DEBUG=1 for the stack)\n`,
      );
      if (process.env.DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ""}\n`);
      if (wantsJson) process.stdout.write(jsonError(`internal error: ${message}`, EXIT.internal));
      process.exitCode = EXIT.internal;
    }
  }
}

await main(process.argv);
