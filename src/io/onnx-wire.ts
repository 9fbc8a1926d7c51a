/**
 * A check of the protobuf wire format of an ONNX model, run before `onnx-proto` decodes it.
 *
 * protobufjs decodes nested messages by recursion, and skips unknown groups by recursion too, so a
 * small file nested thousands of levels deep (a graph in an attribute of a node of a graph …, or a
 * sequence type of a sequence type …) would overflow the stack. Its generated decoders also trust
 * the schema more than the bytes: a field of the wrong wire type, a packed field whose length is
 * not a whole number of elements, or a length that runs past the end of the enclosing message makes
 * them read bytes that belong to something else.
 *
 * {@link checkOnnxWire} walks the bytes once, iteratively (an explicit stack), with the ONNX schema
 * of the message fields that `onnx-proto` (ONNX 1.10) knows: every length stays inside its parent,
 * every known field has the wire type its decoder expects, packed fields hold whole elements,
 * varints are at most 10 bytes, groups and the reserved wire types are refused, and messages are
 * nested at most {@link MAX_DEPTH} deep. Varints that protobufjs reads as 32-bit values (tags,
 * lengths, int32 and enum fields) must have the encodings its `uint32()` reads byte for byte: at
 * most 5 bytes (tags and lengths below 2^32), or exactly 10 for a negative int32. After the check
 * passes, the decoder's recursion is bounded and it reads exactly the structure that was checked.
 */

/** How a field is read: a sub-message, bytes/string, or a scalar (packable when repeated). */
type FieldKind =
  | { msg: string }
  | "bytes" // strings and bytes: wire type 2
  | "varint" // int64, uint64: wire type 0
  | "int32" // int32, enum: wire type 0, read as protobufjs's uint32 does
  | "float" // wire type 5
  | "varints" // repeated int64: wire type 0, or 2 packed
  | "int32s" // repeated int32: wire type 0, or 2 packed
  | "floats" // repeated floats: wire type 5, or 2 packed (4 bytes each)
  | "doubles"; // repeated doubles: wire type 1, or 2 packed (8 bytes each)

const M = (msg: string): FieldKind => ({ msg });

/** The fields of the ONNX messages, by field number, as onnx-proto's decoders read them. */
const SCHEMA: Record<string, Record<number, FieldKind>> = {
  ModelProto: {
    1: "varint",
    8: M("OperatorSetIdProto"),
    2: "bytes",
    3: "bytes",
    4: "bytes",
    5: "varint",
    6: "bytes",
    7: M("GraphProto"),
    14: M("StringStringEntryProto"),
    20: M("TrainingInfoProto"),
    25: M("FunctionProto"),
  },
  OperatorSetIdProto: { 1: "bytes", 2: "varint" },
  StringStringEntryProto: { 1: "bytes", 2: "bytes" },
  TrainingInfoProto: {
    1: M("GraphProto"),
    2: M("GraphProto"),
    3: M("StringStringEntryProto"),
    4: M("StringStringEntryProto"),
  },
  FunctionProto: {
    1: "bytes",
    4: "bytes",
    5: "bytes",
    6: "bytes",
    7: M("NodeProto"),
    8: "bytes",
    9: M("OperatorSetIdProto"),
    10: "bytes",
  },
  GraphProto: {
    1: M("NodeProto"),
    2: "bytes",
    5: M("TensorProto"),
    15: M("SparseTensorProto"),
    10: "bytes",
    11: M("ValueInfoProto"),
    12: M("ValueInfoProto"),
    13: M("ValueInfoProto"),
    14: M("TensorAnnotation"),
  },
  TensorAnnotation: { 1: "bytes", 2: M("StringStringEntryProto") },
  NodeProto: {
    1: "bytes",
    2: "bytes",
    3: "bytes",
    4: "bytes",
    7: "bytes",
    5: M("AttributeProto"),
    6: "bytes",
  },
  AttributeProto: {
    1: "bytes",
    21: "bytes",
    13: "bytes",
    20: "int32",
    2: "float",
    3: "varint",
    4: "bytes",
    5: M("TensorProto"),
    6: M("GraphProto"),
    22: M("SparseTensorProto"),
    14: M("TypeProto"),
    7: "floats",
    8: "varints",
    9: "bytes",
    10: M("TensorProto"),
    11: M("GraphProto"),
    23: M("SparseTensorProto"),
    15: M("TypeProto"),
  },
  ValueInfoProto: { 1: "bytes", 2: M("TypeProto"), 3: "bytes" },
  TensorProto: {
    1: "varints",
    2: "int32",
    3: M("Segment"),
    4: "floats",
    5: "int32s",
    6: "bytes",
    7: "varints",
    8: "bytes",
    12: "bytes",
    9: "bytes",
    13: M("StringStringEntryProto"),
    14: "int32",
    10: "doubles",
    11: "varints",
  },
  Segment: { 1: "varint", 2: "varint" },
  SparseTensorProto: { 1: M("TensorProto"), 2: M("TensorProto"), 3: "varints" },
  TensorShapeProto: { 1: M("Dimension") },
  Dimension: { 1: "varint", 2: "bytes", 3: "bytes" },
  TypeProto: {
    1: M("TypeTensor"),
    4: M("TypeSequence"),
    5: M("TypeMap"),
    9: M("TypeOptional"),
    8: M("TypeSparseTensor"),
    6: "bytes",
  },
  TypeTensor: { 1: "int32", 2: M("TensorShapeProto") },
  TypeSequence: { 1: M("TypeProto") },
  TypeMap: { 1: "int32", 2: M("TypeProto") },
  TypeOptional: { 1: M("TypeProto") },
  TypeSparseTensor: { 1: "int32", 2: M("TensorShapeProto") },
};

