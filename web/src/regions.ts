/**
 * The geometry of a 2-D ReLU layer x ↦ ReLU(Wx + b) for the playground's explorer (pure, no DOM):
 * the activation regions (the open cells of the arrangement of the lines w_i·x + b_i = 0, clipped
 * to a box and optionally to the positive quadrant), each with its active rows and whether those
 * rows span R², and the ℓ1 norm of the output for the heat map.
 *
 * A region whose active rows do not span R² makes the layer non-injective (Theorem 1 of the paper:
 * inside the open region, moving along a direction orthogonal to every active row leaves the
 * output unchanged).
 */

/** A point or vector of the plane. */
export type Vec2 = readonly [number, number];

/** An axis-aligned rectangle [xmin, xmax] × [ymin, ymax]. */
export interface Box {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

/** One activation region. */
export interface Region {
  /** The convex polygon, counter-clockwise, inside the box (and the domain). */
  polygon: Vec2[];
  /** The rows with w_i·x + b_i > 0 on the region, ascending. */
  active: number[];
  /** True when the active rows span R² (two of them are linearly independent). */
  spans: boolean;
  /** The centroid of the polygon, where its label goes. */
  centroid: Vec2;
  area: number;
}

/** Relative tolerance for deciding that two rows are parallel and that a polygon is degenerate. */
const EPS = 1e-12;

/** Signed area of a polygon (positive when counter-clockwise). */
export function polygonArea(poly: readonly Vec2[]): number {
  let a = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x0, y0] = poly[i];
    const [x1, y1] = poly[(i + 1) % poly.length];
    a += x0 * y1 - x1 * y0;
  }
  return a / 2;
}

function centroidOf(poly: readonly Vec2[], area: number): Vec2 {
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x0, y0] = poly[i];
    const [x1, y1] = poly[(i + 1) % poly.length];
    const cross = x0 * y1 - x1 * y0;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  return [cx / (6 * area), cy / (6 * area)];
}

/**
 * Clips a convex polygon to the half-plane s·(w·x + b) ≥ 0 (Sutherland–Hodgman).
 * @param sign +1 keeps the side where w·x + b ≥ 0, −1 the other side
 */
export function clipHalfPlane(poly: readonly Vec2[], w: Vec2, b: number, sign: 1 | -1): Vec2[] {
  const f = (p: Vec2): number => sign * (w[0] * p[0] + w[1] * p[1] + b);
  const out: Vec2[] = [];
  for (let i = 0; i < poly.length; i++) {
    const p = poly[i];
    const q = poly[(i + 1) % poly.length];
    const fp = f(p);
    const fq = f(q);
    if (fp >= 0) out.push(p);
    if ((fp >= 0 && fq < 0) || (fp < 0 && fq >= 0)) {
      const t = fp / (fp - fq);
      out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
    }
  }
  return out;
}

/**
 * Whether the rows `rows` of W span R²: two of them have a cross product that is not negligible
 * relative to their lengths.
 */
export function rowsSpanPlane(W: readonly (readonly number[])[], rows: readonly number[]): boolean {
  for (let a = 0; a < rows.length; a++) {
    const u = W[rows[a]];
    for (let c = a + 1; c < rows.length; c++) {
      const v = W[rows[c]];
      const cross = u[0] * v[1] - u[1] * v[0];
      if (Math.abs(cross) > EPS * Math.hypot(u[0], u[1]) * Math.hypot(v[0], v[1])) return true;
    }
  }
  return false;
}

/**
 * The activation regions of x ↦ ReLU(Wx + b) on a box of the plane.
 *
 * @param W the rows w_i (each of length 2)
 * @param b the biases (length m), or null for none
 * @param box the part of the plane to cover
 * @param domain "all" for the whole box, "nonnegative" for its part in the closed positive quadrant
 * @returns the regions of positive area (relative to the box), which tile the box (or its part in
 *   the quadrant); a zero row is active on every region when its bias is positive, never otherwise
 * @throws RangeError when a row does not have two finite entries, b has the wrong length, or the
 *   box is empty
 */
export function activationRegions(
  W: readonly (readonly number[])[],
  b: readonly number[] | null,
  box: Box,
  domain: "all" | "nonnegative" = "all",
): Region[] {
  if (b !== null && b.length !== W.length)
    throw new RangeError(`activationRegions: b has length ${b.length}, but W has ${W.length} rows`);
  for (const [i, w] of W.entries())
    if (w.length !== 2 || !w.every(Number.isFinite))
      throw new RangeError(`activationRegions: row ${i} must hold two finite numbers`);
  let { xmin, ymin } = box;
  const { xmax, ymax } = box;
  if (domain === "nonnegative") {
    xmin = Math.max(xmin, 0);
    ymin = Math.max(ymin, 0);
  }
  if (!(xmin < xmax && ymin < ymax))
    throw new RangeError("activationRegions: the box (within the domain) is empty");
  const minArea = EPS * (xmax - xmin) * (ymax - ymin);

  let cells: { polygon: Vec2[]; active: number[] }[] = [
    {
      polygon: [
        [xmin, ymin],
        [xmax, ymin],
        [xmax, ymax],
        [xmin, ymax],
      ],
      active: [],
    },
  ];
  for (let i = 0; i < W.length; i++) {
    const w: Vec2 = [W[i][0], W[i][1]];
    const bi = b?.[i] ?? 0;
    if (w[0] === 0 && w[1] === 0) {
      if (bi > 0) for (const c of cells) c.active.push(i);
      continue;
    }
    const next: typeof cells = [];
    for (const c of cells) {
      const pos = clipHalfPlane(c.polygon, w, bi, 1);
      const neg = clipHalfPlane(c.polygon, w, bi, -1);
      if (pos.length >= 3 && polygonArea(pos) > minArea)
        next.push({ polygon: pos, active: [...c.active, i] });
      if (neg.length >= 3 && polygonArea(neg) > minArea) next.push({ polygon: neg, active: c.active });
    }
    cells = next;
  }
  return cells.map(({ polygon, active }) => {
    const area = polygonArea(polygon);
    return { polygon, active, spans: rowsSpanPlane(W, active), centroid: centroidOf(polygon, area), area };
  });
}

/**
 * ‖ReLU(Wx + b)‖₁ at the point (x, y) (the heat map of the paper's Figure 2, right).
 */
export function outputL1(
  W: readonly (readonly number[])[],
  b: readonly number[] | null,
  x: number,
  y: number,
): number {
  let s = 0;
  for (let i = 0; i < W.length; i++) s += Math.max(0, W[i][0] * x + W[i][1] * y + (b?.[i] ?? 0));
  return s;
}

/** Formats an active set as the explorer labels regions: `{0, 2}` or `∅`. */
export function activeLabel(active: readonly number[]): string {
  return active.length === 0 ? "∅" : `{${active.join(", ")}}`;
}
