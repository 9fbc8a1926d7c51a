/**
 * Small random layers for the property tests of checkLayer and the falsifier
 * (tests/core/check-layer.property.test.ts, tests/core/falsifier.test.ts): integer entries, so that
 * zero, repeated and antiparallel rows occur by chance, optional integer biases, both domains.
 */

import fc from "fast-check";
import type { Domain } from "../../src/core/types.js";

/** A layer of a property test, named by the family of its generator. */
export interface Layer {
  family: string;
  W: number[][];
  b: number[] | undefined;
  domain: Domain;
}

export const domainArb = fc.constantFrom<Domain>("all", "nonnegative");
export const intArb = (lo = -3, hi = 3): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });
export const vecArb = <T>(el: fc.Arbitrary<T>, len: number): fc.Arbitrary<T[]> =>
  fc.array(el, { minLength: len, maxLength: len });
export const matArb = <T>(el: fc.Arbitrary<T>, m: number, n: number): fc.Arbitrary<T[][]> =>
  vecArb(vecArb(el, n), m);

/** Optional bias of length m. */
export const biasArb = (m: number, el: fc.Arbitrary<number> = intArb()): fc.Arbitrary<number[] | undefined> =>
  fc.option(vecArb(el, m), { nil: undefined, freq: 2 });

/** Layers with integer entries in [−3, 3], n in [minN, 4] and m in [minM, maxM]: family "small-int". */
export function smallIntArb(minN: number, minM: number, maxM: number): fc.Arbitrary<Layer> {
  return fc
    .record({ n: fc.integer({ min: minN, max: 4 }), m: fc.integer({ min: minM, max: maxM }) })
    .chain(({ m, n }) =>
      fc.record({
        family: fc.constant("small-int"),
        W: matArb(intArb(), m, n),
        b: biasArb(m),
        domain: domainArb,
      }),
    );
}
