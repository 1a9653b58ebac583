/* qt_move.c: copy, requantize, transpose, concat and pad on int8 (qt_move.h). */
#include "qt_runtime.h"

void qt_copy_s8(const int8_t *in, int8_t *out, int32_t size) {
  int32_t i;
  for (i = 0; i < size; i++) out[i] = in[i];
}

QT_ALWAYS_INLINE void qt_requant_body(const qt_requant_params_t *p, const int8_t *in, int8_t *out, int32_t size, int32_t mode) {
  int32_t i;
  for (i = 0; i < size; i++) out[i] = qt_requant_one(p, in[i], mode); /* in[i] is read before out[i] is written */
}

void qt_requant_s8(const qt_requant_params_t *p, const int8_t *in, int8_t *out, int32_t size) {
  if (p->mode == QT_MODE_TFLITE) qt_requant_body(p, in, out, size, QT_MODE_TFLITE);
  else qt_requant_body(p, in, out, size, QT_MODE_QTOOL);
}

/* a row of `n` values `step` apart, through the optional requantizing stage */
QT_ALWAYS_INLINE void qt_move_row(const qt_requant_params_t *rq, const int8_t *in, int32_t step, int8_t *out, int32_t n) {
  int32_t i;
  if (!rq) {
    for (i = 0; i < n; i++) out[i] = in[i * step];
  } else if (rq->mode == QT_MODE_TFLITE) {
    for (i = 0; i < n; i++) out[i] = qt_requant_one(rq, in[i * step], QT_MODE_TFLITE);
  } else {
    for (i = 0; i < n; i++) out[i] = qt_requant_one(rq, in[i * step], QT_MODE_QTOOL);
  }
}

void qt_transpose_s8(const qt_transpose_params_t *p, const int8_t *in, int8_t *out) {
  const int32_t last = p->rank - 1;
  const int32_t n = p->shape[last];
  const int32_t step = p->stride[last];
  int32_t idx[QT_MAX_DIMS] = { 0 };
  int32_t rows = 1, row, ax, off = 0;
  for (ax = 0; ax < last; ax++) rows *= p->shape[ax];
  for (row = 0; row < rows; row++) {
    qt_move_row(p->requant, in + off, step, out, n);
    out += n;
    qt_next_row(p->shape, p->stride, last, idx, &off);
  }
}

void qt_concat_s8(const qt_concat_params_t *p, const int8_t *in, int8_t *out) {
  int32_t o;
  out += p->out_offset;
  for (o = 0; o < p->outer; o++) {
    qt_move_row(p->requant, in, 1, out, p->in_block);
    in += p->in_block;
    out += p->out_block;
  }
}

void qt_pad_s8(const qt_pad_params_t *p, const int8_t *in, int8_t *out) {
  const int32_t last = p->rank - 1;
  const int32_t n = p->shape[last];
  const int32_t *row_map = p->map + p->map_offset[last];
  const int8_t pad = (int8_t)p->pad_value;
  int32_t idx[QT_MAX_DIMS] = { 0 };
  int32_t rows = 1, row, ax, i;
  for (ax = 0; ax < last; ax++) rows *= p->shape[ax];
  for (row = 0; row < rows; row++) {
    /* the row's input offset, or -1 when an outer axis puts the whole row in the padding */
    int32_t off = 0;
    for (ax = 0; ax < last && off >= 0; ax++) {
      const int32_t j = p->map[p->map_offset[ax] + idx[ax]];
      off = j < 0 ? -1 : off + j * p->in_stride[ax];
    }
    if (off < 0) {
      for (i = 0; i < n; i++) out[i] = pad;
    } else {
      const int8_t *src = in + off;
      const int32_t step = p->in_stride[last];
      if (!p->requant) {
        for (i = 0; i < n; i++) out[i] = row_map[i] < 0 ? pad : src[row_map[i] * step];
      } else {
        for (i = 0; i < n; i++) out[i] = row_map[i] < 0 ? pad : qt_requant_one(p->requant, src[row_map[i] * step], p->requant->mode);
      }
    }
    out += n;
    for (ax = last - 1; ax >= 0; ax--) {
      if (++idx[ax] < p->shape[ax]) break;
      idx[ax] = 0;
    }
  }
}
