/**
 * verifyWitness: the forward-pass re-check of collision witnesses.
 */

import { describe, it, expect } from "vitest";
import { verifyWitness } from "../../src/core/index.js";

const I = [
  [1, 0],
  [0, 1],
];

describe("verifyWitness", () => {
  it("accepts an exact collision and says so", () => {
    const r = verifyWitness(I, null, { x1: [1, -1], x2: [1, -2] }, "all");
    expect(r.valid).toBe(true);
    expect(r.exact).toBe(true);
  });
  it("rejects equal points", () => {
    expect(verifyWitness(I, null, { x1: [1, -1], x2: [1, -1] }, "all").valid).toBe(false);
  });
  it("rejects different outputs", () => {
    const r = verifyWitness(I, null, { x1: [1, -1], x2: [2, -1] }, "all");
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/differ/);
  });
  it("rejects points outside the orthant for the nonnegative domain", () => {
    const r = verifyWitness(I, null, { x1: [1, -1], x2: [1, -2] }, "nonnegative");
    expect(r.valid).toBe(false);
    expect(r.reason).toMatch(/orthant/);
  });
  it("rejects a rounding artefact: points too close to count", () => {
    const W = [[0.1, 0.7]];
    const r = verifyWitness(W, null, { x1: [1, 1], x2: [1, 1 + 1e-12] }, "all");
    expect(r.valid).toBe(false);
  });
  it("reports float near-collisions but never accepts them", () => {
    const W = [
      [0.1, 0.3],
      [-1, 0.2],
    ];
    const x1 = [1, 1];
    const x2 = [1 + 3 * 0.1, 1 - 0.1]; // moves along (3, −1) ⟂ (0.1, 0.3)... second row is negative at both
    const r = verifyWitness(W, null, { x1, x2 }, "all");
    expect(r.valid).toBe(false);
    expect(r.approximate).toBe(true);
    expect(r.reason).toMatch(/near-collision, not a proof/);
  });
  it("validates its input", () => {
    expect(() => verifyWitness(I, null, { x1: [1], x2: [1, 2] }, "all")).toThrow(
      /verifyWitness.*x1 has length 1, expected 2/,
    );
  });
});
