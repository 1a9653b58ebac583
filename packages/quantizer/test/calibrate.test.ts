import { describe, expect, it } from 'vitest';
import { emptyGraph, makeTensor, type Graph, type Tensor } from '@qtool/ir';
import { actQuantFromRange, calibrate, quantizeValue } from '../src/index.js';

// Calibration methods on a one-node graph (x -> relu -> y) fed with samples whose statistics are known, so every
// expected range is computed here from the samples themselves, not taken from the code under test.

function reluGraph(n: number): Graph {
  const g = emptyGraph('relu');
  g.tensors.set('x', { name: 'x', dtype: 'float32', shape: [1, n] });
  g.tensors.set('y', { name: 'y', dtype: 'float32', shape: [1, n] });
  g.inputs.push('x');
  g.outputs.push('y');
  g.nodes.push({ name: 'r', op: 'relu', inputs: ['x'], outputs: ['y'], attrs: {} });
  return g;
}

/** A seeded generator (mulberry32), so the samples are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const n = 1000;
const g = reluGraph(n);

function samples(values: number[][]): Map<string, Tensor>[] {
  return values.map((v) => new Map([['x', makeTensor('float32', [1, n], Float32Array.from(v))]]));
}

/** 8 samples uniform in [lo_k, hi_k]; the last sample carries one outlier at +1000. */
function withOutlier(): number[][] {
  const r = rng(7);
  const out = Array.from({ length: 8 }, (_, k) => Array.from({ length: n }, () => -1 + 2 * r() + k * 0.01));
  out[7]![123] = 1000;
  return out;
}

describe('calibrate', () => {
  const data = withOutlier();
  const f32 = data.map((s) => Float32Array.from(s));
  const lo = Math.min(...f32.map((s) => Math.min(...s)));
  const hi = Math.max(...f32.map((s) => Math.max(...s)));

  it('minmax: the extremes over every sample, for inputs and node outputs', () => {
    const r = calibrate(g, samples(data), { method: 'minmax' });
    expect(r.get('x')).toEqual({ min: lo, max: hi });
    expect(r.get('y')).toEqual({ min: 0, max: hi });
  });

  it('moving-average: the running average of the per-sample extremes, weight `momentum`', () => {
    const momentum = 0.8;
    let mn = 0;
    let mx = 0;
    f32.forEach((s, k) => {
      const a = Math.min(...s);
      const b = Math.max(...s);
      mn = k === 0 ? a : momentum * mn + (1 - momentum) * a;
      mx = k === 0 ? b : momentum * mx + (1 - momentum) * b;
    });
    const r = calibrate(g, samples(data), { method: 'moving-average', momentum });
    expect(r.get('x')!.min).toBeCloseTo(mn, 12);
    expect(r.get('x')!.max).toBeCloseTo(mx, 12);
  });

  it('percentile: one outlier in 8000 values is cut at 99.9, and the range still covers the bulk', () => {
    const r = calibrate(g, samples(data), { method: 'percentile', percentile: 99.9 }).get('x')!;
    // histogram bins are (1000 - lo) / 2048 wide: the bulk ends below 1.07, one bin more is the allowed slack
    const bin = (hi - Math.min(lo, 0)) / 2048;
    expect(r.max).toBeGreaterThanOrEqual(0.9);
    expect(r.max).toBeLessThanOrEqual(1.07 + bin);
    expect(r.min).toBeLessThanOrEqual(-0.9);
    expect(r.min).toBeGreaterThanOrEqual(lo);
  });

  it('mse: the range it picks quantizes the samples with no more squared error than minmax or percentile', () => {
    // Squared error over every value, outliers included, computed exactly here (the method uses a histogram).
    const all = f32.flatMap((s) => Array.from(s));
    const sqErr = (range: { min: number; max: number }) => {
      const q = actQuantFromRange(range.min, range.max);
      return all.reduce((s, v) => s + (v - (quantizeValue(v, q) - q.zeroPoint) * q.scale) ** 2, 0);
    };
    const mse = calibrate(g, samples(data), { method: 'mse' }).get('x')!;
    const minmax = calibrate(g, samples(data), { method: 'minmax' }).get('x')!;
    const pct = calibrate(g, samples(data), { method: 'percentile', percentile: 99.9 }).get('x')!;
    expect(sqErr(mse)).toBeLessThanOrEqual(sqErr(minmax) * 1.01);
    expect(sqErr(mse)).toBeLessThan(sqErr(pct));
  });

  it('kl: an outlier that stretches the range 500-fold is clipped (KL weighs mass, not distance)', () => {
    const kl = calibrate(g, samples(data), { method: 'kl' }).get('x')!;
    expect(kl.max).toBeLessThan(hi / 2);
    expect(kl.max).toBeGreaterThan(0.9);
  });

  it('without outliers every method keeps (nearly) the whole range', () => {
    const clean = withOutlier();
    clean[7]![123] = 0.5;
    const mm = calibrate(g, samples(clean), { method: 'minmax' }).get('x')!;
    for (const method of ['percentile', 'mse', 'kl'] as const) {
      const r = calibrate(g, samples(clean), { method, percentile: 99.99 }).get('x')!;
      expect(r.max, method).toBeGreaterThan(0.8 * mm.max);
      expect(r.min, method).toBeLessThan(0.8 * mm.min);
    }
  });

  it('reports progress once per sample and pass (two passes for histogram methods)', () => {
    const seen: string[] = [];
    calibrate(g, samples(data.slice(0, 3)), { method: 'minmax', onProgress: (d, t) => seen.push(`${d}/${t}`) });
    expect(seen).toEqual(['1/3', '2/3', '3/3']);
    seen.length = 0;
    calibrate(g, samples(data.slice(0, 2)), { method: 'mse', onProgress: (d, t) => seen.push(`${d}/${t}`) });
    expect(seen).toEqual(['1/4', '2/4', '3/4', '4/4']);
  });

  it('refuses an empty sample list', () => {
    expect(() => calibrate(g, [], { method: 'minmax' })).toThrow('at least one sample');
  });
});
