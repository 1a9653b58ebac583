import type { Node, Tensor } from '@qtool/ir';
import { clamp } from '@qtool/qmath';
import type { OpDef } from '../op.js';
import type { QuantizeContext } from '../quant.js';
import { attrNumber, attrString } from '../util.js';
import { int8Act, int8Input, paramsOf, refuse, requantStage, requantTensor, roundHalfAway, type RequantParams } from './int_common.js';

// Integer data movement on int8 (reshape, transpose, concat, pad) and the int8 -> int8 quantize. Values move
// unchanged when input and output share parameters (the quantizer arranges that for reshape, transpose, pad);
// otherwise each element goes through one requantization y = clamp(R(x - zp_in, m, s) + zp_out, -128, 127).
// The moving itself is the float reference's, which only copies elements and keeps the dtype.

/** reshape, transpose (C: a copy, or qt_requant_s8 then the move). */
export interface MoveParams {
  /** absent when the output shares the input's parameters */
  requant?: RequantParams;
}

/** concat (C: qt_concat_s8): one optional requantizing stage per input, in input order. */
export interface ConcatParams {
  inputs: (RequantParams | null)[];
}

/** pad (C: qt_pad_s8): the int8 value of constant padding at the output's parameters. */
export interface PadParams {
  mode: 'constant' | 'reflect' | 'edge';
  /** `value` attribute quantized at the output: clamp(round(value / s_out) + zp_out) (the zero point for 0) */
  padValue: number;
  requant?: RequantParams;
}

export function quantizeMove(node: Node, ctx: QuantizeContext): MoveParams {
  const rq = requantStage(node, ctx.options.mode, int8Act(node, ctx, node.inputs[0]), int8Act(node, ctx, node.outputs[0]));
  return rq ? { requant: rq } : {};
}

/** Eval for reshape and transpose: requantize if asked, then the float reference's move on int8. */
export function moveEval(def: Pick<OpDef, 'evalFloat'>) {
  return (node: Node, inputs: (Tensor | undefined)[]): Tensor[] => {
    const p = paramsOf<MoveParams>(node);
    return def.evalFloat(node, [requantTensor(int8Input(node, inputs, 0), p.requant)]);
  };
}

export function quantizeConcat(node: Node, ctx: QuantizeContext): ConcatParams {
  const y = int8Act(node, ctx, node.outputs[0]);
  return { inputs: node.inputs.map((t) => requantStage(node, ctx.options.mode, int8Act(node, ctx, t), y) ?? null) };
}

export function concatEval(def: Pick<OpDef, 'evalFloat'>) {
  return (node: Node, inputs: (Tensor | undefined)[]): Tensor[] => {
    const p = paramsOf<ConcatParams>(node);
    return def.evalFloat(node, inputs.map((_, i) => requantTensor(int8Input(node, inputs, i), p.inputs[i] ?? undefined)));
  };
}

export function quantizePad(node: Node, ctx: QuantizeContext): PadParams {
  const x = int8Act(node, ctx, node.inputs[0]);
  const y = int8Act(node, ctx, node.outputs[0]);
  const mode = attrString(node, 'mode', 'constant') as PadParams['mode'];
  const padValue = clamp(roundHalfAway(attrNumber(node, 'value', 0) / y.scale) + y.zeroPoint, -128, 127);
  const rq = requantStage(node, ctx.options.mode, x, y);
  return rq ? { mode, padValue, requant: rq } : { mode, padValue };
}

export function padEval(def: Pick<OpDef, 'evalFloat'>) {
  return (node: Node, inputs: (Tensor | undefined)[]): Tensor[] => {
    const p = paramsOf<PadParams>(node);
    // the float reference writes attribute `value` into the int8 output: hand it the quantized value
    const intNode: Node = { ...node, attrs: { ...node.attrs, mode: p.mode, value: p.padValue } };
    return def.evalFloat(intNode, [requantTensor(int8Input(node, inputs, 0), p.requant)]);
  };
}

/** quantize int8 -> int8 (C: qt_requant_s8): a requantization; float -> int8 happens outside the integer model. */
export function quantizeRequantize(node: Node, ctx: QuantizeContext): MoveParams {
  if (attrString(node, 'dtype') !== 'int8') refuse(node, `only int8 -> int8 requantization has an integer kernel (dtype ${attrString(node, 'dtype')})`);
  const x = ctx.act(node.inputs[0]!);
  if (x.dtype !== 'int8') refuse(node, `input is ${x.dtype}: float -> int8 quantization happens outside the integer model`);
  return quantizeMove(node, ctx);
}

/** Eval for quantize int8 -> int8. */
export function requantizeEval(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const p = paramsOf<MoveParams>(node);
  return [requantTensor(int8Input(node, inputs, 0), p.requant)];
}
