import { describe, expect, it } from 'vitest';
import { QtError, makeTensor, printGraph, type Graph } from '@qtool/ir';
import { runFloat } from '@qtool/sim';
import { importTflite } from '../src/index.js';
import { tfliteOutputSize, tflitePadding, tflitePads2d } from '../src/tflite/padding.js';
import { buildTflite, convOptions, f32bytes, i8bytes } from './tflite-build.js';

const FLOAT32 = 0;
const INT8 = 9;
const ADD = 0;
const CONV_2D = 3;
const DEPTHWISE_CONV_2D = 4;
const LSTM = 16;
const MUL = 18;
const HARD_SWISH = 117;

function errorOf(f: () => unknown): QtError {
  try {
    f();
  } catch (e) {
    if (e instanceof QtError) return e;
    throw e;
  }
  throw new Error('expected a QtError');
}

describe('TFLite padding', () => {
  it('SAME pads total = max((out-1)*stride + (k-1)*dil + 1 - in, 0), smaller half first', () => {
    expect(tflitePadding('SAME', 5, 3, 2)).toEqual([1, 1]); // out 3: total 2
    expect(tflitePadding('SAME', 4, 3, 2)).toEqual([0, 1]); // out 2: total 1, the extra cell at the end
    expect(tflitePadding('SAME', 4, 4, 1)).toEqual([1, 2]); // out 4: total 3
    expect(tflitePadding('SAME', 7, 3, 1, 2)).toEqual([2, 2]); // dilated kernel spans 5
    expect(tflitePadding('SAME', 6, 1, 2)).toEqual([0, 0]); // 1x1 stride 2 never pads
    expect(tflitePadding('SAME', 2, 5, 1)).toEqual([2, 2]);
  });

  it('VALID never pads; output sizes follow the mode', () => {
    expect(tflitePadding('VALID', 5, 3, 2)).toEqual([0, 0]);
    expect(tfliteOutputSize('VALID', 5, 3, 2)).toBe(2);
    expect(tfliteOutputSize('SAME', 5, 3, 2)).toBe(3);
    expect(tfliteOutputSize('VALID', 7, 3, 1, 2)).toBe(3);
    expect(tflitePads2d('SAME', 4, 5, 3, 3, 2, 2)).toEqual([0, 1, 1, 1]);
  });

  it('a SAME stride-2 CONV_2D imports with explicit pads [top, left, bottom, right]', () => {
    const bytes = buildTflite({
      tensors: [
        { name: 'x', shape: [1, 4, 4, 1], type: FLOAT32 },
        { name: 'w', shape: [1, 3, 3, 1], type: FLOAT32, data: f32bytes(Array(9).fill(1)) },
        { name: 'y', shape: [1, 2, 2, 1], type: FLOAT32 },
      ],
      ops: [{ code: CONV_2D, inputs: [0, 1, -1], outputs: [2], optionsType: 1, options: convOptions({ padding: 0, strideW: 2, strideH: 2, act: 3 }) }],
      inputs: [0],
      outputs: [2],
    });
    const g = importTflite(bytes, 'conv.tflite');
    const conv = g.nodes[0]!;
    expect(conv.op).toBe('conv');
    expect(conv.inputs).toEqual(['x', 'w', '']);
    expect(conv.attrs).toMatchObject({ pads: [0, 0, 1, 1], strides: [2, 2], dilations: [1, 1], groups: 1, actMin: 0, actMax: 6 });
    // all-ones input: each output counts its window cells inside the input (padding only at bottom and right):
    // 9, 6 / 6, 4, and RELU6 clamps the 9
    const out = runFloat(g, { x: makeTensor('float32', [1, 4, 4, 1], Array(16).fill(1)) }).get('y')!;
    expect(Array.from(out.data as Float32Array)).toEqual([6, 6, 6, 4]);
    expect(g.source).toEqual({ format: 'tflite', producer: 'qtool test' });
  });
});

