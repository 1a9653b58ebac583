import { describe, expect, it } from 'vitest';
import { makeTensor, QtError, type DType, type Node, type Tensor } from '@qtool/ir';
import { registry } from '../src/index.js';

// quantize / dequantize: expected values worked out by hand in the comments.

const node = (op: string, attrs: Node['attrs']): Node => ({ name: `${op}_1`, op, inputs: ['x'], outputs: ['y'], attrs });
const t = (dtype: DType, shape: number[], data: number[]): Tensor => makeTensor(dtype, shape, data);
const q = (x: Tensor, attrs: Node['attrs']) => registry.quantize!.evalFloat(node('quantize', attrs), [x])[0]!;
const dq = (x: Tensor, attrs: Node['attrs']) => registry.dequantize!.evalFloat(node('dequantize', attrs), [x])[0]!;
const nums = (x: Tensor) => Array.from(x.data as ArrayLike<number>);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof QtError ? `${e.code} ${e.diagnostics[0]!.where?.node}` : `plain ${(e as Error).message}`;
  }
  return undefined;
}

describe('quantize', () => {
  it('ties round half to even', () => {
    const y = q(t('float32', [8], [0.5, 1.5, -0.5, 2.5, -1.5, -2.5, 3.5, 0.49]), { scale: [1], zeroPoint: [0], dtype: 'int8' });
    expect(y.dtype).toBe('int8');
    expect(nums(y)).toEqual([0, 2, 0, 2, -2, -2, 4, 0]);
  });

  it('ties are decided on the float32 quotient, as onnxruntime does', () => {
    // 0.35f / 0.1f is 3.4999998882 in double but exactly 3.5 in float32 -> even 4 (double math would give 3)
    // 0.45000001788f / 0.1f is 4.5000001118 in double but 4.5 in float32 -> even 4 (double math would give 5)
    const xs = [Math.fround(0.35), 0.45000001788139343];
    expect(xs.map((x) => x / Math.fround(0.1))).not.toContain(3.5);
    expect(xs.map((x) => Math.fround(x / Math.fround(0.1)))).toEqual([3.5, 4.5]);
    expect(nums(q(t('float32', [2], xs), { scale: [0.1], zeroPoint: [0], dtype: 'int8' }))).toEqual([4, 4]);
  });

  it('adds the zero point after rounding, then saturates', () => {
    // scale 0.5: 1.25/0.5 = 2.5 -> 2, +3 = 5; 200 -> 400 -> 127; -200 -> -128
    expect(nums(q(t('float32', [3], [1.25, 200, -200]), { scale: [0.5], zeroPoint: [3], dtype: 'int8' }))).toEqual([5, 127, -128]);
    // int8: 127.5 -> 128 (even) -> 127; -128.5 -> -128 (even) stays
    expect(nums(q(t('float32', [2], [127.5, -128.5]), { scale: [1], zeroPoint: [0], dtype: 'int8' }))).toEqual([127, -128]);
    // uint8 zp 128: -200 -> 0, 200 -> 255, 0 -> 128
    expect(nums(q(t('float32', [3], [-200, 200, 0]), { scale: [1], zeroPoint: [128], dtype: 'uint8' }))).toEqual([0, 255, 128]);
    expect(nums(q(t('float32', [2], [40000, -40000]), { scale: [1], zeroPoint: [0], dtype: 'int16' }))).toEqual([32767, -32768]);
    expect(nums(q(t('float32', [2], [70000, -1]), { scale: [1], zeroPoint: [0], dtype: 'uint16' }))).toEqual([65535, 0]);
    expect(nums(q(t('float32', [2], [3e9, -Infinity]), { scale: [1], zeroPoint: [0], dtype: 'int32' }))).toEqual([2147483647, -2147483648]);
  });

  it('zeroPoint defaults to 0', () => {
    expect(nums(q(t('float32', [1], [3]), { scale: [2], dtype: 'uint8' }))).toEqual([2]); // 1.5 -> 2
  });

  it('per-axis on the last axis', () => {
    // scales [1,2,4] zp [0,1,-1] along axis 1:
    // row 0: 1/1=1 -> 1; 2/2=1 -> 2; 3/4=0.75 -> 1 -> 0
    // row 1: -4/1 -> -4; 5/2=2.5 -> 2 -> 3; 6/4=1.5 -> 2 -> 1
    const y = q(t('float32', [2, 3], [1, 2, 3, -4, 5, 6]), { scale: [1, 2, 4], zeroPoint: [0, 1, -1], axis: 1, dtype: 'int8' });
    expect(nums(y)).toEqual([1, 2, 0, -4, 3, 1]);
  });

  it('per-axis on a middle axis', () => {
    // shape [1,2,2], axis 1 scales [0.5, 2]: first pair x/0.5, second pair x/2
    const y = q(t('float32', [1, 2, 2], [1, -1, 3, 5]), { scale: [0.5, 2], zeroPoint: [0, 0], axis: 1, dtype: 'int8' });
    expect(nums(y)).toEqual([2, -2, 2, 2]); // 1.5 -> 2, 2.5 -> 2
  });

  it('shape rule and errors name the node', () => {
    const rule = (attrs: Node['attrs'], dtype: DType = 'float32', shape = [2, 3]) =>
      registry.quantize!.inferShape(node('quantize', attrs), [{ name: 'x', dtype, shape }]);
    expect(rule({ scale: [1], zeroPoint: [0], dtype: 'uint8' })).toEqual([{ dtype: 'uint8', shape: [2, 3] }]);
    expect(codeOf(() => rule({ scale: [1, 2], zeroPoint: [0, 0], axis: 1, dtype: 'int8' }))).toBe('QT201 quantize_1');
    expect(codeOf(() => rule({ scale: [1, 2, 3], zeroPoint: [0, 0, 0], dtype: 'int8' }))).toBe('QT201 quantize_1'); // no axis
    expect(codeOf(() => rule({ scale: [1, 2, 3], zeroPoint: [0], axis: 1, dtype: 'int8' }))).toBe('QT201 quantize_1');
    expect(codeOf(() => rule({ scale: [0], zeroPoint: [0], dtype: 'int8' }))).toBe('QT201 quantize_1');
    expect(codeOf(() => rule({ scale: [1], zeroPoint: [0], dtype: 'int64' }))).toBe('QT203 quantize_1');
    expect(codeOf(() => rule({ scale: [1], zeroPoint: [0], dtype: 'int8' }, 'int8'))).toBe('QT203 quantize_1');
  });
});

