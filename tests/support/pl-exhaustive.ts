/**
 * Exhaustive injectivity check of a small ReLU network on a box, used ONLY by tests (n = 1, 2).
 *
 * 1. Enumerate the linear regions of N on [lo, hi]ⁿ: start from the box and split every region by
 *    the zero set of each ReLU unit, layer by layer, keeping only pieces with nonempty interior
 *    (Chebyshev-ball LPs with HiGHS). On each final region R_i, N(x) = C_i x + e_i.
 * 2. N is injective on the box iff (a) every C_i has rank n (else x ± δv collide inside R_i), and
 *    (b) for every pair i < j the polytope S_ij = {(x, y) ∈ R_i × R_j : C_i x + e_i = C_j y + e_j}
 *    holds only points with x = y. As S_ij is convex, (b) fails iff max g·(x − y) > 0 or
 *    min g·(x − y) < 0 over S_ij for a random g (almost surely).
 * Exact up to the LP tolerances. It shares no code with src/ except the Network type.
 */
import highsModule from "highs";
import type { Highs } from "highs";
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { layerMatrix, type Network } from "../../src/model/network.js";

type HighsLoader = () => Promise<Highs>;
const highsLoader: HighsLoader =
  typeof highsModule === "function"
    ? (highsModule as unknown as HighsLoader)
    : (highsModule as unknown as { default: HighsLoader }).default;
let highsPromise: Promise<Highs> | undefined;

function fmt(v: number): string {
  return v.toPrecision(17);
}

function linear(coefs: number[], names: string[]): string {
  let s = "";
  coefs.forEach((c, j) => {
    if (c === 0) return;
    s += s === "" ? (c < 0 ? "- " : "") : c < 0 ? " - " : " + ";
    s += `${fmt(Math.abs(c))} ${names[j]}`;
  });
  return s === "" ? `0 ${names[0]}` : s;
}

interface Region {
  /** constraints a·x <= c */
  A: number[][];
  c: number[];
  point: number[];
  radius: number;
  /** current affine map h = C x + e */
  C: number[][];
  e: number[];
}

export interface ExhaustiveResult {
  injective: boolean;
  regions: number;
  lps: number;
  witness?: { x1: number[]; x2: number[] };
}

/**
 * Decides injectivity of `net` on [lo, hi]ⁿ by region enumeration (see the module comment).
 * Intended for tiny networks (n ≤ 2, a few dozen units).
 */
