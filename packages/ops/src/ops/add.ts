import type { OpDef } from '../op.js';
import { defineBinary } from './elementwise.js';
import { evalAddSub, quantizeAddSub } from './int_binary.js';

// Integer sums of 32-bit operands are exact in a double; the store into the output array wraps them.
export const add = {
  ...defineBinary({
    name: 'add',
    summary: 'A + B with NumPy broadcasting and an optional fused clamp',
    float: (a, b) => a + b,
    int: (a, b) => a + b,
  }),
  quantize: (node, ctx) => quantizeAddSub(node, ctx, 1),
  evalInt: evalAddSub,
} satisfies OpDef;
