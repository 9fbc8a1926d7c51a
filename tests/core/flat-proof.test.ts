/**
 * The branch and bound's proof tree and its replay (src/core/flat-proof.ts): the replay accepts the
 * proofs the search emits where they are proofs, never accepts a wrong one (checked against the
 * exhaustive search), and rejects tampered proofs: a dropped branch, a wrong dual, a row that is
 * not one of its dual's allowed rows, a forbidden row that was never branched on.
 */

import { describe, it, expect, vi } from "vitest";
import fc from "fast-check";
import { FlatSearch } from "../../src/core/flat-search.js";
import {
  PROOF_TOKEN,
  decodeFlatProof,
  encodeFlatProof,
  replayFlatProof,
  type FlatProof,
} from "../../src/core/flat-proof.js";
import { exactCover, exactDualProblem, verifyCertificate } from "../../src/core/certificate.js";
import { dyadicRows, type IntegerLayer } from "../../src/core/exact.js";
import { PRIMES } from "../../src/core/modular.js";
import { normalizeLayer } from "../../src/core/layer.js";
import { checkLayer } from "../../src/core/check-layer.js";
import { gaussianLayer } from "../../src/experiments/phase.js";
import type { Domain } from "../../src/core/types.js";
import { degenerateCaseArb, exactRank, exhaustiveFindsCollision } from "../support/degenerate-layers.js";

const SEED = Number(process.env.CHECK_LAYER_SEED ?? 42);
const TOL = 1e-9;

const caseArb = degenerateCaseArb({ minN: 3, maxN: 6, maxExtra: 12, copy: 0.2, zero: 0.25 });

interface Recorded {
  ints: IntegerLayer;
  supports: number[][];
  proof: FlatProof;
  /** Every dual's exact algebra holds and no node was left unsettled. */
  clean: boolean;
}

/** The branch and bound with its proof, or null when it stopped at a witness candidate. */
function record(W: number[][], b: number[], domain: Domain, packingBound: boolean): Recorded | null {
  const layer = normalizeLayer(W, b);
  const search = new FlatSearch(layer, domain, TOL, { packingBound, record: true });
  while (!search.done) if (search.step(1000)) return null;
  const ints = dyadicRows(W, b);
  const duals = search.duals.map((d) => {
    const order = Array.from(d.rows, (_, t) => t).sort(
      (a, c) => layer.index[d.rows[a]] - layer.index[d.rows[c]],
    );
    // Weights on unit rows, as weights on the original rows.
    const w = order.map((t) => d.weights[t] / Math.hypot(...W[layer.index[d.rows[t]]]));
    const s = w.reduce((a, v) => a + v, 0);
    return { rows: order.map((t) => layer.index[d.rows[t]]), weights: w.map((v) => v / s) };
  });
  const c = search.counters;
  const clean =
    c.rejectedDuals === 0 &&
    c.skippedNodes === 0 &&
    duals.every((d) => exactDualProblem(ints, d, domain, TOL) === null);
  return { ints, supports: duals.map((d) => d.rows), proof: search.proof()!, clean };
}

const T = PROOF_TOKEN;

/** A node of a proof found by {@link walk}: where it starts and ends, and the rows of its path. */
interface ProofNode {
  start: number;
  end: number;
  kind: number;
  path: number[];
}

/** Every node of a proof (without subproofs), in preorder. */
function walk(tokens: Int32Array): ProofNode[] {
  const out: ProofNode[] = [];
  const node = (pos: number, path: number[]): number => {
    const kind = tokens[pos];
    const entry: ProofNode = { start: pos, end: -1, kind, path };
    out.push(entry);
    let p: number;
    if (kind === T.BRANCH) {
      const c = tokens[pos + 2];
      const rows = Array.from(tokens.subarray(pos + 3, pos + 3 + c));
      p = pos + 3 + c;
      for (const e of rows) p = tokens[p] === T.SKIP ? p + 2 : node(p, [...path, e]);
    } else if (kind === T.RANK || kind === T.FORB) p = pos + 2;
    else if (kind === T.PACK) p = pos + 2 + tokens[pos + 1];
    else p = pos + 1;
    entry.end = p;
    return p;
  };
  const end = node(0, []);
  expect(end).toBe(tokens.length);
  return out;
}

