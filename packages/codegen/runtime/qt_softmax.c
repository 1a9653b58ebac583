/* qt_softmax.c: softmax, qtool's table form and TFLite's fixed-point form (qt_softmax.h). */
#include "qt_runtime.h"

static int32_t qt_row_max(const int8_t *x, int32_t len, int32_t step) {
  int32_t m = -128, i;
  for (i = 0; i < len; i++)
    if (x[i * step] > m) m = x[i * step];
  return m;
}

void qt_softmax_s8(const qt_softmax_params_t *p, const int8_t *in, int8_t *out) {
  const int32_t len = p->len, step = p->inner;
  const uint16_t *e = p->exp_table;
  int32_t o, j, i;
  for (o = 0; o < p->outer; o++)
    for (j = 0; j < step; j++) {
      const int32_t base = o * len * step + j;
      const int8_t *x = in + base;
      int8_t *y = out + base;
      const int32_t max = qt_row_max(x, len, step);
      int32_t sum = 0; /* <= 2^15 * len */
      for (i = 0; i < len; i++) sum += e[max - x[i * step]];
      for (i = 0; i < len; i++) {
        int32_t v = qt_clamp(qt_div_round((int32_t)e[max - x[i * step]] * 256, sum) - 128, -128, 127);
        if (p->requant) v = qt_requant_one(p->requant, v, p->requant->mode);
        y[i * step] = (int8_t)v;
      }
    }
}

/* exp(diff) in Q0.31 for diff = x - max >= diff_min: the difference rescaled to Q5.26 */
static inline int32_t qt_softmax_exp(const qt_softmax_tfl_params_t *p, int32_t diff) {
  /* |diff| * 2^left_shift <= 31 * 2^26 for diff >= diff_min: exact in int32 */
  return qt_fp_exp_neg_q5(qt_srdhm(diff * ((int32_t)1 << p->input_left_shift), p->input_multiplier));
}

void qt_softmax_tfl_s8(const qt_softmax_tfl_params_t *p, const int8_t *in, int8_t *out) {
  const int32_t len = p->len, step = p->inner;
  int32_t o, j, i;
  for (o = 0; o < p->outer; o++)
    for (j = 0; j < step; j++) {
      const int32_t base = o * len * step + j;
      const int8_t *x = in + base;
      int8_t *y = out + base;
      const int32_t max = qt_row_max(x, len, step);
      int32_t sum = 0; /* Q12.19, >= 2^19: the max cell contributes exp(0) */
      int32_t headroom, bits_over_unit, recip;
      for (i = 0; i < len; i++) {
        const int32_t diff = x[i * step] - max;
        if (diff >= p->diff_min) sum += qt_rdivpot(qt_softmax_exp(p, diff), 12); /* Q0.31 -> Q12.19 */
      }
      /* normalise the sum to [1, 2) and take 1 / (1 + fraction) */
      headroom = qt_fp_clz((uint32_t)sum);
      bits_over_unit = 12 - headroom;
      recip = qt_fp_recip((int32_t)(((uint32_t)sum << headroom) - 0x80000000u));
      for (i = 0; i < len; i++) {
        const int32_t diff = x[i * step] - max;
        if (diff < p->diff_min) {
          y[i * step] = -128;
        } else {
          /* the exponent is 23 .. 35: above 31 only for sums of 2^28 and more (rows of 512 or more cells) */
          const int32_t unsat = qt_fp_rdivpot_wide(qt_srdhm(recip, qt_softmax_exp(p, diff)), bits_over_unit + 31 - 8);
          y[i * step] = (int8_t)qt_clamp(unsat - 128, -128, 127);
        }
      }
    }
}
