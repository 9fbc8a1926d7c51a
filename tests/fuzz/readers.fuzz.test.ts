/**
 * Fuzz harness of the file readers (issue 9): npy, JSON layer, JSON network, ONNX, TF.js
 * (model.json + shards) and safetensors (+ layer description).
 *
 * Every case starts from a valid example of examples/ and applies a few mutations drawn by
 * fast-check from a fixed seed (tests/support/fuzz.ts: bit flips, truncation, extension, field
 * swaps, huge / negative / unsafe / NaN dims, deep nesting, wide rows, wrong dtypes, path tricks,
 * symbolic links out of the folder, FIFOs, /dev/zero), writes the files into a temporary folder and
 * reads them with the public reader under a 16 MiB memory limit. The property: the reader returns a
 * model that passes validation, or throws an input error (exit 3 in the CLI) with a one-line
 * message that says nothing about files outside the model folder; never another exception, never a
 * hang (10 s per case at most), never unbounded memory (heap below 1.5 GB).
 *
 * `npm test` runs the smoke size (a few hundred cases per reader, a few seconds in all). The long
 * run: `FUZZ_RUNS=20000 npx vitest run tests/fuzz` (cases per reader; FUZZ_SEED picks another
 * seed). A failure prints the seed, the path and the shrunk recipe to replay it.
 */

import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import { validateLayer } from "../../src/core/validate.js";
import { readLayerFile, type LayerFile } from "../../src/io/layer-file.js";
import { readNetworkFile } from "../../src/io/network-file.js";
import { writeNpy } from "../../src/io/npy.js";
import { validateNetwork } from "../../src/model/network.js";
import {
  applyByteOps,
  applyJsonOps,
  byteOpsArb,
  concat,
  expectSafe,
  FUZZ_SEED,
  fuzzRuns,
  jsonOpsArb,
  PATH_TRICKS,
  type Outcome,
} from "../support/fuzz.js";

const { onnx } = onnxProto;
const POSIX = process.platform !== "win32";
const LIMIT = { memoryLimitBytes: 16 * 2 ** 20 };
const SECRET = "SECRET-MARKER of a file outside the model folder. ";
const SECRET_SIZE = 4242;
const FORBIDDEN = ["SECRET", String(SECRET_SIZE), "root:x"];

let root: string;
const outcomes = new Map<string, Record<Outcome, number>>();

function count(reader: string, o: Outcome): void {
  const c = outcomes.get(reader) ?? { ok: 0, "input-error": 0 };
  c[o]++;
  outcomes.set(reader, c);
}

function validLayer(v: unknown): void {
  const layer = v as LayerFile;
  validateLayer("fuzz", layer.W, layer.b);
}

function validNetwork(v: unknown): void {
  validateNetwork("fuzz", v);
}

/** Vitest's limit per reader: generous, and growing with FUZZ_RUNS (100 ms a case). */
const TIMEOUT = Math.max(60_000, fuzzRuns(300) * 100);

/** Runs a property with the harness's seed and size. */
async function run<T>(arb: fc.Arbitrary<T>, smoke: number, body: (t: T) => Promise<void>): Promise<void> {
  await fc.assert(fc.asyncProperty(arb, body), {
    seed: FUZZ_SEED,
    numRuns: fuzzRuns(smoke),
    endOnFailure: true,
  });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "fuzz-readers-"));
  mkdirSync(join(root, "outside"));
  writeFileSync(join(root, "outside", "secret.bin"), SECRET.repeat(100).slice(0, SECRET_SIZE));
});

