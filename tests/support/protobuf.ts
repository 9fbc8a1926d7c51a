/**
 * Hand-written protobuf bytes for tests that need messages protobufjs's encoder cannot write (it
 * recurses, so it would overflow the stack on the deep nesting that the ONNX reader must refuse).
 */

/** The varint encoding of a non-negative integer. */
export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/**
 * The bytes of a message nested `levels` times through a cycle of fields: each step is [tag of the
 * field that holds the inner message, bytes written before that field]. Built from the inside out
 * in linear time.
 */
export function nestedMessage(levels: number, cycle: [number, number[]][]): number[] {
  const chunks: number[][] = [];
  let length = 0;
  for (let k = 0; k < levels; k++)
    for (const [tag, before] of cycle) {
      const head = [...before, tag, ...varint(length)];
      chunks.push(head);
      length += head.length;
    }
  const out: number[] = [];
  for (let k = chunks.length - 1; k >= 0; k--) for (const b of chunks[k]) out.push(b);
  return out;
}

/** A ModelProto whose graph nests graphs `levels` deep through node attributes (If-style). */
export function deepOnnxGraph(levels: number): Uint8Array {
  const graphs = nestedMessage(levels, [
    [0x32, [0x0a, 0x01, 0x67]], // AttributeProto: name "g", then field 6 (g) = the inner graph
    [0x2a, []], // NodeProto: field 5 (attribute)
    [0x0a, []], // GraphProto: field 1 (node)
  ]);
  const out = [0x3a, ...varint(graphs.length)]; // ModelProto field 7 (graph)
  for (const b of graphs) out.push(b);
  return new Uint8Array(out);
}
