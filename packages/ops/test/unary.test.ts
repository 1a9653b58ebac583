import { describe, expect, it } from 'vitest';
import { makeTensor, QtError, type DType, type Node, type Tensor } from '@qtool/ir';
import { registry } from '../src/index.js';

// relu, clip, leaky_relu, prelu, sigmoid, tanh, hard_sigmoid, hard_swish: expected values by hand or from the
// textbook formula written out here.

const node = (op: string, attrs: Node['attrs'] = {}, inputs = ['x']): Node => ({ name: `${op}_1`, op, inputs, outputs: ['y'], attrs });
const t = (dtype: DType, shape: number[], data: number[]): Tensor => makeTensor(dtype, shape, data);
const run = (op: string, x: Tensor, attrs: Node['attrs'] = {}) => registry[op]!.evalFloat(node(op, attrs), [x])[0]!;
const nums = (x: Tensor) => Array.from(x.data as ArrayLike<number>);
const f32 = (xs: number[]) => xs.map(Math.fround);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof QtError ? `${e.code} ${e.diagnostics[0]!.where?.node}` : `plain ${(e as Error).message}`;
  }
  return undefined;
}

describe('relu', () => {
  it('float and integer', () => {
    expect(nums(run('relu', t('float32', [4], [-1.5, 0, 2.25, -0])))).toEqual([0, 0, 2.25, 0]);
    const y = run('relu', t('int8', [3], [-128, 5, 127]));
    expect(y.dtype).toBe('int8');
    expect(nums(y)).toEqual([0, 5, 127]);
  });
  it('keeps shape; infers dtype', () => {
    expect(registry.relu!.inferShape(node('relu'), [{ name: 'x', dtype: 'int32', shape: [2, 3] }])).toEqual([{ dtype: 'int32', shape: [2, 3] }]);
  });
});

describe('clip', () => {
  it('both bounds, one bound, none', () => {
    const x = t('float32', [5], [-3, -1, 0, 1, 3]);
    expect(nums(run('clip', x, { min: -1, max: 2 }))).toEqual([-1, -1, 0, 1, 2]);
    expect(nums(run('clip', x, { min: 0 }))).toEqual([0, 0, 0, 1, 3]);
    expect(nums(run('clip', x, { max: 0 }))).toEqual([-3, -1, 0, 0, 0]);
    expect(nums(run('clip', x))).toEqual([-3, -1, 0, 1, 3]);
  });
  it('min > max sets every output to max (ONNX)', () => {
    expect(nums(run('clip', t('float32', [3], [-10, 0, 10]), { min: 2, max: 1 }))).toEqual([1, 1, 1]);
  });
  it('int8 with defaults and bounds', () => {
    expect(nums(run('clip', t('int8', [3], [-128, 0, 127])))).toEqual([-128, 0, 127]);
    const y = run('clip', t('int8', [4], [-128, -5, 5, 127]), { min: -6, max: 6 });
    expect(y.dtype).toBe('int8');
    expect(nums(y)).toEqual([-6, -5, 5, 6]);
  });
});

describe('leaky_relu', () => {
  it('default alpha 0.01 and explicit alpha', () => {
    expect(nums(run('leaky_relu', t('float32', [3], [-2, 0, 3])))).toEqual(f32([-0.02, 0, 3]));
    expect(nums(run('leaky_relu', t('float32', [2], [-2, 3]), { alpha: 0.5 }))).toEqual([-1, 3]);
  });
  it('refuses integers with QT203', () => {
    expect(codeOf(() => run('leaky_relu', t('int8', [1], [1])))).toBe('QT203 leaky_relu_1');
  });
});

