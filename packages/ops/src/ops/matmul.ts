import { fail, numel, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { INT32_MAX, type FixedMultiplier } from '@qtool/qmath';
import { defineOp, type OutType } from '../op.js';
import type { QuantizeContext, RoundingMode } from '../quant.js';
import { broadcastIndex, broadcastShapes, floatTensor, need, shapeError } from '../util.js';
import { int8Act, int8Input, int8Tensor, maxAbsInput, outputClamp, outputStep, paramsOf, requantizer } from './mac_int.js';
import { values, type Shaped } from './window.js';

// NumPy matmul (= ONNX MatMul, TFLite BATCH_MATMUL without adjoints): a 1-D A is a row [1, K] and a 1-D B a
// column [K, 1], the added axis being removed from the result; leading (batch) axes broadcast.

/**
 * Integer parameters of a matmul of two activations (constant weights import as fully_connected):
 * acc = sum (a + inputOffsetA)(b + inputOffsetB), y = clamp(R(acc, m, s) + outputOffset, lo, hi),
 * M = s_a * s_b / s_y.
 */
export interface MatmulParams {
  mode: RoundingMode;
  /** -zeroPoint of A: added to every element of A. */
  inputOffsetA: number;
  /** -zeroPoint of B: added to every element of B. */
  inputOffsetB: number;
  /** zeroPoint of the output. */
  outputOffset: number;
  multiplier: FixedMultiplier;
  clampLo: number;
  clampHi: number;
  /**
   * Largest contracted length K for which |acc| <= K * max|a'| * max|b'| provably fits int32. The quantizer does
   * not see activation shapes, so the kernel's K is checked against it when the shapes are known (evalInt, emitter).
   */
  maxK: number;
}

interface MatmulPlan {
  m: number;
  k: number;
  n: number;
  aBatch: number[];
  bBatch: number[];
  batch: number[];
  shape: number[];
}

function plan(node: Node, inputs: (Shaped | undefined)[]): MatmulPlan {
  const a = need(node, inputs, 0).shape;
  const b = need(node, inputs, 1).shape;
  if (a.length === 0 || b.length === 0) shapeError(node, 'operands must have at least one axis (NumPy matmul)');
  const aa = a.length === 1 ? [1, a[0]!] : a;
  const bb = b.length === 1 ? [b[0]!, 1] : b;
  const m = aa[aa.length - 2]!;
  const k = aa[aa.length - 1]!;
  const n = bb[bb.length - 1]!;
  if (bb[bb.length - 2] !== k) shapeError(node, `A [${a}] and B [${b}] disagree on the contracted axis`);
  const aBatch = aa.slice(0, -2);
  const bBatch = bb.slice(0, -2);
  const batch = broadcastShapes(node, aBatch, bBatch);
  const shape = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])];
  return { m, k, n, aBatch, bBatch, batch, shape };
}

export const matmul = defineOp({
  name: 'matmul',
  summary: 'NumPy matmul: 1-D operands promoted then squeezed, batch axes broadcast',
  inputs: ['A', 'B'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    return [{ dtype: need(node, inputs, 0).dtype, shape: plan(node, inputs).shape }];
  },

  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = plan(node, inputs);
    const a = values(need(node, inputs, 0));
    const b = values(need(node, inputs, 1));
    const aIdx = broadcastIndex(p.aBatch, p.batch);
    const bIdx = broadcastIndex(p.bBatch, p.batch);
    const { m, k, n } = p;
    const y = floatTensor(p.shape);
    const yd = y.data as Float32Array;
    for (let t = 0; t < aIdx.length; t++) {
      const aBase = aIdx[t]! * m * k;
      const bBase = bIdx[t]! * k * n;
      const yBase = t * m * n;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let q = 0; q < k; q++) acc += a[aBase + i * k + q]! * b[bBase + q * n + j]!;
          yd[yBase + i * n + j] = acc;
        }
    }
    return [y];
  },

  macs(node: Node, inputs: (TensorInfo | undefined)[]): number {
    const p = plan(node, inputs);
    return numel(p.batch) * p.m * p.k * p.n;
  },

  quantize(node: Node, ctx: QuantizeContext): MatmulParams {
    const [aName, bName] = node.inputs;
    const yName = node.outputs[0];
    if (!aName || !bName || !yName) fail('QT400', 'matmul: needs inputs A, B and an output', { node: node.name });
    const a = int8Act(node, ctx, aName);
    const b = int8Act(node, ctx, bName);
    const y = int8Act(node, ctx, yName);
    const inputOffsetA = -a.zeroPoint;
    const inputOffsetB = -b.zeroPoint;
    return {
      mode: ctx.options.mode,
      inputOffsetA,
      inputOffsetB,
      outputOffset: y.zeroPoint,
      multiplier: ctx.multiplier((a.scale * b.scale) / y.scale),
      ...outputClamp(node, y),
      maxK: Math.floor(INT32_MAX / (maxAbsInput(inputOffsetA) * maxAbsInput(inputOffsetB))),
    };
  },

  evalInt(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = paramsOf<MatmulParams>(node);
    const at = int8Input(node, inputs, 0);
    const bt = int8Input(node, inputs, 1);
    const pl = plan(node, [at, bt]);
    const { m, k, n } = pl;
    if (k > p.maxK) fail('QT400', `matmul: K = ${k} can overflow the int32 accumulator (at most ${p.maxK} for these offsets)`, { node: node.name });
    const a = at.data as Int8Array;
    const b = bt.data as Int8Array;
    const R = requantizer(p.mode);
    const aIdx = broadcastIndex(pl.aBatch, pl.batch);
    const bIdx = broadcastIndex(pl.bBatch, pl.batch);
    const offA = p.inputOffsetA;
    const offB = p.inputOffsetB;
    const y = new Int8Array(numel(pl.shape));
    for (let t = 0; t < aIdx.length; t++) {
      const aBase = aIdx[t]! * m * k;
      const bBase = bIdx[t]! * k * n;
      const yBase = t * m * n;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let q = 0; q < k; q++) acc += (a[aBase + i * k + q]! + offA) * (b[bBase + q * n + j]! + offB);
          y[yBase + i * n + j] = outputStep(R, acc, p.multiplier, p.outputOffset, p.clampLo, p.clampHi);
        }
    }
    return [int8Tensor(pl.shape, y)];
  },
});
