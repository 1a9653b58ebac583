import type { AddParams, MulParams } from '@qtool/ops';
import { mulByQuantizedMultiplierTflite, requant } from '@qtool/qmath';
import type { Target } from '../target.js';
import { fastFamily, specialised } from './mac_fast.js';
import type { EmitContext, KernelEmitter } from '../kernel.js';
import { checkRank, cInline, cMode, codegenError, declareStruct, dims, mergeAxes, paramsOf, shapeOf, stridesOf, type CValue } from './others_common.js';

// add, sub, mul: runtime/qt_elementwise.c (qt_add_s8, qt_sub_s8, qt_mul_s8), NumPy broadcasting with the
// per-axis strides of both operands as constants. add / sub without broadcasting on the fast targets:
// runtime/qt_elementwise_{dsp,mve}_impl.h (qt_add_spec_dsp / _mve, specialised per layer), the input
// requantizations tabulated here.

/** The broadcast walk of Y = f(A, B): output shape and each operand's step per output axis (0 where it broadcasts). */
export function broadcastWalk(ctx: EmitContext): [string, CValue][] {
  const a = shapeOf(ctx, ctx.node.inputs[0]);
  const b = shapeOf(ctx, ctx.node.inputs[1]);
  const y = shapeOf(ctx, ctx.node.outputs[0]);
  const r = y.length;
  const step = (s: number[]) => {
    const st = stridesOf(s);
    return y.map((d, i) => {
      const j = s.length - r + i;
      const e = j >= 0 ? s[j]! : 1;
      if (e !== 1 && e !== d) codegenError(ctx.node, `operand [${s}] does not broadcast to [${y}]`);
      return j >= 0 && e !== 1 ? st[j]! : 0;
    });
  };
  const w = mergeAxes(y, [step(a), step(b)]);
  checkRank(ctx.node, w.shape.length, `broadcasting [${a}] with [${b}]`);
  return [
    ['rank', w.shape.length],
    ['shape', w.shape],
    ['stride1', w.strides[0]!],
    ['stride2', w.strides[1]!],
  ];
}

const bcText = (ctx: EmitContext): string => cInline(broadcastWalk(ctx));

function comment(ctx: EmitContext): string {
  const [a, b] = ctx.node.inputs.map((v) => dims(shapeOf(ctx, v)));
  return `/* ${a} ${ctx.node.op} ${b} -> ${dims(shapeOf(ctx, ctx.node.outputs[0]))} */`;
}

/** The 256 values of R((x + offset) * 2^leftShift, m, s), x = -128..127, negated for sub's second operand. */
export function addInputTable(p: AddParams, which: 1 | 2): Int32Array {
  const R = p.mode === 'tflite' ? mulByQuantizedMultiplierTflite : requant;
  const [offset, m, s] = which === 1 ? [p.input1Offset, p.input1Multiplier, p.input1Shift] : [p.input2Offset, p.input2Multiplier, p.input2Shift];
  const sign = which === 2 ? p.sign : 1;
  const t = new Int32Array(256);
  for (let x = -128; x < 128; x++) t[x + 128] = sign * R((x + offset) * 2 ** p.leftShift, m, s);
  return t;
}

/** The fast kernel's family for this layer: a fast target and no broadcasting (both operands the output's shape). */
function fastAdd(ctx: EmitContext): 'dsp' | 'mve' | undefined {
  const f = fastFamily(ctx.target);
  if (!f) return undefined;
  const y = shapeOf(ctx, ctx.node.outputs[0]);
  const same = (s: number[]) => s.length === y.length && s.every((d, i) => d === y[i]);
  return same(shapeOf(ctx, ctx.node.inputs[0])) && same(shapeOf(ctx, ctx.node.inputs[1])) ? f : undefined;
}

