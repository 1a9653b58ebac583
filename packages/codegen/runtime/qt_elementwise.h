/* qt_elementwise.h: add, sub, mul with NumPy broadcasting, and one-table-lookup activations (relu, clip,
   leaky_relu, prelu, sigmoid, tanh, hard_sigmoid, hard_swish). The C twins of evalAddSub, evalMul and evalLut
   in packages/ops/src/ops/{int_binary,int_lut}.ts (docs/arithmetic.md, "add, sub", "mul", the table ops).
   Every kernel here may run in place (out == in1): element i is read before element i is written. */
#ifndef QT_ELEMENTWISE_H
#define QT_ELEMENTWISE_H

#include <stdint.h>
#include "qt_math.h"
#include "qt_move.h" /* QT_MAX_DIMS */

/* The output walked in row-major order; operand k's flat index moves by stride_k[i] when output axis i advances
   (0 where the operand broadcasts along it). The emitter drops size-1 axes and merges the rest where it can. */
typedef struct {
  int32_t rank;                /* 1 .. QT_MAX_DIMS */
  int32_t shape[QT_MAX_DIMS];  /* output extents */
  int32_t stride1[QT_MAX_DIMS];
  int32_t stride2[QT_MAX_DIMS];
} qt_broadcast_t;

/* add / sub (TFLite's scheme in both modes, R = qt_rq(mode)):
     a = R((x1 + input1_offset) * 2^left_shift, input1_multiplier, input1_shift)
     b = R((x2 + input2_offset) * 2^left_shift, input2_multiplier, input2_shift)
     y = clamp(R(a +- b, output_multiplier, output_shift) + output_offset, act_min, act_max) */
typedef struct {
  qt_broadcast_t bc;
  int32_t mode;                /* QT_MODE_QTOOL or QT_MODE_TFLITE */
  int32_t left_shift;          /* 20 */
  int32_t input1_offset;       /* -zero point of input 1: added to every input 1 value */
  int32_t input2_offset;       /* -zero point of input 2 */
  int32_t input1_multiplier, input1_shift; /* M1 = s1 / t, t = 2 max(s1, s2) */
  int32_t input2_multiplier, input2_shift; /* M2 = s2 / t */
  int32_t output_multiplier, output_shift; /* Mo = t / (2^left_shift s_y) */
  int32_t output_offset;       /* zero point of the output: added after R */
  int32_t act_min, act_max;    /* output clamp, within [-128, 127] */
} qt_add_params_t;

/* mul: y = clamp(R((x1 + input1_offset) * (x2 + input2_offset), output_multiplier, output_shift)
            + output_offset, act_min, act_max), M = s1 s2 / s_y */
typedef struct {
  qt_broadcast_t bc;
  int32_t mode;
  int32_t input1_offset;       /* -zero point of input 1 */
  int32_t input2_offset;       /* -zero point of input 2 */
  int32_t output_multiplier, output_shift;
  int32_t output_offset;       /* zero point of the output */
  int32_t act_min, act_max;
} qt_mul_params_t;

/* Table lookup: y = table[t][x + 128]. One table (tables = 1), or one per channel of the last axis (prelu with a
   per-channel slope: tables = C, flat element k uses table k % C). */
typedef struct {
  int32_t size;                /* elements of the tensor */
  int32_t tables;              /* 1, or the last axis' extent */
  const int8_t *table;         /* [tables][256] */
} qt_lut_params_t;

/* add / sub on the fast targets (qt_elementwise_dsp.c, Cortex-M4; qt_elementwise_mve.c, Cortex-M55), both
   operands contiguous and of the output's size (no broadcasting). The input requantizations depend on one int8
   value each, so the emitter (packages/codegen/src/kernels/binary.ts) tabulates them with the simulator's own R:
   t1[x + 128] = R((x + input1_offset) * 2^left_shift, M1, s1), t2[x + 128] = +-R((x + input2_offset) * 2^20, M2, s2)
   (negated for sub; |R| < 2^29); then y = clamp(R(t1[x1 + 128] + t2[x2 + 128], Mo, so) + output_offset). The
   DSP kernel's tables are indexed by the byte as uint8 instead: t[(uint8_t)x] (entries 128..255 are x < 0). */
typedef struct {
  int32_t size;                /* elements */
  int32_t mode;
  const int32_t *t1, *t2;      /* [256] each */
  int32_t output_multiplier, output_shift, output_offset;
  int32_t act_min, act_max;
  int32_t small;               /* 1: max |t1| + max |t2| < 2^30 */
} qt_add_fast_t;

void qt_add_s8_dsp(const qt_add_fast_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void qt_add_s8_mve(const qt_add_fast_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);

void qt_add_s8(const qt_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void qt_sub_s8(const qt_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void qt_mul_s8(const qt_mul_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void qt_lut_s8(const qt_lut_params_t *p, const int8_t *in, int8_t *out);

#endif
