/**
 * Certificates of injectivity and their independent, exact checker (Theorem 1 with bias; Remark 1).
 *
 * A certificate is a list of Motzkin duals: weights y >= 0 on a set of rows with Σ y_i w_i = 0
 * (domain all) or >= 0 componentwise (nonnegative orthant) and Σ y_i b_i >= 0. Each dual proves
 * that its rows cannot all be strictly negative at a point of D. F is injective on D iff no flat of
 * the rows of rank < n has every row off it strictly negative at some x in D, so the certificate
 * holds when every flat of rank < n (equivalently every hyperplane through 0) misses the whole
 * support of at least one dual.
 *
 * {@link verifyCertificate} checks both parts without the search that produced them, in exact
 * arithmetic for the layer exactly as given (finite doubles are dyadic rationals):
 * 1. each dual's algebra: exact weights are recomputed on the dual's support from its equations,
 *    with the stated float weights only as a hint, and every sign is checked over the rationals;
 * 2. the cover: a depth-first search over flats ({@link findUncovered}) that tries to meet every
 *    dual's support while keeping the rank below n. At rank n − 2 the hyperplanes left are decided
 *    without branching, by 2 × 2 minors of the residuals modulo the span: a nonzero minor mod p
 *    proves that two rows lie on no common hyperplane (half of the cover check's time on hard
 *    Gaussian layers at n = 10 went to building those hyperplanes one by one). Spans are kept modulo a prime, which proves
 *    independence exactly; every "dependent" answer mod p is confirmed over the rationals (rows on
 *    one line are confirmed by their exact direction), and a prime that is unlucky for the input
 *    is replaced by the next one, finally by rational arithmetic throughout.
 * No tolerance enters a valid verdict.
 */

import type { Certificate, Domain, Dual } from "./types.js";
import {
  InputTypeError,
  validateChoice,
  validateDomain,
  validateLayer,
  validateOptions,
} from "./validate.js";
import {
  ExactSpan,
  Fraction,
  dyadicRows,
  gcdBigint,
  ratioToNumber,
  solveIntegerSystem,
  type IntegerLayer,
} from "./exact.js";
import { Budget, ResourceLimitError } from "./budget.js";
import { PRIMES, invMod, reduceRows } from "./modular.js";
import { decodeFlatProof, replaySteps, type FlatProof } from "./flat-proof.js";
import { runSteps, runStepsAsync, type Steps } from "./steps.js";
import { DUAL_WEIGHT_AGREEMENT, DUAL_WEIGHT_SUPPORT, validateTolerance } from "./numerics.js";
import { dualHoldsByFilter } from "./dual-filter.js";

/** Result of {@link verifyCertificate}. */
export interface CertificateCheck {
  valid: boolean;
  /** True when the verdict was reached in exact arithmetic (always, unless the check was cut short). */
  exact: boolean;
  reason: string;
  /** Search nodes of the cover check (0 when the certificate's proof replayed). */
  coverNodes: number;
  /** Nodes of the certificate's proof replayed, when it held (then no cover check ran). */
  proofNodes?: number;
  /** The domain the certificate proves injectivity on (R^n also proves the orthant). */
  domain?: Domain;
  /** True when the check stopped at its deadline or was cancelled (then `valid` is false: not proved either way). */
  timedOut?: boolean;
}

/** Options of {@link verifyCertificate}. */
export interface VerifyCertificateOptions {
  /**
   * Relative tolerance used only to read the stated float weights (which columns of a dual on the
   * orthant are meant to cancel, how far stated weights may be from the exact ones). @default 1e-9
   */
  tolerance?: number;
  /**
   * The domain asked about. A certificate for R^n also proves the orthant; a certificate for the
   * orthant does not prove R^n. @default the certificate's own domain
   */
  domain?: Domain;
  /** `auto` (the only mode): every check is exact. Kept for compatibility. */
  exact?: "auto";
  /** Wall-clock limit in milliseconds. @default Infinity */
  timeLimitMs?: number;
  /** `performance.now()` after which the check gives up (the result is then invalid, `timedOut`). */
  deadline?: number;
  /** Cancels the check. */
  signal?: AbortSignal;
}

/** How far stated float weights may be from the exact weights they round (weights sum to 1). */
const WEIGHT_AGREEMENT = DUAL_WEIGHT_AGREEMENT;

interface SpanOps<S> {
  empty(): S;
  contains(s: S, row: number): boolean;
  /** A copy of s with row added. */
  extend(s: S, row: number): S;
  rank(s: S): number;
  /**
   * Optional, for a span of rank n − 2: a test whether rows a and b may lie on one hyperplane
   * through it (their residuals modulo the span are parallel, tested modulo a prime). `false` is a
   * proof that they do not (a nonzero 2 × 2 minor mod p is nonzero over the rationals); `true`
   * proves nothing. Rows inside the span are never asked about.
   */
  hyperplaneTest?(s: S): (a: number, b: number) => boolean;
}

/** Why a certificate is malformed, or null when every field is well formed. */
export function certificateShapeProblem(certificate: unknown, m: number, n: number): string | null {
  if (typeof certificate !== "object" || certificate === null) return "not an object";
  const c = certificate as Partial<Record<keyof Certificate, unknown>>;
  if (c.kind !== "dual-cover") return `kind must be "dual-cover", got ${JSON.stringify(c.kind)}`;
  if (c.domain !== "all" && c.domain !== "nonnegative")
    return `domain must be "all" or "nonnegative", got ${JSON.stringify(c.domain)}`;
  if (c.m !== m || c.n !== n) return `made for a ${String(c.m)}×${String(c.n)} matrix, W is ${m}×${n}`;
  if (!Array.isArray(c.duals)) return "duals must be an array";
  for (let k = 0; k < c.duals.length; k++) {
    const d: unknown = c.duals[k];
    if (typeof d !== "object" || d === null) return `dual ${k} is not an object`;
    const { rows, weights } = d as { rows?: unknown; weights?: unknown };
    if (
      !Array.isArray(rows) ||
      !Array.isArray(weights) ||
      rows.length !== weights.length ||
      rows.length === 0
    )
      return `dual ${k} needs arrays rows and weights of the same positive length`;
    const seen = new Set<number>();
    for (const i of rows as unknown[]) {
      if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= m)
        return `dual ${k} has row ${String(i)}, not an index in [0, ${m})`;
      if (seen.has(i)) return `dual ${k} repeats row ${i}`;
      seen.add(i);
    }
    let positive = false;
    for (const w of weights as unknown[]) {
      if (typeof w !== "number" || !Number.isFinite(w) || w < 0)
        return `dual ${k} has weight ${String(w)}, not a finite number >= 0`;
      if (w > 0) positive = true;
    }
    if (!positive) return `dual ${k} has only zero weights`;
  }
  return null;
}