function splice(tokens: Int32Array, start: number, end: number, insert: number[]): Int32Array {
  return Int32Array.from([...tokens.subarray(0, start), ...insert, ...tokens.subarray(end)]);
}

describe("replaying the branch and bound's proof", () => {
  it("accepts every proof of an integer layer without the packing bound; what it accepts is injective", () => {
    let accepted = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        if (exactRank(c.W) < c.W[0].length) return;
        const rec = record(c.W, c.b, c.domain, false);
        if (!rec) return;
        const r = replayFlatProof(rec.ints, rec.supports, c.W[0].length, rec.proof);
        const integer = c.W.every((row) => row.every(Number.isInteger));
        if (integer && rec.clean) expect(r.valid, `${r.reason} ${JSON.stringify(c)}`).toBe(true);
        if (r.valid) {
          accepted++;
          expect(exhaustiveFindsCollision(c), JSON.stringify(c)).toBe(false);
        }
      }),
      { numRuns: 1500, seed: SEED },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it("with the packing bound, never accepts a proof of a layer that has a collision", () => {
    let accepted = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        if (exactRank(c.W) < c.W[0].length) return;
        const rec = record(c.W, c.b, c.domain, true);
        if (!rec) return;
        const r = replayFlatProof(rec.ints, rec.supports, c.W[0].length, rec.proof);
        const collision = exhaustiveFindsCollision(c);
        if (r.valid) {
          accepted++;
          expect(collision, JSON.stringify(c)).toBe(false);
        }
      }),
      { numRuns: 1500, seed: SEED },
    );
    // (Packing cuts are often wrong on these degenerate layers, so many proofs fail; enough pass.)
    expect(accepted).toBeGreaterThan(80);
  });

  it("refuses a packing step that is wrong because the rows are not in general position", async () => {
    // Three antiparallel pairs in the plane x3 = 0 are three disjoint duals; the plane meets all
    // three, and at x = (0, 0, −1) every row but the last is 0 and the last is −1: a collision.
    const W = [
      [1, 0, 0],
      [-1, 0, 0],
      [0, 1, 0],
      [0, -1, 0],
      [1, 1, 0],
      [-1, -1, 0],
      [0, 0, 1],
    ];
    const b = new Array<number>(7).fill(0);
    const pairs = [0, 2, 4].map((i) => ({
      rows: Int32Array.from([i, i + 1]),
      weights: Float64Array.from([0.5, 0.5]),
    }));
    const search = new FlatSearch(normalizeLayer(W, b), "all", TOL, { duals: pairs, record: true });
    expect(search.step(1000)).toBeNull();
    expect(search.done).toBe(true);
    expect(search.counters.cutByBound).toBe(1);
    const proof = search.proof()!;
    expect(Array.from(proof.tokens)).toEqual([T.PACK, 3, 0, 1, 2]);
    const r = replayFlatProof(
      dyadicRows(W, b),
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
      3,
      proof,
    );
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/dependent/);
    // And checkLayer finds the collision.
    const check = await checkLayer(W, null, { method: "branch-and-bound" });
    expect(check.injective).toBe(false);
  });

  it("accepts the proofs of Gaussian layers (rows in general position), packing steps included", () => {
    let packs = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const n = 4 + (seed % 4);
      const m = Math.round(n * (5 + (seed % 3)));
      const { W } = gaussianLayer(n, m, false, seed);
      const rec = record(W, new Array<number>(m).fill(0), "all", true);
      if (!rec) continue;
      const r = replayFlatProof(rec.ints, rec.supports, n, rec.proof);
      expect(r.valid, r.reason).toBe(true);
      packs += r.packs.reduce((a, v) => a + v, 0);
    }
    expect(packs).toBeGreaterThan(50);
  });
});

