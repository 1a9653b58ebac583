/* qt_elementwise.c: add, sub, mul with broadcasting, table lookups (qt_elementwise.h). */
#include "qt_runtime.h"

/* Advances the row odometer of a broadcast over axes [0, last), moving both operand offsets. */
static inline void qt_bc_next_row(const qt_broadcast_t *bc, int32_t last, int32_t *idx, int32_t *o1, int32_t *o2) {
  int32_t ax;
  for (ax = last - 1; ax >= 0; ax--) {
    *o1 += bc->stride1[ax];
    *o2 += bc->stride2[ax];
    if (++idx[ax] < bc->shape[ax]) return;
    *o1 -= bc->stride1[ax] * bc->shape[ax];
    *o2 -= bc->stride2[ax] * bc->shape[ax];
    idx[ax] = 0;
  }
}

static inline int32_t qt_bc_rows(const qt_broadcast_t *bc) {
  int32_t rows = 1, ax;
  for (ax = 0; ax < bc->rank - 1; ax++) rows *= bc->shape[ax];
  return rows;
}

QT_ALWAYS_INLINE void qt_add_body(const qt_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out, int32_t mode, int32_t sub) {
  const qt_broadcast_t *bc = &p->bc;
  const int32_t last = bc->rank - 1;
  const int32_t n = bc->shape[last], s1 = bc->stride1[last], s2 = bc->stride2[last];
  const int32_t scale = (int32_t)1 << p->left_shift; /* |x'| * 2^20 < 2^29: exact in int32 */
  const int32_t lo = p->act_min - p->output_offset, hi = p->act_max - p->output_offset;
  const int32_t rows = qt_bc_rows(bc);
  int32_t idx[QT_MAX_DIMS] = { 0 };
  int32_t o1 = 0, o2 = 0, row, i;
  for (row = 0; row < rows; row++) {
    const int8_t *a = in1 + o1;
    const int8_t *b = in2 + o2;
    for (i = 0; i < n; i++) {
      const int32_t ra = qt_rq(mode, (a[i * s1] + p->input1_offset) * scale, p->input1_multiplier, p->input1_shift);
      const int32_t rb = qt_rq(mode, (b[i * s2] + p->input2_offset) * scale, p->input2_multiplier, p->input2_shift);
      const int32_t r = qt_rq(mode, sub ? ra - rb : ra + rb, p->output_multiplier, p->output_shift);
      out[i] = (int8_t)(qt_clamp(r, lo, hi) + p->output_offset); /* = clamp(r + zp, act_min, act_max) */
    }
    out += n;
    qt_bc_next_row(bc, last, idx, &o1, &o2);
  }
}

void qt_add_s8(const qt_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
  if (p->mode == QT_MODE_TFLITE) qt_add_body(p, in1, in2, out, QT_MODE_TFLITE, 0);
  else qt_add_body(p, in1, in2, out, QT_MODE_QTOOL, 0);
}

void qt_sub_s8(const qt_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
  if (p->mode == QT_MODE_TFLITE) qt_add_body(p, in1, in2, out, QT_MODE_TFLITE, 1);
  else qt_add_body(p, in1, in2, out, QT_MODE_QTOOL, 1);
}

QT_ALWAYS_INLINE void qt_mul_body(const qt_mul_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out, int32_t mode) {
  const qt_broadcast_t *bc = &p->bc;
  const int32_t last = bc->rank - 1;
  const int32_t n = bc->shape[last], s1 = bc->stride1[last], s2 = bc->stride2[last];
  const int32_t lo = p->act_min - p->output_offset, hi = p->act_max - p->output_offset;
  const int32_t rows = qt_bc_rows(bc);
  int32_t idx[QT_MAX_DIMS] = { 0 };
  int32_t o1 = 0, o2 = 0, row, i;
  for (row = 0; row < rows; row++) {
    const int8_t *a = in1 + o1;
    const int8_t *b = in2 + o2;
    for (i = 0; i < n; i++) {
      const int32_t prod = (a[i * s1] + p->input1_offset) * (b[i * s2] + p->input2_offset); /* |.| <= 2^16 */
      const int32_t r = qt_rq(mode, prod, p->output_multiplier, p->output_shift);
      out[i] = (int8_t)(qt_clamp(r, lo, hi) + p->output_offset);
    }
    out += n;
    qt_bc_next_row(bc, last, idx, &o1, &o2);
  }
}

void qt_mul_s8(const qt_mul_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out) {
  if (p->mode == QT_MODE_TFLITE) qt_mul_body(p, in1, in2, out, QT_MODE_TFLITE);
  else qt_mul_body(p, in1, in2, out, QT_MODE_QTOOL);
}

void qt_lut_s8(const qt_lut_params_t *p, const int8_t *in, int8_t *out) {
  int32_t i, c;
  if (p->tables == 1) {
    const int8_t *t = p->table + 128; /* t[x] for x in [-128, 127] */
    for (i = 0; i < p->size; i++) out[i] = t[in[i]];
  } else {
    const int32_t channels = p->tables;
    for (i = 0; i < p->size; i += channels) {
      const int8_t *t = p->table + 128;
      for (c = 0; c < channels; c++, t += 256) out[i + c] = t[in[i + c]];
    }
  }
}
