/**
 * Parsing one ReLU layer x -> ReLU(Wx + b) from the bytes of a layer file, without file access (it
 * runs in a browser too): a JSON file `{"W": [[...]], "b": [...], ...}` with optional metadata, or a
 * `.npy` file holding W alone. W and b are validated with src/core/validate.ts and every problem is
 * a one-line {@link FileFormatError} that starts with the file name. src/io/layer-file.ts reads
 * the files from disk and re-exports all of this.
 */

import { DOMAINS, InputRangeError, InputTypeError, validateLayer } from "../core/validate.js";
import type { Domain } from "../core/types.js";
import { FileFormatError, show } from "./errors.js";
import { formatShape, parseNpy } from "./npy.js";
import { memoryLimitOf, type ReaderOptions } from "./limits.js";

/** A layer read from a file, with the metadata a JSON file may carry. */
export interface LayerFile {
  /** The weights; rows are output units, shape (m, n). */
  W: number[][];
  /** The bias, length m; absent when the file has none (a zero bias). */
  b?: number[];
  /** Optional metadata from JSON files. */
  name?: string;
  description?: string;
  /** Where the layer comes from, e.g. "paper, Figure 2 (left)". */
  source?: string;
  /** Known verdicts per input domain: true injective, false not, null unknown. */
  expected?: { all?: boolean | null; nonnegative?: boolean | null };
  /** The path the layer was read from. */
  path: string;
}

const FN = "readLayerFile";
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** The longest string V8 makes on 64-bit platforms (Node's buffer.constants.MAX_STRING_LENGTH). */
const MAX_STRING_LENGTH = 2 ** 29 - 24;

/** The extension of a file name, lower-case with its dot (`.json`), or "" (as node:path's extname). */
export function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot).toLowerCase();
}

/** Runs `f`, turning validation errors (`readLayerFile: ...`) into FileFormatErrors naming `source`. */
function withSource<T>(source: string, f: () => T, hint?: (problem: string) => string): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputTypeError || e instanceof InputRangeError) {
      const problem = e.message.startsWith(`${FN}: `) ? e.message.slice(FN.length + 2) : e.message;
      throw new FileFormatError(source, problem + (hint?.(problem) ?? ""), { cause: e });
    }
    throw e;
  }
}

function describeJson(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "string") return "a string";
  return typeof x === "object" ? "an object" : `a ${typeof x}`;
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/**
 * Finds the offset of the first syntax error in a JSON text (JSON.parse in Node 20 does not always
 * say where). Returns -1 if none is found. Iterative, with an explicit stack of open containers, so
 * that deep nesting cannot overflow the call stack.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const isDigit = (k: number): boolean => text.charCodeAt(k) >= 0x30 && text.charCodeAt(k) <= 0x39;
  const ws = (): void => {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  /** Skips a string starting at text[i] === '"'; false at a syntax error (i at the error). */
  const string = (): boolean => {
    i++;
    for (;;) {
      if (i >= n) return false;
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        i++;
        if (text[i] === "u") {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) {
              i += k;
              return false;
            }
          }
          i += 5;
        } else if (i < n && '"\\/bfnrt'.includes(text[i])) {
          i++;
        } else {
          return false;
        }
      } else {
        i++;
      }
    }
  };
  /** Skips a number, true, false or null; false at a syntax error. */
  const scalar = (): boolean => {
    const c = text[i];
    if (c === "-" || isDigit(i)) {
      if (text[i] === "-") i++;
      if (text[i] === "0") i++;
      else if (isDigit(i)) while (isDigit(i)) i++;
      else return false;
      if (text[i] === ".") {
        i++;
        if (!isDigit(i)) return false;
        while (isDigit(i)) i++;
      }
      if (text[i] === "e" || text[i] === "E") {
        i++;
        if (text[i] === "+" || text[i] === "-") i++;
        if (!isDigit(i)) return false;
        while (isDigit(i)) i++;
      }
      return true;
    }
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return true;
      }
    }
    return false;
  };
  // The open containers, innermost last: "{" or "[".
  const open: string[] = [];
  // State: a value is expected ("value"), or what may follow a value or an opening bracket.
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      const c = text[i];
      if (c === "{" || c === "[") {
        open.push(c);
        i++;
        ws();
        if (text[i] === (c === "{" ? "}" : "]")) {
          open.pop();
          i++;
          expectValue = false;
          continue;
        }
        if (c === "{") {
          if (text[i] !== '"' || !string()) return i;
          ws();
          if (text[i] !== ":") return i;
          i++;
        }
        continue;
      }
      if (c === '"' ? !string() : !scalar()) return i;
      expectValue = false;
      continue;
    }
    // After a value: the end of the text, a comma or the closing bracket of the innermost container.
    if (open.length === 0) return i < n ? i : -1;
    const top = open[open.length - 1];
    if (text[i] === ",") {
      i++;
      if (top === "{") {
        ws();
        if (text[i] !== '"' || !string()) return i;
        ws();
        if (text[i] !== ":") return i;
        i++;
      }
      expectValue = true;
    } else if (text[i] === (top === "{" ? "}" : "]")) {
      open.pop();
      i++;
    } else {
      return i;
    }
  }
}

