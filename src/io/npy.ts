/**
 * The NumPy `.npy` file format, implemented by hand: {@link parseNpy} reads versions 1.0, 2.0 and
 * 3.0 (C order, little-endian floats and integers, converted to float64), {@link writeNpy} writes
 * version 1.0 with `<f8` or `<f4` data.
 *
 * Layout (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html): the magic string
 * `\x93NUMPY`, one byte each for the major and minor version, the header length (uint16 LE for
 * version 1, uint32 LE for versions 2 and 3), the header (a Python dict literal such as
 * `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`, latin1 for versions 1 and 2, utf8
 * for version 3, padded with spaces and ending in a newline), then the raw data.
 */

import { assertRange, assertType, validateChoice } from "../core/validate.js";
import { FileFormatError } from "./errors.js";
import { checkArraySize, memoryLimitOf, type ReaderOptions } from "./limits.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ALIGN = 64;

/** A supported dtype: its size in bytes and how to read one element at a byte offset. */
interface DtypeReader {
  size: number;
  read(view: DataView, offset: number): number | bigint;
}

const READERS: Record<string, DtypeReader> = {
  "<f8": { size: 8, read: (v, o) => v.getFloat64(o, true) },
  "<f4": { size: 4, read: (v, o) => v.getFloat32(o, true) },
  "<i1": { size: 1, read: (v, o) => v.getInt8(o) },
  "|i1": { size: 1, read: (v, o) => v.getInt8(o) },
  "<u1": { size: 1, read: (v, o) => v.getUint8(o) },
  "|u1": { size: 1, read: (v, o) => v.getUint8(o) },
  "<i2": { size: 2, read: (v, o) => v.getInt16(o, true) },
  "<u2": { size: 2, read: (v, o) => v.getUint16(o, true) },
  "<i4": { size: 4, read: (v, o) => v.getInt32(o, true) },
  "<u4": { size: 4, read: (v, o) => v.getUint32(o, true) },
  "<i8": { size: 8, read: (v, o) => v.getBigInt64(o, true) },
  "<u8": { size: 8, read: (v, o) => v.getBigUint64(o, true) },
};

const SUPPORTED = "<f8, <f4, <i1/|i1, <u1/|u1, <i2, <u2, <i4, <u4, <i8, <u8";
/** Limits on the header: NumPy writes a few hundred bytes; these only stop absurd files. */
const MAX_HEADER_BYTES = 1 << 20;
const MAX_NESTING = 16;
const MAX_DIMS = 64;
const TWO_53 = 2n ** 53n;

/** Formats a shape as Python prints a tuple: `()`, `(5,)`, `(3, 2)`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** Formats a flat C-order index as `[i, j, ...]` for the given shape. */
function formatIndex(flat: number, shape: readonly number[]): string {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = flat % shape[k];
    flat = Math.floor(flat / shape[k]);
  }
  return `[${idx.join(", ")}]`;
}

// ---------------------------------------------------------------------------------------------
// The header: a Python literal (dict of str keys; values str, bool, None, int, tuple or list).
// ---------------------------------------------------------------------------------------------

type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

class HeaderSyntaxError extends Error {}

/**
 * Parses the Python literal subset used by .npy headers. Throws HeaderSyntaxError, also for values
 * nested deeper than {@link MAX_NESTING} levels (so the recursion depth does not depend on the file).
 */
