import { numel, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import { broadcastIndex, broadcastShapes, floatTensor, need, shapeError } from '../util.js';
import { values, type Shaped } from './window.js';

// NumPy matmul (= ONNX MatMul, TFLite BATCH_MATMUL without adjoints): a 1-D A is a row [1, K] and a 1-D B a
// column [K, 1], the added axis being removed from the result; leading (batch) axes broadcast.

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
});