describe('prelu', () => {
  const prelu = (x: Tensor, slope: Tensor) => registry.prelu!.evalFloat(node('prelu', {}, ['x', 's']), [x, slope])[0]!;
  it('per-channel slope [C] broadcast to [N,H,W,C]', () => {
    const x = [-1, -2, 3, -4, 5, -6, -7, 8]; // [1,2,2,2]
    const s = [0.5, 0.25];
    const want = x.map((v, i) => (v < 0 ? v * s[i % 2]! : v));
    const y = prelu(t('float32', [1, 2, 2, 2], x), t('float32', [2], s));
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(nums(y)).toEqual(want);
  });
  it('scalar slope', () => {
    expect(nums(prelu(t('float32', [3], [-4, 0, 4]), t('float32', [], [0.25])))).toEqual([-1, 0, 4]);
  });
  it('slope must broadcast to X, not the other way (QT201)', () => {
    const rule = (x: number[], s: number[]) =>
      registry.prelu!.inferShape(node('prelu', {}, ['x', 's']), [
        { name: 'x', dtype: 'float32', shape: x },
        { name: 's', dtype: 'float32', shape: s },
      ]);
    expect(rule([2, 3], [3])).toEqual([{ dtype: 'float32', shape: [2, 3] }]);
    expect(codeOf(() => rule([3], [2, 3]))).toBe('QT201 prelu_1');
  });
});

describe('sigmoid and tanh', () => {
  const xs = [-1000, -20, -1, 0, 0.5, 1, 20, 1000];
  it('sigmoid matches 1/(1+e^-x), no NaN at the extremes', () => {
    const y = nums(run('sigmoid', t('float32', [xs.length], xs)));
    expect(y[0]).toBe(0);
    expect(y[3]).toBe(0.5);
    expect(y[7]).toBe(1);
    xs.forEach((x, i) => expect(y[i]).toBeCloseTo(1 / (1 + Math.exp(-x)), 6));
    // tiny outputs keep their relative precision (the naive 1 - ... form would give 0)
    expect(y[1]! / Math.exp(-20)).toBeCloseTo(1, 5);
  });
  it('tanh matches (e^2x - 1)/(e^2x + 1), saturates to +-1', () => {
    const y = nums(run('tanh', t('float32', [xs.length], xs)));
    expect([y[0], y[3], y[7]]).toEqual([-1, 0, 1]);
    for (const i of [2, 4, 5]) expect(y[i]).toBeCloseTo((Math.exp(2 * xs[i]!) - 1) / (Math.exp(2 * xs[i]!) + 1), 6);
  });
  it('refuse integers with QT203', () => {
    expect(codeOf(() => registry.sigmoid!.inferShape(node('sigmoid'), [{ name: 'x', dtype: 'int8', shape: [1] }]))).toBe('QT203 sigmoid_1');
  });
});

describe('hard_sigmoid and hard_swish', () => {
  it('hard_sigmoid defaults alpha 0.2 beta 0.5', () => {
    // 0.2*-3+0.5 = -0.1 -> 0; 0.5; 0.2*1+0.5 = 0.7; 0.2*3+0.5 = 1.1 -> 1
    expect(nums(run('hard_sigmoid', t('float32', [4], [-3, 0, 1, 3])))).toEqual(f32([0, 0.5, 0.7, 1]));
    // alpha 0.5 beta 0.25: -1 -> -0.25 -> 0; 1 -> 0.75
    expect(nums(run('hard_sigmoid', t('float32', [2], [-1, 1]), { alpha: 0.5, beta: 0.25 }))).toEqual([0, 0.75]);
  });
  it('hard_swish x * clamp(x/6 + 1/2, 0, 1)', () => {
    // -4 -> -4*0 = 0; -3 -> 0; 0 -> 0; 1 -> 1*(2/3); 3 -> 3*1; 5 -> 5
    // -4 * 0 is -0 in IEEE; '+ 0' compares it as 0
    expect(nums(run('hard_swish', t('float32', [6], [-4, -3, 0, 1, 3, 5]))).map((v) => v + 0)).toEqual(f32([0, 0, 0, 2 / 3, 3, 5]));
  });
});
