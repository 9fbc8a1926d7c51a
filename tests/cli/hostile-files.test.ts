/**
 * `injective-relu check` on hostile files (issue 9), through the built CLI: weight paths that leave
 * the model folder, /dev/zero and FIFOs, an .npy header nested 5,000 deep, ONNX initializers with
 * negative dims and protobuf nested 10,000 deep, a safetensors description linked out of the folder,
 * a network whose short forms imply a huge matrix. Each must end with exit 3 and exactly one line on
 * stderr (no stack trace), quickly; a few also run with a 512 MB heap and must not crash.
 */

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import { BIN } from "../support/cli.js";
import { deepOnnxGraph } from "../support/protobuf.js";

const { onnx } = onnxProto;
const POSIX = process.platform !== "win32";
const MODELS = join(import.meta.dirname, "../../examples/models");

let dir: string;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  err: string;
  ms: number;
}

/** Runs `node [nodeArgs] main.js check ...args` in the temp dir, with a 30 s kill timer. */
function check(args: string[], nodeArgs: string[] = []): Run {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [...nodeArgs, BIN, "check", ...args], {
    encoding: "utf8",
    cwd: dir,
    timeout: 30_000,
  });
  return { code: r.status, signal: r.signal, err: r.stderr, ms: Date.now() - t0 };
}

/** Exit 3, one stderr line starting with "injective-relu: ", no stack trace, under 10 s. */
function expectBadInput(r: Run, pattern: RegExp): void {
  expect(r.signal, r.err).toBeNull();
  expect(r.code, r.err).toBe(3);
  const lines = r.err.split("\n").filter((l) => l !== "");
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(/^injective-relu: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/^\s+at /m);
  expect(r.err).not.toMatch(/internal error|FATAL|heap/);
  expect(r.ms).toBeLessThan(10_000);
}

