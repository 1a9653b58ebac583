import { describe, expect, it } from 'vitest';
import { makeTensor, QtError, type DType, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { registry } from '../src/index.js';

// reshape, transpose, concat: expected values by hand or from naive nested loops written here.

const node = (op: string, attrs: Node['attrs'], inputs = ['x']): Node => ({ name: `${op}_1`, op, inputs, outputs: ['y'], attrs });
const t = (dtype: DType, shape: number[], data: number[]): Tensor => makeTensor(dtype, shape, data);
const info = (dtype: DType, shape: number[]): TensorInfo => ({ name: 'v', dtype, shape });
const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
const nums = (x: Tensor) => Array.from(x.data as ArrayLike<number>);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof QtError ? `${e.code} ${e.diagnostics[0]!.where?.node}` : `plain ${(e as Error).message}`;
  }
  return undefined;
}

describe('reshape', () => {
  it('keeps row-major order and dtype, copies the data', () => {
    const x = t('int8', [2, 3], [1, 2, 3, 4, 5, 6]);
    const y = registry.reshape!.evalFloat(node('reshape', { shape: [3, 1, 2] }), [x])[0]!;
    expect(y.shape).toEqual([3, 1, 2]);
    expect(y.dtype).toBe('int8');
    expect(nums(y)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y.data).not.toBe(x.data);
  });
  it('shape rule; QT201 on element-count mismatch or unresolved -1', () => {
    const rule = (shape: number[], to: number[]) => registry.reshape!.inferShape(node('reshape', { shape: to }), [info('float32', shape)]);
    expect(rule([1, 4, 4, 2], [1, 32])).toEqual([{ dtype: 'float32', shape: [1, 32] }]);
    expect(codeOf(() => rule([2, 3], [4, 2]))).toBe('QT201 reshape_1');
    expect(codeOf(() => rule([2, 3], [-1, 3]))).toBe('QT201 reshape_1');
  });
});

describe('transpose', () => {
  const run = (x: Tensor, perm: number[]) => registry.transpose!.evalFloat(node('transpose', { perm }), [x])[0]!;

  it('rank 2 by hand', () => {
    const y = run(t('float32', [2, 3], [1, 2, 3, 4, 5, 6]), [1, 0]);
    expect(y.shape).toEqual([3, 2]);
    expect(nums(y)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('rank 4: NCHW -> NHWC', () => {
    const [N, C, H, W] = [2, 3, 2, 4];
    const x = iota(N * C * H * W);
    const want: number[] = [];
    for (let n = 0; n < N; n++)
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) want.push(x[((n * C + c) * H + h) * W + w]!);
    const y = run(t('float32', [N, C, H, W], x), [0, 2, 3, 1]);
    expect(y.shape).toEqual([N, H, W, C]);
    expect(nums(y)).toEqual(want);
  });

  it('rank 5 with a scrambled perm, int16', () => {
    const s = [2, 3, 1, 4, 2];
    const perm = [3, 0, 4, 2, 1];
    const x = iota(48);
    // naive: Y[i0..i4] = X[j] where j_perm[k] = i_k
    const ys = perm.map((p) => s[p]!);
    const want: number[] = [];
    for (let a = 0; a < ys[0]!; a++)
      for (let b = 0; b < ys[1]!; b++)
        for (let c = 0; c < ys[2]!; c++)
          for (let d = 0; d < ys[3]!; d++)
            for (let e = 0; e < ys[4]!; e++) {
              const j = [0, 0, 0, 0, 0];
              [a, b, c, d, e].forEach((v, k) => (j[perm[k]!] = v));
              want.push(x[(((j[0]! * s[1]! + j[1]!) * s[2]! + j[2]!) * s[3]! + j[3]!) * s[4]! + j[4]!]!);
            }
    const y = run(t('int16', s, x), perm);
    expect(y.shape).toEqual([4, 2, 2, 1, 3]);
    expect(y.dtype).toBe('int16');
    expect(nums(y)).toEqual(want);
  });

  it('int64 data moves too', () => {
    const y = run(t('int64', [2, 2], [1, 2, 3, 4]), [1, 0]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([1n, 3n, 2n, 4n]);
  });

  it('QT201 for a bad perm', () => {
    const rule = (perm: number[]) => registry.transpose!.inferShape(node('transpose', { perm }), [info('float32', [2, 3, 4])]);
    expect(rule([2, 0, 1])).toEqual([{ dtype: 'float32', shape: [4, 2, 3] }]);
    expect(codeOf(() => rule([0, 0, 1]))).toBe('QT201 transpose_1');
    expect(codeOf(() => rule([0, 1]))).toBe('QT201 transpose_1');
  });
});

describe('concat', () => {
  const run = (xs: Tensor[], axis: number) => registry.concat!.evalFloat(node('concat', { axis }, xs.map((_, i) => `x${i}`)), xs)[0]!;

  it('axis 0 and axis 1 of rank 2, by hand', () => {
    const a = t('float32', [2, 2], [1, 2, 3, 4]);
    const b = t('float32', [1, 2], [5, 6]);
    const c = t('float32', [2, 1], [7, 8]);
    expect(nums(run([a, b], 0))).toEqual([1, 2, 3, 4, 5, 6]);
    const y = run([a, c], 1);
    expect(y.shape).toEqual([2, 3]);
    expect(nums(y)).toEqual([1, 2, 7, 3, 4, 8]);
  });

  it('channels-last axis 3 of three inputs, uint8', () => {
    const shapes = [1, 2, 3].map((c) => [1, 2, 2, c]);
    const xs = shapes.map((s, k) => iota(4 * s[3]!).map((v) => v + 100 * k));
    const want: number[] = [];
    for (let p = 0; p < 4; p++) xs.forEach((x, k) => want.push(...x.slice(p * shapes[k]![3]!, (p + 1) * shapes[k]![3]!)));
    const y = run(xs.map((x, k) => t('uint8', shapes[k]!, x)), 3);
    expect(y.shape).toEqual([1, 2, 2, 6]);
    expect(y.dtype).toBe('uint8');
    expect(nums(y)).toEqual(want);
  });

  it('QT201 for mismatched shapes, ranks or dtypes, naming the node', () => {
    const rule = (ins: TensorInfo[], axis: number) => registry.concat!.inferShape(node('concat', { axis }), ins);
    expect(rule([info('int8', [2, 3]), info('int8', [2, 5])], 1)).toEqual([{ dtype: 'int8', shape: [2, 8] }]);
    expect(codeOf(() => rule([info('int8', [2, 3]), info('int8', [3, 3])], 1))).toBe('QT201 concat_1');
    expect(codeOf(() => rule([info('int8', [2, 3]), info('int8', [2, 3, 1])], 0))).toBe('QT201 concat_1');
    expect(codeOf(() => rule([info('int8', [2, 3]), info('float32', [2, 3])], 0))).toBe('QT201 concat_1');
    expect(codeOf(() => rule([info('int8', [2, 3])], 2))).toBe('QT201 concat_1');
  });
});