function addSubEmitter(op: 'add' | 'sub'): KernelEmitter {
  return {
    op,
    sources: (_node, target: Target) => {
      const f = fastFamily(target);
      return f ? ['qt_elementwise.c', `qt_elementwise_${f}.c`] : ['qt_elementwise.c'];
    },
    emit(ctx) {
      const p = paramsOf<AddParams>(ctx.node);
      const fam = fastAdd(ctx);
      if (fam) {
        const [x1, x2] = ctx.node.inputs;
        const [u1, u2] = [addInputTable(p, 1), addInputTable(p, 2)];
        const maxAbs = (t: Int32Array) => t.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        // the DSP kernel indexes by the byte as uint8: entries for x = 0..127, then x = -128..-1
        const byByte = (t: Int32Array) => (fam === 'dsp' ? Int32Array.from({ length: 256 }, (_, b) => t[((b + 128) & 255)]!) : t);
        const t1 = ctx.constArray('t1', 'int32_t', byByte(u1));
        const t2 = ctx.constArray('t2', 'int32_t', byByte(u2));
        const name = declareStruct(ctx, 'qt_add_fast_t', '', [
          ['size', shapeOf(ctx, ctx.node.outputs[0]).reduce((a, b) => a * b, 1)],
          ['mode', cMode(p.mode)],
          ['t1', t1],
          ['t2', t2],
          ['output_multiplier', p.outputMultiplier],
          ['output_shift', p.outputShift],
          ['output_offset', p.outputOffset],
          ['act_min', p.outMin],
          ['act_max', p.outMax],
          ['small', maxAbs(u1) + maxAbs(u2) < 2 ** 30 ? 1 : 0],
        ]);
        const run = specialised(ctx, `qt_add_spec_${fam}(&${name}, a, b, out)`, 'const int8_t *a, const int8_t *b, int8_t *out');
        return `${run}(${ctx.ptr(x1!)}, ${ctx.ptr(x2!)}, ${ctx.ptr(ctx.node.outputs[0]!)}); ${comment(ctx)}`;
      }
      const name = declareStruct(ctx, 'qt_add_params_t', '', [
        ['bc', bcText(ctx)],
        ['mode', cMode(p.mode)],
        ['left_shift', p.leftShift],
        ['input1_offset', p.input1Offset],
        ['input2_offset', p.input2Offset],
        ['input1_multiplier', p.input1Multiplier],
        ['input1_shift', p.input1Shift],
        ['input2_multiplier', p.input2Multiplier],
        ['input2_shift', p.input2Shift],
        ['output_multiplier', p.outputMultiplier],
        ['output_shift', p.outputShift],
        ['output_offset', p.outputOffset],
        ['act_min', p.outMin],
        ['act_max', p.outMax],
      ]);
      const [x1, x2] = ctx.node.inputs;
      const fn = p.sign === -1 ? 'qt_sub_s8' : 'qt_add_s8';
      return `${fn}(&${name}, ${ctx.ptr(x1!)}, ${ctx.ptr(x2!)}, ${ctx.ptr(ctx.node.outputs[0]!)}); ${comment(ctx)}`;
    },
  };
}

export const addEmitter = addSubEmitter('add');
export const subEmitter = addSubEmitter('sub');

export const mulEmitter: KernelEmitter = {
  op: 'mul',
  sources: () => ['qt_elementwise.c'],
  emit(ctx) {
    const p = paramsOf<MulParams>(ctx.node);
    const name = declareStruct(ctx, 'qt_mul_params_t', '', [
      ['bc', bcText(ctx)],
      ['mode', cMode(p.mode)],
      ['input1_offset', p.input1Offset],
      ['input2_offset', p.input2Offset],
      ['output_multiplier', p.outputMultiplier],
      ['output_shift', p.outputShift],
      ['output_offset', p.outputOffset],
      ['act_min', p.outMin],
      ['act_max', p.outMax],
    ]);
    const [x1, x2] = ctx.node.inputs;
    return `qt_mul_s8(&${name}, ${ctx.ptr(x1!)}, ${ctx.ptr(x2!)}, ${ctx.ptr(ctx.node.outputs[0]!)}); ${comment(ctx)}`;
  },
};
