import { describe, expect, it } from 'vitest';
import { toBinary } from '@bufbuild/protobuf';
import { TensorProtoSchema } from 'onnx-buf';
import { QtError, toNumbers } from '@qtool/ir';
import { readTensorProto } from '../src/index.js';
import { DT, tensor } from './onnx-build.js';

describe('TensorProto files', () => {
  it('reads typed fields and raw_data', () => {
    const t = readTensorProto(toBinary(TensorProtoSchema, tensor('x', DT.FLOAT, [2, 2], [1, 2, 3, 4])), 'x.pb');
    expect(t).toMatchObject({ name: 'x', dtype: 'float32', shape: [2, 2] });
    expect(toNumbers(t)).toEqual([1, 2, 3, 4]);
    const raw = tensor('r', DT.INT16, [3], []);
    raw.rawData = new Uint8Array(new Int16Array([-1, 2, 300]).buffer as ArrayBuffer);
    expect(toNumbers(readTensorProto(toBinary(TensorProtoSchema, raw), 'r.pb'))).toEqual([-1, 2, 300]);
  });

  it('reports coded errors', () => {
    const code = (bytes: Uint8Array) => {
      try {
        readTensorProto(bytes, 'bad.pb');
      } catch (e) {
        return (e as QtError).code;
      }
    };
    expect(code(new Uint8Array())).toBe('QT100');
    expect(code(new Uint8Array([0x0a, 0x20, 0x01]))).toBe('QT100'); // length runs past the end
    expect(code(toBinary(TensorProtoSchema, tensor('h', DT.FLOAT16, [1], [0])))).toBe('QT105');
    expect(code(toBinary(TensorProtoSchema, tensor('n', DT.FLOAT, [3], [1])))).toBe('QT100'); // 1 value for 3
  });
});
