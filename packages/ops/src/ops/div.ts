import type { OpDef } from '../op.js';
import { defineBinary } from './elementwise.js';
import { refuse } from './int_common.js';

export const div = {
  ...defineBinary({
    name: 'div',
    summary: 'A / B with NumPy broadcasting and an optional fused clamp; integer division truncates toward zero',
    float: (a, b) => a / b,
    // ONNX Div on integers truncates toward zero (C semantics, test_div_int32_trunc). Division by zero is undefined
    // there; we yield 0 as NumPy does. trunc(a/b) is exact for 32-bit operands: a double has room to spare.
    int: (a, b) => (b === 0 ? 0 : Math.trunc(a / b)),
  }),
  // A quotient of two int8 activations has no bounded integer form with one rounding (the divisor's range
  // includes values near 0); a constant divisor should become mul by its reciprocal before quantization.
  quantize: (node) => refuse(node, 'div has no integer kernel; divide by a constant as mul by its reciprocal'),
} satisfies OpDef;
