/**
 * Independent brute-force reference for injectivity of F(x) = ReLU(Wx + b), used ONLY by tests.
 *
 * It enumerates the open cells of the affine arrangement { x : <w_i, x> + b_i = 0 } (restricted to the
 * open orthant for domain "nonnegative") by a depth-first search over the rows: a prefix of signs is
 * extended only while the strict system s_i (<w_i, x> + b_i) > 0 stays feasible (checked with HiGHS).
 * F is injective on D iff in every such cell the rows with positive sign span R^n (Theorem 1 with bias; docs/verifier.md, The criterion).
 * It deliberately shares no code with src/: only the math is common.
 */
import highsModule from "highs";
import type { Highs } from "highs";
import { Matrix, SingularValueDecomposition } from "ml-matrix";

export interface BruteForceResult {
  injective: boolean;
  cellsVisited: number;
  /** when not injective: a point strictly inside a bad cell, its sign vector (+1/-1 for nonzero rows, 0 for zero rows) and the rank of its positive rows */
  badCell?: { point: number[]; signs: number[]; positiveRank: number };
}

export interface BruteForceOptions {
  /**
   * Skip a whole subtree of the search once the positive rows of the prefix already span R^n (every
   * cell below has a superset of positive rows, so it is good). Sound; it only saves LPs.
   * @default true
   */
  pruneSpanning?: boolean;
}

// The package's types describe a CommonJS module, while Node/Vitest load its ESM build whose default
// export is the loader itself; accept both shapes.
type HighsLoader = () => Promise<Highs>;
const highsLoader: HighsLoader =
  typeof highsModule === "function"
    ? (highsModule as unknown as HighsLoader)
    : (highsModule as unknown as { default: HighsLoader }).default;
let highsPromise: Promise<Highs> | undefined;

/** The HiGHS instance, loaded once per module. */
function getHighs(): Promise<Highs> {
  highsPromise ??= highsLoader();
  return highsPromise;
}

/** An LP with t > FEASIBLE_T has a strictly feasible point with margin about t (rows scaled to unit norm). */
const FEASIBLE_T = 1e-7;
/** A point's margin that counts as strictly on one side without an LP. */
const POINT_MARGIN = 1e-9;
/** Relative threshold on singular values for the rank. */
const RANK_RTOL = 1e-9;

function fmt(v: number): string {
  return v.toPrecision(17);
}

/** Linear expression in CPLEX LP syntax; skips zero coefficients, handles signs. */
function linearExpr(coefs: number[], names: string[]): string {
  let s = "";
  for (let j = 0; j < coefs.length; j++) {
    const c = coefs[j];
    if (c === 0) continue;
    const sign = c < 0 ? "-" : "+";
    s += s === "" ? (c < 0 ? "- " : "") : ` ${sign} `;
    s += `${fmt(Math.abs(c))} ${names[j]}`;
  }
  return s;
}

/** Numerical rank of a set of rows (each scaled to unit norm), relative threshold on singular values. */
export function numericalRank(rows: number[][]): number {
  const nonzero = rows.filter((r) => r.some((v) => v !== 0));
  if (nonzero.length === 0) return 0;
  const scaled = nonzero.map((r) => {
    const norm = Math.hypot(...r);
    return r.map((v) => v / norm);
  });
  const svd = new SingularValueDecomposition(new Matrix(scaled), { autoTranspose: true });
  const sv = svd.diagonal;
  const top = Math.max(...sv);
  return sv.filter((s) => s > RANK_RTOL * top).length;
}

interface Hyper {
  /** index in W */
  row: number;
  /** unit-norm normal and scaled bias */
  w: number[];
  b: number;
}

/**
 * Decides injectivity of ReLU(W · + b) on R^n ("all") or on the nonnegative orthant by enumerating
 * the open cells of the arrangement that meet the interior of the domain.
 */
