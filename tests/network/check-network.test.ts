/**
 * Tests of checkNetwork (src/network/check-network.ts): Corollary 1 (layerwise proof), equation (4)
 * (layer 2 checked on the orthant), a genuinely non-injective network (witness lifted back through
 * layer 1), a non-injective layer whose collisions are not reachable (honest "unknown"), and the
 * Corollary 3 cascade ("injective almost surely", not a proof).
 */

import { describe, it, expect } from "vitest";
import { constructDense } from "../../src/construct/dense.js";
import { constructCascade } from "../../src/construct/cascade.js";
import { checkNetwork } from "../../src/network/check-network.js";
import { forwardNetwork, type Network } from "../../src/model/network.js";

function net(inputDim: number, layers: Network["layers"]): Network {
  return { format: "injective-relu/network", version: 1, inputDim, layers };
}

const eye = (p: number): number[][] =>
  Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => (i === j ? 1 : 0)));

function expectWitness(N: Network, w: { x1: number[]; x2: number[] }): void {
  const y1 = forwardNetwork(N, w.x1);
  const y2 = forwardNetwork(N, w.x2);
  const scale = Math.max(1, ...y1.map(Math.abs));
  expect(Math.max(...y1.map((v, i) => Math.abs(v - y2[i]))) / scale).toBeLessThan(1e-8);
  expect(Math.max(...w.x1.map((v, j) => Math.abs(v - w.x2[j])))).toBeGreaterThan(1e-6);
}

