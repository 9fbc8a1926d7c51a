/**
 * The readers on hostile files (issue 9): weight paths that try to leave the model folder (`..`,
 * absolute paths, symbolic links), special files (`/dev/zero`, FIFOs, directories) as the main file
 * or as a shard, shards larger or smaller than the manifest declares, files above the memory limit,
 * and inputs that used to crash: an `.npy` header nested 5,000 deep, a JSON row of 130,000 entries,
 * ONNX initializers with negative dims, deeply nested protobuf messages. Every one is a one-line
 * FileFormatError (an input error) that tells nothing about files outside the model folder.
 *
 * The hostile files are written into a temporary directory; nothing here points outside the
 * repository except inside that directory.
 */

import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import { isInputError } from "../../src/core/validate.js";
import { FileFormatError, FileTooLargeError, show } from "../../src/io/errors.js";
import { jsonErrorOffset, readLayerFile } from "../../src/io/layer-file.js";
import { parseNetworkJson, readNetworkFile } from "../../src/io/network-file.js";
import { parseNpy, writeNpy } from "../../src/io/npy.js";
import { readOnnxModel } from "../../src/io/onnx.js";
import { checkOnnxWire } from "../../src/io/onnx-wire.js";
import { parseSafetensors, readSafetensorsModel } from "../../src/io/safetensors.js";
import { parseTfjsLayersModel } from "../../src/io/tfjs.js";
import { readTfjsLayersModel } from "../../src/io/tfjs-file.js";
import { layerMatrix } from "../../src/model/network.js";
import { deepOnnxGraph, nestedMessage, varint } from "../support/protobuf.js";

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;
const MODELS = "examples/models";
const POSIX = process.platform !== "win32";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "hostile-"));
});

/** The error of a promise or a function; it must be a one-line FileFormatError. */
async function errorOf(f: (() => unknown) | Promise<unknown>): Promise<FileFormatError> {
  let e: unknown = null;
  try {
    await (typeof f === "function" ? f() : f);
  } catch (err) {
    e = err;
  }
  expect(e, "expected a FileFormatError").toBeInstanceOf(FileFormatError);
  const err = e as FileFormatError;
  expect(isInputError(err)).toBe(true);
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.message.length).toBeLessThan(600);
  return err;
}

