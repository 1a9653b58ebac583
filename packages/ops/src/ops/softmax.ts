import { stridesOf, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import { attrNumber, floatTensor, need, normAxis } from '../util.js';
import { values } from './window.js';
import { evalSoftmax, quantizeSoftmax } from './int_softmax.js';

// Softmax along one axis (ONNX Softmax opset >= 13, TFLite SOFTMAX with beta):
// y = exp(beta*x - m) / sum(exp(beta*x - m)), m = max(beta*x) along the axis so no exp overflows.
export const softmax = defineOp({
  name: 'softmax',
  summary: 'softmax along axis with optional beta (TFLite), max-subtracted',
  inputs: ['input'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    const x = need(node, inputs, 0);
    normAxis(node, attrNumber(node, 'axis', -1), x.shape.length);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },

  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const xt = need(node, inputs, 0);
    const axis = normAxis(node, attrNumber(node, 'axis', -1), xt.shape.length);
    const beta = attrNumber(node, 'beta', 1);
    const x = values(xt);
    const len = xt.shape[axis]!;
    const step = stridesOf(xt.shape)[axis]!; // distance between neighbours along the axis
    const outer = x.length / (len * step || 1);
    const y = floatTensor(xt.shape);
    const yd = y.data as Float32Array;
    const e = new Float64Array(len);
    for (let o = 0; o < outer; o++)
      for (let inner = 0; inner < step; inner++) {
        const base = o * len * step + inner;
        let m = -Infinity;
        for (let i = 0; i < len; i++) m = Math.max(m, beta * x[base + i * step]!);
        let sum = 0;
        for (let i = 0; i < len; i++) sum += e[i] = Math.exp(beta * x[base + i * step]! - m);
        for (let i = 0; i < len; i++) yd[base + i * step] = e[i]! / sum;
      }
    return [y];
  },

  quantize: quantizeSoftmax,
  evalInt: evalSoftmax,
});
