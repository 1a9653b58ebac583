import { describe, expect, it } from 'vitest';
import { TensorProto_DataLocation, StringStringEntryProtoSchema } from 'onnx-buf';
import { create } from '@bufbuild/protobuf';
import { QtError, type Diagnostic } from '@qtool/ir';
import { importOnnx, onnxOpTypes } from '../src/index.js';
import { attr, DT, model, node, tensor, value } from './onnx-build.js';

function diagnostics(f: () => unknown): Diagnostic[] {
  try {
    f();
  } catch (e) {
    if (e instanceof QtError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected a QtError');
}

describe('ONNX reader: graph structure', () => {
  it('IR-3 models listing initializers as graph inputs: those are constants, not model inputs', () => {
    const bytes = model({
      irVersion: 3,
      opset: 8,
      nodes: [node('Add', ['x', 'b'], ['y'])],
      inputs: [value('x', DT.FLOAT, [1, 3]), value('b', DT.FLOAT, [1, 3])],
      outputs: [value('y', DT.FLOAT, [1, 3])],
      initializers: [tensor('b', DT.FLOAT, [1, 3], [1, 2, 3])],
    });
    const g = importOnnx(bytes, 'm.onnx');
    expect(g.inputs).toEqual(['x']);
    expect([...g.initializers.keys()]).toEqual(['b']);
    expect(g.source).toEqual({ format: 'onnx', opset: 8, producer: 'qtool-test' });
  });

  it('symbolic and unknown dimensions import as 1; a missing shape is QT107', () => {
    const ok = model({ nodes: [node('Relu', ['x'], ['y'])], inputs: [value('x', DT.FLOAT, ['batch', undefined, 4])], outputs: [value('y', DT.FLOAT)] });
    expect(importOnnx(ok, 'm.onnx').tensors.get('y')!.shape).toEqual([1, 1, 4]);
    const bad = model({ nodes: [node('Relu', ['x'], ['y'])], inputs: [value('x', DT.FLOAT)], outputs: [value('y', DT.FLOAT)] });
    expect(diagnostics(() => importOnnx(bad, 'm.onnx'))).toMatchObject([{ code: 'QT107' }]);
  });

  it('external data is refused with QT101 naming every such tensor, never read', () => {
    const w1 = tensor('w1', DT.FLOAT, [3], []);
    w1.dataLocation = TensorProto_DataLocation.EXTERNAL;
    w1.externalData = [create(StringStringEntryProtoSchema, { key: 'location', value: 'weights.bin' })];
    const w2 = tensor('w2', DT.FLOAT, [3], []);
    w2.externalData = [create(StringStringEntryProtoSchema, { key: 'location', value: 'weights.bin' })];
    const bytes = model({
      nodes: [node('Add', ['x', 'w1'], ['t']), node('Add', ['t', 'w2'], ['y'])],
      inputs: [value('x', DT.FLOAT, [3])],
      outputs: [value('y', DT.FLOAT, [3])],
      initializers: [w1, w2],
    });
    const ds = diagnostics(() => importOnnx(bytes, 'm.onnx'));
    expect(ds.map((d) => d.code)).toEqual(['QT101', 'QT101']);
    expect(ds[0]!.message).toContain("'w1'");
    expect(ds[0]!.message).toContain('weights.bin');
    expect(ds[1]!.message).toContain("'w2'");
  });

  it('collects every unsupported op into one QT102 report', () => {
    const bytes = model({
      nodes: [node('Relu', ['x'], ['a'], [], 'r'), node('Erf', ['a'], ['b'], [], 'erf_1'), node('Gelu', ['b'], ['c'], [], 'gelu_1'), node('Foo', ['c'], ['y'], [], 'foo', 'com.example')],
      inputs: [value('x', DT.FLOAT, [2])],
      outputs: [value('y', DT.FLOAT, [2])],
    });
    const e = (() => {
      try {
        importOnnx(bytes, 'm.onnx');
      } catch (err) {
        return err as QtError;
      }
    })()!;
    expect(e).toBeInstanceOf(QtError);
    expect(e.diagnostics.map((d) => [d.code, d.where?.node])).toEqual([
      ['QT102', 'erf_1'],
      ['QT102', 'gelu_1'],
      ['QT102', 'foo'],
    ]);
    expect(e.message).toContain('Erf');
    expect(e.message).toContain('com.example.Foo');
  });

  it('bad attributes are QT103 naming the node', () => {
    const bn = model({
      opset: 15,
      nodes: [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], [attr.int('training_mode', 1)], 'bn0')],
      inputs: [value('x', DT.FLOAT, [1, 2, 2, 2])],
      outputs: [value('y', DT.FLOAT)],
      initializers: ['s', 'b', 'm', 'v'].map((n) => tensor(n, DT.FLOAT, [2], [1, 1])),
    });
    expect(diagnostics(() => importOnnx(bn, 'm.onnx'))).toMatchObject([{ code: 'QT103', where: { node: 'bn0' } }]);
    const mp = model({
      nodes: [node('MaxPool', ['x'], ['y', 'idx'], [attr.ints('kernel_shape', [2, 2])], 'mp0')],
      inputs: [value('x', DT.FLOAT, [1, 1, 4, 4])],
      outputs: [value('y', DT.FLOAT), value('idx', DT.INT64)],
    });
    expect(diagnostics(() => importOnnx(mp, 'm.onnx'))).toMatchObject([{ code: 'QT103', where: { node: 'mp0' } }]);
  });

  it('malformed bytes are QT100 with the byte offset and field where decoding broke', () => {
    const good = model({ nodes: [node('Relu', ['x'], ['y'])], inputs: [value('x', DT.FLOAT, [2])], outputs: [value('y', DT.FLOAT, [2])] });
    // cut inside the graph: the report names graph (field 7, written after ir_version and producer_name)
    const ds = diagnostics(() => importOnnx(good.subarray(0, 30), 'cut.onnx'));
    expect(ds).toHaveLength(1);
    expect(ds[0]!.code).toBe('QT100');
    expect(ds[0]!.where?.offset).toBeLessThan(30);
    expect(ds[0]!.where?.field).toMatch(/^graph/);
    expect(ds[0]!.message).not.toMatch(/\n\s+at /);
    expect(diagnostics(() => importOnnx(new Uint8Array([0x08, 0x96]), 'x.onnx'))[0]!.code).toBe('QT100');
  });

  it('claims its op types as data', () => {
    for (const op of ['Conv', 'Gemm', 'QuantizeLinear', 'Softmax', 'Identity']) expect(onnxOpTypes.has(op)).toBe(true);
    expect(onnxOpTypes.has('Erf')).toBe(false);
  });
});
