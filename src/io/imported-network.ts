/**
 * The last step of every model importer (ONNX, TF.js, safetensors): validate the layers read from
 * the file as a network, and report a problem as a one-line error about the file.
 */

import { isInputError } from "../core/validate.js";
import {
  NETWORK_FORMAT,
  validateNetwork,
  type DenseLayerSpec,
  type Network,
  type Precision,
} from "../model/network.js";

/**
 * Validates imported layers as a network.
 * @param fn the importer's name, as it prefixes validation messages
 * @param fail the importer's error reporter (throws a FileFormatError naming the file)
 * @param precision the coarsest floating-point format of the weights read (see Network.precision)
 */
export function importedNetwork(
  fn: string,
  inputDim: number,
  layers: DenseLayerSpec[],
  fail: (problem: string) => never,
  precision?: Precision,
): Network {
  try {
    return validateNetwork(fn, {
      format: NETWORK_FORMAT,
      version: 1,
      inputDim,
      layers,
      ...(precision ? { precision } : {}),
    });
  } catch (e) {
    if (isInputError(e)) fail(e.message.startsWith(`${fn}: `) ? e.message.slice(fn.length + 2) : e.message);
    throw e;
  }
}

/** Unit roundoffs of the precisions, to keep the coarsest one an importer met. */
const ROUNDOFF: Record<Precision, number> = {
  float64: 2 ** -53,
  float32: 2 ** -24,
  float16: 2 ** -11,
  bfloat16: 2 ** -8,
};

/** The coarser of two precisions (undefined counts as none seen yet). */
export function coarser(a: Precision | undefined, b: Precision): Precision {
  return a === undefined || ROUNDOFF[b] > ROUNDOFF[a] ? b : a;
}