describe('TFLite buffers', () => {
  it('reads constant data stored after the flatbuffer (Buffer.offset/size, the large-model form)', () => {
    const m = {
      tensors: [
        { name: 'x', shape: [1, 3], type: FLOAT32 },
        { name: 'c', shape: [1, 3], type: FLOAT32, data: f32bytes([1.5, -2, 3]) },
        { name: 'y', shape: [1, 3], type: FLOAT32 },
      ],
      ops: [{ code: ADD, inputs: [0, 1], outputs: [2] }],
      inputs: [0],
      outputs: [2],
    };
    const g = importTflite(buildTflite({ ...m, external: { offset: 0 } }), 'large.tflite');
    expect(Array.from(g.initializers.get('c')!.data as Float32Array)).toEqual([1.5, -2, 3]);
    const cut = buildTflite({ ...m, external: { offset: 0 } });
    const e = errorOf(() => importTflite(cut.subarray(0, cut.length - 4), 'cut.tflite'));
    expect(e.code).toBe('QT120');
    expect(e.message).toContain('buffers[1]');
  });
});

describe('TFLite depthwise relayout', () => {
  // Cin = 2, depth multiplier 2: TFLite filter [1, KH=1, KW=2, Cout=4]; output channel o reads input channel o/2.
  const w = [1, 2, 3, 4, /* kw=1 */ 5, 6, 7, 8];
  function model(quantized: boolean): Graph {
    const bytes = buildTflite({
      tensors: [
        { name: 'x', shape: [1, 1, 2, 2], type: FLOAT32 },
        quantized
          ? { name: 'w', shape: [1, 1, 2, 4], type: INT8, data: i8bytes(w), quant: { scale: [0.5, 1, 2, 4], zeroPoint: [0, 0, 0, 0], dim: 3 } }
          : { name: 'w', shape: [1, 1, 2, 4], type: FLOAT32, data: f32bytes(w) },
        { name: 'b', shape: [4], type: FLOAT32, data: f32bytes([0, 0, 0, 100]) },
        { name: 'y', shape: [1, 1, 1, 4], type: FLOAT32 },
      ],
      ops: [{ code: DEPTHWISE_CONV_2D, inputs: [0, 1, 2], outputs: [3], optionsType: 2, options: convOptions({ padding: 1, strideW: 1, strideH: 1, depthMultiplier: 2 }) }],
      inputs: [0],
      outputs: [3],
    });
    return importTflite(bytes, 'dw.tflite');
  }

  it('re-lays [1,KH,KW,Cin*mult] as the IR conv filter [Cout,KH,KW,1] with groups = Cin', () => {
    const g = model(false);
    const conv = g.nodes[0]!;
    expect(conv.op).toBe('conv');
    expect(conv.attrs.groups).toBe(2);
    const wt = g.initializers.get(conv.inputs[1]!)!;
    expect(wt.shape).toEqual([4, 1, 2, 1]);
    expect(Array.from(wt.data as Float32Array)).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
    // x[h=0, w=0..1, c=0..1] = [[1, 10], [100, 1000]]
    const out = runFloat(g, { x: makeTensor('float32', [1, 1, 2, 2], [1, 10, 100, 1000]) }).get('y')!;
    // o=0: c0 * (1, 5); o=1: c0 * (2, 6); o=2: c1 * (3, 7); o=3: c1 * (4, 8) + 100
    expect(Array.from(out.data as Float32Array)).toEqual([1 + 500, 2 + 600, 30 + 7000, 40 + 8000 + 100]);
  });

  it('moves per-channel quantization from filter dimension 3 to axis 0', () => {
    const g = model(true);
    const name = g.nodes[0]!.inputs[1]!;
    const info = g.tensors.get(name)!;
    expect(info.dtype).toBe('int8');
    expect(info.shape).toEqual([4, 1, 2, 1]);
    expect(info.quant).toEqual({ scale: [0.5, 1, 2, 4], zeroPoint: [0, 0, 0, 0], axis: 0 });
    expect(Array.from(g.initializers.get(name)!.data as Int8Array)).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
  });
});

