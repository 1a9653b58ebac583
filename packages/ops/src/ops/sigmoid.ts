import { defineUnary, FLOAT_DTYPES } from './elementwise.js';

export const sigmoid = defineUnary({
  name: 'sigmoid',
  summary: '1 / (1 + exp(-x))',
  dtypes: FLOAT_DTYPES,
  // exp only ever sees a non-positive argument, so it cannot overflow: for x < 0 use the equal form e^x / (1 + e^x)
  make: () => (x) => {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  },
});
