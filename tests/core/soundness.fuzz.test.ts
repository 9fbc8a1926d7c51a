/**
 * Soundness fuzzing of the layer verifier, certificates and witnesses against an independent EXACT
 * reference (tests/reference/exact-reference.ts: own rationals, Fourier–Motzkin elimination).
 *
 * Layers include the hostile families that broke floating-point verdicts: entries near the double
 * range (1e308, subnormals), 2^30-scaled pairs that are nearly parallel, dead zones of width 1e-10
 * and 1e-300, float-rounded antiparallel pairs, duplicates and integer layers. The properties:
 * - a verdict `true` or `false` of checkLayer agrees with the exact reference; `null` is allowed;
 * - every witness collides exactly (checked with the reference's own arithmetic);
 * - verifyCertificate never accepts a certificate (mutated, forged, or moved to a perturbed layer)
 *   for a layer that the reference finds non-injective on the certificate's domain.
 * Smoke size in `npm test`; FUZZ_RUNS=2000 npx vitest run tests/core/soundness.fuzz.test.ts runs longer.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  checkLayer,
  verifyCertificate,
  verifyWitness,
  type Certificate,
  type Domain,
} from "../../src/core/index.js";
import { exactInjective, exactlyCollide, parseQ } from "../reference/exact-reference.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 9);

interface L {
  W: number[][];
  b: number[] | null;
  domain: Domain;
  family: string;
}

const small = fc.integer({ min: -3, max: 3 });
const shape = fc.record({ n: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: 0, max: 3 }) });
const domainArb = fc.constantFrom<Domain>("all", "nonnegative");

/** Integer rows, then a family-specific transformation of the entries and the bias. */
const layerArb: fc.Arbitrary<L> = fc
  .record({
    shape,
    domain: domainArb,
    family: fc.constantFrom(
      "integer",
      "scaled 1e300",
      "scaled 1e-300",
      "mixed extremes",
      "2^30 pairs",
      "dead zone",
      "float pairs",
      "duplicates",
    ),
    seedRows: fc.array(fc.array(small, { minLength: 3, maxLength: 3 }), { minLength: 9, maxLength: 9 }),
    bias: fc.array(small, { minLength: 9, maxLength: 9 }),
    withBias: fc.boolean(),
    d: fc.integer({ min: 1, max: 99 }),
  })
  .map(({ shape: { n, extra }, domain, family, seedRows, bias, withBias, d }) => {
    const m = Math.max(1, Math.min(8, 2 * n + extra - 1));
    let W = seedRows.slice(0, m).map((r) => r.slice(0, n));
    let b: number[] | null = withBias ? bias.slice(0, m) : null;
    switch (family) {
      case "scaled 1e300":
        W = W.map((r) => r.map((v) => v * 1e300));
        if (b) b = b.map((v) => v * 1e300);
        break;
      case "scaled 1e-300":
        W = W.map((r) => r.map((v) => v * 1e-300));
        if (b) b = b.map((v) => v * 1e-300);
        break;
      case "mixed extremes":
        W = W.map((r, i) => r.map((v, j) => v * (i % 2 === 0 ? 1.7e308 / 3 : 5e-324) * (j + 1)));
        break;
      case "2^30 pairs": {
        // [B; −B] with B = 2^30·(e_1 + small): nearly parallel rows, exactly antiparallel pairs.
        const B = Array.from({ length: n }, (_, i) =>
          Array.from(
            { length: n },
            (_, j) => (j === 0 ? 2 ** 30 : i === j ? 1 : 0) * (i === 0 && j > 0 ? 0 : 1),
          ),
        );
        W = [...B, ...B.map((r) => r.map((v) => -v))].slice(0, Math.max(m, 2 * n));
        b = null;
        break;
      }
      case "dead zone":
        // Pairs (w, −w) with biases (0, −ε): a gap of width ε between them.
        W = [...W.slice(0, n), ...W.slice(0, n).map((r) => r.map((v) => -v))];
        b = W.map((_, i) => (i < n ? 0 : -[1e-10, 1e-300, 0, 1e-16][(i + d) % 4]));
        break;
      case "float pairs":
        // [B; −(d/100)·B]: the products round, so the pairs are only nearly antiparallel.
        W = [...W.slice(0, n), ...W.slice(0, n).map((r) => r.map((v) => -(d / 100) * v * 0.1))].map((r, i) =>
          i < n ? r.map((v) => v * 0.1) : r,
        );
        break;
      case "duplicates":
        W = [...W.slice(0, Math.ceil(m / 2)), ...W.slice(0, Math.floor(m / 2))];
        if (b) b = W.map((_, i) => bias[i % bias.length]);
        break;
    }
    if (b && b.length !== W.length) b = W.map((_, i) => bias[i % bias.length]);
    return { W, b, domain, family };
  })
  .filter((L) => L.W.every((r) => r.every(Number.isFinite)) && (L.b ?? []).every(Number.isFinite));

