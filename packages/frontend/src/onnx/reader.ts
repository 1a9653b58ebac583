import { fail, type Graph } from '@qtool/ir';

/** Imports an ONNX ModelProto into the IR. (stub) */
export function importOnnx(_bytes: Uint8Array, file: string): Graph {
  fail('QT100', 'ONNX reader not implemented yet', { file });
}
