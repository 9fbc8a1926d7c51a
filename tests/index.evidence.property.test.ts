/**
 * The evidence contract across the API, as a property over random small layers and networks:
 * every `injective: true` carries a certificate that `verifyCertificate` accepts, and every
 * `injective: false` a witness that a forward pass in exact rational arithmetic confirms
 * (`verifyWitness` for a ReLU layer; the independent rationals of tests/reference for networks
 * and linear layers). It covers checkLayer, inverseLipschitz and checkNetwork (its network witness
 * and each layer's own evidence). A verdict without evidence fails.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkLayer,
  checkNetwork,
  inverseLipschitz,
  verifyCertificate,
  verifyWitness,
  type Domain,
  type Network,
} from "../src/index.js";
import { linearCollision } from "../src/network/check-network.js";
import { Fraction } from "../src/core/exact.js";
import { Q, parseQ } from "./reference/exact-reference.js";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);

const entry = fc.integer({ min: -2, max: 2 });
const layerArb = fc
  .record({ n: fc.integer({ min: 1, max: 3 }), m: fc.integer({ min: 1, max: 7 }), bias: fc.boolean() })
  .chain(({ n, m, bias }) =>
    fc.record({
      W: fc.array(fc.array(entry, { minLength: n, maxLength: n }), { minLength: m, maxLength: m }),
      b: bias ? fc.array(entry, { minLength: m, maxLength: m }) : fc.constant(null),
      domain: fc.constantFrom<Domain>("all", "nonnegative"),
    }),
  );

/** The exact point of a witness: its fractions when present, else its doubles. */
function exactPoint(x: number[], exact?: string[]): Q[] {
  return exact ? exact.map(parseQ) : x.map((v) => Q.of(v));
}

/** An exact rational forward pass of a network of dense ReLU / linear layers. */
function exactForward(net: Network, x: Q[]): Q[] {
  let h = x;
  for (const layer of net.layers) {
    const W = layer.W!;
    h = W.map((row, i) => {
      let s = Q.of(layer.b?.[i] ?? 0);
      row.forEach((w, j) => (s = s.add(Q.of(w).mul(h[j]))));
      return layer.activation === "relu" && s.sign < 0 ? Q.of(0) : s;
    });
  }
  return h;
}

const sameQ = (a: Q[], b: Q[]): boolean => a.length === b.length && a.every((v, i) => v.sub(b[i]).sign === 0);

/** Verdicts seen per entry point, so that no property passes on unknowns alone. */
const seen = new Map<string, Set<boolean | null>>();
const saw = (what: string, v: boolean | null): void => {
  seen.set(what, (seen.get(what) ?? new Set()).add(v));
};

/** A layer verdict's evidence re-checks: the certificate for true, the witness for false. */
function expectLayerEvidence(
  W: number[][],
  b: number[] | null,
  domain: Domain,
  r: {
    injective: boolean | null;
    certificate?: unknown;
    witness?: { x1: number[]; x2: number[]; exactX1?: string[]; exactX2?: string[] } | null;
  },
): void {
  if (r.injective === true) {
    expect(r.certificate, "a true without a certificate").toBeTruthy();
    const c = verifyCertificate(W, b, r.certificate as never, { domain });
    expect(c.valid, c.reason).toBe(true);
  } else if (r.injective === false) {
    expect(r.witness, "a false without a witness").toBeTruthy();
    const w = verifyWitness(W, b, r.witness as never, domain);
    expect(w.valid, w.reason).toBe(true);
  }
}

