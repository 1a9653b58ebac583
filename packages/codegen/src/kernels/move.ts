import type { ConcatParams, MoveParams, PadParams } from '@qtool/ops';
import type { EmitContext, KernelEmitter } from '../kernel.js';
import { checkRank, codegenError, declareRequant, declareStruct, dims, mergeAxes, paramsOf, product, shapeOf, stridesOf } from './others_common.js';

// Data movement: runtime/qt_move.c. reshape and quantize (int8 -> int8) are no code when the output lives where
// the input does and the parameters agree (the planner aliases reshape, and may run quantize in place), a copy
// otherwise, or one requantization (qt_requant_s8, safe in place). transpose walks the output with constant
// input strides; concat is one call per input; pad reads per-axis index maps built here.

/** reshape, quantize: `in` -> `out` through the optional requantizing stage. */
function copyEmitter(op: 'reshape' | 'quantize'): KernelEmitter {
  return {
    op,
    sources: () => ['qt_move.c'],
    emit(ctx) {
      const p = paramsOf<MoveParams>(ctx.node);
      const y = shapeOf(ctx, ctx.node.outputs[0]);
      const x = shapeOf(ctx, ctx.node.inputs[0]);
      if (product(x) !== product(y)) codegenError(ctx.node, `X [${x}] and Y [${y}] differ in size`);
      const src = ctx.ptr(ctx.node.inputs[0]!);
      const dst = ctx.ptr(ctx.node.outputs[0]!);
      const note = `/* ${op} ${dims(x)} -> ${dims(y)} */`;
      if (p.requant) {
        // in place when aliased; a caller's input buffer is read-only
        if (src === dst && /^input\d+$/.test(dst)) codegenError(ctx.node, 'a requantizing reshape cannot run in the caller\'s input buffer (the planner must not alias it)');
        return `qt_requant_s8(${declareRequant(ctx, 'rq', p.requant)}, ${src}, ${dst}, ${product(y)}); ${note}`;
      }
      if (src === dst) return '';
      return `qt_copy_s8(${src}, ${dst}, ${product(y)}); ${note}`;
    },
  };
}

export const reshapeEmitter = copyEmitter('reshape');
export const quantizeEmitter = copyEmitter('quantize');

/** transpose's perm attribute (absent: reverse the axes, as ONNX). */
function permOf(ctx: EmitContext, rank: number): number[] {
  const a = ctx.node.attrs['perm'];
  const perm = Array.isArray(a) ? (a as number[]) : [...Array(rank).keys()].reverse();
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((v) => !Number.isInteger(v) || v < 0 || v >= rank))
    codegenError(ctx.node, `perm [${perm}] is not a permutation of ${rank} axes`);
  return perm;
}

export const transposeEmitter: KernelEmitter = {
  op: 'transpose',
  sources: () => ['qt_move.c'],
  emit(ctx) {
    const p = paramsOf<MoveParams>(ctx.node);
    const x = shapeOf(ctx, ctx.node.inputs[0]);
    const perm = permOf(ctx, x.length);
    const xs = stridesOf(x);
    const w = mergeAxes(
      perm.map((a) => x[a]!),
      [perm.map((a) => xs[a]!)],
    );
    checkRank(ctx.node, w.shape.length, `transpose of [${x}]`);
    const requant = declareRequant(ctx, 'rq', p.requant);
    const name = declareStruct(ctx, 'qt_transpose_params_t', '', [
      ['rank', w.shape.length],
      ['shape', w.shape],
      ['stride', w.strides[0]!],
      ['requant', requant],
    ]);
    return `qt_transpose_s8(&${name}, ${ctx.ptr(ctx.node.inputs[0]!)}, ${ctx.ptr(ctx.node.outputs[0]!)}); /* ${dims(x)}, perm [${perm}] */`;
  },
};

