import { defineUnary, FLOAT_DTYPES } from './elementwise.js';
import { attrNumber } from '../util.js';

export const leakyRelu = defineUnary({
  name: 'leaky_relu',
  summary: 'x < 0 ? alpha*x : x (alpha defaults to 0.01 as in ONNX)',
  dtypes: FLOAT_DTYPES,
  make: (node) => {
    const alpha = attrNumber(node, 'alpha', 0.01);
    return (x) => (x < 0 ? alpha * x : x);
  },
});
