/**
 * Hand cases with known answers for the brute-force reference (tests/reference/brute-force.ts),
 * plus self-consistency checks: pruning on/off agree, bad cells really collide, and n = 1 agrees
 * with a direct scan of the intervals between breakpoints.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bruteForceInjective, numericalRank } from "./brute-force.js";

type Dom = "all" | "nonnegative";

const I2 = [
  [1, 0],
  [0, 1],
];
const I3 = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];
const neg = (M: number[][]): number[][] => M.map((r) => r.map((v) => (v === 0 ? 0 : -v)));

/** Corollary 2 construction [B; −D B] with B = [[2,1],[1,3]], D = diag(1, 0.5). */
const B = [
  [2, 1],
  [1, 3],
];
const COR2 = [...B, [-2, -1], [-0.5, -1.5]];

const unit = (deg: number): number[] => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
/**
 * "Figure 2 left": unit rows at 0°, 60°, 120°, 270°. A row at angle φ is active at x = (cos θ, sin θ)
 * iff |θ − φ| <= 90° (mod 360°). For θ in (150°, 180°) only the row at 120° is active, and for θ in
 * (210°, 270°) only the row at 270° is active: two open wedges where the active rows have rank 1, so
 * there is no DSS there and F is not injective (e.g. x = (cos 240°, sin 240°) and x + ε·(direction ⟂ row 270°)
 * collide).
 */
const FIG2_LEFT = [unit(0), unit(60), unit(120), unit(270)];
/** "Figure 2 center": ±e1, ±e2; every closed half-plane through 0 holds two independent rows. */
const FIG2_CENTER = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];

interface Case {
  name: string;
  W: number[][];
  b?: number[];
  domain: Dom;
  injective: boolean;
}

const cases: Case[] = [
  { name: "I2, all", W: I2, domain: "all", injective: false },
  { name: "I2, nonnegative", W: I2, domain: "nonnegative", injective: true },
  { name: "[I; -I] n=2", W: [...I2, ...neg(I2)], domain: "all", injective: true },
  { name: "[I; -I] n=3", W: [...I3, ...neg(I3)], domain: "all", injective: true },
  { name: "[I; -I] n=3 minus one row", W: [...I3, ...neg(I3).slice(1)], domain: "all", injective: false },
  { name: "Figure 2 center", W: FIG2_CENTER, domain: "all", injective: true },
  { name: "Figure 2 left (0°, 60°, 120°, 270°)", W: FIG2_LEFT, domain: "all", injective: false },
  { name: "Corollary 2 [B; -DB]", W: COR2, domain: "all", injective: true },
  { name: "Corollary 2 [B; -DB], nonnegative", W: COR2, domain: "nonnegative", injective: true },
  { name: "Corollary 2 minus last row", W: COR2.slice(0, 3), domain: "all", injective: false },
  { name: "Corollary 2 minus first row", W: COR2.slice(1), domain: "all", injective: false },
  { name: "Lemma 1 counterexample", W: [[1], [-1]], b: [1, -0.5], domain: "all", injective: true },
  { name: "n=1, collapsing interval (-1, 1)", W: [[1], [-1]], b: [-1, -1], domain: "all", injective: false },
  {
    name: "rank-deficient W",
    W: [
      [1, 1],
      [2, 2],
      [-1, -1],
      [-3, -3],
    ],
    domain: "all",
    injective: false,
  },
  {
    name: "rank-deficient W, nonnegative",
    W: [
      [1, 1],
      [2, 2],
      [-1, -1],
      [-3, -3],
    ],
    domain: "nonnegative",
    injective: false,
  },
  { name: "n=1 [2; -3]", W: [[2], [-3]], domain: "all", injective: true },
  { name: "n=1 [1; 2], all", W: [[1], [2]], domain: "all", injective: false },
  { name: "n=1 [1; 2], nonnegative", W: [[1], [2]], domain: "nonnegative", injective: true },
  { name: "n=1 [1; 2] with bias", W: [[1], [2]], b: [3, -1], domain: "all", injective: false },
  { name: "n=1 [1] with bias 5, nonnegative", W: [[1]], b: [5], domain: "nonnegative", injective: true },
  { name: "n=1 [1] with bias -5, nonnegative", W: [[1]], b: [-5], domain: "nonnegative", injective: false },
  { name: "[I; -I] plus a zero row", W: [...I2, [0, 0], ...neg(I2)], domain: "all", injective: true },
  {
    name: "zero row with positive bias does not help",
    W: [[1], [0]],
    b: [0, 1],
    domain: "all",
    injective: false,
  },
  { name: "I2 plus a zero row, all", W: [...I2, [0, 0]], b: [0, 0, 7], domain: "all", injective: false },
  { name: "I2 plus a zero row, nonnegative", W: [...I2, [0, 0]], domain: "nonnegative", injective: true },
  { name: "duplicated rows [I; I; -I]", W: [...I2, ...I2, ...neg(I2)], domain: "all", injective: true },
  {
    name: "duplicated rows, not spanning on a wedge",
    W: [
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 1],
    ],
    domain: "all",
    injective: false,
  },
  {
    name: "duplicated affine rows (same hyperplane, scaled)",
    W: [[1], [2], [-1]],
    b: [1, 2, 0],
    domain: "all",
    injective: true,
  },
  {
    // Bias shifts: the -e1 row is only active for x1 <= -5, so on -5 < x1 < 0, x2 < 0 nothing spans e1.
    name: "[I; -I] with a shifted negative row",
    W: FIG2_CENTER,
    b: [0, 0, -5, 0],
    domain: "all",
    injective: false,
  },
  {
    // With positive bias the negative rows overlap the positive ones: still injective.
    name: "[I; -I] with positive biases",
    W: FIG2_CENTER,
    b: [1, 1, 1, 1],
    domain: "all",
    injective: true,
  },
];

