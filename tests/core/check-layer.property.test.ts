/**
 * Property tests of the single-layer verifier (src/core/index.ts) against the independent brute-force
 * reference (tests/reference/brute-force.ts) on small layers: n in 1..4, m in 1..9, with and without
 * bias, both domains, and degenerate families (zero, duplicated, antiparallel rows, rank-deficient W,
 * Corollary-2 constructions, float entries, m < 2n). Witnesses are re-checked with an independent
 * forward pass, certificates with an independent dual/coverage check, and mutated certificates must
 * not verify.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { checkLayer, forwardLayer, verifyCertificate, verifyWitness } from "../../src/core/index.js";
import type { Certificate, Domain, Dual, LayerCheckResult } from "../../src/core/types.js";
import {
  biasArb,
  domainArb,
  intArb,
  matArb,
  smallIntArb,
  vecArb,
  type Layer,
} from "../support/layer-arbitraries.js";
import { bruteForceInjective, numericalRank } from "../reference/brute-force.js";

// ---------------------------------------------------------------------------------------------
// Layers and generators
// ---------------------------------------------------------------------------------------------

const isIntegerLayer = (L: Layer): boolean =>
  L.W.every((r) => r.every((v) => Number.isInteger(v))) && (L.b ?? []).every((v) => Number.isInteger(v));

/** Floats of about unit size that are (almost surely) not integers: sums of three uniforms. */
const floatArb = fc
  .tuple(intArb(-1_000_000, 1_000_000), intArb(-1_000_000, 1_000_000), intArb(-1_000_000, 1_000_000))
  .map(([a, b, c]) => (a + b + c) / 1_234_567);
const negate = (v: number): number => (v === 0 ? 0 : -v);

/** Applies a random permutation to the rows (and the bias with them). */
function permuteArb(
  family: string,
  W: number[][],
  b: number[] | undefined,
  domain: Domain,
): fc.Arbitrary<Layer> {
  return vecArb(fc.nat(), W.length).map((keys) => {
    const order = keys.map((k, i) => [k, i]).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    return {
      family,
      W: order.map(([, i]) => W[i]),
      b: b ? order.map(([, i]) => b[i]) : undefined,
      domain,
    };
  });
}

/** Small integer entries in [-3, 3]: zero, repeated and antiparallel rows occur by chance. */
const smallInt = smallIntArb(1, 1, 9);

/** Explicitly duplicated rows (exact copies and positive multiples), with matching or fresh biases. */
const duplicatedArb: fc.Arbitrary<Layer> = fc
  .record({ n: fc.integer({ min: 1, max: 4 }), m0: fc.integer({ min: 1, max: 6 }) })
  .chain(({ n, m0 }) =>
    fc
      .record({
        W: matArb(intArb(), m0, n),
        b: biasArb(m0),
        dups: fc.array(
          fc.record({ i: fc.nat(), c: fc.constantFrom(1, 1, 2, 3), sameBias: fc.boolean(), fresh: intArb() }),
          {
            minLength: 1,
            maxLength: 9 - m0 > 3 ? 3 : Math.max(1, 9 - m0),
          },
        ),
        domain: domainArb,
      })
      .chain(({ W, b, dups, domain }) => {
        const W2 = [...W];
        const b2 = b ? [...b] : undefined;
        for (const d of dups) {
          const i = d.i % W.length;
          W2.push(W[i].map((v) => v * d.c));
          if (b2) b2.push(d.sameBias ? b![i] * d.c : d.fresh);
        }
        return permuteArb("duplicated", W2, b2, domain);
      }),
  );

/** Antiparallel pairs (w, −c·w), with bias −c·b (same hyperplane, opposite sides) or a fresh one. */
const antiparallelArb: fc.Arbitrary<Layer> = fc
  .record({ n: fc.integer({ min: 1, max: 4 }), m0: fc.integer({ min: 1, max: 5 }) })
  .chain(({ n, m0 }) =>
    fc
      .record({
        W: matArb(intArb(), m0, n),
        b: biasArb(m0),
        pairs: fc.array(
          fc.record({ i: fc.nat(), c: fc.constantFrom(1, 1, 2, 3), sameBias: fc.boolean(), fresh: intArb() }),
          {
            minLength: 1,
            maxLength: Math.min(4, 9 - m0),
          },
        ),
        domain: domainArb,
      })
      .chain(({ W, b, pairs, domain }) => {
        const W2 = [...W];
        const b2 = b ? [...b] : undefined;
        for (const p of pairs) {
          const i = p.i % W.length;
          W2.push(W[i].map((v) => negate(v * p.c)));
          if (b2) b2.push(p.sameBias ? negate(b![i] * p.c) : p.fresh);
        }
        return permuteArb("antiparallel", W2, b2, domain);
      }),
  );

