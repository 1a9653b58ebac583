/* qt_softmax.h: softmax on int8, output scale 1/256 and zero point -128. The C twins of evalSoftmax in
   packages/ops/src/ops/int_softmax.ts (docs/arithmetic.md, "softmax"), and of the gemmlowp fixed-point helpers
   of int_fixedpoint.ts as static inline qt_fp_* functions (a value with I integer bits is an int32 raw r
   standing for r / 2^(31 - I)). */
#ifndef QT_SOFTMAX_H
#define QT_SOFTMAX_H

#include <stdint.h>
#include "qt_math.h"
#include "qt_move.h" /* qt_requant_params_t */

/* The rows: element i of row (o, j) is at (o * len + i) * inner + j, o < outer, j < inner (the axis' stride). */

/* qtool: d = max - x in [0, 255], y = clamp(divRound(exp_table[d] * 256, sum_row exp_table[d]) - 128, -128, 127),
   exp_table[d] = round(2^15 exp(-beta s_x d)); rows shorter than 65536 (the sum stays in int32). */
typedef struct {
  int32_t outer, len, inner;
  const uint16_t *exp_table;          /* [256], values in [0, 2^15] */
  const qt_requant_params_t *requant; /* NULL unless the output is not (1/256, -128) */
} qt_softmax_params_t;

/* tflite: TFLite's reference int8 softmax (CMSIS-NN arm_softmax_s8's arguments); rows shorter than 4096 (the
   Q12.19 sum stays in int32). */
typedef struct {
  int32_t outer, len, inner;
  int32_t input_multiplier;  /* Q31 */
  int32_t input_left_shift;  /* >= 0 */
  int32_t diff_min;          /* < 0: cells with x - max < diff_min give -128 */
} qt_softmax_tfl_params_t;

void qt_softmax_s8(const qt_softmax_params_t *p, const int8_t *in, int8_t *out);
void qt_softmax_tfl_s8(const qt_softmax_tfl_params_t *p, const int8_t *in, int8_t *out);

/* wrapping int32 addition and subtraction (two's complement), as gemmlowp's raw arithmetic (TS: wrap32(a +- b)) */
static inline int32_t qt_fp_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t qt_fp_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* x * 2^e saturated, 1 <= e <= 31 (gemmlowp SaturatingRoundingMultiplyByPOT, positive exponent). TS: satShiftLeft */
static inline int32_t qt_fp_sat_shl(int32_t x, int32_t e) {
  const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - e)) - 1u);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << e);
}

/* (a + b) / 2 rounded half away from zero, in 64 bits (gemmlowp RoundingHalfSum). TS: roundingHalfSum */
static inline int32_t qt_fp_half_sum(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a + (int64_t)b;
  return (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
}

/* x / 2^e rounded to nearest, ties away from zero, for 0 <= e <= 62: qt_rdivpot widened to 64 bits, so that an
   exponent above 31 gives what roundingDivideByPOT computes on exact integers (0, or -1 for INT32_MIN and e = 32). */
static inline int32_t qt_fp_rdivpot_wide(int32_t x, int32_t e) {
  const int64_t mask = ((int64_t)1 << e) - 1;
  const int64_t rem = (int64_t)x & mask;
  const int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (int32_t)(((int64_t)x >> e) + (rem > threshold ? 1 : 0));
}

/* leading zeros of a non-zero 32-bit value (TS: Math.clz32) */
static inline int32_t qt_fp_clz(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return (int32_t)__builtin_clz(x);
#else
  int32_t n = 0;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    n++;
  }
  return n;
#endif
}

/* exp(a) for a in [-1/4, 0), both with 0 integer bits: Taylor series around -1/8. TS: expOnIntervalNegQuarterTo0 */
static inline int32_t qt_fp_exp_neg_quarter(int32_t a) {
  const int32_t const_term = 1895147668; /* exp(-1/8) in Q0.31 */
  const int32_t one_third = 715827883;   /* 1/3 in Q0.31 */
  const int32_t x = qt_fp_add(a, 1 << 28); /* a + 1/8 */
  const int32_t x2 = qt_srdhm(x, x);
  const int32_t x3 = qt_srdhm(x2, x);
  const int32_t x4 = qt_srdhm(x2, x2);
  const int32_t x4_over_4 = qt_rdivpot(x4, 2);
  const int32_t poly = qt_rdivpot(qt_fp_add(qt_srdhm(qt_fp_add(x4_over_4, x3), one_third), x2), 1);
  return qt_fp_add(const_term, qt_srdhm(const_term, qt_fp_add(x, poly)));
}

/* exp(a) for a <= 0 in Q5.26, result Q0.31 (gemmlowp exp_on_negative_values, 5 integer bits). TS: expOnNegativeValuesQ5 */
static inline int32_t qt_fp_exp_neg_q5(int32_t a) {
  const int32_t quarter = 1 << 24; /* 1/4 in Q5.26 */
  const int32_t a_mod_quarter_minus_quarter = qt_fp_sub(a & (quarter - 1), quarter);
  const int32_t remainder = qt_fp_sub(a_mod_quarter_minus_quarter, a);
  int32_t result = qt_fp_exp_neg_quarter(qt_fp_sat_shl(a_mod_quarter_minus_quarter, 5));
  /* barrel shifter: exp(-2^k) in Q0.31 for each set bit 26 + k of the remainder, k = -2 .. 4 */
  if (remainder & (1 << 24)) result = qt_srdhm(result, 1672461947);
  if (remainder & (1 << 25)) result = qt_srdhm(result, 1302514674);
  if (remainder & (1 << 26)) result = qt_srdhm(result, 790015084);
  if (remainder & (1 << 27)) result = qt_srdhm(result, 290630308);
  if (remainder & (1 << 28)) result = qt_srdhm(result, 39332535);
  if (remainder & (1 << 29)) result = qt_srdhm(result, 720401);
  if (remainder & (1 << 30)) result = qt_srdhm(result, 242);
  return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1) in Q0.31, result Q0.31: Newton-Raphson, 3 steps (gemmlowp
   one_over_one_plus_x_for_x_in_0_1). TS: oneOverOnePlusX */
static inline int32_t qt_fp_recip(int32_t a) {
  const int32_t half_denominator = qt_fp_half_sum(a, INT32_MAX); /* Q0.31 */
  const int32_t c48_over_17 = 1515870810;                         /* Q2.29 */
  const int32_t c_neg32_over_17 = -1010580540;                    /* Q2.29 */
  const int32_t one_q2 = 1 << 29;
  int32_t x = qt_fp_add(c48_over_17, qt_srdhm(half_denominator, c_neg32_over_17));
  int32_t i;
  for (i = 0; i < 3; i++) {
    const int32_t one_minus = qt_fp_sub(one_q2, qt_srdhm(half_denominator, x)); /* Q2.29 */
    x = qt_fp_add(x, qt_fp_sat_shl(qt_srdhm(x, one_minus), 2));             /* Q4.27 -> Q2.29 */
  }
  return qt_fp_sat_shl(x, 1); /* x / 2 read as Q1.30, rescaled to Q0.31 */
}

#endif