const relu = (v: number): number => (v > 0 ? v : 0);
function forward(W: number[][], b: number[] | undefined, x: number[]): number[] {
  return W.map((r, i) => relu(r.reduce((s, v, j) => s + v * x[j], b ? b[i] : 0)));
}

/** A unit vector orthogonal to all given rows (they have rank < n), by Gram–Schmidt on e_1..e_n. */
function orthogonalDirection(rows: number[][], n: number): number[] {
  const basis: number[][] = [];
  const reduce = (v: number[]): number[] => {
    let r = [...v];
    for (const q of basis) {
      const d = r.reduce((s, x, j) => s + x * q[j], 0);
      r = r.map((x, j) => x - d * q[j]);
    }
    return r;
  };
  for (const row of rows) {
    const r = reduce(row);
    const nr = Math.hypot(...r);
    if (nr > 1e-9 * Math.max(1, Math.hypot(...row))) basis.push(r.map((x) => x / nr));
  }
  for (let j = 0; j < n; j++) {
    const e = new Array<number>(n).fill(0);
    e[j] = 1;
    const r = reduce(e);
    const nr = Math.hypot(...r);
    if (nr > 1e-6) return r.map((x) => x / nr);
  }
  throw new Error("rows span R^n");
}

/** Checks that a reported bad cell really yields a collision F(x) = F(x + εv). */
function expectCollision(
  W: number[][],
  b: number[] | undefined,
  domain: Dom,
  bad: { point: number[]; signs: number[] },
) {
  const n = W[0].length;
  const x = bad.point;
  // The sign vector matches the point.
  W.forEach((r, i) => {
    const z = r.reduce((s, v, j) => s + v * x[j], b ? b[i] : 0);
    if (r.every((v) => v === 0)) expect(bad.signs[i]).toBe(0);
    else expect(Math.sign(z)).toBe(bad.signs[i]);
  });
  if (domain === "nonnegative") for (const v of x) expect(v).toBeGreaterThan(0);
  const active = W.filter((_, i) => bad.signs[i] > 0);
  const v = orthogonalDirection(active, n);
  // Largest step that keeps every inactive row negative and the point in the domain.
  let eps = 1;
  W.forEach((r, i) => {
    if (bad.signs[i] >= 0) return;
    const z = r.reduce((s, c, j) => s + c * x[j], b ? b[i] : 0);
    const dz = Math.abs(r.reduce((s, c, j) => s + c * v[j], 0));
    if (dz > 0) eps = Math.min(eps, (-z / dz) * 0.5);
  });
  if (domain === "nonnegative")
    x.forEach((xj, j) => v[j] !== 0 && (eps = Math.min(eps, (xj / Math.abs(v[j])) * 0.5)));
  expect(eps).toBeGreaterThan(0);
  const x2 = x.map((xj, j) => xj + eps * v[j]);
  const f1 = forward(W, b, x);
  const f2 = forward(W, b, x2);
  const scale = 1 + Math.hypot(...x);
  f1.forEach((y, i) =>
    expect(Math.abs(y - f2[i])).toBeLessThanOrEqual(1e-9 * scale * (1 + Math.hypot(...W[i]))),
  );
}

