import { dtypeRange, makeTensor, type DType, type Node } from '@qtool/ir';
import { defineOp } from '../op.js';
import { attrString, need } from '../util.js';
import { requireDtype } from './elementwise.js';
import { channelOf, qparams, QUANT_DTYPES } from './qparams.js';
import { quantizeRequantize, requantizeEval } from './int_move.js';

/** Round half to even, as ONNX QuantizeLinear specifies (2.5 -> 2, -0.5 -> -0). Infinities pass through. */
export function roundHalfEven(v: number): number {
  if (!Number.isFinite(v)) return v;
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function outDtype(node: Node): DType {
  return requireDtype(node, attrString(node, 'dtype') as DType, QUANT_DTYPES);
}

// Inputs: float32 (the usual case), float64, or int32 (ONNX QuantizeLinear allows int32 x).
const IN_DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

export const quantize = defineOp({
  name: 'quantize',
  summary: 'saturate(roundHalfEven(x / scale) + zeroPoint) to dtype, per tensor or per axis',
  inputs: ['x'],
  inferShape(node, inputs) {
    const x = need(node, inputs, 0);
    requireDtype(node, x.dtype, IN_DTYPES);
    qparams(node, x.shape);
    return [{ dtype: outDtype(node), shape: [...x.shape] }];
  },
  evalFloat(node, inputs) {
    const x = need(node, inputs, 0);
    requireDtype(node, x.dtype, IN_DTYPES);
    const q = qparams(node, x.shape);
    const dtype = outDtype(node);
    const [lo, hi] = dtypeRange(dtype);
    // onnxruntime divides in float32: round the quotient (and the scale) to float32 so ties such as
    // x/scale landing on n + 0.5 only in float32 round the same way. float64 input keeps double math.
    const f32 = x.dtype !== 'float64';
    const src = x.data as ArrayLike<number>;
    const out = new Array<number>(src.length);
    for (let k = 0; k < src.length; k++) {
      const c = channelOf(q, k);
      const s = f32 ? Math.fround(q.scale[c]!) : q.scale[c]!;
      const r = roundHalfEven(f32 ? Math.fround(src[k]! / s) : src[k]! / s) + q.zeroPoint[c]!;
      out[k] = Number.isNaN(r) ? q.zeroPoint[c]! : Math.min(hi, Math.max(lo, r));
    }
    return [makeTensor(dtype, x.shape, out)];
  },
  // int8 -> int8 only: y = clamp(R(x - zp_in, m, s) + zp_out); float -> int happens outside the integer model
  quantize: quantizeRequantize,
  evalInt: requantizeEval,
});
