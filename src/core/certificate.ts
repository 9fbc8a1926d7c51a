/**
 * Certificates of injectivity and their independent checker.
 *
 * A certificate is a list of Motzkin duals (notes §1): weights y >= 0 on a set of rows with
 * Σ y_i w_i = 0 (domain all) or >= 0 (nonnegative orthant) and Σ y_i b_i >= 0. Each dual proves
 * that its rows cannot all be strictly negative at a point of D. F is injective iff for every
 * v != 0 some x in D makes all rows off v^⊥ strictly negative is impossible, so the certificate
 * holds when every hyperplane through 0 misses the whole support of at least one dual.
 *
 * {@link verifyCertificate} checks both parts without the search that produced them: each dual's
 * algebra, then the cover by a depth-first search over flats (spans of rows) that tries to meet
 * every dual's support while keeping the rank below n ({@link findUncovered}). Finding such a flat
 * means an uncovered hyperplane; exhausting them proves the cover. For integral layers both parts
 * are done in exact rational arithmetic.
 */

import type { Certificate, Domain } from "./types.js";
import { validateLayer } from "./validate.js";
import { ExactSpan, Fraction, integralRows, solveExact } from "./exact.js";

/** Result of {@link verifyCertificate}. */
export interface CertificateCheck {
  valid: boolean;
  /** True when every step was done in exact rational arithmetic. */
  exact: boolean;
  reason: string;
  /** Search nodes of the cover check. */
  coverNodes: number;
  /** True when the check stopped at its deadline (then `valid` is false: not proved either way). */
  timedOut?: boolean;
}

/** Options of {@link verifyCertificate}. */
export interface VerifyCertificateOptions {
  /** Relative tolerance of the floating-point checks. @default 1e-9 */
  tolerance?: number;
  /** `auto`: exact when W and b are integral (after scaling rows by powers of two). @default "auto" */
  exact?: "auto" | "never";
  /** `performance.now()` after which the cover check gives up (the result is then invalid, `timedOut`). */
  deadline?: number;
}

/** How far stated float weights may be from the exact weights they round (weights sum to 1). */
const WEIGHT_AGREEMENT = 1e-6;

/** Thrown by {@link findUncovered} when its deadline passes. */
export class CoverTimeout extends Error {
  constructor() {
    super("the cover check ran out of time");
  }
}

interface SpanOps<S> {
  empty(): S;
  contains(s: S, row: number): boolean;
  /** A copy of s with row added. */
  extend(s: S, row: number): S;
  rank(s: S): number;
}

/**
 * Re-verifies a certificate of injectivity for `x ↦ ReLU(W x + b)` on `certificate.domain`.
 * @param W shape (m, n), rows are output units
 * @param b length m, or null/undefined
 */
export function verifyCertificate(
  W: number[][],
  b: number[] | null | undefined,
  certificate: Certificate,
  options: VerifyCertificateOptions = {},
): CertificateCheck {
  const fn = "verifyCertificate()";
  const { W: Wv, b: bv } = validateLayer(fn, W, b);
  const m = Wv.length;
  const n = Wv[0].length;
  const tol = options.tolerance ?? 1e-9;
  const fail = (reason: string, exact = false): CertificateCheck => ({
    valid: false,
    exact,
    reason,
    coverNodes: 0,
  });
  if (!certificate || certificate.kind !== "dual-cover" || !Array.isArray(certificate.duals)) {
    return fail("not a dual-cover certificate");
  }
  if (certificate.m !== m || certificate.n !== n) {
    return fail(`made for a ${certificate.m}×${certificate.n} matrix, W is ${m}×${n}`);
  }
  const domain: Domain = certificate.domain;
  if (domain !== "all" && domain !== "nonnegative") return fail(`unknown domain ${String(domain)}`);
  for (const [k, d] of certificate.duals.entries()) {
    const ok =
      Array.isArray(d.rows) &&
      Array.isArray(d.weights) &&
      d.rows.length === d.weights.length &&
      d.rows.length > 0 &&
      new Set(d.rows).size === d.rows.length &&
      d.rows.every((i) => Number.isInteger(i) && i >= 0 && i < m) &&
      d.weights.every((w) => Number.isFinite(w) && w >= 0) &&
      d.weights.some((w) => w > 0);
    if (!ok)
      return fail(`dual ${k} is malformed (rows must be distinct indices < m, weights >= 0, not all 0)`);
  }
  const ints = options.exact === "never" ? null : integralRows(Wv, bv);

  // 1. The algebra of each dual.
  for (const [k, d] of certificate.duals.entries()) {
    const problem = ints
      ? checkDualExact(ints.W, ints.b, d, domain, Wv, tol)
      : checkDualFloat(Wv, bv, d, domain, tol);
    if (problem) return fail(`dual ${k} does not hold: ${problem}`, ints !== null);
  }

  // 2. The cover.
  const supports = certificate.duals.map((d) => d.rows);
  let result: { uncovered: number[] | null; nodes: number };
  try {
    result = ints
      ? findUncovered(supports, n, exactSpanOps(ints.W, n), options.deadline)
      : findUncovered(supports, n, floatSpanOps(Wv, n, tol), options.deadline);
  } catch (e) {
    if (e instanceof CoverTimeout)
      return { ...fail("the cover check ran out of time", ints !== null), timedOut: true };
    throw e;
  }
  if (result.uncovered) {
    return {
      valid: false,
      exact: ints !== null,
      coverNodes: result.nodes,
      reason: `the hyperplane through rows [${result.uncovered.join(", ")}] meets the support of every dual`,
    };
  }
  return {
    valid: true,
    exact: ints !== null,
    coverNodes: result.nodes,
    reason: `${certificate.duals.length} duals verified${ints ? " exactly" : ` to tolerance ${tol}`}; every hyperplane misses one of them (${result.nodes} cover nodes)`,
  };
}

