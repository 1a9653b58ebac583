import { makeTensor, numel, stridesOf, type Node, type Tensor } from '@qtool/ir';
import { clamp, divRound } from '@qtool/qmath';
import type { QuantizeContext, RoundingMode } from '../quant.js';
import { attrBool, attrInts } from '../util.js';
import { fixedMultiplier, int8Act, int8Input, outputRange, paramsOf, requantStage, requantFn, requantValue, type RequantParams } from './int_common.js';
import { planPool, spatialStrides, unravel, windowAt } from './window.js';

// Integer max_pool, avg_pool (docs/arithmetic.md) and mean on int8, channels-last.

/**
 * max_pool / avg_pool (C: qt_max_pool_s8 / qt_avg_pool_s8). Geometry as the node's attributes (docs/ir.md).
 * max: the max over the window's in-bounds cells. avg: `divRound(Σx + (padded - n)·padValue, count)` over the n
 * in-bounds cells, count = n (TFLite, ONNX count_include_pad=0) or the padded count (countIncludePad).
 * Then the optional requantizing stage, then the clamp [outMin, outMax].
 */
export interface PoolParams {
  mode: RoundingMode;
  kind: 'max' | 'avg';
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** begins then ends, one pair per spatial axis */
  pads: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
  /** the input zero point: what a counted pad cell adds to an average's sum (countIncludePad only) */
  padValue: number;
  outMin: number;
  outMax: number;
  /**
   * Present only in qtool mode when the output was given parameters other than the input's (the contract keeps
   * them equal, so normally absent). TFLite's kernels assume equal parameters and never requantize.
   */
  requant?: RequantParams;
}

/** Prepare for max_pool and avg_pool. */
export function quantizePool(node: Node, ctx: QuantizeContext, kind: 'max' | 'avg'): PoolParams {
  const x = int8Act(node, ctx, node.inputs[0]);
  const y = int8Act(node, ctx, node.outputs[0]);
  const mode = ctx.options.mode;
  const r = attrInts(node, 'kernel').length;
  const p: PoolParams = {
    mode,
    kind,
    kernel: [...attrInts(node, 'kernel')],
    strides: [...attrInts(node, 'strides', new Array<number>(r).fill(1))],
    dilations: [...attrInts(node, 'dilations', new Array<number>(r).fill(1))],
    pads: [...attrInts(node, 'pads', new Array<number>(2 * r).fill(0))],
    ceilMode: attrBool(node, 'ceilMode'),
    countIncludePad: kind === 'avg' && attrBool(node, 'countIncludePad'),
    padValue: x.zeroPoint,
    ...outputRange(node, mode === 'tflite' ? x : y),
  };
  const rq = mode === 'qtool' ? requantStage(node, mode, x, y) : undefined;
  if (rq) p.requant = rq;
  return p;
}

/** Eval (integers only). */
export function evalPool(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const p = paramsOf<PoolParams>(node);
  const xt = int8Input(node, inputs, 0);
  // the window geometry comes from the params (what the C kernel is given), not from the node's attributes
  const geomNode: Node = { ...node, attrs: { kernel: p.kernel, strides: p.strides, dilations: p.dilations, pads: p.pads, ceilMode: p.ceilMode } };
  const plan = planPool(geomNode, [xt]);
  const x = xt.data as Int8Array;
  const r = plan.spatial.length;
  const inStr = spatialStrides(plan.spatial, plan.channels);
  const kStr = spatialStrides(plan.geom.kernel, 1);
  const outSp = numel(plan.out);
  const inBatch = numel(plan.spatial) * plan.channels;
  const y = new Int8Array(plan.batch * outSp * plan.channels);
  const o = new Array<number>(r).fill(0);
  for (let s = 0; s < outSp; s++) {
    unravel(s, plan.out, o);
    const win = windowAt(plan.windows, o, inStr, kStr); // planPool guarantees at least one in-bounds cell
    for (let n = 0; n < plan.batch; n++)
      for (let c = 0; c < plan.channels; c++) {
        const base = n * inBatch + c;
        let v: number;
        if (p.kind === 'max') {
          v = -128;
          for (const off of win.x) if (x[base + off]! > v) v = x[base + off]!;
        } else {
          let acc = 0;
          for (const off of win.x) acc += x[base + off]!;
          let count = win.x.length;
          if (p.countIncludePad) {
            acc += (win.padded - count) * p.padValue;
            count = win.padded;
          }
          v = divRound(acc, count);
        }
        if (p.requant) v = requantValue(v, p.requant);
        y[(n * outSp + s) * plan.channels + c] = clamp(v, p.outMin, p.outMax);
      }
  }
  return [makeTensor('int8', [plan.batch, ...plan.out, plan.channels], y)];
}

