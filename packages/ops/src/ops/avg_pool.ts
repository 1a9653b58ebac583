import type { Node, Tensor, TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import type { QuantizeContext } from '../quant.js';
import { attrBool, floatTensor, need } from '../util.js';
import { planPool, poolLoop, values } from './window.js';
import { evalPool, quantizePool } from './int_pool.js';

// N-D average pooling, channels-last: X [N, S1..Sr, C] -> Y [N, O1..Or, C] (ONNX AveragePool,
// TFLite AVERAGE_POOL_2D). The sum runs over window cells inside the input (pads contribute zero). The divisor:
//   countIncludePad = false: the cells inside the input;
//   countIncludePad = true:  the cells inside input + explicit pads; cells that exist only because ceil mode
//                            extended the last window past the end pad never count (ONNX, onnxruntime).
export const avgPool = defineOp({
  name: 'avg_pool',
  summary: 'N-D average pooling, channels-last; attrs as max_pool plus countIncludePad',
  inputs: ['X'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    const p = planPool(node, inputs);
    return [{ dtype: need(node, inputs, 0).dtype, shape: [p.batch, ...p.out, p.channels] }];
  },

  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = planPool(node, inputs);
    const includePad = attrBool(node, 'countIncludePad');
    const x = values(need(node, inputs, 0));
    const y = poolLoop(p, (base, win) => {
      let acc = 0;
      for (const off of win.x) acc += x[base + off]!;
      return acc / (includePad ? win.padded : win.x.length);
    });
    return [floatTensor([p.batch, ...p.out, p.channels], y)];
  },

  quantize: (node: Node, ctx: QuantizeContext) => quantizePool(node, ctx, 'avg'),
  evalInt: evalPool,
});
