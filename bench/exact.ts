/**
 * What exactness costs: the exact re-check of a certificate (integer duals, cover check with spans
 * mod a prime and rational confirmation) against the floating-point re-check it replaced (duals to
 * a tolerance, float Gram–Schmidt spans), on the same certificates, in the same run.
 *
 * The float baseline is reimplemented here, for the benchmark only: it is not sound (a tolerance
 * decides), which is why the library no longer uses it.
 */

import { checkLayer } from "../src/core/check-layer.js";
import { verifyCertificate, findUncovered } from "../src/core/certificate.js";
import type { Certificate } from "../src/core/types.js";
import { gaussianMatrix, timeSync, type Timed } from "./common.js";

/** Span operations in floating point with a tolerance (the pre-exact cover check). */
function floatSpanOps(W: number[][], n: number, tol: number) {
  const m = W.length;
  const unit = new Float64Array(m * n);
  W.forEach((r, i) => {
    let s = 0;
    for (const v of r) s += v * v;
    s = Math.sqrt(s);
    for (let j = 0; j < n; j++) unit[i * n + j] = s > 0 ? r[j] / s : 0;
  });
  const levels = Array.from({ length: n + 1 }, () => ({
    R: new Float64Array(m * n),
    inside: new Uint8Array(m),
  }));
  const q = new Float64Array(n);
  type S = { k: number; R: Float64Array; inside: Uint8Array };
  return {
    empty: (): S => {
      const L = levels[0];
      L.R.set(unit);
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += unit[i * n + j] ** 2;
        L.inside[i] = s <= tol * tol ? 1 : 0;
      }
      return { k: 0, R: L.R, inside: L.inside };
    },
    contains: (s: S, row: number) => s.inside[row] === 1,
    extend: (s: S, row: number): S => {
      const L = levels[Math.min(n, s.k + 1)];
      let norm = 0;
      for (let j = 0; j < n; j++) norm += s.R[row * n + j] ** 2;
      norm = Math.sqrt(norm);
      if (!(norm > tol)) return s;
      for (let j = 0; j < n; j++) q[j] = s.R[row * n + j] / norm;
      for (let i = 0; i < m; i++) {
        const o = i * n;
        let dot = 0;
        for (let j = 0; j < n; j++) dot += q[j] * s.R[o + j];
        let ss = 0;
        for (let j = 0; j < n; j++) {
          const v = s.R[o + j] - dot * q[j];
          L.R[o + j] = v;
          ss += v * v;
        }
        L.inside[i] = ss <= tol * tol ? 1 : 0;
      }
      return { k: s.k + 1, R: L.R, inside: L.inside };
    },
    rank: (s: S) => s.k,
  };
}

/** The float re-check: each dual to the tolerance on unit rows, then the float cover check. */
function floatRecheck(W: number[][], cert: Certificate, tol: number): boolean {
  const n = W[0].length;
  for (const d of cert.duals) {
    const c = new Array<number>(n).fill(0);
    let total = 0;
    const norms = d.rows.map((i) => Math.hypot(...W[i]));
    d.rows.forEach((_, t) => (total += d.weights[t] * norms[t]));
    d.rows.forEach((i, t) => {
      const y = (d.weights[t] * norms[t]) / total;
      for (let j = 0; j < n; j++) c[j] += (y * W[i][j]) / norms[t];
    });
    if (c.some((v) => Math.abs(v) > tol)) return false;
  }
  return (
    findUncovered(
      cert.duals.map((d) => d.rows),
      n,
      floatSpanOps(W, n, tol),
    ).uncovered === null
  );
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** The table of the exact re-check against the float one. */
export async function benchExact(quick: boolean): Promise<string> {
  const cases: [number, number][] = quick
    ? [
        [5, 7],
        [6, 7],
      ]
    : [
        [6, 7],
        [8, 6],
        [8, 8],
        [9, 7],
      ];
  const repeats = quick ? 1 : 3;
  const rows: string[][] = [];
  for (const [n, alpha] of cases) {
    const m = Math.round(alpha * n);
    const W = gaussianMatrix(m, n, 1000 * n + alpha);
    const r = await checkLayer(W, null, { timeLimitMs: 120_000 });
    if (r.injective !== true) {
      rows.push([`${n}`, `${m}`, String(r.injective), "-", "-", "-", "-", "-"]);
      continue;
    }
    const cert = r.certificate!;
    const exact: Timed<boolean> = timeSync(() => verifyCertificate(W, null, cert).valid, repeats);
    const float: Timed<boolean> = timeSync(() => floatRecheck(W, cert, 1e-9), repeats);
    rows.push([
      `${n}`,
      `${m}`,
      "injective",
      `${cert.duals.length}`,
      fmt(r.stats.timeMs),
      fmt(exact.ms),
      fmt(float.ms),
      (exact.ms / float.ms).toFixed(2),
    ]);
  }
  const header = [
    "n",
    "m",
    "verdict",
    "duals",
    "checkLayer ms (search + exact re-check)",
    "exact re-check ms",
    "float re-check ms (old, unsound)",
    "exact / float",
  ];
  const lines = [
    "### The cost of exactness: the certificate re-check",
    "",
    `Gaussian layers (seeded), one certificate each from checkLayer; the exact re-check (verifyCertificate: integer duals, cover check mod p with rational confirmation) against the floating-point re-check it replaced (duals and spans to tolerance 1e-9), both on the same certificate, medians of ${repeats} run(s) (five times as many for a check under 50 ms).`,
    "",
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
  return lines.join("\n");
}
