/**
 * The mutation engine of the reader fuzz harness (tests/fuzz/readers.fuzz.test.ts).
 *
 * A fuzz case is a *recipe* drawn by fast-check from a fixed seed: which valid example file to
 * start from and a few mutations to apply to it. Applying a recipe is a pure function, so a
 * failing case is reproduced (and shrunk by fast-check) from its seed and path alone.
 *
 * - Byte mutations (every format): bit flips, bytes and little-endian integers set to interesting
 *   values, truncation, extension, deletion, insertion, copies of one part over another.
 * - JSON mutations (layer and network JSON, TF.js model.json, safetensors headers and layer
 *   descriptions): a node of the parsed tree replaced by an interesting value (huge, negative,
 *   fractional or unsafe numbers, wrong types, path tricks), deleted, swapped with another node,
 *   replaced by deep nesting (up to 100,000 levels), by a 130,000-entry array, or by raw text that
 *   JSON.stringify cannot write (1e999, NaN, a lone surrogate).
 *
 * Format-specific mutations (npy headers, ONNX protobuf fields, TF.js paths, safetensors headers)
 * live in the harness next to their reader.
 */

import fc from "fast-check";
import { isInputError } from "../../src/core/validate.js";
import { isResourceLimitError } from "../../src/core/budget.js";

/** Cases per reader: FUZZ_RUNS, or the smoke size that `npm test` runs. */
export function fuzzRuns(smoke: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isSafeInteger(n) && n > 0 ? n : smoke;
}

/** The seed of every property: FUZZ_SEED, or a fixed one (the harness is deterministic). */
export const FUZZ_SEED = Number.isSafeInteger(Number(process.env.FUZZ_SEED))
  ? Number(process.env.FUZZ_SEED)
  : 90_209;

// ---------------------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------------------

/** One byte mutation; offsets are taken modulo the length of the file. */
export type ByteOp =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "int"; at: number; width: 1 | 2 | 4 | 8; value: bigint }
  | { op: "truncate"; at: number }
  | { op: "append"; bytes: number[] }
  | { op: "delete"; at: number; len: number }
  | { op: "insert"; at: number; bytes: number[] }
  | { op: "copy"; from: number; to: number; len: number };

/** Integers that break parsers: boundaries of 8, 16, 32, 53 and 64 bits, signed and unsigned. */
export const INTERESTING_INTS: bigint[] = [
  0n,
  1n,
  -1n,
  2n,
  0x7fn,
  0x80n,
  0xffn,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  2n ** 32n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 64n - 1n,
];

const bytesArb = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 });

export const byteOpArb: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("set" as const),
      at: fc.nat(),
      value: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff, 0x22, 0x5b, 0x7b, 0x2c),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("int" as const),
      at: fc.nat(),
      width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
      value: fc.constantFrom(...INTERESTING_INTS),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("append" as const), bytes: bytesArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("delete" as const),
      at: fc.nat(),
      len: fc.integer({ min: 1, max: 64 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: bytesArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("copy" as const),
      from: fc.nat(),
      to: fc.nat(),
      len: fc.integer({ min: 1, max: 128 }),
    }),
  },
);

export const byteOpsArb = fc.array(byteOpArb, { minLength: 1, maxLength: 4 });

