import type { OpDef } from '../op.js';
import { quantizeLut, evalLut } from './int_lut.js';
import { defineUnary, FLOAT_DTYPES } from './elementwise.js';

const spec: Parameters<typeof defineUnary>[0] = {
  name: 'sigmoid',
  summary: '1 / (1 + exp(-x))',
  dtypes: FLOAT_DTYPES,
  // exp only ever sees a non-positive argument, so it cannot overflow: for x < 0 use the equal form e^x / (1 + e^x)
  make: () => (x) => {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  },
};

// int8: a 256-entry table of the float function (docs/arithmetic.md)
export const sigmoid = {
  ...defineUnary(spec),
  quantize: (node, ctx) => quantizeLut(node, ctx, spec.make(node)),
  evalInt: evalLut,
} satisfies OpDef;
