import type { FixedMultiplier } from '@qtool/qmath';

// Types shared by the per-op integer parameter builders (`quantize`) and integer references (`evalInt`).
// The quantizer implements QuantizeContext; op files only describe what their node needs.

/** Which rounding contract an integer model follows (docs/arithmetic.md). */
export type RoundingMode = 'qtool' | 'tflite';

/** Which extreme the integer weight offset comes from (ARCHITECTURE.md, the scheme). */
export type Anchor = 'min' | 'max';

/** How q is computed from w: `round(w/s) - o` ('offset') or `round((w - wmin)/s)` ('shifted'). */
export type WeightRounding = 'offset' | 'shifted';

/** Quantization of one activation tensor: real = scale * (q - zeroPoint). */
export interface ActQuant {
  dtype: 'int8' | 'int16';
  scale: number;
  zeroPoint: number;
}

/**
 * Integer weights of one layer. `q` holds the stored values (unsigned b-bit for our scheme; signed int8 for
 * TFLite-compatible weights, where anchor is 'min' and offsets are 0). The adjusted weight the arithmetic uses is
 * `q + offset[c]` (min-anchored) or `offset[c] - q` (max-anchored) for the channel c the element belongs to,
 * and real ≈ scale[c] * adjusted.
 */
export interface WeightQuant {
  bits: number;
  signed: boolean;
  anchor: Anchor;
  /** Channel axis of the weight tensor for per-channel parameters, or undefined for per-tensor. */
  axis?: number;
  scale: number[];
  offset: number[];
  shape: number[];
  q: Int16Array;
}

/** The adjusted integer weights (`q + o` or `o - q` per channel), as the simulator reads them. */
export function adjustedWeights(w: WeightQuant): Int32Array {
  const out = new Int32Array(w.q.length);
  const channels = w.axis === undefined ? 1 : w.shape[w.axis]!;
  const inner = w.axis === undefined ? w.q.length : w.shape.slice(w.axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < w.q.length; i++) {
    const c = w.axis === undefined ? 0 : Math.floor(i / inner) % channels;
    const o = w.offset[c]!;
    out[i] = w.anchor === 'min' ? w.q[i]! + o : o - w.q[i]!;
  }
  return out;
}

export interface QuantizeOptions {
  mode: RoundingMode;
  bits: number;
  granularity: 'tensor' | 'channel';
  anchor: Anchor;
  rounding: WeightRounding;
}

/** What an op's `quantize` may ask the quantizer for. */
export interface QuantizeContext {
  options: QuantizeOptions;
  /** The integer parameters of an activation tensor (calibrated, or kept from the model in TFLite mode). */
  act(tensor: string): ActQuant;
  /**
   * The quantized weights of a constant, per channel along `axis` when the granularity asks for it; `minScale`
   * (per channel) floors the scales so that a bias stays representable (ignored for weights kept in TFLite mode).
   */
  weights(tensor: string, axis: number, minScale?: number[]): WeightQuant;
  /** The float value of a constant (bias, slopes, ...). */
  constant(tensor: string): Float32Array;
  /** The int32 bias at the given per-channel scales (or the model's own int32 bias in TFLite mode). */
  bias(tensor: string | undefined, scales: number[], channels: number): Int32Array;
  multiplier(real: number): FixedMultiplier;
}
