import { INT32_MAX, INT32_MIN, roundingDivideByPOT, srdhm, wrap32 } from '@qtool/qmath';

// gemmlowp-style fixed-point helpers for TFLite's int8 softmax (tflite mode only). A value with I integer bits is
// an int32 raw r standing for r / 2^(31 - I). Products of two such values are srdhm of the raws (integer bits
// add up); sums are plain int32 additions. Everything here is integer arithmetic on int32 values.
// C twins live beside qt_math.h as qt_fp_*.

/** x · 2^e with saturation, e >= 1 (gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent). C: qt_fp_sat_shl() */
export function satShiftLeft(x: number, e: number): number {
  const threshold = 2 ** (31 - e) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** e;
}

/** (a + b) / 2 rounded half away from zero, computed in 64 bits (gemmlowp RoundingHalfSum). C: qt_fp_half_sum() */
export function roundingHalfSum(a: number, b: number): number {
  const s = a + b; // exact: |s| < 2^32
  return Math.trunc((s + (s >= 0 ? 1 : -1)) / 2);
}

/** exp(a) for a in [-1/4, 0), a with 0 integer bits; result with 0 integer bits (Taylor series around -1/8). */
function expOnIntervalNegQuarterTo0(a: number): number {
  const constTerm = 1895147668; // exp(-1/8) in Q0.31
  const oneThird = 715827883; // 1/3 in Q0.31
  const x = wrap32(a + (1 << 28)); // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT(wrap32(srdhm(wrap32(x4Over4 + x3), oneThird) + x2), 1); // x^4/24 + x^3/6 + x^2/2
  return wrap32(constTerm + srdhm(constTerm, wrap32(x + poly)));
}

/** Barrel-shifter factors exp(-2^k) in Q0.31 for k = -2..4 (bit 26 + k of the remainder in Q5.26). */
const EXP_BARREL: readonly [number, number][] = [
  [-2, 1672461947],
  [-1, 1302514674],
  [0, 790015084],
  [1, 290630308],
  [2, 39332535],
  [3, 720401],
  [4, 242],
];

/**
 * exp(a) for a <= 0 given with 5 integer bits (Q5.26 raw), result Q0.31 (gemmlowp exp_on_negative_values,
 * kIntegerBits = 5 as TFLite's softmax uses it). C: qt_fp_exp_neg_q5()
 */
export function expOnNegativeValuesQ5(a: number): number {
  const fracBits = 26;
  const quarter = 1 << (fracBits - 2);
  const aModQuarterMinusQuarter = wrap32((a & (quarter - 1)) - quarter);
  // rescale from 5 integer bits to 0: a saturating shift left by 5
  let result = expOnIntervalNegQuarterTo0(satShiftLeft(aModQuarterMinusQuarter, 5));
  const remainder = wrap32(aModQuarterMinusQuarter - a);
  for (const [k, factor] of EXP_BARREL) if (remainder & (1 << (fracBits + k))) result = srdhm(result, factor);
  return a === 0 ? INT32_MAX : result;
}

/** 1 / (1 + x) for x in [0, 1) in Q0.31, result Q0.31 (gemmlowp one_over_one_plus_x_for_x_in_0_1). C: qt_fp_recip() */
export function oneOverOnePlusX(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX); // Q0.31
  const c48over17 = 1515870810; // Q2.29
  const cNeg32over17 = -1010580540; // Q2.29
  const oneQ2 = 1 << 29;
  let x = wrap32(c48over17 + srdhm(halfDenominator, cNeg32over17)); // Q2.29
  for (let i = 0; i < 3; i++) {
    const hdx = srdhm(halfDenominator, x); // Q2.29
    const oneMinus = wrap32(oneQ2 - hdx); // Q2.29
    x = wrap32(x + satShiftLeft(srdhm(x, oneMinus), 2)); // Q4.27 product rescaled to Q2.29
  }
  // x / 2 read as Q1.30 (same raw), rescaled to Q0.31
  return satShiftLeft(x, 1);
}