export async function bruteForceInjective(
  W: number[][],
  b: number[] | undefined,
  domain: "all" | "nonnegative",
  options: BruteForceOptions = {},
): Promise<BruteForceResult> {
  const pruneSpanning = options.pruneSpanning ?? true;
  const highs = await getHighs();
  const m = W.length;
  if (m === 0) throw new Error("bruteForceInjective: W has no rows");
  const n = W[0].length;
  if (n === 0 || W.some((r) => r.length !== n))
    throw new Error("bruteForceInjective: W is not an m×n matrix");
  const bias = b ?? new Array<number>(m).fill(0);
  if (bias.length !== m) throw new Error("bruteForceInjective: b has the wrong length");

  const hypers: Hyper[] = [];
  for (let i = 0; i < m; i++) {
    const norm = Math.hypot(...W[i]);
    if (norm === 0) continue; // a zero row is not a hyperplane and never helps to span
    hypers.push({ row: i, w: W[i].map((v) => v / norm), b: bias[i] / norm });
  }

  const names = Array.from({ length: n }, (_, j) => `x${j}`);
  const margin = (h: Hyper, x: number[]): number => h.w.reduce((s, v, j) => s + v * x[j], h.b);

  /** Maximizes t s.t. s_k(<w_k,x> + b_k) >= t for the prefix, x_j >= t on the orthant, t <= 1. */
  const solveStrict = (prefix: number[]): number[] | null => {
    const lines: string[] = ["Maximize", " obj: t", "Subject To"];
    prefix.forEach((s, k) => {
      const h = hypers[k];
      lines.push(
        ` c${k}: ${linearExpr(
          h.w.map((v) => s * v),
          names,
        )} - t >= ${fmt(-s * h.b)}`,
      );
    });
    if (domain === "nonnegative") for (let j = 0; j < n; j++) lines.push(` p${j}: ${names[j]} - t >= 0`);
    lines.push("Bounds", " -inf <= t <= 1");
    for (const name of names) lines.push(` ${name} free`);
    lines.push("End");
    const sol = highs.solve(lines.join("\n"), { primal_feasibility_tolerance: 1e-10 });
    if (sol.Status !== "Optimal") throw new Error(`bruteForceInjective: HiGHS status ${sol.Status}`);
    const t = sol.Columns.t?.Primal ?? 0;
    if (!(t > FEASIBLE_T)) return null;
    const x = names.map((name) => sol.Columns[name]?.Primal ?? 0);
    // The LP point must really be strictly inside; otherwise the answer is numerically unreliable.
    prefix.forEach((s, k) => {
      if (!(s * margin(hypers[k], x) > 0))
        throw new Error(`bruteForceInjective: LP point not strictly feasible (t = ${t})`);
    });
    if (domain === "nonnegative" && x.some((v) => !(v > 0)))
      throw new Error(`bruteForceInjective: LP point not in the open orthant (t = ${t})`);
    return x;
  };

  const positiveRows = (prefix: number[]): number[][] =>
    prefix.flatMap((s, k) => (s > 0 ? [hypers[k].w] : []));

  let cellsVisited = 0;
  let bad: BruteForceResult["badCell"];

  const dfs = (prefix: number[], point: number[]): boolean => {
    if (pruneSpanning && numericalRank(positiveRows(prefix)) === n) {
      cellsVisited++; // a whole (good) subtree, counted once
      return true;
    }
    const k = prefix.length;
    if (k === hypers.length) {
      cellsVisited++;
      const rank = numericalRank(positiveRows(prefix));
      if (rank === n) return true;
      const signs = new Array<number>(m).fill(0);
      prefix.forEach((s, j) => (signs[hypers[j].row] = s));
      bad = { point, signs, positiveRank: rank };
      return false;
    }
    const v = margin(hypers[k], point);
    for (const s of [1, -1]) {
      const next = [...prefix, s];
      const p = s * v > POINT_MARGIN ? point : solveStrict(next);
      if (p && !dfs(next, p)) return false;
    }
    return true;
  };

  const start = domain === "nonnegative" ? new Array<number>(n).fill(1) : new Array<number>(n).fill(0);
  const injective = dfs([], start);
  return injective ? { injective, cellsVisited } : { injective, cellsVisited, badCell: bad };
}
