import type { OpDef } from '../op.js';
import { quantizeLut, evalLut } from './int_lut.js';
import { defineUnary, FLOAT_DTYPES } from './elementwise.js';
import { attrNumber } from '../util.js';

const spec: Parameters<typeof defineUnary>[0] = {
  name: 'hard_sigmoid',
  summary: 'max(0, min(1, alpha*x + beta)), alpha 0.2 and beta 0.5 by default as in ONNX',
  dtypes: FLOAT_DTYPES,
  make: (node) => {
    const alpha = attrNumber(node, 'alpha', 0.2);
    const beta = attrNumber(node, 'beta', 0.5);
    return (x) => Math.max(0, Math.min(1, alpha * x + beta));
  },
};

// int8: a 256-entry table of the float function (docs/arithmetic.md)
export const hardSigmoid = {
  ...defineUnary(spec),
  quantize: (node, ctx) => quantizeLut(node, ctx, spec.make(node)),
  evalInt: evalLut,
} satisfies OpDef;
