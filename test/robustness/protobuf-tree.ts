// A minimal protobuf wire-format tree for the ONNX messages a damaged-model test patches: parse a ModelProto into
// fields (descending into the message fields listed below), change a declared length or a dimension, re-encode.
// Enclosing messages get their true lengths back on encoding, so a patch tests exactly the one value it changes.

export interface PbField {
  no: number;
  wire: 0 | 1 | 2 | 5;
  /** Varint value (wire 0). */
  varint?: bigint;
  /** Payload of wire 1, 5 and of length-delimited fields that are not parsed further. */
  raw?: Uint8Array;
  /** Sub-message fields of a length-delimited field whose message type is known. */
  children?: PbField[];
  /** Message type of `children`. */
  type?: string;
  /** When set, the length prefix written instead of the true length (the damage). */
  lengthOverride?: bigint;
  /** Byte offset of the tag in the original file (for descriptions). */
  at: number;
}

// Field number -> message type, for the fields worth descending into (onnx.proto).
const messageFields: Record<string, Record<number, string>> = {
  Model: { 7: 'Graph', 8: 'OperatorSetId' },
  Graph: { 1: 'Node', 5: 'Tensor', 11: 'ValueInfo', 12: 'ValueInfo', 13: 'ValueInfo' },
  Node: { 5: 'Attribute' },
  Attribute: { 5: 'Tensor' },
  ValueInfo: { 2: 'Type' },
  Type: { 1: 'TensorType' },
  TensorType: { 2: 'Shape' },
  Shape: { 1: 'Dim' },
  Tensor: {},
  Dim: {},
  OperatorSetId: {},
};

export function readVarint(b: Uint8Array, pos: number): [value: bigint, next: number] {
  let v = 0n;
  let shift = 0n;
  for (let i = pos; i < b.length && i < pos + 10; i++) {
    v |= BigInt(b[i]! & 0x7f) << shift;
    shift += 7n;
    if ((b[i]! & 0x80) === 0) return [v, i + 1];
  }
  throw new Error(`bad varint at ${pos}`);
}

export function varint(v: bigint): Uint8Array {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    const low = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x ? low | 0x80 : low);
  } while (x);
  return Uint8Array.from(out);
}

/** Parses `b` as message `type`; throws on anything malformed (sources are valid corpus files). */
export function parseMessage(b: Uint8Array, type: string, base = 0): PbField[] {
  const fields: PbField[] = [];
  let pos = 0;
  while (pos < b.length) {
    const at = base + pos;
    const [tag, p1] = readVarint(b, pos);
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    pos = p1;
    if (wire === 0) {
      const [v, p2] = readVarint(b, pos);
      fields.push({ no, wire, varint: v, at });
      pos = p2;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      fields.push({ no, wire, raw: b.slice(pos, pos + n), at });
      pos += n;
    } else if (wire === 2) {
      const [len, p2] = readVarint(b, pos);
      const body = b.subarray(p2, p2 + Number(len));
      if (body.length !== Number(len)) throw new Error(`length past end at ${at}`);
      const sub = messageFields[type]?.[no];
      fields.push(sub ? { no, wire, children: parseMessage(body, sub, base + p2), type: sub, at } : { no, wire, raw: body.slice(), at });
      pos = p2 + Number(len);
    } else {
      throw new Error(`wire type ${wire} at ${at}`);
    }
  }
  return fields;
}

export function encodeMessage(fields: readonly PbField[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    parts.push(varint((BigInt(f.no) << 3n) | BigInt(f.wire)));
    if (f.wire === 0) parts.push(varint(f.varint!));
    else if (f.wire === 2) {
      const body = f.children ? encodeMessage(f.children) : f.raw!;
      parts.push(varint(f.lengthOverride ?? BigInt(body.length)), body);
    } else parts.push(f.raw!);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A field somewhere in the tree with the path that leads to it (e.g. "Model.7/Graph.5[2]/Tensor.9"). */
export interface Located {
  field: PbField;
  path: string;
}

/** Every field of the tree in file order. */
export function allFields(fields: PbField[], type = 'Model', prefix = ''): Located[] {
  const out: Located[] = [];
  const seen = new Map<number, number>();
  for (const f of fields) {
    const k = seen.get(f.no) ?? 0;
    seen.set(f.no, k + 1);
    const path = `${prefix}${type}.${f.no}[${k}]`;
    out.push({ field: f, path });
    if (f.children) out.push(...allFields(f.children, f.type!, `${path}/`));
  }
  return out;
}

/** Deep copy, so each variant patches its own tree. */
export function cloneTree(fields: readonly PbField[]): PbField[] {
  return fields.map((f) => ({ ...f, children: f.children && cloneTree(f.children) }));
}
