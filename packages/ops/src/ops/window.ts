import type { Node, Tensor, TensorInfo } from '@qtool/ir';
import { attrBool, attrInts, shapeError } from '../util.js';

// Sliding-window geometry shared by conv, max_pool and avg_pool. Activations are channels-last,
// [N, S1..Sr, C] (docs/ir.md), and every helper here is generic over the number of spatial axes r,
// because ONNX conformance covers 1-D, 2-D and 3-D windows.

/** Anything with a static type: a TensorInfo in shape rules, a Tensor in the float reference. */
export type Shaped = TensorInfo | Tensor;

/** The window of one node, one entry per spatial axis (pads: begins then ends, as in ONNX). */
export interface WindowGeom {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  ceilMode: boolean;
}

/**
 * Reads strides/dilations/pads (and ceilMode when the op has it) for a window of `kernel`.
 * Absent attributes take the ONNX defaults: strides and dilations 1, pads 0, ceil_mode off.
 */
export function readGeom(node: Node, kernel: number[], withCeil: boolean): WindowGeom {
  const r = kernel.length;
  const strides = attrInts(node, 'strides', new Array<number>(r).fill(1));
  const dilations = attrInts(node, 'dilations', new Array<number>(r).fill(1));
  const pads = attrInts(node, 'pads', new Array<number>(2 * r).fill(0));
  if (strides.length !== r) shapeError(node, `strides has ${strides.length} entries, expected ${r}`);
  if (dilations.length !== r) shapeError(node, `dilations has ${dilations.length} entries, expected ${r}`);
  if (pads.length !== 2 * r) shapeError(node, `pads has ${pads.length} entries, expected ${2 * r} (begins then ends)`);
  const positive = (v: number) => Number.isInteger(v) && v >= 1;
  if (!kernel.every(positive)) shapeError(node, `kernel [${kernel}] must be positive integers`);
  if (!strides.every(positive)) shapeError(node, `strides [${strides}] must be positive integers`);
  if (!dilations.every(positive)) shapeError(node, `dilations [${dilations}] must be positive integers`);
  if (!pads.every((p) => Number.isInteger(p) && p >= 0)) shapeError(node, `pads [${pads}] must be non-negative integers`);
  return { kernel, strides, dilations, pads, ceilMode: withCeil && attrBool(node, 'ceilMode') };
}

/**
 * Output extent of each spatial axis. ONNX Conv/MaxPool/AveragePool:
 * out = floor((in + pb + pe - ((k-1)*d + 1)) / s) + 1, with ceil instead of floor under ceil_mode; then a last
 * window that would start in the right padding (start >= in + pb in padded coordinates) is dropped.
 */
export function outputSpatial(node: Node, spatial: readonly number[], g: WindowGeom): number[] {
  const r = spatial.length;
  return spatial.map((n, i) => {
    const s = g.strides[i]!;
    const pb = g.pads[i]!;
    const pe = g.pads[r + i]!;
    const ek = (g.kernel[i]! - 1) * g.dilations[i]! + 1;
    const span = n + pb + pe - ek;
    if (span < 0) shapeError(node, `spatial axis ${i}: window ${ek} is larger than padded input ${n + pb + pe}`);
    let out = (g.ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (g.ceilMode && (out - 1) * s >= n + pb) out--;
    return out;
  });
}

/** The taps of one window along one axis. */
export interface AxisWindow {
  /** input positions inside [0, in) */
  pos: number[];
  /** kernel index of each of those positions */
  k: number[];
  /** taps inside input + explicit pads (excludes cells that exist only because of ceil mode) */
  padded: number;
}

/** For each spatial axis and each output index along it, the window's taps on that axis. */
export function axisWindows(spatial: readonly number[], out: readonly number[], g: WindowGeom): AxisWindow[][] {
  const r = spatial.length;
  return spatial.map((n, i) => {
    const s = g.strides[i]!;
    const d = g.dilations[i]!;
    const pb = g.pads[i]!;
    const limit = n + g.pads[r + i]!; // end of input + explicit end pad, relative to input start
    const list: AxisWindow[] = [];
    for (let o = 0; o < out[i]!; o++) {
      const w: AxisWindow = { pos: [], k: [], padded: 0 };
      for (let k = 0; k < g.kernel[i]!; k++) {
        const p = o * s - pb + k * d;
        if (p < limit) w.padded++;
        if (p >= 0 && p < n) {
          w.pos.push(p);
          w.k.push(k);
        }
      }
      list.push(w);
    }
    return list;
  });
}

/** Pools have no padding value: every window must read at least one input cell. */
export function checkNoEmptyWindow(node: Node, windows: AxisWindow[][]): void {
  windows.forEach((list, i) => {
    const o = list.findIndex((w) => w.pos.length === 0);
    if (o >= 0) shapeError(node, `spatial axis ${i}: output ${o} reads only padding (pads too large for the kernel)`);
  });
}

/** Row-major strides of a [N, S1..Sr, C] tensor for its spatial axes, in elements. */
export function spatialStrides(spatial: readonly number[], channels: number): number[] {
  const st = new Array<number>(spatial.length);
  let acc = channels;
  for (let i = spatial.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= spatial[i]!;
  }
  return st;
}

/** Writes the multi-index of `flat` within `shape` into `idx` (row-major). */
export function unravel(flat: number, shape: readonly number[], idx: number[]): void {
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    idx[i] = flat % d;
    flat = Math.floor(flat / d);
  }
}

