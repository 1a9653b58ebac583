import { Builder } from 'flatbuffers';

// Builds small TFLite flatbuffers for the reader's unit tests, field slots as in schema.fbs (see src/tflite/schema.ts).

export interface BuildTensor {
  name: string;
  shape: number[];
  /** TensorType code: 0 FLOAT32, 2 INT32, 9 INT8. */
  type: number;
  data?: Uint8Array;
  quant?: { scale: number[]; zeroPoint: number[]; dim?: number };
}

export interface BuildOp {
  /** BuiltinOperator code. */
  code: number;
  /** Write only the old byte field (models from before builtin_code existed). */
  deprecatedOnly?: boolean;
  /** Old byte field and new field given explicitly. */
  codes?: { deprecated: number; builtin: number };
  custom?: string;
  inputs: number[];
  outputs: number[];
  optionsType?: number;
  options?: (b: Builder) => number;
}

export interface BuildModel {
  tensors: BuildTensor[];
  ops: BuildOp[];
  inputs: number[];
  outputs: number[];
  description?: string;
  /** Large-model form: constant data after the flatbuffer, referenced by Buffer.offset/size (offset, when given). */
  external?: { offset: number };
}

function ints(b: Builder, v: number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addInt32(v[i]!);
  return b.endVector();
}

function floats(b: Builder, v: number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addFloat32(v[i]!);
  return b.endVector();
}

function longs(b: Builder, v: number[]): number {
  b.startVector(8, v.length, 8);
  for (let i = v.length - 1; i >= 0; i--) b.addInt64(BigInt(v[i]!));
  return b.endVector();
}

function ubytes(b: Builder, v: Uint8Array): number {
  b.startVector(1, v.length, 16);
  for (let i = v.length - 1; i >= 0; i--) b.addInt8(v[i]!);
  return b.endVector();
}

function offsets(b: Builder, v: number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addOffset(v[i]!);
  return b.endVector();
}