describe("reader fuzz harness (seeded, deterministic)", () => {
  it("npy: byte mutations and header rewrites", { timeout: TIMEOUT }, async () => {
    const layers = [
      "03-figure2-left.json",
      "05-corollary2-extra-rows.json",
      "10-gaussian-n4-alpha10.json",
    ].map((f) => JSON.parse(readFileSync(join("examples/layers", f), "utf8")) as { W: number[][] });
    const bases = layers.flatMap(({ W }) => [
      writeNpy([W.length, W[0].length], W.flat(), "<f8"),
      writeNpy([W.length, W[0].length], W.flat(), "<f4"),
    ]);
    const shapes = [
      "(3, 2)",
      "(2, 3)",
      "(-1, 2)",
      "(0, 5)",
      "()",
      "(6,)",
      "(1152921504606846976, 8)",
      "(99999999999999999999, 1)",
      "(3.5, 2)",
      "[3, 2]",
      "(2, 2, 2)",
      "(" + "1, ".repeat(70) + ")",
      "(".repeat(5000) + ")".repeat(5000),
      "(4294967296, 4294967296)",
      "(True, 2)",
      "('3', 2)",
    ];
    const descrs = [
      "<f8",
      "<f4",
      "<i1",
      "|u1",
      "<i8",
      "<u8",
      ">f8",
      "<f2",
      "<c16",
      "|b1",
      "O",
      "<U3",
      "",
      "[('a', '<f8')]",
    ];
    const headerArb = fc.record({
      shape: fc.constantFrom(...shapes),
      descr: fc.constantFrom(...descrs),
      fortran: fc.constantFrom("False", "True", "0", "None"),
      version: fc.constantFrom(1, 2, 3, 0, 4),
      lengthDelta: fc.constantFrom(0, 0, 0, -1, 1, 1000, -100),
      extra: fc.constantFrom("", ", 'extra': 1", ", 'descr': '<f4'", " 'broken"),
      dataCut: fc.constantFrom(0, 0, 1, 8, 1000),
    });
    const arb = fc.record({
      base: fc.nat(bases.length - 1),
      mutation: fc.oneof(
        fc.record({ kind: fc.constant("bytes" as const), ops: byteOpsArb }),
        fc.record({ kind: fc.constant("header" as const), header: headerArb }),
      ),
    });
    const path = join(root, "case.npy");
    await run(arb, 300, async ({ base, mutation }) => {
      let bytes: Uint8Array;
      if (mutation.kind === "bytes") bytes = applyByteOps(bases[base], mutation.ops);
      else {
        const h = mutation.header;
        const orig = bases[base];
        const headerLen = new DataView(orig.buffer).getUint16(8, true);
        const data = orig.subarray(10 + headerLen, Math.max(10 + headerLen, orig.length - h.dataCut));
        const dict = `{'descr': '${h.descr}', 'fortran_order': ${h.fortran}, 'shape': ${h.shape}${h.extra}, }`;
        const pre = h.version === 1 || h.version === 0 || h.version === 4 ? 10 : 12;
        const text = dict + " ".repeat(63 - ((pre + dict.length) % 64)) + "\n";
        const head = new Uint8Array(pre + text.length);
        head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, h.version, 0]);
        const len = Math.max(0, text.length + h.lengthDelta);
        if (pre === 10) new DataView(head.buffer).setUint16(8, Math.min(len, 0xffff), true);
        else new DataView(head.buffer).setUint32(8, len, true);
        for (let k = 0; k < text.length; k++) head[pre + k] = text.charCodeAt(k) & 0xff;
        bytes = concat([head, data]);
      }
      writeFileSync(path, bytes);
      count("npy", await expectSafe(() => readLayerFile(path, LIMIT), validLayer));
    });
  });

  it("JSON layer: JSON-tree and byte mutations of examples/layers", { timeout: TIMEOUT }, async () => {
    const files = readdirSync("examples/layers").filter((f) => f.endsWith(".json"));
    const bases = files.map((f) => readFileSync(join("examples/layers", f), "utf8"));
    const arb = fc.record({
      base: fc.nat(bases.length - 1),
      mutation: fc.oneof(
        { weight: 3, arbitrary: fc.record({ kind: fc.constant("json" as const), ops: jsonOpsArb }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("bytes" as const), ops: byteOpsArb }) },
      ),
    });
    const path = join(root, "case.json");
    await run(arb, 300, async ({ base, mutation }) => {
      const text = bases[base];
      writeFileSync(
        path,
        mutation.kind === "json"
          ? applyJsonOps(JSON.parse(text), mutation.ops)
          : applyByteOps(new TextEncoder().encode(text), mutation.ops),
      );
      count("layer", await expectSafe(() => readLayerFile(path, LIMIT), validLayer));
    });
  });

  it(
    "JSON network: JSON-tree and byte mutations of the example networks (dense, batchnorm, conv, flatten)",
    { timeout: TIMEOUT },
    async () => {
      const conv = {
        format: "injective-relu/network",
        version: 1,
        inputDim: 8,
        layers: [
          {
            type: "conv",
            inputShape: [2, 4],
            kernels: [
              [
                [1, 0],
                [0, 1],
              ],
              [
                [1, 1],
                [0, -1],
              ],
            ],
            bias: [0.5, -0.5],
            stride: 1,
            padding: 0,
            activation: "relu",
          },
          { type: "flatten", inputShape: [2, 3], outputShape: [6] },
          {
            type: "batchnorm",
            gamma: [1, 2, 1, 1, 1, 1],
            beta: [0, 0, 0, 0, 0, 1],
            mean: [0, 0, 0, 0, 0, 0],
            var: [1, 1, 1, 1, 1, 2],
          },
          { type: "reshape", outputShape: [3, 2] },
          {
            type: "dense",
            W: [
              [1, 0, 0, 0, 0, 0],
              [0, 1, 0, 0, 0, 0],
            ],
            activation: "leaky_relu",
            alpha: 0.1,
          },
        ],
      };
      const bases = [
        JSON.parse(readFileSync("examples/models/generator-injective.json", "utf8")) as unknown,
        JSON.parse(readFileSync("examples/models/generator-noninjective.json", "utf8")) as unknown,
        conv,
      ];
      const path = join(root, "case-net.json");
      writeFileSync(path, JSON.stringify(conv));
      validNetwork(await readNetworkFile(path)); // the synthetic base is valid
      const arb = fc.record({
        base: fc.nat(bases.length - 1),
        mutation: fc.oneof(
          { weight: 3, arbitrary: fc.record({ kind: fc.constant("json" as const), ops: jsonOpsArb }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("bytes" as const), ops: byteOpsArb }) },
        ),
      });
      await run(arb, 300, async ({ base, mutation }) => {
        writeFileSync(
          path,
          mutation.kind === "json"
            ? applyJsonOps(bases[base], mutation.ops)
            : applyByteOps(new TextEncoder().encode(JSON.stringify(bases[base])), mutation.ops),
        );
        count("network", await expectSafe(() => readNetworkFile(path, LIMIT), validNetwork));
      });
    },
  );

  it("ONNX: protobuf-field and byte mutations of the example models", { timeout: TIMEOUT }, async () => {
    const names = readdirSync("examples/models").filter((f) => f.endsWith(".onnx"));
    const bases = names.map((f) => new Uint8Array(readFileSync(join("examples/models", f))));
    const ops = [
      "Gemm",
      "MatMul",
      "Add",
      "Relu",
      "LeakyRelu",
      "Tanh",
      "Sigmoid",
      "BatchNormalization",
      "Flatten",
      "Reshape",
      "Identity",
      "Conv",
      "ConvTranspose",
      "Constant",
      "MaxPool",
      "",
    ];
    const ints = [
      -1,
      0,
      1,
      2,
      3,
      7,
      2 ** 31,
      2 ** 40,
      -(2 ** 40),
      "9223372036854775807",
      "-9223372036854775808",
    ];
    const attrNames = [
      "alpha",
      "beta",
      "transA",
      "transB",
      "axis",
      "strides",
      "pads",
      "dilations",
      "group",
      "kernel_shape",
      "epsilon",
      "training_mode",
      "auto_pad",
      "output_padding",
      "value",
    ];
    const protoOpArb = fc.oneof(
      fc.record({ op: fc.constant("dims" as const), t: fc.nat(), i: fc.nat(), v: fc.constantFrom(...ints) }),
      fc.record({ op: fc.constant("rank" as const), t: fc.nat(), n: fc.constantFrom(0, 1, 3, 70) }),
      fc.record({ op: fc.constant("dtype" as const), t: fc.nat(), v: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ op: fc.constant("raw" as const), t: fc.nat(), cut: fc.integer({ min: -8, max: 8 }) }),
      fc.record({ op: fc.constant("typed" as const), t: fc.nat() }),
      fc.record({ op: fc.constant("external" as const), t: fc.nat(), p: fc.nat(PATH_TRICKS.length - 1) }),
      fc.record({ op: fc.constant("opType" as const), n: fc.nat(), v: fc.constantFrom(...ops) }),
      fc.record({
        op: fc.constant("input" as const),
        n: fc.nat(),
        i: fc.nat(3),
        v: fc.constantFrom("", "zz", "x", "input"),
      }),
      fc.record({
        op: fc.constant("attr" as const),
        n: fc.nat(),
        name: fc.constantFrom(...attrNames),
        i: fc.constantFrom(...ints),
        f: fc.constantFrom(0, -1, 0.5, NaN, Infinity, 1e30),
      }),
      fc.record({ op: fc.constant("graphInput" as const), i: fc.nat(4), v: fc.constantFrom(...ints) }),
      fc.record({ op: fc.constant("dropNode" as const), n: fc.nat() }),
      fc.record({ op: fc.constant("dupNode" as const), n: fc.nat() }),
    );
    const arb = fc.record({
      base: fc.nat(bases.length - 1),
      mutation: fc.oneof(
        fc.record({ kind: fc.constant("bytes" as const), ops: byteOpsArb }),
        fc.record({
          kind: fc.constant("proto" as const),
          ops: fc.array(protoOpArb, { minLength: 1, maxLength: 3 }),
        }),
      ),
    });
    const path = join(root, "case.onnx");
    await run(arb, 300, async ({ base, mutation }) => {
      let bytes: Uint8Array = bases[base];
      if (mutation.kind === "bytes") bytes = applyByteOps(bytes, mutation.ops);
      else {
        const m = onnx.ModelProto.decode(bytes);
        const g = m.graph!;
        const tensors: onnxProto.onnx.ITensorProto[] = [...(g.initializer ?? [])];
        for (const n of g.node ?? []) for (const a of n.attribute ?? []) if (a.t) tensors.push(a.t);
        const nodes = g.node ?? [];
        for (const o of mutation.ops) {
          const t = tensors.length ? tensors[("t" in o ? o.t : 0) % tensors.length] : null;
          const n = nodes.length ? nodes[("n" in o ? o.n : 0) % nodes.length] : null;
          if (o.op === "dims" && t && t.dims && t.dims.length) t.dims[o.i % t.dims.length] = o.v as number;
          else if (o.op === "rank" && t) t.dims = Array.from({ length: o.n }, () => 2);
          else if (o.op === "dtype" && t) t.dataType = o.v;
          else if (o.op === "raw" && t && t.rawData && t.rawData.length) {
            const r = t.rawData;
            t.rawData =
              o.cut < 0 ? r.subarray(0, Math.max(0, r.length + o.cut)) : concat([r, new Uint8Array(o.cut)]);
          } else if (o.op === "typed" && t && t.rawData && t.rawData.length) {
            t.floatData = Array.from(
              new Float32Array(t.rawData.slice().buffer, 0, Math.floor(t.rawData.length / 4)),
            );
          } else if (o.op === "external" && t) {
            t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
            t.externalData = [{ key: "location", value: PATH_TRICKS[o.p] }];
          } else if (o.op === "opType" && n) n.opType = o.v;
          else if (o.op === "input" && n) (n.input ??= [])[o.i] = o.v;
          else if (o.op === "attr" && n) {
            const a = onnx.AttributeProto.create({ name: o.name });
            if (["strides", "pads", "dilations", "kernel_shape", "output_padding"].includes(o.name))
              a.ints = [o.i as number, 1];
            else if (o.name === "auto_pad") a.s = new TextEncoder().encode(String(o.i));
            else if (o.name === "value") a.t = { dims: [1], dataType: 7, int64Data: [o.i as number] };
            else if (["alpha", "beta", "epsilon"].includes(o.name)) a.f = o.f;
            else a.i = o.i as number;
            n.attribute = [...(n.attribute ?? []).filter((x) => x.name !== o.name), a];
          } else if (o.op === "graphInput") {
            const dim = g.input?.[0]?.type?.tensorType?.shape?.dim;
            if (dim && dim.length) dim[o.i % dim.length] = { dimValue: o.v as number };
          } else if (o.op === "dropNode" && n) g.node = nodes.filter((x) => x !== n);
          else if (o.op === "dupNode" && n) g.node = [...nodes, n];
        }
        try {
          bytes = onnx.ModelProto.encode(m).finish();
        } catch {
          bytes = bases[base]; // a value the encoder refuses: nothing to test
        }
      }
      writeFileSync(path, bytes);
      count(
        "onnx",
        await expectSafe(() => readNetworkFile(path, LIMIT), validNetwork, { forbidden: FORBIDDEN }),
      );
    });
  });

  it(
    "TF.js: model.json, shard and path mutations, with links out of the folder, FIFOs and /dev/zero",
    { timeout: TIMEOUT },
    async () => {
      const models = [
        "tfjs-injective",
        "tfjs-injective-functional",
        "tfjs-noninjective",
        "tfjs-injective-generator",
        "tfjs-regular-generator",
      ];
      const bases = models.map((m) => ({
        json: JSON.parse(readFileSync(join("examples/models", m, "model.json"), "utf8")) as {
          weightsManifest: { paths: unknown[] }[];
        },
        weights: new Uint8Array(readFileSync(join("examples/models", m, "weights.bin"))),
      }));
      // The model folder, two levels below root: ../../outside/secret.bin exists.
      const folder = join(root, "tfjs", "model");
      mkdirSync(join(folder, "subdir"), { recursive: true });
      mkdirSync(join(folder, "sub"));
      if (POSIX) {
        symlinkSync("../../outside/secret.bin", join(folder, "link-out.bin"));
        symlinkSync("/dev/zero", join(folder, "link-zero.bin"));
        symlinkSync("weights.bin", join(folder, "link-in.bin"));
        symlinkSync("loop-b.bin", join(folder, "loop-a.bin"));
        symlinkSync("loop-a.bin", join(folder, "loop-b.bin"));
        expect(spawnSync("mkfifo", [join(folder, "fifo.bin")]).status).toBe(0);
      }
      const arb = fc.record({
        base: fc.nat(bases.length - 1),
        mutation: fc.oneof(
          { weight: 3, arbitrary: fc.record({ kind: fc.constant("json" as const), ops: jsonOpsArb }) },
          { weight: 2, arbitrary: fc.record({ kind: fc.constant("shard" as const), ops: byteOpsArb }) },
          {
            weight: 2,
            arbitrary: fc.record({
              kind: fc.constant("paths" as const),
              paths: fc.array(fc.nat(PATH_TRICKS.length), { minLength: 1, maxLength: 3 }),
            }),
          },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("model.json" as const), ops: byteOpsArb }) },
        ),
      });
      await run(arb, 300, async ({ base, mutation }) => {
        const b = bases[base];
        let json: string | Uint8Array = JSON.stringify(b.json);
        let weights: Uint8Array = b.weights;
        if (mutation.kind === "json") json = applyJsonOps(b.json, mutation.ops);
        else if (mutation.kind === "shard") weights = applyByteOps(weights, mutation.ops);
        else if (mutation.kind === "model.json")
          json = applyByteOps(new TextEncoder().encode(json), mutation.ops);
        else {
          const j = structuredClone(b.json);
          // PATH_TRICKS.length stands for the real shard.
          j.weightsManifest[0].paths = mutation.paths.map((k) =>
            k < PATH_TRICKS.length ? PATH_TRICKS[k] : "weights.bin",
          );
          json = JSON.stringify(j);
        }
        writeFileSync(join(folder, "model.json"), json);
        writeFileSync(join(folder, "weights.bin"), weights);
        count(
          "tfjs",
          await expectSafe(() => readNetworkFile(join(root, "tfjs", "model"), LIMIT), validNetwork, {
            forbidden: FORBIDDEN,
          }),
        );
      });
    },
  );

  it(
    "safetensors: byte, header and layer-description mutations, with description tricks",
    { timeout: TIMEOUT },
    async () => {
      const tensors = new Uint8Array(readFileSync("examples/models/safetensors-injective.safetensors"));
      const description = JSON.parse(
        readFileSync("examples/models/safetensors-injective.layers.json", "utf8"),
      ) as unknown;
      const headerLen = Number(new DataView(tensors.buffer).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(tensors.subarray(8, 8 + headerLen))) as unknown;
      const data = tensors.subarray(8 + headerLen);
      const folder = join(root, "st", "model");
      mkdirSync(folder, { recursive: true });
      const st = join(folder, "m.safetensors");
      const companion = join(folder, "m.layers.json");
      const tricks = ["file", "link-out", "link-zero", "fifo", "dir", "missing"] as const;
      const arb = fc.oneof(
        fc.record({ kind: fc.constant("bytes" as const), ops: byteOpsArb }),
        fc.record({
          kind: fc.constant("header" as const),
          ops: jsonOpsArb,
          lengthDelta: fc.constantFrom(0, 0, 0, -1, 1, 2 ** 32),
        }),
        fc.record({ kind: fc.constant("description" as const), ops: jsonOpsArb }),
        fc.record({ kind: fc.constant("companion" as const), trick: fc.constantFrom(...tricks) }),
      );
      await run(arb, 300, async (mutation) => {
        let bytes: Uint8Array = tensors;
        let desc = JSON.stringify(description);
        let trick: (typeof tricks)[number] = "file";
        if (mutation.kind === "bytes") bytes = applyByteOps(tensors, mutation.ops);
        else if (mutation.kind === "header") {
          const text = new TextEncoder().encode(applyJsonOps(header, mutation.ops));
          const len = new Uint8Array(8);
          new DataView(len.buffer).setBigUint64(
            0,
            BigInt(Math.max(0, text.length + mutation.lengthDelta)),
            true,
          );
          bytes = concat([len, text, data]);
        } else if (mutation.kind === "description") desc = applyJsonOps(description, mutation.ops);
        else trick = mutation.trick;
        writeFileSync(st, bytes);
        rmSync(companion, { recursive: true, force: true });
        if (trick === "file" || !POSIX) writeFileSync(companion, desc);
        else if (trick === "link-out") symlinkSync("../../outside/secret.bin", companion);
        else if (trick === "link-zero") symlinkSync("/dev/zero", companion);
        else if (trick === "fifo") expect(spawnSync("mkfifo", [companion]).status).toBe(0);
        else if (trick === "dir") mkdirSync(companion);
        count(
          "safetensors",
          await expectSafe(() => readNetworkFile(st, LIMIT), validNetwork, { forbidden: FORBIDDEN }),
        );
      });
    },
  );

  it("every reader saw both outcomes (the mutations reach past the first check)", () => {
    if (process.env.FUZZ_RUNS)
      console.log(
        `fuzz seed ${FUZZ_SEED}: ` +
          [...outcomes].map(([r, c]) => `${r} ${c.ok} read, ${c["input-error"]} refused`).join("; "),
      );
    for (const reader of ["npy", "layer", "network", "onnx", "tfjs", "safetensors"]) {
      const c = outcomes.get(reader);
      expect(c, reader).toBeDefined();
      expect(c!.ok, `${reader}: valid models read`).toBeGreaterThan(0);
      expect(c!["input-error"], `${reader}: input errors`).toBeGreaterThan(0);
    }
  });
});