function parsePyLiteral(text: string): PyValue {
  let i = 0;
  let depth = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (what: string): never => {
    const found = i < text.length ? `'${text[i]}'` : "end of header";
    throw new HeaderSyntaxError(`expected ${what} at offset ${i}, found ${found}`);
  };
  const expect = (ch: string): void => {
    ws();
    if (text[i] !== ch) fail(`'${ch}'`);
    i++;
  };
  /** Items separated by commas, an optional trailing comma, then `close`. */
  const sequence = (close: string, item: () => void): void => {
    ws();
    while (text[i] !== close) {
      item();
      ws();
      if (text[i] === ",") {
        i++;
        ws();
      } else if (text[i] !== close) {
        fail(`',' or '${close}'`);
      }
    }
    i++;
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === "{" || c === "(" || c === "[") {
      if (depth >= MAX_NESTING)
        throw new HeaderSyntaxError(`values nested deeper than ${MAX_NESTING} levels (offset ${i})`);
      depth++;
      const v = container(c);
      depth--;
      return v;
    }
    return scalar(c);
  };
  const container = (c: string): PyValue => {
    if (c === "{") {
      i++;
      const dict = new Map<string, PyValue>();
      sequence("}", () => {
        ws();
        const key = value();
        if (typeof key !== "string") throw new HeaderSyntaxError(`dict keys must be strings (offset ${i})`);
        expect(":");
        dict.set(key, value());
      });
      return dict;
    }
    if (c === "(" || c === "[") {
      i++;
      const items: PyValue[] = [];
      sequence(c === "(" ? ")" : "]", () => {
        items.push(value());
      });
      return items;
    }
    return fail("a value");
  };
  const scalar = (c: string | undefined): PyValue => {
    if (c === "'" || c === '"') {
      i++;
      let s = "";
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        s += text[i++];
      }
      if (i >= text.length) fail(`closing ${c}`);
      i++;
      return s;
    }
    const num = /[-+]?\d+[lL]?/y;
    num.lastIndex = i;
    const m = num.exec(text);
    if (m) {
      i += m[0].length;
      return Number(m[0].replace(/[lL]$/, ""));
    }
    for (const [word, v] of [
      ["True", true],
      ["False", false],
      ["None", null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail("a value");
  };
  const result = value();
  ws();
  if (i < text.length) fail("end of header");
  return result;
}

/** Names the kind of an unsupported dtype, for messages. */
function dtypeKind(descr: string): string {
  const m = /^[<>|=]?([a-zA-Z])(\d*)/.exec(descr);
  if (!m) return "unknown";
  const kinds: Record<string, string> = {
    b: "boolean",
    c: "complex",
    U: "unicode string",
    S: "byte string",
    a: "byte string",
    O: "Python object",
    V: "raw/structured",
    M: "datetime",
    m: "timedelta",
    f: `float${m[2] ? 8 * Number(m[2]) : ""}`,
    i: "integer",
    u: "unsigned integer",
  };
  return kinds[m[1]] ?? "unknown";
}

function decodeHeader(raw: Uint8Array, utf8: boolean, source: string): string {
  if (utf8) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(raw);
    } catch {
      throw new FileFormatError(source, "header is not valid UTF-8");
    }
  }
  let s = "";
  for (const byte of raw) s += String.fromCharCode(byte); // latin1
  return s;
}

/**
 * Parses a NumPy `.npy` file (format version 1.0, 2.0 or 3.0).
 *
 * The array must be in C order with a little-endian float or integer dtype (`<f8`, `<f4`, `<i1`,
 * `|i1`, `<u1`, `|u1`, `<i2`, `<u2`, `<i4`, `<u4`, `<i8`, `<u8`); every element is converted to
 * float64. 64-bit integers beyond 2^53 in magnitude are rejected, since float64 cannot hold them
 * exactly. The file must hold exactly the data the shape needs, no more and no less.
 *
 * @param bytes the whole file
 * @param source the file name, put at the start of error messages
 * @returns the shape, the elements in C order, and the dtype as written in the header
 * @throws FileFormatError naming `source` and the problem
 */