describe("a dependence modulo the prime only", () => {
  it("is replayed modulo another prime, in the subtree where it happened", () => {
    // Rows a = (1, 0, 0) and b = (1, p, 0) are independent, but parallel modulo p = PRIMES[0]:
    // the packing step below row c = (0, 0, 1) fails mod p and holds modulo the next prime.
    const p = PRIMES[0];
    const W = [
      [1, 0, 0],
      [1, p, 0],
      [0, 0, 1],
    ];
    const ints = dyadicRows(W, [0, 0, 0]);
    const tokens = Int32Array.from([T.BRANCH, 0, 1, 2, T.PACK, 2, 1, 2]);
    const r = replayFlatProof(ints, [[2], [0], [1]], 3, { tokens });
    expect(r.valid, r.reason).toBe(true);
    expect(r.otherPrimes).toBe(1);
    // Truly parallel rows fail under every prime.
    const parallel = dyadicRows(
      [
        [1, 0, 0],
        [2, 0, 0],
        [0, 0, 1],
      ],
      [0, 0, 0],
    );
    const bad = replayFlatProof(parallel, [[2], [0], [1]], 3, { tokens });
    expect(bad.valid).toBe(false);
    expect(bad.reason).toMatch(/every prime/);
  });
});

describe("tampered proofs are rejected", () => {
  const { W } = gaussianLayer(6, 36, false, 3);
  const rec = record(W, new Array<number>(36).fill(0), "all", true)!;
  const n = 6;
  const nodes = walk(rec.proof.tokens);
  const replay = (tokens: Int32Array, supports = rec.supports) =>
    replayFlatProof(rec.ints, supports, n, { tokens });

  it("the untampered proof holds", () => {
    expect(rec.clean).toBe(true);
    expect(replay(rec.proof.tokens).valid).toBe(true);
    expect(nodes.filter((x) => x.kind === T.BRANCH).length).toBeGreaterThan(20);
  });

  it("a dropped branch (the last child of a node and its row)", () => {
    let tried = 0;
    for (const x of nodes) {
      if (x.kind !== T.BRANCH || rec.proof.tokens[x.start + 2] < 2 || tried >= 40) continue;
      const t = rec.proof.tokens;
      const c = t[x.start + 2];
      // The last child's extent: walk the children.
      const kids = nodes.filter(
        (y) => y.path.length === x.path.length + 1 && y.start > x.start && y.end <= x.end,
      );
      const last = kids[kids.length - 1];
      if (!last || last.path[last.path.length - 1] !== t[x.start + 3 + c - 1]) continue;
      const cut = splice(t, last.start, last.end, []);
      const tampered = splice(cut, x.start + 2, x.start + 3 + c, [
        c - 1,
        ...t.subarray(x.start + 3, x.start + 3 + c - 1),
      ]);
      const r = replay(tampered);
      expect(r.valid).toBe(false);
      expect(r.reason).toMatch(/allowed rows/);
      tried++;
    }
    expect(tried).toBeGreaterThan(10);
  });

  it("a wrong dual: a leaf's dual replaced by one that meets the flat", () => {
    let tried = 0;
    for (const x of nodes) {
      if ((x.kind !== T.RANK && x.kind !== T.PACK) || x.path.length === 0 || tried >= 40) continue;
      const met = rec.supports.findIndex((s) => s.includes(x.path[x.path.length - 1]));
      if (met < 0) continue;
      const at = x.kind === T.RANK ? x.start + 1 : x.start + 2;
      const t = Int32Array.from(rec.proof.tokens);
      t[at] = met;
      const r = replay(t);
      expect(r.valid).toBe(false);
      expect(r.reason).toMatch(/span|dependent/);
      tried++;
    }
    expect(tried).toBeGreaterThan(10);
  });

  it("a branch over a row that is not an allowed row of its dual", () => {
    let tried = 0;
    for (const x of nodes) {
      if (x.kind !== T.BRANCH || tried >= 40) continue;
      const t = Int32Array.from(rec.proof.tokens);
      const support = rec.supports[t[x.start + 1]];
      const outside = [...Array(36).keys()].find((r) => !support.includes(r))!;
      t[x.start + 3] = outside;
      expect(replay(t).valid).toBe(false);
      tried++;
    }
    expect(tried).toBeGreaterThan(10);
  });

  it("a forbidden row that was never branched on, and a dual shrunk after the fact", () => {
    // SKIP f claims the child is empty because f is forbidden there: f was never branched on.
    const x = nodes.find((y) => y.kind === T.BRANCH)!;
    const t = rec.proof.tokens;
    const first = x.start + 3 + t[x.start + 2];
    const child = nodes.find((y) => y.start === first)!;
    const neverBranched = [...Array(36).keys()].find((r) => !x.path.includes(r) && r !== t[x.start + 3])!;
    const r = replay(splice(t, child.start, child.end, [T.SKIP, neverBranched]));
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/not forbidden/);
    // A dual without one of its rows (a certificate edited after the search): the branches on it no longer match.
    const used = t[x.start + 1];
    const supports = rec.supports.map((s, k) => (k === used ? s.slice(1) : s));
    expect(replay(t, supports).valid).toBe(false);
  });

  it("a packing step over a repeated dual, truncated and padded proofs, unknown entries", () => {
    const t = rec.proof.tokens;
    const pack = nodes.find((y) => y.kind === T.PACK)!;
    const twice = Int32Array.from(t);
    twice[pack.start + 3] = twice[pack.start + 2];
    expect(replay(twice).valid).toBe(false);
    expect(replay(t.subarray(0, t.length - 1)).valid).toBe(false);
    expect(replay(Int32Array.from([...t, T.INCOMPLETE])).valid).toBe(false);
    const unknown = Int32Array.from(t);
    unknown[pack.start] = -99;
    expect(replay(unknown).valid).toBe(false);
    const incomplete = splice(t, pack.start, pack.end, [T.INCOMPLETE]);
    expect(replay(incomplete).reason).toMatch(/unsettled/);
  });
});

