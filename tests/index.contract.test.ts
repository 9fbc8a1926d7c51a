/**
 * The validation contract of the public API, table-driven: every entry point of `injective-relu`
 * is called with each kind of bad argument (NaN, a ragged matrix, a wrong type, a bad enum value, a
 * negative or too large tolerance, a non-integer seed, a bad time limit, a non-function callback,
 * a non-signal) and must throw the right class (InputTypeError for a wrong type or an unknown
 * choice, InputRangeError for a value out of range) with a message that names the function and
 * the argument. The same calls with good arguments succeed, so every row can fail.
 */

import { describe, expect, it } from "vitest";
import {
  InputRangeError,
  InputTypeError,
  analyzePairedConv,
  checkConv,
  checkLayer,
  checkNetwork,
  compressedSensingExperiment,
  constructCascade,
  constructDense,
  constructGaussian,
  convSpec,
  empiricalRatio,
  enumerateCells,
  injectivize,
  inverseLipschitz,
  invertGenerator,
  invertLayer,
  invertLayerRobust,
  invertNetwork,
  invertNetworkRobust,
  searchCollisions,
  snapLayer,
  verifyCertificate,
  verifyWitness,
  type Network,
} from "../src/index.js";

type ErrorClass = typeof InputTypeError | typeof InputRangeError;

/** A small injective layer [I; −I] and a network of it. */
const W = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];
const net = (W1: unknown = W): Network =>
  ({
    format: "injective-relu/network",
    version: 1,
    inputDim: 2,
    layers: [{ type: "dense", W: W1, b: [0, 0, 0, 0], activation: "relu" }],
  }) as unknown as Network;
/** Defaults of a call merged under the options, unless the options are not an object (then as given). */
const merged = (defaults: object, o: unknown): unknown =>
  typeof o === "object" && o !== null ? { ...defaults, ...o } : o;
const Y = [1, 2, 0, 0];
const CERT_FREE = { x1: [0, 0], x2: [0, 0] };

/** One entry point: how to call it with a given W and options. */
interface Entry {
  fn: string;
  /** Calls the function; `w` replaces the weight matrix, `o` the options object. */
  call: (w: unknown, o: unknown) => unknown;
  /** Where W goes (the argument name in messages), or null when the function takes no matrix. */
  matrix: string | null;
  /** False for a function without an options argument. */
  takesOptions?: boolean;
  /** The option keys it takes, among the ones the table tests. */
  options: (keyof typeof BAD_OPTIONS)[];
}

const ANY = (x: unknown) => x as never;

