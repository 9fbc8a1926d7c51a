/**
 * The kernels that src/tfjs registers for the wasm backend, against tfjs's `cpu` backend: values
 * and gradients on seeded random shapes, strides (1, 2) and paddings ('same', 'valid',
 * explicit), to 1e-4 relative (max-norm of the difference over max-norm of the cpu result), and a
 * tiny DCGAN (generator, discriminator, encoder) trained for 2 Adam steps on both backends from
 * the same weights.
 */

import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/core/random.js";
import { setupTrainingBackend } from "../../src/tfjs/backend.js";
import { buildDiscriminator, buildEncoder, buildGenerator } from "../../src/tfjs/dcgan.js";
import { ganIteration } from "../../src/tfjs/dcgan-steps.js";
import { MISSING_KERNELS, REPLACED_KERNELS } from "../../src/tfjs/kernels/index.js";

type Backend = "wasm" | "cpu";

/** Runs `f` on each backend (inputs must be created inside `f`) and returns the outputs' values. */
async function onBoth(
  f: () => tf.Tensor[],
): Promise<Record<Backend, { shape: number[]; values: number[] }[]>> {
  const result = {} as Record<Backend, { shape: number[]; values: number[] }[]>;
  for (const b of ["wasm", "cpu"] as const) {
    await tf.setBackend(b);
    const outs = tf.tidy(f);
    result[b] = outs.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
    tf.dispose(outs);
  }
  await tf.setBackend("wasm");
  return result;
}

/** max |a − b| / max |b| (0 when both are 0). */
function relErr(a: number[], b: number[]): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

async function expectAgree(f: () => tf.Tensor[], tol: number, label: string): Promise<void> {
  const r = await onBoth(f);
  expect(r.wasm.length).toBe(r.cpu.length);
  r.cpu.forEach((c, k) => {
    const w = r.wasm[k];
    expect(w.shape, `${label} output ${k} shape`).toEqual(c.shape);
    expect(
      c.values.some((v) => v !== 0),
      `${label} output ${k} is not all zero`,
    ).toBe(true);
    expect(relErr(w.values, c.values), `${label} output ${k}`).toBeLessThanOrEqual(tol);
  });
}

function randomArray(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.normal());
}

function int(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng.uniform() * (hi - lo + 1));
}

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  x: number[];
  w: number[];
  xShape: [number, number, number, number];
  wShape: [number, number, number, number];
  stride: number;
  pad: Pad;
  label: string;
}

/**
 * A random NHWC convolution: batch 1–3, side 3–9, 1–8 input channels (Conv2DBackpropFilter has
 * one path up to 4 and another above), 1–4 output channels, kernel 1–4.
 */
function randomConv(rng: Rng, stride: number, padKind: "same" | "valid" | "explicit"): ConvCase {
  const n = int(rng, 1, 3);
  const h = int(rng, 3, 9);
  const w = int(rng, 3, 9);
  const cin = int(rng, 1, 8);
  const cout = int(rng, 1, 4);
  const kh = int(rng, 1, Math.min(4, h));
  const kw = int(rng, 1, Math.min(4, w));
  const pad: Pad =
    padKind === "explicit"
      ? [
          [0, 0],
          [int(rng, 0, 2), int(rng, 0, 2)],
          [int(rng, 0, 2), int(rng, 0, 2)],
          [0, 0],
        ]
      : padKind;
  const xShape: [number, number, number, number] = [n, h, w, cin];
  const wShape: [number, number, number, number] = [kh, kw, cin, cout];
  return {
    x: randomArray(rng, n * h * w * cin),
    w: randomArray(rng, kh * kw * cin * cout),
    xShape,
    wShape,
    stride,
    pad,
    label: `x [${xShape}] w [${wShape}] stride ${stride} pad ${JSON.stringify(pad)}`,
  };
}

const CASES_PER_SETTING = 6;
const SETTINGS = [1, 2].flatMap((stride) =>
  (["same", "valid", "explicit"] as const).map((pad) => ({ stride, pad })),
);

beforeAll(async () => {
  const info = await setupTrainingBackend();
  expect(info.backend).toBe("wasm");
  await tf.setBackend("cpu");
  await tf.ready();
  await tf.setBackend("wasm");
});

