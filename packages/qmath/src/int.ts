// Integer primitives of the arithmetic contract (docs/arithmetic.md). Every function names its C twin in
// packages/codegen/runtime/qt_math.h. Inputs are JS numbers holding integers in the stated ranges; results are
// exact (no float shortcut): products wider than 2^53 are split into 16-bit halves or done with BigInt.

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** Clamp to [lo, hi]. C: qt_clamp() */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Saturate to int32. C: qt_sat32() */
export function sat32(x: number): number {
  return x < INT32_MIN ? INT32_MIN : x > INT32_MAX ? INT32_MAX : x;
}

/** Saturate to int8. C: qt_sat8() */
export function sat8(x: number): number {
  return x < -128 ? -128 : x > 127 ? 127 : x;
}

/** Wrap to int32 (two's complement), what C's int32 addition does after a cast. C: (int32_t)(uint32_t) */
export function wrap32(x: number): number {
  return x | 0;
}

/**
 * a / b rounded to nearest, ties away from zero (b > 0). Used for average pooling and mean.
 * C: qt_div_round()  ->  a >= 0 ? (a + b/2) / b : (a - b/2) / b  (C division truncates toward zero)
 */
export function divRound(a: number, b: number): number {
  const h = Math.trunc(b / 2);
  return a >= 0 ? Math.trunc((a + h) / b) : Math.trunc((a - h) / b);
}

/**
 * x / 2^e rounded to nearest, ties away from zero (gemmlowp RoundingDivideByPOT), x int32, 0 <= e <= 31.
 * C: qt_rdivpot()
 */
export function roundingDivideByPOT(x: number, e: number): number {
  if (e === 0) return x;
  const mask = 2 ** e - 1;
  // remainder of x modulo 2^e as a non-negative number (x & mask in two's complement)
  const rem = x - Math.floor(x / 2 ** e) * 2 ** e;
  const threshold = Math.floor(mask / 2) + (x < 0 ? 1 : 0);
  return Math.floor(x / 2 ** e) + (rem > threshold ? 1 : 0);
}

/**
 * Saturating rounding doubling high multiply (gemmlowp SRDHM): (a*b*2 + 2^31) / 2^32 with the nudge
 * that rounds ties away from zero, truncating division, saturating the one overflow case
 * a = b = INT32_MIN. a, b int32. C: qt_srdhm()
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // exact with 16-bit splits: a*b + nudge = S * 2^16 + ul, 0 <= ul < 2^16, every term below 2^53
  const neg = (a < 0) !== (b < 0) && a !== 0 && b !== 0;
  const nudge = neg ? 1 - 2 ** 30 : 2 ** 30;
  const bh = Math.floor(b / 65536);
  const bl = b - bh * 65536;
  const u = a * bl + nudge;
  const uh = Math.floor(u / 65536);
  const ul = u - uh * 65536;
  const S = a * bh + uh;
  // truncating division of S * 2^16 + ul by 2^31 (see docs/arithmetic.md for why ul only matters when S < 0)
  const f = Math.floor(S / 32768);
  if (S >= 0) return f;
  return ul === 0 && f * 32768 === S ? f : f + 1;
}

/** The BigInt definition of srdhm, for tests. */
export function srdhmReference(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n));
}

/**
 * TFLite's MultiplyByQuantizedMultiplier: x * m * 2^shift with two roundings (SRDHM, then a rounding right
 * shift). m is a Q31 multiplier in [2^30, 2^31) (or 0), shift in [-31, 30]. Used in TFLite-compatible mode only.
 * C: qt_mul_tfl()
 */
export function mulByQuantizedMultiplierTflite(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  // left shift in int32 (TFLite: x * (1 << left_shift), wrapping is UB there; inputs keep it in range)
  return roundingDivideByPOT(srdhm(wrap32(x * 2 ** left), m), right);
}

/**
 * qtool's requantization: round(x * m / 2^(31 - shift)) with ONE rounding, ties toward +infinity:
 * (x * m + 2^(r-1)) >> r, r = 31 - shift, the product in 64 bits and the shift arithmetic (floor),
 * then saturated to int32. x int32, m in [0, 2^31), r in [1, 62]. C: qt_requant()
 */
export function requant(x: number, m: number, shift: number): number {
  const r = 31 - shift;
  if (r < 17) return requantBig(x, m, r);
  // exact: x*m = s*2^16 + ql with s = x*mh + floor(x*ml / 2^16), ql = x*ml mod 2^16 (all below 2^53);
  // the rounding constant 2^(r-1) is a multiple of 2^16, and ql / 2^16 < 1 cannot change the floor.
  const mh = Math.floor(m / 65536);
  const ml = m - mh * 65536;
  const q = x * ml;
  const qh = Math.floor(q / 65536);
  const s = x * mh + qh;
  return sat32(Math.floor((s + 2 ** (r - 17)) / 2 ** (r - 16)));
}

function requantBig(x: number, m: number, r: number): number {
  const p = BigInt(x) * BigInt(m) + (1n << BigInt(r - 1));
  return sat32(Number(p >> BigInt(r)));
}

/** The BigInt definition of requant, for tests. */
export function requantReference(x: number, m: number, shift: number): number {
  return requantBig(x, m, 31 - shift);
}
