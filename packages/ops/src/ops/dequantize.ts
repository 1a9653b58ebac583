import { makeTensor } from '@qtool/ir';
import { defineOp } from '../op.js';
import { need } from '../util.js';
import { requireDtype } from './elementwise.js';
import { channelOf, qparams, QUANT_DTYPES } from './qparams.js';
import { refuse } from './int_common.js';

export const dequantize = defineOp({
  name: 'dequantize',
  summary: '(x - zeroPoint) * scale as float32, per tensor or per axis',
  inputs: ['x'],
  inferShape(node, inputs) {
    const x = need(node, inputs, 0);
    requireDtype(node, x.dtype, QUANT_DTYPES);
    qparams(node, x.shape);
    return [{ dtype: 'float32', shape: [...x.shape] }];
  },
  evalFloat(node, inputs) {
    const x = need(node, inputs, 0);
    requireDtype(node, x.dtype, QUANT_DTYPES);
    const q = qparams(node, x.shape);
    const src = x.data as ArrayLike<number>;
    const out = new Float32Array(src.length);
    for (let k = 0; k < src.length; k++) {
      const c = channelOf(q, k);
      // as onnxruntime: the integer difference becomes a float32 (inexact only for large int32), times a
      // float32 scale, rounded once more on store
      out[k] = Math.fround(src[k]! - q.zeroPoint[c]!) * Math.fround(q.scale[c]!);
    }
    return [makeTensor('float32', x.shape, out)];
  },
  // int8 -> float leaves the integer model: 'qtool run --dequantize' does it outside (docs/arithmetic.md)
  quantize: (node) => refuse(node, 'dequantize produces float; it belongs at the integer model\'s boundary'),
});