/**
 * mean over axes (C: qt_mean_s8). With S = Σx over the `count` reduced elements (raw int8 values; count is the
 * product of the reduced dimensions, static, known to the C emitter from the input shape):
 *   'round'   (qtool, output parameters equal the input's): y = divRound(S, count);
 *   'trunc'   (tflite, equal parameters): y = S / count truncated toward zero (TFLite reference_ops::Mean);
 *   'requant' (parameters differ): y = clamp(R(S + inputOffset·count, m', s') + outputOffset, -128, 127), where 1/count
 *             is folded into {multiplier, shift} (the Q31 form of s_in/s_out) in integers, as TFLite's
 *             QuantizedMeanOrSum does: up = min(floor(log2 count), 32, 31 + shift),
 *             m' = floor(multiplier · 2^up / count), s' = shift - up (meanFold). One rounding (R) per output.
 */
export interface MeanParams {
  mode: RoundingMode;
  /** normalised reduced axes, ascending; empty = every axis */
  axes: number[];
  keepDims: boolean;
  method: 'round' | 'trunc' | 'requant';
  /** -zp_in ('requant' only; 0 otherwise) */
  inputOffset: number;
  /** zp_out ('requant' only; 0 otherwise) */
  outputOffset: number;
  /** Q31 form of s_in / s_out before the 1/count fold ('requant' only) */
  multiplier: number;
  shift: number;
}

/** Prepare for mean. `axes` are the normalised reduced axes (empty = all). */
export function quantizeMean(node: Node, ctx: QuantizeContext, axes: number[]): MeanParams {
  const x = int8Act(node, ctx, node.inputs[0]);
  const y = int8Act(node, ctx, node.outputs[0]);
  const mode = ctx.options.mode;
  const base = { mode, axes: [...axes].sort((a, b) => a - b), keepDims: attrBool(node, 'keepDims', true) };
  if (x.scale === y.scale && x.zeroPoint === y.zeroPoint)
    return { ...base, method: mode === 'tflite' ? 'trunc' : 'round', inputOffset: 0, outputOffset: 0, multiplier: 0, shift: 0 };
  const m = fixedMultiplier(node, x.scale / y.scale);
  return { ...base, method: 'requant', inputOffset: -x.zeroPoint, outputOffset: y.zeroPoint, ...m };
}

/** Integer fold of 1/count into a Q31 multiplier (TFLite's QuantizedMeanOrSum). C: qt_mean_fold(). */
export function meanFold(multiplier: number, shift: number, count: number): { multiplier: number; shift: number } {
  const up = Math.min(31 - Math.clz32(count), 32, 31 + shift); // floor(log2 count) for count >= 1
  // floor(m · 2^up / count): m < 2^31 and up <= 32, so the dividend needs 63 bits: BigInt
  const m = Number((BigInt(multiplier) << BigInt(up)) / BigInt(count));
  return { multiplier: m, shift: shift - up };
}

/** Eval (integers only). */
export function evalMean(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const p = paramsOf<MeanParams>(node);
  const xt = int8Input(node, inputs, 0);
  const shape = xt.shape;
  const rank = shape.length;
  const reduced = shape.map((_, i) => p.axes.length === 0 || p.axes.includes(i));
  const count = numel(shape.filter((_, i) => reduced[i]));
  const keptShape = shape.filter((_, i) => !reduced[i]);
  const keptStr = stridesOf(keptShape);
  const outStr = new Array<number>(rank).fill(0); // output stride of each input axis, 0 on reduced axes
  for (let i = 0, j = 0; i < rank; i++) if (!reduced[i]) outStr[i] = keptStr[j++]!;
  const sum = new Int32Array(numel(keptShape)); // |S| <= 128 · count: int32 for any tensor that fits a board
  const x = xt.data as Int8Array;
  const pos = new Array<number>(rank).fill(0);
  let off = 0;
  for (let e = 0; e < x.length; e++) {
    sum[off] += x[e]!;
    for (let ax = rank - 1; ax >= 0; ax--) {
      pos[ax]!++;
      off += outStr[ax]!;
      if (pos[ax]! < shape[ax]!) break;
      off -= outStr[ax]! * shape[ax]!;
      pos[ax] = 0;
    }
  }
  const R = requantFn(p.mode);
  const f = p.method === 'requant' ? meanFold(p.multiplier, p.shift, count) : undefined;
  const out = new Int8Array(sum.length);
  for (let i = 0; i < sum.length; i++) {
    const s = sum[i]!;
    if (p.method === 'round') out[i] = divRound(s, count);
    else if (p.method === 'trunc') out[i] = Math.trunc(s / count); // exact: C integer division of int32 values
    else out[i] = clamp(R(s + p.inputOffset * count, f!.multiplier, f!.shift) + p.outputOffset, -128, 127);
  }
  const outShape = shape.flatMap((d, i) => (!reduced[i] ? [d] : p.keepDims ? [1] : []));
  return [makeTensor('int8', outShape, out)];
}