const ENTRIES: Entry[] = [
  {
    fn: "checkLayer()",
    call: (w, o) => checkLayer(ANY(w), null, ANY(o)),
    matrix: "W",
    options: [
      "tolerance",
      "domain",
      "seed",
      "timeLimitMs",
      "onProgress",
      "signal",
      "method",
      "falsifierRestarts",
      "descentRestarts",
      "exact",
    ],
  },
  {
    fn: "verifyCertificate()",
    call: (w, o) => verifyCertificate(ANY(w), null, { domain: "all", duals: [] } as never, ANY(o)),
    matrix: "W",
    options: ["tolerance", "domain", "timeLimitMs", "signal", "exact"],
  },
  {
    fn: "verifyWitness()",
    call: (w, o) => verifyWitness(ANY(w), null, CERT_FREE, "all", ANY(o)),
    matrix: "W",
    options: ["tolerance"],
  },
  {
    fn: "inverseLipschitz()",
    call: (w, o) => inverseLipschitz(ANY(w), null, ANY(merged({ samples: 10, localSearches: 0 }, o))),
    matrix: "W",
    options: ["tolerance", "domain", "seed", "timeLimitMs", "signal"],
  },
  {
    fn: "empiricalRatio()",
    call: (w, o) => empiricalRatio(ANY(w), null, ANY(merged({ samples: 10, localSearches: 0 }, o))),
    matrix: "W",
    options: ["domain", "seed"],
  },
  {
    fn: "enumerateCells()",
    call: (w, o) => enumerateCells(ANY(w), null, ANY(o)),
    matrix: "W",
    options: ["tolerance", "domain", "timeLimitMs", "signal"],
  },
  {
    fn: "snapLayer()",
    call: (w) => snapLayer(ANY(w), null, 1e-3),
    matrix: "W",
    takesOptions: false,
    options: [],
  },
  {
    fn: "checkNetwork()",
    call: (w, o) => checkNetwork(net(w), ANY(o)),
    matrix: "W",
    options: ["tolerance", "seed", "timeLimitMs", "signal"],
  },
  {
    fn: "searchCollisions()",
    call: (w, o) =>
      searchCollisions(
        net(w),
        ANY(merged({ lo: -1, hi: 1, pairs: 10, jacobianSamples: 2, localSearches: 1 }, o)),
      ),
    matrix: "W",
    options: ["tolerance", "seed", "timeLimitMs", "signal"],
  },
  {
    fn: "invertLayer()",
    call: (w, o) => invertLayer(ANY({ W: w, activation: "relu" }), Y, ANY(o)),
    matrix: "W",
    options: ["tolerance", "domain", "timeLimitMs", "signal"],
  },
  {
    fn: "invertNetwork()",
    call: (w, o) => invertNetwork(net(w), Y, ANY(o)),
    matrix: "W",
    options: ["tolerance", "timeLimitMs", "signal"],
  },
  {
    fn: "invertLayerRobust()",
    call: (w, o) => invertLayerRobust(ANY({ W: w, activation: "relu" }), Y, ANY(o)),
    matrix: "W",
    options: ["tolerance", "domain", "timeLimitMs", "signal"],
  },
  {
    fn: "invertNetworkRobust()",
    call: (w, o) => invertNetworkRobust(net(w), Y, ANY(o)),
    matrix: "W",
    options: ["tolerance", "timeLimitMs", "signal"],
  },
  {
    fn: "invertGenerator()",
    call: (w, o) => invertGenerator(net(w), Y, ANY(o)),
    matrix: "W",
    options: ["timeLimitMs", "signal", "seed"],
  },
  {
    fn: "checkConv()",
    call: (_w, o) => checkConv(convSpec([[[1, 2]], [[-1, -2]]], { signal: [4] }), ANY(o)),
    matrix: null,
    options: ["tolerance", "domain", "seed", "timeLimitMs", "onProgress", "signal"],
  },
  {
    fn: "analyzePairedConv()",
    call: (_w, o) => analyzePairedConv([[[1, 2]], [[-1, -2]]], ANY(merged({ signal: [4] }, o))),
    matrix: null,
    options: ["tolerance"],
  },
  {
    fn: "constructDense()",
    call: (_w, o) => constructDense(2, 4, ANY(o)),
    matrix: null,
    options: ["seed"],
  },
  {
    fn: "constructGaussian()",
    call: (_w, o) => constructGaussian(2, 8, ANY(o)),
    matrix: null,
    options: ["seed"],
  },
  {
    fn: "constructCascade()",
    call: (_w, o) => constructCascade(2, 5, ANY(o)),
    matrix: null,
    options: ["seed"],
  },
  {
    fn: "injectivize()",
    // Theorem 5 needs m >= 2n + 1 outputs: W with a fifth row.
    call: (w, o) => {
      const f = net(Array.isArray(w) ? [...w, [1, 1]] : w);
      (f.layers[0] as { b: number[] }).b = [0, 0, 0, 0, 0];
      return injectivize(f, ANY(merged({ lo: -1, hi: 1, epsilon: 0.5 }, o)));
    },
    matrix: "W",
    options: ["seed", "timeLimitMs", "signal"],
  },
  {
    fn: "compressedSensingExperiment()",
    call: (w, o) => compressedSensingExperiment(net(w), ANY(merged({ ks: [3], trials: 1, steps: 5 }, o))),
    matrix: "W",
    options: ["seed"],
  },
];