/**
 * Parses JSON text; on failure returns a one-line description: JSON.parse's message in parentheses,
 * then the line and column when known.
 */
function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    let reason = e.message.replace(/\s+/g, " ").trim();
    if (reason.length > 160) reason = reason.slice(0, 160) + "…";
    const pos = /at position (\d+)/.exec(e.message);
    const offset = pos ? Number(pos[1]) : jsonErrorOffset(text);
    let where = "";
    if (offset >= 0 && offset <= text.length) {
      const before = text.slice(0, offset);
      const line = before.split("\n").length;
      const column = offset - before.lastIndexOf("\n");
      where = ` at line ${line}, column ${column}`;
    }
    return { ok: false, reason: `(${reason})${where}` };
  }
}

function optionalString(obj: Record<string, unknown>, key: string, source: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string")
    throw new FileFormatError(source, `"${key}" must be a string, got ${describeJson(v)}`);
  return v;
}

function parseExpected(v: unknown, source: string): LayerFile["expected"] {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new FileFormatError(
      source,
      `"expected" must be an object like {"all": true, "nonnegative": false}, got ${describeJson(v)}`,
    );
  }
  const out: NonNullable<LayerFile["expected"]> = {};
  for (const [key, verdict] of Object.entries(v)) {
    if (!(DOMAINS as readonly string[]).includes(key)) {
      throw new FileFormatError(
        source,
        `"expected" has an unknown key ${show(key, 40)} (allowed: ${DOMAINS.map((d) => `"${d}"`).join(", ")})`,
      );
    }
    if (verdict !== null && typeof verdict !== "boolean") {
      throw new FileFormatError(
        source,
        `"expected.${key}" must be true, false or null, got ${describeJson(verdict)}`,
      );
    }
    out[key as Domain] = verdict;
  }
  return out;
}

/** Builds a layer from a parsed JSON value. */
function layerFromJsonValue(value: unknown, source: string): Omit<LayerFile, "path"> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FileFormatError(source, `expected a JSON object with a "W" key, got ${describeJson(value)}`);
  }
  const obj = value as Record<string, unknown>;
  if (!("W" in obj)) {
    throw new FileFormatError(source, `missing "W" (the weight matrix, an array of rows)`);
  }
  const hasBias = obj.b !== undefined && obj.b !== null;
  const { W, b } = withSource(
    source,
    () => validateLayer(FN, obj.W, obj.b),
    (problem) =>
      /must be finite, got -?Infinity/.test(problem)
        ? " (a JSON number beyond ±1.8e308 overflows to Infinity)"
        : "",
  );
  const layer: Omit<LayerFile, "path"> = { W };
  if (hasBias) layer.b = b;
  const name = optionalString(obj, "name", source);
  if (name !== undefined) layer.name = name;
  const description = optionalString(obj, "description", source);
  if (description !== undefined) layer.description = description;
  const src = optionalString(obj, "source", source);
  if (src !== undefined) layer.source = src;
  const expected = parseExpected(obj.expected, source);
  if (expected !== undefined) layer.expected = expected;
  return layer;
}

/**
 * Parses a layer from JSON text: `{"W": number[][], "b"?: number[] | null, "name"?: string,
 * "description"?: string, "source"?: string, "expected"?: {"all"?: boolean | null,
 * "nonnegative"?: boolean | null}}`. Other top-level keys are ignored; `b` absent or null means no
 * bias (the result has no `b`).
 *
 * @param text the file contents
 * @param source the file name, put at the start of error messages
 * @throws FileFormatError for invalid JSON, a missing or malformed W, a bias of the wrong length,
 *   non-finite numbers (such as 1e999) or metadata of the wrong type
 */
