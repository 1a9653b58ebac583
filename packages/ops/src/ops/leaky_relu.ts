import type { OpDef } from '../op.js';
import { quantizeLut, evalLut } from './int_lut.js';
import { defineUnary, FLOAT_DTYPES } from './elementwise.js';
import { attrNumber } from '../util.js';

const spec: Parameters<typeof defineUnary>[0] = {
  name: 'leaky_relu',
  summary: 'x < 0 ? alpha*x : x (alpha defaults to 0.01 as in ONNX)',
  dtypes: FLOAT_DTYPES,
  make: (node) => {
    const alpha = attrNumber(node, 'alpha', 0.01);
    return (x) => (x < 0 ? alpha * x : x);
  },
};

// int8: a 256-entry table of the float function (docs/arithmetic.md)
export const leakyRelu = {
  ...defineUnary(spec),
  quantize: (node, ctx) => quantizeLut(node, ctx, spec.make(node)),
  evalInt: evalLut,
} satisfies OpDef;
