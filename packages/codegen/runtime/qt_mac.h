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

/* ---- The fast multiply-accumulate kernels, Cortex-M4/M7 DSP (qt_mac_dsp.c) and Cortex-M55 Helium
   (qt_mac_mve.c). Same integers as qt_mac.c (docs/arithmetic.md, "conv, fully_connected, matmul"), by algebra:
     acc = bias[c] + sum_k adj[c,k] * (x[k] + input_offset)
         = fbias[c] + sum_k w[c,k] * x[k] + cw[c] * sum_k x[k]      with adj = w + cw[c],
   fbias[c] = bias[c] + input_offset * sum_k adj[c,k] computed at compile time (modulo 2^32: every sum below is
   taken modulo 2^32, and the true accumulator fits int32 by the quantizer's proof, so the result is exact).
   A padded cell holds the input zero point (x' = 0), so an im2col column padded with -input_offset gives the
   same sum. The requantization and the output clamp are qt_mac.c's, unchanged.
   Off Arm (the host build of the tests) the DSP and MVE instructions are computed by portable C twins. */

/* A requantization multiplier prepared at compile time for the fast kernels (packages/codegen/src/kernels/
   mac_fast.ts): where sh >= 0, R(acc, m, shift) = hi32(acc * m + K) >> sh with K = (k_hi[s] : k_lo[s]), s = 1
   for acc < 0, else 0 (one SMLAL and one shift). tflite, shift < 0, e = -shift: srdhm then rdivpot is
   floor((acc m + 2^30 + 2^(30+e) - [acc < 0] 2^31) / 2^(31+e)), sh = e - 1 (nested floors; [v < 0] of srdhm's
   v may be taken as [acc < 0]: they differ only where v = 0, which rounds to 0 either way). qtool, r = 31 -
   shift >= 32: floor((acc m + 2^(r-1)) / 2^r), K = 2^(r-1) for both signs, sh = r - 32. sh = -1: neither;
   the kernels call qt_rq(mode, acc, m, shift). */
typedef struct {
  int32_t m, shift, sh;
  uint32_t k_lo0;
  int32_t k_hi0;
  uint32_t k_lo1;
  int32_t k_hi1;
  int32_t unused;
} qt_rqf_t;
typedef char qt_rqf_t_is_32_bytes[sizeof(qt_rqf_t) == 32 ? 1 : -1];

/* One output pixel's dot products: x [k] int8 -> y [n] int8. */
typedef struct {
  int32_t k;                     /* dot length */
  int32_t n;                     /* output channels */
  const void *w;                 /* weights in the family's layout (qt_mac_dsp.c / qt_mac_mve.c) */
  const int32_t *bias;           /* [n] folded bias fbias (never NULL) */
  const int32_t *cw;             /* [n] per-channel weight offset cw, or NULL when every cw is 0 */
  const qt_requant_t *requant;   /* [n] when per_channel_requant, else [1]; NULL for DSP (which reads rqf only) */
  const qt_rqf_t *rqf;           /* the same multipliers prepared (qt_rqf_t), [n] or [1]; NULL for Helium */
  int32_t per_channel_requant;
  int32_t mode;                  /* QT_MODE_QTOOL or QT_MODE_TFLITE */
  int32_t output_offset;         /* zero point of the output: added after requantization */
  int32_t act_min, act_max;      /* output clamp, within [-128, 127] */
  int32_t rqf_fast;              /* 1: every multiplier takes the shortcut, whose test the kernels then skip: DSP, every rqf
                                    has sh >= 0; Helium, tflite every shift < 0, qtool every shift <= -2 */
  int32_t packed;                /* DSP, 1: w holds the stored q of <= 4-bit weights packed (qt_gemm_row_packed_dsp), cw their
                                    offsets o[c], adj = wsign * q + o[c] */
  int32_t wsign;                 /* +1 (anchor min) or -1 (anchor max), with packed */
  int32_t rq2;                   /* DSP, 1: weights and bias doubled at compile time, so the kernels accumulate 2 acc, and R is
                                    SMMULR(2 acc, m) then rdivpot by rqf.sh with its nudge rqf.k_lo0 (qt_out) */
} qt_gemm_s8_t;

/* conv with groups = 1 (NHWC): each output pixel's im2col column (k_h * k_w * in_c bytes, padded cells =
   pad_value) times the weights [out_c][k_h][k_w][in_c]. A 1x1 conv without padding reads the input pixel in
   place (no copy); the others build the column in the caller's scratch (k bytes, qt_conv_fast_scratch). */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dil_h, dil_w;
  int32_t pad_top, pad_left;
  int32_t pad_value;             /* the input zero point (-input_offset): x' = 0 */
  int32_t direct;                /* 1: 1x1, no padding: the column is the input pixel */
  qt_gemm_s8_t g;                /* k = k_h * k_w * in_c, n = out_c */
} qt_conv_fast_t;

