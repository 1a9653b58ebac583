import { describe, expect, it } from 'vitest';
import { makeTensor, toNumbers, type Tensor } from '@qtool/ir';
import { importOnnx } from '@qtool/frontend';
import { mulByQuantizedMultiplierTflite, quantizeMultiplier } from '@qtool/qmath';
import { quantizeKeep } from '@qtool/quantizer';
import { runInt } from '@qtool/sim';
import { runPasses } from '@qtool/passes';
import { attr, DT, model, node, tensor, value } from '../../packages/frontend/test/onnx-build.js';

// An ONNX QDQ model (as onnxruntime's static quantizer writes it: Q -> DQ on every activation, DQ after int8
// weights and int32 biases) under --keep-quant keeps its own scales and zero points. Expected outputs come from
// the TFLite reference arithmetic written out here for a 1x1 convolution + ReLU, term by term, with qmath's
// fixed-point primitives (themselves tested against a BigInt model). uint8 activations (zero point 128) must give
// the same integers as int8 ones, shifted by 128.

const C = 3;
const K = 4;
const H = 2;
const W = 3;
const sx = 0.05;
const sy = 0.04;
const ws = [0.02, 0.011, 0.007, 0.03];
const wq = Array.from({ length: K * C }, (_, i) => ((i * 53) % 255) - 127);
const bq = [1000, -700, 0, 2500];

function qdqModel(unsigned: boolean): Uint8Array {
  const zpType = unsigned ? DT.UINT8 : DT.INT8;
  return model({
    opset: 13,
    nodes: [
      node('QuantizeLinear', ['x', 'sx', 'zx'], ['xq'], [], 'q_x'),
      node('DequantizeLinear', ['xq', 'sx', 'zx'], ['xd'], [], 'dq_x'),
      node('DequantizeLinear', ['wq', 'ws', 'wz'], ['w'], [attr.int('axis', 0)], 'dq_w'),
      node('DequantizeLinear', ['bq', 'bs'], ['b'], [attr.int('axis', 0)], 'dq_b'),
      node('Conv', ['xd', 'w', 'b'], ['c'], [attr.ints('kernel_shape', [1, 1])], 'conv'),
      node('Relu', ['c'], ['r'], [], 'relu'),
      node('QuantizeLinear', ['r', 'sy', 'zy'], ['rq'], [], 'q_y'),
      node('DequantizeLinear', ['rq', 'sy', 'zy'], ['y'], [], 'dq_y'),
    ],
    inputs: [value('x', DT.FLOAT, [1, C, H, W])],
    outputs: [value('y', DT.FLOAT)],
    initializers: [
      tensor('sx', DT.FLOAT, [], [sx]),
      tensor('zx', zpType, [], [unsigned ? 131 : 3]),
      tensor('wq', DT.INT8, [K, C, 1, 1], wq),
      tensor('ws', DT.FLOAT, [K], ws),
      tensor('wz', DT.INT8, [K], [0, 0, 0, 0]),
      tensor('bq', DT.INT32, [K], bq),
      tensor('bs', DT.FLOAT, [K], ws.map((s) => Math.fround(sx) * Math.fround(s))),
      tensor('sy', DT.FLOAT, [], [sy]),
      tensor('zy', zpType, [], [unsigned ? 0 : -128]),
    ],
  });
}

/** The reference arithmetic for int8 inputs (NCHW, zero point 3), giving int8 outputs (zero point -128). */
function expected(xq: Int8Array): number[] {
  const out: number[] = [];
  for (let k = 0; k < K; k++)
    for (let p = 0; p < H * W; p++) {
      let acc = bq[k]!;
      for (let c = 0; c < C; c++) acc += (xq[c * H * W + p]! - 3) * wq[k * C + c]!;
      const m = quantizeMultiplier((Math.fround(sx) * Math.fround(ws[k]!)) / Math.fround(sy));
      const v = mulByQuantizedMultiplierTflite(acc, m.multiplier, m.shift) - 128;
      out.push(Math.min(127, Math.max(-128, v)));
    }
  return out;
}

describe('ONNX QDQ model with --keep-quant', () => {
  const inputs = Array.from({ length: 10 }, (_, s) => Int8Array.from({ length: C * H * W }, (_, i) => ((i * 97 + s * 31) % 256) - 128));

  for (const unsigned of [false, true]) {
    it(`${unsigned ? 'uint8' : 'int8'} activations: every output equals the reference arithmetic`, () => {
      const g = quantizeKeep(runPasses(importOnnx(qdqModel(unsigned), 'qdq.onnx')));
      const inName = g.inputs[0]!;
      const info = g.tensors.get(inName)!;
      expect(info.dtype).toBe('int8');
      expect(info.quant!.zeroPoint).toEqual([3]);
      expect(g.tensors.get(g.outputs[0]!)!.quant!.zeroPoint).toEqual([-128]);
      for (const xq of inputs) {
        const got = runInt(g, new Map([[inName, makeTensor('int8', info.shape, xq) as Tensor]])).get(g.outputs[0]!)!;
        expect(got.shape).toEqual([1, K, H, W]);
        expect(toNumbers(got)).toEqual(expected(xq));
      }
    });
  }

  it('an activation without a Q -> DQ pair is a coded error naming it', () => {
    const bytes = model({
      opset: 13,
      nodes: [node('Relu', ['x'], ['y'], [], 'relu')],
      inputs: [value('x', DT.FLOAT, [1, 4])],
      outputs: [value('y', DT.FLOAT)],
      initializers: [],
    });
    const g = runPasses(importOnnx(bytes, 'f.onnx'));
    expect(() => quantizeKeep(g)).toThrow(/QT400/);
  });
});