/** One whole r-D window: the input offsets of its taps (relative to the batch), and matching kernel offsets. */
export interface Window {
  x: number[];
  k: number[];
  /** product of the per-axis `padded` counts */
  padded: number;
}

/**
 * The cartesian product of the per-axis taps of the window at output multi-index `o`.
 * `inStr` are spatialStrides of the input, `kStr` row-major strides of the kernel grid scaled as the caller wants.
 */
export function windowAt(windows: AxisWindow[][], o: readonly number[], inStr: readonly number[], kStr: readonly number[]): Window {
  const r = o.length;
  const axes = windows.map((list, i) => list[o[i]!]!);
  const res: Window = { x: [], k: [], padded: axes.reduce((a, w) => a * w.padded, 1) };
  if (axes.some((w) => w.pos.length === 0)) return res;
  const j = new Array<number>(r).fill(0); // odometer over the per-axis tap lists
  for (;;) {
    let xo = 0;
    let ko = 0;
    for (let i = 0; i < r; i++) {
      xo += axes[i]!.pos[j[i]!]! * inStr[i]!;
      ko += axes[i]!.k[j[i]!]! * kStr[i]!;
    }
    res.x.push(xo);
    res.k.push(ko);
    let i = r - 1;
    while (i >= 0 && ++j[i]! === axes[i]!.pos.length) j[i--] = 0;
    if (i < 0) return res;
  }
}

/** Element values as JS numbers without copying float data (int64 is converted). */
export function values(t: Tensor): ArrayLike<number> {
  return t.data instanceof BigInt64Array ? Float64Array.from(t.data, Number) : t.data;
}

/** Checks that X is [N, S1..Sr, C] with r >= 1 and returns r. */
export function spatialRank(node: Node, x: Shaped): number {
  if (x.shape.length < 3) shapeError(node, `X must be [N, S1..Sr, C] with at least one spatial axis, got [${x.shape}]`);
  return x.shape.length - 2;
}

/** A pooling node's geometry: X [N, S1..Sr, C] with attrs kernel, strides, dilations, pads, ceilMode. */
export interface PoolPlan {
  batch: number;
  spatial: number[];
  channels: number;
  geom: WindowGeom;
  out: number[];
  windows: AxisWindow[][];
}

export function planPool(node: Node, inputs: (Shaped | undefined)[]): PoolPlan {
  const x = inputs[0];
  if (!x) shapeError(node, 'input 0 is required');
  const r = spatialRank(node, x);
  const kernel = attrInts(node, 'kernel');
  if (kernel.length !== r) shapeError(node, `kernel [${kernel}] has ${kernel.length} entries, X [${x.shape}] has ${r} spatial axes`);
  const spatial = x.shape.slice(1, r + 1);
  const geom = readGeom(node, kernel, true);
  const out = outputSpatial(node, spatial, geom);
  const windows = axisWindows(spatial, out, geom);
  checkNoEmptyWindow(node, windows);
  return { batch: x.shape[0]!, spatial, channels: x.shape[r + 1]!, geom, out, windows };
}

/**
 * Runs `reduce` for every (batch, output position, channel): it gets the input values' flat offsets of the
 * window (relative to channel c) and the window, and returns the output value.
 */
export function poolLoop(p: PoolPlan, reduce: (base: number, win: Window) => number): Float32Array {
  const r = p.spatial.length;
  const inStr = spatialStrides(p.spatial, p.channels);
  const kStr = spatialStrides(p.geom.kernel, 1);
  const outSp = p.out.reduce((a, d) => a * d, 1);
  const inBatch = p.spatial.reduce((a, d) => a * d, 1) * p.channels;
  const y = new Float32Array(p.batch * outSp * p.channels);
  const o = new Array<number>(r).fill(0);
  for (let s = 0; s < outSp; s++) {
    unravel(s, p.out, o);
    const win = windowAt(p.windows, o, inStr, kStr);
    for (let n = 0; n < p.batch; n++)
      for (let c = 0; c < p.channels; c++) y[(n * outSp + s) * p.channels + c] = reduce(n * inBatch + c, win);
  }
  return y;
}