export async function exhaustiveInjectivity(
  net: Network,
  lo: number,
  hi: number,
  seed = 1,
): Promise<ExhaustiveResult> {
  highsPromise ??= highsLoader();
  const highs = await highsPromise;
  const n = net.inputDim;
  const xs = Array.from({ length: n }, (_, j) => `x${j}`);
  let lps = 0;

  const solve = (lp: string): { status: string; cols: Record<string, number>; value: number } => {
    lps++;
    const sol = highs.solve(lp, { primal_feasibility_tolerance: 1e-10, dual_feasibility_tolerance: 1e-10 });
    const cols: Record<string, number> = {};
    for (const [k, v] of Object.entries(sol.Columns)) cols[k] = (v as { Primal: number }).Primal;
    return { status: sol.Status, cols, value: sol.ObjectiveValue };
  };

  /** Largest ball radius (≤ 1) inside {A x <= c}, and its center; null when the interior is empty. */
  const chebyshev = (A: number[][], c: number[]): { point: number[]; radius: number } | null => {
    const lines = ["Maximize", " obj: t", "Subject To"];
    A.forEach((a, k) => {
      const norm = Math.hypot(...a);
      lines.push(` c${k}: ${linear(a, xs)} + ${fmt(norm)} t <= ${fmt(c[k])}`);
    });
    lines.push("Bounds", " -inf <= t <= 1", ...xs.map((x) => ` ${x} free`), "End");
    const sol = solve(lines.join("\n"));
    if (sol.status !== "Optimal") return null;
    const t = sol.cols.t ?? 0;
    if (!(t > 1e-9 * (hi - lo))) return null;
    return { point: xs.map((x) => sol.cols[x] ?? 0), radius: t };
  };

  const box: number[][] = [];
  const boxC: number[] = [];
  for (let j = 0; j < n; j++) {
    box.push(Array.from({ length: n }, (_, k) => (k === j ? 1 : 0)));
    boxC.push(hi);
    box.push(Array.from({ length: n }, (_, k) => (k === j ? -1 : 0)));
    boxC.push(-lo);
  }
  let regions: Region[] = [
    {
      A: box,
      c: boxC,
      point: new Array<number>(n).fill((lo + hi) / 2),
      radius: (hi - lo) / 2,
      C: Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))),
      e: new Array<number>(n).fill(0),
    },
  ];

  for (const layer of net.layers) {
    const W = layerMatrix(layer);
    const b = layer.b ?? new Array<number>(W.length).fill(0);
    const next: Region[] = [];
    for (const region of regions) {
      const Z = W.map((row) =>
        Array.from({ length: n }, (_, j) => row.reduce((s, w, k) => s + w * region.C[k][j], 0)),
      );
      const z0 = W.map((row, i) => row.reduce((s, w, k) => s + w * region.e[k], b[i]));
      if (layer.activation === "linear") {
        next.push({ ...region, C: Z, e: z0 });
        continue;
      }
      // Split by each unit; pieces carry their sign pattern.
      let pieces: { r: Region; signs: boolean[] }[] = [{ r: region, signs: [] }];
      for (let i = 0; i < W.length; i++) {
        const zi = Z[i];
        const split: typeof pieces = [];
        for (const piece of pieces) {
          const { r } = piece;
          if (zi.every((v) => v === 0)) {
            split.push({ r, signs: [...piece.signs, z0[i] > 0] });
            continue;
          }
          for (const positive of [true, false]) {
            // positive: z >= 0  ⇔  −zi·x <= z0; negative: zi·x <= −z0
            const a = positive ? zi.map((v) => -v) : zi;
            const rhs = positive ? z0[i] : -z0[i];
            const A = [...r.A, a];
            const c = [...r.c, rhs];
            const val = zi.reduce((s, v, j) => s + v * r.point[j], z0[i]);
            const margin = (positive ? val : -val) / Math.hypot(...zi);
            // The center is strictly on this side: the piece has interior (a ball of radius min(r, margin)).
            const inner =
              margin > 1e-12 * (hi - lo)
                ? { point: r.point, radius: Math.min(r.radius, margin) }
                : chebyshev(A, c);
            if (inner)
              split.push({
                r: { ...r, A, c, point: inner.point, radius: inner.radius },
                signs: [...piece.signs, positive],
              });
          }
        }
        pieces = split;
      }
      for (const { r, signs } of pieces) {
        next.push({
          ...r,
          C: Z.map((row, i) => (signs[i] ? row : row.map(() => 0))),
          e: z0.map((v, i) => (signs[i] ? v : 0)),
        });
      }
    }
    regions = next;
  }

  const forward = (x: number[]): number[] => {
    let h = x;
    for (const layer of net.layers) {
      h = layerMatrix(layer).map((row, i) => {
        const s = row.reduce((acc, w, k) => acc + w * h[k], layer.b ? layer.b[i] : 0);
        return layer.activation === "relu" ? Math.max(0, s) : s;
      });
    }
    return h;
  };

  // (a) rank of each region's map.
  for (const r of regions) {
    const svd = new SingularValueDecomposition(new Matrix(r.C), { autoTranspose: true });
    const s = svd.diagonal;
    const top = Math.max(...s, 0);
    if (s.filter((v) => v > 1e-10 * Math.max(top, 1)).length < n) {
      const rows =
        r.C.length >= n
          ? r.C
          : [...r.C, ...Array.from({ length: n - r.C.length }, () => new Array<number>(n).fill(0))];
      const V = new SingularValueDecomposition(new Matrix(rows)).rightSingularVectors;
      const k = n - 1;
      const v = Array.from({ length: n }, (_, j) => V.get(j, k));
      const d = r.radius / 2;
      return {
        injective: false,
        regions: regions.length,
        lps,
        witness: { x1: r.point.map((x, j) => x - d * v[j]), x2: r.point.map((x, j) => x + d * v[j]) },
      };
    }
  }

  // (b) pairs of regions.
  let state = seed >>> 0 || 1;
  const rand = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const g = Array.from({ length: n }, rand);
  const ys = Array.from({ length: n }, (_, j) => `y${j}`);
  const tol = 1e-7 * (hi - lo);
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const Ri = regions[i];
      const Rj = regions[j];
      const base: string[] = ["Subject To"];
      Ri.A.forEach((a, k) => base.push(` a${k}: ${linear(a, xs)} <= ${fmt(Ri.c[k])}`));
      Rj.A.forEach((a, k) => base.push(` b${k}: ${linear(a, ys)} <= ${fmt(Rj.c[k])}`));
      Ri.C.forEach((row, k) =>
        base.push(
          ` e${k}: ${linear([...row, ...Rj.C[k].map((v) => -v)], [...xs, ...ys])} = ${fmt(Rj.e[k] - Ri.e[k])}`,
        ),
      );
      base.push("Bounds", ...xs.map((x) => ` ${x} free`), ...ys.map((y) => ` ${y} free`), "End");
      for (const sign of [1, -1]) {
        const obj = linear([...g.map((v) => sign * v), ...g.map((v) => -sign * v)], [...xs, ...ys]);
        const sol = solve(["Maximize", ` obj: ${obj}`, ...base].join("\n"));
        if (sol.status === "Infeasible") break;
        if (sol.status !== "Optimal") throw new Error(`exhaustiveInjectivity: HiGHS status ${sol.status}`);
        const x1 = xs.map((x) => sol.cols[x] ?? 0);
        const x2 = ys.map((y) => sol.cols[y] ?? 0);
        const sep = Math.hypot(...x1.map((v, k) => v - x2[k]));
        if (sol.value > tol && sep > tol) {
          const y1 = forward(x1);
          const y2 = forward(x2);
          const out = Math.hypot(...y1.map((v, k) => v - y2[k]));
          if (out <= 1e-6 * sep)
            return { injective: false, regions: regions.length, lps, witness: { x1, x2 } };
          throw new Error(
            `exhaustiveInjectivity: LP collision does not check out (‖Δy‖ = ${out}, ‖Δx‖ = ${sep})`,
          );
        }
      }
    }
  }
  return { injective: true, regions: regions.length, lps };
}
