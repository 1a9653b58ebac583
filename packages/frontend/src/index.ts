import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { fail, type Graph } from '@qtool/ir';
import { importOnnx } from './onnx/reader.js';
import { importTflite } from './tflite/reader.js';

export { importOnnx, onnxModelOpTypes, type OnnxImportOptions } from './onnx/reader.js';
export { onnxOpTypes } from './onnx/ops.js';
export { readTensorProto, loadTensorProto, type NamedTensor } from './onnx/tensor-proto.js';
export { importTflite } from './tflite/reader.js';
export * from './npy.js';

export type ModelFormat = 'onnx' | 'tflite';

/**
 * Which reader a file needs, from its bytes (not its name): a TFLite flatbuffer carries the identifier "TFL3" at
 * byte 4; anything else that starts like a protobuf message is tried as ONNX.
 */
export function sniffFormat(bytes: Uint8Array, file = '<bytes>'): ModelFormat {
  if (bytes.length === 0) fail('QT010', 'file is empty', { file });
  if (bytes.length >= 8 && String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!) === 'TFL3') return 'tflite';
  // ONNX ModelProto fields are small field numbers with wire types 0 or 2: the first byte is a valid tag.
  const tag = bytes[0]!;
  const field = tag >> 3;
  const wire = tag & 7;
  if (field >= 1 && field <= 20 && (wire === 0 || wire === 2)) return 'onnx';
  fail('QT010', `not an ONNX or TFLite model (first bytes ${hex(bytes.subarray(0, 8))})`, { file, offset: 0 });
}

/** Reads a model from bytes: ONNX or TFLite, detected from the content. Throws QtError on any problem. */
export function readModel(bytes: Uint8Array, file = '<bytes>'): Graph {
  const format = sniffFormat(bytes, file);
  return format === 'onnx' ? importOnnx(bytes, file) : importTflite(bytes, file);
}

/** Reads a model file. */
export function loadModel(path: string): Graph {
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) fail('QT001', 'not a regular file', { file: path });
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') fail('QT001', 'no such file', { file: path });
    throw e;
  }
  const g = readModel(bytes, basename(path));
  if (g.source) g.source.file = basename(path);
  return g;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
