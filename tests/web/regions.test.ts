/**
 * The explorer's region computation (web/src/regions.ts): the activation regions of 2-D layers.
 */

import { describe, expect, it } from "vitest";
import {
  activationRegions,
  activeLabel,
  clipHalfPlane,
  outputL1,
  polygonArea,
  rowsSpanPlane,
  type Region,
} from "../../web/src/regions.js";

const BOX = { xmin: -3, xmax: 3, ymin: -3, ymax: 3 };

/** The active sets, as sorted labels. */
function labels(regions: Region[]): string[] {
  return regions.map((r) => activeLabel(r.active)).sort();
}

/** Checks that the regions tile `area` and that each active set matches the centroid's signs. */
function checkTiling(W: number[][], b: number[] | null, regions: Region[], area: number): void {
  expect(regions.reduce((a, r) => a + r.area, 0)).toBeCloseTo(area, 9);
  for (const r of regions) {
    expect(r.area).toBeGreaterThan(0);
    const [x, y] = r.centroid;
    const active = W.map((w, i) => i).filter((i) => W[i][0] * x + W[i][1] * y + (b?.[i] ?? 0) > 0);
    expect(r.active).toEqual(active);
  }
}

describe("activationRegions", () => {
  it("splits the plane into the four quadrants for the identity", () => {
    const W = [
      [1, 0],
      [0, 1],
    ];
    const regions = activationRegions(W, null, BOX);
    expect(labels(regions)).toEqual(["{0, 1}", "{0}", "{1}", "∅"]);
    for (const r of regions) expect(r.spans).toBe(r.active.length === 2);
    checkTiling(W, null, regions, 36);
  });

  it("finds the two one-row wedges of the paper's Figure 2 (left), and none in the center layer", () => {
    const left = [
      [1, 0],
      [0, 1],
      [-1, -2],
      [-2, -1],
    ];
    const regions = activationRegions(left, null, BOX);
    checkTiling(left, null, regions, 36);
    const bad = regions.filter((r) => !r.spans).map((r) => activeLabel(r.active));
    expect(bad.sort()).toEqual(["{0}", "{1}"]);

    const center = [
      [2, 1],
      [1, 3],
      [-2, -1],
      [-2, -6],
    ];
    const cells = activationRegions(center, null, BOX);
    checkTiling(center, null, cells, 36);
    expect(cells.every((r) => r.spans)).toBe(true);
    expect(cells).toHaveLength(4); // two lines through the origin (the rows are antiparallel pairs)
  });

  it("moves the lines with the bias and keeps only the positive quadrant when asked", () => {
    const W = [
      [1, 0],
      [0, 1],
    ];
    const b = [-1, 0];
    const all = activationRegions(W, b, BOX);
    checkTiling(W, b, all, 36);
    const withRow0 = all.filter((r) => r.active.includes(0)).reduce((a, r) => a + r.area, 0);
    expect(withRow0).toBeCloseTo(2 * 6, 9); // x > 1 within [−3, 3]
    const quadrant = activationRegions(W, b, BOX, "nonnegative");
    checkTiling(W, b, quadrant, 9);
    expect(labels(quadrant)).toEqual(["{0, 1}", "{1}"]);
    for (const r of quadrant)
      for (const [x, y] of r.polygon) expect(Math.min(x, y)).toBeGreaterThanOrEqual(0);
  });

  it("treats a zero row as active everywhere with a positive bias, nowhere otherwise", () => {
    const W = [
      [0, 0],
      [1, 1],
    ];
    expect(labels(activationRegions(W, [1, 0], BOX))).toEqual(["{0, 1}", "{0}"]);
    expect(labels(activationRegions(W, [0, 0], BOX))).toEqual(["{1}", "∅"]);
  });

  it("does not count parallel rows as spanning", () => {
    const W = [
      [1, 1],
      [2, 2],
      [-1, -1],
    ];
    const regions = activationRegions(W, null, BOX);
    expect(regions).toHaveLength(2);
    expect(regions.every((r) => !r.spans)).toBe(true);
  });

  it("rejects malformed input", () => {
    expect(() => activationRegions([[1, 2, 3]], null, BOX)).toThrow(/row 0/);
    expect(() => activationRegions([[1, 2]], [1, 2], BOX)).toThrow(/length 2/);
    expect(() =>
      activationRegions([[1, 2]], null, { xmin: -3, xmax: -1, ymin: 0, ymax: 1 }, "nonnegative"),
    ).toThrow(/empty/);
  });
});

describe("helpers", () => {
  it("clips a square to a half-plane", () => {
    const square = [
      [0, 0],
      [2, 0],
      [2, 2],
      [0, 2],
    ] as const;
    expect(polygonArea(square)).toBe(4);
    expect(polygonArea(clipHalfPlane(square, [1, 0], -0.5, 1))).toBeCloseTo(3, 12);
    expect(polygonArea(clipHalfPlane(square, [1, 1], -2, -1))).toBeCloseTo(2, 12);
  });

  it("decides spanning and computes the l1 norm of the output", () => {
    expect(
      rowsSpanPlane(
        [
          [1, 0],
          [0, 1],
        ],
        [0, 1],
      ),
    ).toBe(true);
    expect(
      rowsSpanPlane(
        [
          [1, 0],
          [0, 1],
        ],
        [1],
      ),
    ).toBe(false);
    expect(
      outputL1(
        [
          [1, 0],
          [-1, 2],
        ],
        [0, 1],
        2,
        1,
      ),
    ).toBe(2 + 1);
    expect(
      outputL1(
        [
          [1, 0],
          [-1, 2],
        ],
        null,
        -1,
        -1,
      ),
    ).toBe(0);
  });
});
