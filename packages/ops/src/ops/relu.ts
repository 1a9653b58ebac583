import { defineUnary, NUMERIC_DTYPES } from './elementwise.js';

// ONNX Relu accepts integer types too (opset 14: int8..int64); unsigned inputs pass through unchanged.
export const relu = defineUnary({
  name: 'relu',
  summary: 'max(x, 0)',
  dtypes: NUMERIC_DTYPES,
  // '+ 0' turns -0 into 0 (relu(-0) = 0) and keeps NaN
  make: () => (x) => (x < 0 ? 0 : x + 0),
});