/** Rank-deficient W = A·C with A (m×r), C (r×n), r < n: never injective. */
const rankDeficientArb: fc.Arbitrary<Layer> = fc
  .integer({ min: 2, max: 4 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      r: fc.integer({ min: 1, max: n - 1 }),
      m: fc.integer({ min: 1, max: 9 }),
    }),
  )
  .chain(({ n, r, m }) =>
    fc.record({
      family: fc.constant("rank-deficient"),
      W: fc
        .tuple(matArb(intArb(-2, 2), m, r), matArb(intArb(-2, 2), r, n))
        .map(([A, C]) => A.map((a) => C[0].map((_, j) => a.reduce((s, v, k) => s + v * C[k][j], 0)))),
      b: biasArb(m),
      domain: domainArb,
    }),
  );

/** Corollary 2 style [B; −D B; M] with random integer B (may be singular), D diagonal positive. */
const corollary2Arb: fc.Arbitrary<Layer> = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => fc.record({ n: fc.constant(n), extra: fc.integer({ min: 0, max: 9 - 2 * n }) }))
  .chain(({ n, extra }) =>
    fc
      .record({
        B: matArb(intArb(), n, n),
        D: vecArb(fc.integer({ min: 1, max: 3 }), n),
        M: matArb(intArb(), extra, n),
        b: biasArb(2 * n + extra),
        domain: domainArb,
      })
      .chain(({ B, D, M, b, domain }) => {
        const W = [...B, ...B.map((r, i) => r.map((v) => negate(D[i] * v))), ...M];
        return permuteArb("corollary2", W, b, domain);
      }),
  );

/** Gaussian-like float entries (non-integer), optional float bias. */
const floatLayerArb: fc.Arbitrary<Layer> = fc
  .record({ n: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 1, max: 9 }) })
  .chain(({ m, n }) =>
    fc.record({
      family: fc.constant("float"),
      W: matArb(floatArb, m, n),
      b: biasArb(m, floatArb),
      domain: domainArb,
    }),
  );

/** Tall-ish layers with n <= m < 2n (Corollary 2: never injective on R^n). */
const shortArb: fc.Arbitrary<Layer> = fc
  .integer({ min: 2, max: 4 })
  .chain((n) => fc.record({ n: fc.constant(n), m: fc.integer({ min: n, max: 2 * n - 1 }) }))
  .chain(({ m, n }) =>
    fc.record({ family: fc.constant("m<2n"), W: matArb(intArb(), m, n), b: biasArb(m), domain: domainArb }),
  );

// ---------------------------------------------------------------------------------------------
// Independent checks
// ---------------------------------------------------------------------------------------------

const dot = (a: number[], x: number[]): number => a.reduce((s, v, j) => s + v * x[j], 0);
const norm = (a: number[]): number => Math.hypot(...a);
const relu = (v: number): number => (v > 0 ? v : 0);
const ownForward = (W: number[][], b: number[] | undefined, x: number[]): number[] =>
  W.map((r, i) => relu(dot(r, x) + (b ? b[i] : 0)));

