/* qt_move.h: data movement on int8 (copy, requantize, transpose, concat, pad), and the pieces the other
   non-MAC families share: QT_MAX_DIMS and the optional requantizing stage qt_requant_params_t. The C twins of
   packages/ops/src/ops/{int_common,int_move}.ts (docs/arithmetic.md, "reshape, transpose, concat, pad").
   Values move unchanged when input and output share parameters; otherwise each moved value goes through one
   requantization. The kernels check nothing: the quantizer and the emitter validated every field. */
#ifndef QT_MOVE_H
#define QT_MOVE_H

#include <stdint.h>
#include "qt_math.h"

/* Tensors of up to QT_MAX_DIMS axes after the emitter merged the axes a kernel can walk as one. */
#define QT_MAX_DIMS 6

/* Kernel bodies take the rounding mode as an argument; called with a constant they are specialised per mode,
   so the hot loops carry no mode test. */
#if defined(__GNUC__) || defined(__clang__)
#define QT_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define QT_ALWAYS_INLINE static inline
#endif

/* Requantization of int8 values between two parameter sets (TS: RequantParams, requantValue):
   y = clamp(R(x + input_offset, multiplier, shift) + output_offset, -128, 127), M = s_in / s_out. */
typedef struct {
  int32_t mode;          /* QT_MODE_QTOOL or QT_MODE_TFLITE: which R */
  int32_t input_offset;  /* -zero point of the input: added to every input value */
  int32_t output_offset; /* zero point of the output: added after R */
  int32_t multiplier;    /* Q31, in [2^30, 2^31) */
  int32_t shift;
} qt_requant_params_t;

/* One value through a requantizing stage. Clamping R to [-128 - zp, 127 - zp] before adding zp gives
   clamp(R + zp, -128, 127) without an int32 overflow when R saturates. */
QT_ALWAYS_INLINE int8_t qt_requant_one(const qt_requant_params_t *p, int32_t x, int32_t mode) {
  const int32_t r = qt_rq(mode, x + p->input_offset, p->multiplier, p->shift);
  return (int8_t)(qt_clamp(r, -128 - p->output_offset, 127 - p->output_offset) + p->output_offset);
}

/* Advances a row odometer over axes [0, last) of `shape`, moving `*off` by `stride` (the innermost axis, `last`,
   is the caller's row loop). */
static inline void qt_next_row(const int32_t *shape, const int32_t *stride, int32_t last, int32_t *idx, int32_t *off) {
  int32_t ax;
  for (ax = last - 1; ax >= 0; ax--) {
    *off += stride[ax];
    if (++idx[ax] < shape[ax]) return;
    *off -= stride[ax] * shape[ax];
    idx[ax] = 0;
  }
}

/* transpose (any permutation of up to QT_MAX_DIMS axes): the output walked in row-major order; stride[i] is how
   far the input's flat index moves when output axis i advances (the input stride of axis perm[i]). */
typedef struct {
  int32_t rank;                       /* 1 .. QT_MAX_DIMS */
  int32_t shape[QT_MAX_DIMS];         /* output extents */
  int32_t stride[QT_MAX_DIMS];        /* input step per output axis, in elements */
  const qt_requant_params_t *requant; /* NULL: output parameters equal the input's */
} qt_transpose_params_t;

/* concat: one call per input. The output is `outer` blocks of `out_block` values; this input contributes
   `in_block` values (its extent on the axis times the product of the later axes) to each block, starting at
   `out_offset` inside it. */
typedef struct {
  int32_t outer;                      /* product of the output axes before the concat axis */
  int32_t in_block;
  int32_t out_block;
  int32_t out_offset;
  const qt_requant_params_t *requant; /* NULL: this input shares the output's parameters */
} qt_concat_params_t;

/* pad (constant, reflect, edge; negative pads crop): per output axis a map from output index to input index,
   -1 where the pad value goes. The maps of all axes are stored back to back in `map`, axis i from map_offset[i]. */
typedef struct {
  int32_t rank;                       /* 1 .. QT_MAX_DIMS */
  int32_t shape[QT_MAX_DIMS];         /* output extents */
  int32_t in_stride[QT_MAX_DIMS];     /* row-major input strides, in elements */
  int32_t map_offset[QT_MAX_DIMS];
  const int32_t *map;
  int32_t pad_value;                  /* the `value` attribute quantized at the output (the zero point for 0) */
  const qt_requant_params_t *requant; /* NULL: output parameters equal the input's; applies to copied values */
} qt_pad_params_t;

/* out[i] = in[i], i < size (reshape to another buffer, quantize with equal parameters). */
void qt_copy_s8(const int8_t *in, int8_t *out, int32_t size);
/* out[i] = requant(in[i]); out may equal in (quantize int8 -> int8, reshape with a requantizing stage). */
void qt_requant_s8(const qt_requant_params_t *p, const int8_t *in, int8_t *out, int32_t size);
void qt_transpose_s8(const qt_transpose_params_t *p, const int8_t *in, int8_t *out);
void qt_concat_s8(const qt_concat_params_t *p, const int8_t *in, int8_t *out);
void qt_pad_s8(const qt_pad_params_t *p, const int8_t *in, int8_t *out);

#endif