function checkDualFloat(
  W: number[][],
  b: number[],
  d: { rows: number[]; weights: number[] },
  domain: Domain,
  tol: number,
): string | null {
  const n = W[0].length;
  // Weights on unit rows, summing to 1.
  let total = 0;
  const norms = d.rows.map((i) => Math.hypot(...W[i]));
  d.rows.forEach((_, t) => (total += d.weights[t] * norms[t]));
  if (!(total > 0)) return "its rows are zero";
  const c = new Array<number>(n).fill(0);
  let bias = 0;
  d.rows.forEach((i, t) => {
    // Weight on the unit row ŵ_i = w_i/‖w_i‖ (computed in this order so that tiny rows do not overflow).
    const y = (d.weights[t] * norms[t]) / total;
    if (norms[t] === 0) return;
    for (let j = 0; j < n; j++) c[j] += y * (W[i][j] / norms[t]);
    bias += y * (b[i] / norms[t]);
  });
  for (let j = 0; j < n; j++) {
    if (domain === "all" && Math.abs(c[j]) > tol)
      return `Σ y_i w_i has entry ${c[j].toExponential(2)} at column ${j}, not 0`;
    if (domain === "nonnegative" && c[j] < -tol)
      return `Σ y_i w_i has entry ${c[j].toExponential(2)} at column ${j}, negative`;
  }
  if (bias < -tol) return `Σ y_i b_i = ${bias.toExponential(2)} is negative`;
  return null;
}

/**
 * Exact check of one dual on integral rows: recompute exact weights on the dual's support from its
 * equations (Σ y = 1, Σ y_i w_ij = 0 on the columns where the float combination vanishes), with the
 * float weights only as values for free variables, then check every sign exactly.
 */
