import { describe, expect, it } from 'vitest';
import { adjustedWeights } from '@qtool/ops';
import { actQuantFromRange, dequantizeWeights, quantizeValue, quantizeWeights, roundHalfAway } from '../src/index.js';

// The scheme, checked against values worked out by hand from ARCHITECTURE.md's formulas.

describe('quantizeWeights', () => {
  const w = Float32Array.from([-0.5, -0.25, 0, 0.25, 1]);
  // 2 bits: s = 1.5 / 3 = 0.5; round(w/s) = [-1, -1 (-0.5 -> away), 0, 1 (0.5 -> away), 2]

  it('min-anchored: o = round(wmin/s), q = round(w/s) - o, adjusted = q + o', () => {
    const q = quantizeWeights(w, [5], { bits: 2, anchor: 'min', rounding: 'offset' });
    expect(q.scale).toEqual([0.5]);
    expect(q.offset).toEqual([-1]);
    expect(Array.from(q.q)).toEqual([0, 0, 1, 2, 3]);
    expect(Array.from(adjustedWeights(q))).toEqual([-1, -1, 0, 1, 2]);
  });

  it('max-anchored: o = round(wmax/s), q = o - round(w/s), adjusted = o - q', () => {
    const q = quantizeWeights(w, [5], { bits: 2, anchor: 'max', rounding: 'offset' });
    expect(q.offset).toEqual([2]);
    expect(Array.from(q.q)).toEqual([3, 3, 2, 1, 0]);
    expect(Array.from(adjustedWeights(q))).toEqual([-1, -1, 0, 1, 2]);
  });

  it("'shifted' rounding computes round((w - wmin)/s)", () => {
    // (w - wmin)/s = [0, 0.5, 1, 1.5, 3] -> [0, 1, 1, 2, 3]
    const q = quantizeWeights(w, [5], { bits: 2, anchor: 'min', rounding: 'shifted' });
    expect(Array.from(q.q)).toEqual([0, 1, 1, 2, 3]);
  });

  it('per channel along axis 0 with degenerate channels', () => {
    const data = Float32Array.from([0, 0, 0, 0.3, 0.3, 0.3, -2, 0, 2]);
    const q = quantizeWeights(data, [3, 3], { bits: 8, anchor: 'min', rounding: 'offset', axis: 0 });
    // all-zero: s = 1, o = 0, q = 0; all-equal 0.3: s = 0.3, o = 1, q = 0 (exact); normal: s = 4/255
    expect(q.scale[0]).toBe(1);
    expect(q.offset.slice(0, 2)).toEqual([0, 1]);
    expect(q.scale[1]).toBeCloseTo(0.3, 6);
    expect(q.scale[2]).toBeCloseTo(4 / 255, 12);
    expect(q.offset[2]).toBe(roundHalfAway(-2 / (4 / 255)));
    expect(Array.from(dequantizeWeights(q).slice(0, 6))).toEqual([0, 0, 0, ...[0.3, 0.3, 0.3].map((v) => Math.fround(v))]);
  });

  it('keeps every q within b bits for 2..8 bits and both anchors', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 3 - 0.7);
    for (let bits = 2; bits <= 8; bits++)
      for (const anchor of ['min', 'max'] as const) {
        const q = quantizeWeights(data, [1000], { bits, anchor, rounding: 'offset' });
        expect(Math.min(...q.q)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...q.q)).toBeLessThanOrEqual(2 ** bits - 1);
        // reconstruction error within ~one step
        const back = dequantizeWeights(q);
        const worst = Math.max(...Array.from(data, (v, i) => Math.abs(v - back[i]!)));
        expect(worst).toBeLessThanOrEqual(q.scale[0]! * 1.0001);
      }
  });

  it('rejects bit counts outside 2..8', () => {
    expect(() => quantizeWeights(w, [5], { bits: 1, anchor: 'min', rounding: 'offset' })).toThrow(/2\.\.8/);
  });
});

describe('activation parameters', () => {
  it('widens the range to include zero and derives the zero point', () => {
    expect(actQuantFromRange(0, 255)).toEqual({ dtype: 'int8', scale: 1, zeroPoint: -128 });
    const q = actQuantFromRange(-1, 1);
    expect(q.scale).toBeCloseTo(2 / 255, 15);
    expect(q.zeroPoint).toBe(roundHalfAway(-128 + 255 / 2));
    expect(actQuantFromRange(0.5, 1).zeroPoint).toBe(-128);
    expect(quantizeValue(0, q)).toBe(q.zeroPoint);
    expect(quantizeValue(100, q)).toBe(127);
    expect(quantizeValue(-100, q)).toBe(-128);
  });
});

describe('minScale (a bias that must stay representable)', () => {
  it('widens only the channels below their floor, with the offset from the widened scale', () => {
    // channel 0: normal; channel 1: dead (|w| ~ 1e-30) with a floor of 1e-3; channel 2: all equal 1e-31
    const data = Float32Array.from([-1, 0, 1, -1e-30, 0, 2e-30, 1e-31, 1e-31, 1e-31]);
    const plain = quantizeWeights(data, [3, 3], { bits: 8, anchor: 'min', rounding: 'offset', axis: 0 });
    const floored = quantizeWeights(data, [3, 3], { bits: 8, anchor: 'min', rounding: 'offset', axis: 0, minScale: [0, 1e-3, 1e-3] });
    expect(floored.scale[0]).toBe(plain.scale[0]);
    expect(Array.from(floored.q.subarray(0, 3))).toEqual(Array.from(plain.q.subarray(0, 3)));
    expect(plain.scale[1]).toBeLessThan(1e-31);
    expect(floored.scale.slice(1)).toEqual([1e-3, 1e-3]);
    // |w| / s is ~1e-27: every adjusted weight of the dead channels is 0
    expect(floored.offset.slice(1)).toEqual([0, 0]);
    expect(Array.from(adjustedWeights(floored)).slice(3)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