describe("soundness against an exact reference (fuzz)", () => {
  it("checkLayer's verdicts agree with the exact reference; witnesses collide exactly", async () => {
    const tally = { true: 0, false: 0, null: 0 };
    await fc.assert(
      fc.asyncProperty(layerArb, async (L) => {
        const r = await checkLayer(L.W, L.b, { domain: L.domain, timeLimitMs: 5000 });
        tally[String(r.injective) as "true" | "false" | "null"]++;
        if (r.injective === null && process.env.FUZZ_VERBOSE)
          console.log("null", L.family, L.domain, r.reason.slice(0, 160));
        if (r.injective === null) return;
        const ref = exactInjective(L.W, L.b, L.domain);
        expect(r.injective, `${L.family} ${JSON.stringify(L)}: ${r.reason}`).toBe(ref.injective);
        if (r.injective === false) {
          const w = r.witness!;
          const x1 = (w.exactX1 ?? w.x1).map(parseQ);
          const x2 = (w.exactX2 ?? w.x2).map(parseQ);
          expect(exactlyCollide(L.W, L.b, x1, x2), `${L.family}: witness does not collide`).toBe(true);
          expect(x1.some((v, j) => v.sub(x2[j]).sign !== 0)).toBe(true);
          if (L.domain === "nonnegative") expect([...x1, ...x2].every((v) => v.sign >= 0)).toBe(true);
          expect(verifyWitness(L.W, L.b, w, L.domain).valid).toBe(true);
        } else {
          expect(verifyCertificate(L.W, L.b, r.certificate!).valid).toBe(true);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    if (process.env.FUZZ_VERBOSE) console.log("verdicts", tally);
    // Decided verdicts of both kinds occur (the fuzz means something).
    expect(tally.true).toBeGreaterThan(0);
    expect(tally.false).toBeGreaterThan(0);
  });

  it("never accepts a mutated or transplanted certificate for a non-injective layer", async () => {
    const mutation = fc.record({
      kind: fc.constantFrom(
        "scale weight",
        "huge weight",
        "tiny weight",
        "drop row",
        "swap row",
        "drop dual",
        "perturb layer",
        "extreme layer entry",
        "domain",
      ),
      k: fc.nat(),
      t: fc.nat(),
      f: fc.constantFrom(1e308, 5e-324, 2, 0.5, 1 + 2 ** -52, 0),
    });
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(layerArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), async (L, muts) => {
        const r = await checkLayer(L.W, L.b, { domain: L.domain, timeLimitMs: 5000 });
        if (r.injective !== true) return;
        const cert: Certificate = structuredClone(r.certificate!);
        let W = L.W.map((row) => row.slice());
        for (const mu of muts) {
          const d = cert.duals.length ? cert.duals[mu.k % cert.duals.length] : undefined;
          switch (mu.kind) {
            case "scale weight":
              if (d) d.weights[mu.t % d.weights.length] *= mu.f || 3;
              break;
            case "huge weight":
              if (d) d.weights[mu.t % d.weights.length] = 1e308;
              break;
            case "tiny weight":
              if (d) d.weights[mu.t % d.weights.length] = 5e-324;
              break;
            case "drop row":
              if (d && d.rows.length > 1) {
                const u = mu.t % d.rows.length;
                d.rows.splice(u, 1);
                d.weights.splice(u, 1);
              }
              break;
            case "swap row":
              if (d) d.rows[mu.t % d.rows.length] = mu.k % W.length;
              break;
            case "drop dual":
              if (d) cert.duals.splice(mu.k % cert.duals.length, 1);
              break;
            case "perturb layer": {
              const i = mu.k % W.length;
              const j = mu.t % W[0].length;
              W[i][j] = W[i][j] === 0 ? 2 ** -40 : W[i][j] * (1 + 2 ** -50);
              break;
            }
            case "extreme layer entry":
              W[mu.k % W.length][mu.t % W[0].length] = mu.f === 0 ? -1e308 : mu.f;
              break;
            case "domain":
              cert.domain = cert.domain === "all" ? "nonnegative" : "all";
              break;
          }
        }
        W = W.map((row) => row.map((v) => (Number.isFinite(v) ? v : 1)));
        let valid = false;
        try {
          valid = verifyCertificate(W, L.b, cert).valid;
        } catch (e) {
          // Only input errors (a malformed certificate is an invalid one, not an exception).
          expect((e as { isInputError?: boolean }).isInputError).toBe(true);
        }
        if (!valid) {
          rejected++;
          return;
        }
        accepted++;
        const ref = exactInjective(W, L.b, cert.domain);
        expect(
          ref.injective,
          `accepted a certificate for a non-injective layer: ${JSON.stringify({ W, b: L.b, cert })}`,
        ).toBe(true);
      }),
      { numRuns: RUNS, seed: SEED + 1 },
    );
    if (process.env.FUZZ_VERBOSE) console.log("mutated certificates", { accepted, rejected });
    expect(rejected).toBeGreaterThan(0);
    expect(accepted + rejected).toBeGreaterThan(0);
  });

  it("never accepts forged certificates (random duals, extreme weights) for non-injective layers", () => {
    const forged = fc.record({
      duals: fc.array(
        fc.record({
          rows: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 4 }),
          weights: fc.array(fc.constantFrom(1, 0.5, 1e308, 5e-324, 1 / 3, 2 ** 30), {
            minLength: 4,
            maxLength: 4,
          }),
        }),
        { minLength: 0, maxLength: 5 },
      ),
    });
    fc.assert(
      fc.property(layerArb, forged, (L, f) => {
        const m = L.W.length;
        const n = L.W[0].length;
        const duals = f.duals
          .map((d) => ({ rows: d.rows.filter((i) => i < m), weights: d.weights }))
          .filter((d) => d.rows.length > 0)
          .map((d) => ({ rows: d.rows, weights: d.weights.slice(0, d.rows.length) }));
        const cert: Certificate = { kind: "dual-cover", domain: L.domain, m, n, duals };
        if (!verifyCertificate(L.W, L.b, cert).valid) return;
        expect(exactInjective(L.W, L.b, L.domain).injective).toBe(true);
      }),
      { numRuns: RUNS * 4, seed: SEED + 2 },
    );
  });
});