/* depthwise conv, channel multiplier 1 (groups = in_c = out_c = c), NHWC. */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, c;
  int32_t out_h, out_w;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dil_h, dil_w;
  int32_t pad_top, pad_left;
  int32_t input_offset;          /* -zero point of the input: added to every input value */
  const int16_t *w;              /* adjusted weights: DSP [quad of channels][k_h * k_w][4], a whole quad ordered 0, 2, 1, 3 (the
                                    last, partial one 0, 1, 2 and zeros); Helium [k_h * k_w][(c + 3) & ~3] */
  const int16_t *wc;             /* Helium: the same [c][taps rounded up to 8, zero padded] for the gather path, or NULL */
  const int32_t *bias;           /* [c], or NULL: the bias where a window crosses the padding (x' summed) */
  const int32_t *fbias;          /* [c] bias + input_offset * sum_taps adj (mod 2^32): a window inside the input (x summed) */
  const qt_requant_t *requant;
  const qt_rqf_t *rqf;
  int32_t per_channel_requant;
  int32_t mode;
  int32_t output_offset;
  int32_t act_min, act_max;
  int32_t rqf_fast;              /* as qt_gemm_s8_t's */
  int32_t rq2;                   /* as qt_gemm_s8_t's (w, bias and fbias doubled) */
} qt_dwconv_fast_t;

/* 3x3 conv, stride 1, dilation 1, groups 1, in_c % 4 == 0, by Winograd F(2x2, 3x3) (Cortex-M4 DSP): output tiles
   of 2x2 pixels from 4x4 input tiles d (x' = x + input_offset, 0 outside the input), V = B^T d B per input channel,
   M[p] = U'[p] V[p] summed over the input channels for each of the 16 positions p (a gemm row of int16 values),
   4 Y = A^T M A, acc = bias + Y (the division by 4 exact: the emitter proves |4 Y| < 2^31 for any input, and
   U' = (2G) g (2G)^T is 4 G g G^T in integers). Every sum modulo 2^32, as the direct kernels'. 2.25x fewer
   multiplications than the direct conv. B^T, G, A^T: packages/codegen/src/kernels/mac_fast.ts (winogradWeights). */
typedef struct {
  int32_t batches;
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w;
  int32_t pad_top, pad_left;
  int32_t input_offset;
  qt_gemm_s8_t g;                /* k = in_c, n = out_c; w = U' [16 positions][the DSP gemm layout of n x k], bias = the plain bias */
} qt_wino_fast_t;

/* The output channels a Winograd tile computes at a time (its M scratch: 16 x QT_WINO_CHUNK int32). */
#define QT_WINO_CHUNK 16

void qt_conv_s8_dsp(const qt_conv_fast_t *p, const int8_t *in, int8_t *out, int8_t *scratch);
void qt_fc_s8_dsp(const qt_gemm_s8_t *g, int32_t batches, const int8_t *in, int8_t *out, int8_t *scratch);
void qt_dwconv_s8_dsp(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out);
void qt_dwconv_s8_dsp_3x3(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out); /* k_h = k_w = 3 */

void qt_conv_s8_mve(const qt_conv_fast_t *p, const int8_t *in, int8_t *out, int8_t *scratch);
void qt_fc_s8_mve(const qt_gemm_s8_t *g, int32_t batches, const int8_t *in, int8_t *out, int8_t *scratch);
void qt_dwconv_s8_mve(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out);
void qt_dwconv_s8_mve_3x3(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out); /* k_h = k_w = 3 */

#endif /* QT_MAC_H */

/* Helpers of the fast kernels (static inline), compiled only where a fast kernel file (qt_mac_dsp_impl.h,
   qt_mac_mve_impl.h) defines QT_MAC_FAST_IMPL and includes this header again: outside the QT_MAC_H guard, so
   a model source that included qt_runtime.h first still gets them. */
#if defined(QT_MAC_FAST_IMPL) && !defined(QT_MAC_FAST_HELPERS)
#define QT_MAC_FAST_HELPERS
#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h> /* qt_copy8 / qt_fill8 in vectors */
#endif
/* R(acc, m, s) of the mode, the same integer as qt_rq (qt_math.h) in fewer instructions on the common shifts:
   - qtool, r = 31 - s >= 32: (acc * m + 2^(r-1)) >> r = (hi32(acc * m) + 2^(r-33)) >> (r - 32) for r > 32 (the
     added power of two has no low word), (acc * m + 2^31) >> 32 for r = 32; |acc * m| < 2^62, so no saturation;
   - tflite, s <= 0: srdhm(acc, m) = floor((acc * m + 2^30) / 2^31) for both signs (the nudge 1 - 2^30 with
     truncation toward zero is the same floor; m < 2^31, so no saturating case), then rdivpot by e = -s, which is
     floor((v + 2^(e-1) - (v < 0)) / 2^e) for e >= 1 (ties away from zero), the sum taken in 33 bits.
   Other shifts go out of line to qt_rq itself. */
