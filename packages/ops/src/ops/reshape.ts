import { makeTensor, numel } from '@qtool/ir';
import { defineOp } from '../op.js';
import { attrInts, need, shapeError } from '../util.js';
import type { Node, Tensor } from '@qtool/ir';
import { moveEval, quantizeMove } from './int_move.js';

/** The target shape: the readers resolve ONNX 0 (copy) and -1 (infer), so every entry is a real size here. */
function target(node: Node, from: readonly number[]): number[] {
  const shape = attrInts(node, 'shape');
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) shapeError(node, `shape [${shape}] must be fully resolved (no -1)`);
  if (numel(shape) !== numel(from)) shapeError(node, `cannot reshape [${from}] (${numel(from)} elements) to [${shape}] (${numel(shape)})`);
  return [...shape];
}

export const reshape = defineOp({
  name: 'reshape',
  summary: 'row-major reinterpretation to attr shape (same number of elements)',
  inputs: ['data'],
  inferShape(node, inputs) {
    const x = need(node, inputs, 0);
    return [{ dtype: x.dtype, shape: target(node, x.shape) }];
  },
  evalFloat(node, inputs) {
    const x = need(node, inputs, 0);
    // a copy, so callers may treat every op output as their own buffer
    return [makeTensor(x.dtype, target(node, x.shape), x.data.slice())];
  },
  quantize: quantizeMove,
  evalInt: (node: Node, inputs: (Tensor | undefined)[]): Tensor[] => moveEval(reshape)(node, inputs),
});
