/**
 * The outputs (images) that `invert` reads: one y, or many.
 *
 * - a JSON array of numbers (one y) or of arrays (one y per row);
 * - a `.npy` array: shape (d), (1, d) or the network's output shape (one y), (N, d) or
 *   (N, …output shape) (N images); float32 data (`<f4`) sets y's precision to float32;
 * - a folder: every `.npy` and `.json` file directly in it, in name order, one image each.
 *
 * Every image must have the network's output size, in C order (channels first, as PyTorch writes
 * them), with finite entries; anything else is a one-line FileFormatError naming the file and the
 * image (exit 3).
 */

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { FileFormatError } from "../../io/errors.js";
import { parseNpy } from "../../io/npy.js";
import { readUserFile } from "../../io/safe-file.js";
import { DEFAULT_MEMORY_LIMIT_BYTES } from "../../core/budget.js";
import { recordGeometry } from "../../model/conv-layer.js";
import { layerOutputDim, type Network, type Precision } from "../../model/network.js";

/** The images read. */
export interface Outputs {
  ys: Float64Array[];
  /** One label per image (file name, or `name[k]` for row k of a file). */
  names: string[];
  /** Precision y was stored in (the coarsest of the files). */
  precision: Precision;
  /** True when the input holds a batch (several rows, or a folder), even of one image. */
  batch: boolean;
}

/** The output shape of a network (without the batch dimension) when a layer records it, else [d]. */
export function outputShape(net: Network): number[] {
  const last = net.layers[net.layers.length - 1];
  if (last.conv) return recordGeometry(last.conv).outputShape;
  if (last.reshape?.outputShape) return last.reshape.outputShape;
  return [layerOutputDim(last)];
}

const shapeText = (s: readonly number[]): string => `(${s.join(", ")}${s.length === 1 ? "," : ""})`;
const squeeze = (s: readonly number[]): number[] => {
  const t = s.slice();
  while (t.length > 1 && t[0] === 1) t.shift();
  return t;
};

function checkFinite(source: string, what: string, y: ArrayLike<number>): void {
  for (let i = 0; i < y.length; i++)
    if (!Number.isFinite(y[i]))
      throw new FileFormatError(source, `${what}entry [${i}] is ${y[i]}; y must be finite (no NaN or Inf)`);
}

function npyPrecision(dtype: string): Precision {
  return /f4$/.test(dtype) ? "float32" : "float64";
}

/** Reads one file: a single y or a batch. */
async function readOne(
  path: string,
  label: string,
  d: number,
  shape: number[],
  limit: number,
  noun = "the network's output",
): Promise<{ ys: Float64Array[]; names: string[]; precision: Precision; batch: boolean }> {
  const bytes = await readUserFile(path, "file", limit);
  const want = `${d} entries (${noun}${shape.length > 1 ? ` shape ${shapeText(shape)}, channels first` : ""})`;
  if (path.toLowerCase().endsWith(".npy")) {
    const { shape: s, data, dtype } = parseNpy(new Uint8Array(bytes), label, { memoryLimitBytes: limit });
    const precision = npyPrecision(dtype);
    const sq = squeeze(s);
    const outSq = squeeze(shape);
    const single = (s.length === 1 && s[0] === d) || sq.join(",") === outSq.join(",");
    if (single) {
      checkFinite(label, "", data);
      return { ys: [data], names: [label], precision, batch: false };
    }
    const rest = s.slice(1);
    const N = s[0];
    const restOk =
      rest.length > 0 &&
      ((rest.length === 1 && rest[0] === d) || squeeze(rest).join(",") === outSq.join(","));
    if (!restOk || N === 0)
      throw new FileFormatError(
        label,
        `has shape ${shapeText(s)}, expected one image of ${want}, or N images of shape (N, ${d})${shape.length > 1 ? ` or (N, ${shape.join(", ")})` : ""}`,
      );
    const ys: Float64Array[] = [];
    for (let k = 0; k < N; k++) {
      const y = data.slice(k * d, (k + 1) * d);
      checkFinite(label, `image ${k}: `, y);
      ys.push(y);
    }
    return { ys, names: ys.map((_, k) => `${label}[${k}]`), precision, batch: true };
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, ""));
  } catch {
    throw new FileFormatError(
      label,
      "invalid JSON (expected an array of numbers, or an array of such arrays)",
    );
  }
  const asVector = (v: unknown, what: string): Float64Array => {
    if (!Array.isArray(v) || v.length === 0)
      throw new FileFormatError(label, `${what}must be a non-empty array of numbers`);
    const flat = v.flat(Infinity as 1) as unknown[];
    if (!flat.every((x) => typeof x === "number"))
      throw new FileFormatError(
        label,
        `${what}must hold numbers only (null, a string or NaN written as null?)`,
      );
    if (flat.length !== d)
      throw new FileFormatError(label, `${what}has ${flat.length} entries, expected ${want}`);
    const y = Float64Array.from(flat as number[]);
    checkFinite(label, what, y);
    return y;
  };
  if (!Array.isArray(value) || value.length === 0)
    throw new FileFormatError(
      label,
      "expected a non-empty JSON array of numbers, or an array of such arrays",
    );
  if (value.every((x) => typeof x === "number") || (value.length !== 1 && flatSize(value) === d))
    return { ys: [asVector(value, "")], names: [label], precision: "float64", batch: false };
  const ys = value.map((v, k) => asVector(v, `image ${k}: `));
  return { ys, names: ys.map((_, k) => `${label}[${k}]`), precision: "float64", batch: true };
}

function flatSize(v: unknown): number {
  return Array.isArray(v) ? v.reduce((a: number, x) => a + flatSize(x), 0) : 1;
}

/**
 * Reads the outputs to invert from a file or a folder (see the module comment).
 * @throws FileFormatError for a missing file, an empty folder, a wrong size or shape, NaN/Inf
 */
export async function readOutputs(
  path: string,
  net: Network,
  limit = DEFAULT_MEMORY_LIMIT_BYTES,
): Promise<Outputs> {
  const d = layerOutputDim(net.layers[net.layers.length - 1]);
  const shape = outputShape(net);
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    isDir = false; // readUserFile reports a missing file
  }
  if (!isDir) return readOne(path, path, d, shape, limit);
  const files = (await readdir(path))
    .filter((f) => /\.(npy|json)$/i.test(f))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  if (files.length === 0) throw new FileFormatError(path, "the folder has no .npy or .json images");
  const ys: Float64Array[] = [];
  const names: string[] = [];
  let precision: Precision = "float64";
  for (const f of files) {
    const r = await readOne(join(path, f), f, d, shape, limit);
    if (r.batch)
      throw new FileFormatError(f, `holds ${r.ys.length} images; a folder holds one image per file`);
    ys.push(r.ys[0]);
    names.push(f);
    if (r.precision === "float32") precision = "float32";
  }
  return { ys, names, precision, batch: true };
}

/** Reads the true inputs (`--truth`): one vector, or one per image. */
export async function readTruths(path: string, n: number, count: number): Promise<Float64Array[]> {
  const r = await readOne(path, path, n, [n], DEFAULT_MEMORY_LIMIT_BYTES, "the network's input dimension");
  if (r.ys.length !== count)
    throw new FileFormatError(path, `holds ${r.ys.length} input(s), expected ${count} (one per image)`);
  return r.ys;
}
