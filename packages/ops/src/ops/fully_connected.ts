import { numel, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import { applyActivation, floatTensor, need, shapeError } from '../util.js';
import { values, type Shaped } from './window.js';

// Y[..., n] = sum_k X[..., k] * W[n, k] + B[n] (docs/ir.md): ONNX Gemm with transB=1 and TFLite FULLY_CONNECTED
// (whose weights are already [N, K]). Every leading axis of X is a batch axis.

function outShape(node: Node, inputs: (Shaped | undefined)[]): number[] {
  const x = need(node, inputs, 0);
  const w = need(node, inputs, 1);
  const b = inputs[2];
  if (x.shape.length < 1) shapeError(node, 'X must have at least one axis');
  if (w.shape.length !== 2) shapeError(node, `W must be [N, K], got [${w.shape}]`);
  const k = x.shape[x.shape.length - 1]!;
  if (w.shape[1] !== k) shapeError(node, `X [${x.shape}] has K=${k} but W is [${w.shape}]`);
  if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[0])) shapeError(node, `B must be [${w.shape[0]}], got [${b.shape}]`);
  return [...x.shape.slice(0, -1), w.shape[0]!];
}

export const fullyConnected = defineOp({
  name: 'fully_connected',
  summary: 'Y = X W^T + B over the last axis of X, with fused clamp',
  inputs: ['X', 'W', 'B?'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    return [{ dtype: need(node, inputs, 0).dtype, shape: outShape(node, inputs) }];
  },

  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const shape = outShape(node, inputs);
    const xt = need(node, inputs, 0);
    const wt = need(node, inputs, 1);
    const x = values(xt);
    const w = values(wt);
    const b = inputs[2] ? values(inputs[2]) : undefined;
    const [nOut, k] = wt.shape as [number, number];
    const rows = numel(xt.shape.slice(0, -1));
    const y = floatTensor(shape);
    const yd = y.data as Float32Array;
    for (let m = 0; m < rows; m++)
      for (let n = 0; n < nOut; n++) {
        let acc = b ? b[n]! : 0;
        for (let i = 0; i < k; i++) acc += x[m * k + i]! * w[n * k + i]!;
        yd[m * nOut + n] = acc;
      }
    return [applyActivation(node, y)];
  },

  macs(node: Node, inputs: (TensorInfo | undefined)[], outputs: TensorInfo[]): number {
    const w = need(node, inputs, 1);
    const y = outputs[0];
    return y ? numel(y.shape) * (w.shape[1] ?? 0) : 0;
  },
});
