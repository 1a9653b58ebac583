import { isFloat, type Graph, type Tensor } from '@qtool/ir';
import { runFloat } from '@qtool/sim';
import { actQuantFromRange, quantizeValue } from './activations.js';

// Calibration: run the float graph on sample inputs and turn what every activation tensor held into a range.
// Methods: min-max, moving-average min-max, percentile and MSE-optimal (both from a histogram), and KL.

export type CalibrationMethod = 'minmax' | 'moving-average' | 'percentile' | 'mse' | 'kl';

export interface CalibrationOptions {
  method: CalibrationMethod;
  /** percentile method: the fraction of values the range keeps on each side (default 99.99). */
  percentile?: number;
  /** moving-average method: weight of the running value (default 0.9). */
  momentum?: number;
  /** called after each sample (progress bars). */
  onProgress?: (done: number, total: number) => void;
}

export type Ranges = Map<string, { min: number; max: number }>;

const BINS = 2048;

interface Stat {
  min: number;
  max: number;
  avgMin: number;
  avgMax: number;
  seen: number;
  hist?: Float64Array;
  lo?: number;
  hi?: number;
}

/** Ranges for every float value of the graph (inputs and node outputs) over the samples. */
export function calibrate(g: Graph, samples: Map<string, Tensor>[], opts: CalibrationOptions = { method: 'minmax' }): Ranges {
  if (samples.length === 0) throw new RangeError('calibration needs at least one sample');
  const stats = new Map<string, Stat>();
  const needHist = opts.method === 'percentile' || opts.method === 'mse' || opts.method === 'kl';
  const momentum = opts.momentum ?? 0.9;
  const total = needHist ? samples.length * 2 : samples.length;
  let done = 0;
  // pass 1: extremes (and their moving averages)
  for (const s of samples) {
    const values = runFloat(g, s, { keepIntermediates: true });
    for (const [name, t] of values) {
      if (g.initializers.has(name) || !isFloat(t.dtype)) continue;
      let lo = Infinity;
      let hi = -Infinity;
      const d = t.data as Float32Array;
      for (let i = 0; i < d.length; i++) {
        const v = d[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const st = stats.get(name);
      if (!st) stats.set(name, { min: lo, max: hi, avgMin: lo, avgMax: hi, seen: 1 });
      else {
        st.min = Math.min(st.min, lo);
        st.max = Math.max(st.max, hi);
        st.avgMin = momentum * st.avgMin + (1 - momentum) * lo;
        st.avgMax = momentum * st.avgMax + (1 - momentum) * hi;
        st.seen++;
      }
    }
    opts.onProgress?.(++done, total);
  }
  // pass 2: histograms over [min(min,0), max(max,0)]
  if (needHist) {
    for (const st of stats.values()) {
      st.lo = Math.min(st.min, 0);
      st.hi = Math.max(st.max, 0);
      st.hist = new Float64Array(BINS);
    }
    for (const s of samples) {
      const values = runFloat(g, s, { keepIntermediates: true });
      for (const [name, t] of values) {
        const st = stats.get(name);
        if (!st?.hist) continue;
        const w = (st.hi! - st.lo!) / BINS || 1;
        const d = t.data as Float32Array;
        for (let i = 0; i < d.length; i++) {
          const b = Math.min(BINS - 1, Math.max(0, Math.floor((d[i]! - st.lo!) / w)));
          st.hist[b]!++;
        }
      }
      opts.onProgress?.(++done, total);
    }
  }
  const ranges: Ranges = new Map();
  for (const [name, st] of stats) {
    switch (opts.method) {
      case 'minmax':
        ranges.set(name, { min: st.min, max: st.max });
        break;
      case 'moving-average':
        ranges.set(name, { min: st.avgMin, max: st.avgMax });
        break;
      case 'percentile':
        ranges.set(name, percentileRange(st, opts.percentile ?? 99.99));
        break;
      case 'mse':
        ranges.set(name, searchRange(st, mseCost));
        break;
      case 'kl':
        ranges.set(name, searchRange(st, klCost));
        break;
    }
  }
  return ranges;
}

function binCenter(st: Stat, b: number): number {
  const w = (st.hi! - st.lo!) / BINS;
  return st.lo! + (b + 0.5) * w;
}

function percentileRange(st: Stat, pct: number): { min: number; max: number } {
  const h = st.hist!;
  const total = h.reduce((a, b) => a + b, 0);
  const cut = (total * (100 - pct)) / 100;
  let acc = 0;
  let lo = 0;
  while (lo < BINS - 1 && acc + h[lo]! <= cut) acc += h[lo++]!;
  acc = 0;
  let hi = BINS - 1;
  while (hi > lo && acc + h[hi]! <= cut) acc += h[hi--]!;
  const w = (st.hi! - st.lo!) / BINS;
  return { min: Math.max(st.min, st.lo! + lo * w), max: Math.min(st.max, st.lo! + (hi + 1) * w) };
}

/**
 * Expected squared error of int8 quantization with range [a, b] over the histogram: clipping error for mass
 * outside the range, rounding error inside. Values are spread uniformly within a bin, so a bin wider than the
 * quantization step contributes the step's uniform rounding error s^2/12 rather than its centre's error (with an
 * outlier stretching the histogram, the bulk of the data sits in a few bins).
 */
function mseCost(st: Stat, a: number, b: number): number {
  const h = st.hist!;
  const w = (st.hi! - st.lo!) / BINS;
  const q = actQuantFromRange(a, b); // the grid the int8 tensor will really have (0 exact)
  const s = q.scale;
  let cost = 0;
  for (let i = 0; i < BINS; i++) {
    if (!h[i]) continue;
    const v = binCenter(st, i);
    if (v < a) cost += h[i]! * ((a - v) ** 2 + (w * w) / 12);
    else if (v > b) cost += h[i]! * ((v - b) ** 2 + (w * w) / 12);
    else if (w >= s) cost += (h[i]! * s * s) / 12;
    else cost += h[i]! * (v - (quantizeValue(v, q) - q.zeroPoint) * s) ** 2;
  }
  return cost;
}

/** KL divergence between the histogram and its clipped, 255-level quantized version. */
function klCost(st: Stat, a: number, b: number): number {
  const h = st.hist!;
  const total = h.reduce((x, y) => x + y, 0);
  const s = (b - a) / 255;
  const q = new Float64Array(256);
  const idx = new Int32Array(BINS);
  for (let i = 0; i < BINS; i++) {
    const c = Math.min(b, Math.max(a, binCenter(st, i)));
    idx[i] = Math.round((c - a) / s);
    q[idx[i]!]! += h[i]!;
  }
  // spread each level's mass evenly over the bins that map to it (and are non-empty)
  const nonEmpty = new Float64Array(256);
  for (let i = 0; i < BINS; i++) if (h[i]) nonEmpty[idx[i]!]!++;
  let kl = 0;
  for (let i = 0; i < BINS; i++) {
    if (!h[i]) continue;
    const p = h[i]! / total;
    const qq = q[idx[i]!]! / nonEmpty[idx[i]!]! / total;
    kl += p * Math.log(p / qq);
  }
  return kl;
}

/** Shrinks the observed range in 1% steps toward the histogram's mass and keeps the cheapest. */
function searchRange(st: Stat, cost: (st: Stat, a: number, b: number) => number): { min: number; max: number } {
  let best = { min: st.lo!, max: st.hi! };
  let bestCost = Infinity;
  for (let k = 100; k >= 10; k -= 1) {
    const f = k / 100;
    const a = st.lo! * f;
    const b = st.hi! * f;
    if (!(b > a)) continue;
    const c = cost(st, a, b);
    if (c < bestCost) {
      bestCost = c;
      best = { min: a, max: b };
    }
  }
  return best;
}