describe("nodes the search left unsettled", () => {
  const { W } = gaussianLayer(6, 36, false, 3);
  const rec = record(W, new Array<number>(36).fill(0), "all", true)!;
  const n = 6;
  const nodes = walk(rec.proof.tokens);
  /** The proof with these leaves replaced by INCOMPLETE (from the last, so offsets stay valid). */
  const unsettle = (leaves: ProofNode[]): Int32Array => {
    let t = rec.proof.tokens;
    for (const x of [...leaves].sort((a, b) => b.start - a.start))
      t = splice(t, x.start, x.end, [T.INCOMPLETE]);
    return t;
  };

  it("fail the replay, or with `unsettled` are listed at their nodes while the rest still replays", () => {
    const leaves = nodes.filter((x) => x.kind === T.PACK || x.kind === T.RANK).slice(0, 5);
    expect(leaves).toHaveLength(5);
    const tokens = unsettle(leaves);
    expect(replayFlatProof(rec.ints, rec.supports, n, { tokens }).valid).toBe(false);
    const r = replayFlatProof(rec.ints, rec.supports, n, { tokens }, undefined, { unsettled: true });
    expect(r.valid, r.reason).toBe(true);
    expect(r.unsettled!.map((u) => u.path)).toEqual(leaves.map((x) => x.path));
    // Each listed node carries the rows forbidden there: a node's later siblings see its row forbidden.
    for (const u of r.unsettled!) for (const f of u.forbidden) expect(u.path).not.toContain(f);
    // The option does not excuse anything else: a wrong dual elsewhere still fails.
    const other = nodes.find((x) => x.kind === T.RANK && !leaves.includes(x) && x.path.length > 0)!;
    const met = rec.supports.findIndex((sup) => sup.includes(other.path[other.path.length - 1]));
    const t2 = Int32Array.from(rec.proof.tokens);
    t2[other.start + 1] = met;
    expect(
      replayFlatProof(rec.ints, rec.supports, n, { tokens: t2 }, undefined, { unsettled: true }).valid,
    ).toBe(false);
  });

  it("verifyCertificate settles them by the cover check of their flats alone; an uncovered node is invalid", async () => {
    const { W: W2 } = gaussianLayer(6, 40, false, 5);
    const r = await checkLayer(W2, null, { method: "branch-and-bound", proof: true });
    expect(r.injective).toBe(true);
    const cert = r.certificate!;
    const proof = decodeFlatProof(cert.proof);
    const leaves = walk(proof.tokens).filter((x) => x.kind === T.PACK || x.kind === T.RANK);
    let t = proof.tokens;
    for (const x of leaves.slice(0, 3).sort((a, b) => b.start - a.start))
      t = splice(t, x.start, x.end, [T.INCOMPLETE]);
    const v = verifyCertificate(W2, null, { ...cert, proof: encodeFlatProof({ tokens: t }) });
    expect(v.valid, v.reason).toBe(true);
    expect(v.reason).toMatch(/3 node\(s\) it left unsettled were settled by the cover check/);
    expect(v.coverNodes).toBeGreaterThan(0);
    // The whole tree unsettled: the cover check of the root, that is of every flat. With three of
    // the duals only, some flat is uncovered, and the certificate is invalid.
    const root = encodeFlatProof({ tokens: Int32Array.from([T.INCOMPLETE]) });
    expect(verifyCertificate(W2, null, { ...cert, proof: root }).valid).toBe(true);
    const few = cert.duals.slice(0, 3);
    expect(
      exactCover(
        dyadicRows(W2, new Array<number>(40).fill(0)),
        few.map((d) => d.rows),
        6,
      ).uncovered,
    ).not.toBeNull();
    const invalid = verifyCertificate(W2, null, { ...cert, duals: few, proof: root });
    expect(invalid.valid).toBe(false);
    expect(invalid.reason).toMatch(/left unsettled/);
  });
});

