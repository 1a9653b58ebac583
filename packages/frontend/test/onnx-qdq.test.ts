import { describe, expect, it } from 'vitest';
import { printGraph } from '@qtool/ir';
import { importOnnx } from '../src/index.js';
import { attr, DT, model, node, tensor, value } from './onnx-build.js';

describe('ONNX reader: QuantizeLinear / DequantizeLinear', () => {
  it("a Q -> DQ pair on an activation becomes the float tensor's annotation; DQ of an int8 initializer a quantized constant", () => {
    const bytes = model({
      opset: 13,
      nodes: [
        node('QuantizeLinear', ['x', 's', 'zp'], ['xq'], [], 'q'),
        node('DequantizeLinear', ['xq', 's', 'zp'], ['xd'], [], 'dq'),
        node('DequantizeLinear', ['wq', 'ws'], ['w'], [attr.int('axis', 0)], 'dq_w'),
        node('Conv', ['xd', 'w'], ['y'], [attr.ints('kernel_shape', [1, 1])], 'conv'),
      ],
      inputs: [value('x', DT.FLOAT, [1, 2, 3, 3])],
      outputs: [value('y', DT.FLOAT)],
      initializers: [
        tensor('s', DT.FLOAT, [], [0.5]),
        tensor('zp', DT.UINT8, [], [128]),
        tensor('wq', DT.INT8, [2, 2, 1, 1], [1, -2, 3, -4]),
        tensor('ws', DT.FLOAT, [2], [0.25, 0.125]),
      ],
    });
    expect(printGraph(importOnnx(bytes, 'm.onnx'))).toBe(`graph test (onnx opset 13)
  input  x: float32[1,2,3,3] q(uint8 s=[0.5] zp=[128])
  const  wq: int8[2,2,1,1] q(s=[0.25,0.125] zp=[0,0] axis=0)
  const  wq_nhwc: int8[2,1,1,2] q(s=[0.25,0.125] zp=[0,0] axis=0)
  dq_w = dequantize(wq) {axis=0 scale=[0.25,0.125] zeroPoint=[0,0]} -> w: float32[2,2,1,1]
  xd_to_nhwc = transpose(x) {perm=[0,2,3,1]} -> xd_nhwc: float32[1,3,3,2] q(uint8 s=[0.5] zp=[128])
  dq_w_nhwc = dequantize(wq_nhwc) {axis=0 scale=[0.25,0.125] zeroPoint=[0,0]} -> w_nhwc: float32[2,1,1,2]
  conv = conv(xd_nhwc, w_nhwc) {dilations=[1,1] groups=1 pads=[0,0,0,0] strides=[1,1]} -> y_nhwc: float32[1,3,3,2]
  y_to_nchw = transpose(y_nhwc) {perm=[0,3,1,2]} -> y: float32[1,2,3,3]
  output y: float32[1,2,3,3]
`);
  });

  it('lone Q and DQ nodes become quantize / dequantize', () => {
    const bytes = model({
      opset: 13,
      nodes: [node('QuantizeLinear', ['x', 's', 'zp'], ['q'], [], 'q'), node('Relu', ['x'], ['r'], [], 'relu'), node('DequantizeLinear', ['q', 's', 'zp'], ['d'], [], 'dq')],
      inputs: [value('x', DT.FLOAT, [4])],
      outputs: [value('q', DT.INT8), value('d', DT.FLOAT)],
      initializers: [tensor('s', DT.FLOAT, [], [0.1]), tensor('zp', DT.INT8, [], [-3])],
    });
    const g = importOnnx(bytes, 'm.onnx');
    expect(g.nodes.map((n) => [n.op, n.attrs])).toEqual([
      ['quantize', { scale: [expect.closeTo(0.1, 6)], zeroPoint: [-3], axis: 0, dtype: 'int8' }],
      ['relu', {}],
      ['dequantize', { scale: [expect.closeTo(0.1, 6)], zeroPoint: [-3], axis: 0 }],
    ]);
    expect(g.tensors.get('q')!.dtype).toBe('int8');
  });

  it('refuses blocked quantization with QT103 naming the node', () => {
    const bytes = model({
      opset: 21,
      nodes: [node('DequantizeLinear', ['x', 's'], ['y'], [attr.int('axis', 1), attr.int('block_size', 2)], 'dq_blocked')],
      inputs: [value('x', DT.INT8, [2, 4])],
      outputs: [value('y', DT.FLOAT)],
      initializers: [tensor('s', DT.FLOAT, [2, 2], [1, 1, 1, 1])],
    });
    expect(() => importOnnx(bytes, 'm.onnx')).toThrow(/QT103 m\.onnx, node 'dq_blocked': blocked quantization/);
  });
});
