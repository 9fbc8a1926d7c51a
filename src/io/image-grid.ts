/**
 * Sample grids as PNG files: images in [−1, 1] (channels last, grey or RGB) tiled into a grid
 * with a 2-pixel border, for the injective-GAN experiment's sample sheets.
 */

import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { PNG } from "pngjs";

/** Tiles `count` images of side×side×channels (values in [−1, 1]) into a PNG, `cols` per row. */
export function imageGridPng(
  images: Float32Array,
  count: number,
  side: number,
  channels: number,
  cols = 8,
): Buffer {
  if (count < 1 || images.length < count * side * side * channels)
    throw new RangeError(
      `imageGridPng(): ${images.length} values do not hold ${count} images of ${side}×${side}×${channels}`,
    );
  const rows = Math.ceil(count / cols);
  const pad = 2;
  const W = cols * (side + pad) + pad;
  const H = rows * (side + pad) + pad;
  const png = new PNG({ width: W, height: H });
  png.data.fill(255);
  const byte = (v: number): number => Math.max(0, Math.min(255, Math.round(((v + 1) / 2) * 255)));
  for (let i = 0; i < count; i++) {
    const ox = pad + (i % cols) * (side + pad);
    const oy = pad + Math.floor(i / cols) * (side + pad);
    for (let r = 0; r < side; r++)
      for (let c = 0; c < side; c++) {
        const src = ((i * side + r) * side + c) * channels;
        const dst = ((oy + r) * W + ox + c) * 4;
        for (let k = 0; k < 3; k++) png.data[dst + k] = byte(images[src + (channels === 3 ? k : 0)]);
        png.data[dst + 3] = 255;
      }
  }
  return PNG.sync.write(png);
}

/** Writes {@link imageGridPng} to `path` (creating its folder). */
export async function writeImageGrid(
  path: string,
  images: Float32Array,
  count: number,
  side: number,
  channels: number,
  cols = 8,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, imageGridPng(images, count, side, channels, cols));
}
