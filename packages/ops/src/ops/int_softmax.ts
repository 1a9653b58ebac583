import { makeTensor, stridesOf, type Node, type Tensor } from '@qtool/ir';
import { clamp, divRound, roundingDivideByPOT, srdhm } from '@qtool/qmath';
import type { QuantizeContext } from '../quant.js';
import { attrNumber, normAxis } from '../util.js';
import { fixedMultiplier, int8Act, int8Input, paramsOf, refuse, requantStage, requantValue, roundHalfAway, type RequantParams } from './int_common.js';
import { expOnNegativeValuesQ5, oneOverOnePlusX } from './int_fixedpoint.js';

// Integer softmax on int8 (docs/arithmetic.md). The output always has scale 1/256 and zero point -128.

/**
 * qtool (C: qt_softmax_s8): along `axis`, d = max - x in [0, 255],
 * y = clamp(divRound(expTable[d] · 256, Σ expTable[d]) - 128, -128, 127), expTable[d] = round(2^15 · exp(-β·s_x·d)).
 */
export interface SoftmaxQtoolParams {
  mode: 'qtool';
  /** the axis attribute (may be -1 = last); the C kernel takes the row length and the stride from the shape */
  axis: number;
  /** 256 entries in [0, 2^15]; expTable[0] = 2^15 */
  expTable: Int32Array;
  /**
   * Present only when the output was given parameters other than (1/256, -128); the quantizer fixes those, so
   * normally absent. Applied to the int8 result.
   */
  requant?: RequantParams;
}

/**
 * tflite (TFLite's reference int8 softmax, as CMSIS-NN's arm_softmax_s8(input, rows, row_size, inputMultiplier,
 * inputLeftShift, diffMin, output) takes it): along the last axis (TFLite's only axis) or `axis`,
 * diff = x - max; cells with diff < diffMin give -128; otherwise e = exp(srdhm(diff · 2^inputLeftShift,
 * inputMultiplier) as Q5.26) in Q0.31 (gemmlowp), Σ of e / 2^12 (Q12.19), its reciprocal, and
 * y = rdivpot(srdhm(recip, e), 12 - clz(Σ) + 23) - 128, clamped.
 */
export interface SoftmaxTfliteParams {
  mode: 'tflite';
  axis: number;
  inputMultiplier: number;
  /** >= 0 */
  inputLeftShift: number;
  /** negative; differences below it contribute nothing */
  diffMin: number;
}

export type SoftmaxParams = SoftmaxQtoolParams | SoftmaxTfliteParams;

/** TFLite's kScaledDiffIntegerBits: the rescaled difference is a Q5.26 value. */
const SCALED_DIFF_INT_BITS = 5;
/** TFLite's kAccumulationIntegerBits: the sum of exponentials is a Q12.19 value. */
const ACCUM_INT_BITS = 12;

export function quantizeSoftmax(node: Node, ctx: QuantizeContext): SoftmaxParams {
  const x = int8Act(node, ctx, node.inputs[0]);
  const y = int8Act(node, ctx, node.outputs[0]);
  const axis = attrNumber(node, 'axis', -1); // normalised against the input's rank at run time (-1: last)
  const beta = attrNumber(node, 'beta', 1);
  const fixedOut = { dtype: 'int8' as const, scale: 1 / 256, zeroPoint: -128 };
  if (ctx.options.mode === 'tflite') {
    if (y.scale !== 1 / 256 || y.zeroPoint !== -128)
      refuse(node, `TFLite's int8 softmax needs output scale 1/256 and zero point -128, got ${y.scale} and ${y.zeroPoint}`);
    return { mode: 'tflite', axis, ...softmaxScaling(node, beta, x.scale) };
  }
  const expTable = new Int32Array(256);
  for (let d = 0; d < 256; d++) expTable[d] = roundHalfAway(2 ** 15 * Math.exp(-beta * x.scale * d));
  const p: SoftmaxQtoolParams = { mode: 'qtool', axis, expTable };
  const rq = requantStage(node, 'qtool', fixedOut, y);
  if (rq) p.requant = rq;
  return p;
}