describe('TFLite operator codes', () => {
  const addLike = (op: Parameters<typeof buildTflite>[0]['ops'][number]) =>
    buildTflite({
      tensors: [
        { name: 'a', shape: [1, 4], type: FLOAT32 },
        { name: 'b', shape: [1, 4], type: FLOAT32 },
        { name: 'y', shape: [1, 4], type: FLOAT32 },
      ],
      ops: [op],
      inputs: [0, 1],
      outputs: [2],
    });

  it('reads old models that only have deprecated_builtin_code', () => {
    const g = importTflite(addLike({ code: MUL, deprecatedOnly: true, inputs: [0, 1], outputs: [2] }), 'old.tflite');
    expect(g.nodes.map((n) => n.op)).toEqual(['mul']);
  });

  it('uses the larger of the two fields (127 = placeholder for codes above 127)', () => {
    const g = importTflite(
      buildTflite({
        tensors: [
          { name: 'a', shape: [1, 4], type: FLOAT32 },
          { name: 'y', shape: [1, 4], type: FLOAT32 },
        ],
        ops: [{ code: HARD_SWISH, codes: { deprecated: 117, builtin: 117 }, inputs: [0], outputs: [1] }],
        inputs: [0],
        outputs: [1],
      }),
      'new.tflite',
    );
    expect(g.nodes.map((n) => n.op)).toEqual(['hard_swish']);
    const big = errorOf(() => importTflite(addLike({ code: 150, codes: { deprecated: 127, builtin: 150 }, inputs: [0, 1], outputs: [2] }), 'gelu.tflite'));
    expect(big.diagnostics[0]!.message).toContain('GELU');
  });

  it('reports every unsupported operator in one QtError', () => {
    const bytes = buildTflite({
      tensors: [
        { name: 'a', shape: [1, 4], type: FLOAT32 },
        { name: 'b', shape: [1, 4], type: FLOAT32 },
        { name: 'c', shape: [1, 4], type: FLOAT32 },
        { name: 'd', shape: [1, 4], type: FLOAT32 },
      ],
      ops: [
        { code: LSTM, inputs: [0], outputs: [1] },
        { code: ADD, inputs: [1, 1], outputs: [2] },
        { code: 32, custom: 'MyOp', inputs: [2], outputs: [3] },
      ],
      inputs: [0],
      outputs: [3],
    });
    const e = errorOf(() => importTflite(bytes, 'm.tflite'));
    expect(e.diagnostics.map((d) => [d.code, d.where?.node])).toEqual([
      ['QT121', 'b'],
      ['QT121', 'd'],
    ]);
    expect(e.diagnostics[0]!.message).toBe('LSTM (operator 0) is not supported');
    expect(e.diagnostics[1]!.message).toBe("CUSTOM 'MyOp' (operator 2) is not supported");
  });

  it('QT123 when an inferred shape differs from the one in the file', () => {
    const bytes = buildTflite({
      tensors: [
        { name: 'a', shape: [1, 4], type: FLOAT32 },
        { name: 'b', shape: [1, 4], type: FLOAT32 },
        { name: 'y', shape: [1, 5], type: FLOAT32 },
      ],
      ops: [{ code: ADD, inputs: [0, 1], outputs: [2] }],
      inputs: [0, 1],
      outputs: [2],
    });
    const e = errorOf(() => importTflite(bytes, 'bad.tflite'));
    expect(e.code).toBe('QT123');
    expect(e.diagnostics[0]!.where?.node).toBe('y');
    expect(e.message).toContain('ADD (operator 0)');
  });

  it('keeps int8 dtypes and quantization parameters', () => {
    const bytes = buildTflite({
      tensors: [
        { name: 'a', shape: [1, 4], type: INT8, quant: { scale: [0.5], zeroPoint: [-3] } },
        { name: 'b', shape: [4], type: INT8, data: i8bytes([1, 2, 3, -4]), quant: { scale: [0.25], zeroPoint: [0] } },
        { name: 'y', shape: [1, 4], type: INT8, quant: { scale: [1], zeroPoint: [0] } },
      ],
      ops: [{ code: ADD, inputs: [0, 1], outputs: [2] }],
      inputs: [0],
      outputs: [2],
    });
    const g = importTflite(bytes, 'q.tflite');
    expect(printGraph(g)).toContain('input  a: int8[1,4] q(s=[0.5] zp=[-3])');
    expect(g.tensors.get('b')).toMatchObject({ dtype: 'int8', quant: { scale: [0.25], zeroPoint: [0] } });
    expect(Array.from(g.initializers.get('b')!.data as Int8Array)).toEqual([1, 2, 3, -4]);
  });
});
