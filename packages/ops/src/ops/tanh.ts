import { defineUnary, FLOAT_DTYPES } from './elementwise.js';

export const tanh = defineUnary({
  name: 'tanh',
  summary: 'hyperbolic tangent',
  dtypes: FLOAT_DTYPES,
  // Math.tanh is stable on its own (saturates to +-1, keeps tiny x exact); the naive (e^x - e^-x)/(e^x + e^-x)
  // gives NaN past |x| ~ 710.
  make: () => Math.tanh,
});
