/**
 * The explorer's preset layers (n = 2): the paper's Figure 2 left and center (the example layer
 * files), a Corollary 2 construction, a Gaussian layer of a chosen ratio, and the Lemma 1
 * counterexample with bias (lifted from n = 1 to the plane).
 */

import figureLeft from "../../examples/layers/03-figure2-left.json";
import figureCenter from "../../examples/layers/04-figure2-center.json";
import lemma1 from "../../examples/layers/07-lemma1-counterexample.json";
import { constructDense, constructGaussian } from "./lib.js";

/** A 2-D layer of the explorer. */
export interface Layer2D {
  W: [number, number][];
  b: number[];
  /** What the preset shows, in a sentence. */
  note: string;
}

/** The ids of the presets, as in the preset menu. */
export const PRESETS = ["figure2-left", "figure2-center", "corollary2", "gaussian", "lemma1"] as const;
export type PresetId = (typeof PRESETS)[number];

/** The menu labels. */
export const PRESET_LABELS: Record<PresetId, string> = {
  "figure2-left": "Figure 2, left (not injective)",
  "figure2-center": "Figure 2, center (injective)",
  corollary2: "Corollary 2 construction [B; −DB; M]",
  gaussian: "Random Gaussian layer",
  lemma1: "Lemma 1 counterexample (with bias)",
};

function rows(W: number[][]): [number, number][] {
  return W.map((w) => [w[0], w[1]]);
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Builds a preset.
 * @param id the preset
 * @param options `ratio` m/n of the Gaussian layer (m = round(2·ratio), at least 1) and the `seed`
 *   of the random presets
 */
export function preset(id: PresetId, options: { ratio?: number; seed?: number } = {}): Layer2D {
  const seed = options.seed ?? 1;
  switch (id) {
    case "figure2-left":
      return { W: rows(figureLeft.W), b: figureLeft.W.map(() => 0), note: figureLeft.description };
    case "figure2-center":
      return { W: rows(figureCenter.W), b: figureCenter.W.map(() => 0), note: figureCenter.description };
    case "corollary2": {
      // Small integer B (nonsingular) and M, and D = diag(1/2, 2): every entry of [B; −DB; M] is
      // exact, so the verdict is about exactly the construction.
      let s = seed;
      let B: number[][];
      let M: number[][];
      do {
        const g = constructGaussian(2, 3, { seed: s++ }).W.map((w) => w.map((v) => Math.round(2 * v)));
        B = g.slice(0, 2);
        M = g.slice(2);
      } while (B[0][0] * B[1][1] - B[0][1] * B[1][0] === 0);
      const c = constructDense(2, 5, { seed, basis: B, d: [0.5, 2], extraRows: M });
      return {
        W: rows(c.W),
        b: c.W.map(() => 0),
        note: "Corollary 2: a basis B, its negated and rescaled copy −DB (here D = diag(1/2, 2)) and an extra row M. One row of each antiparallel pair is active at every x, so the active rows always contain a basis: injective, whatever M is.",
      };
    }
    case "gaussian": {
      const ratio = options.ratio ?? 4;
      const m = Math.max(1, Math.round(2 * ratio));
      const g = constructGaussian(2, m, { seed });
      return {
        W: rows(g.W.map((w) => w.map(round))),
        b: g.W.map(() => 0),
        note: `An iid Gaussian ${m}×2 layer (m/n = ${m / 2}, seed ${seed}; entries rounded to 3 decimals). Theorem 2: injective with high probability when m/n is large enough; for n = 2 the probability is that no open wedge between consecutive lines sees fewer than two independent rows.`,
      };
    }
    case "lemma1": {
      const [[w0], [w1]] = lemma1.W;
      const [b0, b1] = lemma1.b;
      return {
        W: [
          [w0, 0],
          [w1, 0],
          [0, 1],
          [0, -1],
        ],
        b: [b0, b1, 0, 0],
        note: `${lemma1.description} Lifted to the plane: the first coordinate goes through that 1-D layer, the second through (ReLU(y), ReLU(−y)); the layer is injective, yet its rows with b ≥ 0 (rows 0, 2, 3) do not give an injective layer.`,
      };
    }
  }
}
