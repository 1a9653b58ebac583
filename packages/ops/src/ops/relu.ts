import type { OpDef } from '../op.js';
import { quantizeLut, evalLut } from './int_lut.js';
import { defineUnary, NUMERIC_DTYPES } from './elementwise.js';

// ONNX Relu accepts integer types too (opset 14: int8..int64); unsigned inputs pass through unchanged.
const spec: Parameters<typeof defineUnary>[0] = {
  name: 'relu',
  summary: 'max(x, 0)',
  dtypes: NUMERIC_DTYPES,
  // '+ 0' turns -0 into 0 (relu(-0) = 0) and keeps NaN
  make: () => (x) => (x < 0 ? 0 : x + 0),
};

// int8: a 256-entry table of the float function (docs/arithmetic.md)
export const relu = {
  ...defineUnary(spec),
  quantize: (node, ctx) => quantizeLut(node, ctx, spec.make(node)),
  evalInt: evalLut,
} satisfies OpDef;
