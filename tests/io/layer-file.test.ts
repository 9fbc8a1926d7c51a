/**
 * Tests of reading layer files (src/io/layer-file.ts): JSON and .npy layers, format sniffing,
 * file-system errors and directory listing. Every error must name the file and the problem in one
 * line and be an input error.
 */

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isInputError } from "../../src/core/validate.js";
import { describeFsError, FileFormatError } from "../../src/io/errors.js";
import { layerFromNpy, listLayerFiles, parseLayerJson, readLayerFile } from "../../src/io/layer-file.js";
import { writeNpy } from "../../src/io/npy.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "injective-relu-io-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a file in the temporary directory and returns its path. */
async function put(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Expects `f` to fail with a one-line input error; returns its message. */
async function errorOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(FileFormatError);
    expect(isInputError(e)).toBe(true);
    const message = (e as Error).message;
    expect(message).not.toContain("\n");
    expect(message).not.toMatch(/readLayerFile:/);
    return message;
  }
  throw new Error("expected an error");
}

/** Expects parseLayerJson(text, "bad.json") to fail with a message matching `re`. */
async function expectJsonError(text: string, re: RegExp): Promise<void> {
  expect(await errorOf(() => parseLayerJson(text, "bad.json"))).toMatch(re);
}

describe("parseLayerJson", () => {
  it("reads W, b and metadata", () => {
    const layer = parseLayerJson(
      JSON.stringify({
        W: [
          [1, 0],
          [0, 1],
          [-1, -1],
        ],
        b: [0, 0.5, -1],
        name: "fig2",
        description: "three vectors in the plane",
        source: "paper, Figure 2 (left)",
        expected: { all: true, nonnegative: null },
        extra: { anything: 1 },
      }),
      "fig2.json",
    );
    expect(layer).toEqual({
      W: [
        [1, 0],
        [0, 1],
        [-1, -1],
      ],
      b: [0, 0.5, -1],
      name: "fig2",
      description: "three vectors in the plane",
      source: "paper, Figure 2 (left)",
      expected: { all: true, nonnegative: null },
    });
  });

  it("reads W without b, and with b null", () => {
    for (const text of ['{"W": [[1, 2]]}', '{"W": [[1, 2]], "b": null}']) {
      const layer = parseLayerJson(text, "a.json");
      expect(layer).toEqual({ W: [[1, 2]] });
      expect("b" in layer).toBe(false);
    }
  });

  it("rejects invalid JSON in one line with the position", async () => {
    await expectJsonError(
      '{"W": [[1, 2],\n  [3, 4],]}',
      /^bad\.json: invalid JSON \(.+\) at line 2, column 10$/,
    );
    await expectJsonError(
      '{"W": [[1]]} x',
      /^bad\.json: invalid JSON \(.*position 13.*\) at line 1, column 14$/,
    );
    await expectJsonError("", /^bad\.json: invalid JSON \(Unexpected end of JSON input\)/);
  });

  it("rejects a top level that is not an object, and a missing W", async () => {
    await expectJsonError("[[1, 2]]", /^bad\.json: expected a JSON object with a "W" key, got an array$/);
    await expectJsonError("3", /^bad\.json: expected a JSON object with a "W" key, got a number$/);
    await expectJsonError('{"w": [[1]]}', /^bad\.json: missing "W"/);
  });

  it("rejects ragged and empty W", async () => {
    await expectJsonError(
      '{"W": [[1, 2, 3], [4, 5, 6], [7, 8]]}',
      /^bad\.json: W is ragged: row 0 has 3 entries but row 2 has 2$/,
    );
    await expectJsonError('{"W": []}', /^bad\.json: W is empty/);
    await expectJsonError('{"W": [[]]}', /^bad\.json: W has rows of length 0/);
    await expectJsonError('{"W": [1, 2]}', /^bad\.json: W must be an array of rows, but row 0 is 1$/);
  });

  it("rejects non-numeric and non-finite entries", async () => {
    await expectJsonError(
      '{"W": [[1, "2"]]}',
      /^bad\.json: W\[0\]\[1\] must be a number, got the string "2"$/,
    );
    await expectJsonError(
      '{"W": [[1, 1e999]]}',
      /^bad\.json: W must be finite, got Infinity at \[0, 1\] \(a JSON number beyond .* overflows to Infinity\)$/,
    );
    await expectJsonError(
      '{"W": [[1, 2]], "b": [-1e999]}',
      /^bad\.json: b must be finite, got -Infinity at \[0\]/,
    );
  });

  it("rejects a bias of the wrong length or type", async () => {
    await expectJsonError(
      '{"W": [[1], [2]], "b": [0]}',
      /^bad\.json: b has length 1, expected 2 \(one entry per row of W\)$/,
    );
    await expectJsonError('{"W": [[1]], "b": 0}', /^bad\.json: b must be an array of numbers, got 0$/);
  });

  it("rejects metadata of the wrong type", async () => {
    await expectJsonError('{"W": [[1]], "name": 3}', /^bad\.json: "name" must be a string, got a number$/);
    await expectJsonError('{"W": [[1]], "expected": true}', /^bad\.json: "expected" must be an object/);
    await expectJsonError(
      '{"W": [[1]], "expected": {"all": "yes"}}',
      /^bad\.json: "expected\.all" must be true, false or null, got a string$/,
    );
    await expectJsonError(
      '{"W": [[1]], "expected": {"nonneg": true}}',
      /^bad\.json: "expected" has an unknown key/,
    );
  });
});

