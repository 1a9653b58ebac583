import { describe, expect, it } from 'vitest';
import { makeTensor, QtError, type DType, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { registry } from '../src/index.js';

// add/sub/mul/div: expected values are written out by hand or computed with naive loops in this file.

const node = (op: string, attrs: Node['attrs'] = {}): Node => ({ name: `${op}_1`, op, inputs: ['a', 'b'], outputs: ['y'], attrs });
const t = (dtype: DType, shape: number[], data: number[]): Tensor => makeTensor(dtype, shape, data);
const info = (dtype: DType, shape: number[]): TensorInfo => ({ name: 'v', dtype, shape });
const run = (op: string, a: Tensor, b: Tensor, attrs: Node['attrs'] = {}) => registry[op]!.evalFloat(node(op, attrs), [a, b])[0]!;
const nums = (x: Tensor) => Array.from(x.data as ArrayLike<number>);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof QtError ? `${e.code} ${e.diagnostics[0]!.where?.node}` : `plain ${(e as Error).message}`;
  }
  return undefined;
}

describe('binary ops, float32', () => {
  it('same shape', () => {
    const a = t('float32', [2, 2], [1, 2, 3, 4]);
    const b = t('float32', [2, 2], [0.5, -2, 4, 8]);
    expect(nums(run('add', a, b))).toEqual([1.5, 0, 7, 12]);
    expect(nums(run('sub', a, b))).toEqual([0.5, 4, -1, -4]);
    expect(nums(run('mul', a, b))).toEqual([0.5, -4, 12, 32]);
    expect(nums(run('div', a, b))).toEqual([2, -1, 0.75, 0.5]);
    expect(run('add', a, b).dtype).toBe('float32');
  });

  it('scalar operand on either side', () => {
    const a = t('float32', [3], [1, 2, 3]);
    const s = t('float32', [], [10]);
    expect(nums(run('sub', a, s))).toEqual([-9, -8, -7]);
    expect(nums(run('sub', s, a))).toEqual([9, 8, 7]);
    expect(run('sub', s, a).shape).toEqual([3]);
  });

  it('[C] against [N,H,W,C]', () => {
    const N = 2, H = 2, W = 3, C = 4;
    const x = Array.from({ length: N * H * W * C }, (_, i) => i);
    const bias = [100, 200, 300, 400];
    const want: number[] = [];
    for (let n = 0; n < N; n++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) want.push(x[((n * H + h) * W + w) * C + c]! + bias[c]!);
    const y = run('add', t('float32', [N, H, W, C], x), t('float32', [C], bias));
    expect(y.shape).toEqual([N, H, W, C]);
    expect(nums(y)).toEqual(want);
  });

  it('both sides broadcast: [3,1] * [1,4] -> [3,4]', () => {
    const a = [1, 2, 3];
    const b = [10, 20, 30, 40];
    const want: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want.push(a[i]! * b[j]!);
    const y = run('mul', t('float32', [3, 1], a), t('float32', [1, 4], b));
    expect(y.shape).toEqual([3, 4]);
    expect(nums(y)).toEqual(want);
  });

  it('both sides broadcast with rank difference: [2,1,3] - [4,1] -> [2,4,3]', () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [1, 10, 100, 1000];
    const want: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) want.push(a[i * 3 + k]! - b[j]!);
    const y = run('sub', t('float32', [2, 1, 3], a), t('float32', [4, 1], b));
    expect(y.shape).toEqual([2, 4, 3]);
    expect(nums(y)).toEqual(want);
  });

  it('rounds to float32 once, after double math', () => {
    // 0.1f + 0.2f in float32 is 0.3000000119...; fround(0.1f + 0.2f computed in double) gives the same
    const y = run('add', t('float32', [1], [0.1]), t('float32', [1], [0.2]));
    expect(y.data[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    expect(y.data[0]).toBe(Math.fround(0.3));
  });

  it('IEEE division by zero', () => {
    expect(nums(run('div', t('float32', [3], [1, -1, 0]), t('float32', [1], [0])))).toEqual([Infinity, -Infinity, NaN]);
  });

  it('fused clamp actMin/actMax', () => {
    const y = run('add', t('float32', [4], [-5, 1, 3, 9]), t('float32', [], [0]), { actMin: 0, actMax: 6 });
    expect(nums(y)).toEqual([0, 1, 3, 6]);
  });
});

