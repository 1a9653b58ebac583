import { describe, expect, it } from 'vitest';
import { printGraph } from '@qtool/ir';
import { importOnnx } from '../src/index.js';
import { attr, DT, model, node, tensor, value } from './onnx-build.js';

const ones = (n: number) => new Array<number>(n).fill(0.5);

describe('ONNX reader: layout and padding', () => {
  it('resolves auto_pad to explicit pads from the input shape', () => {
    const conv = (autoPad: string, strides: number[]) =>
      importOnnx(
        model({
          nodes: [node('Conv', ['x', 'w'], ['y'], [attr.string('auto_pad', autoPad), attr.ints('strides', strides)], 'c')],
          inputs: [value('x', DT.FLOAT, [1, 1, 5, 6])],
          outputs: [value('y', DT.FLOAT)],
          initializers: [tensor('w', DT.FLOAT, [1, 1, 4, 3], ones(12))],
        }),
        'm.onnx',
      ).nodes.find((n) => n.op === 'conv')!.attrs.pads;
    // H: in 5, k 4, s 2 -> out 3, total (3-1)*2+4-5 = 3; W: in 6, k 3, s 2 -> out 3, total (3-1)*2+3-6 = 1
    expect(conv('SAME_UPPER', [2, 2])).toEqual([1, 0, 2, 1]);
    expect(conv('SAME_LOWER', [2, 2])).toEqual([2, 1, 1, 0]);
    expect(conv('VALID', [2, 2])).toEqual([0, 0, 0, 0]);
    expect(conv('NOTSET', [1, 1])).toEqual([0, 0, 0, 0]);
  });

  it('inserts only the transposes a Conv -> Add(bias) -> Relu -> MaxPool -> Flatten -> Gemm chain needs', () => {
    const bytes = model({
      opset: 13,
      nodes: [
        node('Conv', ['x', 'w'], ['c'], [attr.ints('pads', [1, 1, 1, 1]), attr.ints('kernel_shape', [3, 3])], 'conv'),
        node('Add', ['c', 'bias'], ['a'], [], 'bias_add'),
        node('Relu', ['a'], ['r'], [], 'relu'),
        node('MaxPool', ['r'], ['p'], [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])], 'pool'),
        node('Flatten', ['p'], ['f'], [], 'flatten'),
        node('Gemm', ['f', 'fc_w', 'fc_b'], ['y'], [attr.int('transB', 1), attr.float('alpha', 2)], 'fc'),
      ],
      inputs: [value('x', DT.FLOAT, ['N', 2, 4, 4])],
      outputs: [value('y', DT.FLOAT)],
      initializers: [
        tensor('w', DT.FLOAT, [3, 2, 3, 3], ones(54)),
        tensor('bias', DT.FLOAT, [3, 1, 1], [1, 2, 3]),
        tensor('fc_w', DT.FLOAT, [5, 12], ones(60)),
        tensor('fc_b', DT.FLOAT, [5], [1, 2, 3, 4, 5]),
      ],
    });
    expect(printGraph(importOnnx(bytes, 'm.onnx'))).toBe(GOLDEN);
  });
});

const GOLDEN = `graph test (onnx opset 13)
  input  x: float32[1,2,4,4]
  const  w_nhwc: float32[3,3,3,2]
  const  bias_nhwc: float32[1,1,1,3]
  const  fc_w_fc: float32[5,12]
  const  fc_b_fc: float32[5]
  x_to_nhwc = transpose(x) {perm=[0,2,3,1]} -> x_nhwc: float32[1,4,4,2]
  conv = conv(x_nhwc, w_nhwc) {dilations=[1,1] groups=1 pads=[1,1,1,1] strides=[1,1]} -> c_nhwc: float32[1,4,4,3]
  bias_add = add(c_nhwc, bias_nhwc) -> a_nhwc: float32[1,4,4,3]
  relu = relu(a_nhwc) -> r_nhwc: float32[1,4,4,3]
  pool = max_pool(r_nhwc) {ceilMode=false dilations=[1,1] kernel=[2,2] pads=[0,0,0,0] strides=[2,2]} -> p_nhwc: float32[1,2,2,3]
  p_to_nchw = transpose(p_nhwc) {perm=[0,3,1,2]} -> p: float32[1,3,2,2]
  flatten = reshape(p) {shape=[1,12]} -> f: float32[1,12]
  fc = fully_connected(f, fc_w_fc, fc_b_fc) -> y: float32[1,5]
  output y: float32[1,5]
`;
