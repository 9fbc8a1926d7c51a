/**
 * The rule `dense-pairs` of check-network (src/network/check-network.ts, findRowPairs in
 * src/network/conv-pairs.ts): a dense ReLU layer whose rows hold exact pairs [b; −λb] with
 * covering biases is proved injective by the exact rank of B (Corollary 2's [B; −DB; M], as
 * InjectiveDense saves it), in any row order, on layers wider than DENSE_PAIRS_MIN_COLUMNS; pairs
 * that are antiparallel only up to rounding, or whose biases open a dead zone, are not pairs, and
 * the general check decides the layer instead (narrow layers always go there).
 */

import { describe, expect, it } from "vitest";
import { checkLayer } from "../../src/core/check-layer.js";
import { Rng } from "../../src/core/random.js";
import { checkNetwork, DENSE_PAIRS_MIN_COLUMNS } from "../../src/network/check-network.js";
import { findRowPairs } from "../../src/network/conv-pairs.js";
import { NETWORK_FORMAT, type Network } from "../../src/model/network.js";

const rng = new Rng(23);
const f32 = () => Math.fround(rng.normal());

/** [B; −DB; M] (rows shuffled), with shared biases (β, −dβ) and free biases for M. */
function corollary2(n: number, extra: number, opts: { gap?: boolean; roundPair?: boolean } = {}) {
  const B = Array.from({ length: n }, () => Array.from({ length: n }, f32));
  const d = B.map(() => Math.fround(0.25 + rng.uniform()));
  const beta = B.map(() => Math.fround(rng.normal()));
  const rows: { w: number[]; b: number }[] = [];
  B.forEach((r, k) => {
    rows.push({ w: r, b: beta[k] });
    // −d·b exactly (float32 × float32 fits a double), or rounded to float32 (not exactly a pair).
    const neg = r.map((v) =>
      opts.roundPair && k === 0 ? Math.fround(-d[k] * v * (1 + 2 ** -20)) : -d[k] * v,
    );
    rows.push({ w: neg, b: opts.gap && k === 0 ? -d[k] * beta[k] - 1 : -d[k] * beta[k] });
  });
  for (let j = 0; j < extra; j++) rows.push({ w: Array.from({ length: n }, f32), b: f32() });
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return { W: rows.map((r) => r.w), b: rows.map((r) => r.b) };
}

const net = (W: number[][], b: number[]): Network => ({
  format: NETWORK_FORMAT,
  version: 1,
  inputDim: W[0].length,
  layers: [{ type: "dense", W, b, activation: "relu" }],
});

describe("findRowPairs", () => {
  it("finds every pair of [B; −DB; M] in any order, and no pair in M", () => {
    const { W, b } = corollary2(6, 5);
    const r = findRowPairs(W, b);
    expect(r.pairs).toHaveLength(6);
    expect(r.unpaired).toHaveLength(5);
    for (const [a, c] of r.pairs) {
      const lambda = -W[c][0] / W[a][0];
      expect(lambda).toBeGreaterThan(0);
      W[a].forEach((v, j) => expect(W[c][j]).toBe(-lambda * v));
    }
  });

  it("refuses a pair off by rounding, and a pair whose biases open a dead zone", () => {
    const rounded = corollary2(4, 0, { roundPair: true });
    expect(findRowPairs(rounded.W, rounded.b).pairs).toHaveLength(3);
    const gap = corollary2(4, 0, { gap: true });
    expect(findRowPairs(gap.W, gap.b).pairs).toHaveLength(3);
  });
});

describe("check-network rule dense-pairs", () => {
  it("proves a wide [B; −DB; M] injective by the exact rank of B", async () => {
    for (const [n, extra] of [
      [65, 0],
      [80, 12],
    ]) {
      const { W, b } = corollary2(n, extra);
      const r = await checkNetwork(net(W, b));
      expect(r.layers[0]).toMatchObject({
        rule: "dense-pairs",
        injective: true,
        method: "structure",
        exact: true,
      });
      expect(r.injective).toBe(true);
    }
  });

  it("leaves narrow layers to the general check, which returns a certificate", async () => {
    expect(DENSE_PAIRS_MIN_COLUMNS).toBe(64);
    const { W, b } = corollary2(5, 4);
    const r = await checkNetwork(net(W, b));
    expect(r.layers[0]).toMatchObject({ rule: "relu", injective: true });
    expect((await checkLayer(W, b)).injective).toBe(true);
  });

  it("does not prove a wide layer whose B is rank-deficient (the general check gets it)", async () => {
    const { W, b } = corollary2(66, 0);
    // The last input is never seen: B has rank 65 < 66 although every row is paired.
    const Wd = W.map((r) => [...r.slice(0, 65), 0]);
    expect(findRowPairs(Wd, b).pairs.length).toBeGreaterThanOrEqual(65);
    const r = await checkNetwork(net(Wd, b), { timeLimitMs: 5_000 });
    expect(r.layers[0].rule).toBe("relu");
    expect(r.layers[0].injective).not.toBe(true);
  }, 120_000);
});