/** Bad option values: [label, value, error class]. */
const BAD_OPTIONS = {
  tolerance: [
    ["NaN", NaN, InputRangeError],
    ["negative", -1e-9, InputRangeError],
    ["too large", 2, InputRangeError],
    ["a string", "1e-9", InputTypeError],
  ],
  domain: [["a bad enum value", "positive", InputTypeError]],
  method: [["a bad enum value", "fast", InputTypeError]],
  exact: [
    ["a bad enum value", "yes", InputTypeError],
    ["a boolean", true, InputTypeError],
    ['"never" (removed: it could not keep exact: true honest)', "never", InputTypeError],
  ],
  seed: [
    ["not an integer", 1.5, InputTypeError],
    ["a string", "1", InputTypeError],
  ],
  falsifierRestarts: [["negative", -5, InputRangeError]],
  descentRestarts: [
    ["negative", -5, InputRangeError],
    ["not an integer", 1.5, InputTypeError],
  ],
  timeLimitMs: [
    ["negative", -5, InputRangeError],
    ["NaN", NaN, InputRangeError],
    ["a string", "10", InputTypeError],
  ],
  onProgress: [["a number", 5, InputTypeError]],
  signal: [["a plain object", {}, InputTypeError]],
} satisfies Record<string, [string, unknown, ErrorClass][]>;

const BAD_MATRICES: [string, unknown, ErrorClass][] = [
  [
    "NaN",
    [
      [1, 0],
      [0, NaN],
      [-1, 0],
      [0, -1],
    ],
    InputRangeError,
  ],
  ["ragged", [[1, 0], [0], [-1, 0], [0, -1]], InputRangeError],
  ["a string", "W", InputTypeError],
  [
    "a string entry",
    [
      [1, 0],
      [0, "1"],
      [-1, 0],
      [0, -1],
    ],
    InputTypeError,
  ],
];

/** Runs a call and returns what it threw (sync or async), or null. */
async function thrown(f: () => unknown): Promise<unknown> {
  try {
    await f();
    return null;
  } catch (e) {
    return e;
  }
}

function expectInputError(e: unknown, cls: ErrorClass, fn: string, arg: string): void {
  expect(e, `expected ${cls.name}`).toBeInstanceOf(cls);
  const message = (e as Error).message;
  expect(message.startsWith(fn), message).toBe(true);
  expect(message, message).toContain(arg);
}

describe("the public API's validation contract", () => {
  for (const entry of ENTRIES) {
    describe(entry.fn, () => {
      it("accepts the good arguments (so every failure below is about the bad one)", async () => {
        expect(await thrown(() => entry.call(W, {}))).toBeNull();
      });
      if (entry.matrix !== null) {
        for (const [label, bad, cls] of BAD_MATRICES) {
          it(`W ${label} → ${cls.name}`, async () => {
            expectInputError(await thrown(() => entry.call(bad, {})), cls, entry.fn, entry.matrix!);
          });
        }
      }
      if (entry.takesOptions !== false) {
        it("options not an object → InputTypeError", async () => {
          expectInputError(await thrown(() => entry.call(W, 5)), InputTypeError, entry.fn, "options");
        });
      }
      for (const key of entry.options) {
        for (const [label, bad, cls] of BAD_OPTIONS[key] as [string, unknown, ErrorClass][]) {
          it(`options.${key} ${label} → ${cls.name}`, async () => {
            expectInputError(
              await thrown(() => entry.call(W, { [key]: bad })),
              cls,
              entry.fn,
              `options.${key}`,
            );
          });
        }
      }
    });
  }

  it("a signal is anything with a boolean aborted (the worker pool passes its shared flag so)", async () => {
    const flag = { aborted: false };
    expect(await thrown(() => checkLayer(W, null, { signal: flag as AbortSignal }))).toBeNull();
    expect(await thrown(() => invertGenerator(net(), Y, { signal: flag as AbortSignal }))).toBeNull();
  });

  it("verifyWitness(): the domain argument is validated", () => {
    expect(() => verifyWitness(W, null, CERT_FREE, "positive" as never)).toThrow(InputTypeError);
    expect(() => verifyWitness(W, null, CERT_FREE, "positive" as never)).toThrow(
      /^verifyWitness\(\): domain/,
    );
  });
});
