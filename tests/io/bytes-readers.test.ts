/**
 * The readers that work on bytes (src/io/layer-parse.ts, src/io/network-parse.ts, the TF.js reader
 * from memory) give the same layers, networks and error messages as the file readers.
 */

import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLayerFile } from "../../src/io/layer-file.js";
import { extensionOf, parseLayerBytes } from "../../src/io/layer-parse.js";
import { readNetworkFile } from "../../src/io/network-file.js";
import { parseNetworkBytes } from "../../src/io/network-parse.js";

const LAYERS = "examples/layers";
const MODELS = "examples/models";

/** The message of what `f` throws. */
async function messageOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error");
}

describe("parseLayerBytes", () => {
  it("reads every example layer as readLayerFile does", async () => {
    for (const name of readdirSync(LAYERS)) {
      const path = join(LAYERS, name);
      const { path: _p, ...fromFile } = await readLayerFile(path);
      expect(parseLayerBytes(readFileSync(path), path)).toEqual(fromFile);
    }
  });

  it("gives readLayerFile's messages for bad files", async () => {
    const cases: [string, string][] = [
      ["bad.json", '{"W": [[1, 2], [3]]}'],
      ["bad.json", '{"W": [[1, 2],'],
      ["bad.json", ""],
      ["bad.txt", "not json"],
      ["bad.npy", "\x93NUMPY garbage"],
      ["bad.json", '{"W": [[1e999]]}'],
    ];
    const dir = mkdtempSync(join(tmpdir(), "bytes-readers-"));
    for (const [name, text] of cases) {
      const path = join(dir, name);
      writeFileSync(path, text, "latin1");
      const fromFile = await messageOf(() => readLayerFile(path));
      expect(await messageOf(() => parseLayerBytes(Buffer.from(text, "latin1"), path))).toBe(fromFile);
    }
  });

  it("takes the extension of a file name as node:path does", () => {
    expect(extensionOf("a/b/c.JSON")).toBe(".json");
    expect(extensionOf("layer.npy")).toBe(".npy");
    expect(extensionOf(".json")).toBe("");
    expect(extensionOf("dir.d/file")).toBe("");
  });
});

describe("parseNetworkBytes", () => {
  const onnx = readdirSync(MODELS).filter((f) => f.endsWith(".onnx") && !f.startsWith("mnist"));
  it.each(onnx)("reads %s as readNetworkFile does", async (name) => {
    const path = join(MODELS, name);
    const bytes = readFileSync(path);
    expect(await parseNetworkBytes([{ name: basename(path), bytes }])).toEqual(await readNetworkFile(path));
  });

  it("reads a network JSON and a TF.js model with its shards", async () => {
    const json = join(MODELS, "generator-injective.json");
    expect(await parseNetworkBytes([{ name: "g.json", bytes: readFileSync(json) }])).toEqual(
      await readNetworkFile(json),
    );
    const dir = join(MODELS, "tfjs-injective");
    const files = readdirSync(dir).map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
    expect(await parseNetworkBytes(files, { channelsFirstImages: true })).toEqual(
      await readNetworkFile(dir, { channelsFirstImages: true }),
    );
  });

  it("names a missing or too long TF.js shard", async () => {
    const dir = join(MODELS, "tfjs-injective");
    const modelJson = { name: "model.json", bytes: readFileSync(join(dir, "model.json")) };
    expect(await messageOf(() => parseNetworkBytes([modelJson]))).toMatch(
      /^model\.json: cannot read the weight shard "weights\.bin"/,
    );
    const long = new Uint8Array(readFileSync(join(dir, "weights.bin")).length + 4);
    expect(
      await messageOf(() => parseNetworkBytes([modelJson, { name: "weights.bin", bytes: long }])),
    ).toMatch(/^model\.json: the weight shard "weights\.bin" holds \d+ bytes, but the manifest declares/);
  });

  it("refuses empty and ambiguous input", async () => {
    expect(await messageOf(() => parseNetworkBytes([{ name: "x.onnx", bytes: new Uint8Array() }]))).toBe(
      "x.onnx: the file is empty, expected an ONNX model",
    );
    const a = { name: "a.onnx", bytes: readFileSync(join(MODELS, "torch-injective.onnx")) };
    expect(await messageOf(() => parseNetworkBytes([a, { ...a, name: "b.onnx" }]))).toMatch(/give one model/);
  });
});
