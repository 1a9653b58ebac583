import { describe, expect, it } from 'vitest';
import type { MeanParams, PoolParams } from '../src/ops/int_pool.js';
import { aq, clamp8, fakeCtx, i8, mkNode, nums, randInt8, refRequant, runInt } from './int_fixtures.js';
import { quantizeMultiplier } from '@qtool/qmath';

// max_pool, avg_pool and mean in qtool mode (output parameters equal the input's): divRound ties away from zero.

const q = aq(0.1, 3);
const ctx = fakeCtx({ x: q, y: q });

describe('avg_pool / max_pool (qtool)', () => {
  it('avg rounds ties away from zero: 1.5 -> 2, -1.5 -> -2, 2.5 -> 3, -2.5 -> -3', () => {
    // [1, 4, 2, 1]: k=2 s=2 along W -> (1,2) (1,2)... laid out as N=1 H=1 W=8 C=1
    const x = i8([1, 1, 8, 1], [1, 2, -1, -2, 2, 3, -2, -3]);
    const y = runInt(mkNode('avg_pool', ['x'], { kernel: [1, 2], strides: [1, 2] }), ctx, [x]);
    expect(nums(y)).toEqual([2, -2, 3, -3]);
    expect(y.shape).toEqual([1, 1, 4, 1]);
  });

  it('padding: excluded from the count by default; countIncludePad adds the zero point per padded cell', () => {
    // W=3, k=3, pad 1 both sides, s=1: windows {-,a,b} {a,b,c} {b,c,-}
    const x = i8([1, 1, 3, 1], [10, 20, 31]);
    const ex = runInt(mkNode('avg_pool', ['x'], { kernel: [1, 3], pads: [0, 1, 0, 1] }), ctx, [x]);
    expect(nums(ex)).toEqual([15, 20, 26]); // 30/2 = 15, 61/3 = 20.33, 51/2 = 25.5 -> 26
    const inc = runInt(mkNode('avg_pool', ['x'], { kernel: [1, 3], pads: [0, 1, 0, 1], countIncludePad: true }), ctx, [x]);
    expect(nums(inc)).toEqual([11, 20, 18]); // (30+3)/3 = 11, 61/3 -> 20, (51+3)/3 = 18
  });

  it('max over in-bounds cells only (padding never wins), random data against a direct loop', () => {
    const xs = randInt8(2 * 5 * 6 * 3, 7);
    const node = mkNode('max_pool', ['x'], { kernel: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1] });
    const y = runInt(node, ctx, [i8([2, 5, 6, 3], xs)]);
    expect((node.params as PoolParams).requant).toBeUndefined();
    expect(y.shape).toEqual([2, 3, 3, 3]);
    const want: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let oh = 0; oh < 3; oh++)
        for (let ow = 0; ow < 3; ow++)
          for (let c = 0; c < 3; c++) {
            let m = -Infinity;
            for (let kh = 0; kh < 3; kh++)
              for (let kw = 0; kw < 2; kw++) {
                const h = oh * 2 - 1 + kh;
                const w = ow * 2 + kw;
                if (h >= 0 && h < 5 && w < 6) m = Math.max(m, xs[((n * 5 + h) * 6 + w) * 3 + c]!);
              }
            want.push(m);
          }
    expect(nums(y)).toEqual(want);
  });

  it('an output calibrated apart from the input is requantized (qtool), with one extra rounding', () => {
    const c2 = fakeCtx({ x: q, y: aq(0.2, -1) });
    const node = mkNode('max_pool', ['x'], { kernel: [1, 2], strides: [1, 2] });
    const y = runInt(node, c2, [i8([1, 1, 4, 1], [100, -50, 7, 8])]);
    const m = quantizeMultiplier(0.5);
    expect(nums(y)).toEqual([100, 8].map((v) => clamp8(refRequant(v - 3, m.multiplier, m.shift) - 1)));
  });
});

describe('mean (qtool)', () => {
  it('divRound of the raw sum, ties away from zero, keepDims', () => {
    // [1, 2, 2, 2] over axes 1,2: channel 0 = 1+2+3+4... use sums with exact .5 ties
    const x = i8([1, 2, 2, 2], [1, -1, 2, -2, 0, 0, -1, 1]); // c0: 1+2+0-1 = 2 -> 0.5 -> 1; c1: -1-2+0+1 = -2 -> -0.5 -> -1
    const node = mkNode('mean', ['x'], { axes: [1, 2], keepDims: true });
    const y = runInt(node, ctx, [x]);
    expect((node.params as MeanParams).method).toBe('round');
    expect(y.shape).toEqual([1, 1, 1, 2]);
    expect(nums(y)).toEqual([1, -1]);
  });

  it('different output parameters: one requantization with 1/count folded in, within 1 LSB of float', () => {
    const qy = aq(0.03, -20);
    const xs = randInt8(4 * 49, 3);
    const node = mkNode('mean', ['x'], { axes: [1], keepDims: false });
    const y = nums(runInt(node, fakeCtx({ x: q, y: qy }), [i8([4, 49], xs)]));
    for (let r = 0; r < 4; r++) {
      const real = (xs.slice(r * 49, r * 49 + 49).reduce((a, v) => a + v - q.zeroPoint, 0) * q.scale) / 49;
      expect(Math.abs(y[r]! - clamp8(real / qy.scale + qy.zeroPoint))).toBeLessThanOrEqual(1);
    }
  });

  it('tflite mode with equal parameters truncates toward zero (TFLite reference_ops::Mean)', () => {
    const x = i8([1, 4], [1, 1, 1, 0, -1, -1, -1, 0].slice(0, 4));
    const node = mkNode('mean', ['x'], { axes: [1], keepDims: false });
    expect(nums(runInt(node, fakeCtx({ x: q, y: q }, 'tflite'), [x]))).toEqual([0]); // 3/4 -> 0
    expect(nums(runInt(node, fakeCtx({ x: q, y: q }, 'tflite'), [i8([1, 4], [-1, -1, -1, 0])]))).toEqual([0]);
  });
});
