import { describe, expect, it } from 'vitest';
import { quantizeMultiplier } from '@qtool/qmath';
import type { MoveParams } from '../src/ops/int_move.js';
import { aq, clamp8, fakeCtx, i8, mkNode, nums, randInt8, refRequant, runInt } from './int_fixtures.js';

// reshape, transpose, concat, pad, quantize (int8 -> int8): copies when parameters agree, one requantization
// y = clamp(R(x - zp_in, m, s) + zp_out) when they differ.

const qa = aq(0.1, 3);
const qb = aq(0.05, -7);
const rq = (from: typeof qa, to: typeof qa) => {
  const m = quantizeMultiplier(from.scale / to.scale);
  return (v: number) => clamp8(refRequant(v - from.zeroPoint, m.multiplier, m.shift) + to.zeroPoint);
};

describe('data movement (qtool)', () => {
  const xs = randInt8(24, 5);

  it('reshape copies with equal parameters and requantizes when they differ', () => {
    const n1 = mkNode('reshape', ['x'], { shape: [4, 6] });
    const y1 = runInt(n1, fakeCtx({ x: qa, y: qa }), [i8([2, 3, 4], xs)]);
    expect((n1.params as MoveParams).requant).toBeUndefined();
    expect(nums(y1)).toEqual(xs);
    expect(y1.shape).toEqual([4, 6]);
    const y2 = runInt(mkNode('reshape', ['x'], { shape: [24] }), fakeCtx({ x: qa, y: qb }), [i8([2, 3, 4], xs)]);
    expect(nums(y2)).toEqual(xs.map(rq(qa, qb)));
  });

  it('transpose moves int8 values', () => {
    const y = runInt(mkNode('transpose', ['x'], { perm: [1, 0] }), fakeCtx({ x: qa, y: qa }), [i8([2, 3], [1, 2, 3, 4, 5, 6])]);
    expect(nums(y)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('concat requantizes each input whose parameters differ from the output', () => {
    const a = [10, -20, 30, 127];
    const b = [-128, 5, 60, 0];
    const node = { ...mkNode('concat', ['a', 'b'], { axis: 1 }) };
    const y = runInt(node, fakeCtx({ a: qa, b: qb, y: qa }), [i8([2, 2], a), i8([2, 2], b)]);
    const rb = b.map(rq(qb, qa));
    expect(nums(y)).toEqual([a[0], a[1], rb[0], rb[1], a[2], a[3], rb[2], rb[3]]);
  });

  it('pad fills with the quantized value (the zero point for 0)', () => {
    const n0 = mkNode('pad', ['x'], { pads: [1, 0, 0, 1] });
    expect(nums(runInt(n0, fakeCtx({ x: qa, y: qa }), [i8([1, 2], [7, 8])]))).toEqual([3, 3, 3, 7, 8, 3]);
    const n1 = mkNode('pad', ['x'], { pads: [0, 1, 0, 1], value: 0.42 });
    expect(nums(runInt(n1, fakeCtx({ x: qa, y: qa }), [i8([1, 1], [7])]))).toEqual([7, 7, 7]); // 0.42/0.1 -> 4 + 3
    const n2 = mkNode('pad', ['x'], { pads: [0, 1, 0, 1], mode: 'edge' });
    expect(nums(runInt(n2, fakeCtx({ x: qa, y: qa }), [i8([1, 2], [-5, 9])]))).toEqual([-5, -5, 9, 9]);
  });

  it('quantize int8 -> int8 is one requantization; float input or a non-int8 target is refused', () => {
    const node = mkNode('quantize', ['x'], { scale: [0.05], zeroPoint: [-7], dtype: 'int8' });
    expect(nums(runInt(node, fakeCtx({ x: qa, y: qb }), [i8([24], xs)]))).toEqual(xs.map(rq(qa, qb)));
    expect(() => runInt(mkNode('quantize', ['x'], { scale: [1], dtype: 'uint8' }), fakeCtx({ x: qa, y: qb }), [])).toThrow(/int8/);
    expect(() => runInt(mkNode('dequantize', ['x'], { scale: [1] }), fakeCtx({ x: qa, y: qb }), [])).toThrow(/dequantize/);
  });
});
