import { fail, type Graph } from '@qtool/ir';

/** Imports a TFLite flatbuffer into the IR. (stub) */
export function importTflite(_bytes: Uint8Array, file: string): Graph {
  fail('QT120', 'TFLite reader not implemented yet', { file });
}