/**
 * TFLite's PreprocessSoftmaxScaling and CalculateInputRadius for int8 input: the real multiplier
 * β · s_x · 2^(31 - 5), capped at 2^31 - 1, as a Q31 multiplier with a left shift; diffMin = -floor(radius).
 */
export function softmaxScaling(node: Node, beta: number, inputScale: number): { inputMultiplier: number; inputLeftShift: number; diffMin: number } {
  const real = Math.min(beta * inputScale * 2 ** (31 - SCALED_DIFF_INT_BITS), 2 ** 31 - 1);
  const m = fixedMultiplier(node, real);
  if (m.shift < 0) refuse(node, `softmax input scale ${inputScale} with beta ${beta} is too small for TFLite's kernel`);
  const radius = Math.floor(((2 ** SCALED_DIFF_INT_BITS - 1) * 2 ** (31 - SCALED_DIFF_INT_BITS)) / 2 ** m.shift);
  return { inputMultiplier: m.multiplier, inputLeftShift: m.shift, diffMin: -radius };
}

/** Eval of one row (integers only): `get(i)` / `put(i, v)` address the row's i-th element. */
function rowQtool(p: SoftmaxQtoolParams, len: number, get: (i: number) => number, put: (i: number, v: number) => void): void {
  let max = -128;
  for (let i = 0; i < len; i++) max = Math.max(max, get(i));
  let sum = 0; // <= 2^15 · len: int32 for rows below 65536
  for (let i = 0; i < len; i++) sum += p.expTable[max - get(i)]!;
  for (let i = 0; i < len; i++) {
    let v = clamp(divRound(p.expTable[max - get(i)]! * 256, sum) - 128, -128, 127);
    if (p.requant) v = requantValue(v, p.requant);
    put(i, v);
  }
}

function rowTflite(p: SoftmaxTfliteParams, len: number, get: (i: number) => number, put: (i: number, v: number) => void): void {
  let max = -128;
  for (let i = 0; i < len; i++) max = Math.max(max, get(i));
  const scale = 2 ** p.inputLeftShift; // diff >= diffMin keeps diff · 2^shift inside int32
  const expOf = (diff: number) => expOnNegativeValuesQ5(srdhm(diff * scale, p.inputMultiplier));
  let sum = 0; // Q12.19
  for (let i = 0; i < len; i++) {
    const diff = get(i) - max;
    if (diff >= p.diffMin) sum += roundingDivideByPOT(expOf(diff), ACCUM_INT_BITS) // Q0.31 -> Q12.19;
  }
  // sum >= 2^19 (the max cell contributes exp(0)); normalise it to [1, 2) and take 1 / (1 + fraction)
  const headroom = Math.clz32(sum);
  const bitsOverUnit = ACCUM_INT_BITS - headroom;
  const shiftedSumMinusOne = sum * 2 ** headroom - 2 ** 31; // in [0, 2^31)
  const recip = oneOverOnePlusX(shiftedSumMinusOne);
  for (let i = 0; i < len; i++) {
    const diff = get(i) - max;
    if (diff < p.diffMin) {
      put(i, -128);
      continue;
    }
    const unsat = roundingDivideByPOT(srdhm(recip, expOf(diff)), bitsOverUnit + 31 - 8);
    put(i, clamp(unsat - 128, -128, 127));
  }
}

/** Eval (integers only). */
export function evalSoftmax(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const p = paramsOf<SoftmaxParams>(node);
  const xt = int8Input(node, inputs, 0);
  const axis = normAxis(node, p.axis, xt.shape.length);
  const x = xt.data as Int8Array;
  const len = xt.shape[axis]!;
  const step = stridesOf(xt.shape)[axis]!;
  const outer = len * step === 0 ? 0 : x.length / (len * step);
  const y = new Int8Array(x.length);
  for (let o = 0; o < outer; o++)
    for (let inner = 0; inner < step; inner++) {
      const base = o * len * step + inner;
      const get = (i: number) => x[base + i * step]!;
      const put = (i: number, v: number) => {
        y[base + i * step] = v;
      };
      if (p.mode === 'qtool') rowQtool(p, len, get, put);
      else rowTflite(p, len, get, put);
    }
  return [makeTensor('int8', xt.shape, y)];
}
