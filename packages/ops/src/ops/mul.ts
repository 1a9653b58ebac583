import type { OpDef } from '../op.js';
import { defineBinary } from './elementwise.js';
import { evalMul, quantizeMul } from './int_binary.js';

export const mul = {
  ...defineBinary({
    name: 'mul',
    summary: 'A * B with NumPy broadcasting and an optional fused clamp',
    float: (a, b) => a * b,
    // a 32x32-bit product can pass 2^53 and lose its low bits in a double; Math.imul keeps the low 32 bits,
    // which is all the wrapped int32/uint32 result needs. Narrower products are exact.
    int: (a, b, dtype) => (dtype === 'int32' || dtype === 'uint32' ? Math.imul(a, b) : a * b),
  }),
  quantize: quantizeMul,
  evalInt: evalMul,
} satisfies OpDef;
