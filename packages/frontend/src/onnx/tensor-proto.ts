import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TensorProto_DataType, TensorProtoSchema, type TensorProto } from 'onnx-buf';
import { fail, type Tensor } from '@qtool/ir';
import { decodeMessage, tensorFromProto } from './proto.js';

// Standalone TensorProto files (`input_0.pb`, `output_0.pb` in ONNX test data sets; calibration data later).

export interface NamedTensor extends Tensor {
  /** The TensorProto's name ('' when the file gives none). */
  name: string;
}

/** Reads a serialized TensorProto. QT100 when malformed, QT101 external data, QT105 unsupported element type. */
export function readTensorProto(bytes: Uint8Array, file = '<bytes>'): NamedTensor {
  if (bytes.length === 0) fail('QT100', 'empty TensorProto file', { file });
  const tp = decodeMessage<TensorProto>(TensorProtoSchema, bytes, file);
  if (tp.dataType === TensorProto_DataType.UNDEFINED) fail('QT100', 'TensorProto has no data_type: not a tensor file', { file, field: 'data_type' });
  const t = tensorFromProto(tp, { file }, tp.name ? `tensor '${tp.name}'` : 'tensor');
  return { ...t, name: tp.name };
}

/** Reads a TensorProto `.pb` file from disk. */
export function loadTensorProto(path: string): NamedTensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    fail('QT001', 'cannot read file', { file: path });
  }
  return readTensorProto(bytes, basename(path));
}
