import { describe, expect, it } from 'vitest';
import { quantizeMultiplier } from '@qtool/qmath';
import type { AddParams, MulParams } from '../src/ops/int_binary.js';
import { aq, clamp8, fakeCtx, i8, mkNode, nums, randInt8, refRequant, runInt } from './int_fixtures.js';

// add / sub / mul in qtool mode: evalInt against a straightforward BigInt reimplementation of the contract, and
// against float within one output step.

const q1 = aq(0.05, -3);
const q2 = aq(0.021, 17);
const qy = aq(0.07, 5);
const x1 = randInt8(300, 1);
const x2 = randInt8(300, 2);

function refAdd(a: number, b: number, sign: number, lo = -128, hi = 127): number {
  const t = 2 * Math.max(q1.scale, q2.scale);
  const [m1, m2, mo] = [q1.scale / t, q2.scale / t, t / (2 ** 20 * qy.scale)].map(quantizeMultiplier);
  const A = refRequant((a - q1.zeroPoint) * 2 ** 20, m1!.multiplier, m1!.shift);
  const B = refRequant((b - q2.zeroPoint) * 2 ** 20, m2!.multiplier, m2!.shift);
  return clamp8(refRequant(A + sign * B, mo!.multiplier, mo!.shift) + qy.zeroPoint, lo, hi);
}

describe('add / sub (qtool)', () => {
  const ctx = fakeCtx({ a: q1, b: q2, y: qy });
  for (const [op, sign] of [['add', 1], ['sub', -1]] as const)
    it(`${op}: exact against the reimplementation, within 1 LSB of float`, () => {
      const node = mkNode(op, ['a', 'b']);
      const y = nums(runInt(node, ctx, [i8([300], x1), i8([300], x2)]));
      expect((node.params as AddParams).leftShift).toBe(20);
      expect(y).toEqual(x1.map((a, i) => refAdd(a, x2[i]!, sign)));
      x1.forEach((a, i) => {
        const real = q1.scale * (a - q1.zeroPoint) + sign * q2.scale * (x2[i]! - q2.zeroPoint);
        const want = clamp8(real / qy.scale + qy.zeroPoint);
        expect(Math.abs(y[i]! - want)).toBeLessThanOrEqual(1);
      });
    });

  it('fused relu6 clamps at the quantized bounds, and broadcasting works', () => {
    const node = mkNode('add', ['a', 'b'], { actMin: 0, actMax: 6 });
    const y = nums(runInt(node, ctx, [i8([2, 150], x1), i8([150], x2.slice(0, 150))]));
    const p = node.params as AddParams;
    expect([p.outMin, p.outMax]).toEqual([5, 5 + Math.round(6 / 0.07)]);
    expect(y).toEqual(x1.map((a, i) => refAdd(a, x2[i % 150]!, 1, p.outMin, p.outMax)));
    expect(Math.min(...y)).toBe(5);
  });
});

describe('mul (qtool)', () => {
  it('exact against the reimplementation, within 1 LSB of float', () => {
    const ctx = fakeCtx({ a: q1, b: q2, y: aq(0.01, -7) });
    const node = mkNode('mul', ['a', 'b']);
    const y = nums(runInt(node, ctx, [i8([300], x1), i8([300], x2)]));
    const p = node.params as MulParams;
    const m = quantizeMultiplier((q1.scale * q2.scale) / 0.01);
    expect([p.outputMultiplier, p.outputShift, p.input1Offset, p.input2Offset, p.outputOffset]).toEqual([m.multiplier, m.shift, 3, -17, -7]);
    expect(y).toEqual(x1.map((a, i) => clamp8(refRequant((a + 3) * (x2[i]! - 17), m.multiplier, m.shift) - 7)));
    x1.forEach((a, i) => {
      const want = clamp8((q1.scale * (a + 3) * q2.scale * (x2[i]! - 17)) / 0.01 - 7);
      expect(Math.abs(y[i]! - want)).toBeLessThanOrEqual(1);
    });
  });
});

describe('refusals', () => {
  it('div and batch_norm refuse with QT400; int16 activations too', () => {
    const ctx = fakeCtx({ a: q1, b: q2, y: qy });
    expect(() => runInt(mkNode('div', ['a', 'b']), ctx, [])).toThrow(/QT400|no integer kernel/);
    expect(() => runInt(mkNode('batch_norm', ['a']), ctx, [])).toThrow(/batch_norm/);
    const c16 = fakeCtx({ a: { dtype: 'int16', scale: 1, zeroPoint: 0 }, b: q2, y: qy });
    expect(() => runInt(mkNode('add', ['a', 'b']), c16, [])).toThrow(/int16/);
  });
});