function mkfifo(path: string): void {
  const r = spawnSync("mkfifo", [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

/** A fresh directory under tmp. */
function dir(name: string): string {
  const d = mkdtempSync(join(tmp, `${name}-`));
  return d;
}

/** A copy of the tfjs-noninjective model in `<base>/a/model`, with the manifest paths replaced. */
function tfjsModel(base: string, paths?: unknown[]): string {
  const folder = join(base, "a", "model");
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(MODELS, "tfjs-noninjective", "weights.bin"), join(folder, "weights.bin"));
  const json = JSON.parse(readFileSync(join(MODELS, "tfjs-noninjective", "model.json"), "utf8")) as {
    weightsManifest: { paths: unknown[] }[];
  };
  if (paths) json.weightsManifest[0].paths = paths;
  writeFileSync(join(folder, "model.json"), JSON.stringify(json));
  return join(folder, "model.json");
}

describe("TF.js weight paths stay inside the model folder", () => {
  const secret = "top secret content of a file outside the model folder\n";
  let base: string;
  beforeAll(() => {
    base = dir("tfjs");
    mkdirSync(join(base, "outside"));
    writeFileSync(join(base, "outside", "weights.bin"), secret);
  });

  it("the shards of the example are read (the confinement does not break valid models)", async () => {
    const net = await readTfjsLayersModel(tfjsModel(base));
    expect(net.layers.length).toBeGreaterThan(0);
  });

  it("../../outside/weights.bin and ../ paths to /etc/passwd are refused without opening them", async () => {
    for (const p of ["../../outside/weights.bin", "../../../../../../../../etc/passwd", "x/../../w.bin"]) {
      const e = await errorOf(readTfjsLayersModel(tfjsModel(base, [p])));
      expect(e.message).toContain(`the weight shard ${JSON.stringify(p)} leaves the model folder`);
      // Nothing about the outside file: not its size, not its content.
      expect(e.message).not.toMatch(/\d+ bytes/);
      expect(e.message).not.toContain("secret");
    }
  });

  it("absolute paths are refused, /dev/zero included (no read, no memory growth)", async () => {
    for (const p of ["/etc/passwd", "/dev/zero", join(base, "outside", "weights.bin"), "C:\\w.bin"]) {
      const e = await errorOf(readTfjsLayersModel(tfjsModel(base, [p])));
      expect(e.message).toMatch(/is absolute; paths must be relative to the model folder$/);
    }
  });

  it("odd paths: not a string, empty, NUL, the folder itself", async () => {
    expect((await errorOf(readTfjsLayersModel(tfjsModel(base, [7])))).message).toMatch(
      /the weight shard 7 is not a string path/,
    );
    expect((await errorOf(readTfjsLayersModel(tfjsModel(base, [""])))).message).toMatch(/is empty/);
    expect((await errorOf(readTfjsLayersModel(tfjsModel(base, ["w\0.bin"])))).message).toMatch(/NUL/);
    expect((await errorOf(readTfjsLayersModel(tfjsModel(base, ["."])))).message).toMatch(
      /is the model folder itself/,
    );
    const deep = JSON.parse("[".repeat(1000) + "]".repeat(1000)) as unknown;
    expect((await errorOf(readTfjsLayersModel(tfjsModel(base, [deep])))).message).toMatch(
      /the weight shard \[\[\[\[…\]\]\]\] is not a string path/,
    );
  });

  it.runIf(POSIX)("symbolic links are followed, and refused when they lead out of the folder", async () => {
    const model = tfjsModel(base);
    const folder = join(base, "a", "model");
    symlinkSync("../../outside/weights.bin", join(folder, "rel-out.bin"));
    symlinkSync(join(base, "outside", "weights.bin"), join(folder, "abs-out.bin"));
    symlinkSync("/etc/passwd", join(folder, "passwd.bin"));
    symlinkSync("/dev/zero", join(folder, "zero.bin"));
    symlinkSync("../../outside/no-such-file", join(folder, "dangling-out.bin"));
    mkdirSync(join(folder, "sub"));
    symlinkSync("../../..", join(folder, "sub", "up"));
    for (const p of [
      "rel-out.bin",
      "abs-out.bin",
      "passwd.bin",
      "zero.bin",
      "dangling-out.bin",
      "sub/up/outside/weights.bin",
    ]) {
      const json = JSON.parse(readFileSync(model, "utf8")) as { weightsManifest: { paths: unknown[] }[] };
      json.weightsManifest[0].paths = [p];
      writeFileSync(model, JSON.stringify(json));
      const e = await errorOf(readTfjsLayersModel(model));
      // The same message whether the outside target exists or not.
      expect(e.message).toContain(
        `the weight shard ${JSON.stringify(p)} leads out of the model folder through a symbolic link`,
      );
      expect(e.message).not.toContain("secret");
    }
    // Links that stay inside are fine: relative, absolute to the folder's real path, through a directory.
    symlinkSync("weights.bin", join(folder, "rel-in.bin"));
    symlinkSync(join(folder, "weights.bin"), join(folder, "abs-in.bin"));
    symlinkSync("..", join(folder, "sub", "parent"));
    for (const p of [
      "rel-in.bin",
      "abs-in.bin",
      "sub/parent/weights.bin",
      "sub/../weights.bin",
      "./weights.bin",
    ]) {
      const json = JSON.parse(readFileSync(model, "utf8")) as { weightsManifest: { paths: unknown[] }[] };
      json.weightsManifest[0].paths = [p];
      writeFileSync(model, JSON.stringify(json));
      expect((await readTfjsLayersModel(model)).layers.length).toBeGreaterThan(0);
    }
    // A loop of links ends with a message, not a hang.
    symlinkSync("loop-b.bin", join(folder, "loop-a.bin"));
    symlinkSync("loop-a.bin", join(folder, "loop-b.bin"));
    const json = JSON.parse(readFileSync(model, "utf8")) as { weightsManifest: { paths: unknown[] }[] };
    json.weightsManifest[0].paths = ["loop-a.bin"];
    writeFileSync(model, JSON.stringify(json));
    expect((await errorOf(readTfjsLayersModel(model))).message).toMatch(/too many symbolic links/);
  });

  it.runIf(POSIX)("a shard must be a regular file: a FIFO (no hang), a directory", async () => {
    const model = tfjsModel(base, ["pipe.bin"]);
    mkfifo(join(base, "a", "model", "pipe.bin"));
    expect((await errorOf(readTfjsLayersModel(model))).message).toContain(
      'the weight shard "pipe.bin" is a FIFO (named pipe), expected a regular file',
    );
    mkdirSync(join(base, "a", "model", "shards"), { recursive: true });
    const model2 = tfjsModel(base, ["shards"]);
    expect((await errorOf(readTfjsLayersModel(model2))).message).toContain(
      'the weight shard "shards" is a directory, expected a regular file',
    );
  });

  it("reads are bounded by the sizes the manifest declares: a long shard is refused before reading", async () => {
    const model = tfjsModel(base);
    const folder = join(base, "a", "model");
    const need = statSync(join(folder, "weights.bin")).size;
    writeFileSync(join(folder, "long.bin"), Buffer.alloc(need + 1));
    writeFileSync(join(folder, "short.bin"), Buffer.alloc(need - 4));
    writeFileSync(join(folder, "half.bin"), Buffer.alloc(need / 2));
    const set = (paths: string[]): string => {
      const json = JSON.parse(readFileSync(model, "utf8")) as { weightsManifest: { paths: unknown[] }[] };
      json.weightsManifest[0].paths = paths;
      writeFileSync(model, JSON.stringify(json));
      return model;
    };
    expect((await errorOf(readTfjsLayersModel(set(["long.bin"])))).message).toContain(
      `the weight shard "long.bin" holds ${need + 1} bytes, but the manifest declares ${need} bytes of float32 weights for its group`,
    );
    expect((await errorOf(readTfjsLayersModel(set(["short.bin"])))).message).toMatch(
      new RegExp(`hold ${need - 4} bytes, but their float32 weights need ${need} \\(truncated\\)`),
    );
    // Three halves: the third is refused before it is read.
    expect((await errorOf(readTfjsLayersModel(set(["half.bin", "half.bin", "half.bin"])))).message).toContain(
      `only 0 of the ${need} bytes the manifest declares for its group remain`,
    );
    expect((await readTfjsLayersModel(set(["half.bin", "half.bin"]))).layers.length).toBeGreaterThan(0);
  });

  it("the manifest is validated before any shard is opened (a huge declared shape is refused)", async () => {
    const model = tfjsModel(base, ["/dev/zero"]);
    const json = JSON.parse(readFileSync(model, "utf8")) as {
      weightsManifest: { weights: { shape: number[] }[] }[];
    };
    json.weightsManifest[0].weights[0].shape = [1e6, 1e6];
    writeFileSync(model, JSON.stringify(json));
    expect((await errorOf(readTfjsLayersModel(model))).message).toMatch(/above the memory limit/);
    json.weightsManifest[0].weights[0].shape = [-1, 3];
    writeFileSync(model, JSON.stringify(json));
    expect((await errorOf(readTfjsLayersModel(model))).message).toMatch(/expected nonnegative integers/);
  });
});

describe("the main file: regular files only, no larger than the memory limit", () => {
  it("/dev/zero is refused without reading it, by every reader", async () => {
    if (!POSIX) return;
    expect((await errorOf(readLayerFile("/dev/zero"))).message).toBe(
      "/dev/zero: is a character device, expected a .json or .npy file",
    );
    expect((await errorOf(readNetworkFile("/dev/zero"))).message).toBe(
      "/dev/zero: is a character device, expected a network .json file",
    );
    const d = dir("zero");
    for (const name of ["w.json", "w.npy", "n.onnx", "m.safetensors", "model.json"]) {
      symlinkSync("/dev/zero", join(d, name));
      const read = name.startsWith("w") ? readLayerFile : readNetworkFile;
      expect((await errorOf(read(join(d, name)))).message).toMatch(/is a character device, expected/);
    }
  });

  it.runIf(POSIX)("a FIFO does not hang any reader", async () => {
    const d = dir("fifo");
    for (const name of ["w.json", "w.npy", "n.onnx", "m.safetensors", "model.json", "n.json"]) {
      mkfifo(join(d, name));
      const read = name.startsWith("w") ? readLayerFile : readNetworkFile;
      expect((await errorOf(read(join(d, name)))).message).toMatch(/is a FIFO \(named pipe\), expected/);
    }
    // A TF.js model folder whose model.json is a FIFO, and a safetensors description that is one.
    mkdirSync(join(d, "tfjs"));
    mkfifo(join(d, "tfjs", "model.json"));
    expect((await errorOf(readNetworkFile(join(d, "tfjs")))).message).toMatch(/is a directory/);
    copyFileSync(join(MODELS, "safetensors-injective.safetensors"), join(d, "s.safetensors"));
    mkfifo(join(d, "s.layers.json"));
    expect((await errorOf(readSafetensorsModel(join(d, "s.safetensors")))).message).toContain(
      'the layer description "s.layers.json" is a FIFO (named pipe), expected a regular file',
    );
  });

  it("a directory where a file is expected", async () => {
    const d = dir("dirs");
    for (const name of ["w.json", "n.onnx", "m.safetensors"]) mkdirSync(join(d, name));
    expect((await errorOf(readLayerFile(join(d, "w.json")))).message).toMatch(
      /is a directory, expected a \.json/,
    );
    expect((await errorOf(readNetworkFile(join(d, "n.onnx")))).message).toMatch(
      /is a directory, expected an \.onnx model file/,
    );
    expect((await errorOf(readNetworkFile(join(d, "m.safetensors")))).message).toMatch(
      /is a directory, expected a \.safetensors file/,
    );
  });

  it("a file above the memory limit is refused before reading, naming its size and the limit", async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [
        () => readLayerFile("examples/layers/04-figure2-center.json", { memoryLimitBytes: 100 }),
        "04-figure2",
      ],
      [
        () => readNetworkFile(join(MODELS, "torch-injective.onnx"), { memoryLimitBytes: 1000 }),
        "torch-injective",
      ],
      [
        () => readNetworkFile(join(MODELS, "generator-injective.json"), { memoryLimitBytes: 1000 }),
        "generator",
      ],
      [() => readNetworkFile(join(MODELS, "tfjs-injective"), { memoryLimitBytes: 1000 }), "model.json"],
      [
        () => readNetworkFile(join(MODELS, "safetensors-injective.safetensors"), { memoryLimitBytes: 1000 }),
        "safetensors",
      ],
    ];
    for (const [read, name] of cases) {
      const e = await errorOf(read());
      expect(e.message).toContain(name);
      expect(e.message).toMatch(
        /the file is [\d.]+ (bytes|kB), above the memory limit of [\d.]+ (bytes|kB) \(set by --memory-limit\)/,
      );
    }
  });

  it.runIf(POSIX)("the safetensors layer description must be in the same folder (after links)", async () => {
    const d = dir("st");
    mkdirSync(join(d, "model"));
    mkdirSync(join(d, "elsewhere"));
    copyFileSync(join(MODELS, "safetensors-injective.safetensors"), join(d, "model", "m.safetensors"));
    copyFileSync(join(MODELS, "safetensors-injective.layers.json"), join(d, "elsewhere", "m.layers.json"));
    symlinkSync("../elsewhere/m.layers.json", join(d, "model", "m.layers.json"));
    const e = await errorOf(readSafetensorsModel(join(d, "model", "m.safetensors")));
    expect(e.message).toContain('the layer description "m.layers.json" leads out of the model folder');
    symlinkSync("/etc/passwd", join(d, "model", "p.layers.json"));
    copyFileSync(join(MODELS, "safetensors-injective.safetensors"), join(d, "model", "p.safetensors"));
    const e2 = await errorOf(readSafetensorsModel(join(d, "model", "p.safetensors")));
    expect(e2.message).not.toMatch(/root|JSON/);
  });
});

