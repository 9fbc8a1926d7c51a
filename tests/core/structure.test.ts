/**
 * The always-active structure test (src/core/structure.ts): the same groups and duals as the plain
 * O(m²) enumeration of antiparallel pairs (kept here as the reference) on random small layers with
 * planted pairs, duplicated rows, biases and both domains; and bounded time and memory on layers
 * with tens of thousands of rows (the 10,000 × 1 layer used to exhaust the heap at 4.4 GB).
 */

import { describe, expect, it } from "vitest";
import { Budget, ResourceLimitError } from "../../src/core/budget.js";
import { greedyIndependent } from "../../src/core/dense.js";
import { normalizeLayer, type NormalizedLayer } from "../../src/core/layer.js";
import { Rng } from "../../src/core/random.js";
import { alwaysActiveCover, type ActiveGroup } from "../../src/core/structure.js";
import type { Domain, Dual } from "../../src/core/types.js";
import { checkLayer, verifyCertificate } from "../../src/core/index.js";

/** The former implementation: every pair (i, k) is stored. */
function referenceCover(
  layer: NormalizedLayer,
  domain: Domain,
  tolerance: number,
): { groups: ActiveGroup[]; duals: Dual[] } | null {
  const { n, count, rows, bias, index, logNorm } = layer;
  const groups: { group: ActiveGroup; line: number; dual: Dual }[] = [];
  if (domain === "nonnegative") {
    for (let i = 0; i < count; i++) {
      let nonneg = bias[i] >= 0;
      for (let j = 0; j < n && nonneg; j++) nonneg = rows[i * n + j] >= 0;
      if (nonneg)
        groups.push({
          group: { kind: "nonnegative-row", rows: [index[i]] },
          line: i,
          dual: { rows: [index[i]], weights: [1] },
        });
    }
  }
  for (let i = 0; i < count; i++) {
    for (let k = i + 1; k < count; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) {
        const d = rows[i * n + j] + rows[k * n + j];
        s += d * d;
      }
      // b̂_i + b̂_k >= 0 up to the rounding of the normalized biases (as in structure.ts).
      if (Math.sqrt(s) > tolerance || bias[i] + bias[k] < -(4 * n + 16) * Number.EPSILON * Math.abs(bias[i]))
        continue;
      const top = Math.max(logNorm[i], logNorm[k]);
      const ni = 2 ** (logNorm[i] - top);
      const nk = 2 ** (logNorm[k] - top);
      groups.push({
        group: { kind: "pair", rows: [index[i], index[k]] },
        line: i,
        dual: { rows: [index[i], index[k]], weights: [nk / (ni + nk), ni / (ni + nk)] },
      });
    }
  }
  if (groups.length < n) return null;
  const lines = Int32Array.from(groups.map((g) => g.line));
  const chosen = greedyIndependent(rows, n, lines, Math.max(tolerance, 1e-12));
  if (chosen.length < n) return null;
  const used = chosen.map((line) => groups.find((g) => g.line === line)!);
  return { groups: used.map((g) => g.group), duals: used.map((g) => g.dual) };
}

/** A random layer with planted antiparallel pairs (scaled), duplicates and zero rows. */
function randomLayer(rng: Rng, n: number, m: number, withBias: boolean): { W: number[][]; b: number[] } {
  const base = Array.from({ length: Math.max(1, Math.floor(m / 3)) }, () =>
    Array.from({ length: n }, () => Math.round(rng.normal() * 2) / 2),
  );
  const W: number[][] = [];
  for (let i = 0; i < m; i++) {
    const v = base[Math.floor(rng.uniform() * base.length)];
    const kind = rng.uniform();
    if (kind < 0.4) W.push(v.map((x) => -x * (1 + Math.floor(rng.uniform() * 3))));
    else if (kind < 0.75) W.push(v.map((x) => x * (1 + Math.floor(rng.uniform() * 3))));
    else if (kind < 0.95) W.push(Array.from({ length: n }, () => Math.round(rng.normal() * 2) / 2));
    else W.push(new Array<number>(n).fill(0));
  }
  const b = W.map(() => (withBias ? Math.round(rng.normal() * 2) / 2 : 0));
  return { W, b };
}

