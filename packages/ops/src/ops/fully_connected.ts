import { numel, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import type { QuantizeContext } from '../quant.js';
import { applyActivation, floatTensor, need, shapeError } from '../util.js';
import { adjustedOf, int8Input, int8Tensor, outputStep, paramsOf, quantizeMac, requantizer, type MacParams } from './mac_int.js';
import { values, type Shaped } from './window.js';

/** Integer parameters of a fully_connected node: weights [N, K], per tensor or per output row n. */
export type FullyConnectedParams = MacParams;

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

  quantize(node: Node, ctx: QuantizeContext): FullyConnectedParams {
    return quantizeMac(node, ctx);
  },

  evalInt(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = paramsOf<FullyConnectedParams>(node);
    const xt = int8Input(node, inputs, 0);
    const [nOut, k] = p.weights.shape as [number, number];
    if (xt.shape[xt.shape.length - 1] !== k) shapeError(node, `X [${xt.shape}] has not K=${k} as the weights [${p.weights.shape}]`);
    const x = xt.data as Int8Array;
    const w = adjustedOf(p.weights);
    const R = requantizer(p.mode);
    const perChannel = p.multipliers.length > 1;
    const off = p.inputOffset;
    const rows = numel(xt.shape.slice(0, -1));
    const y = new Int8Array(rows * nOut);
    for (let m = 0; m < rows; m++)
      for (let n = 0; n < nOut; n++) {
        // exact: the quantizer proved |acc| < 2^31 for every partial sum
        let acc = p.bias[n]!;
        for (let i = 0; i < k; i++) acc += w[n * k + i]! * (x[m * k + i]! + off);
        y[m * nOut + n] = outputStep(R, acc, p.multipliers[perChannel ? n : 0]!, p.outputOffset, p.clampLo, p.clampHi);
      }
    return [int8Tensor([...xt.shape.slice(0, -1), nOut], y)];
  },
});
