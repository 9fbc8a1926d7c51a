/**
 * `injective-relu construct KIND`: build injective layers and networks from the paper's recipes —
 * `dense` (Corollary 2), `gaussian` (Theorem 2's random layers), `cascade` (Corollary 3) and
 * `injectivize` (Theorem 5) — write them as JSON or .npy, and report the exact `checkLayer` verdict
 * (single layers) or the dimension checks and a sampled collision search (networks).
 */

import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { writeFile } from "node:fs/promises";
import { readUserFile } from "../../io/safe-file.js";
import { extname } from "node:path";
import type { LayerCheckResult } from "../../core/index.js";
import { InputRangeError, isInputError } from "../../core/validate.js";
import { constructCascade, type CascadeConstruction } from "../../construct/cascade.js";
import { constructDense, type DenseConstruction } from "../../construct/dense.js";
import { constructGaussian, type GaussianConstruction } from "../../construct/gaussian.js";
import { injectivize, type InjectivizeResult } from "../../construct/injectivize.js";
import { describeFsError, FileFormatError } from "../../io/errors.js";
import { formatJson, readNetworkFile } from "../../io/network-file.js";
import { layerFromNpy } from "../../io/layer-file.js";
import { writeNpy } from "../../io/npy.js";
import { searchCollisions, type CollisionSearchResult } from "../../network/collision-search.js";
import { networkDims, type Network } from "../../model/network.js";
import { EXIT } from "../exit-codes.js";
import { fmtMs, fmtNum, fmtVec, fmtVerdict } from "../format.js";
import { cliBudget, memoryLimitOption, parseInteger, parsePositive, readerOptions } from "../options.js";
import { formatCount, matrixBytes } from "../../core/budget.js";
import { runCheck } from "./check.js";
import { DEFAULT_TOLERANCE } from "../../core/numerics.js";

const KINDS = ["dense", "gaussian", "cascade", "injectivize"] as const;
type Kind = (typeof KINDS)[number];

interface ConstructCliOptions {
  inputs?: number;
  outputs?: number;
  seed: number;
  out?: string;
  json?: boolean;
  basis?: string;
  dRange?: [number, number];
  bias?: "none" | "nonneg" | "paired";
  shuffle?: boolean;
  depth?: number;
  widths?: number[];
  projections?: number[];
  network?: string;
  box?: [number, number];
  epsilon?: number;
  pairs: number;
  timeLimit?: number;
  check: boolean;
  memoryLimit?: number;
}

/** Which kinds accept each kind-specific option (the others are refused with a clear message). */
const KIND_OPTIONS: Record<string, { flag: string; kinds: Kind[] }> = {
  basis: { flag: "--basis", kinds: ["dense"] },
  dRange: { flag: "--d-range", kinds: ["dense"] },
  bias: { flag: "--bias", kinds: ["dense", "cascade"] },
  shuffle: { flag: "--shuffle", kinds: ["dense"] },
  depth: { flag: "--depth", kinds: ["cascade"] },
  widths: { flag: "--widths", kinds: ["cascade"] },
  projections: { flag: "--projections", kinds: ["cascade"] },
  network: { flag: "--network", kinds: ["injectivize"] },
  box: { flag: "--box", kinds: ["cascade", "injectivize"] },
  epsilon: { flag: "--epsilon", kinds: ["injectivize"] },
  pairs: { flag: "--pairs", kinds: ["cascade", "injectivize"] },
  timeLimit: { flag: "--time-limit", kinds: ["dense", "gaussian"] },
};

// ---------------------------------------------------------------------------------------------
// Option parsers (commander prints their message and the CLI exits with 3)
// ---------------------------------------------------------------------------------------------

/** Parses a positive integer (a size). */
export function parseSize(value: string): number {
  const x = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(x) || x <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return x;
}

/** Parses `a,b,c` into positive integers. */
export function parseSizeList(value: string): number[] {
  const parts = value.split(",");
  return parts.map((p) => {
    const x = Number(p);
    if (p.trim() === "" || !Number.isSafeInteger(x) || x <= 0)
      throw new InvalidArgumentError(`expected comma-separated positive integers like 6,14, got "${value}"`);
    return x;
  });
}

