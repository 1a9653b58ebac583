import { allocate, makeTensor, numel, stridesOf, type Node, type Tensor } from '@qtool/ir';
import { defineOp } from '../op.js';
import { attrInts, need, shapeError } from '../util.js';
import type { Elems } from './elementwise.js';
import { moveEval, quantizeMove } from './int_move.js';

/** perm, checked to be a permutation of 0..rank-1; absent means reverse the axes (ONNX default). */
function permOf(node: Node, rank: number): number[] {
  const perm = attrInts(node, 'perm', [...Array(rank).keys()].reverse());
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank))
    shapeError(node, `perm [${perm}] is not a permutation of ${rank} axes`);
  return perm;
}

export const transpose = defineOp({
  name: 'transpose',
  summary: 'permute axes: Y.shape[i] = X.shape[perm[i]]',
  inputs: ['data'],
  inferShape(node, inputs) {
    const x = need(node, inputs, 0);
    const perm = permOf(node, x.shape.length);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }];
  },
  evalFloat(node, inputs) {
    const x = need(node, inputs, 0);
    const r = x.shape.length;
    const perm = permOf(node, r);
    const shape = perm.map((p) => x.shape[p]!);
    // walk Y in row-major order; step[i] is how far X's flat index moves when Y's axis i advances
    const xs = stridesOf(x.shape);
    const step = perm.map((p) => xs[p]!);
    const n = numel(shape);
    const src = x.data as Elems;
    const dst = allocate(x.dtype, n) as Elems;
    const pos = new Array<number>(r).fill(0);
    let off = 0;
    for (let k = 0; k < n; k++) {
      dst[k] = src[off]!;
      for (let ax = r - 1; ax >= 0; ax--) {
        off += step[ax]!;
        if (++pos[ax]! < shape[ax]!) break;
        off -= step[ax]! * shape[ax]!;
        pos[ax] = 0;
      }
    }
    return [makeTensor(x.dtype, shape, dst as typeof x.data)];
  },
  quantize: quantizeMove,
  evalInt: (node: Node, inputs: (Tensor | undefined)[]): Tensor[] => moveEval(transpose)(node, inputs),
});
