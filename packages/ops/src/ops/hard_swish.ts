import { defineUnary, FLOAT_DTYPES } from './elementwise.js';

export const hardSwish = defineUnary({
  name: 'hard_swish',
  summary: 'x * max(0, min(1, x/6 + 1/2))',
  dtypes: FLOAT_DTYPES,
  // ONNX HardSwish = x * HardSigmoid(x) with alpha 1/6, beta 0.5
  make: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
});
