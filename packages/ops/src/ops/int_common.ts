import { fail, makeTensor, type Node, type Tensor } from '@qtool/ir';
import { clamp, mulByQuantizedMultiplierTflite, quantizeMultiplier, requant } from '@qtool/qmath';
import type { ActQuant, QuantizeContext, RoundingMode } from '../quant.js';
import { attrOptNumber } from '../util.js';

// Shared pieces of the integer side of the non-MAC ops (docs/arithmetic.md): reading int8 activation parameters
// in Prepare, the mode's requantization R, the fused-activation clamp, and the optional requantizing stage of the
// data-movement ops. Prepare helpers may use float math; the Eval helpers (marked) are integer only.

/** The mode's requantization R(x, m, s): `requant` (qtool, C: qt_requant) or TFLite's (C: qt_mul_tfl). */
export type RequantFn = (x: number, multiplier: number, shift: number) => number;

/** Eval. */
export function requantFn(mode: RoundingMode): RequantFn {
  return mode === 'tflite' ? mulByQuantizedMultiplierTflite : requant;
}

/** Prepare: round half away from zero, the compile-time rounding of the contract. */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** Prepare: a QT400 naming the node. */
export function refuse(node: Node, message: string): never {
  fail('QT400', `${node.op}: ${message}`, { node: node.name });
}

/** Prepare: the int8 parameters of one of the node's tensors (QT400 for anything else). */
export function int8Act(node: Node, ctx: QuantizeContext, tensor: string | undefined): ActQuant {
  if (!tensor) refuse(node, 'a required tensor is missing');
  const q = ctx.act(tensor);
  if (q.dtype !== 'int8') refuse(node, `tensor '${tensor}' is ${q.dtype}; the integer kernels here take int8`);
  if (!(q.scale > 0) || !Number.isFinite(q.scale)) refuse(node, `tensor '${tensor}' has scale ${q.scale}`);
  return q;
}

export function sameQuant(a: ActQuant, b: ActQuant): boolean {
  return a.scale === b.scale && a.zeroPoint === b.zeroPoint;
}

/** Prepare: the fixed-point form of a positive real multiplier (QT400 when out of the format's range). */
export function fixedMultiplier(node: Node, real: number): { multiplier: number; shift: number } {
  try {
    return quantizeMultiplier(real);
  } catch (e) {
    refuse(node, `scale ratio ${real} cannot be represented: ${(e as Error).message}`);
  }
}

/**
 * Prepare: the output clamp [lo, hi] in int8: the int8 range intersected with the fused activation bounds
 * (attrs actMin/actMax) quantized at the output scale, `zp + round(bound / s)` (ties away from zero).
 */
export function outputRange(node: Node, out: ActQuant): { outMin: number; outMax: number } {
  const aMin = attrOptNumber(node, 'actMin');
  const aMax = attrOptNumber(node, 'actMax');
  const q = (v: number) => out.zeroPoint + roundHalfAway(v / out.scale);
  const outMin = aMin === undefined ? -128 : clamp(q(aMin), -128, 127);
  const outMax = aMax === undefined ? 127 : clamp(q(aMax), -128, 127);
  return { outMin, outMax: Math.max(outMin, outMax) };
}

/**
 * Requantization of int8 values from one tensor's parameters to another's (data movement, quantize, and the
 * rare pool whose output was calibrated apart from its input): `y = clamp(R(x + inputOffset, m, s) + outputOffset,
 * -128, 127)`, M = s_in / s_out. C: qt_requant_s8().
 */
export interface RequantParams {
  mode: RoundingMode;
  /** -zp_in, added to every input */
  inputOffset: number;
  /** zp_out, added after the multiplier */
  outputOffset: number;
  multiplier: number;
  shift: number;
}

/** Prepare: the requantizing stage from `from` to `to`, or undefined when they are equal (a plain copy). */
export function requantStage(node: Node, mode: RoundingMode, from: ActQuant, to: ActQuant): RequantParams | undefined {
  if (sameQuant(from, to)) return undefined;
  const { multiplier, shift } = fixedMultiplier(node, from.scale / to.scale);
  return { mode, inputOffset: -from.zeroPoint, outputOffset: to.zeroPoint, multiplier, shift };
}

/** Eval: one value through a requantizing stage. */
export function requantValue(x: number, p: RequantParams): number {
  return clamp(requantFn(p.mode)(x + p.inputOffset, p.multiplier, p.shift) + p.outputOffset, -128, 127);
}

/** Eval: a whole int8 tensor through an optional requantizing stage (a copy either way). */
export function requantTensor(x: Tensor, p: RequantParams | undefined): Tensor {
  const src = x.data as Int8Array;
  const out = new Int8Array(src.length);
  if (!p) out.set(src);
  else for (let i = 0; i < src.length; i++) out[i] = requantValue(src[i]!, p);
  return makeTensor('int8', x.shape, out);
}

/** Eval: input i, which must be an int8 tensor. */
export function int8Input(node: Node, inputs: (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  if (!t) fail('QT201', `${node.op}: input ${i} is required`, { node: node.name });
  if (t.dtype !== 'int8') fail('QT203', `${node.op}: the integer reference takes int8, input ${i} is ${t.dtype}`, { node: node.name });
  return t;
}

/** Eval: the parameters Prepare stored on the node (QT400 when the node was never quantized). */
export function paramsOf<T>(node: Node): T {
  if (node.params === undefined) fail('QT400', `${node.op}: node has no integer parameters (run the quantizer first)`, { node: node.name });
  return node.params as T;
}