function checkDualExact(
  Wint: bigint[][],
  bint: bigint[],
  d: { rows: number[]; weights: number[] },
  domain: Domain,
  W: number[][],
  tol: number,
): string | null {
  const n = Wint[0].length;
  const rows = d.rows;
  // Float weights in the units of the integer rows (each row scaled by a power of two s_i = Wint/W).
  const scale = rows.map((i) => {
    const j = W[i].findIndex((v) => v !== 0);
    return j < 0 ? 1 : Number(Wint[i][j]) / W[i][j];
  });
  const hintRaw = rows.map((_, t) => d.weights[t] / scale[t]);
  const hs = hintRaw.reduce((a, v) => a + v, 0) || 1;
  const hint = hintRaw.map((v) => v / hs);
  // Columns where the float combination cancels (|Σ y w_j| tiny against Σ y |w_j|) must vanish
  // exactly; on the orthant the other columns only need to stay >= 0.
  const all = [...Array(n).keys()];
  const cancels = all.filter((j) => {
    let comb = 0;
    let mass = 0;
    rows.forEach((i, t) => {
      const v = hint[t] * Number(Wint[i][j]);
      comb += v;
      mass += Math.abs(v);
    });
    return Math.abs(comb) <= 1e3 * tol * mass;
  });
  const candidates: number[][] = domain === "all" ? [all] : [cancels, all, []];
  let last = "no exact solution";
  for (const J of candidates) {
    const M: Fraction[][] = J.map((j) => rows.map((i) => new Fraction(Wint[i][j])));
    M.push(rows.map(() => Fraction.ONE));
    const e = [...J.map(() => Fraction.ZERO), Fraction.ONE];
    const y = solveExact(M, e, hint);
    if (!y) {
      last = "its equations Σ y_i w_i = 0, Σ y_i = 1 have no exact solution on its rows";
      continue;
    }
    if (y.some((v) => v.sign() < 0)) {
      last = "the exact weights solving its equations are not all nonnegative";
      continue;
    }
    let okCols = true;
    for (let j = 0; j < n && okCols; j++) {
      let s = Fraction.ZERO;
      rows.forEach((i, t) => (s = s.add(y[t].mul(new Fraction(Wint[i][j])))));
      okCols = domain === "all" ? s.isZero() : s.sign() >= 0;
    }
    if (!okCols) {
      last = "Σ y_i w_i violates its sign condition exactly";
      continue;
    }
    let bias = Fraction.ZERO;
    rows.forEach((i, t) => (bias = bias.add(y[t].mul(new Fraction(bint[i])))));
    if (bias.sign() < 0) {
      last = `Σ y_i b_i = ${bias.toString()} < 0 exactly`;
      continue;
    }
    // The exact weights must be the ones the certificate states (up to rounding of the floats).
    const gap = Math.max(...y.map((v, t) => Math.abs(v.toNumber() - hint[t])));
    if (!(gap <= WEIGHT_AGREEMENT)) {
      last = `the stated weights differ from the exact solution on their rows by ${gap.toExponential(2)}`;
      continue;
    }
    return null;
  }
  return last;
}

/**
 * Float spans with the residual of every row kept up to date (one projection per added basis
 * vector), so that membership is a lookup. States live in one buffer per rank: the depth-first
 * cover check only ever needs the states on its current path.
 */
function floatSpanOps(
  W: number[][],
  n: number,
  tol: number,
): SpanOps<{ k: number; R: Float64Array; inside: Uint8Array }> {
  const m = W.length;
  const unit = new Float64Array(m * n);
  W.forEach((r, i) => {
    const s = Math.hypot(...r);
    for (let j = 0; j < n; j++) unit[i * n + j] = s > 0 ? r[j] / s : 0;
  });
  const levels = Array.from({ length: n + 1 }, () => ({
    R: new Float64Array(m * n),
    inside: new Uint8Array(m),
  }));
  const q = new Float64Array(n);
  return {
    empty: () => {
      const L = levels[0];
      L.R.set(unit);
      // Zero rows lie in every span.
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += unit[i * n + j] ** 2;
        L.inside[i] = s <= tol * tol ? 1 : 0;
      }
      return { k: 0, R: L.R, inside: L.inside };
    },
    contains: (s, row) => s.inside[row] === 1,
    extend: (s, row) => {
      const L = levels[Math.min(n, s.k + 1)];
      let norm = 0;
      for (let j = 0; j < n; j++) norm += s.R[row * n + j] ** 2;
      norm = Math.sqrt(norm);
      if (!(norm > tol)) return s;
      for (let j = 0; j < n; j++) q[j] = s.R[row * n + j] / norm;
      for (let i = 0; i < m; i++) {
        const o = i * n;
        let dot = 0;
        for (let j = 0; j < n; j++) dot += q[j] * s.R[o + j];
        let ss = 0;
        for (let j = 0; j < n; j++) {
          const v = s.R[o + j] - dot * q[j];
          L.R[o + j] = v;
          ss += v * v;
        }
        L.inside[i] = ss <= tol * tol ? 1 : 0;
      }
      return { k: s.k + 1, R: L.R, inside: L.inside };
    },
    rank: (s) => s.k,
  };
}

function exactSpanOps(Wint: bigint[][], _n: number): SpanOps<ExactSpan> {
  return {
    empty: () => new ExactSpan(_n),
    contains: (s, row) => s.contains(Wint[row]),
    extend: (s, row) => {
      const c = s.clone();
      c.add(Wint[row]);
      return c;
    },
    rank: (s) => s.rank,
  };
}

/**
 * Looks for a flat of rank < n that meets the support of every dual (an uncovered hyperplane).
 *
 * Depth-first over flats: at a flat S (the span of the rows chosen so far) take the unmet dual with
 * the fewest allowed rows and branch on them in order, the j-th child adding row e_j after e_1 …
 * e_{j−1} have been forbidden. Every flat above S that meets the dual contains a first such row,
 * so the children partition the candidate flats, and a child whose span contains a forbidden row
 * was searched already. A branch ends when its rank reaches n − 1 with a dual unmet, or when an
 * unmet dual has only forbidden rows. No bound is used that assumes general position, so the check
 * is exact for every W (with exact span operations, in rational arithmetic).
 * @returns the chosen rows of an uncovered hyperplane, or null when every hyperplane is covered
 */