export function parseNpy(
  bytes: Uint8Array,
  source: string,
  options?: ReaderOptions,
): { shape: number[]; data: Float64Array; dtype: string } {
  const err = (problem: string): FileFormatError => new FileFormatError(source, problem);
  const limit = memoryLimitOf("parseNpy", options);

  if (bytes.length < MAGIC.length || MAGIC.some((b, k) => bytes[k] !== b)) {
    throw err(`not a .npy file (bad magic string${bytes.length === 0 ? "; the file is empty" : ""})`);
  }
  if (bytes.length < 8) throw err(`truncated header: the file has only ${bytes.length} bytes`);
  const major = bytes[6];
  const minor = bytes[7];
  if (!(major >= 1 && major <= 3 && minor === 0)) {
    throw err(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lenBytes;
  if (bytes.length < headerStart) {
    throw err(`truncated header: the file has only ${bytes.length} bytes, the preamble needs ${headerStart}`);
  }
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen > MAX_HEADER_BYTES)
    throw err(`the header is ${headerLen} bytes long, more than the ${MAX_HEADER_BYTES} this reader accepts`);
  const dataStart = headerStart + headerLen;
  if (bytes.length < dataStart) {
    throw err(`truncated header: it needs ${dataStart} bytes but the file has only ${bytes.length}`);
  }
  const header = decodeHeader(bytes.subarray(headerStart, dataStart), major === 3, source);

  let dict: PyValue;
  try {
    dict = parsePyLiteral(header);
  } catch (e) {
    if (!(e instanceof HeaderSyntaxError)) throw e;
    const shown = header.trim().length > 120 ? header.trim().slice(0, 120) + "…" : header.trim();
    throw err(`malformed header: ${e.message} in ${JSON.stringify(shown)}`);
  }
  if (!(dict instanceof Map)) throw err("malformed header: it is not a dict");
  for (const key of ["descr", "fortran_order", "shape"]) {
    if (!dict.has(key)) throw err(`malformed header: missing key '${key}'`);
  }

  const descr = dict.get("descr");
  if (Array.isArray(descr))
    throw err("structured dtypes (a list of fields) are not supported; save a plain array");
  if (typeof descr !== "string") throw err("malformed header: 'descr' is not a string");
  const fortran = dict.get("fortran_order");
  if (typeof fortran !== "boolean") throw err("malformed header: 'fortran_order' is not True or False");
  const shapeValue = dict.get("shape");
  if (
    !Array.isArray(shapeValue) ||
    !shapeValue.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw err("malformed header: 'shape' is not a tuple of non-negative integers");
  }
  if (shapeValue.length > MAX_DIMS)
    throw err(`'shape' has ${shapeValue.length} dimensions, more than ${MAX_DIMS}`);
  const shape = shapeValue as number[];

  const reader = READERS[descr];
  if (!reader) {
    if (descr.startsWith(">") && READERS["<" + descr.slice(1)]) {
      throw err(`big-endian dtype '${descr}' is not supported; save with a.astype('<${descr.slice(1)}')`);
    }
    throw err(
      `unsupported dtype '${descr}' (${dtypeKind(descr)}); supported: ${SUPPORTED}; convert with a.astype('<f8')`,
    );
  }
  if (fortran) throw err("Fortran order is not supported; save with np.ascontiguousarray");

  const size = shape.reduce((p, d) => p * d, 1);
  const needed = size * reader.size;
  const found = bytes.length - dataStart;
  if (!Number.isSafeInteger(needed))
    throw err(`the shape ${formatShape(shape)} has too many elements (more than 2^53 bytes of data)`);
  if (found < needed) {
    throw err(`truncated: expected ${needed} bytes of data, found ${found}`);
  }
  if (found > needed) {
    throw err(
      `has ${found - needed} extra bytes after the data (expected ${needed} bytes of data, found ${found})`,
    );
  }

  checkArraySize(source, `the array of shape ${formatShape(shape)}`, size, limit);
  const data = new Float64Array(size);
  for (let k = 0, off = dataStart; k < size; k++, off += reader.size) {
    const v = reader.read(view, off);
    if (typeof v === "bigint") {
      if (v > TWO_53 || v < -TWO_53) {
        throw err(
          `integer ${v} at ${formatIndex(k, shape)} is beyond 2^53 in magnitude and cannot be converted to float64 exactly`,
        );
      }
      data[k] = Number(v);
    } else {
      data[k] = v;
    }
  }
  return { shape: [...shape], data, dtype: descr };
}

/**
 * Writes an array as a NumPy `.npy` file, format version 1.0, C order.
 *
 * As NumPy does, the header is padded with spaces and ends in a newline so that the data starts at
 * a multiple of 64 bytes. With `<f4`, values are rounded to float32.
 *
 * @param shape the dimensions (non-negative integers; `[]` for a scalar)
 * @param data the elements in C order; its length must be the product of `shape`
 * @param dtype `<f8` (float64, the default) or `<f4` (float32)
 * @returns the file contents; {@link parseNpy} reads them back
 * @throws InputTypeError or InputRangeError for a bad shape, data length or dtype
 */
export function writeNpy(shape: number[], data: ArrayLike<number>, dtype: "<f8" | "<f4" = "<f8"): Uint8Array {
  assertType(Array.isArray(shape), () => `writeNpy: shape must be an array of integers`);
  assertRange(
    shape.every((d) => Number.isSafeInteger(d) && d >= 0),
    () => `writeNpy: shape must hold non-negative integers, got [${shape.join(", ")}]`,
  );
  validateChoice("writeNpy", "dtype", dtype, ["<f8", "<f4"] as const);
  const size = shape.reduce((p, d) => p * d, 1);
  assertRange(
    data.length === size,
    () => `writeNpy: data has length ${data.length} but shape ${formatShape(shape)} needs ${size}`,
  );

  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  let lenBytes = 2;
  let preamble = MAGIC.length + 2 + lenBytes;
  let pad = ALIGN - ((preamble + dict.length + 1) % ALIGN);
  if (dict.length + pad + 1 > 0xffff) {
    // Only for absurdly many dimensions: version 2.0 has a 4-byte header length.
    lenBytes = 4;
    preamble = MAGIC.length + 2 + lenBytes;
    pad = ALIGN - ((preamble + dict.length + 1) % ALIGN);
  }
  const header = dict + " ".repeat(pad) + "\n";
  const itemSize = dtype === "<f8" ? 8 : 4;
  const out = new Uint8Array(preamble + header.length + size * itemSize);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = lenBytes === 2 ? 1 : 2;
  out[7] = 0;
  if (lenBytes === 2) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let k = 0; k < header.length; k++) out[preamble + k] = header.charCodeAt(k);
  let off = preamble + header.length;
  for (let k = 0; k < size; k++, off += itemSize) {
    if (itemSize === 8) view.setFloat64(off, data[k], true);
    else view.setFloat32(off, data[k], true);
  }
  return out;
}
