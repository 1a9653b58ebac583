import type { SoftmaxParams } from '@qtool/ops';
import type { KernelEmitter } from '../kernel.js';
import { codegenError, declareRequant, declareStruct, dims, paramsOf, product, shapeOf } from './others_common.js';

// softmax: runtime/qt_softmax.c, qt_softmax_s8 (qtool: a 256-entry exp table) or qt_softmax_tfl_s8 (TFLite's
// fixed-point reference). The axis splits X into outer x len x inner; rows are `inner` apart.

export const softmaxEmitter: KernelEmitter = {
  op: 'softmax',
  sources: () => ['qt_softmax.c'],
  emit(ctx) {
    const p = paramsOf<SoftmaxParams>(ctx.node);
    const x = shapeOf(ctx, ctx.node.inputs[0]);
    const axis = p.axis < 0 ? p.axis + x.length : p.axis;
    if (!Number.isInteger(axis) || axis < 0 || axis >= x.length) codegenError(ctx.node, `axis ${p.axis} out of range for X [${x}]`);
    const len = x[axis]!;
    const rows: [string, number][] = [
      ['outer', product(x.slice(0, axis))],
      ['len', len],
      ['inner', product(x.slice(axis + 1))],
    ];
    const io = `${ctx.ptr(ctx.node.inputs[0]!)}, ${ctx.ptr(ctx.node.outputs[0]!)}`;
    const note = `/* ${dims(x)}, axis ${axis}, ${p.mode} */`;
    if (p.mode === 'qtool') {
      if (len >= 65536) codegenError(ctx.node, `rows of ${len} values: the sum of 2^15-scaled exponentials would overflow int32`);
      const table = ctx.constArray('exp', 'uint16_t', p.expTable);
      const requant = declareRequant(ctx, 'rq', p.requant);
      const name = declareStruct(ctx, 'qt_softmax_params_t', '', [...rows, ['exp_table', table], ['requant', requant]]);
      return `qt_softmax_s8(&${name}, ${io}); ${note}`;
    }
    // TFLite's Q12.19 sum of up to len exponentials of at most 2^19 each
    if (len >= 4096) codegenError(ctx.node, `rows of ${len} values: TFLite's Q12.19 sum would overflow int32`);
    const name = declareStruct(ctx, 'qt_softmax_tfl_params_t', '', [
      ...rows,
      ['input_multiplier', p.inputMultiplier],
      ['input_left_shift', p.inputLeftShift],
      ['diff_min', p.diffMin],
    ]);
    return `qt_softmax_tfl_s8(&${name}, ${io}); ${note}`;
  },
};
