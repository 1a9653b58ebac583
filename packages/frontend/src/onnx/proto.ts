import { fromBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { TensorProto_DataLocation, TensorProto_DataType, type TensorProto } from 'onnx-buf';
import { allocate, fail, makeTensor, numel, QtError, type DType, type Location, type Tensor, type TypedArray } from '@qtool/ir';

// Decoding ONNX protobuf messages into typed objects (onnx-buf schema) and TensorProtos into IR tensors.
// Every failure is a coded QtError: QT100 malformed, QT101 external data, QT105 unsupported element type.

/**
 * Decodes a protobuf message. On failure, walks the wire format again with the schema to find the byte offset and
 * field path where decoding broke, so the QT100 names a place instead of a library message.
 */
export function decodeMessage<T extends Message>(schema: DescMessage, bytes: Uint8Array, file: string): T {
  try {
    return fromBinary(schema, bytes) as unknown as T;
  } catch (e) {
    if (e instanceof QtError) throw e;
    const at = locateWireError(schema, bytes);
    const why = at?.message ?? (e as Error).message;
    fail('QT100', `cannot decode ${schema.name}: ${why}`, { file, offset: at?.offset, field: at?.field });
  }
}

interface WireError {
  offset: number;
  field: string;
  message: string;
}

/** Walks `bytes` as `schema` (descending into message fields) and reports the first place the wire format breaks. */
export function locateWireError(schema: DescMessage, bytes: Uint8Array): WireError | undefined {
  const walk = (desc: DescMessage, r: BinaryReader, end: number, base: number, path: string): WireError | undefined => {
    const counts = new Map<number, number>();
    while (r.pos < end) {
      const start = r.pos;
      let fieldNo = 0;
      let fieldPath = path;
      try {
        const [no, wt] = r.tag();
        fieldNo = no;
        const f = desc.fields.find((x) => x.number === no);
        const k = counts.get(no) ?? 0;
        counts.set(no, k + 1);
        const name = f ? f.name : `#${no}`;
        fieldPath = path ? `${path}.${name}` : name;
        const isMsg = f && (f.fieldKind === 'message' || (f.fieldKind === 'list' && f.listKind === 'message'));
        if (isMsg && wt === WireType.LengthDelimited) {
          const len = r.uint32();
          const subStart = r.pos;
          if (subStart + len > end) return { offset: base + start, field: fieldPath, message: `length ${len} runs past the end of the data` };
          const sub = new BinaryReader(bytes.subarray(base + subStart, base + subStart + len));
          const p = f.fieldKind === 'list' ? `${fieldPath}[${k}]` : fieldPath;
          const inner = walk(f.message!, sub, len, base + subStart, p);
          if (inner) return inner;
          r.pos = subStart + len;
        } else {
          r.skip(wt, no);
          if (r.pos > end) return { offset: base + start, field: fieldPath, message: 'field runs past the end of the data' };
        }
      } catch (e) {
        return { offset: base + start, field: fieldPath || `#${fieldNo}`, message: (e as Error).message };
      }
    }
    return undefined;
  };
  return walk(schema, new BinaryReader(bytes), bytes.length, 0, '');
}

const dtypeOfOnnx: Partial<Record<number, DType>> = {
  [TensorProto_DataType.FLOAT]: 'float32',
  [TensorProto_DataType.DOUBLE]: 'float64',
  [TensorProto_DataType.INT8]: 'int8',
  [TensorProto_DataType.UINT8]: 'uint8',
  [TensorProto_DataType.INT16]: 'int16',
  [TensorProto_DataType.UINT16]: 'uint16',
  [TensorProto_DataType.INT32]: 'int32',
  [TensorProto_DataType.UINT32]: 'uint32',
  [TensorProto_DataType.INT64]: 'int64',
  [TensorProto_DataType.BOOL]: 'bool',
};

/** The ONNX element type name, for messages ("FLOAT16", "INT4", ...). */
export function onnxTypeName(t: number): string {
  return TensorProto_DataType[t] ?? `type ${t}`;
}

/** IR dtype of an ONNX element type, or QT105. */
export function dtypeFromOnnx(t: number, where: Location, what: string): DType {
  const d = dtypeOfOnnx[t];
  if (!d) fail('QT105', `${what} has element type ${onnxTypeName(t)}, which qtool does not support`, where);
  return d;
}

/** The ONNX element type of an IR dtype (for building test models). */
export function onnxFromDtype(d: DType): TensorProto_DataType {
  for (const [k, v] of Object.entries(dtypeOfOnnx)) if (v === d) return Number(k) as TensorProto_DataType;
  throw new Error(`no ONNX type for ${d}`);
}

/** True when the tensor's data lives outside the model file. */
export function isExternal(tp: TensorProto): boolean {
  return tp.dataLocation === TensorProto_DataLocation.EXTERNAL || tp.externalData.length > 0;
}

/** Converts a TensorProto to an IR tensor. `what` names it in messages ("initializer 'w'"). */
export function tensorFromProto(tp: TensorProto, where: Location, what = `tensor '${tp.name}'`): Tensor {
  if (isExternal(tp)) {
    const loc = tp.externalData.find((e) => e.key === 'location')?.value;
    fail('QT101', `${what} keeps its data in an external file${loc ? ` ('${loc}')` : ''}; save the model with the data inside it`, where);
  }
  if (tp.segment) fail('QT100', `${what} is a segment of a larger tensor, which qtool does not read`, where);
  const dtype = dtypeFromOnnx(tp.dataType, where, what);
  const shape = tp.dims.map((d) => {
    const n = Number(d);
    if (!Number.isSafeInteger(n) || n < 0) fail('QT100', `${what} has invalid dimension ${d}`, where);
    return n;
  });
  const n = numel(shape);
  let data: TypedArray;
  if (tp.rawData.length > 0) {
    const size = allocate(dtype, 0).BYTES_PER_ELEMENT;
    if (tp.rawData.length !== n * size)
      fail('QT100', `${what} has ${tp.rawData.length} bytes of raw data, shape [${shape}] of ${dtype} needs ${n * size}`, where);
    // Copy into a fresh, aligned buffer: raw_data is little-endian like every host qtool runs on.
    const buf = new Uint8Array(n * size);
    buf.set(tp.rawData);
    data = viewAs(dtype, buf.buffer);
  } else {
    const src = fieldData(tp, dtype);
    if (src.length !== n) fail('QT100', `${what} holds ${src.length} values, shape [${shape}] needs ${n}`, where);
    data = allocate(dtype, n);
    if (data instanceof BigInt64Array) for (let i = 0; i < n; i++) data[i] = BigInt(src[i] as bigint | number);
    else for (let i = 0; i < n; i++) (data as Exclude<TypedArray, BigInt64Array>)[i] = Number(src[i]);
  }
  return makeTensor(dtype, shape, data);
}

function fieldData(tp: TensorProto, dtype: DType): ArrayLike<number | bigint> {
  switch (dtype) {
    case 'float32': return tp.floatData;
    case 'float64': return tp.doubleData;
    case 'int64': return tp.int64Data;
    case 'uint32': return tp.uint64Data;
    default: return tp.int32Data;
  }
}

function viewAs(dtype: DType, b: ArrayBuffer): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(b);
    case 'float64': return new Float64Array(b);
    case 'int8': return new Int8Array(b);
    case 'uint8': case 'bool': return new Uint8Array(b);
    case 'int16': return new Int16Array(b);
    case 'uint16': return new Uint16Array(b);
    case 'int32': return new Int32Array(b);
    case 'uint32': return new Uint32Array(b);
    case 'int64': return new BigInt64Array(b);
  }
}