function tfjsModel(name: string, paths: unknown[]): string {
  const folder = join(dir, name, "a", "model");
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(MODELS, "tfjs-noninjective", "weights.bin"), join(folder, "weights.bin"));
  const json = JSON.parse(readFileSync(join(MODELS, "tfjs-noninjective", "model.json"), "utf8")) as {
    weightsManifest: { paths: unknown[] }[];
  };
  json.weightsManifest[0].paths = paths;
  writeFileSync(join(folder, "model.json"), JSON.stringify(json));
  return join(name, "a", "model", "model.json");
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cli-hostile-"));
  mkdirSync(join(dir, "outside"));
  writeFileSync(join(dir, "outside", "weights.bin"), "SECRET".repeat(700));

  // An .npy header nested 5,000 deep.
  const header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${"(".repeat(5000)}${")".repeat(5000)}, }`;
  const padded = header + " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const npy = Buffer.alloc(10 + padded.length);
  npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  npy.writeUInt16LE(padded.length, 8);
  npy.write(padded, 10, "latin1");
  writeFileSync(join(dir, "deep.npy"), npy);

  // A Gemm whose weight has negative dims; one that claims 2^20 × 2^20 values.
  const gemm = (B: onnxProto.onnx.ITensorProto): Uint8Array =>
    onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 7,
        opsetImport: [{ domain: "", version: 13 }],
        graph: {
          name: "g",
          node: [{ opType: "Gemm", name: "fc", input: ["x", "B"], output: ["y"] }],
          initializer: [{ name: "B", ...B }],
          input: [
            {
              name: "x",
              type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "b" }, { dimValue: 2 }] } } },
            },
          ],
          output: [{ name: "y" }],
        },
      }),
    ).finish();
  writeFileSync(join(dir, "neg.onnx"), gemm({ dims: [-2, 2], dataType: 1, floatData: [] }));
  writeFileSync(
    join(dir, "huge.onnx"),
    gemm({ dims: [2 ** 20, 2 ** 20], dataType: 1, rawData: new Uint8Array(16) }),
  );

  // Graphs nested 10,000 deep through node attributes.
  writeFileSync(join(dir, "deep.onnx"), deepOnnxGraph(10_000));

  // A network whose flatten on 100,000 inputs would be a 100,000 × 100,000 identity.
  writeFileSync(
    join(dir, "wide-flatten.json"),
    JSON.stringify({
      format: "injective-relu/network",
      version: 1,
      inputDim: 100_000,
      layers: [{ type: "flatten" }, { type: "dense", W: [new Array(100_000).fill(1)], activation: "relu" }],
    }),
  );
  // A safetensors file that claims a tensor of 2^40 values.
  const st = Buffer.from(
    JSON.stringify({ w: { dtype: "F32", shape: [2 ** 20, 2 ** 20], data_offsets: [0, 4] } }),
  );
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(st.length));
  writeFileSync(join(dir, "huge.safetensors"), Buffer.concat([len, st, Buffer.alloc(4)]));
  writeFileSync(join(dir, "huge.layers.json"), "{}");

  if (POSIX) {
    spawnSync("mkfifo", [join(dir, "pipe.json")]);
    spawnSync("mkfifo", [join(dir, "pipe.onnx")]);
    mkdirSync(join(dir, "st"));
    copyFileSync(join(MODELS, "safetensors-injective.safetensors"), join(dir, "st", "m.safetensors"));
    copyFileSync(join(MODELS, "safetensors-injective.layers.json"), join(dir, "outside", "m.layers.json"));
    symlinkSync("../outside/m.layers.json", join(dir, "st", "m.layers.json"));
  }
});

describe("check on hostile files: exit 3, one line, no stack trace", () => {
  it("TF.js shard paths out of the folder: ../../outside, ../ to /etc/passwd, /dev/zero", () => {
    for (const [name, p] of [
      ["up", "../../outside/weights.bin"],
      ["passwd", "../../../../../../../../etc/passwd"],
      ["zero", "/dev/zero"],
    ]) {
      const r = check([tfjsModel(name, [p])]);
      expectBadInput(r, /the weight shard ".*" (leaves the model folder|is absolute)/);
      expect(r.err).not.toMatch(/SECRET|\d+ bytes/);
    }
  });

  it.runIf(POSIX)("special files as the main file: /dev/zero, FIFOs (no hang), a directory", () => {
    expectBadInput(
      check(["/dev/zero"]),
      /\/dev\/zero: is a character device, expected a \.json or \.npy file/,
    );
    expectBadInput(check(["pipe.json"]), /pipe\.json: is a FIFO \(named pipe\)/);
    expectBadInput(check(["pipe.onnx"]), /pipe\.onnx: is a FIFO \(named pipe\)/);
    mkdirSync(join(dir, "folder.onnx"));
    expectBadInput(check(["folder.onnx"]), /folder\.onnx: is a directory/);
  });

  it("crashes of issue 9: deep .npy header, negative ONNX dims, deep protobuf", () => {
    expectBadInput(check(["deep.npy"]), /deep\.npy: malformed header: values nested deeper than 16 levels/);
    expectBadInput(
      check(["neg.onnx"]),
      /neg\.onnx: initializer "B" has dims \[-2, 2\], expected non-negative integers/,
    );
    expectBadInput(
      check(["deep.onnx"]),
      /deep\.onnx: not a valid ONNX model \(malformed protobuf: messages nested deeper than 64/,
    );
  });

  it.runIf(POSIX)("a safetensors layer description linked out of the folder", () => {
    expectBadInput(
      check([join("st", "m.safetensors")]),
      /the layer description "m\.layers\.json" leads out of the model folder/,
    );
  });

  it("declared sizes above the memory limit are refused before allocating, also with a 512 MB heap", () => {
    const heap = ["--max-old-space-size=512"];
    // A flatten is lazy (the identity is never built): the network gets a verdict in a small heap.
    const wide = check(["wide-flatten.json"], heap);
    expect(wide.signal, wide.err).toBeNull();
    expect([1, 2], wide.err).toContain(wide.code);
    expect(wide.err).not.toMatch(/internal error|FATAL|heap/);
    expect(wide.ms).toBeLessThan(20_000);
    // A declared array above the memory limit: refused before allocating, as unknown (exit 2).
    const huge = check(["huge.onnx"], heap);
    expect(huge.code, huge.err).toBe(2);
    expect(huge.err.trim().split("\n")).toHaveLength(1);
    expect(huge.err).toMatch(/huge\.onnx: initializer "B" has 1099511627776 values/);
    expectBadInput(check(["huge.safetensors"], heap), /tensor "w" has 4 bytes .*expected 4398046511104/);
    expectBadInput(check([tfjsModel("zero2", ["/dev/zero"])], heap), /is absolute/);
    expectBadInput(check(["deep.onnx"], heap), /nested deeper than 64/);
  });
});
