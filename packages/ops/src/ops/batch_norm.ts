import type { Node, Tensor, TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import { attrNumber, floatTensor, need, shapeError } from '../util.js';
import { values, type Shaped } from './window.js';
import { refuse } from './int_common.js';

// Inference-mode batch normalization (ONNX BatchNormalization, training_mode=0), channel on the LAST axis:
// y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + B[c]. epsilon defaults to 1e-5 as in ONNX.

function check(node: Node, inputs: (Shaped | undefined)[]): Shaped {
  const x = need(node, inputs, 0);
  if (x.shape.length < 1) shapeError(node, 'X must have a channel axis');
  const c = x.shape[x.shape.length - 1]!;
  ['scale', 'B', 'mean', 'var'].forEach((name, i) => {
    const t = need(node, inputs, i + 1);
    if (t.shape.length !== 1 || t.shape[0] !== c) shapeError(node, `${name} must be [${c}], got [${t.shape}]`);
  });
  return x;
}

export const batchNorm = defineOp({
  name: 'batch_norm',
  summary: 'inference batch normalization over the last (channel) axis',
  inputs: ['X', 'scale', 'B', 'input_mean', 'input_var'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    const x = check(node, inputs);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },

  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const xt = check(node, inputs) as Tensor;
    const eps = attrNumber(node, 'epsilon', 1e-5);
    const [x, scale, bias, mu, variance] = [0, 1, 2, 3, 4].map((i) => values(need(node, inputs, i)));
    const c = xt.shape[xt.shape.length - 1]!;
    const sd = new Float64Array(c);
    for (let k = 0; k < c; k++) sd[k] = Math.sqrt(variance![k]! + eps);
    const y = floatTensor(xt.shape);
    const yd = y.data as Float32Array;
    for (let i = 0; i < yd.length; i++) {
      const k = i % c;
      yd[i] = ((x![i]! - mu![k]!) / sd[k]!) * scale![k]! + bias![k]!;
    }
    return [y];
  },

  // the fold-batchnorm pass merges it into the preceding conv; a batch_norm that survives has no integer kernel
  quantize: (node: Node) => refuse(node, 'batch_norm has no integer kernel (the fold-batchnorm pass removes it after a conv)'),
});