#if defined(__GNUC__) || defined(__clang__)
#define QT_INLINE static inline __attribute__((always_inline))
#define QT_NOINLINE static __attribute__((noinline))
#define QT_UNUSED __attribute__((unused))
#define QT_UNROLL _Pragma("GCC unroll 16") /* a loop whose count is a constant of the specialised layer */
#else
#define QT_INLINE static inline
#define QT_NOINLINE static
#define QT_UNUSED
#define QT_UNROLL
#endif
QT_NOINLINE QT_UNUSED int32_t qt_rq_other(int32_t mode, int32_t acc, int32_t m, int32_t shift) { return qt_rq(mode, acc, m, shift); }
QT_INLINE int32_t qt_rq_fast(int32_t mode, int32_t acc, int32_t m, int32_t shift) {
  if (mode == QT_MODE_TFLITE) {
    if (shift < 0) {
      const int32_t v = (int32_t)(((int64_t)acc * m + ((int64_t)1 << 30)) >> 31);
      const int32_t e = -shift;
      const uint32_t u = (uint32_t)v + (1u << (e - 1)) - (uint32_t)(v < 0);
      return v >= 0 ? (int32_t)(u >> e) : (int32_t)u >> e;
    }
    if (shift == 0) return (int32_t)(((int64_t)acc * m + ((int64_t)1 << 30)) >> 31);
  } else if (shift < -1) {
    const int32_t hi = (int32_t)(((int64_t)acc * m) >> 32);
    return (int32_t)((uint32_t)hi + (1u << (-shift - 2))) >> (-shift - 1);
  } else if (shift == -1) {
    return (int32_t)(((int64_t)acc * m + ((int64_t)1 << 31)) >> 32);
  }
  return qt_rq_other(mode, acc, m, shift);
}

/* floor((a b + 2^31) / 2^32): one SMMULR on Arm with the DSP extension */
#if defined(__ARM_FEATURE_DSP)
static inline int32_t qt_smmulr_mac(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
#else
static inline int32_t qt_smmulr_mac(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32); }
#endif

/* The output step of every MAC op, as qt_mac.c's qt_mac_output: clamp(sat32(R + output_offset), lo, hi) is
   clamp(R, lo - output_offset, hi - output_offset) + output_offset (no 64-bit add). The layer's fields are
   copied into a local qt_out_t first: the int8 output stores may alias anything, so fields read through the
   params pointer would be read again after every store. */
typedef struct {
  const qt_requant_t *rq;
  const qt_rqf_t *rqf;
  int32_t per_channel, mode, lo, hi, offset;
  int32_t full; /* the clamp is the whole int8 range: clamp(sat32(R + offset)) is QT_SAT8_ADD(R, offset) */
  int32_t fast; /* the layer's rqf_fast */
  int32_t rq2;  /* the layer's rq2 */
} qt_out_t;

QT_INLINE qt_out_t qt_out_of(const qt_gemm_s8_t *g) {
  qt_out_t o;
  o.rq = g->requant;
  o.rqf = g->rqf;
  o.per_channel = g->per_channel_requant;
  o.mode = g->mode;
  o.offset = g->output_offset;
  o.lo = g->act_min - g->output_offset;
  o.full = g->act_min == -128 && g->act_max == 127;
  o.hi = g->act_max - g->output_offset;
  o.fast = g->rqf_fast;
  o.rq2 = g->rq2;
  return o;
}

QT_INLINE int8_t qt_out(int32_t acc, const qt_out_t *o, int32_t c) {
#if defined(QT_MAC_NO_RQF) /* a family that requantizes in vectors (Helium) emits no prepared multipliers */
  const qt_requant_t *rq = &o->rq[o->per_channel ? c : 0];
  const int32_t r = qt_rq_fast(o->mode, acc, rq->multiplier, rq->shift);
#else
  const qt_rqf_t *q = &o->rqf[o->per_channel ? c : 0];
  int32_t r;
  if (o->rq2) { /* acc is 2 acc: srdhm(acc, m) = floor((2 acc m + 2^31) / 2^32), then rdivpot by e = sh >= 1 */
    const int32_t v = qt_smmulr_mac(acc, q->m);
    r = (v + (int32_t)q->k_lo0 - (int32_t)((uint32_t)v >> 31)) >> q->sh;
  } else if (o->fast || q->sh >= 0) {
    const int neg = o->mode == QT_MODE_TFLITE && acc < 0; /* qtool's K is the same for both signs */
    const uint64_t k = ((uint64_t)(uint32_t)(neg ? q->k_hi1 : q->k_hi0) << 32) | (neg ? q->k_lo1 : q->k_lo0);
    r = (int32_t)((int64_t)((uint64_t)((int64_t)acc * q->m) + k) >> 32) >> q->sh;
  } else {
    r = qt_rq_other(o->mode, acc, q->m, q->shift);
  }
#endif
#if defined(QT_SAT8_ADD)
  if (o->full) return (int8_t)QT_SAT8_ADD(r, o->offset);
#endif
  return (int8_t)(qt_clamp(r, o->lo, o->hi) + o->offset);
}

