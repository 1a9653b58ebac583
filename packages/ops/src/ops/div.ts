import { defineBinary } from './elementwise.js';

export const div = defineBinary({
  name: 'div',
  summary: 'A / B with NumPy broadcasting and an optional fused clamp; integer division truncates toward zero',
  float: (a, b) => a / b,
  // ONNX Div on integers truncates toward zero (C semantics, test_div_int32_trunc). Division by zero is undefined
  // there; we yield 0 as NumPy does. trunc(a/b) is exact for 32-bit operands: a double has room to spare.
  int: (a, b) => (b === 0 ? 0 : Math.trunc(a / b)),
});
