import type { Anchor, WeightQuant, WeightRounding } from '@qtool/ops';

// The asymmetric weight scheme (ARCHITECTURE.md, docs/arithmetic.md): per tensor or per output channel,
// extremes -> scale from the bit count -> integer offset from one extreme -> unsigned b-bit q.

/** Round half away from zero: the compile-time rounding of the scheme. */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) || 0 : Math.round(v); // || 0: no negative zero in the integers we store
}

export interface WeightSchemeOptions {
  bits: number;
  anchor: Anchor;
  rounding: WeightRounding;
  /** Channel axis for per-channel parameters; undefined = one set for the whole tensor. */
  axis?: number;
  /**
   * Smallest scale per channel (one value for a per-tensor scale): a channel whose weights are all but zero while
   * its bias is not would get a bias of bias / (s_w * s_x) far beyond int32; its scale is widened instead.
   */
  minScale?: number[];
}

/** Quantizes a float weight tensor with our scheme. */
export function quantizeWeights(w: Float32Array, shape: number[], opts: WeightSchemeOptions): WeightQuant {
  const { bits, anchor, rounding, axis } = opts;
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new RangeError(`weight bits must be 2..8, got ${bits}`);
  const levels = 2 ** bits - 1;
  const channels = axis === undefined ? 1 : shape[axis]!;
  const inner = axis === undefined ? w.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = axis === undefined ? 1 : shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const lo = new Array<number>(channels).fill(Infinity);
  const hi = new Array<number>(channels).fill(-Infinity);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    const v = w[i]!;
    if (v < lo[c]!) lo[c] = v;
    if (v > hi[c]!) hi[c] = v;
  }
  const scale = new Array<number>(channels);
  const offset = new Array<number>(channels);
  for (let c = 0; c < channels; c++) {
    const wmin = lo[c]!;
    const wmax = hi[c]!;
    const floor = opts.minScale?.[c] ?? 0;
    if (!(wmax > wmin)) {
      // degenerate: all equal (or an empty channel). v != 0: s = |v| so the adjusted weight is exactly +-1.
      const v = Number.isFinite(wmin) ? wmin : 0;
      scale[c] = v === 0 ? 1 : Math.abs(v);
      offset[c] = v === 0 ? 0 : Math.sign(v);
      if (scale[c]! < floor) {
        scale[c] = floor;
        offset[c] = roundHalfAway(v / floor);
      }
      continue;
    }
    const s = Math.max((wmax - wmin) / levels, floor);
    scale[c] = s;
    offset[c] = roundHalfAway((anchor === 'min' ? wmin : wmax) / s);
  }
  const q = new Int16Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    const s = scale[c]!;
    const o = offset[c]!;
    let v: number;
    if (!(hi[c]! > lo[c]!)) v = 0;
    else if (rounding === 'offset') v = anchor === 'min' ? roundHalfAway(w[i]! / s) - o : o - roundHalfAway(w[i]! / s);
    else v = roundHalfAway(anchor === 'min' ? (w[i]! - lo[c]!) / s : (hi[c]! - w[i]!) / s);
    q[i] = v < 0 ? 0 : v > levels ? levels : v;
  }
  void outer;
  return { bits, signed: false, anchor, axis, scale, offset, shape: [...shape], q };
}

/** The float weights a quantization stands for: scale[c] * adjusted (for error measurements). */
export function dequantizeWeights(wq: WeightQuant): Float32Array {
  const out = new Float32Array(wq.q.length);
  const channels = wq.axis === undefined ? 1 : wq.shape[wq.axis]!;
  const inner = wq.axis === undefined ? wq.q.length : wq.shape.slice(wq.axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < out.length; i++) {
    const c = wq.axis === undefined ? 0 : Math.floor(i / inner) % channels;
    const adj = wq.anchor === 'min' ? wq.q[i]! + wq.offset[c]! : wq.offset[c]! - wq.q[i]!;
    out[i] = wq.scale[c]! * adj;
  }
  return out;
}
