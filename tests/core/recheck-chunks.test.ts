/**
 * The re-checks in pieces (src/core/recheck-chunks.ts): the replay in pieces gives the verdict,
 * node count and packing counts of the whole replay, never accepts what the whole replay refuses,
 * and stops when its pause throws; the cover check in pieces agrees with the cover check in one
 * piece, at the root and at a node; checkLayer reports the replay's progress and can be cancelled
 * in the middle of it.
 */

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { checkLayer } from "../../src/core/check-layer.js";
import {
  exactCover,
  exactCoverAt,
  verifyCertificate,
  verifyCertificateAsync,
} from "../../src/core/certificate.js";
import { encodeFlatProof } from "../../src/core/flat-proof.js";
import { dyadicRows, type IntegerLayer } from "../../src/core/exact.js";
import {
  PROOF_TOKEN,
  decodeFlatProof,
  proofLength,
  replayFlatProof,
  replayProofSubtree,
  splitFlatProof,
  type FlatProof,
  type ReplayCounts,
} from "../../src/core/flat-proof.js";
import { balancedBatches, coverInChunks, replayInChunks } from "../../src/core/recheck-chunks.js";
import { gaussianLayer } from "../../src/experiments/phase.js";

interface Case {
  W: number[][];
  ints: IntegerLayer;
  supports: number[][];
  proof: FlatProof;
  n: number;
}

/** Injective Gaussian layers with their certificates' proofs. */
async function cases(): Promise<Case[]> {
  const out: Case[] = [];
  for (const [n, m, seed] of [
    [5, 30, 1],
    [5, 34, 2],
    [6, 36, 3],
    [6, 40, 5],
    [7, 42, 6],
    [7, 46, 8],
  ]) {
    const { W } = gaussianLayer(n, m, false, seed);
    const r = await checkLayer(W, null, { method: "branch-and-bound", proof: true });
    if (r.injective !== true || !r.certificate?.proof) continue;
    out.push({
      W,
      ints: dyadicRows(W, new Array<number>(m).fill(0)),
      supports: r.certificate.duals.map((d) => d.rows),
      proof: decodeFlatProof(r.certificate.proof),
      n,
    });
  }
  return out;
}

const all = await cases();

describe("splitting a proof", () => {
  it("cuts out subtrees of at most the size asked for, and keeps every entry", () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const c of all) {
      for (const k of [16, 64, 500]) {
        const split = splitFlatProof(c.proof, k, 4);
        if (c.proof.tokens.length <= k) {
          expect(split).toBe(c.proof);
          continue;
        }
        const subs = split.subproofs ?? [];
        expect(subs.length).toBeGreaterThan(0);
        for (const s of subs) expect(s.tokens.length).toBeLessThanOrEqual(k);
        const delegates = split.tokens.filter((t) => t === PROOF_TOKEN.DELEGATE).length;
        expect(delegates).toBe(subs.length);
        // Each cut-out subtree leaves one DELEGATE entry in its place.
        expect(proofLength(split)).toBe(c.proof.tokens.length + delegates);
      }
    }
  });

  it("returns a proof it cannot parse unchanged (the replay rejects it)", () => {
    const c = all[0];
    for (const tokens of [
      c.proof.tokens.slice(0, c.proof.tokens.length - 3),
      Int32Array.from([...c.proof.tokens, PROOF_TOKEN.RANK]),
      Int32Array.from([PROOF_TOKEN.BRANCH, 0, 1e6, ...c.proof.tokens]),
      Int32Array.from([-99, ...c.proof.tokens]),
    ]) {
      const proof = { tokens };
      expect(splitFlatProof(proof, 16)).toBe(proof);
    }
    // Subproofs that no DELEGATE uses.
    const extra = {
      tokens: c.proof.tokens,
      subproofs: [{ tokens: Int32Array.from([PROOF_TOKEN.INCOMPLETE]) }],
    };
    expect(splitFlatProof(extra, 16)).toBe(extra);
  });
});

