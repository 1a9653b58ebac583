/* qt_math.h: the integer primitives of qtool's arithmetic contract (docs/arithmetic.md), the C twins of
   @qtool/qmath. Integer-only, C99. Held equal to the TypeScript by packages/codegen/test (exhaustive and random). */
#ifndef QT_MATH_H
#define QT_MATH_H

#include <stdint.h>

/* Right shifts of negative signed values must be arithmetic (implementation-defined in C99; gcc, clang and
   arm-none-eabi-gcc all shift arithmetically). Fail the build anywhere that does not. */
typedef char qt_arithmetic_shift_check[((-8 >> 1) == -4 && ((int64_t)-8 >> 1) == -4) ? 1 : -1];

static inline int32_t qt_clamp(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : (x > hi ? hi : x); }

static inline int32_t qt_sat32(int64_t x) {
  return x < INT32_MIN ? INT32_MIN : (x > INT32_MAX ? INT32_MAX : (int32_t)x);
}

static inline int8_t qt_sat8(int32_t x) { return (int8_t)(x < -128 ? -128 : (x > 127 ? 127 : x)); }

/* a / b rounded to nearest, ties away from zero, b > 0 (TS: divRound) */
static inline int32_t qt_div_round(int32_t a, int32_t b) { return a >= 0 ? (a + b / 2) / b : (a - b / 2) / b; }

/* x / 2^e rounded to nearest, ties away from zero, 0 <= e <= 31 (TS: roundingDivideByPOT) */
static inline int32_t qt_rdivpot(int32_t x, int32_t e) {
  const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  const int32_t rem = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (rem > threshold ? 1 : 0);
}

/* saturating rounding doubling high multiply (TS: srdhm) */
static inline int32_t qt_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* TFLite's MultiplyByQuantizedMultiplier: two roundings (TS: mulByQuantizedMultiplierTflite) */
static inline int32_t qt_mul_tfl(int32_t x, int32_t m, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  return qt_rdivpot(qt_srdhm((int32_t)((uint32_t)x << left), m), right);
}

/* qtool's requantization: (x*m + 2^(r-1)) >> r, r = 31 - shift in 1..62, one rounding (TS: requant) */
static inline int32_t qt_requant(int32_t x, int32_t m, int32_t shift) {
  const int32_t r = 31 - shift;
  const int64_t p = (int64_t)x * (int64_t)m + ((int64_t)1 << (r - 1));
  return qt_sat32(p >> r);
}

/* the requantization of a rounding contract: mode 0 = qtool, 1 = tflite */
#define QT_MODE_QTOOL 0
#define QT_MODE_TFLITE 1
static inline int32_t qt_rq(int32_t mode, int32_t x, int32_t m, int32_t shift) {
  return mode == QT_MODE_TFLITE ? qt_mul_tfl(x, m, shift) : qt_requant(x, m, shift);
}

#endif