describe("a proof longer than its limit", () => {
  it("is dropped, and the search's verdict is the same", () => {
    const { W } = gaussianLayer(7, 49, false, 2);
    const layer = normalizeLayer(W, new Array<number>(49).fill(0));
    const run = (recordLimit: number) => {
      const search = new FlatSearch(layer, "all", TOL, { record: true, recordLimit });
      while (!search.done) expect(search.step(1000)).toBeNull();
      return search;
    };
    const full = run(2 ** 26);
    expect(full.proof()!.tokens.length).toBeGreaterThan(8192);
    const capped = run(8192);
    expect(capped.proof()).toBeNull();
    expect(capped.duals.length).toBe(full.duals.length);
  });
});

describe("checkLayer re-checks the branch and bound by its proof", () => {
  it("says so in the stats and the reason, with the same verdict", async () => {
    const { W } = gaussianLayer(7, 49, false, 2);
    const r = await checkLayer(W, null, { method: "branch-and-bound" });
    expect(r.injective).toBe(true);
    expect(r.stats.recheckBy).toBe("proof replay");
    expect(r.stats.proofNodes).toBeGreaterThan(0);
    expect(r.reason).toMatch(/replaying the search's tree/);
  });

  it("settles a node left unsettled at rank n − 1 exactly, also after a search with the packing bound", async () => {
    // Every LP dual that would rule out one hyperplane H of the rows is made to fail its float
    // check, as one dual of a 69 × 12 Gaussian layer did: the search leaves those nodes unsettled
    // and no dual of the certificate misses H. The re-check settles H exactly (a new dual) instead
    // of falling back to the whole cover check and a second search without the packing bound.
    const { W } = gaussianLayer(7, 49, false, 2);
    type Search = { depth: number; n: number; inLevel: Int32Array };
    const proto = FlatSearch.prototype as unknown as {
      dualHolds(this: Search, rows: number[], w: number[]): boolean;
    };
    const real = proto.dualHolds;
    let onH: Set<number> | null = null;
    let refused = 0;
    const spy = vi.spyOn(proto, "dualHolds").mockImplementation(function (this: Search, rows, w) {
      if (!onH && this.depth === this.n - 1) {
        onH = new Set();
        for (let i = 0; i < this.inLevel.length; i++) if (this.inLevel[i] >= 0) onH.add(i);
      }
      if (onH && rows.every((i) => !onH!.has(i))) {
        refused++;
        return false;
      }
      return real.call(this, rows, w);
    });
    try {
      const r = await checkLayer(W, null, { method: "branch-and-bound" });
      expect(refused).toBeGreaterThan(0);
      expect(r.injective).toBe(true);
      expect(r.stats.recheckBy).toBe("proof replay");
      // (Each refused LP dual is asked twice: as the LP gave it and refined.)
      expect(r.stats.unsettledNodes).toBe(refused / 2);
      expect(r.stats.repairs).toBeGreaterThanOrEqual(1);
      expect(r.reason).toMatch(/settled exactly/);
      // The certificate, with the repair's dual, passes the independent check.
      expect(verifyCertificate(W, null, r.certificate!).valid).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("proofs in certificate files", () => {
  it("encode and decode every list of 32-bit entries, with subproofs", () => {
    const entries = fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 60 });
    fc.assert(
      fc.property(entries, fc.array(entries, { maxLength: 3 }), (top, subs) => {
        const proof: FlatProof = {
          tokens: Int32Array.from(top),
          ...(subs.length ? { subproofs: subs.map((t) => ({ tokens: Int32Array.from(t) })) } : {}),
        };
        const back = decodeFlatProof(JSON.parse(JSON.stringify(encodeFlatProof(proof))));
        expect(Array.from(back.tokens)).toEqual(top);
        expect((back.subproofs ?? []).map((p) => Array.from(p.tokens))).toEqual(subs);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it("reject malformed encodings with a one-line reason", () => {
    const good = encodeFlatProof({ tokens: Int32Array.from([-1, 3, 2, 300, -70000]) });
    const cases: [unknown, RegExp][] = [
      [null, /not an object/],
      [{ ...good, format: "x" }, /format/],
      [{ ...good, tokens: "abc" }, /base64/],
      [{ ...good, length: 1, tokens: "ab!d" }, /not base64/],
      [{ ...good, length: 4 }, /more entries|decoded/],
      [{ ...good, length: 6 }, /decoded/],
      [{ ...good, length: -1 }, /length/],
      [{ ...good, length: 1, tokens: "////////////" }, /too long/],
      [{ ...good, subproofs: {} }, /array/],
      [{ ...good, subproofs: [{ ...good, subproofs: [good] }] }, /one level/],
    ];
    for (const [value, why] of cases) {
      expect(() => decodeFlatProof(value)).toThrow(why);
      try {
        decodeFlatProof(value);
      } catch (e) {
        expect((e as Error).message).not.toContain("\n");
      }
    }
  });

  it("verifyCertificate replays a certificate's proof, and falls back to the cover check when it does not hold", async () => {
    const { W } = gaussianLayer(6, 40, false, 5);
    const r = await checkLayer(W, null, { method: "branch-and-bound", proof: true });
    expect(r.injective).toBe(true);
    const cert = r.certificate!;
    expect(cert.proof).toBeDefined();
    const v = verifyCertificate(W, null, cert);
    expect(v.valid, v.reason).toBe(true);
    expect(v.proofNodes).toBeGreaterThan(0);
    expect(v.coverNodes).toBe(0);
    // A proof for another layer's search does not hold here: the cover check decides.
    const other = await checkLayer(gaussianLayer(6, 40, false, 6).W, null, {
      method: "branch-and-bound",
      proof: true,
    });
    const swapped = verifyCertificate(W, null, { ...cert, proof: other.certificate!.proof! });
    expect(swapped.valid).toBe(true);
    expect(swapped.coverNodes).toBeGreaterThan(0);
    expect(swapped.reason).toMatch(/does not hold/);
    // Without the duals it names, a proof proves nothing: a certificate cut down to its first dual
    // is invalid (one dual cannot rule out every hyperplane; a single dropped dual may be redundant,
    // such as one the search found among forbidden rows).
    const short = verifyCertificate(W, null, { ...cert, duals: cert.duals.slice(0, 1) });
    expect(short.valid).toBe(false);
    expect(short.proofNodes ?? 0).toBe(0);
  });
});