describe("layerFromNpy", () => {
  it("reads a 2-D array as W, without a bias", () => {
    expect(layerFromNpy(writeNpy([2, 3], [1, 2, 3, 4, 5, 6]), "w.npy")).toEqual({
      W: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    });
  });

  it("rejects 0-D, 1-D and 3-D arrays, naming the shape", async () => {
    expect(await errorOf(() => layerFromNpy(writeNpy([5], [1, 2, 3, 4, 5]), "w.npy"))).toMatch(
      /^w\.npy: expected a 2-D array \(m, n\) for W, got shape \(5,\)/,
    );
    expect(await errorOf(() => layerFromNpy(writeNpy([2, 1, 2], [1, 2, 3, 4]), "w.npy"))).toMatch(
      /^w\.npy: expected a 2-D array \(m, n\) for W, got shape \(2, 1, 2\)$/,
    );
    expect(await errorOf(() => layerFromNpy(writeNpy([], [1]), "w.npy"))).toMatch(
      /^w\.npy: expected a 2-D array \(m, n\) for W, got shape \(\)$/,
    );
  });

  it("rejects an empty W", async () => {
    expect(await errorOf(() => layerFromNpy(writeNpy([0, 3], []), "w.npy"))).toMatch(
      /^w\.npy: W is empty: got shape \(0, 3\)/,
    );
    expect(await errorOf(() => layerFromNpy(writeNpy([3, 0], []), "w.npy"))).toMatch(/^w\.npy: W is empty/);
  });

  it("rejects NaN and infinite entries with their index", async () => {
    const data = [1, 2, 3, 4, 5, 6, NaN, 8];
    expect(await errorOf(() => layerFromNpy(writeNpy([4, 2], data), "w.npy"))).toBe(
      "w.npy: W must be finite, got NaN at [3, 0]",
    );
    expect(await errorOf(() => layerFromNpy(writeNpy([1, 2], [1, -Infinity]), "w.npy"))).toBe(
      "w.npy: W must be finite, got -Infinity at [0, 1]",
    );
  });
});