function expectGoodWitness(L: Layer, res: LayerCheckResult, label: string): void {
  const w = res.witness;
  expect(w, `${label}: witness missing`).toBeDefined();
  const { x1, x2 } = w!;
  const n = L.W[0].length;
  expect(x1.length).toBe(n);
  expect(x2.length).toBe(n);
  for (const v of [...x1, ...x2]) expect(Number.isFinite(v)).toBe(true);
  const sep = norm(x1.map((v, j) => v - x2[j]));
  expect(sep, `${label}: x1 and x2 too close`).toBeGreaterThan(1e-6 * Math.max(1, norm(x1)));
  if (L.domain === "nonnegative")
    for (const v of [...x1, ...x2]) expect(v, `${label}: outside orthant`).toBeGreaterThanOrEqual(0);
  const f1 = ownForward(L.W, L.b, x1);
  const f2 = ownForward(L.W, L.b, x2);
  const normW = norm(L.W.flat());
  const maxB = Math.max(0, ...(L.b ?? []).map(Math.abs));
  const tol = 1e-7 * ((1 + Math.max(norm(x1), norm(x2))) * normW + maxB);
  f1.forEach((y, i) =>
    expect(Math.abs(y - f2[i]), `${label}: F(x1) != F(x2) at row ${i}`).toBeLessThanOrEqual(tol),
  );
  // The exact pair (fractions when a point is not a double) must collide exactly.
  const vw = verifyWitness(L.W, L.b, w!, L.domain);
  expect(vw.valid, `${label}: verifyWitness rejects: ${vw.reason}`).toBe(true);
  expect(w!.exact).toBe(true);
}

const DUAL_TOL = 1e-7;

/**
 * Independent check of one dual: nonnegative weights summing to 1 on distinct valid rows, whose
 * combination vanishes (all) or is >= 0 (nonnegative), with combined bias >= 0. Accepts weights
 * referring to the raw rows or to the rows scaled to unit norm (biases with them).
 */
function dualIsValid(W: number[][], b: number[] | undefined, domain: Domain, d: Dual): boolean {
  const m = W.length;
  const n = W[0].length;
  if (d.rows.length === 0 || d.rows.length !== d.weights.length) return false;
  if (new Set(d.rows).size !== d.rows.length) return false;
  if (d.rows.some((i) => !Number.isInteger(i) || i < 0 || i >= m)) return false;
  if (d.weights.some((y) => !Number.isFinite(y) || y < -1e-12)) return false;
  if (Math.abs(d.weights.reduce((s, y) => s + y, 0) - 1) > 1e-6) return false;
  const check = (scale: (i: number) => number): boolean => {
    const combo = new Array<number>(n).fill(0);
    let bias = 0;
    d.rows.forEach((i, k) => {
      const c = d.weights[k] * scale(i);
      W[i].forEach((v, j) => (combo[j] += c * v));
      bias += c * (b ? b[i] : 0);
    });
    const size = Math.max(...d.rows.map((i, k) => d.weights[k] * scale(i) * Math.max(norm(W[i]), 1e-300)));
    const ok =
      domain === "all"
        ? combo.every((v) => Math.abs(v) <= DUAL_TOL * size)
        : combo.every((v) => v >= -DUAL_TOL * size);
    return ok && bias >= -DUAL_TOL * size;
  };
  return check(() => 1) || check((i) => (norm(W[i]) > 0 ? 1 / norm(W[i]) : 0));
}

/** A unit vector orthogonal to the given rows (of rank n − 1 or less), by Gram–Schmidt. */
function normalOf(rows: number[][], n: number): number[] {
  const basis: number[][] = [];
  const reduce = (v: number[]): number[] => {
    let r = [...v];
    for (const q of basis) {
      const c = dot(r, q);
      r = r.map((x, j) => x - c * q[j]);
    }
    return r;
  };
  for (const row of rows) {
    const r = reduce(row);
    const nr = norm(r);
    if (nr > 1e-9 * Math.max(1e-300, norm(row))) basis.push(r.map((x) => x / nr));
  }
  let best: number[] = [];
  let bestNorm = -1;
  for (let j = 0; j < n; j++) {
    const e = new Array<number>(n).fill(0);
    e[j] = 1;
    const r = reduce(e);
    if (norm(r) > bestNorm) [best, bestNorm] = [r, norm(r)];
  }
  return best.map((x) => x / bestNorm);
}

function* subsets(items: number[], k: number, start = 0, acc: number[] = []): Generator<number[]> {
  if (acc.length === k) {
    yield acc;
    return;
  }
  for (let i = start; i < items.length; i++) yield* subsets(items, k, i + 1, [...acc, items[i]]);
}

/**
 * Independent coverage check: every hyperplane through 0 spanned by n − 1 independent rows (these
 * suffice when rank W = n) must miss the support of some dual. Returns an uncovered normal, or null.
 */