describe("setupTrainingBackend", () => {
  it("loads the SIMD wasm binary from node_modules and registers the kernels", async () => {
    const info = await setupTrainingBackend();
    expect(info.simd).toBe(true);
    expect(info.wasmDir).toMatch(/tfjs-backend-wasm/);
    for (const k of [...MISSING_KERNELS, ...REPLACED_KERNELS]) {
      expect(info.kernels).toContain(k.kernelName);
      expect(tf.getKernel(k.kernelName, "wasm")?.kernelFunc).toBe(k.kernelFunc);
    }
  });

  it("rejects an unknown backend with a one-line TypeError", async () => {
    await expect(setupTrainingBackend({ backend: "webgl" as "wasm" })).rejects.toThrow(TypeError);
  });
});

describe("Conv2DBackpropFilter", () => {
  it.each(SETTINGS)("values match cpu (stride $stride, $pad padding)", async ({ stride, pad }) => {
    const rng = new Rng(1000 + stride * 10 + pad.length);
    for (let k = 0; k < CASES_PER_SETTING; k++) {
      const c = randomConv(rng, stride, pad);
      // dy with the shape of the forward convolution's output.
      const out = tf.tidy(
        () => tf.conv2d(tf.tensor4d(c.x, c.xShape), tf.tensor4d(c.w, c.wShape), c.stride, c.pad).shape,
      );
      const dy = randomArray(
        rng,
        out.reduce((a, b) => a * b, 1),
      );
      await expectAgree(
        () => [
          tf
            .engine()
            .runKernel(
              "Conv2DBackpropFilter",
              { x: tf.tensor4d(c.x, c.xShape), dy: tf.tensor(dy, out) },
              { strides: [c.stride, c.stride], pad: c.pad, dataFormat: "NHWC", filterShape: c.wShape },
            ) as tf.Tensor,
        ],
        1e-4,
        c.label,
      );
    }
  });

  it.each(SETTINGS)("conv2d gradients match cpu (stride $stride, $pad padding)", async ({ stride, pad }) => {
    const rng = new Rng(2000 + stride * 10 + pad.length);
    for (let k = 0; k < CASES_PER_SETTING; k++) {
      const c = randomConv(rng, stride, pad);
      const out = tf.tidy(
        () => tf.conv2d(tf.tensor4d(c.x, c.xShape), tf.tensor4d(c.w, c.wShape), c.stride, c.pad).shape,
      );
      const r = randomArray(
        rng,
        out.reduce((a, b) => a * b, 1),
      );
      await expectAgree(
        () => {
          const f = (x: tf.Tensor, w: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), tf.tensor(r, out)));
          const [dx, dw] = tf.grads(f)([tf.tensor4d(c.x, c.xShape), tf.tensor4d(c.w, c.wShape)]);
          return [dx, dw];
        },
        1e-4,
        c.label,
      );
    }
  });

  it("the fused convolution's gradients (bias, relu) match cpu", async () => {
    const rng = new Rng(3000);
    for (const { stride, pad } of SETTINGS.filter((s) => s.pad !== "explicit")) {
      const c = randomConv(rng, stride, pad);
      const bias = randomArray(rng, c.wShape[3]);
      const out = tf.tidy(
        () => tf.conv2d(tf.tensor4d(c.x, c.xShape), tf.tensor4d(c.w, c.wShape), c.stride, c.pad).shape,
      );
      const r = randomArray(
        rng,
        out.reduce((a, b) => a * b, 1),
      );
      await expectAgree(
        () => {
          const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
            tf.sum(
              tf.mul(
                tf.fused.conv2d({
                  x: x as tf.Tensor4D,
                  filter: w as tf.Tensor4D,
                  strides: c.stride,
                  pad: c.pad as "same" | "valid",
                  bias: b,
                  activation: "relu",
                }),
                tf.tensor(r, out),
              ),
            );
          return tf.grads(f)([tf.tensor4d(c.x, c.xShape), tf.tensor4d(c.w, c.wShape), tf.tensor1d(bias)]);
        },
        1e-4,
        c.label,
      );
    }
  });
});

