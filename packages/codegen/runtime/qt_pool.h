/* qt_pool.h: max_pool, avg_pool (2-D; 1-D as in_h = out_h = k_h = 1) and mean on int8. The C twins of evalPool and
   evalMean in packages/ops/src/ops/int_pool.ts (docs/arithmetic.md, "max_pool", "avg_pool, mean"). */
#ifndef QT_POOL_H
#define QT_POOL_H

#include <stdint.h>
#include "qt_math.h"
#include "qt_move.h" /* QT_MAX_DIMS, qt_requant_params_t */

/* max_pool / avg_pool: X [batches, in_h, in_w, channels] -> Y [batches, out_h, out_w, channels]. Tap (kh, kw) of
   output (oh, ow) reads input cell (oh * stride_h - pad_top + kh * dil_h, ow * stride_w - pad_left + kw * dil_w);
   only cells inside the input are read (every window holds at least one: the shape rule guarantees it).
     max: the max of the cells read;
     avg: divRound(sum + (padded - n) * pad_value, padded) with count_include_pad, else divRound(sum, n), n the
          cells read, padded the taps inside input + explicit pads (ceil mode's extra taps never count);
   then the optional requantizing stage, then the clamp [act_min, act_max]. */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dil_h, dil_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t count_include_pad;          /* avg only: 1 = divide by the padded count */
  int32_t pad_value;                  /* the input zero point: what a counted pad cell adds to the sum */
  int32_t act_min, act_max;           /* output clamp, within [-128, 127] */
  const qt_requant_params_t *requant; /* NULL unless the output was calibrated apart from the input (qtool) */
} qt_pool_params_t;

#define QT_MEAN_ROUND 0   /* qtool, equal parameters: divRound(S, count) */
#define QT_MEAN_TRUNC 1   /* tflite, equal parameters: S / count truncated (TFLite reference_ops::Mean) */
#define QT_MEAN_REQUANT 2 /* parameters differ: clamp(R(S + input_offset * count, m', s') + output_offset) */

/* mean: output element j (row-major over the kept axes) is S = the sum of the `count` input values at
   base_j + (offsets of the reduced axes), base_j from the kept axes' input strides. 1/count is folded into
   {multiplier, shift} at compile time for QT_MEAN_REQUANT (TS: meanFold). */
typedef struct {
  int32_t kept_rank;                 /* 1 .. QT_MAX_DIMS (a [1] axis of stride 0 when every axis is reduced) */
  int32_t kept_shape[QT_MAX_DIMS];
  int32_t kept_stride[QT_MAX_DIMS];  /* input step per kept axis */
  int32_t red_rank;                  /* 1 .. QT_MAX_DIMS */
  int32_t red_shape[QT_MAX_DIMS];
  int32_t red_stride[QT_MAX_DIMS];   /* input step per reduced axis */
  int32_t count;                     /* product of red_shape */
  int32_t method;                    /* QT_MEAN_ROUND, QT_MEAN_TRUNC or QT_MEAN_REQUANT */
  int32_t mode;                      /* R of QT_MEAN_REQUANT */
  int32_t input_offset;              /* -zero point of the input (QT_MEAN_REQUANT; else 0) */
  int32_t output_offset;             /* zero point of the output (QT_MEAN_REQUANT; else 0) */
  int32_t multiplier, shift;         /* s_in / s_out with 1/count folded in (QT_MEAN_REQUANT) */
} qt_mean_params_t;

void qt_max_pool_s8(const qt_pool_params_t *p, const int8_t *in, int8_t *out);
void qt_avg_pool_s8(const qt_pool_params_t *p, const int8_t *in, int8_t *out);
void qt_mean_s8(const qt_mean_params_t *p, const int8_t *in, int8_t *out);

#endif