/** Applies byte mutations to a copy of `base`. */
export function applyByteOps(base: Uint8Array, ops: readonly ByteOp[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(base);
  const at = (k: number): number => (b.length === 0 ? 0 : k % b.length);
  for (const o of ops) {
    switch (o.op) {
      case "flip":
        if (b.length > 0) b[at(o.at)] ^= 1 << o.bit;
        break;
      case "set":
        if (b.length > 0) b[at(o.at)] = o.value;
        break;
      case "int": {
        if (b.length === 0) break;
        let v = BigInt.asUintN(8 * o.width, o.value);
        for (let k = 0, p = at(o.at); k < o.width && p + k < b.length; k++, v >>= 8n)
          b[p + k] = Number(v & 0xffn);
        break;
      }
      case "truncate":
        b = b.slice(0, at(o.at));
        break;
      case "append":
        b = concat([b, Uint8Array.from(o.bytes)]);
        break;
      case "delete": {
        const p = at(o.at);
        b = concat([b.subarray(0, p), b.subarray(p + o.len)]);
        break;
      }
      case "insert": {
        const p = at(o.at);
        b = concat([b.subarray(0, p), Uint8Array.from(o.bytes), b.subarray(p)]);
        break;
      }
      case "copy": {
        if (b.length === 0) break;
        const from = at(o.from);
        const part = b.slice(from, from + o.len);
        const to = at(o.to);
        for (let k = 0; k < part.length && to + k < b.length; k++) b[to + k] = part[k];
        break;
      }
    }
  }
  return b;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/** Path tricks for fields that name files. */
export const PATH_TRICKS = [
  "../../outside/secret.bin",
  "../outside/secret.bin",
  "../../../../../../../../etc/passwd",
  "/etc/passwd",
  "/dev/zero",
  "/dev/stdin",
  "link-out.bin",
  "link-zero.bin",
  "fifo.bin",
  "subdir",
  "loop-a.bin",
  "link-in.bin",
  "./weights.bin",
  "sub/../weights.bin",
  "weights.bin/x",
  "",
  ".",
  "..",
  "C:\\weights.bin",
  "weights.bin\u0000.txt",
  "%2e%2e/secret.bin",
];

/** Values that break readers when put where another value was. */
export const INTERESTING_VALUES: unknown[] = [
  -1,
  0,
  1,
  2,
  3,
  0.5,
  -0.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  1e15,
  1e300,
  -1e300,
  5e-324,
  "",
  "x",
  "relu",
  "linear",
  "leaky_relu",
  "dense",
  "flatten",
  "reshape",
  "batchnorm",
  "conv",
  "conv_transpose",
  "Dense",
  "Activation",
  "Flatten",
  "BatchNormalization",
  "F16",
  "BF16",
  "F64",
  "I64",
  "float16",
  "int32",
  null,
  true,
  false,
  [],
  {},
  [1e6, 1e6],
  [-1, 3],
  [0],
  [0, 5],
  [null, 100000],
  [null, 3],
  [[1]],
  [[1, 2], [3]],
  { a: 1 },
  ...PATH_TRICKS,
];

/** Raw JSON texts JSON.stringify cannot produce: overflowing, NaN, lone surrogates, broken syntax. */
export const RAW_TEXTS = ["1e999", "-1e999", "NaN", "Infinity", "-0", "1e-400", '"\\ud800"', "[", "}", "1,"];

export type JsonOp =
  | { op: "replace"; node: number; value: number }
  | { op: "delete"; node: number }
  | { op: "swap"; a: number; b: number }
  | { op: "deep"; node: number; depth: number }
  | { op: "wide"; node: number; length: number }
  | { op: "raw"; node: number; text: number };

export const jsonOpArb: fc.Arbitrary<JsonOp> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant("replace" as const),
      node: fc.nat(),
      value: fc.nat(INTERESTING_VALUES.length - 1),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), node: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("deep" as const),
      node: fc.nat(),
      depth: fc.constantFrom(3, 20, 1000, 100_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("wide" as const),
      node: fc.nat(),
      length: fc.constantFrom(0, 7, 130_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("raw" as const),
      node: fc.nat(),
      text: fc.nat(RAW_TEXTS.length - 1),
    }),
  },
);

export const jsonOpsArb = fc.array(jsonOpArb, { minLength: 1, maxLength: 3 });

type Ref = { parent: Record<string | number, unknown>; key: string | number };

/** Every node below the root, in depth-first order (iterative). */
function nodesOf(root: unknown): Ref[] {
  const refs: Ref[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    const obj = v as Record<string | number, unknown>;
    const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(obj);
    for (let k = keys.length - 1; k >= 0; k--) {
      refs.push({ parent: obj, key: keys[k] });
      stack.push(obj[keys[k]]);
    }
  }
  return refs;
}

/**
 * Applies JSON mutations to a parsed value and serializes it. Deep nesting, wide arrays and raw
 * texts are put in as markers and spliced into the text (JSON.stringify would recurse into them).
 */
