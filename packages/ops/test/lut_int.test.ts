import { describe, expect, it } from 'vitest';
import type { ActQuant } from '../src/index.js';
import type { LutParams } from '../src/ops/int_lut.js';
import { aq, clamp8, fakeCtx, i8, mkNode, nums, runInt } from './int_fixtures.js';

// The table ops: every int8 input against the float function, within half an output step (plus nothing: the
// input is exact at its own scale), except where the float result lies outside the output's int8 range.

const ALL = Array.from({ length: 256 }, (_, i) => i - 128);

const sigmoidF = (x: number) => 1 / (1 + Math.exp(-x));
const hswish = (x: number) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
const cases: [string, Record<string, number>, (x: number) => number, ActQuant, ActQuant][] = [
  ['sigmoid', {}, sigmoidF, aq(0.08, 0), aq(1 / 256, -128)],
  ['tanh', {}, Math.tanh, aq(0.03, 2), aq(1 / 128, 0)],
  ['hard_swish', {}, hswish, aq(0.04, -10), aq(0.035, -103)],
  ['hard_sigmoid', { alpha: 0.2, beta: 0.5 }, (x) => Math.max(0, Math.min(1, 0.2 * x + 0.5)), aq(0.05, 0), aq(1 / 255, -128)],
  ['leaky_relu', { alpha: 0.1 }, (x) => (x < 0 ? 0.1 * x : x), aq(0.05, 10), aq(0.04, -20)],
  ['relu', {}, (x) => Math.max(0, x), aq(0.05, 10), aq(0.03, -128)],
  ['clip', { min: -1, max: 2 }, (x) => Math.min(2, Math.max(-1, x)), aq(0.05, 10), aq(0.012, -44)],
];

/** Max |T[q] - float| in output LSB over every int8 input, against the float result clamped to int8. */
export function lutError(op: string, attrs: Record<string, number>, f: (x: number) => number, qx: ActQuant, qy: ActQuant): number {
  const y = nums(runInt(mkNode(op, ['x'], attrs), fakeCtx({ x: qx, y: qy }), [i8([256], ALL)]));
  return Math.max(...ALL.map((q, i) => Math.abs(y[i]! - Math.min(127, Math.max(-128, f(qx.scale * (q - qx.zeroPoint)) / qy.scale + qy.zeroPoint)))));
}

describe('LUT activations (both modes use the table)', () => {
  for (const [op, attrs, f, qx, qy] of cases)
    it(`${op}: within half an output step of float over all 256 inputs`, () => {
      const err = lutError(op, attrs, f, qx, qy);
      console.log(`${op.padEnd(13)} max |err| vs float: ${err.toFixed(3)} LSB (s_x ${qx.scale}, s_y ${qy.scale})`);
      expect(err).toBeLessThanOrEqual(0.5 + 1e-9);
    });

  it('tables are monotone where f is, and clamp at the int8 bounds', () => {
    const y = nums(runInt(mkNode('sigmoid', ['x']), fakeCtx({ x: aq(0.1, 0), y: aq(1 / 256, -128) }), [i8([256], ALL)]));
    for (let i = 1; i < 256; i++) expect(y[i]!).toBeGreaterThanOrEqual(y[i - 1]!);
    expect(y[255]).toBe(127); // sigmoid(12.7) * 256 - 128 = 127.99 -> 128 -> clamped
    expect(y[0]).toBe(-128);
  });

  it('prelu with a per-channel slope: one table per channel (last axis); a scalar slope gives one table', () => {
    const qx = aq(0.05, 3);
    const qy = aq(0.04, 10);
    const slope = Float32Array.from([0.25, -0.5, 0.1]);
    const node = mkNode('prelu', ['x', 's']);
    const xs = ALL.slice(0, 255);
    const y = nums(runInt(node, fakeCtx({ x: qx, y: qy }, 'qtool', { s: slope }), [i8([85, 3], xs)]));
    expect((node.params as LutParams).tables.length).toBe(3);
    xs.forEach((q, k) => {
      const v = qx.scale * (q - qx.zeroPoint);
      const f = v < 0 ? slope[k % 3]! * v : v;
      expect(Math.abs(y[k]! - clamp8(f / qy.scale + qy.zeroPoint))).toBeLessThanOrEqual(0.5 + 1e-6);
    });
    const one = mkNode('prelu', ['x', 's']);
    runInt(one, fakeCtx({ x: qx, y: qy }, 'qtool', { s: Float32Array.from([0.25]) }), [i8([4], [1, 2, 3, 4])]);
    expect((one.params as LutParams).tables.length).toBe(1);
  });
});