function uncoveredHyperplane(W: number[][], duals: Dual[]): number[] | null {
  const n = W[0].length;
  const nonzero = W.map((_, i) => i).filter((i) => norm(W[i]) > 0);
  for (const S of subsets(nonzero, n - 1)) {
    const rows = S.map((i) => W[i]);
    if (numericalRank(rows) !== n - 1) continue;
    const v = normalOf(rows, n);
    const inH = (i: number): boolean => Math.abs(dot(W[i], v)) <= 1e-9 * norm(W[i]);
    if (!duals.some((d) => d.rows.every((i) => !inH(i)))) return v;
  }
  return null;
}

function certificateIsValid(
  W: number[][],
  b: number[] | undefined,
  domain: Domain,
  cert: Certificate,
): boolean {
  return (
    cert.domain === domain &&
    cert.duals.every((d) => dualIsValid(W, b, domain, d)) &&
    numericalRank(W) === W[0].length &&
    uncoveredHyperplane(W, cert.duals) === null
  );
}

/** Certificate checks plus mutations that must not verify. */
function expectGoodCertificate(L: Layer, res: LayerCheckResult, label: string, mutate = true): void {
  const cert = res.certificate;
  expect(cert, `${label}: certificate missing`).toBeDefined();
  const m = L.W.length;
  const n = L.W[0].length;
  expect(cert!.kind).toBe("dual-cover");
  expect(cert!.domain).toBe(L.domain);
  expect([cert!.m, cert!.n]).toEqual([m, n]);
  const vc = verifyCertificate(L.W, L.b, cert!);
  expect(vc.valid, `${label}: verifyCertificate rejects: ${vc.reason}`).toBe(true);
  expect(
    certificateIsValid(L.W, L.b, L.domain, cert!),
    `${label}: certificate fails the independent check`,
  ).toBe(true);

  if (!mutate) return;

  const rejects = (c: Certificate, W = L.W, why = ""): void => {
    mutationsRejected++;
    const r = verifyCertificate(W, L.b, c);
    expect(r.valid, `${label}: mutated certificate (${why}) still verifies`).toBe(false);
  };
  const cloneDuals = (): Dual[] => cert!.duals.map((d) => ({ rows: [...d.rows], weights: [...d.weights] }));

  // No duals at all covers no hyperplane.
  rejects({ ...cert!, duals: [] }, L.W, "all duals removed");
  // One dual removed: must be rejected whenever the reduced list really leaves a hyperplane uncovered.
  for (let k = 0; k < cert!.duals.length; k++) {
    const duals = cloneDuals().filter((_, j) => j !== k);
    if (uncoveredHyperplane(L.W, duals) !== null) rejects({ ...cert!, duals }, L.W, `dual ${k} removed`);
  }
  // A negative weight is never allowed.
  const d0 = cert!.duals[0];
  if (d0.rows.length >= 2) {
    const duals = cloneDuals();
    duals[0].weights[0] = -0.5;
    duals[0].weights[1] += 1.5;
    rejects({ ...cert!, duals }, L.W, "negative weight");
  }
  // Dual weights perturbed: rejected when the perturbed combination is clearly invalid.
  for (let k = 0; k < cert!.duals.length; k++) {
    const duals = cloneDuals();
    const d = duals[k];
    if (d.rows.length < 2) continue;
    d.weights[0] *= 3;
    const s = d.weights.reduce((a, y) => a + y, 0);
    d.weights = d.weights.map((y) => y / s);
    if (!dualIsValid(L.W, L.b, L.domain, d))
      rejects({ ...cert!, duals }, L.W, `weights of dual ${k} perturbed`);
  }
  // Layer weights perturbed: rejected when the independent check says the certificate breaks.
  for (let i = 0; i < m; i++) {
    const W2 = L.W.map((r) => [...r]);
    W2[i][0] += 0.37;
    if (!certificateIsValid(W2, L.b, L.domain, cert!)) rejects(cert!, W2, `W[${i}][0] perturbed`);
  }
  // Wrong domain or shape.
  if (L.domain === "nonnegative") {
    const asAll = { ...cert!, domain: "all" as const };
    if (!certificateIsValid(L.W, L.b, "all", asAll)) {
      const r = verifyCertificate(L.W, L.b, asAll);
      expect(r.valid, `${label}: orthant certificate accepted for domain all`).toBe(false);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

/** Seed of every property (override with CHECK_LAYER_SEED to explore other cases). */
const SEED = Number(process.env.CHECK_LAYER_SEED ?? 42);
/**
 * Shared runner parameters. A failure can take very long to shrink (every step runs the brute force
 * and five checkLayer calls), so each property stops after 30 s; a stop counts as a failure and
 * fast-check then reports the smallest counterexample found so far.
 */
const RUN = { seed: SEED, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true };
let mutationsRejected = 0;
const tally = new Map<string, { cases: number; injective: number; ms: number }>();

async function checkAgainstReference(L: Layer): Promise<void> {
  const t0 = performance.now();
  const n = L.W[0].length;
  const label = `${L.family} W=${JSON.stringify(L.W)} b=${JSON.stringify(L.b)} domain=${L.domain}`;
  const ref = await bruteForceInjective(L.W, L.b, L.domain);
  const integer = isIntegerLayer(L);

  // forwardLayer agrees with an independent forward pass.
  const x = Array.from({ length: n }, (_, j) => (j % 2 === 0 ? 0.75 : -1.25) * (j + 1));
  const fy = forwardLayer(L.W, L.b, x);
  ownForward(L.W, L.b, x).forEach((y, i) => expect(fy[i]).toBeCloseTo(y, 9));

  for (const method of ["exhaustive", "branch-and-bound", "auto"] as const) {
    const res = await checkLayer(L.W, L.b, { domain: L.domain, method });
    const tag = `${method}: ${label}`;
    expect(res.injective, `${tag}: verdict differs from brute force (${ref.injective})`).toBe(ref.injective);
    expect(res.domain).toBe(L.domain);
    expect([res.m, res.n]).toEqual([L.W.length, n]);
    if (res.injective === false) expectGoodWitness(L, res, tag);
    if (res.injective === true) expectGoodCertificate(L, res, tag);
    if (integer) expect(res.exact, `${tag}: integer layer not exact`).toBe(true);
  }

  // The partial methods may answer null, but never wrongly; the falsifier never proves injectivity.
  for (const method of ["falsify", "structure", "lemma1"] as const) {
    const res = await checkLayer(L.W, L.b, { domain: L.domain, method });
    const tag = `${method}: ${label}`;
    if (res.injective !== null) expect(res.injective, `${tag}: wrong verdict`).toBe(ref.injective);
    if (method === "falsify") expect(res.injective, `${tag}: falsifier claims injectivity`).not.toBe(true);
    if (res.injective === false) expectGoodWitness(L, res, tag);
    if (res.injective === true) expectGoodCertificate(L, res, tag, false);
  }

  const t = tally.get(L.family) ?? { cases: 0, injective: 0, ms: 0 };
  t.cases++;
  if (ref.injective) t.injective++;
  t.ms += performance.now() - t0;
  tally.set(L.family, t);
}

const property = (arb: fc.Arbitrary<Layer>) => fc.asyncProperty(arb, checkAgainstReference);

describe("checkLayer agrees with the brute-force reference", () => {
  afterAll(() => {
    const lines = [...tally].map(
      ([f, t]) =>
        `${f.padEnd(32)} ${String(t.cases).padStart(4)} cases, ${t.injective} injective, ${t.ms.toFixed(0)} ms`,
    );
    console.log(
      `check-layer property tally:\n${lines.join("\n")}\nmutated certificates required to fail: ${mutationsRejected}`,
    );
  });

  it("fixed cases (paper examples, Lemma 1 counterexample, n = 1)", async () => {
    const fixed: [string, number[][], number[] | undefined][] = [
      [
        "I2",
        [
          [1, 0],
          [0, 1],
        ],
        undefined,
      ],
      [
        "[I; -I]",
        [
          [1, 0],
          [0, 1],
          [-1, 0],
          [0, -1],
        ],
        undefined,
      ],
      [
        "Corollary 2",
        [
          [2, 1],
          [1, 3],
          [-2, -1],
          [-0.5, -1.5],
        ],
        undefined,
      ],
      [
        "Corollary 2 minus a row",
        [
          [2, 1],
          [1, 3],
          [-2, -1],
        ],
        undefined,
      ],
      ["Lemma 1 counterexample", [[1], [-1]], [1, -0.5]],
      ["collapsing interval", [[1], [-1]], [-1, -1]],
      [
        "rank-deficient",
        [
          [1, 1],
          [2, 2],
          [-1, -1],
          [-3, -3],
        ],
        undefined,
      ],
      ["n=1 [2; -3]", [[2], [-3]], undefined],
      ["n=1 [1; 2]", [[1], [2]], undefined],
      [
        "zero row",
        [
          [1, 0],
          [0, 0],
          [0, 1],
          [-1, 0],
          [0, -1],
        ],
        [0, 4, 0, 0, 0],
      ],
      [
        "shifted negative row",
        [
          [1, 0],
          [0, 1],
          [-1, 0],
          [0, -1],
        ],
        [0, 0, -5, 0],
      ],
    ];
    for (const [family, W, b] of fixed)
      for (const domain of ["all", "nonnegative"] as const)
        await checkAgainstReference({ family: `fixed: ${family}`, W, b, domain });
  });
  it("regression: thin or far-away bad cells (found by the float property)", async () => {
    // Each layer is not injective: some open cell of D has active rows of rank < n. Found with
    // CHECK_LAYER_SEED = 1, 5 and 14; the verifier answered null (unknown) on the float layers and
    // gave a witness with relative separation < 1e-6 on the integer one.
    // prettier-ignore
    const cases: [string, number[][], number[] | undefined, Domain][] = [
      // Only row 0 is active on { x > 0 : x2 < 1 + 1e-5 x1 }: F(1, 0.2) = F(1 - 4e-6, 0.6).
      ["orthant, bias", [[1, 1e-5], [-1e-5, 1]], [1, -1], "nonnegative"],
      // Only row 0 is active on the wedge 0 < x2 < 1e-5 x1.
      ["orthant, wedge 1e-5", [[1, 0], [-1e-5, 1]], undefined, "nonnegative"],
      // Shrunk from seed 5 (a wedge of angle about 6e-5).
      ["orthant, seed 5", [[8.100005913004317e-7, 8.100005913004317e-7], [-8.100005913004317e-7, 0.012807729349642425]], undefined, "nonnegative"],
      // Integer wedge 0 < x2 < x1 / 1e5: a witness with relative separation about 7e-6 exists.
      ["orthant, integer wedge", [[1, 1], [-1, 100000]], undefined, "nonnegative"],
      // F(x) = ReLU(10000 - 0.1 x) is 0 for every x >= 1e5.
      ["far cell, n = 1", [[-0.1]], [10000], "all"],
      // Shrunk from seed 1: ReLU(0.0256 - 8.1e-7 x) vanishes for x > 31622.
      ["far cell, seed 1", [[-8.100005913004317e-7], [0]], [0.02561383869810225, 0], "all"],
    ];
    const failures: string[] = [];
    for (const [family, W, b, domain] of cases) {
      try {
        await checkAgainstReference({ family: `regression: ${family}`, W, b, domain });
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    expect(failures).toEqual([]);
  });
  it("small integer entries in [-3, 3]", async () => {
    await fc.assert(property(smallInt), { ...RUN, numRuns: 400 });
  });
  it("duplicated rows", async () => {
    await fc.assert(property(duplicatedArb), { ...RUN, numRuns: 200 });
  });
  it("antiparallel pairs", async () => {
    await fc.assert(property(antiparallelArb), { ...RUN, numRuns: 200 });
  });
  it("rank-deficient W", async () => {
    await fc.assert(property(rankDeficientArb), { ...RUN, numRuns: 100 });
  });
  it("Corollary 2 constructions [B; -DB; M]", async () => {
    await fc.assert(property(corollary2Arb), { ...RUN, numRuns: 200 });
  });
  it("Gaussian-like float entries", async () => {
    await fc.assert(property(floatLayerArb), { ...RUN, numRuns: 250 });
  });
  it("m < 2n", async () => {
    await fc.assert(property(shortArb), { ...RUN, numRuns: 150 });
  });
});
