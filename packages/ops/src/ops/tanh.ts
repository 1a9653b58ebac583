import type { OpDef } from '../op.js';
import { quantizeLut, evalLut } from './int_lut.js';
import { defineUnary, FLOAT_DTYPES } from './elementwise.js';

const spec: Parameters<typeof defineUnary>[0] = {
  name: 'tanh',
  summary: 'hyperbolic tangent',
  dtypes: FLOAT_DTYPES,
  // Math.tanh is stable on its own (saturates to +-1, keeps tiny x exact); the naive (e^x - e^-x)/(e^x + e^-x)
  // gives NaN past |x| ~ 710.
  make: () => Math.tanh,
};

// int8: a 256-entry table of the float function (docs/arithmetic.md)
export const tanh = {
  ...defineUnary(spec),
  quantize: (node, ctx) => quantizeLut(node, ctx, spec.make(node)),
  evalInt: evalLut,
} satisfies OpDef;