/**
 * Re-verifies a certificate of injectivity for `x ↦ ReLU(W x + b)`, exactly (see the module header).
 * Synchronous: it blocks until done (or its limits); {@link verifyCertificateAsync} does the same
 * work in pieces, with progress.
 * @param W shape (m, n), rows are output units
 * @param b length m, or null/undefined
 * @returns `valid` only when both the duals and the cover hold in exact arithmetic for the domain
 *   asked about
 */
export function verifyCertificate(
  W: number[][],
  b: number[] | null | undefined,
  certificate: Certificate,
  options: VerifyCertificateOptions = {},
): CertificateCheck {
  return runSteps(certificateSteps("verifyCertificate()", W, b, certificate, options));
}

/** Options of {@link verifyCertificateAsync}. */
export interface VerifyCertificateAsyncOptions extends VerifyCertificateOptions {
  /**
   * Called as the check goes: `done` of `total` is the share of the proof replayed, or of the cover
   * check (estimated), after the duals.
   */
  onProgress?: (p: { stage: "certificate"; done: number; total: number }) => void;
}

/** Milliseconds of work between two yields to the event loop in {@link verifyCertificateAsync}. */
const VERIFY_YIELD_MS = 50;

/**
 * {@link verifyCertificate}, in pieces of bounded work that yield to the event loop between them
 * (./steps.ts): the same checks and verdict, with progress, and a cancel (`signal`) or time limit
 * that takes effect within a piece (the replay's pieces are at most 131,072 proof entries).
 */
export async function verifyCertificateAsync(
  W: number[][],
  b: number[] | null | undefined,
  certificate: Certificate,
  options: VerifyCertificateAsyncOptions = {},
): Promise<CertificateCheck> {
  const fn = "verifyCertificateAsync()";
  if (options.onProgress !== undefined && typeof options.onProgress !== "function")
    throw new InputTypeError(`${fn}: options.onProgress must be a function`);
  let last = performance.now();
  const { onProgress, ...rest } = options;
  const steps = certificateSteps(fn, W, b, certificate, rest, onProgress);
  try {
    return await runStepsAsync(steps, async () => {
      if (options.signal?.aborted) throw new ResourceLimitError("cancelled", "the certificate check");
      if (performance.now() - last < VERIFY_YIELD_MS) return;
      await new Promise((resolve) => setTimeout(resolve, 0));
      last = performance.now();
      if (options.signal?.aborted) throw new ResourceLimitError("cancelled", "the certificate check");
    });
  } catch (e) {
    if (e instanceof ResourceLimitError) return limitCheck(e);
    throw e;
  }
}

/** The result of a certificate check cut short by a limit or a cancel: not proved either way. */
function limitCheck(e: ResourceLimitError): CertificateCheck {
  return {
    valid: false,
    exact: false,
    coverNodes: 0,
    timedOut: true,
    reason:
      e.kind === "cancelled"
        ? "the certificate check was cancelled"
        : "the certificate check ran out of time",
  };
}