describe("bruteForceInjective: hand cases", () => {
  for (const c of cases) {
    it(`${c.name} -> ${c.injective ? "injective" : "not injective"}`, async () => {
      const r = await bruteForceInjective(c.W, c.b, c.domain);
      expect(r.injective).toBe(c.injective);
      expect(r.cellsVisited).toBeGreaterThan(0);
      const full = await bruteForceInjective(c.W, c.b, c.domain, { pruneSpanning: false });
      expect(full.injective).toBe(c.injective);
      if (!c.injective) {
        expect(r.badCell).toBeDefined();
        expect(r.badCell!.positiveRank).toBeLessThan(c.W[0].length);
        expectCollision(c.W, c.b, c.domain, r.badCell!);
        expectCollision(c.W, c.b, c.domain, full.badCell!);
      } else {
        expect(r.badCell).toBeUndefined();
      }
    });
  }

  it("counts the open cells when nothing is pruned", async () => {
    // ±e_i in R^3: 3 distinct hyperplanes, 8 orthants.
    expect(
      (await bruteForceInjective([...I3, ...neg(I3)], undefined, "all", { pruneSpanning: false }))
        .cellsVisited,
    ).toBe(8);
    // Lemma 1 example: breakpoints -1 and -0.5, 3 intervals.
    expect(
      (await bruteForceInjective([[1], [-1]], [1, -0.5], "all", { pruneSpanning: false })).cellsVisited,
    ).toBe(3);
    // Corollary 2 rows: 2 distinct lines through 0 (rows 1,3 and 2,4 are antiparallel), 4 cells.
    expect((await bruteForceInjective(COR2, undefined, "all", { pruneSpanning: false })).cellsVisited).toBe(
      4,
    );
    // Same on the orthant: the line of (2,1) misses the open orthant, the line of (1,3) too: 1 cell.
    expect(
      (await bruteForceInjective(COR2, undefined, "nonnegative", { pruneSpanning: false })).cellsVisited,
    ).toBe(1);
    // Three generic affine lines in R^2 plus ±e-rows to keep it injective: count is at least 7.
    const W = [...FIG2_CENTER, [1, 1], [1, -2], [-3, 1]];
    const res = await bruteForceInjective(W, [0, 0, 0, 0, 1, 2, -1], "all", { pruneSpanning: false });
    expect(res.injective).toBe(true);
    expect(res.cellsVisited).toBeGreaterThanOrEqual(7);
  });

  it("numericalRank: n = 1, zero rows, duplicates", () => {
    expect(numericalRank([[3]])).toBe(1);
    expect(numericalRank([[0]])).toBe(0);
    expect(numericalRank([])).toBe(0);
    expect(
      numericalRank([
        [1, 2],
        [2, 4],
        [0, 0],
      ]),
    ).toBe(1);
    expect(
      numericalRank([
        [1, 2],
        [2, 4.000001],
      ]),
    ).toBe(2);
    expect(numericalRank(COR2)).toBe(2);
  });
});

/** Direct decision for n = 1: the open cells are the intervals between sorted breakpoints -b_i/w_i. */
function injective1d(w: number[], b: number[], domain: Dom): boolean {
  const bps = [...new Set(w.flatMap((wi, i) => (wi !== 0 ? [-b[i] / wi] : [])))].sort((p, q) => p - q);
  const lo = domain === "nonnegative" ? 0 : -Infinity;
  const pts: number[] = [];
  const cuts = [lo, ...bps.filter((p) => p > lo), Infinity];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const [a, c] = [cuts[k], cuts[k + 1]];
    pts.push(a === -Infinity ? (c === Infinity ? 0 : c - 1) : c === Infinity ? a + 1 : (a + c) / 2);
  }
  return pts.every((x) => w.some((wi, i) => wi !== 0 && wi * x + b[i] > 0));
}

describe("bruteForceInjective: self-consistency", () => {
  it("n = 1 agrees with the interval scan", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.constantFrom<Dom>("all", "nonnegative"),
        async (rows, domain) => {
          const W = rows.map(([w]) => [w]);
          const b = rows.map(([, c]) => c);
          const r = await bruteForceInjective(W, b, domain);
          expect(r.injective).toBe(
            injective1d(
              rows.map(([w]) => w),
              b,
              domain,
            ),
          );
        },
      ),
      { seed: 42, numRuns: 150 },
    );
  });

  it("pruning does not change the answer, and bad cells collide", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }).chain((n) =>
          fc.tuple(
            fc.array(fc.array(fc.integer({ min: -2, max: 2 }), { minLength: n, maxLength: n }), {
              minLength: 1,
              maxLength: 6,
            }),
            fc.option(fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 6, maxLength: 6 }), {
              nil: undefined,
            }),
            fc.constantFrom<Dom>("all", "nonnegative"),
          ),
        ),
        async ([W, bFull, domain]) => {
          const b = bFull?.slice(0, W.length);
          const r1 = await bruteForceInjective(W, b, domain);
          const r2 = await bruteForceInjective(W, b, domain, { pruneSpanning: false });
          expect(r1.injective).toBe(r2.injective);
          if (!r1.injective) {
            expectCollision(W, b, domain, r1.badCell!);
            expectCollision(W, b, domain, r2.badCell!);
          }
        },
      ),
      { seed: 42, numRuns: 150 },
    );
  });
});