describe("hostile proofs", () => {
  it("are split without throwing, and never replay as valid (random entries, deep nesting)", async () => {
    const c = all[0];
    const m = c.W.length;
    const deep = (levels: number): Int32Array => {
      const t: number[] = [];
      for (let k = 0; k < levels; k++) t.push(PROOF_TOKEN.BRANCH, 0, 1, k % m);
      t.push(PROOF_TOKEN.INCOMPLETE);
      return Int32Array.from(t);
    };
    for (const tokens of [deep(100), deep(600), deep(5000)]) {
      expect(() => splitFlatProof({ tokens }, 16)).not.toThrow();
      const r = await replayInChunks(c.ints, c.supports, c.n, { tokens }, undefined, {
        chunkTokens: 16,
        pause: async () => undefined,
      });
      expect(r.valid).toBe(false);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -8, max: m + 3 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 16, max: 64 }),
        async (entries, chunkTokens) => {
          const tokens = Int32Array.from(entries);
          const whole = replayFlatProof(c.ints, c.supports, c.n, { tokens });
          const r = await replayInChunks(c.ints, c.supports, c.n, { tokens }, undefined, {
            chunkTokens,
            pause: async () => undefined,
          });
          expect(!r.valid || whole.valid).toBe(true);
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe("the replay in pieces", () => {
  it("gives the whole replay's verdict, nodes and packing counts, with a pause between pieces", async () => {
    for (const c of all) {
      const whole = replayFlatProof(c.ints, c.supports, c.n, c.proof, undefined, { unsettled: true });
      expect(whole.valid, whole.reason).toBe(true);
      for (const chunkTokens of [16, 100, 1 << 20]) {
        let pauses = 0;
        const r = await replayInChunks(c.ints, c.supports, c.n, c.proof, undefined, {
          chunkTokens,
          unsettled: true,
          pause: async () => {
            pauses++;
          },
        });
        expect(r.valid, r.reason).toBe(true);
        expect(r.nodes).toBe(whole.nodes);
        expect(r.packs).toEqual(whole.packs);
        if (proofLength(c.proof) > chunkTokens) expect(pauses).toBeGreaterThan(2);
        else expect(pauses).toBe(0);
      }
    }
  });

  it("hands the pieces to a pool in balanced batches, with the same node count", async () => {
    for (const c of all.slice(0, 3)) {
      const whole = replayFlatProof(c.ints, c.supports, c.n, c.proof);
      let farmed = 0;
      const r = await replayInChunks(c.ints, c.supports, c.n, c.proof, undefined, {
        chunkTokens: 40,
        pause: async () => undefined,
        farm: async (pieces): Promise<ReplayCounts> => {
          farmed = pieces.length;
          const batches = balancedBatches(pieces, 4);
          expect(batches.flat()).toHaveLength(pieces.length);
          const loads = batches.map((b) => b.reduce((s, p) => s + proofLength(p.proof), 0));
          // Largest first, each to the lightest batch: no batch exceeds another by more than a piece.
          expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(40);
          let nodes = 0;
          for (const p of batches.flat()) {
            const s = replayProofSubtree(c.ints, c.supports, c.n, p);
            if (!s.valid) return { valid: false, reason: s.reason, nodes };
            nodes += s.nodes;
          }
          return { valid: true, reason: "", nodes };
        },
      });
      expect(farmed).toBeGreaterThan(1);
      expect(r.valid, r.reason).toBe(true);
      expect(r.nodes).toBe(whole.nodes);
    }
  });

  it("replays a proof with subproofs (a parallel search's) in pieces", async () => {
    const c = all[all.length - 1];
    const withSubs = splitFlatProof(c.proof, 200, 20);
    expect(withSubs.subproofs?.length).toBeGreaterThan(1);
    const whole = replayFlatProof(c.ints, c.supports, c.n, withSubs);
    const r = await replayInChunks(c.ints, c.supports, c.n, withSubs, undefined, {
      chunkTokens: 30,
      pause: async () => undefined,
    });
    expect(whole.valid && r.valid).toBe(true);
    expect(r.nodes).toBe(whole.nodes);
  });

  it("never accepts a tampered proof that the whole replay refuses", async () => {
    const c = all[2];
    const len = c.proof.tokens.length;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: len - 1 }),
        fc.integer({ min: -7, max: c.W.length + 2 }),
        fc.integer({ min: 16, max: 300 }),
        async (pos, value, chunkTokens) => {
          const tokens = Int32Array.from(c.proof.tokens);
          tokens[pos] = value;
          const whole = replayFlatProof(c.ints, c.supports, c.n, { tokens });
          const r = await replayInChunks(c.ints, c.supports, c.n, { tokens }, undefined, {
            chunkTokens,
            pause: async () => undefined,
          });
          if (!whole.valid) refused++;
          expect(!r.valid || whole.valid).toBe(true);
        },
      ),
      { numRuns: 300, seed: 14 },
    );
    expect(refused).toBeGreaterThan(50);
  });

  it("stops when its pause throws (a cancel or a time limit)", async () => {
    const c = all[all.length - 1];
    let pauses = 0;
    const stop = new Error("cancelled");
    await expect(
      replayInChunks(c.ints, c.supports, c.n, c.proof, undefined, {
        chunkTokens: 16,
        pause: async () => {
          if (++pauses === 3) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(pauses).toBe(3);
  });
});

describe("the cover check in pieces", () => {
  it("agrees with the cover check in one piece, at the root and at a node", async () => {
    for (const c of all) {
      for (const supports of [c.supports, c.supports.slice(0, Math.ceil(c.supports.length / 3))]) {
        let pauses = 0;
        const pause = async (): Promise<void> => {
          pauses++;
        };
        const one = exactCover(c.ints, supports, c.n);
        const pieces = (await coverInChunks(c.ints, supports, c.n, null, undefined, pause))!;
        expect(pieces.uncovered === null).toBe(one.uncovered === null);
        if (one.uncovered === null) {
          expect(pieces.nodes).toBeGreaterThanOrEqual(one.nodes);
          expect(pauses).toBeGreaterThan(1);
        }
        // At a node: the flats through the first support's first row, with its second row forbidden.
        const node = { path: [supports[0][0]], forbidden: [supports[0][1]] };
        const at = exactCoverAt(c.ints, supports, c.n, node);
        const atPieces = await coverInChunks(
          c.ints,
          supports,
          c.n,
          { chosen: node.path, forbidden: node.forbidden },
          undefined,
          pause,
        );
        expect(at).not.toBeNull();
        expect(atPieces!.uncovered === null).toBe(at!.uncovered === null);
      }
    }
  });

  it("cannot start at a node whose path leaves the supports (as exactCoverAt)", async () => {
    const c = all[0];
    const few = c.supports.slice(0, 2);
    const outside = c.W.map((_, i) => i).find((i) => !few.some((s) => s.includes(i)))!;
    expect(outside).toBeDefined();
    const start = { chosen: [outside], forbidden: [] };
    expect(exactCoverAt(c.ints, few, c.n, { path: [outside], forbidden: [] })).toBeNull();
    expect(await coverInChunks(c.ints, few, c.n, start, undefined, async () => undefined)).toBeNull();
  });
});

describe("verifyCertificateAsync", () => {
  const { W } = gaussianLayer(9, 60, false, 7);

  it("gives verifyCertificate's answers, with progress, and stops when cancelled", async () => {
    const small = all[all.length - 1];
    const rs = await checkLayer(small.W, null, { proof: true });
    const cert = rs.certificate!;
    const proof = decodeFlatProof(cert.proof);
    const tampered = Int32Array.from(proof.tokens);
    tampered[tampered.length - 2] = tampered[tampered.length - 2] === 0 ? 1 : 0;
    const variants = [
      cert,
      { ...cert, proof: undefined },
      { ...cert, proof: encodeFlatProof({ tokens: tampered }) },
      { ...cert, duals: cert.duals.slice(0, 40), proof: undefined },
      { ...cert, duals: cert.duals.slice(1) },
    ];
    const valid: boolean[] = [];
    for (const v of variants) {
      const sync = verifyCertificate(small.W, null, v);
      const async_ = await verifyCertificateAsync(small.W, null, v);
      expect(async_.valid, async_.reason).toBe(sync.valid);
      expect(async_.reason).toBe(sync.reason);
      expect(async_.proofNodes).toBe(sync.proofNodes);
      valid.push(sync.valid);
    }
    expect(valid.slice(0, 4)).toEqual([true, true, true, false]);
    // A longer proof: progress as it is replayed, and a cancel in the middle.
    const big = (await checkLayer(W, null, { proof: true })).certificate!;
    const shares: number[] = [];
    const done = await verifyCertificateAsync(W, null, big, {
      onProgress: (p) => shares.push(p.done / p.total),
    });
    expect(done.valid, done.reason).toBe(true);
    expect(shares.filter((x) => x > 0 && x < 1).length).toBeGreaterThan(1);
    const controller = new AbortController();
    const cancelled = await verifyCertificateAsync(W, null, big, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done > 0) controller.abort();
      },
    });
    expect(cancelled.valid).toBe(false);
    expect(cancelled.timedOut).toBe(true);
    expect(cancelled.reason).toMatch(/cancelled/);
  });
});

describe("checkLayer's re-check in pieces", () => {
  const { W } = gaussianLayer(9, 60, false, 7);

  it("reports the replay's progress and can be cancelled in the middle of it", async () => {
    const shares: number[] = [];
    const full = await checkLayer(W, null, {
      onProgress: (p) => {
        if (p.stage === "certificate" && p.total) shares.push(p.done / p.total);
      },
    });
    expect(full.injective).toBe(true);
    expect(full.stats?.recheckBy).toBe("proof replay");
    const inside = shares.filter((s) => s > 0 && s < 1);
    expect(inside.length).toBeGreaterThan(1);
    for (let k = 1; k < inside.length; k++) expect(inside[k]).toBeGreaterThanOrEqual(inside[k - 1]);

    const controller = new AbortController();
    const cancelled = await checkLayer(W, null, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === "certificate" && p.done > 0) controller.abort();
      },
    });
    expect(cancelled.injective).toBeNull();
    expect(cancelled.reason).toMatch(/cancel/i);
    expect(cancelled.reason).toMatch(/re-check|replay/);
    // The reason says how far the replay got (a share of the proof's entries, not a time estimate).
    expect(cancelled.reason).toMatch(/with \d+% of the search's proof replayed/);
  });
});