describe("every verdict carries evidence that re-checks", () => {
  it("checkLayer", async () => {
    await fc.assert(
      fc.asyncProperty(layerArb, async ({ W, b, domain }) => {
        const r = await checkLayer(W, b, { domain });
        saw("checkLayer", r.injective);
        expectLayerEvidence(W, b, domain, r);
      }),
      { numRuns: RUNS, seed: 12 },
    );
    expect(seen.get("checkLayer")).toEqual(new Set([true, false]));
  });

  it("inverseLipschitz", async () => {
    await fc.assert(
      fc.asyncProperty(layerArb, async ({ W, b, domain }) => {
        const r = await inverseLipschitz(W, b, { domain, samples: 20, localSearches: 0, cellStarts: 0 });
        saw("inverseLipschitz", r.injective);
        expectLayerEvidence(W, b, domain, r);
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: 13 },
    );
    expect(seen.get("inverseLipschitz")).toEqual(new Set([true, false]));
  });

  it("checkNetwork: the network witness by an exact forward pass, each layer's own evidence", async () => {
    const netArb = fc
      .record({
        n: fc.integer({ min: 1, max: 3 }),
        widths: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 2 }),
        activations: fc.array(fc.constantFrom("relu" as const, "linear" as const), {
          minLength: 2,
          maxLength: 2,
        }),
      })
      .chain(({ n, widths, activations }) => {
        const dims = [n, ...widths];
        return fc
          .tuple(
            ...widths.map((m, l) =>
              fc.record({
                W: fc.array(fc.array(entry, { minLength: dims[l], maxLength: dims[l] }), {
                  minLength: m,
                  maxLength: m,
                }),
                b: fc.array(entry, { minLength: m, maxLength: m }),
              }),
            ),
          )
          .map(
            (layers): Network =>
              ({
                format: "injective-relu/network",
                version: 1,
                inputDim: n,
                layers: layers.map((L, l) => ({ type: "dense", ...L, activation: activations[l] })),
              }) as unknown as Network,
          );
      });
    await fc.assert(
      fc.asyncProperty(netArb, async (net) => {
        const r = await checkNetwork(net, { collisionSearch: false, timeLimitMs: 20_000 });
        saw("checkNetwork", r.injective);
        if (r.injective === false) {
          const w = r.witness!;
          expect(w, "a false without a network witness").toBeTruthy();
          const x1 = exactPoint(w.x1, w.exactX1);
          const x2 = exactPoint(w.x2, w.exactX2);
          expect(sameQ(x1, x2)).toBe(false);
          expect(sameQ(exactForward(net, x1), exactForward(net, x2))).toBe(true);
        }
        for (const L of r.layers) {
          const layer = net.layers[L.index];
          if (L.rule === "relu") expectLayerEvidence(layer.W!, layer.b ?? null, L.domain, L);
          else if (L.injective === false && L.witness) {
            // A linear layer's witness: x1 ≠ x2 with W x1 = W x2 exactly (own rationals).
            const x1 = exactPoint(L.witness.x1, L.witness.exactX1);
            const x2 = exactPoint(L.witness.x2, L.witness.exactX2);
            const one: Network = { ...net, layers: [layer] };
            expect(sameQ(x1, x2)).toBe(false);
            expect(sameQ(exactForward(one, x1), exactForward(one, x2))).toBe(true);
          }
        }
        if (r.injective === true) expect(r.layers.every((L) => L.injective === true)).toBe(true);
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: 14 },
    );
    expect(seen.get("checkNetwork")?.has(true)).toBe(true);
    expect(seen.get("checkNetwork")?.has(false)).toBe(true);
  });

  it("the linear-layer witness rule refuses a pair that does not collide, and the same point twice", () => {
    const W = [[1n, 1n]];
    const f = (a: number, b: number) => [new Fraction(BigInt(a)), new Fraction(BigInt(b))];
    expect(linearCollision(W, { x1: f(1, -1), x2: f(0, 0) }, "all")).toBeNull();
    expect(linearCollision(W, { x1: f(1, 0), x2: f(0, 0) }, "all")).toMatch(/row 0/);
    expect(linearCollision(W, { x1: f(1, 1), x2: f(1, 1) }, "all")).toMatch(/x1 = x2/);
    expect(linearCollision(W, { x1: f(1, -1), x2: f(0, 0) }, "nonnegative")).toMatch(/orthant/);
  });
});