describe("Conv2D and FusedConv2D with 'same' padding", () => {
  it("values match cpu on random shapes with strides 1–3 (the stock wasm kernels fail some)", async () => {
    const rng = new Rng(3500);
    // Shapes where tfjs 4.22's stock wasm Conv2D gave wrong 'same' results, then random ones.
    const known: [number[], number[], number][] = [
      [[1, 5, 6, 2], [4, 1, 2, 1], 2],
      [[2, 6, 5, 2], [1, 3, 2, 2], 3],
      [[1, 5, 6, 3], [2, 2, 3, 1], 3],
      [[2, 6, 4, 1], [4, 1, 1, 1], 2],
    ];
    const cases = known.map(([xs, ws, s]) => ({ xs, ws, s }));
    for (let k = 0; k < 20; k++) {
      const xs = [int(rng, 1, 2), int(rng, 2, 9), int(rng, 2, 9), int(rng, 1, 3)];
      const ws = [int(rng, 1, Math.min(4, xs[1])), int(rng, 1, Math.min(4, xs[2])), xs[3], int(rng, 1, 3)];
      cases.push({ xs, ws, s: int(rng, 1, 3) });
    }
    for (const { xs, ws, s } of cases) {
      const x = randomArray(
        rng,
        xs.reduce((a, b) => a * b, 1),
      );
      const w = randomArray(
        rng,
        ws.reduce((a, b) => a * b, 1),
      );
      const bias = randomArray(rng, ws[3]);
      await expectAgree(
        () => {
          const xt = tf.tensor4d(x, xs as [number, number, number, number]);
          const wt = tf.tensor4d(w, ws as [number, number, number, number]);
          return [
            tf.conv2d(xt, wt, s, "same"),
            tf.fused.conv2d({
              x: xt,
              filter: wt,
              strides: s,
              pad: "same",
              bias: tf.tensor1d(bias),
              activation: "linear",
            }),
          ];
        },
        1e-4,
        `x [${xs}] w [${ws}] stride ${s}`,
      );
    }
  });
});

describe("Conv2DBackpropInput (conv2dTranspose)", () => {
  it.each(SETTINGS.filter((s) => s.pad !== "explicit"))(
    "values and gradients match cpu (stride $stride, $pad padding)",
    async ({ stride, pad: padKind }) => {
      const pad = padKind as "same" | "valid";
      const rng = new Rng(4000 + stride * 10 + pad.length);
      for (let k = 0; k < CASES_PER_SETTING; k++) {
        // conv2dTranspose of x [n, h, w, cin] with a filter [kh, kw, cout, cin] to [n, H, W, cout].
        const n = int(rng, 1, 3);
        const h = int(rng, 1, 5);
        const w = int(rng, 1, 5);
        const cin = int(rng, 1, 4);
        const cout = int(rng, 1, 4);
        const kh = int(rng, 1, 4);
        const kw = int(rng, 1, 4);
        const outH = pad === "same" ? h * stride : (h - 1) * stride + kh;
        const outW = pad === "same" ? w * stride : (w - 1) * stride + kw;
        const xShape: [number, number, number, number] = [n, h, w, cin];
        const wShape: [number, number, number, number] = [kh, kw, cout, cin];
        const outShape: [number, number, number, number] = [n, outH, outW, cout];
        const x = randomArray(rng, n * h * w * cin);
        const f = randomArray(rng, kh * kw * cout * cin);
        const r = randomArray(rng, n * outH * outW * cout);
        const label = `x [${xShape}] w [${wShape}] → [${outShape}] stride ${stride} ${pad}`;
        await expectAgree(
          () => {
            const y = tf.conv2dTranspose(
              tf.tensor4d(x, xShape),
              tf.tensor4d(f, wShape),
              outShape,
              stride,
              pad,
            );
            const loss = (a: tf.Tensor, b: tf.Tensor) =>
              tf.sum(
                tf.mul(
                  tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, stride, pad),
                  tf.tensor(r, outShape),
                ),
              );
            const [dx, dw] = tf.grads(loss)([tf.tensor4d(x, xShape), tf.tensor4d(f, wShape)]);
            return [y, dx, dw];
          },
          1e-4,
          label,
        );
      }
    },
  );
});

