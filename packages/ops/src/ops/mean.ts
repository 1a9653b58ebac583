import { numel, stridesOf, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import { attrBool, attrInts, floatTensor, need, normAxis, shapeError } from '../util.js';
import { values, type Shaped } from './window.js';
import { evalMean, quantizeMean } from './int_pool.js';
import type { QuantizeContext } from '../quant.js';

// Arithmetic mean over `axes` (ONNX ReduceMean, GlobalAveragePool; TFLite MEAN). keepDims (default true, as in
// ONNX keepdims=1) leaves each reduced axis as 1. Absent or empty axes reduce every axis: ONNX ReduceMean with
// noop_with_empty_axes=0 does so; a reader that meets noop_with_empty_axes=1 should drop the node instead.

interface MeanPlan {
  reduced: boolean[];
  shape: number[];
}

function plan(node: Node, inputs: (Shaped | undefined)[]): MeanPlan {
  const x = need(node, inputs, 0);
  const rank = x.shape.length;
  const given = attrInts(node, 'axes', []);
  const reduced = new Array<boolean>(rank).fill(given.length === 0);
  for (const ax of given) {
    const a = normAxis(node, ax, rank);
    if (reduced[a]) shapeError(node, `axis ${ax} is listed twice in axes [${given}]`);
    reduced[a] = true;
  }
  const keep = attrBool(node, 'keepDims', true);
  const shape: number[] = [];
  x.shape.forEach((d, i) => {
    if (!reduced[i]) shape.push(d);
    else if (keep) shape.push(1);
  });
  return { reduced, shape };
}

export const mean = defineOp({
  name: 'mean',
  summary: 'arithmetic mean over axes, keepDims',
  inputs: ['X'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    return [{ dtype: need(node, inputs, 0).dtype, shape: plan(node, inputs).shape }];
  },

  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = plan(node, inputs);
    const xt = need(node, inputs, 0);
    const x = values(xt);
    const shape = xt.shape;
    const rank = shape.length;
    // output stride of each input axis (0 on reduced axes): the kept axes in order form the output layout
    const keptShape = shape.filter((_, i) => !p.reduced[i]);
    const keptStr = stridesOf(keptShape);
    const outStr = new Array<number>(rank).fill(0);
    for (let i = 0, j = 0; i < rank; i++) if (!p.reduced[i]) outStr[i] = keptStr[j++]!;
    const acc = new Float64Array(numel(keptShape));
    const pos = new Array<number>(rank).fill(0);
    let off = 0;
    for (let e = 0; e < x.length; e++) {
      acc[off] += x[e]!;
      for (let ax = rank - 1; ax >= 0; ax--) {
        pos[ax]!++;
        off += outStr[ax]!;
        if (pos[ax]! < shape[ax]!) break;
        off -= outStr[ax]! * shape[ax]!;
        pos[ax] = 0;
      }
    }
    const count = numel(shape.filter((_, i) => p.reduced[i]));
    const y = floatTensor(p.shape);
    const yd = y.data as Float32Array;
    for (let i = 0; i < acc.length; i++) yd[i] = acc[i]! / count;
    return [y];
  },

  // Prepare sees no shapes: the axes as given (normalised by the readers); count is taken from the input shape
  quantize: (node: Node, ctx: QuantizeContext) => quantizeMean(node, ctx, attrInts(node, 'axes', [])),
  evalInt: evalMean,
});
