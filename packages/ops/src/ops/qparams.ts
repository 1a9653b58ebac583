import { numel, type DType, type Node } from '@qtool/ir';
import { attrInts, attrNumber, shapeError } from '../util.js';

// The scale/zeroPoint/axis attributes shared by quantize and dequantize (docs/ir.md): one entry for the whole
// tensor, or one per slice along `axis` (per-channel, as ONNX QuantizeLinear-13 with a 1-D scale).

/** Integer types quantize can produce and dequantize can read. */
export const QUANT_DTYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];

export interface QParams {
  scale: number[];
  zeroPoint: number[];
  /** Elements per step of the quantized axis (the product of the later dimensions); 0 when per-tensor. */
  inner: number;
  /** Length of the quantized axis (1 when per-tensor). */
  channels: number;
}

/** Reads and checks the attributes against the input shape. zeroPoint may be absent (all 0, as in ONNX). */
export function qparams(node: Node, shape: readonly number[]): QParams {
  const scale = attrInts(node, 'scale');
  const zp = attrInts(node, 'zeroPoint', []);
  if (scale.length === 0) shapeError(node, 'scale is empty');
  if (scale.some((s) => !(s > 0) || !Number.isFinite(s))) shapeError(node, `scale [${scale}] must be positive and finite`);
  if (zp.length !== 0 && zp.length !== scale.length) shapeError(node, `zeroPoint has ${zp.length} entries, scale ${scale.length}`);
  if (zp.some((z) => !Number.isInteger(z))) shapeError(node, `zeroPoint [${zp}] must be integers`);
  const zeroPoint = zp.length ? zp : scale.map(() => 0);
  if (scale.length === 1) return { scale, zeroPoint, inner: 0, channels: 1 };
  // per-axis: the axis must be given (no ONNX default of 1 here: the IR is channels-last)
  const axis = attrNumber(node, 'axis');
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) shapeError(node, `axis ${axis} out of range for rank ${shape.length}`);
  if (shape[axis] !== scale.length) shapeError(node, `${scale.length} scales for axis ${axis} of size ${shape[axis]}`);
  return { scale, zeroPoint, inner: numel(shape.slice(axis + 1)), channels: scale.length };
}

/** Which scale/zeroPoint entry flat element `k` uses. */
export function channelOf(q: QParams, k: number): number {
  return q.inner === 0 ? 0 : Math.floor(k / q.inner) % q.channels;
}
