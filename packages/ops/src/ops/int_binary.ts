import { makeTensor, numel, sameShape, type Node, type Tensor } from '@qtool/ir';
import { clamp } from '@qtool/qmath';
import type { QuantizeContext, RoundingMode } from '../quant.js';
import { broadcastIndex, broadcastShapes } from '../util.js';
import { fixedMultiplier, int8Act, int8Input, outputRange, paramsOf, requantFn } from './int_common.js';

// Integer add, sub and mul on int8 (docs/arithmetic.md, "add, sub" and "mul"), NumPy broadcasting.

/** Left shift applied to both inputs of add/sub before rescaling (TFLite's 20, both modes). */
export const ADD_LEFT_SHIFT = 20;

/**
 * add / sub, TFLite's scheme with the mode's R (C: qt_add_s8 / qt_sub_s8):
 *   a = R(x1' << leftShift, input1Multiplier, input1Shift), b = R(x2' << leftShift, input2Multiplier, input2Shift),
 *   y = clamp(R(a ± b, outputMultiplier, outputShift) + outputOffset, outMin, outMax),  x' = x + inputOffset.
 * M1 = s1 / t, M2 = s2 / t, Mo = t / (2^leftShift · s_y), t = 2 · max(s1, s2).
 */
export interface AddParams {
  mode: RoundingMode;
  /** +1 for add, -1 for sub (b is subtracted) */
  sign: 1 | -1;
  leftShift: number;
  /** -zp of input 1, added to every input 1 value */
  input1Offset: number;
  /** -zp of input 2, added to every input 2 value */
  input2Offset: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
  /** zp of the output, added after the output multiplier */
  outputOffset: number;
  /** output clamp in int8 (the fused activation quantized, intersected with [-128, 127]) */
  outMin: number;
  outMax: number;
}

/** mul (C: qt_mul_s8): y = clamp(R(x1' · x2', outputMultiplier, outputShift) + outputOffset, outMin, outMax), M = s1·s2/s_y. */
export interface MulParams {
  mode: RoundingMode;
  /** -zp of input 1 */
  input1Offset: number;
  /** -zp of input 2 */
  input2Offset: number;
  outputMultiplier: number;
  outputShift: number;
  /** zp of the output */
  outputOffset: number;
  outMin: number;
  outMax: number;
}

/** Prepare for add (sign 1) and sub (sign -1). */
export function quantizeAddSub(node: Node, ctx: QuantizeContext, sign: 1 | -1): AddParams {
  const q1 = int8Act(node, ctx, node.inputs[0]);
  const q2 = int8Act(node, ctx, node.inputs[1]);
  const qo = int8Act(node, ctx, node.outputs[0]);
  const t = 2 * Math.max(q1.scale, q2.scale);
  const m1 = fixedMultiplier(node, q1.scale / t);
  const m2 = fixedMultiplier(node, q2.scale / t);
  const mo = fixedMultiplier(node, t / (2 ** ADD_LEFT_SHIFT * qo.scale));
  return {
    mode: ctx.options.mode,
    sign,
    leftShift: ADD_LEFT_SHIFT,
    input1Offset: -q1.zeroPoint,
    input2Offset: -q2.zeroPoint,
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
    outputMultiplier: mo.multiplier,
    outputShift: mo.shift,
    outputOffset: qo.zeroPoint,
    ...outputRange(node, qo),
  };
}

export function quantizeMul(node: Node, ctx: QuantizeContext): MulParams {
  const q1 = int8Act(node, ctx, node.inputs[0]);
  const q2 = int8Act(node, ctx, node.inputs[1]);
  const qo = int8Act(node, ctx, node.outputs[0]);
  const m = fixedMultiplier(node, (q1.scale * q2.scale) / qo.scale);
  return {
    mode: ctx.options.mode,
    input1Offset: -q1.zeroPoint,
    input2Offset: -q2.zeroPoint,
    outputMultiplier: m.multiplier,
    outputShift: m.shift,
    outputOffset: qo.zeroPoint,
    ...outputRange(node, qo),
  };
}

/** Eval: `f(x1, x2)` over the NumPy broadcast of two int8 tensors, int8 result. */
function broadcastInt8(node: Node, inputs: (Tensor | undefined)[], f: (x1: number, x2: number) => number): Tensor[] {
  const a = int8Input(node, inputs, 0);
  const b = int8Input(node, inputs, 1);
  const shape = broadcastShapes(node, a.shape, b.shape);
  const n = numel(shape);
  const ia = sameShape(a.shape, shape) ? undefined : broadcastIndex(a.shape, shape);
  const ib = sameShape(b.shape, shape) ? undefined : broadcastIndex(b.shape, shape);
  const ad = a.data as Int8Array;
  const bd = b.data as Int8Array;
  const out = new Int8Array(n);
  for (let k = 0; k < n; k++) out[k] = f(ad[ia ? ia[k]! : k]!, bd[ib ? ib[k]! : k]!);
  return [makeTensor('int8', shape, out)];
}

/** Eval for add and sub (integers only). */
export function evalAddSub(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const p = paramsOf<AddParams>(node);
  const R = requantFn(p.mode);
  const scale = 2 ** p.leftShift; // x' · 2^20 stays below 2^29 in magnitude: exact in int32
  return broadcastInt8(node, inputs, (x1, x2) => {
    const a = R((x1 + p.input1Offset) * scale, p.input1Multiplier, p.input1Shift);
    const b = R((x2 + p.input2Offset) * scale, p.input2Multiplier, p.input2Shift);
    const acc = p.sign === 1 ? a + b : a - b;
    return clamp(R(acc, p.outputMultiplier, p.outputShift) + p.outputOffset, p.outMin, p.outMax);
  });
}

/** Eval for mul (integers only; |x1' · x2'| <= 2^16). */
export function evalMul(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const p = paramsOf<MulParams>(node);
  const R = requantFn(p.mode);
  return broadcastInt8(node, inputs, (x1, x2) =>
    clamp(R((x1 + p.input1Offset) * (x2 + p.input2Offset), p.outputMultiplier, p.outputShift) + p.outputOffset, p.outMin, p.outMax),
  );
}
