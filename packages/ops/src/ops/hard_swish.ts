import type { OpDef } from '../op.js';
import { quantizeLut, evalLut } from './int_lut.js';
import { defineUnary, FLOAT_DTYPES } from './elementwise.js';

const spec: Parameters<typeof defineUnary>[0] = {
  name: 'hard_swish',
  summary: 'x * max(0, min(1, x/6 + 1/2))',
  dtypes: FLOAT_DTYPES,
  // ONNX HardSwish = x * HardSigmoid(x) with alpha 1/6, beta 0.5
  make: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
};

// int8: a 256-entry table of the float function (docs/arithmetic.md)
export const hardSwish = {
  ...defineUnary(spec),
  quantize: (node, ctx) => quantizeLut(node, ctx, spec.make(node)),
  evalInt: evalLut,
} satisfies OpDef;
