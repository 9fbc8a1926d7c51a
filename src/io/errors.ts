/**
 * Errors of the file formats (src/io): {@link FileFormatError}, thrown for unreadable or malformed
 * files, and {@link describeFsError}, which turns a Node file-system error into a short phrase.
 *
 * A FileFormatError carries `isInputError = true`, like the errors of src/core/validate.ts, so that
 * `isInputError` tells a bad file from a bug. Its message is one line and starts with the file name.
 */

/** A file that cannot be read or does not hold what it should. Message: `${source}: ${problem}`. */
export class FileFormatError extends Error {
  readonly isInputError = true;
  /** The file name (or other source label) the message starts with. */
  readonly source: string;
  /** The message without the source prefix. */
  readonly problem: string;

  /**
   * @param source file name or label, put at the start of the message
   * @param problem what is wrong; line breaks are folded into spaces so the message is one line
   */
  constructor(source: string, problem: string, options?: ErrorOptions) {
    const oneLine = problem.replace(/\s*[\r\n]+\s*/g, " ");
    super(`${source}: ${oneLine}`, options);
    this.name = "FileFormatError";
    this.source = source;
    this.problem = oneLine;
  }
}

const FS_REASONS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "is a directory",
  ENOTDIR: "a component of the path is not a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "name too long",
  EMFILE: "too many open files",
  EBUSY: "resource busy",
  EIO: "input/output error",
};

/**
 * Describes a Node file-system error in a few words ("no such file", "permission denied"), for
 * messages that must not show a stack or a raw errno dump.
 */
export function describeFsError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string") return FS_REASONS[code] ?? code;
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}