describe("BatchMatMul", () => {
  it("values and gradients match cpu for every transpose and broadcast batches", async () => {
    const rng = new Rng(5000);
    for (let k = 0; k < 16; k++) {
      const ta = k % 2 === 1;
      const tb = (k >> 1) % 2 === 1;
      const m = int(rng, 1, 7);
      const inner = int(rng, 1, 7);
      const p = int(rng, 1, 7);
      const batchA = k < 4 ? [] : k < 8 ? [int(rng, 1, 3)] : [2, 3];
      const batchB = k < 4 ? [] : k < 8 ? batchA : k < 12 ? [1, 3] : [3];
      const aShape = [...batchA, ...(ta ? [inner, m] : [m, inner])];
      const bShape = [...batchB, ...(tb ? [p, inner] : [inner, p])];
      const a = randomArray(
        rng,
        aShape.reduce((s, v) => s * v, 1),
      );
      const b = randomArray(
        rng,
        bShape.reduce((s, v) => s * v, 1),
      );
      await expectAgree(
        () => {
          const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x, y, ta, tb)));
          const y = tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb);
          // tfjs-core's matMul gradient does not reduce broadcast batch axes: values only there.
          if (batchA.join() !== batchB.join()) return [y];
          return [y, ...tf.grads(f)([tf.tensor(a, aShape), tf.tensor(b, bShape)])];
        },
        1e-4,
        `a [${aShape}] b [${bShape}] transposeA ${ta} transposeB ${tb}`,
      );
    }
  });
});

describe("Tile", () => {
  it("values match cpu on random shapes, reps and dtypes", async () => {
    const rng = new Rng(6000);
    for (let k = 0; k < 30; k++) {
      const rank = int(rng, 1, 4);
      const shape = Array.from({ length: rank }, () => int(rng, 1, 4));
      const reps = Array.from({ length: rank }, () => int(rng, k === 0 ? 0 : 1, 3));
      const dtype = (["float32", "int32", "bool"] as const)[k % 3];
      const size = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: size }, () =>
        dtype === "float32" ? rng.normal() : int(rng, 0, dtype === "bool" ? 1 : 9),
      );
      const r = await onBoth(() => [tf.tile(tf.tensor(values, shape, dtype), reps)]);
      expect(r.wasm[0].shape).toEqual(r.cpu[0].shape);
      expect(r.wasm[0].values, `shape [${shape}] reps [${reps}] ${dtype}`).toEqual(r.cpu[0].values);
    }
  });

  it("the batch-norm pattern ([1, 1, 1, C] to [N, H, W, C]) and its gradient match cpu", async () => {
    const rng = new Rng(6100);
    const c = randomArray(rng, 5);
    const r = randomArray(rng, 3 * 4 * 2 * 5);
    await expectAgree(
      () => {
        const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.tile(x, [3, 4, 2, 1]), tf.tensor(r, [3, 4, 2, 5])));
        return [tf.tile(tf.tensor(c, [1, 1, 1, 5]), [3, 4, 2, 1]), tf.grad(f)(tf.tensor(c, [1, 1, 1, 5]))];
      },
      0,
      "tile [1,1,1,5] by [3,4,2,1]",
    );
  });
});