export function parseLayerJson(text: string, source: string): Omit<LayerFile, "path"> {
  const parsed = tryParseJson(text);
  if (!parsed.ok) throw new FileFormatError(source, `invalid JSON ${parsed.reason}`);
  return layerFromJsonValue(parsed.value, source);
}

// ---------------------------------------------------------------------------------------------
// .npy
// ---------------------------------------------------------------------------------------------

/**
 * Reads W from a `.npy` file: a 2-D array of shape (m, n) (see {@link parseNpy} for the dtypes).
 * A `.npy` file holds no bias, so the result has no `b`.
 *
 * @param bytes the file contents
 * @param source the file name, put at the start of error messages
 * @throws FileFormatError for a malformed file, an array that is not 2-D, an empty W or non-finite
 *   entries
 */
export function layerFromNpy(
  bytes: Uint8Array,
  source: string,
  options?: ReaderOptions,
): Omit<LayerFile, "path"> {
  const { shape, data } = parseNpy(bytes, source, options);
  if (shape.length !== 2) {
    const hint = shape.length === 1 ? "; for a single row, save w.reshape(1, -1)" : "";
    throw new FileFormatError(
      source,
      `expected a 2-D array (m, n) for W, got shape ${formatShape(shape)}${hint}`,
    );
  }
  const [m, n] = shape;
  if (m === 0 || n === 0) {
    throw new FileFormatError(
      source,
      `W is empty: got shape ${formatShape(shape)} (it needs at least one row and one column)`,
    );
  }
  const rows: number[][] = new Array<number[]>(m);
  for (let i = 0; i < m; i++) rows[i] = Array.from(data.subarray(i * n, (i + 1) * n));
  const { W } = withSource(source, () => validateLayer(FN, rows));
  return { W };
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

function startsWithNpyMagic(bytes: Uint8Array): boolean {
  return bytes.length >= NPY_MAGIC.length && NPY_MAGIC.every((b, k) => bytes[k] === b);
}

/**
 * Decodes UTF-8 text (a BOM is dropped); undefined for invalid UTF-8.
 * @throws FileFormatError for a file too long to be one JavaScript string
 */
export function decodeUtf8(bytes: Uint8Array, source: string): string | undefined {
  if (bytes.length > MAX_STRING_LENGTH)
    throw new FileFormatError(
      source,
      `the file is ${bytes.length} bytes long, too long for a JSON text (at most ${MAX_STRING_LENGTH} characters)`,
    );
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes); // strips a BOM
  } catch {
    return undefined;
  }
}

/**
 * Parses a layer file's bytes, as {@link readLayerFile} does once it has read them: the format
 * follows the extension of `source` (`.json` or `.npy`, case-insensitive); for any other name the
 * content decides (the `.npy` magic string, else JSON). Works without file access (in a browser).
 *
 * @param bytes the file contents
 * @param source the file name: its extension picks the format, and error messages start with it
 * @param options the memory limit for `.npy` data (default 2 GiB)
 * @throws FileFormatError for an empty or malformed file, with the messages of `readLayerFile`
 */
export function parseLayerBytes(
  bytes: Uint8Array,
  source: string,
  options?: ReaderOptions,
): Omit<LayerFile, "path"> {
  const limit = memoryLimitOf("parseLayerBytes", options);
  if (bytes.length === 0)
    throw new FileFormatError(source, "the file is empty, expected a .json or .npy layer");
  const ext = extensionOf(source);
  const isNpy = ext === ".npy" || (ext !== ".json" && startsWithNpyMagic(bytes));
  if (isNpy) return layerFromNpy(bytes, source, { memoryLimitBytes: limit });
  const text = decodeUtf8(bytes, source);
  if (text === undefined) {
    throw new FileFormatError(
      source,
      ext === ".json" ? "is not valid UTF-8 text" : "unrecognized format: not a .npy file and not UTF-8 JSON",
    );
  }
  if (ext === ".json") return parseLayerJson(text, source);
  const parsed = tryParseJson(text);
  if (!parsed.ok) {
    throw new FileFormatError(
      source,
      `unrecognized format: not a .npy file and not valid JSON ${parsed.reason}`,
    );
  }
  return layerFromJsonValue(parsed.value, source);
}
