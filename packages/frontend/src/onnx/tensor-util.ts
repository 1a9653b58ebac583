import { allocate, makeTensor, numel, stridesOf, type Tensor, type TypedArray } from '@qtool/ir';

// Small helpers on constant tensors and permutations, used when the reader re-lays or folds constants.

/** Permutation taking a channels-first tensor of `rank` to channels-last: [0, 2, .., rank-1, 1]. */
export function toChannelsLast(rank: number): number[] {
  if (rank < 3) return Array.from({ length: rank }, (_, i) => i);
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** Permutation taking a channels-last tensor of `rank` back to channels-first: [0, rank-1, 1, .., rank-2]. */
export function toChannelsFirst(rank: number): number[] {
  if (rank < 3) return Array.from({ length: rank }, (_, i) => i);
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

export function permuteShape(shape: readonly number[], perm: readonly number[]): number[] {
  return perm.map((p) => shape[p]!);
}

/** out = transpose(t, perm): out.shape[i] = t.shape[perm[i]]. */
export function transposeTensor(t: Tensor, perm: readonly number[]): Tensor {
  const outShape = permuteShape(t.shape, perm);
  const n = numel(outShape);
  const inStr = stridesOf(t.shape);
  const src = perm.map((p) => inStr[p]!);
  const out = allocate(t.dtype, n);
  const r = outShape.length;
  const pos = new Array<number>(r).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    (out as unknown as Record<number, unknown>)[k] = (t.data as unknown as Record<number, unknown>)[off];
    for (let ax = r - 1; ax >= 0; ax--) {
      pos[ax]!++;
      off += src[ax]!;
      if (pos[ax]! < outShape[ax]!) break;
      off -= src[ax]! * outShape[ax]!;
      pos[ax] = 0;
    }
  }
  return makeTensor(t.dtype, outShape, out);
}

/** A float32 constant with every element multiplied by `k`. */
export function scaleTensor(t: Tensor, k: number): Tensor {
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]) * k;
  return makeTensor('float32', t.shape, out);
}

export function scalar(dtype: Tensor['dtype'], v: number): Tensor {
  return makeTensor(dtype, [], [v]);
}

/** The values of an integer constant as JS numbers (shape / axes / pads inputs). */
export function intsOf(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

export function withShape(t: Tensor, shape: number[]): Tensor {
  return { dtype: t.dtype, shape, data: t.data as TypedArray };
}