describe("a tiny DCGAN trains on wasm as on cpu", () => {
  it("2 Adam steps of the generator, discriminator and encoder agree to 1e-3 relative", async () => {
    const sizes = { z: 8, width: 2, image: 16 as const, seed: 7 };
    const batch = 6;
    const rng = new Rng(8000);
    const z = randomArray(rng, batch * sizes.z);
    const real = randomArray(rng, batch * 16 * 16).map((v) => Math.tanh(v));
    // Initial weights: made once, on cpu.
    await tf.setBackend("cpu");
    const init = [buildGenerator(sizes), buildDiscriminator(sizes), buildEncoder(sizes)].map((m) =>
      m.getWeights().map((w) => ({ shape: w.shape, values: Array.from(w.dataSync()) })),
    );
    type Run = { losses: number[]; weights: number[][] };
    const runs = {} as Record<Backend, Run>;
    for (const b of ["wasm", "cpu"] as const) {
      await tf.setBackend(b);
      const [G, D, E] = [buildGenerator(sizes), buildDiscriminator(sizes), buildEncoder(sizes)];
      [G, D, E].forEach((m, i) => m.setWeights(init[i].map((w) => tf.tensor(w.values, w.shape))));
      const [optG, optD, optE] = [0, 1, 2].map(() => tf.train.adam(2e-4, 0.5));
      const zt = tf.tensor2d(z, [batch, sizes.z]);
      const xt = tf.tensor4d(real, [batch, 16, 16, 1]);
      const ones = tf.ones([batch, 1]);
      const zeros = tf.zeros([batch, 1]);
      const losses: number[] = [];
      const vars = (m: tf.LayersModel) => m.trainableWeights.map((w) => w.read() as tf.Variable);
      for (let step = 0; step < 2; step++) {
        // Discriminator: sigmoid cross-entropy on real and generated images.
        const fake = tf.tidy(() => G.apply(zt, { training: true }) as tf.Tensor);
        const ld = optD.minimize(
          () =>
            tf.add(
              tf.losses.sigmoidCrossEntropy(ones, D.apply(xt, { training: true }) as tf.Tensor),
              tf.losses.sigmoidCrossEntropy(zeros, D.apply(fake, { training: true }) as tf.Tensor),
            ) as tf.Scalar,
          true,
          vars(D),
        );
        // Generator through the discriminator: binary cross-entropy on sigmoid probabilities.
        const lg = optG.minimize(
          () =>
            tf.mean(
              tf.metrics.binaryCrossentropy(
                ones,
                tf.sigmoid(D.apply(G.apply(zt, { training: true }), { training: true }) as tf.Tensor),
              ),
            ) as tf.Scalar,
          true,
          vars(G),
        );
        // Encoder: mean squared error of E(G(z)) against z.
        const le = optE.minimize(
          () => tf.losses.meanSquaredError(zt, E.apply(fake, { training: true }) as tf.Tensor) as tf.Scalar,
          true,
          vars(E),
        );
        for (const l of [ld, lg, le]) {
          losses.push(l!.dataSync()[0]);
          l!.dispose();
        }
        fake.dispose();
      }
      runs[b] = {
        losses,
        weights: [G, D, E].flatMap((m) => m.getWeights().map((w) => Array.from(w.dataSync()))),
      };
      tf.dispose([zt, xt, ones, zeros]);
    }
    expect(runs.wasm.losses.every(Number.isFinite)).toBe(true);
    runs.cpu.losses.forEach((l, i) =>
      expect(Math.abs(runs.wasm.losses[i] - l) / Math.abs(l), `loss ${i}`).toBeLessThanOrEqual(1e-3),
    );
    const initFlat = init.flatMap((ws) => ws.map((w) => w.values));
    expect(runs.cpu.weights.length).toBe(initFlat.length);
    let moved = 0;
    runs.cpu.weights.forEach((w, i) => {
      expect(relErr(runs.wasm.weights[i], w), `weight ${i}`).toBeLessThanOrEqual(1e-3);
      // The updates themselves (after − before) agree too, in the L2 norm.
      const du = w.map((v, j) => v - initFlat[i][j]);
      const dw = runs.wasm.weights[i].map((v, j) => v - initFlat[i][j]);
      const norm = Math.hypot(...du);
      if (norm > 0) moved++;
      if (norm > 0)
        expect(
          Math.hypot(...du.map((v, j) => v - dw[j])) / norm,
          `update of weight ${i}`,
        ).toBeLessThanOrEqual(1e-3);
    });
    expect(moved).toBeGreaterThan(initFlat.length / 2);
  });

  it("ganIteration (the benchmark's GAN iteration) gives the same losses on wasm and cpu", async () => {
    const sizes = { z: 8, width: 2, image: 16 as const, seed: 9 };
    const rng = new Rng(8100);
    const real = randomArray(rng, 6 * 16 * 16).map((v) => Math.tanh(v));
    const z = randomArray(rng, 6 * 8);
    const losses = {} as Record<Backend, number[]>;
    for (const b of ["wasm", "cpu"] as const) {
      await tf.setBackend(b);
      const gan = ganIteration(sizes);
      const [x, zt] = [tf.tensor4d(real, [6, 16, 16, 1]), tf.tensor2d(z, [6, 8])];
      losses[b] = [0, 1].flatMap(() => Object.values(gan.step(x, zt)));
      gan.models.forEach((m) => m.dispose());
      tf.dispose([x, zt]);
    }
    await tf.setBackend("wasm");
    expect(losses.cpu.length).toBe(6);
    losses.cpu.forEach((l, i) =>
      expect(Math.abs(losses.wasm[i] - l) / Math.abs(l), `loss ${i}`).toBeLessThanOrEqual(1e-3),
    );
  });
});