export function buildTflite(m: BuildModel): Uint8Array {
  const b = new Builder(1024);
  // buffers: 0 is the empty sentinel, then one per constant tensor
  const bufferData: Uint8Array[] = [];
  const tensorBuffer = m.tensors.map((t) => (t.data ? (bufferData.push(t.data), bufferData.length) : 0));
  let at = m.external?.offset ?? 0;
  const buffers = [new Uint8Array(0), ...bufferData].map((d) => {
    if (m.external && d.length) {
      b.startObject(3);
      b.addFieldInt64(1, BigInt(at), 0n);
      b.addFieldInt64(2, BigInt(d.length), 0n);
      at += d.length;
      return b.endObject();
    }
    const data = d.length ? ubytes(b, d) : 0;
    b.startObject(3);
    if (data) b.addFieldOffset(0, data, 0);
    return b.endObject();
  });
  const tensors = m.tensors.map((t, i) => {
    const shape = ints(b, t.shape);
    const name = b.createString(t.name);
    let quant = 0;
    if (t.quant) {
      const scale = floats(b, t.quant.scale);
      const zp = longs(b, t.quant.zeroPoint);
      b.startObject(7);
      b.addFieldOffset(2, scale, 0);
      b.addFieldOffset(3, zp, 0);
      b.addFieldInt32(6, t.quant.dim ?? 0, 0);
      quant = b.endObject();
    }
    b.startObject(11);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, t.type, 0);
    b.addFieldInt32(2, tensorBuffer[i]!, 0);
    b.addFieldOffset(3, name, 0);
    if (quant) b.addFieldOffset(4, quant, 0);
    return b.endObject();
  });
  const codes = m.ops.map((op) => {
    const custom = op.custom !== undefined ? b.createString(op.custom) : 0;
    b.startObject(4);
    if (op.codes) {
      b.addFieldInt8(0, op.codes.deprecated, 0);
      b.addFieldInt32(3, op.codes.builtin, 0);
    } else {
      b.addFieldInt8(0, Math.min(op.code, 127), 0);
      if (!op.deprecatedOnly) b.addFieldInt32(3, op.code, 0);
    }
    if (custom) b.addFieldOffset(1, custom, 0);
    b.addFieldInt32(2, 1, 1);
    return b.endObject();
  });
  const operators = m.ops.map((op, i) => {
    const inputs = ints(b, op.inputs);
    const outputs = ints(b, op.outputs);
    const options = op.options ? op.options(b) : 0;
    b.startObject(14);
    b.addFieldInt32(0, i, 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    if (options) {
      b.addFieldInt8(3, op.optionsType ?? 0, 0);
      b.addFieldOffset(4, options, 0);
    }
    return b.endObject();
  });
  const tensorVec = offsets(b, tensors);
  const inVec = ints(b, m.inputs);
  const outVec = ints(b, m.outputs);
  const opVec = offsets(b, operators);
  const sgName = b.createString('main');
  b.startObject(6);
  b.addFieldOffset(0, tensorVec, 0);
  b.addFieldOffset(1, inVec, 0);
  b.addFieldOffset(2, outVec, 0);
  b.addFieldOffset(3, opVec, 0);
  b.addFieldOffset(4, sgName, 0);
  const subgraph = b.endObject();
  const codeVec = offsets(b, codes);
  const sgVec = offsets(b, [subgraph]);
  const desc = b.createString(m.description ?? 'qtool test');
  const bufVec = offsets(b, buffers);
  b.startObject(5);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, codeVec, 0);
  b.addFieldOffset(2, sgVec, 0);
  b.addFieldOffset(3, desc, 0);
  b.addFieldOffset(4, bufVec, 0);
  b.finish(b.endObject(), 'TFL3');
  const fbBytes = b.asUint8Array().slice();
  if (!m.external) return fbBytes;
  // The data goes after the flatbuffer; the offset must be known when writing it, so size the flatbuffer first.
  const start = m.external.offset >= fbBytes.length ? m.external.offset : Math.ceil((fbBytes.length + 16) / 16) * 16;
  if (start !== m.external.offset) return buildTflite({ ...m, external: { offset: start } });
  const out = new Uint8Array(start + bufferData.reduce((n, d) => n + d.length, 0));
  out.set(fbBytes);
  let p = start;
  for (const d of bufferData) (out.set(d, p), (p += d.length));
  return out;
}

/** Conv2DOptions / DepthwiseConv2DOptions writer: padding 0 SAME, 1 VALID. */
export function convOptions(o: { padding: number; strideW: number; strideH: number; act?: number; depthMultiplier?: number }) {
  return (b: Builder): number => {
    const dw = o.depthMultiplier !== undefined;
    b.startObject(dw ? 7 : 7);
    b.addFieldInt8(0, o.padding, 0);
    b.addFieldInt32(1, o.strideW, 0);
    b.addFieldInt32(2, o.strideH, 0);
    if (dw) {
      b.addFieldInt32(3, o.depthMultiplier!, 0);
      b.addFieldInt8(4, o.act ?? 0, 0);
    } else b.addFieldInt8(3, o.act ?? 0, 0);
    return b.endObject();
  };
}

export function f32bytes(v: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(v).buffer);
}

export function i8bytes(v: number[]): Uint8Array {
  return new Uint8Array(Int8Array.from(v).buffer);
}

// Navigation in a finished buffer, to patch bytes in malformed-file tests.
const u32 = (b: Uint8Array, p: number) => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
const i32 = (b: Uint8Array, p: number) => b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);

/** Position of the uoffset target of field `slot` of the table at `table`. */
export function fieldTarget(b: Uint8Array, table: number, slot: number): number {
  const vt = table - i32(b, table);
  const off = b[vt + 4 + 2 * slot]! | (b[vt + 5 + 2 * slot]! << 8);
  const p = table + off;
  return p + u32(b, p);
}

/** Position of table element i of the vector at `vec`. */
export function element(b: Uint8Array, vec: number, i: number): number {
  const p = vec + 4 + 4 * i;
  return p + u32(b, p);
}

export function rootTable(b: Uint8Array): number {
  return u32(b, 0);
}

export function writeU32(b: Uint8Array, p: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(p, v, true);
}