/* 32-bit reads and writes at any alignment: one LDR / STR on Cortex-M3 and later. The builtin, because the
   firmware builds with -ffreestanding (no implicit builtins: a memcpy call per word otherwise). */
#if defined(__GNUC__) || defined(__clang__)
#define QT_MEMCPY __builtin_memcpy
#else
#include <string.h>
#define QT_MEMCPY memcpy
#endif
static inline uint32_t qt_ld32(const void *p) {
  uint32_t v;
  QT_MEMCPY(&v, p, 4);
  return v;
}
static inline void qt_st32(void *p, uint32_t v) { QT_MEMCPY(p, &v, 4); }

/* n bytes: 16 a predicated vector load / store pair with Helium (the last < 16 predicated), else word by word
   where it can (newlib-nano's memcpy goes byte by byte). */
QT_INLINE void qt_copy8(int8_t *d, const int8_t *s, int32_t n) {
  int32_t i = 0;
#if defined(__ARM_FEATURE_MVE)
  for (; i + 16 <= n; i += 16) vstrbq_s8(d + i, vldrbq_s8(s + i));
  if (i < n) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - i));
    vstrbq_p_s8(d + i, vldrbq_z_s8(s + i, p), p);
  }
#else
  for (; i + 4 <= n; i += 4) {
    qt_st32(d + i, qt_ld32(s + i));
  }
  for (; i < n; i++) d[i] = s[i];
#endif
}

QT_INLINE void qt_fill8(int8_t *d, int32_t v, int32_t n) {
  int32_t i = 0;
#if defined(__ARM_FEATURE_MVE)
  const int8x16_t vv = vdupq_n_s8((int8_t)v);
  for (; i + 16 <= n; i += 16) vstrbq_s8(d + i, vv);
  if (i < n) vstrbq_p_s8(d + i, vv, vctp8q((uint32_t)(n - i)));
#else
  for (; i < n; i++) d[i] = (int8_t)v;
#endif
}

/* The im2col column of output pixel (oh, ow) of batch b: k_h * k_w * in_c bytes, padded cells = pad_value. */
QT_INLINE void qt_im2col(const qt_conv_fast_t *p, const int8_t *xb, int32_t oh, int32_t ow, int8_t *col) {
  const int32_t ih0 = oh * p->stride_h - p->pad_top;
  const int32_t iw0 = ow * p->stride_w - p->pad_left;
  const int32_t in_c = p->in_c;
  const int32_t row_len = p->k_w * in_c;
  int32_t kh, kw;
  for (kh = 0; kh < p->k_h; kh++, col += row_len) {
    const int32_t ih = ih0 + kh * p->dil_h;
    const int8_t *xr;
    if (ih < 0 || ih >= p->in_h) {
      qt_fill8(col, p->pad_value, row_len);
      continue;
    }
    xr = xb + ih * p->in_w * in_c;
    if (p->dil_w == 1 && iw0 >= 0 && iw0 + p->k_w <= p->in_w) {
      qt_copy8(col, xr + iw0 * in_c, row_len); /* the whole row of taps is one run of the input */
      continue;
    }
    for (kw = 0; kw < p->k_w; kw++) {
      const int32_t iw = iw0 + kw * p->dil_w;
      if (iw < 0 || iw >= p->in_w) qt_fill8(col + kw * in_c, p->pad_value, in_c);
      else qt_copy8(col + kw * in_c, xr + iw * in_c, in_c);
    }
  }
}

/* The first tap t >= 0 with base + t * dil >= 0, and one past the last with base + t * dil < size. */
static inline int32_t qt_fast_first_tap(int32_t base, int32_t dil) { return base >= 0 ? 0 : (-base + dil - 1) / dil; }
static inline int32_t qt_fast_end_tap(int32_t base, int32_t dil, int32_t size, int32_t k) {
  int32_t end;
  if (base >= size) return 0;
  end = (size - 1 - base) / dil + 1;
  return end < k ? end : k;
}
#endif /* QT_MAC_FAST_IMPL */