describe('binary ops, integers wrap like NumPy', () => {
  it('int8 add/sub wrap around', () => {
    const a = t('int8', [4], [127, -128, 100, -100]);
    const b = t('int8', [4], [1, -1, 100, -100]);
    // 128 -> -128, -129 -> 127, 200 -> -56, -200 -> 56
    expect(nums(run('add', a, b))).toEqual([-128, 127, -56, 56]);
    // 126, -127, 0, 0
    expect(nums(run('sub', a, b))).toEqual([126, -127, 0, 0]);
    expect(run('add', a, b).dtype).toBe('int8');
    expect(run('add', a, b).data).toBeInstanceOf(Int8Array);
  });

  it('int8 mul wraps', () => {
    // 16*16 = 256 -> 0; 12*11 = 132 -> -124; -128*-1 = 128 -> -128
    expect(nums(run('mul', t('int8', [3], [16, 12, -128]), t('int8', [3], [16, 11, -1])))).toEqual([0, -124, -128]);
  });

  it('uint8 wraps both ways', () => {
    expect(nums(run('add', t('uint8', [2], [250, 1]), t('uint8', [], [10])))).toEqual([4, 11]);
    expect(nums(run('sub', t('uint8', [2], [3, 1]), t('uint8', [], [5])))).toEqual([254, 252]);
  });

  it('int16 and uint16 wrap', () => {
    expect(nums(run('add', t('int16', [1], [32767]), t('int16', [1], [2])))).toEqual([-32767]);
    expect(nums(run('mul', t('uint16', [1], [300]), t('uint16', [1], [300])))).toEqual([90000 - 65536]);
  });

  it('int32 mul keeps the exact low 32 bits', () => {
    // the wrapped product computed independently with BigInt
    const want = Number(BigInt.asIntN(32, 123456789n * 987654321n));
    expect(nums(run('mul', t('int32', [1], [123456789]), t('int32', [1], [987654321])))).toEqual([want]);
    expect(nums(run('add', t('int32', [1], [2147483647]), t('int32', [1], [1])))).toEqual([-2147483648]);
  });

  it('uint32 wraps', () => {
    const want = Number(BigInt.asUintN(32, 4000000000n * 3n));
    expect(nums(run('mul', t('uint32', [1], [4000000000]), t('uint32', [1], [3])))).toEqual([want]);
    expect(nums(run('sub', t('uint32', [1], [0]), t('uint32', [1], [1])))).toEqual([4294967295]);
  });

  it('integer div truncates toward zero', () => {
    const a = t('int32', [6], [7, -7, 7, -7, 1, -1]);
    const b = t('int32', [6], [2, 2, -2, -2, 3, 3]);
    expect(nums(run('div', a, b))).toEqual([3, -3, -3, 3, 0, 0]);
    expect(nums(run('div', t('int8', [2], [-128, -7]), t('int8', [2], [-1, 3])))).toEqual([-128, -2]);
  });

  it('integer div by zero gives 0', () => {
    expect(nums(run('div', t('int16', [2], [5, -5]), t('int16', [], [0])))).toEqual([0, 0]);
  });

  it('integer broadcasting [C] vs [N,C]', () => {
    expect(nums(run('sub', t('int8', [2, 2], [1, 2, 3, 4]), t('int8', [2], [10, -125])))).toEqual([-9, 127, -7, -127]);
  });
});

describe('binary op shape rules', () => {
  const rule = (op: string, a: TensorInfo, b: TensorInfo) => registry[op]!.inferShape(node(op), [a, b]);

  it('infers broadcast shape and keeps the dtype', () => {
    expect(rule('add', info('float32', [1, 4, 4, 8]), info('float32', [8]))).toEqual([{ dtype: 'float32', shape: [1, 4, 4, 8] }]);
    expect(rule('div', info('int8', [3, 1]), info('int8', [1, 5]))).toEqual([{ dtype: 'int8', shape: [3, 5] }]);
  });

  it('QT201 naming the node for incompatible shapes, mixed dtypes or a missing input', () => {
    expect(codeOf(() => rule('add', info('float32', [2, 3]), info('float32', [4])))).toBe('QT201 add_1');
    expect(codeOf(() => rule('mul', info('float32', [2]), info('int8', [2])))).toBe('QT201 mul_1');
    expect(codeOf(() => registry.sub!.inferShape(node('sub'), [info('float32', [2]), undefined]))).toBe('QT201 sub_1');
  });

  it('QT203 naming the node for int64 and bool', () => {
    expect(codeOf(() => rule('add', info('int64', [2]), info('int64', [2])))).toBe('QT203 add_1');
    expect(codeOf(() => run('div', t('int64', [1], [4]), t('int64', [1], [2])))).toBe('QT203 div_1');
    expect(codeOf(() => rule('mul', info('bool', [2]), info('bool', [2])))).toBe('QT203 mul_1');
  });
});
