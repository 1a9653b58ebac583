import { allocate, makeTensor, numel, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { defineOp } from '../op.js';
import { attrNumber, normAxis, sameDtype, shapeError } from '../util.js';
import type { Elems } from './elementwise.js';
import { concatEval, quantizeConcat } from './int_move.js';

/** Output shape and normalised axis; every input is required, of one dtype and rank, equal off the axis. */
function rule(node: Node, inputs: readonly (Pick<TensorInfo, 'dtype' | 'shape'> | undefined)[]) {
  if (inputs.length === 0) shapeError(node, 'needs at least one input');
  inputs.forEach((t, i) => {
    if (!t) shapeError(node, `input ${i} is required`);
  });
  const ins = inputs as Pick<TensorInfo, 'dtype' | 'shape'>[];
  const dtype = sameDtype(node, ins.map((t) => t.dtype));
  const first = ins[0]!.shape;
  const axis = normAxis(node, attrNumber(node, 'axis'), first.length);
  const shape = [...first];
  shape[axis] = 0;
  for (const t of ins) {
    if (t.shape.length !== first.length || t.shape.some((d, k) => k !== axis && d !== first[k]))
      shapeError(node, `cannot concatenate [${t.shape}] with [${first}] along axis ${axis}`);
    shape[axis] += t.shape[axis]!;
  }
  return { dtype, shape, axis };
}

export const concat = defineOp({
  name: 'concat',
  summary: 'join inputs along axis',
  inputs: ['...inputs'],
  inferShape(node, inputs) {
    const { dtype, shape } = rule(node, inputs);
    return [{ dtype, shape }];
  },
  evalFloat(node, inputs) {
    const { dtype, shape, axis } = rule(node, inputs);
    // row-major: for each index of the axes before `axis`, each input contributes one contiguous block in turn
    const outer = numel(shape.slice(0, axis));
    const inner = numel(shape.slice(axis + 1));
    const dst = allocate(dtype, numel(shape)) as Elems;
    let o = 0;
    for (let i = 0; i < outer; i++)
      for (const t of inputs) {
        const block = t!.shape[axis]! * inner;
        const src = t!.data as Elems;
        for (let j = 0, s = i * block; j < block; j++) dst[o++] = src[s + j]!;
      }
    return [makeTensor(dtype, shape, dst as ReturnType<typeof allocate>)];
  },
  quantize: quantizeConcat,
  evalInt: (node: Node, inputs: (Tensor | undefined)[]): Tensor[] => concatEval(concat)(node, inputs),
});