describe("readLayerFile", () => {
  it("reads .json and .npy files (extension case-insensitive) and sets path", async () => {
    const json = await put("layer.JSON", '{"W": [[1, -1]], "b": [2], "name": "x"}');
    expect(await readLayerFile(json)).toEqual({ W: [[1, -1]], b: [2], name: "x", path: json });
    const npy = await put("w.NPY", writeNpy([1, 2], [0.5, -0.25], "<f4"));
    expect(await readLayerFile(npy)).toEqual({ W: [[0.5, -0.25]], path: npy });
  });

  it("reads a JSON file with a byte order mark", async () => {
    const path = await put("bom.json", '\uFEFF{"W": [[1]]}');
    expect((await readLayerFile(path)).W).toEqual([[1]]);
  });

  it("sniffs the format of other extensions", async () => {
    const npy = await put("weights.bin", writeNpy([1, 1], [3]));
    expect((await readLayerFile(npy)).W).toEqual([[3]]);
    const json = await put("layer.txt", '{"W": [[4]]}');
    expect((await readLayerFile(json)).W).toEqual([[4]]);
    const neither = await put("notes.txt", "hello");
    expect(await errorOf(() => readLayerFile(neither))).toMatch(
      new RegExp(`^${escape(neither)}: unrecognized format: not a \\.npy file and not valid JSON \\(`),
    );
  });

  it("names the file in content errors", async () => {
    const path = await put("ragged.json", '{"W": [[1, 2], [3]]}');
    expect(await errorOf(() => readLayerFile(path))).toBe(
      `${path}: W is ragged: row 0 has 2 entries but row 1 has 1`,
    );
    const npy = await put("bad.npy", '{"W": [[1]]}');
    expect(await errorOf(() => readLayerFile(npy))).toBe(`${npy}: not a .npy file (bad magic string)`);
  });

  it("rejects empty files", async () => {
    const path = await put("empty.json", "");
    expect(await errorOf(() => readLayerFile(path))).toMatch(
      new RegExp(`^${escape(path)}: the file is empty`),
    );
  });

  it("rejects a missing file", async () => {
    const path = join(dir, "nope.json");
    expect(await errorOf(() => readLayerFile(path))).toBe(`${path}: cannot read file (no such file)`);
  });

  it("rejects a directory", async () => {
    const sub = join(dir, "a-directory");
    await mkdir(sub);
    expect(await errorOf(() => readLayerFile(sub))).toBe(
      `${sub}: is a directory, expected a .json or .npy file`,
    );
  });

  it.skipIf(process.platform === "win32" || process.getuid?.() === 0)(
    "rejects an unreadable file",
    async () => {
      const path = await put("secret.json", '{"W": [[1]]}');
      await chmod(path, 0o000);
      try {
        expect(await errorOf(() => readLayerFile(path))).toBe(
          `${path}: cannot read file (permission denied)`,
        );
      } finally {
        await chmod(path, 0o644);
      }
    },
  );
});

describe("listLayerFiles", () => {
  it("lists the .json and .npy files of a directory, sorted", async () => {
    const d = await mkdtemp(join(dir, "list-"));
    await writeFile(join(d, "b.json"), "{}");
    await writeFile(join(d, "a.npy"), "");
    await writeFile(join(d, "C.JSON"), "{}");
    await writeFile(join(d, "readme.txt"), "");
    await mkdir(join(d, "sub.json"));
    await writeFile(join(d, "sub.json", "inner.json"), "{}");
    await symlink(join(d, "b.json"), join(d, "link.json"));
    expect(await listLayerFiles(d)).toEqual(
      ["C.JSON", "a.npy", "b.json", "link.json"].map((n) => join(d, n)),
    );
  });

  it("returns a file as itself", async () => {
    const path = await put("single.json", '{"W": [[1]]}');
    expect(await listLayerFiles(path)).toEqual([path]);
  });

  it("rejects a directory without layer files, and a missing path", async () => {
    const d = await mkdtemp(join(dir, "none-"));
    await writeFile(join(d, "notes.txt"), "");
    expect(await errorOf(() => listLayerFiles(d))).toBe(`${d}: no .json or .npy files in this directory`);
    const missing = join(dir, "missing-dir");
    expect(await errorOf(() => listLayerFiles(missing))).toBe(`${missing}: cannot read file (no such file)`);
  });
});

describe("describeFsError", () => {
  it("maps errno codes to short words", () => {
    expect(
      describeFsError(Object.assign(new Error("EACCES: permission denied, open 'x'"), { code: "EACCES" })),
    ).toBe("permission denied");
    expect(describeFsError({ code: "ENOENT" })).toBe("no such file");
    expect(describeFsError({ code: "EXDEV" })).toBe("EXDEV");
    expect(describeFsError(new Error("boom\n    at stack"))).toBe("boom");
  });
});
