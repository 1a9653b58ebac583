// Turning a real scale ratio into the integer multiplier format of the contract. This runs at compile time
// (in the quantizer), the only place float math meets the integer world.

/** A real multiplier M represented as m * 2^(shift - 31), m a Q31 integer in [2^30, 2^31) (or 0). */
export interface FixedMultiplier {
  multiplier: number;
  shift: number;
}

/**
 * The fixed-point form of a positive real multiplier, as TFLite's QuantizeMultiplier computes it:
 * M = q * 2^e with q in [0.5, 1), m = round(q * 2^31) (ties away from zero); m = 2^31 becomes 2^30 with e + 1;
 * exponents below -31 flush to zero. TS only (compile time).
 */
export function quantizeMultiplier(real: number): FixedMultiplier {
  if (!(real >= 0) || !Number.isFinite(real)) throw new RangeError(`multiplier must be finite and >= 0, got ${real}`);
  if (real === 0) return { multiplier: 0, shift: 0 };
  let e = Math.floor(Math.log2(real)) + 1;
  let q = real / 2 ** e;
  // correct log2 rounding at the edges so that q is in [0.5, 1)
  while (q >= 1) { q /= 2; e++; }
  while (q < 0.5) { q *= 2; e--; }
  let m = Math.round(q * 2 ** 31); // q > 0: Math.round is ties-away for positive values
  if (m === 2 ** 31) {
    m /= 2;
    e++;
  }
  if (e < -31) return { multiplier: 0, shift: 0 };
  if (e > 30) throw new RangeError(`multiplier ${real} is too large for the fixed-point format`);
  return { multiplier: m, shift: e };
}

/** The real value a fixed multiplier stands for (reports and tests). */
export function multiplierValue(f: FixedMultiplier): number {
  return f.multiplier * 2 ** (f.shift - 31);
}
