/**
 * Every `@example` in the TSDoc of src/ runs: each is executed with the package's API in scope
 * (`injective-relu`, `injective-relu/tfjs` and `tf`), plus a few names that examples take as
 * given (`net`, `x`, `z`, `y`, `noisyY`, `xTrue`, `f`, `model`), and every line of the form `expr; // true` must
 * hold. Files an example writes go to a scratch folder.
 */

import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

interface Example {
  file: string;
  line: number;
  code: string;
}

/** The @example blocks of src/, as code. */
function examples(): Example[] {
  const out: Example[] = [];
  for (const f of readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" })) {
    if (!f.endsWith(".ts")) continue;
    const text = readFileSync(join(ROOT, "src", f), "utf8");
    for (const m of text.matchAll(/@example\n((?: \*(?: .*)?\n)+?) \*\//g)) {
      const line = text.slice(0, m.index).split("\n").length;
      const code = m[1]
        .split("\n")
        .map((l) => l.replace(/^ \* ?/, ""))
        .join("\n");
      out.push({ file: relative(ROOT, join(ROOT, "src", f)), line, code });
    }
  }
  return out;
}

/** `expr; // true` lines become assertions. */
function withAssertions(code: string): string {
  return code
    .split("\n")
    .map((l) => {
      const m = /^(.*?);\s*\/\/ true\s*$/.exec(l);
      return m
        ? `if (!(${m[1]})) throw new Error(${JSON.stringify(`the example claims true: ${m[1]}`)});`
        : l;
    })
    .join("\n");
}

describe("the TSDoc @examples run", async () => {
  const api = (await import(join(ROOT, "dist/src/index.js"))) as Record<string, unknown> & {
    constructCascade: (n: number, m: number, o: object) => { network: unknown };
    forwardNetwork: (net: unknown, x: number[]) => number[];
  };
  const tfjs = (await import(join(ROOT, "dist/src/tfjs/index.js"))) as Record<string, unknown> & {
    InjectiveDense: new (args: object) => tf.layers.Layer;
  };
  await tf.setBackend("cpu");
  const scratch = mkdtempSync(join(tmpdir(), "examples-"));
  const list = examples();

  it("finds the examples", () => {
    expect(list.length).toBeGreaterThanOrEqual(20);
  });

  for (const ex of list) {
    it(`${ex.file}:${ex.line}`, async () => {
      const net = api.constructCascade(3, 7, { seed: 1 }).network;
      const x = [0.5, -1, 2];
      const f = {
        format: "injective-relu/network",
        version: 1,
        inputDim: 1,
        layers: [
          { type: "dense", W: [[1], [-1], [0.5], [-0.5]], b: [0, 0, 1, 1], activation: "relu" },
          {
            type: "dense",
            W: [
              [0, 0, 0, 0],
              [0, 0, 0, 0],
              [1, 1, 0, 0],
            ],
            b: [0, 0, 0],
            activation: "linear",
          },
        ],
      };
      const model = tf.sequential({ layers: [new tfjs.InjectiveDense({ inputShape: [3], extraUnits: 1 })] });
      const scope: Record<string, unknown> = {
        ...api,
        ...tfjs,
        tf,
        net,
        x,
        z: x,
        y: api.forwardNetwork(net, x),
        noisyY: api.forwardNetwork(net, x).map((v, i) => v + 0.001 * Math.sin(i + 1)),
        xTrue: x,
        f,
        model,
      };
      // An example that declares a name itself gets its own, not the given one.
      for (const name of Object.keys(scope))
        if (new RegExp(`\\b(?:const|let|var)\\s+(?:\\{[^}]*\\b${name}\\b|${name}\\b)`).test(ex.code))
          delete scope[name];
      const code = withAssertions(ex.code).replaceAll('"out/', `"${scratch}/out/`);
      const AsyncFunction = (async () => {}).constructor as new (
        ...args: string[]
      ) => (...values: unknown[]) => Promise<unknown>;
      await new AsyncFunction(...Object.keys(scope), code)(...Object.values(scope));
    });
  }
});