/** The deepest nesting of messages accepted (real models nest a few levels, subgraphs a few more). */
export const MAX_DEPTH = 64;

/**
 * Checks the wire format of an ONNX ModelProto (see the module comment).
 * @returns null when the bytes are well formed, otherwise the problem in a few words with its offset
 */
export function checkOnnxWire(bytes: Uint8Array): string | null {
  const n = bytes.length;
  let pos = 0;
  /** Reads a varint at `pos` (at most 10 bytes, inside `end`); its value and length, or null. */
  const varint = (end: number): { value: number; size: number } | null => {
    let value = 0;
    let scale = 1;
    for (let k = 0; k < 10; k++) {
      if (pos >= end) return null;
      const b = bytes[pos++];
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return { value, size: k + 1 };
    }
    return null;
  };
  /** A tag or a length: at most 5 bytes and below 2^32, as protobufjs's uint32() reads it. */
  const uint32 = (end: number): number | null => {
    const v = varint(end);
    return v !== null && v.size <= 5 && v.value < 2 ** 32 ? v.value : null;
  };
  /** An int32 or enum value: 1 to 5 bytes, or 10 (a negative value). */
  const int32 = (end: number): boolean => {
    const v = varint(end);
    return v !== null && (v.size <= 5 || v.size === 10);
  };
  // The open messages, innermost last: their type and where they end.
  const stack: { type: string; end: number }[] = [{ type: "ModelProto", end: n }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (pos === top.end) {
      stack.pop();
      continue;
    }
    if (pos > top.end) return `a field runs past the end of its ${top.type} (offset ${top.end})`;
    const at = pos;
    const tag = uint32(top.end);
    if (tag === null) return `a malformed field tag at offset ${at}`;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0 || field >= 2 ** 29) return `an invalid field number ${field} at offset ${at}`;
    if (wire === 3 || wire === 4) return `a protobuf group (wire type ${wire}) at offset ${at}`;
    if (wire > 5) return `an invalid wire type ${wire} at offset ${at}`;
    const kind: FieldKind | undefined = SCHEMA[top.type][field];
    let length = 0;
    if (wire === 0) {
      const ok = kind === "int32" || kind === "int32s" ? int32(top.end) : varint(top.end) !== null;
      if (!ok) return `a malformed varint at offset ${at}`;
    } else if (wire === 1 || wire === 5) {
      length = wire === 1 ? 8 : 4;
      if (pos + length > top.end) return `a truncated fixed-size field at offset ${at}`;
    } else {
      const len = uint32(top.end);
      if (len === null) return `a malformed length at offset ${at}`;
      if (pos + len > top.end)
        return `a length of ${len} bytes at offset ${at} runs past the end of its ${top.type}`;
      length = len;
    }
    if (kind !== undefined) {
      const expected =
        typeof kind === "object" || kind === "bytes"
          ? [2]
          : kind === "varint" || kind === "int32"
            ? [0]
            : kind === "float"
              ? [5]
              : kind === "varints" || kind === "int32s"
                ? [0, 2]
                : kind === "floats"
                  ? [5, 2]
                  : [1, 2];
      if (!expected.includes(wire))
        return `field ${field} of ${top.type} has wire type ${wire}, expected ${expected.join(" or ")} (offset ${at})`;
      if (typeof kind === "object") {
        if (stack.length >= MAX_DEPTH)
          return `messages nested deeper than ${MAX_DEPTH} levels (offset ${at})`;
        stack.push({ type: kind.msg, end: pos + length });
        continue;
      }
      if (wire === 2 && (kind === "varints" || kind === "int32s")) {
        const end = pos + length;
        while (pos < end)
          if (kind === "int32s" ? !int32(end) : varint(end) === null)
            return `a malformed packed varint at offset ${at}`;
        continue;
      }
      if (wire === 2 && (kind === "floats" || kind === "doubles")) {
        const size = kind === "floats" ? 4 : 8;
        if (length % size !== 0)
          return `a packed field of ${length} bytes at offset ${at} is not a whole number of ${size}-byte values`;
      }
    }
    pos += length;
  }
  return pos === n ? null : `trailing bytes at offset ${pos}`;
}