describe("checkNetwork", () => {
  it("Corollary 1: three Corollary 2 layers are proved injective layerwise", async () => {
    const L1 = constructDense(2, 4, { seed: 1, bias: "paired" });
    const L2 = constructDense(4, 9, { seed: 2 });
    const L3 = constructDense(9, 18, { seed: 3, shuffle: true });
    const N = net(2, [
      { type: "dense", W: L1.W, b: L1.b, activation: "relu" },
      { type: "dense", W: L2.W, activation: "relu" },
      { type: "dense", W: L3.W, activation: "relu" },
    ]);
    const r = await checkNetwork(N);
    expect(r.injective).toBe(true);
    expect(r.conclusion).toBe("injective");
    expect(r.reason).toMatch(/Corollary 1/);
    expect(r.layers.map((l) => l.domain)).toEqual(["all", "nonnegative", "nonnegative"]);
    expect(r.layers.every((l) => l.injective === true)).toBe(true);
  });

  it("equation (4): ReLU(I·ReLU(Wx)) is injective; ReLU(I·) is checked on the orthant", async () => {
    const L1 = constructDense(2, 5, { seed: 7 });
    const N = net(2, [
      { type: "dense", W: L1.W, activation: "relu" },
      { type: "dense", W: eye(5), activation: "relu" },
    ]);
    const r = await checkNetwork(N);
    expect(r.layers[1].domain).toBe("nonnegative");
    expect(r.layers[1].injective).toBe(true);
    expect(r.injective).toBe(true);
  });

  it("a linear layer is injective iff it has full column rank", async () => {
    const L1 = constructDense(2, 4, { seed: 1 });
    const N = net(2, [
      { type: "dense", W: L1.W, activation: "relu" },
      {
        type: "dense",
        W: [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
          [0, 0, 0, 1],
          [1, 1, 1, 1],
        ],
        activation: "linear",
      },
    ]);
    const r = await checkNetwork(N);
    expect(r.layers[1].method).toBe("rank");
    expect(r.layers[1].rank).toBe(4);
    expect(r.injective).toBe(true);
  });

  it("first layer not injective on R^n: its witness is a network witness", async () => {
    const N = net(2, [
      {
        type: "dense",
        W: [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        activation: "relu",
      },
      { type: "dense", W: eye(3), activation: "relu" },
    ]);
    const r = await checkNetwork(N);
    expect(r.injective).toBe(false);
    expect(r.witness!.source).toBe("layer");
    expectWitness(N, r.witness!);
  });

  it("genuinely non-injective: layer 2 drops a coordinate, its collision is lifted through layer 1", async () => {
    // x ↦ ReLU([I; -I] x) then a linear map that forgets the first output: (1, 0) and (2, 0) collide.
    const N = net(2, [
      {
        type: "dense",
        W: [
          [1, 0],
          [0, 1],
          [-1, 0],
          [0, -1],
        ],
        activation: "relu",
      },
      {
        type: "dense",
        W: [
          [0, 1, 0, 0],
          [0, 0, 1, 0],
          [0, 0, 0, 1],
        ],
        activation: "linear",
      },
    ]);
    const r = await checkNetwork(N);
    expect(r.layers[0].injective).toBe(true);
    expect(r.layers[1].injective).toBe(false);
    expect(r.injective).toBe(false);
    expect(["lifted", "jacobian"]).toContain(r.witness!.source);
    expect(r.witness!.exact).toBe(true);
    expect(r.witness!.layer).toBe(1);
    expectWitness(N, r.witness!);
  });

  it("a non-injective layer whose collisions are outside the range: unknown, with the reason", async () => {
    // Layer 1: x ↦ (x⁺, x⁻) (injective on R). Layer 2: h ↦ ReLU([h1 − h2; h2 − h1]) is not injective on
    // the orthant ((1, 1) and (1.5, 1.5) both give 0), but on the range {(a, 0)} ∪ {(0, c)} it is.
    // The network is x ↦ (x⁺, x⁻), injective; the tool cannot prove that and says unknown.
    const N = net(1, [
      { type: "dense", W: [[1], [-1]], activation: "relu" },
      {
        type: "dense",
        W: [
          [1, -1],
          [-1, 1],
        ],
        activation: "relu",
      },
    ]);
    const r = await checkNetwork(N);
    expect(r.layers[1].injective).toBe(false);
    expect(r.injective).toBeNull();
    expect(r.conclusion).toBe("unknown");
    expect(r.reason).toMatch(/equation \(4\)/);
    expect(r.reason).toMatch(/not found in the range/);
    expect(r.collisionSearch?.collisionFound).toBe(false);
  });

  it("not injective and not liftable: the collision search finds the collision", async () => {
    // R^2 → R^1 can never be injective; layer 2's null-space moves from the range do lift here too,
    // so either route must give a verified witness.
    const L1 = constructDense(2, 4, { seed: 5 });
    const N = net(2, [
      { type: "dense", W: L1.W, activation: "relu" },
      { type: "dense", W: [[1, -2, 0.5, 1]], activation: "linear" },
    ]);
    const r = await checkNetwork(N);
    expect(r.injective).toBe(false);
    expectWitness(N, r.witness!);
  });

  it("Corollary 3 cascade: injective almost surely, with the dimension checks, verdict null", async () => {
    const { network } = constructCascade(3, 7, { depth: 2, seed: 1 });
    const r = await checkNetwork(network);
    expect(r.corollary3.applies).toBe(true);
    expect(r.corollary3.checks.join(" ")).toMatch(/>= 2n \+ 1 = 7/);
    expect(r.injective).toBeNull();
    expect(r.conclusion).toBe("injective almost surely");
    expect(r.reason).toMatch(/generic \(random\)/);
    expect(r.layers.filter((l) => l.activation === "relu").every((l) => l.injective === true)).toBe(true);
  });

  it("the time limit gives unknown, never a wrong verdict", async () => {
    const L1 = constructDense(3, 6, { seed: 2 });
    const N = net(3, [
      { type: "dense", W: L1.W, activation: "relu" },
      { type: "dense", W: constructDense(6, 12, { seed: 3 }).W, activation: "relu" },
    ]);
    const r = await checkNetwork(N, { timeLimitMs: 1e-3 });
    expect([true, null]).toContain(r.injective);
  });
});

describe("checkNetwork stops once the verdict is settled", () => {
  it("a collision of layer 0 ends the check: later layers are reported as skipped, the witness re-checks", async () => {
    const rng = (k: number) => Math.sin(k * 12.9898) * 0.5;
    // Layer 0: ReLU(I x) (not injective on R^2); layer 1: a 60 × 2 ReLU layer that the check would
    // otherwise decide; layer 2: a linear projection.
    const wide = Array.from({ length: 60 }, (_, i) => [rng(2 * i + 1), rng(2 * i + 2)]);
    const net: Network = {
      format: "injective-relu/network",
      version: 1,
      inputDim: 2,
      layers: [
        {
          type: "dense",
          W: [
            [1, 0],
            [0, 1],
          ],
          activation: "relu",
        },
        { type: "dense", W: wide, activation: "relu" },
        { type: "dense", W: [Array.from({ length: 60 }, (_, j) => (j % 3) - 1)], activation: "linear" },
      ],
    };
    const r = await checkNetwork(net);
    expect(r.injective).toBe(false);
    expect(r.reason).toMatch(/Layer\(s\) 1, 2 were not checked/);
    expect(r.layers.map((l) => l.method)).toEqual([r.layers[0].method, "skipped", "skipped"]);
    expect(r.layers[1].injective).toBeNull();
    const y1 = forwardNetwork(net, r.witness!.x1);
    const y2 = forwardNetwork(net, r.witness!.x2);
    expect(y1).toEqual(y2);
    expect(r.witness!.x1).not.toEqual(r.witness!.x2);
  });
});
