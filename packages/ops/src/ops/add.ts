import { defineBinary } from './elementwise.js';

// Integer sums of 32-bit operands are exact in a double; the store into the output array wraps them.
export const add = defineBinary({
  name: 'add',
  summary: 'A + B with NumPy broadcasting and an optional fused clamp',
  float: (a, b) => a + b,
  int: (a, b) => a + b,
});
