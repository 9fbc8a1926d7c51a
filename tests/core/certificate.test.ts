/**
 * verifyCertificate: accepts sound certificates, rejects tampered ones, in exact and float modes.
 */

import { describe, it, expect } from "vitest";
import { checkLayer, verifyCertificate, type Certificate } from "../../src/core/index.js";
import { findUncovered } from "../../src/core/certificate.js";

const pm: number[][] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];

function cert(duals: Certificate["duals"], domain: Certificate["domain"] = "all", m = 4, n = 2): Certificate {
  return { kind: "dual-cover", domain, m, n, duals };
}

describe("verifyCertificate", () => {
  const good = cert([
    { rows: [0, 2], weights: [0.5, 0.5] },
    { rows: [1, 3], weights: [0.5, 0.5] },
  ]);

  it("accepts the Corollary 2 pairs of [I; −I], exactly", () => {
    const r = verifyCertificate(pm, null, good);
    expect(r.valid).toBe(true);
    expect(r.exact).toBe(true);
  });

  it("rejects a certificate with a dual missing (a hyperplane is uncovered)", () => {
    const r = verifyCertificate(pm, null, cert([good.duals[0]]));
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/hyperplane/);
  });

  it("rejects duals whose combination does not vanish", () => {
    const r = verifyCertificate(pm, null, cert([{ rows: [0, 1], weights: [0.5, 0.5] }, good.duals[1]]));
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/dual 0/);
  });

  it("rejects wrong weights, also in exact mode", () => {
    const W = [[1], [-2]];
    const ok = verifyCertificate(W, null, cert([{ rows: [0, 1], weights: [2 / 3, 1 / 3] }], "all", 2, 1));
    expect(ok.valid).toBe(true);
    const bad = verifyCertificate(W, null, cert([{ rows: [0, 1], weights: [0.5, 0.5] }], "all", 2, 1));
    expect(bad.valid).toBe(false);
  });

  it("rejects a dual whose bias combination is negative", () => {
    const r = verifyCertificate(
      [[1], [-1]],
      [1, -2],
      cert([{ rows: [0, 1], weights: [0.5, 0.5] }], "all", 2, 1),
    );
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/b_i/);
  });

  it("rejects malformed certificates", () => {
    expect(verifyCertificate(pm, null, { ...good, m: 5 }).valid).toBe(false);
    expect(verifyCertificate(pm, null, cert([{ rows: [0, 9], weights: [0.5, 0.5] }])).valid).toBe(false);
    expect(verifyCertificate(pm, null, cert([{ rows: [0, 2], weights: [-1, 2] }])).valid).toBe(false);
    expect(verifyCertificate(pm, null, cert([{ rows: [0, 0], weights: [0.5, 0.5] }])).valid).toBe(false);
    expect(verifyCertificate(pm, null, { kind: "other" } as unknown as Certificate).valid).toBe(false);
  });

  it("nonnegative domain: a single nonnegative row is a dual there but not on R^n", () => {
    const W = [
      [1, 0],
      [0, 1],
    ];
    const duals = [
      { rows: [0], weights: [1] },
      { rows: [1], weights: [1] },
    ];
    expect(verifyCertificate(W, null, cert(duals, "nonnegative", 2, 2)).valid).toBe(true);
    expect(verifyCertificate(W, null, cert(duals, "all", 2, 2)).valid).toBe(false);
  });

  it("non-integral layers are checked exactly too (doubles are dyadic rationals)", async () => {
    const W = [
      [0.1, 0.7],
      [0.3, -0.2],
      [-0.35, 0.11],
      [-0.1, -0.7],
      [-0.3, 0.2],
    ];
    const r = await checkLayer(W, null, { method: "exhaustive" });
    expect(r.injective).toBe(true);
    const v = verifyCertificate(W, null, r.certificate!);
    expect(v.valid).toBe(true);
    expect(v.exact).toBe(true);
    // A perturbation far above the tolerance breaks it.
    const tampered = structuredClone(r.certificate!);
    tampered.duals[0].weights[0] += 0.01;
    expect(verifyCertificate(W, null, tampered).valid).toBe(false);
  });

  it("re-checks the exhaustive search's evidence exactly", async () => {
    const W = [
      [3, 1, 0],
      [1, 2, -1],
      [-1, -1, 2],
      [2, -5, 1],
      [-4, 1, -1],
      [0, 1, 1],
      [1, -1, -3],
    ];
    const r = await checkLayer(W, null, { method: "exhaustive" });
    if (r.injective) {
      expect(verifyCertificate(W, null, r.certificate!).exact).toBe(true);
      expect(verifyCertificate(W, null, r.certificate!).valid).toBe(true);
    } else {
      expect(r.witness!.exact).toBe(true);
    }
  });
});

describe("findUncovered (the cover check)", () => {
  const unitOps = (rows: number[][]) => {
    // Exact-enough span ops over small integer rows in R^2 for the test: rank via determinants.
    type S = number[];
    const rank = (s: S) => {
      if (s.length === 0) return 0;
      const a = rows[s[0]];
      return s.some((i) => a[0] * rows[i][1] - a[1] * rows[i][0] !== 0) ? 2 : 1;
    };
    return {
      empty: (): S => [],
      contains: (s: S, r: number) =>
        s.length === 0 ? rows[r].every((v) => v === 0) : rank([...s, r]) === rank(s),
      extend: (s: S, r: number) => [...s, r],
      rank,
    };
  };
  it("finds the uncovered hyperplane through the chosen rows", () => {
    const rows = [
      [1, 0],
      [0, 1],
      [2, 0],
    ];
    // Duals {0,1} and {2}: the line through rows 0 and 2 meets both supports.
    const res = findUncovered([[0, 1], [2]], 2, unitOps(rows));
    expect(res.uncovered).not.toBeNull();
    expect(findUncovered([[0], [1]], 2, unitOps(rows)).uncovered).toBeNull();
  });
});
