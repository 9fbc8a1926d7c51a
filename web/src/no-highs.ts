/**
 * Stands in for the `highs` package (the HiGHS LP solver, whose Emscripten build needs Node
 * modules) in the playground's bundle: the generator inversion here uses the least-squares fit,
 * which never loads the solver. vite.config.ts aliases `highs` to this module.
 */

/**
 * The loader `highs` exports; here it always fails.
 * @throws Error saying that the LP fits (norm l1 / linf) are not available in the browser
 */
export default function loadHighs(): Promise<never> {
  return Promise.reject(
    new Error("the LP solver HiGHS is not part of the web playground (use the CLI for the l1 and linf fits)"),
  );
}