describe("alwaysActiveCover", () => {
  it("matches the O(m²) enumeration on random layers (groups, duals, order)", () => {
    const rng = new Rng(7);
    let proved = 0;
    for (let t = 0; t < 600; t++) {
      const n = 1 + Math.floor(rng.uniform() * 4);
      const m = 1 + Math.floor(rng.uniform() * 14);
      const { W, b } = randomLayer(rng, n, m, t % 2 === 0);
      if (W.every((r) => r.every((v) => v === 0))) continue;
      const layer = normalizeLayer(W, b);
      for (const domain of ["all", "nonnegative"] as const) {
        const ref = referenceCover(layer, domain, 1e-9);
        const got = alwaysActiveCover(layer, domain, 1e-9);
        expect(got).toEqual(ref);
        if (got) proved++;
      }
    }
    expect(proved).toBeGreaterThan(50);
  });

  it("finds pairs whose biases match exactly (β2 = −d·β1, slack 0) despite the rounding of b̂", async () => {
    // Float32 B, d and β as the injective TF.js layers train them: the products are exact, the
    // slack β1 + β2/d is exactly 0, and the normalized biases b̂_i + b̂_k round to ±1e-17.
    const rng = new Rng(99);
    let roundedNegative = 0;
    for (let t = 0; t < 40; t++) {
      const n = 2 + (t % 5);
      const f = (): number => Math.fround(rng.normal());
      const B = Array.from({ length: n }, () => Array.from({ length: n }, f));
      const d = Array.from({ length: n }, () => Math.fround(0.1 + rng.uniform() * 3));
      const beta = Array.from({ length: n }, f);
      const W = [...B, ...B.map((row, k) => row.map((v) => -d[k] * v))];
      const b = [...beta, ...beta.map((v, k) => -d[k] * v)];
      const layer = normalizeLayer(W, b);
      for (let k = 0; k < n; k++) if (layer.bias[k] + layer.bias[n + k] < 0) roundedNegative++;
      const r = await checkLayer(W, b, { method: "structure" });
      expect(r.injective).toBe(true);
      expect(verifyCertificate(W, b, r.certificate!).valid).toBe(true);
      // A slack of −1e-12 relative is a real gap: the exact re-check refuses the pairs.
      const gap = b.map((v, i) => (i >= n ? v - 1e-12 * Math.abs(v) - 1e-300 : v));
      const g = await checkLayer(W, gap, { method: "structure" });
      expect(g.injective).not.toBe(true);
    }
    // The case the tolerance is for occurred (else this test would not test it).
    expect(roundedNegative).toBeGreaterThan(0);
  });

  it("proves a 10,000 × 1 layer and a 20,000 × 3 layer in seconds", async () => {
    const rng = new Rng(3);
    const W1 = Array.from({ length: 10_000 }, (_, i) => [(i % 2 ? -1 : 1) * (1 + rng.uniform())]);
    const t0 = performance.now();
    const c1 = alwaysActiveCover(normalizeLayer(W1, new Array<number>(W1.length).fill(0)), "all", 1e-9);
    expect(c1?.groups).toEqual([{ kind: "pair", rows: [0, 1] }]);
    const dirs = [
      [1, 0, 0],
      [0, 1, 0],
      [0.5, 0.5, 1],
    ];
    const W3 = Array.from({ length: 20_000 }, (_, i) => {
      const s = (i % 2 ? -1 : 1) * (1 + rng.uniform());
      return dirs[i % 3].map((v) => v * s);
    });
    const b3 = W3.map(() => 0);
    const c3 = alwaysActiveCover(normalizeLayer(W3, b3), "all", 1e-9);
    expect(c3?.groups.length).toBe(3);
    expect(performance.now() - t0).toBeLessThan(10_000);
    // The whole check (rank, structure, certificate re-check) of the 10,000 × 1 layer.
    const r = await checkLayer(W1, null, { timeLimitMs: 20_000 });
    expect(r.injective).toBe(true);
    expect(verifyCertificate(W1, null, r.certificate!).valid).toBe(true);
  });

  it("stays fast when a line holds thousands of distinct, tolerance-equal directions", () => {
    // Rows (±1, ε_i) with distinct ε_i below the tolerance: every pair is antiparallel to tolerance.
    const W = Array.from({ length: 20_000 }, (_, i) => {
      const s = i % 2 ? -1 : 1;
      return [s, s * i * 1e-14];
    });
    W.push([0, 1], [0, -1]);
    const t0 = performance.now();
    const c = alwaysActiveCover(
      normalizeLayer(
        W,
        W.map(() => 0),
      ),
      "all",
      1e-9,
    );
    expect(c?.groups.length).toBe(2);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it("honours the budget: a cancelled budget stops it with the stage named", () => {
    const rng = new Rng(5);
    const W = Array.from({ length: 5000 }, () => [rng.normal(), rng.normal()]);
    const controller = new AbortController();
    controller.abort();
    const budget = Budget.from("test", { signal: controller.signal });
    expect(() =>
      alwaysActiveCover(
        normalizeLayer(
          W,
          W.map(() => 0),
        ),
        "all",
        1e-9,
        budget,
      ),
    ).toThrow(ResourceLimitError);
    const tiny = Budget.from("test", { memoryLimitBytes: 1000 });
    expect(() =>
      alwaysActiveCover(
        normalizeLayer(
          W,
          W.map(() => 0),
        ),
        "all",
        1e-9,
        tiny,
      ),
    ).toThrow(/structure test.*memory limit/);
  });
});