export function findUncovered<S>(
  supports: number[][],
  n: number,
  ops: SpanOps<S>,
  deadline?: number,
): { uncovered: number[] | null; nodes: number } {
  let nodes = 0;
  const rowSet = new Set<number>();
  for (const sup of supports) for (const r of sup) rowSet.add(r);
  const rows = [...rowSet].sort((a, b) => a - b);
  const slot = new Map(rows.map((r, t) => [r, t]));
  const sup = supports.map((d) => d.map((r) => slot.get(r)!));
  const forbidden = new Uint8Array(rows.length);
  // Per dual: how many of its rows are forbidden; per row: the duals containing it.
  const forbCount = new Int32Array(sup.length);
  const incidence: number[][] = rows.map(() => []);
  sup.forEach((d, k) => d.forEach((t) => incidence[t].push(k)));
  const metStamp = new Int32Array(sup.length);
  let stamp = 0;
  const chosen: number[] = [];
  const memberOf = (span: S): Uint8Array => {
    const inside = new Uint8Array(rows.length);
    for (let t = 0; t < rows.length; t++) inside[t] = ops.contains(span, rows[t]) ? 1 : 0;
    return inside;
  };
  const repeatsForbidden = (inside: Uint8Array): boolean => {
    for (let u = 0; u < rows.length; u++) if (inside[u] === 1 && forbidden[u] === 1) return true;
    return false;
  };
  const setForbidden = (t: number, value: 0 | 1): void => {
    forbidden[t] = value;
    for (const k of incidence[t]) forbCount[k] += value ? 1 : -1;
  };
  /** Stamps the duals met by the rows in `inside` but not in `before`; returns the stamp. */
  const markMet = (inside: Uint8Array, before: Uint8Array): number => {
    const s = ++stamp;
    for (let t = 0; t < rows.length; t++)
      if (inside[t] === 1 && before[t] === 0) for (const k of incidence[t]) metStamp[k] = s;
    return s;
  };
  // `unmet`: the duals the parent's flat does not meet, `met`: the stamp of those the step from the
  // parent to this flat meets (the other unmet duals have no row in this flat).
  const dfs = (span: S, inside: Uint8Array, unmet: Int32Array, met: number): boolean => {
    nodes++;
    if (deadline !== undefined && (nodes & 255) === 0 && performance.now() > deadline)
      throw new CoverTimeout();
    const still: number[] = [];
    let best = -1;
    let bestAllowed = Infinity;
    for (const k of unmet) {
      if (metStamp[k] === met) continue;
      still.push(k);
      const allowed = sup[k].length - forbCount[k];
      if (allowed < bestAllowed) {
        bestAllowed = allowed;
        best = k;
      }
    }
    if (best < 0) return true;
    const rank = ops.rank(span);
    if (bestAllowed === 0 || rank >= n - 1) return false;
    const stillArr = Int32Array.from(still);
    const added: number[] = [];
    let found = false;
    for (const t of sup[best]) {
      if (forbidden[t]) continue;
      const next = ops.extend(span, rows[t]);
      const r = ops.rank(next);
      // (A row already in the span would not raise the rank; it cannot be unmet, but guard anyway.)
      if (r > rank && r < n) {
        const childInside = memberOf(next);
        if (!repeatsForbidden(childInside)) {
          chosen.push(rows[t]);
          const childMet = markMet(childInside, inside);
          if (r === n - 1) {
            // A hyperplane: uncovered iff it meets every dual still unmet (stop at the first miss).
            nodes++;
            found = true;
            for (let u = 0; u < stillArr.length && found; u++) found = metStamp[stillArr[u]] === childMet;
          } else found = dfs(next, childInside, stillArr, childMet);
          if (found) break;
          chosen.pop();
        }
      }
      setForbidden(t, 1);
      added.push(t);
    }
    for (const t of added) setForbidden(t, 0);
    return found;
  };
  const empty = ops.empty();
  const rootInside = memberOf(empty);
  const rootMet = markMet(rootInside, new Uint8Array(rows.length));
  const found = dfs(empty, rootInside, Int32Array.from(sup.map((_, k) => k)), rootMet);
  return { uncovered: found ? chosen.slice() : null, nodes };
}
