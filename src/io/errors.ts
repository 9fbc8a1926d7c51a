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

/**
 * A file that is well formed as far as it was read, but is larger than the memory limit, or
 * declares an array or implies a dense matrix that is: refused before anything that large is
 * allocated. An input error like any FileFormatError (exit 3); a caller that prefers to answer
 * "unknown" for valid but huge inputs can tell it apart by its class.
 */
export class FileTooLargeError extends FileFormatError {
  /** The bytes the file, array or matrix would take. */
  readonly neededBytes: number;
  /** The memory limit it exceeds. */
  readonly limitBytes: number;

  constructor(source: string, problem: string, neededBytes: number, limitBytes: number) {
    super(source, problem);
    this.name = "FileTooLargeError";
    this.neededBytes = neededBytes;
    this.limitBytes = limitBytes;
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

/** A string from a file cut to `maxLength` characters (with "…"), for messages; not quoted. */
export function clip(s: string, maxLength = 40): string {
  return s.length > maxLength ? s.slice(0, maxLength) + "…" : s;
}

/**
 * A short, one-line rendering of a value read from a file, for error messages: strings quoted and
 * cut at `maxLength` characters, arrays and objects shown to a fixed depth (deeper levels as `…`).
 * Unlike `String(x)`, `JSON.stringify(x)` or a template literal, it cannot overflow the stack on a
 * deeply nested value and cannot produce a huge message.
 */
export function show(x: unknown, maxLength = 60): string {
  const out: string[] = [];
  let length = 0;
  const emit = (s: string): boolean => {
    if (length >= maxLength) return false;
    out.push(s);
    length += s.length;
    return true;
  };
  const one = (v: unknown, depth: number): void => {
    if (typeof v === "string") {
      const cut = v.length > maxLength ? v.slice(0, maxLength) + "…" : v;
      emit(JSON.stringify(cut));
    } else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") {
      emit(String(v));
    } else if (v === null) {
      emit("null");
    } else if (v === undefined) {
      emit("undefined");
    } else if (Array.isArray(v)) {
      if (depth >= 3) {
        emit(v.length === 0 ? "[]" : "[…]");
        return;
      }
      emit("[");
      for (let i = 0; i < v.length; i++) {
        if (i > 0) emit(", ");
        if (i >= 8 || length >= maxLength) {
          emit("…");
          break;
        }
        one(v[i], depth + 1);
      }
      emit("]");
    } else if (typeof v === "object") {
      const keys = Object.keys(v);
      if (depth >= 3) {
        emit(keys.length === 0 ? "{}" : "{…}");
        return;
      }
      emit("{");
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) emit(", ");
        if (i >= 8 || length >= maxLength) {
          emit("…");
          break;
        }
        one(keys[i], depth + 1);
        emit(": ");
        one((v as Record<string, unknown>)[keys[i]], depth + 1);
      }
      emit("}");
    } else {
      emit(typeof v);
    }
  };
  one(x, 0);
  let s = out.join("");
  if (length > maxLength + 16) s = s.slice(0, maxLength + 16) + "…";
  return s.replace(/[\r\n]+/g, " ");
}
