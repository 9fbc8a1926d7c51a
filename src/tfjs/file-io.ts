/**
 * Saving and loading TensorFlow.js layers models as files under Node without `@tensorflow/tfjs-node`
 * (whose install downloads a TensorFlow binary): {@link fileSaveHandler} writes `model.json` and one
 * weight shard `weights.bin` in the format of tfjs's `file://` handler, which `injective-relu check`
 * and `invert` read (src/io/tfjs.ts); {@link fileLoadHandler} reads such a folder back with
 * `tf.loadLayersModel`.
 */

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";

/** The weight shard file name written by {@link fileSaveHandler}. */
export const WEIGHTS_FILE = "weights.bin";

/** Concatenates tfjs weight data (one buffer or several) into one byte array. */
function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

/**
 * An IOHandler for `model.save(...)` that writes `dir/model.json` and `dir/weights.bin` (the folder
 * is created when missing).
 * @example
 * await model.save(fileSaveHandler("out/generator"));
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    await mkdir(dir, { recursive: true });
    const bytes = weightBytes(artifacts.weightData);
    const modelJson = {
      format: artifacts.format ?? "layers-model",
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
    };
    await writeFile(join(dir, "model.json"), JSON.stringify(modelJson));
    await writeFile(join(dir, WEIGHTS_FILE), bytes);
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        weightDataBytes: bytes.byteLength,
      },
    };
  });
}

/**
 * An IOHandler for `tf.loadLayersModel(...)` that reads a folder written by
 * {@link fileSaveHandler} (one group, its shards concatenated in order). Custom layers must be
 * registered first (importing this package's `tfjs` entry registers the injective layers).
 */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as {
        modelTopology: object;
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
      };
      const specs: tf.io.WeightsManifestEntry[] = [];
      const parts: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) parts.push(new Uint8Array(await readFile(join(dir, p))));
      }
      const data = weightBytes(
        parts.map((p) => p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength) as ArrayBuffer),
      );
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        weightSpecs: specs,
        weightData: data.buffer as ArrayBuffer,
      };
    },
  };
}
