import { meanFold, type MeanParams } from '@qtool/ops';
import type { KernelEmitter } from '../kernel.js';
import { checkRank, cMode, codegenError, declareStruct, dims, mergeAxes, paramsOf, product, shapeOf, stridesOf } from './others_common.js';

// mean: runtime/qt_pool.c qt_mean_s8. The reduced and the kept axes of X become two strided walks (each merged to
// the fewest axes); count and, for a requantizing mean, the 1/count fold of the multiplier are computed here from
// the static shape, as evalMean computes them.

const METHOD = { round: 'QT_MEAN_ROUND', trunc: 'QT_MEAN_TRUNC', requant: 'QT_MEAN_REQUANT' } as const;

export const meanEmitter: KernelEmitter = {
  op: 'mean',
  sources: () => ['qt_pool.c'],
  emit(ctx) {
    const p = paramsOf<MeanParams>(ctx.node);
    const x = shapeOf(ctx, ctx.node.inputs[0]);
    const rank = x.length;
    // the readers normalise axes; evalMean matches them as given, so anything else is refused, not reinterpreted
    const axes = p.axes;
    if (axes.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) codegenError(ctx.node, `axes [${p.axes}] must be normalised axes of X [${x}]`);
    const reduced = x.map((_, i) => axes.length === 0 || axes.includes(i));
    const st = stridesOf(x);
    const pick = (want: boolean) => {
      const idx = x.map((_, i) => i).filter((i) => reduced[i] === want);
      return mergeAxes(
        idx.map((i) => x[i]!),
        [idx.map((i) => st[i]!)],
      );
    };
    const kept = pick(false);
    const red = pick(true);
    checkRank(ctx.node, kept.shape.length, 'the kept axes');
    checkRank(ctx.node, red.shape.length, 'the reduced axes');
    const count = product(x.filter((_, i) => reduced[i]));
    if (count >= 2 ** 23) codegenError(ctx.node, `${count} values per mean: the int32 sum could overflow`);
    const f = p.method === 'requant' ? meanFold(p.multiplier, p.shift, count) : { multiplier: 0, shift: 0 };
    const name = declareStruct(ctx, 'qt_mean_params_t', '', [
      ['kept_rank', kept.shape.length],
      ['kept_shape', kept.shape],
      ['kept_stride', kept.strides[0]!],
      ['red_rank', red.shape.length],
      ['red_shape', red.shape],
      ['red_stride', red.strides[0]!],
      ['count', count],
      ['method', METHOD[p.method]],
      ['mode', cMode(p.mode)],
      ['input_offset', p.inputOffset],
      ['output_offset', p.outputOffset],
      ['multiplier', f.multiplier],
      ['shift', f.shift],
    ]);
    const y = shapeOf(ctx, ctx.node.outputs[0]);
    return `qt_mean_s8(&${name}, ${ctx.ptr(ctx.node.inputs[0]!)}, ${ctx.ptr(ctx.node.outputs[0]!)}); /* ${dims(x)} -> ${dims(y)}, axes [${axes.length ? axes : 'all'}] */`;
  },
};