/** Parses `lo:hi` with finite lo < hi. */
export function parseRange(value: string): [number, number] {
  const parts = value.split(":");
  const [lo, hi] = parts.map((p) => (p.trim() === "" ? NaN : Number(p)));
  if (parts.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi))
    throw new InvalidArgumentError(`expected lo:hi with numbers lo < hi, like -1:1, got "${value}"`);
  return [lo, hi];
}

/** Parses `a:b` with 0 < a ≤ b (a range for the positive diagonal D; `a:a` is a constant). */
export function parseDRange(value: string): [number, number] {
  const parts = value.split(":");
  const [a, b] = parts.map((p) => (p.trim() === "" ? NaN : Number(p)));
  if (parts.length !== 2 || !Number.isFinite(a) || !Number.isFinite(b))
    throw new InvalidArgumentError(`expected a:b with numbers 0 < a <= b, like 0.5:2, got "${value}"`);
  if (!(a > 0 && b > 0))
    throw new InvalidArgumentError(
      `D must be a positive diagonal (Corollary 2), so both ends must be > 0, got "${value}"`,
    );
  if (a > b) throw new InvalidArgumentError(`expected a <= b, got "${value}"`);
  return [a, b];
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Rephrases a library validation message for the command line: `constructDense(): options.widths` → `--widths`. */
function cliMessage(kind: Kind, e: unknown): never {
  if (isInputError(e) && !(e instanceof FileFormatError)) {
    const message = e.message
      .replace(/^\w+\(\): /, `construct ${kind}: `)
      .replace(/options\.widths/g, "--widths")
      .replace(/options\.projections/g, "--projections")
      .replace(/options\.depth/g, "--depth")
      .replace(/options\.epsilon/g, "--epsilon")
      .replace(/options\.d\b/g, "--d-range");
    throw new InputRangeError(message);
  }
  throw e;
}

/** Reads a basis for `--basis FILE`: JSON rows, {"B": rows}, {"W": rows}, or a 2-D .npy. */
async function readBasis(path: string): Promise<number[][]> {
  const bytes = await readUserFile(path, "the basis file");
  if (extname(path).toLowerCase() === ".npy") return layerFromNpy(bytes, path).W;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new FileFormatError(path, `invalid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  const obj = value as Record<string, unknown> | null;
  const rows = Array.isArray(value)
    ? value
    : typeof obj === "object" && obj !== null
      ? (obj.B ?? obj.W)
      : undefined;
  if (!Array.isArray(rows))
    throw new FileFormatError(path, 'expected the basis as a JSON array of rows, {"B": rows} or {"W": rows}');
  return rows as number[][];
}

async function writeOut(path: string, text: string | Uint8Array): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (e) {
    throw new FileFormatError(path, `cannot write file (${describeFsError(e)})`);
  }
}

function isNpy(path: string | undefined): boolean {
  return path !== undefined && extname(path).toLowerCase() === ".npy";
}

function shape(W: number[][]): string {
  return `${W.length}×${W[0].length}`;
}

function checkSummary(r: LayerCheckResult): Record<string, unknown> {
  return { injective: r.injective, method: r.method, exact: r.exact, reason: r.reason };
}

function searchSummary(s: CollisionSearchResult): Record<string, unknown> {
  return {
    collisionFound: s.collisionFound,
    minRatio: s.minRatio,
    relativeMinRatio: s.relativeMinRatio,
    pair: s.pair,
    minJacobianSigma: s.minJacobianSigma,
    lipschitzEstimate: s.lipschitzEstimate,
    box: [s.box.lo, s.box.hi],
    pairs: s.pairsSampled,
    localSearches: s.localSearches,
    seed: s.seed,
  };
}

function describeSearch(label: string, s: CollisionSearchResult): string[] {
  const head = `${label}, box [${fmtNum(s.box.lo)}, ${fmtNum(s.box.hi)}]^${s.box.n} (${s.pairsSampled} random pairs, ${s.jacobianSamples} Jacobians, ${s.localSearches} local minimisations; seed ${s.seed}, ${fmtMs(s.timeMs)}):`;
  if (s.collisionFound) {
    return [
      head,
      `  COLLISION found: x1 = ${fmtVec(s.pair.x1)}, x2 = ${fmtVec(s.pair.x2)}, ‖N(x1) − N(x2)‖ = ${fmtNum(s.pairOutputDistance, 3)} (ratio ${fmtNum(s.minRatio, 3)})`,
    ];
  }
  return [
    head,
    `  no collision found: min ‖N(x1) − N(x2)‖/‖x1 − x2‖ = ${fmtNum(s.minRatio, 4)} (${fmtNum(s.relativeMinRatio, 3)} of the Lipschitz estimate ${fmtNum(s.lipschitzEstimate, 4)}); min σ_min of the Jacobian = ${fmtNum(s.minJacobianSigma, 4)}`,
  ];
}

function describeCheck(r: LayerCheckResult): string[] {
  const region = `R^${r.n}`;
  const lines = [
    `Exact check (checkLayer, domain ${region}): ${fmtVerdict(r.injective)}  (method: ${r.method}${r.injective !== null ? (r.exact ? ", evidence checked in exact arithmetic" : ", evidence checked in floating point") : ""}, ${fmtMs(r.stats.timeMs)})`,
    `  ${r.reason}`,
  ];
  if (r.witness) {
    lines.push(
      `  Witness: x1 = ${fmtVec(r.witness.x1, 8)}, x2 = ${fmtVec(r.witness.x2, 8)} have the same output`,
    );
  }
  return lines;
}

/** True when the check was stopped with Ctrl-C (the CLI then exits with 130, as `check` does). */
function cancelled(r: LayerCheckResult): boolean {
  return r.injective === null && /cancelled/.test(r.reason);
}

async function checkLayerCli(
  W: number[][],
  b: number[] | undefined,
  label: string,
  opts: ConstructCliOptions,
): Promise<LayerCheckResult> {
  return runCheck({ W, ...(b ? { b } : {}), path: label }, "all", {
    method: "auto",
    timeLimit: opts.timeLimit,
    tolerance: DEFAULT_TOLERANCE,
    seed: opts.seed,
    exact: "auto",
    json: opts.json,
    ...(opts.memoryLimit !== undefined ? { memoryLimit: opts.memoryLimit } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// The kinds
// ---------------------------------------------------------------------------------------------

interface Built {
  /** The JSON object written to --out and printed by --json. */
  json: Record<string, unknown>;
  /** W for .npy output (single layers without bias). */
  npyW?: number[][];
  /** Human report lines. */
  lines: string[];
  exitCode: number;
}

function requireSizes(kind: Kind, opts: ConstructCliOptions): { n: number; m: number } {
  if (opts.inputs === undefined || opts.outputs === undefined) {
    throw new InputRangeError(
      `construct ${kind}: --inputs N and --outputs M are required (n inputs, m outputs)`,
    );
  }
  const n = opts.inputs;
  const m = opts.outputs;
  // The matrices to build (a few copies of the widest one) must fit --memory-limit.
  let rows = m;
  let cols = n;
  for (const d of [...(opts.widths ?? []), ...(opts.projections ?? [])]) {
    rows = Math.max(rows, d);
    cols = Math.max(cols, d);
  }
  cliBudget("construct", opts).reserve(
    `construct ${kind} (the ${formatCount(rows)} × ${formatCount(cols)} weights)`,
    3 * matrixBytes(rows, cols),
  );
  return { n, m };
}

async function buildDense(opts: ConstructCliOptions): Promise<Built> {
  const { n, m } = requireSizes("dense", opts);
  const basisArg = opts.basis ?? "gaussian";
  const basisFile = basisArg !== "gaussian" && basisArg !== "orthogonal" ? basisArg : undefined;
  const basis = basisFile ? await readBasis(basisFile) : (basisArg as "gaussian" | "orthogonal");
  let c: DenseConstruction;
  try {
    c = constructDense(n, m, {
      seed: opts.seed,
      basis,
      d: opts.dRange ? { min: opts.dRange[0], max: opts.dRange[1] } : "identity",
      bias: opts.bias ?? "none",
      shuffle: opts.shuffle === true,
    });
  } catch (e) {
    if (basisFile && isInputError(e) && /options\.basis/.test(e.message)) {
      throw new FileFormatError(
        basisFile,
        e.message
          .replace(/^\w+\(\): options\.basis/, "the basis")
          .replace("options.maxCondition =", "the limit"),
      );
    }
    cliMessage("dense", e);
  }
  const meta = c.meta;
  const lines = [
    `Built a Corollary 2 layer W = [B; −DB; M]: ${shape(c.W)} (m = ${m} outputs, n = ${n} inputs), ${c.b ? `bias "${meta.bias}"` : "no bias"}; seed ${meta.seed}`,
    `  B: ${meta.basis === "given" ? `from ${basisFile}` : meta.basis} ${n}×${n}, condition number ${fmtNum(meta.conditionNumber, 4)}; D = ${meta.d.every((v) => v === 1) ? "I" : `diag(${meta.d.map((v) => fmtNum(v, 4)).join(", ")})`}; M: ${m === 2 * n ? "none (m = 2n)" : `${m - 2 * n} Gaussian row(s)`}`,
    `  rows of W: B → ${meta.rowsB.join(", ")}; −DB → ${meta.rowsNegDB.join(", ")}${meta.rowsM.length ? `; M → ${meta.rowsM.join(", ")}` : ""}${opts.shuffle ? " (shuffled)" : ""}`,
  ];
  if (c.b) {
    lines.push(
      `  bias: every pair (B_i, −d_i·B_i) has β1 + β2/d = ${fmtNum(meta.pairSlack, 4)} or more (>= 0), so one row of each pair is active at every x`,
    );
  }
  const construction: Record<string, unknown> = {
    kind: "dense",
    theorem: "Corollary 2",
    n,
    m,
    seed: meta.seed,
    basis: basisFile ?? meta.basis,
    conditionNumber: meta.conditionNumber,
    d: meta.d,
    bias: meta.bias,
    rowsB: meta.rowsB,
    rowsNegDB: meta.rowsNegDB,
    rowsM: meta.rowsM,
    shuffled: opts.shuffle === true,
  };
  let exitCode: number = EXIT.injective;
  if (opts.check) {
    const r = await checkLayerCli(c.W, c.b, "construct dense", opts);
    lines.push(...describeCheck(r));
    construction.check = checkSummary(r);
    if (r.injective === false) {
      lines.push("  This contradicts Corollary 2: please report it.");
      exitCode = EXIT.internal;
    }
    if (cancelled(r)) exitCode = EXIT.cancelled;
  }
  return {
    json: {
      W: c.W,
      ...(c.b ? { b: c.b } : {}),
      description: `Corollary 2 layer [B; −DB; M], ${shape(c.W)}, seed ${meta.seed}`,
      expected: { all: true, nonnegative: true },
      construction,
    },
    ...(c.b ? {} : { npyW: c.W }),
    lines,
    exitCode,
  };
}

async function buildGaussian(opts: ConstructCliOptions): Promise<Built> {
  const { n, m } = requireSizes("gaussian", opts);
  let g: GaussianConstruction;
  try {
    g = constructGaussian(n, m, { seed: opts.seed });
  } catch (e) {
    cliMessage("gaussian", e);
  }
  const lines = [
    `Built an iid Gaussian layer: ${shape(g.W)} (m = ${m} outputs, n = ${n} inputs, ratio m/n = ${fmtNum(g.meta.regime.ratio, 4)}), entries N(0, 1), no bias; seed ${g.meta.seed}`,
    `  Injectivity is only probable. ${g.meta.regime.summary}.`,
  ];
  let exitCode: number = EXIT.injective;
  const construction: Record<string, unknown> = {
    kind: "gaussian",
    theorem: "Theorem 2",
    n,
    m,
    seed: g.meta.seed,
    ratio: g.meta.regime.ratio,
    regime: g.meta.regime.kind,
  };
  if (opts.check) {
    const r = await checkLayerCli(g.W, undefined, "construct gaussian", opts);
    lines.push(...describeCheck(r));
    construction.check = checkSummary(r);
    if (cancelled(r)) exitCode = EXIT.cancelled;
  }
  return {
    json: { W: g.W, description: `iid Gaussian layer, ${shape(g.W)}, seed ${g.meta.seed}`, construction },
    npyW: g.W,
    lines,
    exitCode,
  };
}

function describeDims(net: Network, roles: string[]): string {
  const dims = networkDims(net);
  return dims.map((d, i) => (i === 0 ? `${d}` : ` →(${roles[i - 1]})→ ${d}`)).join("");
}

/** Which projections reduce the dimension (and so are not injective as layers). */
function describeProjections(c: CascadeConstruction): string {
  const reducing = c.meta.layers
    .map((l, i) => ({ ...l, index: Math.floor(i / 2) + 1 }))
    .filter((l) => l.role === "projection" && l.outDim < l.inDim);
  if (reducing.length === 0)
    return "here no projection reduces the dimension, but in general they do (Figure 5).";
  return `${reducing.map((l) => `projection ${l.index} (R^${l.inDim} → R^${l.outDim})`).join(", ")} ${reducing.length === 1 ? "is" : "are"} not injective on ${reducing.length === 1 ? "its" : "their"} whole input space, only on the image of the layers before.`;
}

async function buildCascade(opts: ConstructCliOptions): Promise<Built> {
  const { n, m } = requireSizes("cascade", opts);
  let c: CascadeConstruction;
  try {
    c = constructCascade(n, m, {
      seed: opts.seed,
      ...(opts.depth !== undefined ? { depth: opts.depth } : {}),
      ...(opts.widths ? { widths: opts.widths } : {}),
      ...(opts.projections ? { projections: opts.projections } : {}),
      bias: opts.bias === "nonneg" ? "nonneg" : "none",
    });
  } catch (e) {
    cliMessage("cascade", e);
  }
  const [lo, hi] = opts.box ?? [-1, 1];
  const search = searchCollisions(c.network, {
    lo,
    hi,
    seed: opts.seed,
    pairs: opts.pairs,
    memoryLimitBytes: cliBudget("construct", opts).memoryLimitBytes,
  });
  const roles = c.meta.layers.map((l) =>
    l.role === "expansion" ? "Corollary 2 ReLU" : "Gaussian projection",
  );
  const lines = [
    `Built a Corollary 3 cascade R^${n} → R^${m}: depth k = ${c.meta.depth} (${c.network.layers.length} layers), ${opts.bias === "nonneg" ? 'expansion bias "nonneg"' : "no bias"}; seed ${c.meta.seed}`,
    `  dimensions: ${describeDims(c.network, roles)}`,
    `  dimension checks: ${c.meta.checks.join("; ")}`,
    `  Injective almost surely (Corollary 3), not layer by layer: ${describeProjections(c)}`,
    ...describeSearch("Collision search", search),
  ];
  if (opts.bias !== "nonneg" && opts.box === undefined) {
    lines.push(
      "  (No bias: N is positively homogeneous, so a collision anywhere in R^n scales into [-1, 1]^n.)",
    );
  }
  return {
    json: {
      ...c.network,
      construction: {
        kind: "cascade",
        theorem: "Corollary 3",
        n,
        m,
        seed: c.meta.seed,
        depth: c.meta.depth,
        dims: c.meta.dims,
        checks: c.meta.checks,
        collisionSearch: searchSummary(search),
      },
    },
    lines,
    exitCode: search.collisionFound ? EXIT.notInjective : EXIT.injective,
  };
}

async function buildInjectivize(opts: ConstructCliOptions): Promise<Built> {
  if (opts.network === undefined || opts.box === undefined || opts.epsilon === undefined) {
    throw new InputRangeError(
      "construct injectivize: --network FILE.json, --box lo:hi and --epsilon E are required",
    );
  }
  const f = await readNetworkFile(opts.network, readerOptions(opts));
  const fDims = networkDims(f);
  const fOut = fDims[fDims.length - 1];
  if (opts.inputs !== undefined && opts.inputs !== f.inputDim)
    throw new InputRangeError(
      `construct injectivize: --inputs ${opts.inputs} disagrees with ${opts.network}, which has inputDim ${f.inputDim}`,
    );
  if (opts.outputs !== undefined && opts.outputs !== fOut)
    throw new InputRangeError(
      `construct injectivize: --outputs ${opts.outputs} disagrees with ${opts.network}, which has ${fOut} outputs`,
    );
  const [lo, hi] = opts.box;
  let r: InjectivizeResult;
  try {
    r = injectivize(f, {
      lo,
      hi,
      epsilon: opts.epsilon,
      seed: opts.seed,
      memoryLimitBytes: cliBudget("construct", opts).memoryLimitBytes,
    });
  } catch (e) {
    cliMessage("injectivize", e);
  }
  const meta = r.meta;
  const memoryLimitBytes = cliBudget("construct", opts).memoryLimitBytes;
  const searchF = searchCollisions(f, { lo, hi, seed: opts.seed, pairs: opts.pairs, memoryLimitBytes });
  const searchN = searchCollisions(r.network, {
    lo,
    hi,
    seed: opts.seed,
    pairs: opts.pairs,
    memoryLimitBytes,
  });
  const n = meta.n;
  const lines = [
    `Injectivized ${opts.network} (f: R^${n} → R^${meta.m}, ${f.layers.length} layer(s)) on the box [${fmtNum(lo)}, ${fmtNum(hi)}]^${n} with ε = ${fmtNum(meta.epsilon)}; seed ${meta.seed}`,
    `  N(x) = f(x) + αA·(ReLU(x), ReLU(−x)): A is ${meta.m}×${2 * n} Gaussian, ‖A‖₂ = ${fmtNum(meta.normA, 4)}, α = τε/(‖A‖₂R) = ${fmtNum(meta.alpha, 4)} (τ = ${fmtNum(meta.tau, 4)}, R = max ‖x‖₂ on the box = ${fmtNum(meta.radius, 4)})`,
    `  dimensions: f ${fDims.join(" → ")}; N ${networkDims(r.network).join(" → ")}; m = ${meta.m} >= 2n + 1 = ${2 * n + 1} (Theorem 5)`,
    `  error ‖N(x) − f(x)‖₂ on the box: proved <= α‖A‖₂R = ${fmtNum(meta.bound, 4)} <= ε; ${meta.exactMaxError !== null ? `exact max (3^n vertices) ${fmtNum(meta.exactMaxError, 4)}; ` : ""}measured max ${fmtNum(meta.error.max, 4)} over ${meta.error.samples} random points + ${meta.error.corners} corners`,
    `  Injective with probability 1 over A (Theorem 5's generic projection); the search below tests this draw.`,
    ...describeSearch("Collision search on f", searchF).map((l, i) =>
      i === 0 ? l : l.replace(/N\(/g, "f("),
    ),
    ...describeSearch("Collision search on N", searchN),
  ];
  return {
    json: {
      ...r.network,
      construction: {
        kind: "injectivize",
        theorem: "Theorem 5",
        source: opts.network,
        n,
        m: meta.m,
        seed: meta.seed,
        box: [lo, hi],
        epsilon: meta.epsilon,
        alpha: meta.alpha,
        tau: meta.tau,
        normA: meta.normA,
        radius: meta.radius,
        bound: meta.bound,
        exactMaxError: meta.exactMaxError,
        sampledMaxError: meta.error.max,
        collisionSearch: searchSummary(searchN),
      },
    },
    lines,
    exitCode: searchN.collisionFound ? EXIT.notInjective : EXIT.injective,
  };
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

/** The `construct` command. */
export function constructCommand(): Command {
  const cmd = new Command("construct")
    .description(
      "build an injective ReLU layer or network: dense (Corollary 2), gaussian (Theorem 2), cascade (Corollary 3), injectivize (Theorem 5)",
    )
    .addArgument(new Argument("<kind>", "what to build").choices([...KINDS]))
    .option("--inputs <n>", "input dimension n", parseSize)
    .option("--outputs <m>", "output dimension m", parseSize)
    .requiredOption("--seed <s>", "seed of every random choice (integer)", parseInteger)
    .option("--out <file>", "write the result: .json, or .npy (single layers without bias: W only)")
    .option("--json", "print the JSON object that --out writes on stdout, instead of the report")
    .option("--basis <basis>", 'dense: gaussian, orthogonal, or a file (JSON rows, {"B"}, {"W"} or .npy)')
    .option(
      "--d-range <a:b>",
      "dense: diagonal of D uniform in [a, b], 0 < a <= b (default: D = I)",
      parseDRange,
    )
    .addOption(
      new Option(
        "--bias <kind>",
        "dense: none, nonneg or paired; cascade: none or nonneg (default none)",
      ).choices(["none", "nonneg", "paired"]),
    )
    .option("--shuffle", "dense: permute the rows (seeded)")
    .option("--depth <k>", "cascade: number of expansion + projection pairs (default 2)", parseSize)
    .option(
      "--widths <list>",
      "cascade: expansion widths d_1,d_3,… (each >= 2 × its input dimension)",
      parseSizeList,
    )
    .option(
      "--projections <list>",
      "cascade: intermediate projection dimensions d_2,…,d_2k-2 (each >= 2n+1; default m)",
      parseSizeList,
    )
    .option("--network <file>", "injectivize: the network f to approximate (network JSON)")
    .option(
      "--box <lo:hi>",
      "injectivize: the box [lo, hi]^n of the error bound; cascade: search box (default -1:1)",
      parseRange,
    )
    .option("--epsilon <e>", "injectivize: error bound ε > 0", parsePositive)
    .option("--pairs <n>", "cascade, injectivize: random pairs of the collision search", parseSize, 2000)
    .option(
      "--time-limit <seconds>",
      "dense, gaussian: time limit of the exact check (then unknown)",
      parsePositive,
    )
    .option("--no-check", "dense, gaussian: skip the exact check")
    .addOption(memoryLimitOption());
  cmd.addHelpText(
    "after",
    `
Exit codes: 0 built (for gaussian, whatever the verdict: the report gives it), 1 the collision search
found a collision in a cascade or injectivized network (probability 0: please report it), 3 bad
input, 4 internal error (including a dense layer that fails its check, which contradicts Corollary 2),
130 the check was cancelled with Ctrl-C (the result is still written). A construction whose matrices
would exceed --memory-limit is refused with exit 2 (unknown), naming them.

Examples:
  injective-relu construct dense --inputs 3 --outputs 7 --seed 1 --shuffle --out layer.json
  injective-relu construct dense --inputs 3 --outputs 6 --seed 1 --json > l.json && injective-relu check l.json
  injective-relu construct gaussian --inputs 4 --outputs 28 --seed 2
  injective-relu construct cascade --inputs 3 --outputs 7 --depth 2 --seed 1 --out net.json
  injective-relu construct injectivize --network f.json --box -3.1416:3.1416 --epsilon 0.1 --seed 1`,
  );
  cmd.action(async (kind: Kind, opts: ConstructCliOptions) => {
    for (const [key, { flag, kinds }] of Object.entries(KIND_OPTIONS)) {
      const given = cmd.getOptionValueSource(key) === "cli";
      if (given && !kinds.includes(kind)) {
        throw new InputRangeError(
          `construct ${kind}: ${flag} applies only to ${kinds.map((k) => `construct ${k}`).join(", ")}`,
        );
      }
    }
    if (cmd.getOptionValueSource("check") === "cli" && kind !== "dense" && kind !== "gaussian") {
      throw new InputRangeError(
        `construct ${kind}: --no-check applies only to construct dense, construct gaussian`,
      );
    }
    if (kind === "cascade" && opts.bias === "paired") {
      throw new InputRangeError("construct cascade: --bias must be none or nonneg for cascade, got paired");
    }
    if (isNpy(opts.out)) {
      if (kind === "cascade" || kind === "injectivize") {
        throw new InputRangeError(
          `construct ${kind}: --out ${opts.out}: a .npy file holds one matrix, but ${kind} builds a network; write .json instead`,
        );
      }
      if (kind === "dense" && opts.bias !== undefined && opts.bias !== "none") {
        throw new InputRangeError(
          `construct dense: --out ${opts.out}: a .npy file holds W only, but --bias ${opts.bias} gives the layer a bias; write .json instead`,
        );
      }
    }
    const built =
      kind === "dense"
        ? await buildDense(opts)
        : kind === "gaussian"
          ? await buildGaussian(opts)
          : kind === "cascade"
            ? await buildCascade(opts)
            : await buildInjectivize(opts);
    const text = formatJson(built.json) + "\n";
    if (opts.out !== undefined) {
      if (isNpy(opts.out)) {
        const W = built.npyW!;
        await writeOut(opts.out, writeNpy([W.length, W[0].length], W.flat()));
      } else {
        await writeOut(opts.out, text);
      }
      built.lines.push(
        `Wrote ${opts.out} (${isNpy(opts.out) ? ".npy, W only" : kind === "cascade" || kind === "injectivize" ? "network JSON" : 'layer JSON {"W"' + ("b" in built.json ? ', "b"}' : "}")}).`,
      );
    }
    if (opts.json) process.stdout.write(text);
    else process.stdout.write(built.lines.join("\n") + "\n");
    process.exitCode = built.exitCode;
  });
  return cmd;
}
