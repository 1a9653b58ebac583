import { defineOp } from '../op.js';
import { broadcastShapes, need, sameDtype, shapeError } from '../util.js';
import { broadcastMap, FLOAT_DTYPES, requireDtype } from './elementwise.js';
import { sameShape, type Node } from '@qtool/ir';
import { evalLut, quantizePreluLut } from './int_lut.js';

/** ONNX PRelu broadcasts slope to X only (unidirectional): the output always has X's shape. */
function outShape(node: Node, x: number[], slope: number[]): number[] {
  const s = broadcastShapes(node, x, slope);
  if (!sameShape(s, x)) shapeError(node, `slope [${slope}] does not broadcast to X [${x}]`);
  return s;
}

export const prelu = defineOp({
  name: 'prelu',
  summary: 'x < 0 ? slope*x : x, slope broadcast to X',
  inputs: ['X', 'slope'],
  inferShape(node, inputs) {
    const x = need(node, inputs, 0);
    const slope = need(node, inputs, 1);
    const dtype = requireDtype(node, sameDtype(node, [x.dtype, slope.dtype]), FLOAT_DTYPES);
    return [{ dtype, shape: outShape(node, x.shape, slope.shape) }];
  },
  evalFloat(node, inputs) {
    const x = need(node, inputs, 0);
    const slope = need(node, inputs, 1);
    const dtype = requireDtype(node, sameDtype(node, [x.dtype, slope.dtype]), FLOAT_DTYPES);
    return [broadcastMap(x, slope, outShape(node, x.shape, slope.shape), dtype, (v, s) => (v < 0 ? s * v : v))];
  },
  // int8: one 256-entry table per slope value (scalar slope: one table; [C] slope: per channel, last axis)
  quantize: quantizePreluLut,
  evalInt: evalLut,
});