describe('dequantize', () => {
  it('per tensor, float32 out', () => {
    // (x - (-1)) * 0.5: -127*0.5, 1*0.5, 128*0.5
    const y = dq(t('int8', [3], [-128, 0, 127]), { scale: [0.5], zeroPoint: [-1], axis: 0 });
    expect(y.dtype).toBe('float32');
    expect(nums(y)).toEqual([-63.5, 0.5, 64]);
  });

  it('per axis', () => {
    // axis 0 scales [0.5, 0.25] zp [10, 20]: (10-10)*.5, (12-10)*.5, (20-20)*.25, (28-20)*.25
    const y = dq(t('uint8', [2, 2], [10, 12, 20, 28]), { scale: [0.5, 0.25], zeroPoint: [10, 20], axis: 0 });
    expect(nums(y)).toEqual([0, 1, 0, 2]);
  });

  it('int32 differences pass through float32 like onnxruntime', () => {
    // 2^24 + 1 is not a float32: it becomes 2^24 before the scale
    expect(nums(dq(t('int32', [1], [16777217]), { scale: [1], zeroPoint: [0] }))).toEqual([16777216]);
  });

  it('product rounds to float32', () => {
    expect(dq(t('int8', [1], [3]), { scale: [0.1], zeroPoint: [0] }).data[0]).toBe(Math.fround(3 * Math.fround(0.1)));
  });

  it('refuses float input (QT203) and bad params (QT201)', () => {
    const rule = (dtype: DType, attrs: Node['attrs']) => registry.dequantize!.inferShape(node('dequantize', attrs), [{ name: 'x', dtype, shape: [4] }]);
    expect(rule('int16', { scale: [1], zeroPoint: [0] })).toEqual([{ dtype: 'float32', shape: [4] }]);
    expect(codeOf(() => rule('float32', { scale: [1], zeroPoint: [0] }))).toBe('QT203 dequantize_1');
    expect(codeOf(() => rule('int8', { scale: [1, 1], zeroPoint: [0, 0], axis: 0 }))).toBe('QT201 dequantize_1');
  });
});
