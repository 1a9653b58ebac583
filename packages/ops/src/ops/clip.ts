import type { OpDef } from '../op.js';
import { quantizeLut, evalLut } from './int_lut.js';
import { defineUnary, NUMERIC_DTYPES } from './elementwise.js';
import { attrOptNumber } from '../util.js';

const spec: Parameters<typeof defineUnary>[0] = {
  name: 'clip',
  summary: 'clamp to optional bounds min/max; when min > max every output is max (ONNX Clip)',
  // integer types too: the ONNX conformance suite has test_clip_default_int8_*
  dtypes: NUMERIC_DTYPES,
  make: (node) => {
    const lo = attrOptNumber(node, 'min') ?? -Infinity;
    const hi = attrOptNumber(node, 'max') ?? Infinity;
    // ONNX Clip-13: "if min is greater than max, all values are set to max"
    if (lo > hi) return () => hi;
    return (x) => (x < lo ? lo : x > hi ? hi : x);
  },
};

// int8: a 256-entry table of the float function (docs/arithmetic.md)
export const clip = {
  ...defineUnary(spec),
  quantize: (node, ctx) => quantizeLut(node, ctx, spec.make(node)),
  evalInt: evalLut,
} satisfies OpDef;
