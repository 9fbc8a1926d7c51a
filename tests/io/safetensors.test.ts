/**
 * safetensors import (src/io/safetensors.ts): the example written by scripts/make-tfjs-models.mjs
 * (tfjs-injective's weights in PyTorch layout) reproduces tfjs's outputs, checkNetwork proves it
 * injective, F64 and transposed kernels are read, and bad files give one-line errors.
 */

import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readNetworkFile } from "../../src/io/network-file.js";
import {
  parseSafetensors,
  parseSafetensorsLayers,
  readSafetensorsModel,
  SAFETENSORS_LAYERS_FORMAT,
} from "../../src/io/safetensors.js";
import { FileFormatError } from "../../src/io/errors.js";
import { forwardNetwork } from "../../src/model/network.js";
import { checkNetwork } from "../../src/network/check-network.js";

const DIR = "examples/models";
const ST = join(DIR, "safetensors-injective.safetensors");
const expected = JSON.parse(readFileSync(join(DIR, "tfjs-expected.json"), "utf8")) as {
  models: Record<string, { inputs: number[][]; outputs: number[][] }>;
};

/** A safetensors file from named tensors (F32 or F64). */
function safetensors(
  tensors: Record<string, { dtype: "F32" | "F64"; shape: number[]; data: number[] }>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.dtype === "F32" ? 4 : 8;
    const buf = Buffer.alloc(t.data.length * size);
    t.data.forEach((v, i) => (size === 4 ? buf.writeFloatLE(v, 4 * i) : buf.writeDoubleLE(v, 8 * i)));
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + buf.length] };
    parts.push(buf);
    off += buf.length;
  }
  const text = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  return new Uint8Array(Buffer.concat([len, text, ...parts]));
}

async function errorOf(p: Promise<unknown>): Promise<FileFormatError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FileFormatError);
  expect((e as Error).message).not.toContain("\n");
  return e as FileFormatError;
}

describe("safetensors models", () => {
  it("the example reproduces tfjs's predict() outputs to 1e-5 (through readNetworkFile)", async () => {
    const net = await readNetworkFile(ST);
    const { inputs, outputs } = expected.models["safetensors-injective"];
    inputs.forEach((z, k) =>
      forwardNetwork(net, z).forEach((v, i) =>
        expect(Math.abs(v - outputs[k][i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(outputs[k][i]))),
      ),
    );
    expect(net).toEqual(await readNetworkFile(join(DIR, "tfjs-injective")));
  });

  it("checkNetwork proves the example injective; a non-injective twin is refuted", async () => {
    expect((await checkNetwork(await readSafetensorsModel(ST))).injective).toBe(true);
    const bytes = safetensors({
      w: { dtype: "F64", shape: [4, 2], data: [1, 0, 0, 1, 2, 0, 0, 2] },
    });
    const desc = {
      format: SAFETENSORS_LAYERS_FORMAT,
      layers: [{ type: "dense", weight: "w", activation: "relu" }],
    };
    const net = parseSafetensorsLayers(parseSafetensors(bytes, "x.safetensors"), desc, "x.layers.json");
    expect((await checkNetwork(net)).injective).toBe(false);
  });

  it("F64 tensors, transposed (in, out) kernels and activation layers", () => {
    const bytes = safetensors({
      k: { dtype: "F64", shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
      b: { dtype: "F32", shape: [3], data: [0.5, 0, -0.5] },
    });
    const tensors = parseSafetensors(bytes, "x.safetensors");
    expect(tensors.get("k")).toEqual({ dtype: "F64", shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
    const net = parseSafetensorsLayers(
      tensors,
      {
        format: SAFETENSORS_LAYERS_FORMAT,
        layers: [
          { type: "dense", weight: "k", bias: "b", transpose: true },
          { type: "activation", activation: "leaky_relu", alpha: 0.5 },
        ],
      },
      "x.layers.json",
    );
    expect(net.layers[0].W).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(forwardNetwork(net, [1, -1])).toEqual([-1.25, -1.5, -1.75]);
  });

  it("bad files and descriptions are one-line errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "st-"));
    const path = join(dir, "m.safetensors");
    const good = readFileSync(ST);
    writeFileSync(path, good);
    expect((await errorOf(readSafetensorsModel(path))).message).toMatch(
      /m\.safetensors: cannot read the layer description .*m\.layers\.json \(no such file\)/,
    );
    copyFileSync(join(DIR, "safetensors-injective.layers.json"), join(dir, "m.layers.json"));
    expect((await readSafetensorsModel(path)).inputDim).toBe(3);

    writeFileSync(path, good.subarray(0, good.length - 4));
    expect((await errorOf(readSafetensorsModel(path))).message).toMatch(/the file is truncated/);
    writeFileSync(path, good.subarray(0, 5));
    expect((await errorOf(readSafetensorsModel(path))).message).toMatch(/too short for a safetensors file/);
    const corrupt = Buffer.from(good);
    corrupt[9] = 0x7b; // "{" inside the header: no longer valid JSON
    corrupt[10] = 0x7b;
    writeFileSync(path, corrupt);
    expect((await errorOf(readSafetensorsModel(path))).message).toMatch(/header is not valid JSON/);

    writeFileSync(path, good);
    writeFileSync(join(dir, "m.layers.json"), "{not json");
    expect((await errorOf(readSafetensorsModel(path))).message).toMatch(/m\.layers\.json: invalid JSON/);

    const i32 = new Uint8Array(safetensors({ w: { dtype: "F32", shape: [1], data: [1] } }));
    const text = Buffer.from(i32).toString("latin1").replace('"F32"', '"I32"');
    expect(() => parseSafetensors(new Uint8Array(Buffer.from(text, "latin1")), "h.safetensors")).toThrow(
      /h\.safetensors: tensor "w" has dtype I32; only F32, F64, F16 and BF16 are supported/,
    );
    const tensors = parseSafetensors(
      safetensors({ w: { dtype: "F32", shape: [2, 2], data: [1, 0, 0, 1] } }),
      "s",
    );
    const fmt = SAFETENSORS_LAYERS_FORMAT;
    expect(() =>
      parseSafetensorsLayers(tensors, { format: fmt, layers: [{ type: "dense", weight: "v" }] }, "d.json"),
    ).toThrow(/d\.json: layers\[0\]\.weight: no tensor "v" in the safetensors file/);
    expect(() =>
      parseSafetensorsLayers(tensors, { format: fmt, layers: [{ type: "conv" }] }, "d.json"),
    ).toThrow(/d\.json: layers\[0\]\.type is "conv"; supported: dense/);
    expect(() => parseSafetensorsLayers(tensors, { layers: [] }, "d.json")).toThrow(/"format" must be/);
  });
});
