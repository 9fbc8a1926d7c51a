/**
 * The last step of every model importer (ONNX, TF.js, safetensors): validate the layers read from
 * the file as a network, and report a problem as a one-line error about the file.
 */

import { isInputError } from "../core/validate.js";
import { NETWORK_FORMAT, validateNetwork, type DenseLayerSpec, type Network } from "../network/network.js";

/**
 * Validates imported layers as a network.
 * @param fn the importer's name, as it prefixes validation messages
 * @param fail the importer's error reporter (throws a FileFormatError naming the file)
 */
export function importedNetwork(
  fn: string,
  inputDim: number,
  layers: DenseLayerSpec[],
  fail: (problem: string) => never,
): Network {
  try {
    return validateNetwork(fn, { format: NETWORK_FORMAT, version: 1, inputDim, layers });
  } catch (e) {
    if (isInputError(e)) fail(e.message.startsWith(`${fn}: `) ? e.message.slice(fn.length + 2) : e.message);
    throw e;
  }
}
