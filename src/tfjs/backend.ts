/**
 * A CPU training backend for TensorFlow.js under Node: the `wasm` backend
 * (`@tensorflow/tfjs-backend-wasm`, XNNPACK with SIMD) loaded from the files in node_modules,
 * plus the kernels it lacks for training (src/tfjs/kernels). See docs/tfjs.md.
 */

import { createRequire } from "node:module";
import { dirname, sep } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { MISSING_KERNELS, registerTrainingKernels, REPLACED_KERNELS } from "./kernels/index.js";

/** Options of {@link setupTrainingBackend}. */
export interface TrainingBackendOptions {
  /**
   * The backend to make current: "wasm" (default, fast) or "cpu" (tfjs's reference JavaScript
   * backend, slow; useful for comparisons).
   */
  backend?: "wasm" | "cpu";
  /**
   * The folder that holds tfjs-backend-wasm's .wasm files. Default: the `dist` folder of the
   * installed `@tensorflow/tfjs-backend-wasm` package, found with Node's module resolution.
   */
  wasmDir?: string;
}

/** What {@link setupTrainingBackend} set up. */
export interface TrainingBackendInfo {
  /** The current tfjs backend after the call. */
  backend: string;
  /** Whether the wasm binary in use has SIMD (false for the cpu backend). */
  simd: boolean;
  /** The kernels registered for the wasm backend by this package (all of them, not only this call's). */
  kernels: string[];
  /** The folder the .wasm files were loaded from (null for the cpu backend). */
  wasmDir: string | null;
}

let wasmDirInUse: string | null = null;

/** The folder of the installed tfjs-backend-wasm's .wasm files. */
export function defaultWasmDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));
}

/**
 * Loads the wasm backend from local files (never a download), registers the training kernels it
 * lacks, and makes the chosen backend current.
 *
 * The wasm backend runs on one thread under Node; docs/tfjs.md says how to use both cores.
 *
 * @throws TypeError when `options.backend` is neither "wasm" nor "cpu", or the wasm backend
 * fails to initialise.
 */
export async function setupTrainingBackend(
  options: TrainingBackendOptions = {},
): Promise<TrainingBackendInfo> {
  const backend = options.backend ?? "wasm";
  if (backend !== "wasm" && backend !== "cpu") {
    throw new TypeError(`setupTrainingBackend: backend must be "wasm" or "cpu", got ${String(backend)}`);
  }
  const kernels = [...MISSING_KERNELS, ...REPLACED_KERNELS].map((k) => k.kernelName);
  if (backend === "cpu") {
    await tf.setBackend("cpu");
    await tf.ready();
    return { backend: tf.getBackend(), simd: false, kernels, wasmDir: null };
  }
  const dir = options.wasmDir ?? defaultWasmDir();
  if (wasmDirInUse === null) {
    setWasmPaths(dir.endsWith(sep) ? dir : dir + sep);
    wasmDirInUse = dir;
  } else if (wasmDirInUse !== dir) {
    throw new TypeError(`setupTrainingBackend: the wasm backend was already loaded from ${wasmDirInUse}`);
  }
  const ok = await tf.setBackend("wasm");
  if (!ok) throw new TypeError(`setupTrainingBackend: the wasm backend failed to initialise from ${dir}`);
  await tf.ready();
  // After the backend's initialisation, so that the stock kernels we replace were set up too.
  registerTrainingKernels();
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true;
  return { backend: tf.getBackend(), simd, kernels, wasmDir: dir };
}
