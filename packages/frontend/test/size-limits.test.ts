import type { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { QtError } from '@qtool/ir';
import { importOnnx, importTflite } from '../src/index.js';
import { MAX_DIM, MAX_ELEMENTS, oversizedShape } from '../src/limits.js';
import { attr, DT, model, node, tensor, value } from './onnx-build.js';
import { buildTflite } from './tflite-build.js';

// Regressions from test/robustness/damaged-models.test.ts: a damaged file declaring a huge dimension made the
// shape rules of pools enumerate every window position (2^40 of them: the heap ran out before any error). The
// readers now refuse shapes beyond limits.ts where a shape enters the graph, declared or inferred.

function codeOf(f: () => unknown): QtError {
  try {
    f();
  } catch (e) {
    if (e instanceof QtError) return e;
    throw e;
  }
  throw new Error('expected a QtError');
}

describe('tensor size limits', () => {
  it('oversizedShape names the dimension or the element count', () => {
    expect(oversizedShape([1, 3, 224, 224])).toBeUndefined();
    expect(oversizedShape([1, MAX_DIM])).toBeUndefined();
    expect(oversizedShape([1, MAX_DIM + 1])).toContain('dimension 1 is 1048577');
    expect(oversizedShape([1024, 1024, 128])).toContain(`more than qtool handles (${MAX_ELEMENTS})`);
  });

  const pool = (inputShape: number[]) =>
    model({
      nodes: [node('MaxPool', ['x'], ['y'], [attr.ints('kernel_shape', [2, 2])], 'mp')],
      inputs: [value('x', DT.FLOAT, inputShape)],
      outputs: [value('y', DT.FLOAT)],
    });

  it('ONNX: an input dimension of 2^40 is QT100 naming the input, not an exhausted heap', () => {
    const e = codeOf(() => importOnnx(pool([1, 1, 2 ** 40, 28]), 'm.onnx'));
    expect(e.code).toBe('QT100');
    expect(e.message).toContain("input 'x': dimension 2 is 1099511627776");
  });

  it('ONNX: huge pads are QT201 at the Pad node, before the MaxPool after it works through them', () => {
    const bytes = model({
      nodes: [
        node('Pad', ['x', 'pads'], ['p'], [], 'pad'),
        node('MaxPool', ['p'], ['y'], [attr.ints('kernel_shape', [1, 1])], 'mp'),
      ],
      inputs: [value('x', DT.FLOAT, [1, 1, 4, 4])],
      outputs: [value('y', DT.FLOAT)],
      initializers: [tensor('pads', DT.INT64, [8], [0, 0, 0, 0, 0, 0, 2 ** 40, 0])],
    });
    const e = codeOf(() => importOnnx(bytes, 'm.onnx'));
    expect(e.code).toBe('QT201');
    expect(e.diagnostics[0]!.where?.node).toBe('pad');
    expect(e.message).toContain('more than qtool handles');
  });

  // MAX_POOL_2D (17) 1x1 stride 1 over PAD (34): the smallest TFLite graph where an inferred shape can run away.
  const poolOptions = (b: Builder): number => {
    b.startObject(6);
    b.addFieldInt32(1, 1, 0);
    b.addFieldInt32(2, 1, 0);
    b.addFieldInt32(3, 1, 0);
    b.addFieldInt32(4, 1, 0);
    return b.endObject();
  };
  const padPool = (xShape: number[], padH: number) =>
    buildTflite({
      tensors: [
        { name: 'x', shape: xShape, type: 9 },
        { name: 'paddings', shape: [4, 2], type: 2, data: new Uint8Array(Int32Array.from([0, 0, 0, padH, 0, 0, 0, 0]).buffer) },
        { name: 'p', shape: [1, 4, 4, 1], type: 9 },
        { name: 'y', shape: [1, 4, 4, 1], type: 9 },
      ],
      ops: [
        { code: 34, inputs: [0, 1], outputs: [2] },
        { code: 17, inputs: [2], outputs: [3], optionsType: 5, options: poolOptions },
      ],
      inputs: [0],
      outputs: [3],
    });

  it('TFLite: the graph as built imports', () => {
    expect(() => importTflite(padPool([1, 4, 4, 1], 0), 'm.tflite')).not.toThrow();
  });

  it('TFLite: a declared dimension of 2^30 is QT122 naming the tensor', () => {
    const e = codeOf(() => importTflite(padPool([1, 2 ** 30, 4, 1], 0), 'm.tflite'));
    expect(e.code).toBe('QT122');
    expect(e.message).toContain("tensor 'x': dimension 1 is 1073741824");
  });

  it('TFLite: a PAD that infers a huge output stops shape inference at the PAD (QT123)', () => {
    const e = codeOf(() => importTflite(padPool([1, 4, 4, 1], 2 ** 30), 'm.tflite'));
    expect(e.code).toBe('QT123');
    expect(e.message).toMatch(/output 'p' of pad: dimension 1 is 1073741828, more than qtool handles/);
  });
});
