/**
 * Tests of network files (src/io/network-file.ts): exact round trips, the compact layout, extra keys,
 * and one-line errors that start with the file name.
 */

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isInputError } from "../../src/core/validate.js";
import { FileFormatError } from "../../src/io/errors.js";
import {
  formatJson,
  parseNetworkJson,
  readNetworkFile,
  stringifyNetwork,
  writeNetworkFile,
} from "../../src/io/network-file.js";
import { constructCascade } from "../../src/construct/cascade.js";
import type { Network } from "../../src/model/network.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "injective-relu-netio-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Expects `f` to fail with a one-line FileFormatError; returns its message. */
async function errorOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(FileFormatError);
    expect(isInputError(e)).toBe(true);
    const message = (e as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected an error");
}

const SMALL: Network = {
  format: "injective-relu/network",
  version: 1,
  inputDim: 1,
  layers: [
    { type: "dense", W: [[1], [1], [1]], b: [2, 1, -1], activation: "relu" },
    {
      type: "dense",
      W: [
        [0, 0, 0],
        [0, 0, 0],
        [-1, 2, -2],
      ],
      activation: "linear",
    },
  ],
};

describe("round trips", () => {
  it("write then read gives the same network, bit for bit", async () => {
    const { network } = constructCascade(3, 7, { depth: 2, seed: 4, bias: "nonneg" });
    const path = join(dir, "cascade.json");
    await writeNetworkFile(path, network, { construction: { kind: "cascade", seed: 4 } });
    const back = await readNetworkFile(path);
    expect(back).toEqual(network);
  });

  it("keeps numbers that need 17 digits", () => {
    const W = [
      [0.1 + 0.2, 1e-300],
      [-Number.MAX_VALUE, 5e-324],
    ];
    const net: Network = {
      format: "injective-relu/network",
      version: 1,
      inputDim: 2,
      layers: [{ type: "dense", W, activation: "relu" }],
    };
    expect(parseNetworkJson(stringifyNetwork(net), "x.json").layers[0].W).toEqual(W);
  });

  it("writes one matrix row per line, network fields first, then the extra keys", async () => {
    const text = stringifyNetwork(SMALL, { construction: { kind: "test" } });
    expect(text).toContain('      "W": [\n        [1],\n        [1],\n        [1]\n      ],');
    expect(text).toContain('"b": [2, 1, -1]');
    expect(text.indexOf('"format"')).toBeLessThan(text.indexOf('"construction"'));
    expect(JSON.parse(text)).toEqual({ ...SMALL, construction: { kind: "test" } });
  });

  it("ignores extra top-level keys and drops them from the result", () => {
    const net = parseNetworkJson(JSON.stringify({ ...SMALL, name: "zigzag", construction: {} }), "f.json");
    expect(Object.keys(net).sort()).toEqual(["format", "inputDim", "layers", "version"]);
  });

  it("reads a null bias as no bias", () => {
    const text = JSON.stringify({ ...SMALL, layers: [{ ...SMALL.layers[0], b: null }, SMALL.layers[1]] });
    expect(parseNetworkJson(text, "f.json").layers[0].b).toBeUndefined();
  });
});

describe("formatJson", () => {
  it("formats scalars, empty containers and nested objects", () => {
    expect(formatJson(1.5)).toBe("1.5");
    expect(formatJson("a")).toBe('"a"');
    expect(formatJson([])).toBe("[]");
    expect(formatJson({})).toBe("{}");
    expect(formatJson({ a: [1, 2], b: { c: null } })).toBe(
      '{\n  "a": [1, 2],\n  "b": {\n    "c": null\n  }\n}',
    );
  });

  it("omits undefined values", () => {
    expect(formatJson({ a: 1, b: undefined })).toBe('{\n  "a": 1\n}');
  });
});

describe("errors name the file in one line", () => {
  it("invalid JSON", async () => {
    const p = await put("bad.json", '{"format": "injective-relu/network",\n "version": 1,, }');
    expect(await errorOf(() => readNetworkFile(p))).toMatch(
      new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: invalid JSON \\(`),
    );
  });

  it("a layer file instead of a network", async () => {
    const p = await put("layer.json", '{"W": [[1, 0], [0, 1]]}');
    expect(await errorOf(() => readNetworkFile(p))).toBe(
      `${p}: "format" must be "injective-relu/network", got undefined (this looks like a single layer {"W", "b"}; a network lists its layers)`,
    );
  });

  it("shapes that do not chain", async () => {
    const bad = { ...SMALL, layers: [SMALL.layers[0], { ...SMALL.layers[1], W: [[1, 2]] }] };
    const p = await put("chain.json", JSON.stringify(bad));
    expect(await errorOf(() => readNetworkFile(p))).toBe(
      `${p}: layers[1].W has 2 columns, but its input has dimension 3 (the number of rows of layers[0].W)`,
    );
  });

  it("an unsupported version and a bad activation", async () => {
    const v2 = await put("v2.json", JSON.stringify({ ...SMALL, version: 2 }));
    expect(await errorOf(() => readNetworkFile(v2))).toBe(
      `${v2}: unsupported network version 2 (this release reads version 1)`,
    );
    const act = await put(
      "act.json",
      JSON.stringify({ ...SMALL, layers: [{ ...SMALL.layers[0], activation: "softplus" }, SMALL.layers[1]] }),
    );
    expect(await errorOf(() => readNetworkFile(act))).toMatch(
      /layers\[0\]\.activation must be one of relu, linear, leaky_relu, tanh, sigmoid, got the string "softplus"$/,
    );
  });

  it("a missing file, a directory, an empty file", async () => {
    const missing = join(dir, "nope.json");
    expect(await errorOf(() => readNetworkFile(missing))).toBe(`${missing}: cannot read file (no such file)`);
    expect(await errorOf(() => readNetworkFile(dir))).toBe(
      `${dir}: is a directory, expected a network .json file`,
    );
    const empty = await put("empty.json", "  \n");
    expect(await errorOf(() => readNetworkFile(empty))).toBe(
      `${empty}: the file is empty, expected a network JSON object`,
    );
  });

  it("writing into a missing directory", async () => {
    const p = join(dir, "no", "such", "dir.json");
    expect(await errorOf(() => writeNetworkFile(p, SMALL))).toBe(`${p}: cannot write file (no such file)`);
  });

  it("a UTF-8 byte order mark is accepted", async () => {
    const p = await put("bom.json", "\uFEFF" + JSON.stringify(SMALL));
    expect(await readNetworkFile(p)).toEqual(SMALL);
    expect((await readFile(p, "utf8")).charCodeAt(0)).toBe(0xfeff);
  });
});