describe("no input-controlled recursion, no crash on odd values", () => {
  it("an .npy header nested 5,000 deep is a one-line error, not a stack overflow", async () => {
    const header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${"(".repeat(5000)}${")".repeat(5000)}, }`;
    const bytes = npyWithHeader(header);
    const e = await errorOf(() => parseNpy(bytes, "deep.npy"));
    expect(e.message).toMatch(/^deep\.npy: malformed header: values nested deeper than 16 levels/);
    const d = dir("npy");
    writeFileSync(join(d, "deep.npy"), bytes);
    expect((await errorOf(readLayerFile(join(d, "deep.npy")))).message).toMatch(/nested deeper than 16/);
  });

  it(".npy headers: too long, too many dims, too many elements, above the memory limit", async () => {
    expect(
      (await errorOf(() => parseNpy(npyWithHeader("{" + " ".repeat(70_000) + "}", 2), "h.npy"))).message,
    ).toMatch(/malformed header: missing key 'descr'/);
    const big = new Uint8Array(12);
    big.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(big.buffer).setUint32(8, 0xffffffff, true);
    expect((await errorOf(() => parseNpy(big, "h.npy"))).message).toMatch(
      /the header is 4294967295 bytes long/,
    );
    const dims = new Array(65).fill(1).join(", ");
    expect(
      (
        await errorOf(() =>
          parseNpy(npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': (${dims}), }`), "h.npy"),
        )
      ).message,
    ).toMatch(/65 dimensions, more than 64/);
    expect(
      (
        await errorOf(() =>
          parseNpy(
            npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }`),
            "h.npy",
          ),
        )
      ).message,
    ).toMatch(/has too many elements/);
    const w = writeNpy([4, 4], new Array(16).fill(1));
    expect((await errorOf(() => parseNpy(w, "w.npy", { memoryLimitBytes: 64 }))).message).toMatch(
      /the array of shape \(4, 4\) has 16 values \(128 bytes in memory\), above the memory limit of 64 bytes/,
    );
  });

  it("one JSON row of 130,000 entries is read by the layer and network readers", async () => {
    const d = dir("wide");
    const row = Array.from({ length: 130_000 }, (_, i) => (i % 7) - 3);
    writeFileSync(join(d, "wide.json"), JSON.stringify({ W: [row] }));
    const layer = await readLayerFile(join(d, "wide.json"));
    expect(layer.W[0].length).toBe(130_000);
    const net = parseNetworkJson(
      JSON.stringify({
        format: "injective-relu/network",
        version: 1,
        inputDim: 130_000,
        layers: [{ type: "dense", W: [row], activation: "relu" }],
      }),
      "wide-net.json",
    );
    expect(net.layers[0].W![0].length).toBe(130_000);
  });

  it("deeply nested JSON: error offsets without recursion, messages without recursion", async () => {
    const deep = "[".repeat(200_000) + "1,]" + "]".repeat(199_999);
    expect(jsonErrorOffset(deep)).toBe(200_002);
    expect(jsonErrorOffset("[".repeat(200_000) + "]".repeat(200_000))).toBe(-1);
    const d = dir("deepjson");
    writeFileSync(join(d, "deep.json"), deep);
    expect((await errorOf(readLayerFile(join(d, "deep.json")))).message).toMatch(
      /invalid JSON .* at line 1, column 200003/,
    );
    // A deeply nested value where a number or a string is expected: the message shows it briefly.
    const nested = JSON.parse("[".repeat(100_000) + "]".repeat(100_000)) as unknown;
    expect(show(nested)).toBe("[[[[…]]]]");
    const text = '{"format": ' + "[".repeat(100_000) + "]".repeat(100_000) + ', "inputDim": 1, "layers": []}';
    expect((await errorOf(() => parseNetworkJson(text, "n.json"))).message).toMatch(/"format" must be/);
  });

  it("short layer forms are lazy: a huge flatten or convolution is not built at import", () => {
    const net = (layers: unknown[], inputDim = 100_000): string =>
      JSON.stringify({ format: "injective-relu/network", version: 1, inputDim, layers });
    // Flatten/reshape and convolutions keep their records; the matrices are built only when a rule
    // needs them, within the budget (tests/network/lazy-conv.test.ts).
    expect(parseNetworkJson(net([{ type: "flatten" }]), "n.json").layers[0].W).toBeUndefined();
    const conv = { type: "conv", inputShape: [1, 3000, 3000], kernels: [[[[1]]]] };
    expect(parseNetworkJson(net([conv], 9_000_000), "n.json").layers[0].conv).toBeDefined();
  });

  it("TF.js: deep inbound_nodes, odd values in messages, huge declared input shapes", () => {
    type Layer = { inbound_nodes: unknown; config: Record<string, unknown> };
    const read = (): { modelTopology: { config: { layers: Layer[] } } } =>
      JSON.parse(readFileSync(join(MODELS, "tfjs-injective-functional", "model.json"), "utf8")) as never;
    const weights = new Uint8Array(readFileSync(join(MODELS, "tfjs-injective-functional", "weights.bin")));
    let nest: unknown = [];
    for (let k = 0; k < 100_000; k++) nest = [nest];
    const deep = read();
    deep.modelTopology.config.layers[1].inbound_nodes = nest;
    expect(() => parseTfjsLayersModel(deep, weights, "m.json")).toThrow(
      /layer "expand" consumes nothing, not the previous layer "z"/,
    );
    const odd = read();
    odd.modelTopology.config.layers[1].config.activation = nest;
    expect(() => parseTfjsLayersModel(odd, weights, "m.json")).toThrow(/has activation "\[\[\[\[…\]\]\]\]"/);
    odd.modelTopology.config.layers[1].config.activation = "relu";
    odd.modelTopology.config.layers[1].config.name = nest;
    expect(() => parseTfjsLayersModel(odd, weights, "m.json")).toThrow(FileFormatError);
    const wide = {
      modelTopology: {
        class_name: "Sequential",
        config: {
          layers: [
            {
              class_name: "Activation",
              config: { name: "a", activation: "relu", batch_input_shape: [null, 1e6] },
            },
          ],
        },
      },
      weightsManifest: [],
    };
    // An activation alone is W = I, never stored: the import holds nothing of size 10^6 × 10^6, and
    // building the matrix is refused by the memory budget.
    const lazy = parseTfjsLayersModel(wide, [], "m.json");
    expect(lazy.layers[0]).toMatchObject({ activation: "relu", identity: { size: 1e6 } });
    expect(lazy.layers[0].W).toBeUndefined();
    expect(() => layerMatrix(lazy.layers[0])).toThrow(
      /1,000,000 × 1,000,000 matrix .* above the memory limit/,
    );
  });
});

/** An .npy file (version 1 or 2) with the given header text and no data. */
function npyWithHeader(header: string, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const padded = header + " ".repeat(63 - ((pre + header.length) % 64)) + "\n";
  const out = new Uint8Array(pre + padded.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  for (let k = 0; k < padded.length; k++) out[pre + k] = padded.charCodeAt(k) & 0xff;
  return out;
}

/** A one-Gemm ONNX model with weight B (the given tensor) on an input of dimension n. */
function gemmModel(B: onnxProto.onnx.ITensorProto, n: number | null = 2): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: "", version: 13 }],
      graph: {
        name: "g",
        node: [{ opType: "Gemm", name: "fc", input: ["x", "B"], output: ["y"], attribute: [] }],
        initializer: [{ name: "B", ...B }],
        input: [
          {
            name: "x",
            type: {
              tensorType: {
                elemType: T.FLOAT,
                shape: { dim: [{ dimParam: "b" }, ...(n ? [{ dimValue: n }] : [])] },
              },
            },
          },
        ],
        output: [{ name: "y" }],
      },
    }),
  ).finish();
}

function f32(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

describe("ONNX: every field is validated", () => {
  it("an initializer with negative dims is a one-line error (it was 'Cannot read properties of undefined')", async () => {
    const e = await errorOf(() =>
      readOnnxModel(gemmModel({ dims: [-2, 2], dataType: T.FLOAT, floatData: [] }), "neg.onnx"),
    );
    expect(e.message).toBe('neg.onnx: initializer "B" has dims [-2, 2], expected non-negative integers');
    const d = dir("onnx");
    writeFileSync(join(d, "neg.onnx"), gemmModel({ dims: [-2, 2], dataType: T.FLOAT, floatData: [] }));
    expect((await errorOf(readNetworkFile(join(d, "neg.onnx")))).message).toMatch(
      /expected non-negative integers/,
    );
  });

  it("zero, huge and unsafe dims; raw_data of the wrong length; both raw and typed data", async () => {
    const cases: [onnxProto.onnx.ITensorProto, RegExp][] = [
      [
        { dims: [0, 2], dataType: T.FLOAT, floatData: [] },
        /the weight B has dims \[0, 2\], expected a matrix/,
      ],
      [{ dims: [2, 0], dataType: T.FLOAT, floatData: [] }, /expected a matrix \(2 positive dims\)/],
      [{ dims: [2 ** 40, 2 ** 40], dataType: T.FLOAT, rawData: f32([1]) }, /too many values/],
      [{ dims: [2 ** 20, 2 ** 20], dataType: T.FLOAT, rawData: f32([1]) }, /above the memory limit/],
      [{ dims: ["9007199254740993" as never, 1], dataType: T.FLOAT }, /expected non-negative integers/],
      [{ dims: [2, 2], dataType: T.FLOAT, rawData: f32([1, 2, 3]) }, /12 bytes of raw_data, expected 16/],
      [{ dims: [2, 2], dataType: T.DOUBLE, rawData: f32([1, 2, 3, 4]) }, /16 bytes of raw_data, expected 32/],
      [{ dims: [2, 2], dataType: T.FLOAT, floatData: [1, 2, 3] }, /has 3 values, expected 4/],
      [
        { dims: [2, 2], dataType: T.FLOAT, floatData: [1, 2, 3, 4], rawData: f32([1, 2, 3, 4]) },
        /both raw_data and a typed/,
      ],
      [{ dims: [2, 2], dataType: T.FLOAT, floatData: [1, NaN, 3, 4] }, /non-finite value/],
      [{ dims: [2, 2], dataType: T.STRING }, /element type STRING; only FLOAT, DOUBLE, FLOAT16, BFLOAT16/],
      [{ dims: [2, 2], dataType: 999 }, /element type 999/],
      [{ dims: [2, 2], dataType: T.INT64, int64Data: [1, 2, 3, 4] }, /is an integer tensor/],
      [{ dims: [2, 2], dataType: T.FLOAT16, int32Data: [1, 2, 3, 70000] }, /not a 16-bit pattern/],
      [{ dims: [2, 2], dataType: T.FLOAT, floatData: [1, 0, 0, 1], dataLocation: 1 }, /external file/],
      [
        { dims: [2, 2], dataType: T.FLOAT, floatData: [1, 0, 0, 1], segment: { begin: 0, end: 4 } },
        /segment/,
      ],
    ];
    for (const [B, re] of cases)
      expect((await errorOf(() => readOnnxModel(gemmModel(B), "m.onnx"))).message).toMatch(re);
  });

  it("an external-data reference to a file outside is refused without touching it", async () => {
    const B = {
      dims: [2, 2],
      dataType: T.FLOAT,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: "location", value: "../../../../etc/passwd" }],
    };
    const e = await errorOf(() => readOnnxModel(gemmModel(B), "ext.onnx"));
    expect(e.message).toMatch(/stores its data in an external file, which is not supported/);
    expect(e.message).not.toContain("passwd");
  });

  it("FLOAT16 and BFLOAT16 weights are decoded exactly (raw_data and int32_data)", () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x0001]).buffer); // 1, -2, 0.5, 2^-24
    const net = readOnnxModel(gemmModel({ dims: [2, 2], dataType: T.FLOAT16, rawData: half }), "h.onnx");
    expect(net.layers[0].W).toEqual([
      [1, 0.5],
      [-2, 2 ** -24],
    ]);
    const bf = readOnnxModel(
      gemmModel({ dims: [2, 2], dataType: T.BFLOAT16, int32Data: [0x3f80, 0xc000, 0x3f00, 0x4040] }),
      "b.onnx",
    );
    expect(bf.layers[0].W).toEqual([
      [1, 0.5],
      [-2, 3],
    ]);
  });

  it("protobuf nested 10,000 deep (graphs in attributes; sequence types) is refused before decoding", async () => {
    // An attribute holding a graph whose node holds an attribute holding a graph ... (written by
    // hand in tests/support/protobuf.ts: protobufjs's encoder would itself overflow the stack).
    const bytes = deepOnnxGraph(10_000);
    expect(checkOnnxWire(bytes)).toMatch(/nested deeper than 64 levels/);
    expect((await errorOf(() => readOnnxModel(bytes, "deep.onnx"))).message).toMatch(
      /^deep\.onnx: not a valid ONNX model \(malformed protobuf: messages nested deeper than 64 levels/,
    );
    // TypeProto.sequence_type.elem_type.sequence_type ... in a graph input.
    const types = nestedMessage(10_000, [
      [0x0a, []], // TypeSequence: field 1 (elem_type)
      [0x22, []], // TypeProto: field 4 (sequence_type)
    ]);
    const valueInfo = [0x12, ...varint(types.length), ...types]; // ValueInfoProto field 2 (type)
    const graph = [0x5a, ...varint(valueInfo.length), ...valueInfo]; // GraphProto field 11 (input)
    const typed = new Uint8Array([0x3a, ...varint(graph.length), ...graph]);
    expect((await errorOf(() => readOnnxModel(typed, "t.onnx"))).message).toMatch(/nested deeper than 64/);
  });

  it("malformed wire format: groups, wrong wire types, lengths past the end, long varints", () => {
    const good = new Uint8Array(readFileSync(join(MODELS, "torch-injective.onnx")));
    expect(checkOnnxWire(good)).toBeNull();
    // ModelProto field 7 (graph) as a varint: protobufjs would read the varint as a length.
    expect(checkOnnxWire(new Uint8Array([0x38, 0x05]))).toMatch(
      /field 7 of ModelProto has wire type 0, expected 2/,
    );
    // A group (wire type 3), which protobufjs skips by recursion.
    expect(checkOnnxWire(new Uint8Array([0x0b, 0x0b, 0x0b, 0x0c, 0x0c, 0x0c]))).toMatch(/protobuf group/);
    expect(checkOnnxWire(new Uint8Array([0x3a, 0x10, 0x00]))).toMatch(/runs past the end of its ModelProto/);
    expect(
      checkOnnxWire(new Uint8Array([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])),
    ).toMatch(/malformed varint/);
    // A tag of 6 bytes: protobufjs would skip 10.
    expect(checkOnnxWire(new Uint8Array([0x88, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01]))).toMatch(
      /malformed field tag/,
    );
    // A packed float field of 5 bytes inside a TensorProto inside a GraphProto.
    const tensor = [0x22, 0x05, 1, 2, 3, 4, 5]; // field 4 (float_data), packed, 5 bytes
    const graph = [0x2a, tensor.length, ...tensor]; // GraphProto field 5 (initializer)
    expect(checkOnnxWire(new Uint8Array([0x3a, graph.length, ...graph]))).toMatch(
      /not a whole number of 4-byte values/,
    );
  });

  it("a Relu on a huge declared input is read lazily: its identity matrix is never built", async () => {
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 7,
        graph: {
          name: "g",
          node: [{ opType: "Relu", name: "r", input: ["x"], output: ["y"] }],
          input: [
            {
              name: "x",
              type: {
                tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 1_000_000 }] } },
              },
            },
          ],
          output: [{ name: "y" }],
        },
      }),
    ).finish();
    const lazy = readOnnxModel(bytes, "r.onnx");
    expect(lazy.layers[0]).toMatchObject({ activation: "relu", identity: { size: 1e6 } });
    expect(() => layerMatrix(lazy.layers[0])).toThrow(
      /1,000,000 × 1,000,000 matrix .* above the memory limit/,
    );
  });
});

describe("safetensors: the header is validated", () => {
  /** A safetensors file from a header object and data bytes. */
  function st(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
    const text = Buffer.from(headerText ?? JSON.stringify(header), "utf8");
    const out = new Uint8Array(8 + text.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    out.set(data, 8 + text.length);
    return out;
  }
  const t = (begin: number, end: number, shape = [(end - begin) / 4]): unknown => ({
    dtype: "F32",
    shape,
    data_offsets: [begin, end],
  });

  it("header length, start, UTF-8, metadata", async () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    expect((await errorOf(() => parseSafetensors(huge, "s"))).message).toMatch(
      /header length is 9223372036854775808 bytes, but only 8 follow/,
    );
    expect((await errorOf(() => parseSafetensors(st(null, undefined, "[1]"), "s"))).message).toMatch(
      /does not start with '\{'/,
    );
    const bad = st({});
    bad[9] = 0xff;
    expect((await errorOf(() => parseSafetensors(bad, "s"))).message).toMatch(/not valid UTF-8/);
    expect((await errorOf(() => parseSafetensors(st({ __metadata__: { a: 1 } }), "s"))).message).toMatch(
      /"__metadata__" must be an object of strings/,
    );
  });

  it("offsets must tile the data: overlap, gap, trailing bytes, out of range", async () => {
    const data = f32([1, 2, 3, 4]);
    expect(parseSafetensors(st({ a: t(0, 8), b: t(8, 16) }, data), "s").size).toBe(2);
    expect(
      (await errorOf(() => parseSafetensors(st({ a: t(0, 8), b: t(4, 12) }, data), "s"))).message,
    ).toMatch(/tensor "b" \(data_offsets \[4, 12\]\) overlaps the tensor before it/);
    expect(
      (await errorOf(() => parseSafetensors(st({ a: t(0, 8), b: t(12, 16) }, data), "s"))).message,
    ).toMatch(/the bytes 8 to 12 of the data belong to no tensor/);
    expect((await errorOf(() => parseSafetensors(st({ a: t(0, 8) }, data), "s"))).message).toMatch(
      /the data has 16 bytes, but the tensors cover only 8/,
    );
    expect((await errorOf(() => parseSafetensors(st({ a: t(0, 32) }, data), "s"))).message).toMatch(
      /truncated/,
    );
    expect((await errorOf(() => parseSafetensors(st({ a: t(0, 16, [3]) }, data), "s"))).message).toMatch(
      /has 16 bytes \(data_offsets \[0, 16\]\), expected 12/,
    );
    expect(
      (await errorOf(() => parseSafetensors(st({ a: t(0, 16, [2 ** 40, 2 ** 40]) }, data), "s"))).message,
    ).toMatch(/expected/);
  });

  it("dtypes: unknown, unsupported, F16 and BF16 decoded", async () => {
    const two = new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer);
    expect(
      parseSafetensors(st({ a: { dtype: "F16", shape: [2], data_offsets: [0, 4] } }, two), "s").get("a")!
        .data,
    ).toEqual([1, -2]);
    // BF16 is the high half of a float32: 0x3c00 -> 0x3c000000 = 2^-7.
    expect(
      parseSafetensors(st({ a: { dtype: "BF16", shape: [2], data_offsets: [0, 4] } }, two), "s").get("a")!
        .data,
    ).toEqual([2 ** -7, -2]);
    expect(
      (
        await errorOf(() =>
          parseSafetensors(st({ a: { dtype: "I64", shape: [0], data_offsets: [0, 0] } }), "s"),
        )
      ).message,
    ).toMatch(/dtype I64; only F32, F64, F16 and BF16 are supported/);
    expect(
      (
        await errorOf(() =>
          parseSafetensors(st({ a: { dtype: "Q9".repeat(100), shape: [0], data_offsets: [0, 0] } }), "s"),
        )
      ).message.length,
    ).toBeLessThan(200);
  });
});

describe("FileTooLargeError: valid but above the memory limit, told apart from malformed", () => {
  it("the file size, a declared array and an implied matrix all give FileTooLargeError with the sizes", async () => {
    const e1 = await errorOf(
      readLayerFile("examples/layers/04-figure2-center.json", { memoryLimitBytes: 100 }),
    );
    expect(e1).toBeInstanceOf(FileTooLargeError);
    expect((e1 as FileTooLargeError).limitBytes).toBe(100);
    expect((e1 as FileTooLargeError).neededBytes).toBe(
      statSync("examples/layers/04-figure2-center.json").size,
    );
    const e2 = await errorOf(() =>
      readOnnxModel(gemmModel({ dims: [2 ** 20, 2 ** 20], dataType: T.FLOAT, rawData: f32([1]) }), "m.onnx"),
    );
    expect(e2).toBeInstanceOf(FileTooLargeError);
    expect((e2 as FileTooLargeError).neededBytes).toBe(2 ** 43);
    // A batch norm's parameter vectors are held: 1e9 channels of them are refused.
    const net = JSON.stringify({
      format: "injective-relu/network",
      version: 1,
      inputDim: 1e9,
      layers: [{ type: "batchnorm" }],
    });
    const e3 = await errorOf(() => parseNetworkJson(net, "n.json"));
    expect(e3).toBeInstanceOf(FileTooLargeError);
    // A malformed file is a plain FileFormatError.
    const e4 = await errorOf(() => readOnnxModel(gemmModel({ dims: [-2, 2], dataType: T.FLOAT }), "m.onnx"));
    expect(e4).not.toBeInstanceOf(FileTooLargeError);
  });
});
