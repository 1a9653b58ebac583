/* qt_mac.h: the multiply-accumulate kernels, conv (2-D, 1-D as H = 1, grouped, depthwise with channel
   multiplier), fully_connected and matmul. The C twins of evalInt in packages/ops/src/ops/{conv,fully_connected,
   matmul}.ts (docs/arithmetic.md, "conv, fully_connected, matmul"):
     acc = bias[c] + sum adj[c,k] * (x[k] + input_offset)                  (int32; the quantizer proves the bound)
     y   = clamp(sat32(R(acc, m[c], s[c]) + output_offset), act_min, act_max), R = qt_rq(mode, ...)
   Activations are int8 NHWC; the parameters are constants the generated model source fills in. The kernels
   check nothing: the quantizer and the emitter validated every field. */
#ifndef QT_MAC_H
#define QT_MAC_H

#include "qt_runtime.h" /* qt_weights_t, qt_requant_t, qt_math.h */

/* conv: X [batches, in_h, in_w, in_c] -> Y [batches, out_h, out_w, out_c], weights [out_c, k_h, k_w,
   in_c / groups]. Output channel o reads the in_c / groups input channels of group o / (out_c / groups);
   depthwise is groups = in_c (channel multiplier out_c / in_c). Input cell of tap (kh, kw) at output (oh, ow):
   (oh * stride_h - pad_top + kh * dil_h, ow * stride_w - pad_left + kw * dil_w); cells outside the input are
   padding and add 0. A 1-D conv is in_h = out_h = k_h = 1, pad_top = pad_bottom = 0. */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dil_h, dil_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right; /* the ends are implied by out_h/out_w; kept for readers */
  int32_t groups;
  int32_t input_offset;         /* -zero point of the input: added to every input value */
  int32_t output_offset;        /* zero point of the output: added after requantization */
  const qt_weights_t *weights;  /* [out_c, k_h, k_w, in_c / groups] */
  const int32_t *bias;          /* [out_c] at s_w[c] * s_x, or NULL when all zero */
  const qt_requant_t *requant;  /* [out_c] when per_channel_requant, else [1] */
  int32_t per_channel_requant;
  int32_t mode;                 /* QT_MODE_QTOOL or QT_MODE_TFLITE */
  int32_t act_min, act_max;     /* output clamp, within [-128, 127] */
} qt_conv_params_t;

/* fully_connected: X [batches, in_features] -> Y [batches, out_features], weights [out_features, in_features]
   (batches = product of every axis of X but the last). */
typedef struct {
  int32_t batches;
  int32_t in_features;
  int32_t out_features;
  int32_t input_offset;         /* -zero point of the input: added to every input value */
  int32_t output_offset;        /* zero point of the output: added after requantization */
  const qt_weights_t *weights;  /* [out_features, in_features] */
  const int32_t *bias;          /* [out_features], or NULL when all zero */
  const qt_requant_t *requant;  /* [out_features] when per_channel_requant, else [1] */
  int32_t per_channel_requant;
  int32_t mode;
  int32_t act_min, act_max;
} qt_fc_params_t;

#define QT_MATMUL_MAX_BATCH_DIMS 4

/* matmul (NumPy): A [batch..., m, k] x B [batch..., k, n] -> Y [batch..., m, n], both operands activations.
   The output's batch axes are batch_shape[0 .. batch_dims); matrix t of the output (row-major over them) reads
   matrix sum_d idx_d * a_batch_stride[d] of A and sum_d idx_d * b_batch_stride[d] of B (stride 0 where an
   operand broadcasts). */
typedef struct {
  int32_t batch_dims;                                 /* 0 .. QT_MATMUL_MAX_BATCH_DIMS */
  int32_t batch_shape[QT_MATMUL_MAX_BATCH_DIMS];
  int32_t a_batch_stride[QT_MATMUL_MAX_BATCH_DIMS];   /* in whole m x k matrices */
  int32_t b_batch_stride[QT_MATMUL_MAX_BATCH_DIMS];   /* in whole k x n matrices */
  int32_t m, k, n;
  int32_t input_offset_a;       /* -zero point of A: added to every element of A */
  int32_t input_offset_b;       /* -zero point of B: added to every element of B */
  int32_t output_offset;        /* zero point of the output */
  qt_requant_t requant;         /* M = s_a * s_b / s_y */
  int32_t mode;
  int32_t act_min, act_max;
} qt_matmul_params_t;

void qt_conv_s8(const qt_conv_params_t *p, const int8_t *in, int8_t *out);
void qt_fc_s8(const qt_fc_params_t *p, const int8_t *in, int8_t *out);
void qt_matmul_s8(const qt_matmul_params_t *p, const int8_t *a, const int8_t *b, int8_t *out);

#endif
