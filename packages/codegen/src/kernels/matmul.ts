import type { MatmulParams } from '@qtool/ops';
import type { KernelEmitter } from '../kernel.js';
import { cInt } from '../kernel.js';
import { codegenError, cStruct, dims, outputFields, paramsOf, product, shapeOf } from './mac_common.js';

// matmul -> qt_matmul_s8 (runtime/qt_mac.c): NumPy matmul of two int8 activations (a 1-D A is a row [1, K], a
// 1-D B a column [K, 1]); batch axes broadcast and are folded here into at most QT_MATMUL_MAX_BATCH_DIMS axes.

export const MATMUL_MAX_BATCH_DIMS = 4; // QT_MATMUL_MAX_BATCH_DIMS in qt_mac.h

/** Output batch axes with A's and B's matrix strides (0 where broadcast), size-1 axes dropped, mergeable axes merged. */
export function matmulBatch(aBatch: number[], bBatch: number[]): { shape: number[]; aStride: number[]; bStride: number[] } | string {
  const rank = Math.max(aBatch.length, bBatch.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const a = pad(aBatch);
  const b = pad(bBatch);
  const stridesOf = (s: number[]) => {
    const st = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let d = rank - 1; d >= 0; d--) {
      st[d] = s[d] === 1 ? 0 : acc;
      acc *= s[d]!;
    }
    return st;
  };
  const aSt = stridesOf(a);
  const bSt = stridesOf(b);
  const shape: number[] = [];
  const aStride: number[] = [];
  const bStride: number[] = [];
  for (let d = 0; d < rank; d++) {
    if (a[d] !== b[d] && a[d] !== 1 && b[d] !== 1) return `batch axes [${aBatch}] and [${bBatch}] do not broadcast`;
    const size = Math.max(a[d]!, b[d]!);
    if (size === 1) continue;
    const last = shape.length - 1;
    // axis d continues the previous one in both operands: one axis of the product of the sizes
    if (last >= 0 && aStride[last] === aSt[d]! * size && bStride[last] === bSt[d]! * size) {
      shape[last]! *= size;
      aStride[last] = aSt[d]!;
      bStride[last] = bSt[d]!;
    } else {
      shape.push(size);
      aStride.push(aSt[d]!);
      bStride.push(bSt[d]!);
    }
  }
  return { shape, aStride, bStride };
}

export const matmulEmitter: KernelEmitter = {
  op: 'matmul',
  sources: () => ['qt_mac.c'],

  emit(ctx) {
    const { node, prefix } = ctx;
    const p = paramsOf<MatmulParams>(node);
    const a = shapeOf(ctx, node.inputs[0]);
    const b = shapeOf(ctx, node.inputs[1]);
    const y = shapeOf(ctx, node.outputs[0]);
    if (a.length === 0 || b.length === 0) codegenError(node, 'operands must have at least one axis (NumPy matmul)');
    const aa = a.length === 1 ? [1, a[0]!] : a;
    const bb = b.length === 1 ? [b[0]!, 1] : b;
    const m = aa[aa.length - 2]!;
    const k = aa[aa.length - 1]!;
    const n = bb[bb.length - 1]!;
    if (bb[bb.length - 2] !== k) codegenError(node, `A [${a}] and B [${b}] disagree on the contracted axis`);
    if (k > p.maxK) codegenError(node, `K = ${k} can overflow the int32 accumulator (at most ${p.maxK} for these offsets)`);
    const batch = matmulBatch(aa.slice(0, -2), bb.slice(0, -2));
    if (typeof batch === 'string') codegenError(node, batch);
    if (batch.shape.length > MATMUL_MAX_BATCH_DIMS)
      codegenError(node, `${batch.shape.length} independent batch axes; the kernel folds at most ${MATMUL_MAX_BATCH_DIMS}`);
    if (product(y) !== product(batch.shape) * m * n) codegenError(node, `Y [${y}] does not match A [${a}] x B [${b}]`);
    const fixed = (v: number[]) => `{ ${[...v, ...new Array<number>(MATMUL_MAX_BATCH_DIMS - v.length).fill(0)].map(cInt).join(', ')} }`;
    ctx.declare(
      cStruct('qt_matmul_params_t', `${prefix}_p`, [
        ['batch_dims', batch.shape.length],
        ['batch_shape', fixed(batch.shape)],
        ['a_batch_stride', fixed(batch.aStride)],
        ['b_batch_stride', fixed(batch.bStride)],
        ['m', m],
        ['k', k],
        ['n', n],
        ['input_offset_a', p.inputOffsetA],
        ['input_offset_b', p.inputOffsetB],
        ['output_offset', p.outputOffset],
        ['requant', `{ ${cInt(p.multiplier.multiplier)}, ${cInt(p.multiplier.shift)} }`],
        ...outputFields(p),
      ]),
    );
    const call = `qt_matmul_s8(&${prefix}_p, ${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.inputs[1]!)}, ${ctx.ptr(node.outputs[0]!)});`;
    return `${call} /* matmul ${dims(a)} x ${dims(b)} -> ${dims(y)} */`;
  },
};
