import { makeTensor } from '@qtool/ir';
import type { Node, Tensor, TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import type { QuantizeContext } from '../quant.js';
import { floatTensor, need } from '../util.js';
import { planPool, poolLoop, values } from './window.js';
import { evalPool, quantizePool } from './int_pool.js';

// N-D max pooling, channels-last: X [N, S1..Sr, C] -> Y [N, O1..Or, C] (ONNX MaxPool, TFLite MAX_POOL_2D).
// Padding is not a value: the max is taken over the window cells inside the input only ("padding never wins").
// Output sizes and the ceil_mode rule live in window.ts.
export const maxPool = defineOp({
  name: 'max_pool',
  summary: 'N-D max pooling, channels-last; attrs kernel, strides, dilations, pads, ceilMode',
  inputs: ['X'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    const p = planPool(node, inputs);
    return [{ dtype: need(node, inputs, 0).dtype, shape: [p.batch, ...p.out, p.channels] }];
  },

  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = planPool(node, inputs);
    const x = values(need(node, inputs, 0));
    const y = poolLoop(p, (base, win) => {
      // planPool guarantees every window holds at least one input cell
      let m = -Infinity;
      for (const off of win.x) {
        const v = x[base + off]!;
        if (v > m || Number.isNaN(v)) m = v;
        if (Number.isNaN(m)) break; // NaN propagates, as in NumPy max
      }
      return m;
    });
    // max selects, it never computes: the output keeps the input's element type (ONNX MaxPool on uint8)
    const xt = need(node, inputs, 0);
    if (xt.dtype !== 'float32') return [makeTensor(xt.dtype, [p.batch, ...p.out, p.channels], y)];
    return [floatTensor([p.batch, ...p.out, p.channels], y)];
  },

  quantize: (node: Node, ctx: QuantizeContext) => quantizePool(node, ctx, 'max'),
  evalInt: evalPool,
});