export const concatEmitter: KernelEmitter = {
  op: 'concat',
  sources: () => ['qt_move.c'],
  emit(ctx) {
    const p = paramsOf<ConcatParams>(ctx.node);
    const y = shapeOf(ctx, ctx.node.outputs[0]);
    const a = Number(ctx.node.attrs['axis']);
    const axis = a < 0 ? a + y.length : a;
    if (!Number.isInteger(axis) || axis < 0 || axis >= y.length) codegenError(ctx.node, `axis ${a} out of range for Y [${y}]`);
    const outer = product(y.slice(0, axis));
    const inner = product(y.slice(axis + 1));
    const calls: string[] = [];
    let at = 0;
    ctx.node.inputs.forEach((v, i) => {
      const x = shapeOf(ctx, v);
      const block = x[axis]! * inner;
      if (block > 0) {
        const requant = declareRequant(ctx, `rq${i}`, p.inputs[i]);
        const name = declareStruct(ctx, 'qt_concat_params_t', `in${i}`, [
          ['outer', outer],
          ['in_block', block],
          ['out_block', y[axis]! * inner],
          ['out_offset', at],
          ['requant', requant],
        ]);
        calls.push(`qt_concat_s8(&${name}, ${ctx.ptr(v)}, ${ctx.ptr(ctx.node.outputs[0]!)}); /* input ${i}: ${dims(x)} */`);
      }
      at += block;
    });
    return calls.join('\n  ');
  },
};

/** For one axis: output index -> input index, or -1 where the pad value goes (pad.ts axisMap; crops first). */
export function padAxisMap(d: number, pb: number, pe: number, mode: PadParams['mode']): number[] {
  const cb = Math.max(0, -pb);
  const len = d - cb - Math.max(0, -pe);
  const lead = Math.max(0, pb);
  const map: number[] = [];
  for (let o = 0; o < d + pb + pe; o++) {
    let r = o - lead;
    if (r < 0 || r >= len) {
      if (mode === 'constant') {
        map.push(-1);
        continue;
      }
      if (mode === 'edge') r = r < 0 ? 0 : len - 1;
      else if (len === 1) r = 0;
      else {
        const period = 2 * (len - 1); // reflect: 0 1 .. len-1 len-2 .. 1 0 1 ..
        r = ((r % period) + period) % period;
        if (r >= len) r = period - r;
      }
    }
    map.push(cb + r);
  }
  return map;
}

export const padEmitter: KernelEmitter = {
  op: 'pad',
  sources: () => ['qt_move.c'],
  emit(ctx) {
    const p = paramsOf<PadParams>(ctx.node);
    const x = shapeOf(ctx, ctx.node.inputs[0]);
    const pads = ctx.node.attrs['pads'] as number[] | undefined;
    if (!Array.isArray(pads) || pads.length !== 2 * x.length) codegenError(ctx.node, `pads [${pads ?? ''}] must have ${2 * x.length} entries`);
    const xs = stridesOf(x);
    // axes that neither pad nor crop a size-1 input contribute nothing to an offset: dropped
    const axes = x.map((d, i) => ({ map: padAxisMap(d, pads[i]!, pads[x.length + i]!, p.mode), stride: xs[i]! })).filter((a) => !(a.map.length === 1 && a.map[0] === 0));
    if (axes.length === 0) axes.push({ map: [0], stride: 1 });
    checkRank(ctx.node, axes.length, `pad of [${x}]`);
    const offsets: number[] = [];
    let at = 0;
    for (const a of axes) {
      offsets.push(at);
      at += a.map.length;
    }
    const map = ctx.constArray('map', 'int32_t', axes.flatMap((a) => a.map));
    const requant = declareRequant(ctx, 'rq', p.requant);
    const name = declareStruct(ctx, 'qt_pad_params_t', '', [
      ['rank', axes.length],
      ['shape', axes.map((a) => a.map.length)],
      ['in_stride', axes.map((a) => a.stride)],
      ['map_offset', offsets],
      ['map', map],
      ['pad_value', p.padValue],
      ['requant', requant],
    ]);
    return `qt_pad_s8(&${name}, ${ctx.ptr(ctx.node.inputs[0]!)}, ${ctx.ptr(ctx.node.outputs[0]!)}); /* ${dims(x)} -> ${dims(shapeOf(ctx, ctx.node.outputs[0]))}, ${p.mode}, pads [${pads}] */`;
  },
};
