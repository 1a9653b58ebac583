import { makeTensor, type Tensor } from '@qtool/ir';
import { quantizeMultiplier, sat32 } from '@qtool/qmath';
import type { ActQuant, Anchor, QuantizeContext, QuantizeOptions, WeightQuant } from '../src/quant.js';
import { actQuantFromRange, quantizeValue } from '../../quantizer/src/activations.js';
import { quantizeWeights, roundHalfAway } from '../../quantizer/src/weights.js';

// A small QuantizeContext for the MAC ops' integer tests (the real one is the quantizer's), and the independent
// integer arithmetic the tests compare evalInt with: adjusted weights and clamps written out from
// docs/arithmetic.md, not through the op files' helpers.

export function fakeContext(
  options: Partial<QuantizeOptions>,
  acts: Record<string, ActQuant>,
  consts: Record<string, { data: Float32Array; shape: number[] }>,
): QuantizeContext {
  const opts: QuantizeOptions = { mode: 'qtool', bits: 8, granularity: 'channel', anchor: 'min', rounding: 'offset', ...options };
  return {
    options: opts,
    act: (t) => {
      const q = acts[t];
      if (!q) throw new Error(`no act params for ${t}`);
      return q;
    },
    weights: (t, axis) => {
      const c = consts[t]!;
      return quantizeWeights(c.data, c.shape, {
        bits: opts.bits,
        anchor: opts.anchor,
        rounding: opts.rounding,
        axis: opts.granularity === 'channel' ? axis : undefined,
      });
    },
    constant: (t) => consts[t]!.data,
    bias: (t, scales, channels) => {
      const out = new Int32Array(channels);
      if (!t) return out;
      const b = consts[t]!.data;
      for (let c = 0; c < channels; c++) out[c] = sat32(roundHalfAway(b[c]! / scales[scales.length === 1 ? 0 : c]!));
      return out;
    },
    multiplier: quantizeMultiplier,
  };
}

/** The adjusted weight of element i of a [C, ...] weight tensor, straight from the scheme's definition. */
export function adjusted(w: WeightQuant, i: number): number {
  const per = w.q.length / w.shape[0]!;
  const c = w.scale.length === 1 ? 0 : Math.floor(i / per);
  const o = w.offset[c]!;
  const a: Anchor = w.anchor;
  return a === 'min' ? w.q[i]! + o : o - w.q[i]!;
}

/** [lo, hi] of a fused clamp at the output's parameters, written out. */
export function clampBounds(y: ActQuant, actMin?: number, actMax?: number): [number, number] {
  const lo = actMin === undefined ? -128 : Math.max(-128, y.zeroPoint + roundHalfAway(actMin / y.scale));
  const hi = actMax === undefined ? 127 : Math.min(127, y.zeroPoint + roundHalfAway(actMax / y.scale));
  return [lo, hi];
}

/** Float tensor -> int8 tensor with an activation's parameters. */
export function quantizeTensor(t: Tensor, q: ActQuant): Tensor {
  return makeTensor('int8', t.shape, Int8Array.from(t.data as Float32Array, (v) => quantizeValue(v, q)));
}

/** Float tensor <- int8 tensor. */
export function dequantizeTensor(t: Tensor, q: ActQuant): number[] {
  return Array.from(t.data as Int8Array, (v) => q.scale * (v - q.zeroPoint));
}

/** The activation parameters of a float tensor's own range. */
export function rangeOf(t: Tensor): ActQuant {
  const d = t.data as Float32Array;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of d) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return actQuantFromRange(lo, hi);
}

export { actQuantFromRange, roundHalfAway };