/** The certificate check as steps (./steps.ts), for {@link verifyCertificate} and its async twin. */
function* certificateSteps(
  fn: string,
  W: number[][],
  b: number[] | null | undefined,
  certificate: Certificate,
  options: VerifyCertificateOptions,
  onProgress?: (p: { stage: "certificate"; done: number; total: number }) => void,
): Steps<CertificateCheck> {
  const { W: Wv, b: bv } = validateLayer(fn, W, b);
  validateOptions(fn, options);
  const tol = validateTolerance(fn, options.tolerance);
  if (options.exact !== undefined) validateChoice(fn, "options.exact", options.exact, ["auto"] as const);
  const asked = options.domain === undefined ? undefined : validateDomain(fn, options.domain);
  const budget = Budget.from(fn, {
    ...(options.timeLimitMs !== undefined ? { timeLimitMs: options.timeLimitMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const deadline = Math.min(budget.deadline, options.deadline ?? Infinity);
  const limits = new Budget(deadline, options.signal, budget.memoryLimitBytes);
  const m = Wv.length;
  const n = Wv[0].length;
  const fail = (reason: string): CertificateCheck => ({ valid: false, exact: true, reason, coverNodes: 0 });
  const shape = certificateShapeProblem(certificate, m, n);
  if (shape) return fail(`malformed certificate: ${shape}`);
  const domain = certificate.domain;
  if (asked === "all" && domain === "nonnegative")
    return fail(
      "the certificate is for the nonnegative orthant, which does not prove injectivity on all of R^n",
    );
  let proof: FlatProof | null = null;
  if (certificate.proof !== undefined) {
    try {
      proof = decodeFlatProof(certificate.proof);
    } catch (e) {
      return fail(`malformed certificate: ${(e as Error).message}`);
    }
  }
  const region = domain === "all" ? `R^${n}` : "the nonnegative orthant";
  const hence = asked === "nonnegative" && domain === "all" ? ", hence on the orthant" : "";
  const onShare = onProgress
    ? (share: number) => onProgress({ stage: "certificate", done: Math.round(share * 1e6), total: 1e6 })
    : undefined;
  try {
    const ints = dyadicRows(Wv, bv, () => limits.check("the certificate check (integer rows)"));
    for (const [k, d] of certificate.duals.entries()) {
      limits.check("the certificate check (duals)");
      if ((k & 15) === 15) yield;
      const problem = exactDualProblem(ints, d, domain, tol);
      if (problem) return fail(`dual ${k} does not hold: ${problem}`);
    }
    const supports = certificate.duals.map((d) => d.rows);
    // The search's proof, replayed; when it does not hold, the cover check decides on its own.
    let proofNote = "";
    if (proof) {
      const run = yield* replaySteps(ints, supports, n, proof, limits, {
        unsettled: true,
        ...(onShare ? { onShare } : {}),
      });
      const replay = run.result;
      // Nodes the search left unsettled: the cover check of those nodes' flats alone.
      let coverNodes = 0;
      let settled = replay.valid;
      for (const node of replay.valid ? (replay.unsettled ?? []) : []) {
        const start = { chosen: node.path, forbidden: node.forbidden };
        const out = yield* coverSteps(ints, supports, n, start, limits);
        if (!out) {
          settled = false;
          proofNote = ` (the proof's unsettled node at rows [${node.path.join(", ")}] could not be checked on its own; the independent cover check decided)`;
          break;
        }
        coverNodes += out.nodes;
        if (out.uncovered)
          return {
            valid: false,
            exact: true,
            coverNodes,
            reason: `a hyperplane through the flat spanned by rows [${out.uncovered.join(", ")}] meets the support of every dual (found by the cover check of a node the search's proof left unsettled)`,
          };
      }
      if (settled) {
        const k = replay.unsettled?.length ?? 0;
        return {
          valid: true,
          exact: true,
          coverNodes,
          proofNodes: replay.nodes,
          domain,
          reason: `${certificate.duals.length} duals verified in exact arithmetic; the search's proof that every hyperplane misses one of them replays (${replay.nodes} nodes${k ? `; the ${k} node(s) it left unsettled were settled by the cover check of their flats, ${coverNodes} cover nodes` : ""}): injective on ${region}${hence}`,
        };
      }
      if (!replay.valid)
        proofNote = ` (the proof in the certificate does not hold: ${replay.reason}; the independent cover check decided)`;
    }
    const result = (yield* coverSteps(ints, supports, n, null, limits, onShare))!;
    if (result.uncovered) {
      return {
        valid: false,
        exact: true,
        coverNodes: result.nodes,
        reason: `a hyperplane through the flat spanned by rows [${result.uncovered.join(", ")}] meets the support of every dual${proofNote}`,
      };
    }
    return {
      valid: true,
      exact: true,
      coverNodes: result.nodes,
      domain,
      reason: `${certificate.duals.length} duals verified in exact arithmetic; every hyperplane misses one of them (${result.nodes} cover nodes): injective on ${region}${hence}${proofNote}`,
    };
  } catch (e) {
    if (e instanceof ResourceLimitError) return limitCheck(e);
    throw e;
  }
}

/**
 * The exact algebra of one dual on the integer layer: exact weights are recomputed on its support
 * (Σ y = 1, Σ y_i w_i = 0 on the columns meant to cancel), the stated weights serving as values of
 * free variables, then every sign is checked over the rationals. Supports with tiny stated weights
 * are also tried without those rows. On R^n, a dual on n + 1 rows whose signs the floating-point
 * filter of ./dual-filter.ts proves (a rigorous error bound, no tolerance) skips the integers.
 * @param options.filter false to decide by the integers alone (the filter's differential tests)
 * @returns null when the dual holds, else the problem in words
 */
export function exactDualProblem(
  ints: IntegerLayer,
  d: Dual,
  domain: Domain,
  tol: number,
  options: { filter?: boolean } = {},
): string | null {
  // Most duals on R^n are proved by the floating-point filter with a rigorous error bound; the
  // integers decide the rest (and every dual when the filter is off).
  if (domain === "all" && (options.filter ?? true) && dualHoldsByFilter(ints, d, WEIGHT_AGREEMENT))
    return null;
  const n = ints.W[0].length;
  // Stated weights are on the original rows; on integer rows (row · 2^shift) they are y · 2^−shift,
  // computed exactly (the rows' scales can differ by thousands of binary orders of magnitude).
  const exactHint = (t: number): Fraction => {
    const sh = ints.shift[d.rows[t]];
    return Fraction.fromFloat(d.weights[t]).mul(
      sh >= 0 ? new Fraction(1n, 1n << BigInt(sh)) : new Fraction(1n << BigInt(-sh)),
    );
  };
  const maxW = d.weights.reduce((a, v) => Math.max(a, v), 0);
  const supports: number[][] = [d.rows.map((_, t) => t)];
  const big = supports[0].filter((t) => d.weights[t] > DUAL_WEIGHT_SUPPORT * maxW);
  if (big.length > 0 && big.length < d.rows.length) supports.push(big);
  // The original entries, as doubles (for reading which columns the stated weights cancel).
  const orig = (i: number, j: number): number => {
    const w = ints.W[i][j];
    const sh = ints.shift[i];
    return sh >= 0 ? ratioToNumber(w, 1n << BigInt(sh)) : ratioToNumber(w << BigInt(-sh), 1n);
  };
  let last = "no exact solution";
  for (const S of supports) {
    const rows = S.map((t) => d.rows[t]);
    // Exact hints (normalized to sum 1), computed only if the system has free variables.
    let total: Fraction | null = null;
    const hint = (c: number): Fraction => {
      if (total === null) {
        total = Fraction.ZERO;
        for (const t of S) total = total.add(exactHint(t));
      }
      return total.isZero() ? Fraction.ZERO : exactHint(S[c]).div(total);
    };
    const all = [...Array(n).keys()];
    // (Read only on the orthant, where some columns need not cancel.)
    const cancels =
      domain === "all"
        ? all
        : all.filter((j) => {
            let comb = 0;
            let mass = 0;
            rows.forEach((i, t) => {
              const v = d.weights[S[t]] * orig(i, j);
              comb += v;
              mass += Math.abs(v);
            });
            return !(Math.abs(comb) > 1e3 * tol * mass);
          });
    const candidates: number[][] = domain === "all" ? [all] : [cancels, all, []];
    for (const J of candidates) {
      const M: bigint[][] = J.map((j) => rows.map((i) => ints.W[i][j]));
      M.push(rows.map(() => 1n));
      const e = [...J.map(() => 0n), 1n];
      const sol = solveIntegerSystem(M, e, hint);
      if (!sol) {
        last = "its equations Σ y_i w_i = 0, Σ y_i = 1 have no exact solution on its rows";
        continue;
      }
      // y = Y / L with L > 0: every sign is the sign of Y.
      const Y = sol.Y;
      if (Y.some((v) => v < 0n)) {
        last = "the exact weights solving its equations are not all nonnegative";
        continue;
      }
      let okCols = true;
      for (let j = 0; j < n && okCols; j++) {
        let s = 0n;
        rows.forEach((i, t) => {
          if (ints.W[i][j] !== 0n && Y[t] !== 0n) s += Y[t] * ints.W[i][j];
        });
        okCols = domain === "all" ? s === 0n : s >= 0n;
      }
      if (!okCols) {
        last = `Σ y_i w_i ${domain === "all" ? "is not 0" : "has a negative entry"} in exact arithmetic`;
        continue;
      }
      let bias = 0n;
      rows.forEach((i, t) => {
        if (ints.b[i] !== 0n) bias += Y[t] * ints.b[i];
      });
      if (bias < 0n) {
        last = "Σ y_i b_i < 0 in exact arithmetic";
        continue;
      }
      // The exact weights must be the ones the certificate states (up to rounding of the floats),
      // compared on the original rows: y_orig ∝ y_int · 2^shift.
      const sMax = rows.reduce((a, i) => Math.max(a, ints.shift[i]), -Infinity);
      const orig = rows.map((i, t) => ratioToNumber(Y[t], sol.L << BigInt(sMax - ints.shift[i])));
      const so = orig.reduce((a, v) => a + v, 0);
      const stated = S.map((t) => d.weights[t]);
      const ss = stated.reduce((a, v) => a + v, 0);
      let gap = 0;
      for (let t = 0; t < S.length; t++) gap = Math.max(gap, Math.abs(orig[t] / so - stated[t] / ss));
      if (!(gap <= WEIGHT_AGREEMENT)) {
        last = `the stated weights differ from the exact solution on their rows by ${gap.toExponential(2)}`;
        continue;
      }
      return null;
    }
  }
  return last;
}

/** Thrown by the modular span operations when a prime is unlucky for the input. */
class UnluckyPrime extends Error {}

/**
 * The exact line of each row: rows with the same id are positive or negative multiples of each other
 * (canonical primitive integer vector up to sign); −1 for zero rows.
 */
function exactLines(W: readonly (readonly bigint[])[]): Int32Array {
  const ids = new Map<string, number>();
  const out = new Int32Array(W.length);
  W.forEach((row, i) => {
    let g = 0n;
    for (const v of row) g = gcdBigint(g, v < 0n ? -v : v);
    if (g === 0n) {
      out[i] = -1;
      return;
    }
    const first = row.find((v) => v !== 0n)!;
    const s = first < 0n ? -g : g;
    const key = row.map((v) => (v / s).toString(36)).join(",");
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    out[i] = id;
  });
  return out;
}

interface ModState {
  k: number;
  /** The pivot column of each chosen row (every residual in R is zero there). */
  pivots: number[];
  R: Float64Array;
  inside: Uint8Array;
  confirmed: Uint8Array;
  chosen: number[];
  exact: ExactSpan | null;
}

/**
 * Span operations modulo p with exact confirmation of every "row in span" answer (see the header),
 * on the rows `subset` only (the rows of the duals: no other row is ever asked about). States live
 * in one buffer per rank: the depth-first cover check only needs those on its path.
 */
function modularSpanOps(
  ints: IntegerLayer,
  n: number,
  p: number,
  lines: Int32Array,
  subset: readonly number[],
): SpanOps<ModState> {
  return new ModularSpans(ints, n, p, lines, subset);
}

/**
 * The operations of {@link modularSpanOps} as a class: its methods stay fast when the cover check
 * runs many times in one thread (closures lose V8's per-closure specialisation after the first
 * run; measured 1.3–1.5× slower on the subtrees of a parallel check).
 */
class ModularSpans implements SpanOps<ModState> {
  private readonly m: number;
  private readonly local: Int32Array;
  private readonly base: Float64Array;
  private readonly invP: number;
  private readonly levels: ModState[];
  private readonly nz: Int32Array;

  constructor(
    private readonly ints: IntegerLayer,
    private readonly n: number,
    private readonly p: number,
    private readonly lines: Int32Array,
    subset: readonly number[],
  ) {
    const m = subset.length;
    this.m = m;
    this.local = new Int32Array(ints.W.length).fill(-1);
    subset.forEach((row, t) => (this.local[row] = t));
    this.base = reduceRows(
      subset.map((row) => ints.W[row]),
      n,
      p,
    );
    this.invP = 1 / p;
    this.levels = Array.from({ length: n + 1 }, (_, k) => ({
      k,
      pivots: [],
      R: new Float64Array(m * n),
      inside: new Uint8Array(m),
      confirmed: new Uint8Array(m),
      chosen: [],
      exact: null,
    }));
    this.nz = new Int32Array(n);
  }

  private confirm(s: ModState, row: number): boolean {
    const t = this.local[row];
    if (s.confirmed[t]) return true;
    const lines = this.lines;
    const line = lines[row];
    let ok = line === -1;
    for (let u = 0; u < s.chosen.length && !ok; u++) ok = lines[s.chosen[u]] === line;
    if (!ok) {
      if (!s.exact) {
        s.exact = new ExactSpan(this.n);
        for (const c of s.chosen) s.exact.add(this.ints.W[c]);
      }
      ok = s.exact.contains(this.ints.W[row]);
    }
    if (!ok) throw new UnluckyPrime();
    s.confirmed[t] = 1;
    return true;
  }

  empty(): ModState {
    const { m, n, base } = this;
    const L = this.levels[0];
    L.R.set(base);
    L.chosen = [];
    L.pivots = [];
    L.exact = null;
    L.confirmed.fill(0);
    for (let i = 0; i < m; i++) {
      let zero = true;
      for (let j = 0; j < n && zero; j++) zero = base[i * n + j] === 0;
      L.inside[i] = zero ? 1 : 0;
    }
    return L;
  }

  contains(s: ModState, row: number): boolean {
    return s.inside[this.local[row]] === 1 && this.confirm(s, row);
  }

  extend(s: ModState, row: number): ModState {
    const { m, n, p, invP, nz } = this;
    const o = this.local[row] * n;
    const R = s.R;
    let piv = -1;
    let k = 0;
    for (let j = 0; j < n; j++)
      if (R[o + j] !== 0) {
        if (piv < 0) piv = j;
        nz[k++] = j;
      }
    if (piv < 0) {
      this.confirm(s, row);
      return s;
    }
    const L = this.levels[Math.min(n, s.k + 1)];
    const out = L.R;
    out.set(R);
    const inv = invMod(R[o + piv], p);
    const inside = L.inside;
    const before = s.inside;
    for (let i = 0; i < m; i++) {
      const oi = i * n;
      const f = R[oi + piv];
      if (f === 0) {
        inside[i] = before[i];
        continue;
      }
      // g = f · inv mod p, then row_i −= g · row (Barrett reduction of products below 2^52).
      let g = f * inv;
      g -= Math.floor(g * invP) * p;
      if (g < 0) g += p;
      else if (g >= p) g -= p;
      // One reduction per entry: |R_ij − g·R_j| < 2^52 is exact, and so is the quotient times p.
      for (let u = 0; u < k; u++) {
        const j = nz[u];
        let v = R[oi + j] - g * R[o + j];
        v -= Math.floor(v * invP) * p;
        if (v < 0) v += p;
        else if (v >= p) v -= p;
        out[oi + j] = v;
      }
      let zero = true;
      for (let j = 0; j < n && zero; j++) zero = out[oi + j] === 0;
      inside[i] = zero ? 1 : 0;
    }
    L.confirmed.set(s.confirmed);
    L.confirmed[this.local[row]] = 1;
    L.chosen = [...s.chosen, row];
    L.pivots = [...s.pivots, piv];
    L.exact = null;
    return L;
  }

  rank(s: ModState): number {
    return s.k;
  }

  hyperplaneTest(s: ModState): (a: number, b: number) => boolean {
    const { n, p, invP, local } = this;
    // At rank n − 2 every residual is zero outside the two free columns: compare the 2-vectors.
    let c0 = -1;
    let c1 = -1;
    for (let j = 0; j < n; j++)
      if (!s.pivots.includes(j)) {
        if (c0 < 0) c0 = j;
        else c1 = j;
      }
    if (c1 < 0) return () => true;
    const R = s.R;
    return (a, b) => {
      const oa = local[a] * n;
      const ob = local[b] * n;
      let x = R[oa + c0] * R[ob + c1];
      x -= Math.floor(x * invP) * p;
      let y = R[oa + c1] * R[ob + c0];
      y -= Math.floor(y * invP) * p;
      return (x - y) % p === 0;
    };
  }
}

/** Span operations in rational arithmetic throughout (the fallback when every prime is unlucky). */
function rationalSpanOps(W: readonly (readonly bigint[])[], n: number): SpanOps<ExactSpan> {
  return {
    empty: () => new ExactSpan(n),
    contains: (s, row) => s.contains(W[row]),
    extend: (s, row) => {
      const c = s.clone();
      c.add(W[row]);
      return c;
    },
    rank: (s) => s.rank,
  };
}

/**
 * The exact cover check: a flat of rank < n meeting every support, or null. Tries the primes in
 * turn, then rational arithmetic. `minorTests: false` turns off the hyperplane test at rank n − 2
 * (see {@link findUncovered}); the verdict is the same either way.
 */
export function exactCover(
  ints: IntegerLayer,
  supports: number[][],
  n: number,
  budget?: Budget,
  onProgress?: (share: number) => void,
  options: { minorTests?: boolean } = {},
): CoverResult {
  for (let k = 0; k < PRIMES.length; k++) {
    const out = coverModulo(ints, supports, n, k, budget, onProgress, options);
    if (out) return out;
  }
  return findUncovered(supports, n, rationalSpanOps(ints.W, n), budget, onProgress);
}

/**
 * The exact cover check of one node's flats only: those that contain the span of `node.path` and
 * no row of `node.forbidden` (a node of the branch and bound's proof that the search left
 * unsettled; ./flat-proof.ts, `unsettled`). Like {@link exactCover}: the primes in turn, then
 * rational arithmetic. Null when the node is not one the cover check can start at (a path row
 * outside every support, or one that does not raise the rank): the caller then runs the whole check.
 */
export function exactCoverAt(
  ints: IntegerLayer,
  supports: number[][],
  n: number,
  node: { path: readonly number[]; forbidden: readonly number[] },
  budget?: Budget,
): CoverResult | null {
  const inSupport = new Set(supports.flat());
  if (node.path.some((r) => !inSupport.has(r))) return null;
  const start = { chosen: node.path.slice(), forbidden: node.forbidden.slice() };
  // A start node the check cannot take there (its path does not raise the rank mod that prime, or
  // at all): that prime is skipped; over the rationals, the node is not settled here.
  const notStart = (e: unknown): boolean => e instanceof Error && /start node/.test(e.message);
  for (let k = 0; k < PRIMES.length; k++) {
    try {
      const out = coverModulo(ints, supports, n, k, budget, undefined, { start });
      if (out) return out;
    } catch (e) {
      if (!notStart(e)) throw e;
    }
  }
  try {
    return findUncovered(supports, n, rationalSpanOps(ints.W, n), budget, undefined, { start });
  } catch (e) {
    if (!notStart(e)) throw e;
    return null;
  }
}

/** Depth below the start node at which {@link coverSteps} splits the cover check. */
const COVER_SPLIT_LEVELS = 2;

/**
 * The exact cover check ({@link exactCover}, or {@link exactCoverAt} at `start`) in steps
 * (./steps.ts): the check down to two rows below the start, then each node left there (its
 * `frontier`, the split the thread pool uses) on its own, one step each. Same verdict. The primes
 * are tried in turn as there; rational arithmetic (every prime unlucky, which has not been seen on
 * a real layer) runs in one step.
 * @returns null when the check cannot start at `start` (as {@link exactCoverAt})
 */
export function* coverSteps(
  ints: IntegerLayer,
  supports: number[][],
  n: number,
  start: CoverNode | null,
  budget?: Budget,
  onShare?: (share: number) => void,
): Steps<CoverResult | null> {
  const splitDepth = (start?.chosen.length ?? 0) + COVER_SPLIT_LEVELS;
  if (start && start.chosen.some((r) => !supports.some((sup) => sup.includes(r)))) return null;
  // A start node whose path does not raise the rank modulo the prime: try the next prime.
  const notStart = (e: unknown): boolean => e instanceof Error && /start node/.test(e.message);
  primes: for (let k = 0; k < PRIMES.length; k++) {
    const ops = coverOps(ints, supports, n, k);
    if (!ops) continue;
    let top: CoverResult | null;
    try {
      const scope = { ...(start ? { start } : {}), ...(splitDepth < n ? { splitDepth } : {}) };
      top = coverModulo(ints, supports, n, k, budget, undefined, scope, ops);
    } catch (e) {
      if (notStart(e)) continue;
      throw e;
    }
    if (!top) continue;
    if (top.uncovered || !top.frontier?.length) return top;
    let nodes = top.nodes;
    let hyperplaneCuts = top.hyperplaneCuts;
    const frontier = top.frontier;
    for (let i = 0; i < frontier.length; i++) {
      yield;
      const r = coverModulo(ints, supports, n, k, budget, undefined, { start: frontier[i] }, ops);
      if (!r) continue primes;
      nodes += r.nodes;
      hyperplaneCuts += r.hyperplaneCuts;
      if (r.uncovered) return { uncovered: r.uncovered, nodes, hyperplaneCuts };
      onShare?.((i + 1) / frontier.length);
    }
    return { uncovered: null, nodes, hyperplaneCuts };
  }
  yield;
  if (!start) return exactCover(ints, supports, n, budget);
  return exactCoverAt(ints, supports, n, { path: start.chosen, forbidden: start.forbidden }, budget);
}

/** What {@link findUncovered} found. */
export interface CoverResult {
  /** The chosen rows of an uncovered flat (original row indices), or null when every hyperplane is covered. */
  uncovered: number[] | null;
  /** Search nodes. */
  nodes: number;
  /** Flats of rank n − 2 whose hyperplanes were all ruled out by minors. */
  hyperplaneCuts: number;
  /** With `splitDepth`: the nodes left unsearched at that depth (their subtrees are the rest of the check). */
  frontier?: CoverNode[];
}

/**
 * A node of the cover check's search, as a task: the rows chosen on its path, in order, and the
 * rows forbidden there (original row indices). Its subtree is the set of flats that contain the
 * chosen rows' span and no forbidden row.
 */
export interface CoverNode {
  chosen: number[];
  forbidden: number[];
}

/** Where {@link findUncovered} starts and whether it splits (for a check spread over threads). */
export interface CoverSearchScope {
  /** Search only the subtree of this node. @default the root */
  start?: CoverNode;
  /** Leave the nodes of this many chosen rows unsearched and return them as `frontier`. */
  splitDepth?: number;
  /** Turns off the hyperplane test at rank n − 2 (a baseline; the verdict is the same). */
  minorTests?: boolean;
}

/**
 * The exact cover check modulo the `primeIndex`-th prime of {@link PRIMES}, or null when that prime
 * is unlucky for the layer (then try the next prime; {@link exactCover} does).
 */
export function coverModulo(
  ints: IntegerLayer,
  supports: number[][],
  n: number,
  primeIndex: number,
  budget?: Budget,
  onProgress?: (share: number) => void,
  scope: CoverSearchScope = {},
  ops: CoverOps | null = coverOps(ints, supports, n, primeIndex),
): CoverResult | null {
  if (!ops) return null;
  try {
    return findUncovered(supports, n, ops, budget, onProgress, scope);
  } catch (e) {
    if (!(e instanceof UnluckyPrime)) throw e;
    return null;
  }
}

/**
 * The span operations of the cover check for these supports modulo the `primeIndex`-th prime of
 * {@link PRIMES} (or null when that prime is unlucky for the layer). They can be reused by later
 * checks with the same supports, one at a time.
 */
export function coverOps(
  ints: IntegerLayer,
  supports: number[][],
  n: number,
  primeIndex: number,
): CoverOps | null {
  const lines = exactLines(ints.W);
  const subset = [...new Set(supports.flat())].sort((a, b) => a - b);
  try {
    return modularSpanOps(ints, n, PRIMES[primeIndex], lines, subset) as CoverOps;
  } catch (e) {
    if (!(e instanceof UnluckyPrime)) throw e;
    return null;
  }
}

/** Span operations of the cover check modulo a prime (opaque; see {@link coverOps}). */
export type CoverOps = SpanOps<unknown>;

/**
 * Looks for a flat of rank < n that meets the support of every dual (an uncovered hyperplane).
 *
 * Depth-first over flats: at a flat S (the span of the rows chosen so far) take the unmet dual with
 * the fewest allowed rows and branch on them in order, the j-th child adding row e_j after e_1 …
 * e_{j−1} have been forbidden. Every flat above S that meets the dual contains a first such row,
 * so the children partition the candidate flats, and a child whose span contains a forbidden row
 * was searched already. A branch ends when its rank reaches n − 1 with a dual unmet, or when an
 * unmet dual has only forbidden rows. At rank n − 2, when the span operations offer
 * `hyperplaneTest`, the hyperplanes S + e are decided in place: ruled out by a proof that some
 * unmet dual has no allowed row on S + e, or else built and checked exactly. No bound is used that
 * assumes general position, so the check is exact for every W when its span operations are.
 * @param budget checked every 256 nodes (throws a ResourceLimitError)
 * @returns the chosen rows of an uncovered flat, or null when every hyperplane is covered
 */
export function findUncovered<S>(
  supports: number[][],
  n: number,
  ops: SpanOps<S>,
  budget?: Budget,
  onProgress?: (share: number) => void,
  scope: CoverSearchScope = {},
): CoverResult {
  return new CoverSearch(supports, n, ops, budget, onProgress, scope).run(scope);
}

/** A frame of {@link CoverSearch}: a flat, the duals its parent left unmet, and its branch position. */
interface CoverFrame<S> {
  span: S;
  inside: Uint8Array;
  branch: number[];
  next: number;
  still: Int32Array;
  added: number[];
}

/**
 * The search of {@link findUncovered}, as a class so that its methods stay fast when it runs many
 * times in one thread (see {@link ModularSpans}).
 */
class CoverSearch<S> {
  private nodes = 0;
  private hyperplaneCuts = 0;
  private readonly minorTests: boolean;
  private readonly rows: number[];
  private readonly slot: Map<number, number>;
  private readonly sup: number[][];
  private readonly forbidden: Uint8Array;
  /** Per dual: how many of its rows are forbidden. */
  private readonly forbCount: Int32Array;
  /** Per row: the duals containing it. */
  private readonly incidence: number[][];
  private readonly metStamp: Int32Array;
  private stamp = 0;
  private readonly chosen: number[] = [];
  // An explicit stack (the depth is at most n, which the input controls).
  private readonly stack: CoverFrame<S>[] = [];
  /** The row that completes an uncovered hyperplane found by {@link hyperplanes} (−1: none). */
  private hyperplaneRow = -1;
  private readonly frontier: CoverNode[] | undefined;
  private readonly splitDepth: number;

  constructor(
    supports: number[][],
    private readonly n: number,
    private readonly ops: SpanOps<S>,
    private readonly budget: Budget | undefined,
    private readonly onProgress: ((share: number) => void) | undefined,
    scope: CoverSearchScope,
  ) {
    // Without the minor tests: a baseline for benchmarks and differential tests.
    this.minorTests = scope.minorTests !== false && ops.hyperplaneTest !== undefined;
    const rowSet = new Set<number>();
    for (const sup of supports) for (const r of sup) rowSet.add(r);
    const rows = [...rowSet].sort((a, b) => a - b);
    this.rows = rows;
    const slot = new Map(rows.map((r, t) => [r, t]));
    this.slot = slot;
    this.sup = supports.map((d) => d.map((r) => slot.get(r)!));
    this.forbidden = new Uint8Array(rows.length);
    this.forbCount = new Int32Array(this.sup.length);
    const incidence: number[][] = rows.map(() => []);
    this.sup.forEach((d, k) => d.forEach((t) => incidence[t].push(k)));
    this.incidence = incidence;
    this.metStamp = new Int32Array(this.sup.length);
    this.frontier = scope.splitDepth !== undefined ? [] : undefined;
    this.splitDepth = scope.splitDepth ?? Infinity;
  }

  private result(uncovered: number[] | null): CoverResult {
    const { nodes, hyperplaneCuts, frontier } = this;
    return { uncovered, nodes, hyperplaneCuts, ...(frontier ? { frontier } : {}) };
  }

  private memberOf(span: S): Uint8Array {
    const { rows, ops } = this;
    const inside = new Uint8Array(rows.length);
    for (let t = 0; t < rows.length; t++) inside[t] = ops.contains(span, rows[t]) ? 1 : 0;
    return inside;
  }

  private repeatsForbidden(inside: Uint8Array): boolean {
    const forbidden = this.forbidden;
    for (let u = 0; u < inside.length; u++) if (inside[u] === 1 && forbidden[u] === 1) return true;
    return false;
  }

  private setForbidden(t: number, value: 0 | 1): void {
    this.forbidden[t] = value;
    const forbCount = this.forbCount;
    for (const k of this.incidence[t]) forbCount[k] += value ? 1 : -1;
  }

  /** Stamps the duals met by the rows in `inside` but not in `before`; returns the stamp. */
  private markMet(inside: Uint8Array, before: Uint8Array): number {
    const s = ++this.stamp;
    const { metStamp, incidence } = this;
    for (let t = 0; t < inside.length; t++)
      if (inside[t] === 1 && before[t] === 0) for (const k of incidence[t]) metStamp[k] = s;
    return s;
  }

  /** Share of the search tree settled, from the branch positions on the path (children split evenly). */
  private treeShare(): number {
    let p = 0;
    let share = 1;
    for (const f of this.stack) {
      const k = f.branch.length;
      if (k === 0) break;
      p += share * (Math.max(0, f.next - 1) / k);
      share /= k;
    }
    return Math.min(1, p);
  }

  /** Opens a node: true when it meets every dual (uncovered), else pushes its frame or ends it. */
  private open(span: S, inside: Uint8Array, unmet: Int32Array, met: number): boolean {
    this.nodes++;
    if ((this.nodes & 255) === 0) {
      this.budget?.check("the certificate's cover check");
      if (this.onProgress) this.onProgress(this.treeShare());
    }
    const { metStamp, sup, forbCount, n } = this;
    const still: number[] = [];
    let best = -1;
    let bestAllowed = Infinity;
    for (let u = 0; u < unmet.length; u++) {
      const k = unmet[u];
      if (metStamp[k] === met) continue;
      still.push(k);
      const allowed = sup[k].length - forbCount[k];
      if (allowed < bestAllowed) {
        bestAllowed = allowed;
        best = k;
      }
    }
    if (best < 0) return true;
    const rank = this.ops.rank(span);
    if (bestAllowed === 0 || rank >= n - 1) return false;
    if (rank === n - 2 && this.minorTests) return this.hyperplanes(span, best, still);
    this.stack.push({ span, inside, branch: sup[best], next: 0, still: Int32Array.from(still), added: [] });
    return false;
  }

  /**
   * At a flat S of rank n − 2 the flats left are the hyperplanes S + e, decided here without
   * pushing children. One that avoids the forbidden rows and meets every unmet dual contains an
   * allowed row e of the dual `best`, and meets each unmet dual through an allowed row. For each
   * such e, a proof (a nonzero minor mod p) that some unmet dual has no allowed row on S + e rules
   * it out; otherwise S + e is built and checked exactly (its "in span" answers are confirmed). An
   * exactly uncovered hyperplane is returned through `hyperplaneRow` (true); false when none.
   */
  private hyperplanes(span: S, best: number, still: number[]): boolean {
    const { ops, sup, forbidden, rows, n } = this;
    const share = ops.hyperplaneTest!(span);
    let proved = true;
    for (const e of sup[best]) {
      if (forbidden[e]) continue;
      let maybe = true;
      for (let u = 0; u < still.length && maybe; u++) {
        const k = still[u];
        if (k === best) continue;
        let meets = false;
        for (const t of sup[k])
          if (!forbidden[t] && (t === e || share(rows[e], rows[t]))) {
            meets = true;
            break;
          }
        maybe = meets;
      }
      if (!maybe) continue;
      proved = false;
      this.nodes++;
      const h = ops.extend(span, rows[e]);
      if (ops.rank(h) !== n - 1) continue;
      let all = true;
      for (let u = 0; u < still.length && all; u++) all = sup[still[u]].some((t) => ops.contains(h, rows[t]));
      if (all) {
        this.hyperplaneRow = rows[e];
        return true;
      }
    }
    if (proved) this.hyperplaneCuts++;
    return false;
  }

  /** The rows of the uncovered flat just found by `open`. */
  private found(): number[] {
    return this.hyperplaneRow >= 0 ? [...this.chosen, this.hyperplaneRow] : this.chosen.slice();
  }

  run(scope: CoverSearchScope): CoverResult {
    const { ops, n, rows, slot, chosen, stack, forbidden, frontier, splitDepth } = this;
    let span = ops.empty();
    if (scope.start) {
      for (const r of scope.start.chosen) {
        const before = ops.rank(span);
        span = ops.extend(span, r);
        if (!slot.has(r) || ops.rank(span) !== before + 1)
          throw new Error(`findUncovered(): the start node's row ${r} is not a new row of a support`);
        chosen.push(r);
      }
      for (const r of scope.start.forbidden) {
        const t = slot.get(r);
        if (t !== undefined && !forbidden[t]) this.setForbidden(t, 1);
      }
    }
    if (splitDepth <= chosen.length)
      throw new Error("findUncovered(): splitDepth must be below the start node");
    const rootInside = this.memberOf(span);
    // A start node whose span holds a forbidden row has an empty subtree (an earlier sibling's).
    if (this.repeatsForbidden(rootInside)) return this.result(null);
    const rootMet = this.markMet(rootInside, new Uint8Array(rows.length));
    if (this.open(span, rootInside, Int32Array.from(this.sup.map((_, k) => k)), rootMet))
      return this.result(this.found());
    while (stack.length > 0) {
      const f = stack[stack.length - 1];
      if (f.next >= f.branch.length) {
        for (const t of f.added) this.setForbidden(t, 0);
        stack.pop();
        if (stack.length > 0) chosen.pop();
        continue;
      }
      const t = f.branch[f.next++];
      if (f.next > 1) {
        const prev = f.branch[f.next - 2];
        if (!forbidden[prev]) {
          this.setForbidden(prev, 1);
          f.added.push(prev);
        }
      }
      if (forbidden[t]) continue;
      const rank = ops.rank(f.span);
      const next = ops.extend(f.span, rows[t]);
      const r = ops.rank(next);
      // (A row already in the span would not raise the rank; it cannot be unmet, but guard anyway.)
      if (!(r > rank && r < n)) continue;
      const childInside = this.memberOf(next);
      if (this.repeatsForbidden(childInside)) continue;
      const childMet = this.markMet(childInside, f.inside);
      if (r === n - 1) {
        // A hyperplane: uncovered iff it meets every dual still unmet.
        this.nodes++;
        let all = true;
        for (let u = 0; u < f.still.length && all; u++) all = this.metStamp[f.still[u]] === childMet;
        if (all) return this.result([...chosen, rows[t]]);
        continue;
      }
      chosen.push(rows[t]);
      if (frontier && chosen.length === splitDepth) {
        frontier.push({ chosen: chosen.slice(), forbidden: rows.filter((_, u) => forbidden[u] === 1) });
        chosen.pop();
        continue;
      }
      const depthBefore = stack.length;
      if (this.open(next, childInside, f.still, childMet)) return this.result(this.found());
      if (stack.length === depthBefore) chosen.pop();
    }
    return this.result(null);
  }
}
