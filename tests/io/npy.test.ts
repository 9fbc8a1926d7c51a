/**
 * Tests of the hand-written NumPy .npy reader and writer (src/io/npy.ts): round trips, format
 * versions, dtypes, and one test per rejected input, each checking the message and isInputError.
 */

import { describe, it, expect } from "vitest";
import { isInputError } from "../../src/core/validate.js";
import { FileFormatError } from "../../src/io/errors.js";
import { formatShape, parseNpy, writeNpy } from "../../src/io/npy.js";

/** Builds a .npy file by hand from a header dict literal and raw data bytes. */
function makeNpy(dict: string, data: Uint8Array, major = 1): Uint8Array {
  const lenBytes = major === 1 ? 2 : 4;
  const preamble = 8 + lenBytes;
  const pad = 64 - ((preamble + dict.length + 1) % 64);
  const header = new TextEncoder().encode(dict + " ".repeat(pad) + "\n");
  const out = new Uint8Array(preamble + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, preamble);
  out.set(data, preamble + header.length);
  return out;
}

function f8bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float64Array(values).buffer);
}

/** Runs `f`, expects a FileFormatError that is an input error, and returns its message. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FileFormatError);
    expect(isInputError(e)).toBe(true);
    const message = (e as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected an error");
}

describe("writeNpy / parseNpy round trip", () => {
  it("round-trips <f8 exactly and pads the header to a multiple of 64 bytes", () => {
    const data = [0.1, -2.5, Math.PI, 1e-300, -0, 12345.678];
    const bytes = writeNpy([3, 2], data);
    const headerLen = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + headerLen) % 64).toBe(0);
    expect(bytes[10 + headerLen - 1]).toBe(0x0a); // header ends in "\n"
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
    expect(header).toMatch(/^\{'descr': '<f8', 'fortran_order': False, 'shape': \(3, 2\), \} +\n$/);
    const parsed = parseNpy(bytes, "a.npy");
    expect(parsed.shape).toEqual([3, 2]);
    expect(parsed.dtype).toBe("<f8");
    expect(Array.from(parsed.data)).toEqual(data);
  });

  it("round-trips <f4 for exactly representable values", () => {
    const data = [1, -0.5, 0.25, 1024, -3.75];
    const bytes = writeNpy([5], data, "<f4");
    expect(bytes.length % 4).toBe(0);
    const parsed = parseNpy(bytes, "a.npy");
    expect(parsed).toMatchObject({ shape: [5], dtype: "<f4" });
    expect(Array.from(parsed.data)).toEqual(data);
  });

  it("rounds to float32 with <f4", () => {
    const parsed = parseNpy(writeNpy([1], [0.1], "<f4"), "a.npy");
    expect(parsed.data[0]).toBe(Math.fround(0.1));
  });

  it("round-trips 0-D and empty shapes", () => {
    expect(parseNpy(writeNpy([], [7]), "s.npy")).toMatchObject({ shape: [], data: new Float64Array([7]) });
    expect(parseNpy(writeNpy([0, 3], []), "e.npy")).toMatchObject({
      shape: [0, 3],
      data: new Float64Array(0),
    });
  });

  it("reads data at an unaligned offset inside a larger buffer", () => {
    const file = writeNpy([2, 2], [1, 2, 3, 4]);
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    expect(Array.from(parseNpy(big.subarray(3), "a.npy").data)).toEqual([1, 2, 3, 4]);
  });

  it("rejects bad arguments to writeNpy with input errors", () => {
    expect(() => writeNpy([2, 2], [1, 2, 3])).toThrow(
      /writeNpy: data has length 3 but shape \(2, 2\) needs 4/,
    );
    expect(() => writeNpy([-1], [])).toThrow(/writeNpy: shape must hold non-negative integers/);
    expect(() => writeNpy([1], [1], "<f2" as "<f4")).toThrow(/writeNpy: dtype must be one of/);
  });
});

describe("parseNpy header", () => {
  it("reads format versions 2.0 and 3.0", () => {
    const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    for (const major of [2, 3]) {
      const parsed = parseNpy(makeNpy(dict, f8bytes([1.5, -2]), major), "v.npy");
      expect(parsed.shape).toEqual([2]);
      expect(Array.from(parsed.data)).toEqual([1.5, -2]);
    }
  });

  it("accepts any key order, spacing, double quotes, no trailing comma and Python 2 longs", () => {
    for (const dict of [
      "{'shape': (1, 2), 'fortran_order': False, 'descr': '<f8'}",
      '{ "fortran_order" : False ,"shape":(1,2,),"descr":"<f8" , }',
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1L, 2L), }",
    ]) {
      expect(parseNpy(makeNpy(dict, f8bytes([3, 4])), "k.npy").shape).toEqual([1, 2]);
    }
  });

  it("converts little-endian integer dtypes to float64", () => {
    const cases: [string, number[], ArrayBufferView][] = [
      ["<i1", [-128, 127], new Int8Array([-128, 127])],
      ["|i1", [-1, 5], new Int8Array([-1, 5])],
      ["|u1", [255, 0], new Uint8Array([255, 0])],
      ["<u1", [7, 200], new Uint8Array([7, 200])],
      ["<i2", [-300, 30000], new Int16Array([-300, 30000])],
      ["<u2", [65535, 1], new Uint16Array([65535, 1])],
      ["<i4", [-2147483648, 42], new Int32Array([-2147483648, 42])],
      ["<u4", [4294967295, 0], new Uint32Array([4294967295, 0])],
      ["<i8", [-(2 ** 53), 2 ** 53], new BigInt64Array([-(2n ** 53n), 2n ** 53n])],
      ["<u8", [2 ** 53, 3], new BigUint64Array([2n ** 53n, 3n])],
    ];
    for (const [descr, expected, typed] of cases) {
      const raw = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
      const parsed = parseNpy(
        makeNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`, raw),
        "i.npy",
      );
      expect(parsed.dtype).toBe(descr);
      expect(Array.from(parsed.data)).toEqual(expected);
    }
  });

  it("rejects 64-bit integers beyond 2^53", () => {
    const raw = new Uint8Array(new BigInt64Array([1n, -(2n ** 53n) - 1n]).buffer);
    const bytes = makeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }", raw);
    expect(errorOf(() => parseNpy(bytes, "big.npy"))).toMatch(
      /^big\.npy: integer -9007199254740993 at \[0, 1\] is beyond 2\^53/,
    );
  });
});

describe("parseNpy rejects", () => {
  const dict = (descr: string, shape = "(2,)", fortran = "False"): string =>
    `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

  it("big-endian data", () => {
    const bytes = makeNpy(dict(">f8"), new Uint8Array(16));
    expect(errorOf(() => parseNpy(bytes, "be.npy"))).toMatch(
      /^be\.npy: big-endian dtype '>f8' is not supported; save with a\.astype\('<f8'\)$/,
    );
  });

  it("complex, boolean, string and object dtypes", () => {
    expect(errorOf(() => parseNpy(makeNpy(dict("<c16"), new Uint8Array(32)), "c.npy"))).toMatch(
      /^c\.npy: unsupported dtype '<c16' \(complex\)/,
    );
    expect(errorOf(() => parseNpy(makeNpy(dict("|b1"), new Uint8Array(2)), "b.npy"))).toMatch(
      /^b\.npy: unsupported dtype '\|b1' \(boolean\)/,
    );
    expect(errorOf(() => parseNpy(makeNpy(dict("<U5"), new Uint8Array(40)), "u.npy"))).toMatch(
      /^u\.npy: unsupported dtype '<U5' \(unicode string\)/,
    );
    expect(errorOf(() => parseNpy(makeNpy(dict("|O"), new Uint8Array(16)), "o.npy"))).toMatch(
      /^o\.npy: unsupported dtype '\|O' \(Python object\)/,
    );
    expect(errorOf(() => parseNpy(makeNpy(dict("|f8"), new Uint8Array(16)), "f.npy"))).toMatch(
      /^f\.npy: unsupported dtype '\|f8'/,
    );
  });

  it("structured dtypes", () => {
    const bytes = makeNpy(
      "{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (2,), }",
      new Uint8Array(16),
    );
    expect(errorOf(() => parseNpy(bytes, "s.npy"))).toMatch(
      /^s\.npy: structured dtypes .* are not supported/,
    );
  });

  it("Fortran order", () => {
    const bytes = makeNpy(dict("<f8", "(2, 2)", "True"), new Uint8Array(32));
    expect(errorOf(() => parseNpy(bytes, "f.npy"))).toBe(
      "f.npy: Fortran order is not supported; save with np.ascontiguousarray",
    );
  });

  it("truncated data", () => {
    const bytes = makeNpy(dict("<f8", "(3, 2)"), new Uint8Array(40));
    expect(errorOf(() => parseNpy(bytes, "t.npy"))).toBe(
      "t.npy: truncated: expected 48 bytes of data, found 40",
    );
  });

  it("extra bytes after the data", () => {
    const bytes = makeNpy(dict("<f8"), new Uint8Array(19));
    expect(errorOf(() => parseNpy(bytes, "x.npy"))).toMatch(/^x\.npy: has 3 extra bytes after the data/);
  });

  it("a truncated header", () => {
    const full = writeNpy([2], [1, 2]);
    expect(errorOf(() => parseNpy(full.subarray(0, 40), "h.npy"))).toMatch(
      /^h\.npy: truncated header: it needs 128 bytes but the file has only 40$/,
    );
    expect(errorOf(() => parseNpy(full.subarray(0, 9), "h.npy"))).toMatch(/^h\.npy: truncated header/);
    expect(errorOf(() => parseNpy(full.subarray(0, 7), "h.npy"))).toMatch(/^h\.npy: truncated header/);
  });

  it("a bad magic string", () => {
    const bytes = new TextEncoder().encode('{"W": [[1]]}');
    expect(errorOf(() => parseNpy(bytes, "m.npy"))).toBe("m.npy: not a .npy file (bad magic string)");
    expect(errorOf(() => parseNpy(new Uint8Array(0), "m.npy"))).toMatch(/^m\.npy: not a \.npy file .*empty/);
  });

  it("unsupported versions", () => {
    const bytes = writeNpy([1], [1]);
    bytes[6] = 4;
    expect(errorOf(() => parseNpy(bytes, "v.npy"))).toMatch(/^v\.npy: unsupported \.npy format version 4\.0/);
    bytes[6] = 1;
    bytes[7] = 1;
    expect(errorOf(() => parseNpy(bytes, "v.npy"))).toMatch(/^v\.npy: unsupported \.npy format version 1\.1/);
  });

  it("malformed headers", () => {
    const bad = (d: string): string => errorOf(() => parseNpy(makeNpy(d, new Uint8Array(16)), "bad.npy"));
    expect(bad("{'descr': '<f8', 'fortran_order': False, 'shape': (2,) 'x': 1}")).toMatch(
      /^bad\.npy: malformed header: expected ',' or '}'/,
    );
    expect(bad("{'descr': '<f8', 'shape': (2,)}")).toBe(
      "bad.npy: malformed header: missing key 'fortran_order'",
    );
    expect(bad("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}")).toMatch(
      /^bad\.npy: malformed header: 'shape' is not a tuple of non-negative integers/,
    );
    expect(bad("('<f8', False, (2,))")).toBe("bad.npy: malformed header: it is not a dict");
  });

  it("a header that is not UTF-8 in version 3.0", () => {
    const bytes = makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f8bytes([1, 2]), 3);
    bytes[12] = 0xff;
    expect(errorOf(() => parseNpy(bytes, "u.npy"))).toBe("u.npy: header is not valid UTF-8");
  });
});

describe("formatShape", () => {
  it("prints shapes as Python tuples", () => {
    expect(formatShape([])).toBe("()");
    expect(formatShape([5])).toBe("(5,)");
    expect(formatShape([3, 2])).toBe("(3, 2)");
  });
});
