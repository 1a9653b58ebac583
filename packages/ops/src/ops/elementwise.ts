import { allocate, fail, makeTensor, numel, sameShape, type DType, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { defineOp, type OpDef } from '../op.js';
import { applyActivation, broadcastIndex, broadcastShapes, need, sameDtype } from '../util.js';

// Shared machinery of the elementwise ops: dtype gates, a NumPy-broadcast binary loop and a unary map.
// Values are computed as JS numbers and stored through the output typed array, so one store does the
// float32 rounding (once, like the reference runtimes) or the NumPy-style wrap of an integer result.

/** Float element types; results keep the input type (float32 rounds once on store). */
export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64'];
/** Integer types a JS number holds exactly; int64 would need BigInt math, so it is refused (QT203). */
export const INT_DTYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32'];
export const NUMERIC_DTYPES: readonly DType[] = [...FLOAT_DTYPES, ...INT_DTYPES];

/** QT203 naming the node unless `dtype` is one of `allowed`. */
export function requireDtype(node: Node, dtype: DType, allowed: readonly DType[]): DType {
  if (!allowed.includes(dtype)) fail('QT203', `${node.op} does not support ${dtype} (supported: ${allowed.join(', ')})`, { node: node.name });
  return dtype;
}

/** Element access that works for every typed array, BigInt64Array included (for ops that only move data). */
export type Elems = { [i: number]: number | bigint; readonly length: number };

/** A scalar function of one element, built once per node from its attributes. */
export type UnaryFn = (x: number) => number;

/** Applies `f` to every element; the result has the input's dtype and shape. */
export function mapUnary(x: Tensor, f: UnaryFn): Tensor {
  const src = x.data as ArrayLike<number>;
  const out = allocate(x.dtype, src.length) as unknown as { [i: number]: number };
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]!);
  return makeTensor(x.dtype, x.shape, out as unknown as Float32Array);
}

/** An op `Y = f(X)` with the input's shape and dtype. `make` reads the node's attributes once. */
export function defineUnary(spec: { name: string; summary: string; dtypes: readonly DType[]; make: (node: Node) => UnaryFn }): OpDef {
  return defineOp({
    name: spec.name,
    summary: spec.summary,
    inputs: ['X'],
    inferShape(node: Node, inputs: (TensorInfo | undefined)[]) {
      const x = need(node, inputs, 0);
      return [{ dtype: requireDtype(node, x.dtype, spec.dtypes), shape: [...x.shape] }];
    },
    evalFloat(node: Node, inputs: (Tensor | undefined)[]) {
      const x = need(node, inputs, 0);
      requireDtype(node, x.dtype, spec.dtypes);
      return [mapUnary(x, spec.make(node))];
    },
  });
}

/**
 * `out[i] = f(a[ia], b[ib])` over the NumPy broadcast of A and B into `outShape`, stored as `dtype`.
 * The caller has checked that both shapes broadcast to `outShape`.
 */
export function broadcastMap(a: Tensor, b: Tensor, outShape: readonly number[], dtype: DType, f: (x: number, y: number) => number): Tensor {
  const n = numel(outShape);
  const ad = a.data as ArrayLike<number>;
  const bd = b.data as ArrayLike<number>;
  // identity index when an operand already has the output shape (the common case): no index table
  const ia = sameShape(a.shape, outShape) ? undefined : broadcastIndex(a.shape, outShape);
  const ib = sameShape(b.shape, outShape) ? undefined : broadcastIndex(b.shape, outShape);
  const out = allocate(dtype, n) as unknown as { [i: number]: number };
  for (let k = 0; k < n; k++) out[k] = f(ad[ia ? ia[k]! : k]!, bd[ib ? ib[k]! : k]!);
  return makeTensor(dtype, outShape, out as unknown as Float32Array);
}

/** Scalar kernels of a binary op: one for float math, one for integers of `dtype` (wrapped on store). */
export interface BinaryKernels {
  float: (a: number, b: number) => number;
  int: (a: number, b: number, dtype: DType) => number;
}

/** add/sub/mul/div: A, B of one dtype, NumPy broadcasting, fused clamp actMin/actMax (docs/ir.md). */
export function defineBinary(spec: { name: string; summary: string } & BinaryKernels): OpDef {
  return defineOp({
    name: spec.name,
    summary: spec.summary,
    inputs: ['A', 'B'],
    inferShape(node: Node, inputs: (TensorInfo | undefined)[]) {
      const a = need(node, inputs, 0);
      const b = need(node, inputs, 1);
      const dtype = requireDtype(node, sameDtype(node, [a.dtype, b.dtype]), NUMERIC_DTYPES);
      return [{ dtype, shape: broadcastShapes(node, a.shape, b.shape) }];
    },
    evalFloat(node: Node, inputs: (Tensor | undefined)[]) {
      const a = need(node, inputs, 0);
      const b = need(node, inputs, 1);
      const dtype = requireDtype(node, sameDtype(node, [a.dtype, b.dtype]), NUMERIC_DTYPES);
      const shape = broadcastShapes(node, a.shape, b.shape);
      const f = FLOAT_DTYPES.includes(dtype) ? spec.float : (x: number, y: number) => spec.int(x, y, dtype);
      // the clamp acts on the stored (rounded or wrapped) value, as a fused activation on the op's output does
      return [applyActivation(node, broadcastMap(a, b, shape, dtype, f))];
    },
  });
}