export function applyJsonOps(base: unknown, ops: readonly JsonOp[]): string {
  const root = { root: structuredClone(base) } as Record<string, unknown>;
  const splices = new Map<string, string>();
  const marker = (text: string): string => {
    const m = `@@FUZZ${splices.size}@@`;
    splices.set(JSON.stringify(m), text);
    return m;
  };
  for (const o of ops) {
    const refs = nodesOf(root);
    const ref = (k: number): Ref => refs[k % refs.length];
    const set = (r: Ref, v: unknown): void => {
      r.parent[r.key] = v;
    };
    switch (o.op) {
      case "replace":
        set(ref(o.node), structuredClone(INTERESTING_VALUES[o.value]));
        break;
      case "delete": {
        const r = ref(o.node);
        if (r.parent === root) break;
        if (Array.isArray(r.parent)) r.parent.splice(r.key as number, 1);
        else delete r.parent[r.key];
        break;
      }
      case "swap": {
        const a = ref(o.a);
        const b = ref(o.b);
        const va = structuredClone(a.parent[a.key]);
        const vb = structuredClone(b.parent[b.key]);
        set(a, vb);
        set(b, va);
        break;
      }
      case "deep":
        set(ref(o.node), marker("[".repeat(o.depth) + "1" + "]".repeat(o.depth)));
        break;
      case "wide":
        set(ref(o.node), marker(`[${Array.from({ length: o.length }, (_, i) => (i % 7) - 3).join(",")}]`));
        break;
      case "raw":
        set(ref(o.node), marker(RAW_TEXTS[o.text]));
        break;
    }
  }
  let text = JSON.stringify(root.root) ?? "null";
  for (const [m, raw] of splices) text = text.split(m).join(raw);
  return text;
}

// ---------------------------------------------------------------------------------------------
// The property every reader must have
// ---------------------------------------------------------------------------------------------

/** What one case did. */
export type Outcome = "ok" | "input-error";

/** The bounds a case must stay within. */
export interface SafetyBounds {
  /** Strings an error message must not contain (markers of files outside the model folder). */
  forbidden?: readonly string[];
  /** Longest time for one case, ms (generous: it only catches hangs). @default 10 000 */
  maxMs?: number;
  /** Largest heap after a case, bytes (catches unbounded memory). @default 1.5 GB */
  maxHeapBytes?: number;
}

/**
 * Runs one reader call and checks the property: it returns a value that `validate` accepts, or it
 * throws an input error (isInputError) whose message is one line of bounded length, holds none of
 * the forbidden strings, and starts with a file name; never another exception, within the time and
 * heap bounds.
 * @throws an Error describing the violation (fast-check reports it with the recipe)
 */
export async function expectSafe(
  read: () => Promise<unknown> | unknown,
  validate: (value: unknown) => void,
  bounds: SafetyBounds = {},
): Promise<Outcome> {
  const t0 = Date.now();
  let outcome: Outcome;
  try {
    const value = await read();
    validate(value);
    outcome = "ok";
  } catch (e) {
    // A resource limit (a valid file whose layers would need more memory than allowed) is an
    // answer too: the CLI reports it as unknown.
    if (!isInputError(e) && !isResourceLimitError(e)) {
      const what = e instanceof Error ? `${e.constructor.name}: ${e.message.slice(0, 300)}` : String(e);
      throw new Error(`the reader threw something other than an input error: ${what}`, { cause: e });
    }
    const msg = e.message;
    if (/[\r\n]/.test(msg))
      throw new Error(`the message is not one line: ${JSON.stringify(msg.slice(0, 300))}`);
    if (msg.length > 2000) throw new Error(`the message is ${msg.length} characters long`);
    for (const f of bounds.forbidden ?? [])
      if (msg.includes(f)) throw new Error(`the message leaks ${JSON.stringify(f)}: ${msg.slice(0, 300)}`);
    outcome = "input-error";
  }
  const ms = Date.now() - t0;
  if (ms > (bounds.maxMs ?? 10_000)) throw new Error(`one case took ${ms} ms`);
  const heap = process.memoryUsage().heapUsed;
  if (heap > (bounds.maxHeapBytes ?? 1.5e9)) throw new Error(`the heap grew to ${Math.round(heap / 1e6)} MB`);
  return outcome;
}
