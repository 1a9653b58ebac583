/* qt_pool.c: max_pool, avg_pool, mean (qt_pool.h). */
#include "qt_runtime.h"

/* The taps [*k0, *k1) of one window axis that fall inside the input [0, n) (contiguous: positions grow with the
   tap), given the input coordinate `start` of tap 0. Returns the taps inside input + end pad (`padded`). */
static int32_t qt_pool_axis(int32_t start, int32_t k, int32_t dil, int32_t n, int32_t pad_end, int32_t *k0, int32_t *k1) {
  int32_t t, padded = 0;
  *k0 = k;
  *k1 = 0;
  for (t = 0; t < k; t++) {
    const int32_t pos = start + t * dil;
    if (pos < n + pad_end) padded++;
    if (pos >= 0 && pos < n) {
      if (t < *k0) *k0 = t;
      *k1 = t + 1;
    }
  }
  return padded;
}

static void qt_pool_s8(const qt_pool_params_t *p, const int8_t *in, int8_t *out, int32_t is_max) {
  const int32_t C = p->channels;
  const int32_t row = p->in_w * C; /* input step of one h */
  const int32_t step_h = p->dil_h * row, step_w = p->dil_w * C;
  int32_t b, oh, ow, c, i, j;
  for (b = 0; b < p->batches; b++) {
    const int8_t *x = in + b * p->in_h * row;
    for (oh = 0; oh < p->out_h; oh++) {
      const int32_t h0 = oh * p->stride_h - p->pad_top;
      int32_t kh0, kh1, kw0, kw1;
      const int32_t ph = qt_pool_axis(h0, p->k_h, p->dil_h, p->in_h, p->pad_bottom, &kh0, &kh1);
      for (ow = 0; ow < p->out_w; ow++, out += C) {
        const int32_t w0 = ow * p->stride_w - p->pad_left;
        const int32_t pw = qt_pool_axis(w0, p->k_w, p->dil_w, p->in_w, p->pad_right, &kw0, &kw1);
        const int32_t nh = kh1 - kh0, nw = kw1 - kw0;
        /* first cell read, channel 0 */
        const int8_t *win = x + (h0 + kh0 * p->dil_h) * row + (w0 + kw0 * p->dil_w) * C;
        for (c = 0; c < C; c++) {
          int32_t v;
          if (is_max) {
            v = -128;
            for (i = 0; i < nh; i++)
              for (j = 0; j < nw; j++) {
                const int32_t xv = win[i * step_h + j * step_w + c];
                if (xv > v) v = xv;
              }
          } else {
            int32_t acc = 0, count = nh * nw;
            for (i = 0; i < nh; i++)
              for (j = 0; j < nw; j++) acc += win[i * step_h + j * step_w + c];
            if (p->count_include_pad) {
              acc += (ph * pw - count) * p->pad_value;
              count = ph * pw;
            }
            v = qt_div_round(acc, count);
          }
          if (p->requant) v = qt_requant_one(p->requant, v, p->requant->mode);
          out[c] = (int8_t)qt_clamp(v, p->act_min, p->act_max);
        }
      }
    }
  }
}

void qt_max_pool_s8(const qt_pool_params_t *p, const int8_t *in, int8_t *out) { qt_pool_s8(p, in, out, 1); }

void qt_avg_pool_s8(const qt_pool_params_t *p, const int8_t *in, int8_t *out) { qt_pool_s8(p, in, out, 0); }

/* the sum of the values of a strided block (an odometer over the reduced axes) */
static int32_t qt_block_sum(const int8_t *x, int32_t rank, const int32_t *shape, const int32_t *stride) {
  const int32_t last = rank - 1;
  const int32_t n = shape[last], step = stride[last];
  int32_t idx[QT_MAX_DIMS] = { 0 };
  int32_t rows = 1, row, ax, i, off = 0, acc = 0; /* |acc| <= 128 * count */
  for (ax = 0; ax < last; ax++) rows *= shape[ax];
  for (row = 0; row < rows; row++) {
    const int8_t *r = x + off;
    for (i = 0; i < n; i++) acc += r[i * step];
    qt_next_row(shape, stride, last, idx, &off);
  }
  return acc;
}

void qt_mean_s8(const qt_mean_params_t *p, const int8_t *in, int8_t *out) {
  const int32_t last = p->kept_rank - 1;
  const int32_t n = p->kept_shape[last], step = p->kept_stride[last];
  const int32_t bias = p->input_offset * p->count;
  const int32_t lo = -128 - p->output_offset, hi = 127 - p->output_offset;
  int32_t idx[QT_MAX_DIMS] = { 0 };
  int32_t rows = 1, row, ax, i, off = 0;
  for (ax = 0; ax < last; ax++) rows *= p->kept_shape[ax];
  for (row = 0; row < rows; row++) {
    for (i = 0; i < n; i++) {
      const int32_t s = qt_block_sum(in + off + i * step, p->red_rank, p->red_shape, p->red_stride);
      int32_t v;
      if (p->method == QT_MEAN_ROUND) v = qt_div_round(s, p->count);
      else if (p->method == QT_MEAN_TRUNC) v = s / p->count; /* C division truncates, as TFLite's */
      else v = qt_clamp(qt_rq(p->mode, s + bias, p->multiplier, p->shift), lo, hi) + p->output_offset;
      *out++ = (int8_t)v;
    }
    qt_next_row(p->kept_shape, p->kept_stride, last, idx, &off);
  }
}
