import type { ActQuant } from '@qtool/ops';
import { roundHalfAway } from './weights.js';

/**
 * Asymmetric int8 parameters for a calibrated range, widened to include 0 so zero is exact
 * (docs/arithmetic.md): scale = (max - min) / 255, zeroPoint = clamp(round(-128 - min/scale), -128, 127).
 */
export function actQuantFromRange(min: number, max: number): ActQuant {
  let lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`activation range [${min}, ${max}] is not finite`);
  if (hi - lo < 1e-8) {
    // a tensor that is always 0: any scale represents it; keep one that cannot blow up multipliers
    lo = 0;
    hi = 1e-3;
  }
  const scale = (hi - lo) / 255;
  const zeroPoint = Math.min(127, Math.max(-128, roundHalfAway(-128 - lo / scale)));
  return { dtype: 'int8', scale, zeroPoint };
}

/** Float -> int8 with an activation's parameters: clamp(round(x/s) + zp), ties away from zero. */
export function quantizeValue(x: number, q: ActQuant): number {
  const v = roundHalfAway(x / q.scale) + q.zeroPoint;
  return v < -128 ? -128 : v > 127 ? 127 : v;
}
