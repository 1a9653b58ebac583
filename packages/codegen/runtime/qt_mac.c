/* qt_mac.c: conv, fully_connected and matmul, portable C99 (docs/arithmetic.md; see qt_mac.h).
   Every sum below is a partial sum of the layer's accumulator: the quantizer proved
   |bias| + sum |adj| * max|x'| < 2^31 per output channel, so none of them can overflow int32, in any order. */
#include "qt_mac.h"

/* The one output step of every MAC op: clamp(sat32(R + output_offset)). R may be near INT32_MAX or INT32_MIN, so the
   offset is added in 64 bits, as evalInt adds it exactly. */
static int8_t qt_mac_output(int32_t acc, const qt_requant_t *rq, int32_t mode, int32_t output_offset, int32_t lo,
                            int32_t hi) {
  const int32_t r = qt_rq(mode, acc, rq->multiplier, rq->shift);
  return (int8_t)qt_clamp(qt_sat32((int64_t)r + output_offset), lo, hi);
}

/* sum over j < n of adj(i0 + j) * (x[j] + input_offset): n consecutive weights of output channel c (they belong to
   one channel, so one offset). The weight format is decided once per run, not per element. */
static int32_t qt_dot(const qt_weights_t *w, int32_t i0, int32_t c, const int8_t *x, int32_t n, int32_t input_offset) {
  const int32_t o = w->offset[w->per_channel ? c : 0];
  int32_t acc = 0;
  int32_t j;
  if (w->format == QT_W_S8) {
    const int8_t *q = (const int8_t *)w->q + i0;
    if (w->anchor == 0)
      for (j = 0; j < n; j++) acc += (q[j] + o) * (x[j] + input_offset);
    else
      for (j = 0; j < n; j++) acc += (o - q[j]) * (x[j] + input_offset);
  } else if (w->format == QT_W_U8) {
    const uint8_t *q = (const uint8_t *)w->q + i0;
    if (w->anchor == 0)
      for (j = 0; j < n; j++) acc += (q[j] + o) * (x[j] + input_offset);
    else
      for (j = 0; j < n; j++) acc += (o - q[j]) * (x[j] + input_offset);
  } else {
    /* packed little-endian bit stream, element i at bit i * bits (qt_weight_q); the stream carries one padding
       byte, so the two-byte read of the last element stays inside the array */
    const uint8_t *pk = (const uint8_t *)w->q;
    const int32_t bits = w->bits;
    const uint32_t mask = (1u << bits) - 1u;
    const int32_t sign = w->anchor == 0 ? 1 : -1; /* adj = o + q (min-anchored) or o - q (max-anchored) */
    int32_t bit = i0 * bits;
    for (j = 0; j < n; j++, bit += bits) {
      const uint32_t two = (uint32_t)pk[bit >> 3] | ((uint32_t)pk[(bit >> 3) + 1] << 8);
      const int32_t q = (int32_t)((two >> (bit & 7)) & mask);
      acc += (o + sign * q) * (x[j] + input_offset);
    }
  }
  return acc;
}

/* The first tap t >= 0 with base + t * dil >= 0. */
static int32_t qt_first_tap(int32_t base, int32_t dil) { return base >= 0 ? 0 : (-base + dil - 1) / dil; }

/* One past the last tap t < k with base + t * dil < size (0 when none). */
static int32_t qt_end_tap(int32_t base, int32_t dil, int32_t size, int32_t k) {
  int32_t end;
  if (base >= size) return 0;
  end = (size - 1 - base) / dil + 1;
  return end < k ? end : k;
}

void qt_conv_s8(const qt_conv_params_t *p, const int8_t *in, int8_t *out) {
  const int32_t cin_g = p->in_c / p->groups;
  const int32_t cout_g = p->out_c / p->groups;
  const int32_t k_size = p->k_h * p->k_w * cin_g; /* weights per output channel */
  const int32_t in_row = p->in_w * p->in_c;
  int32_t b, oh, ow, oc, kh, kw;
  for (b = 0; b < p->batches; b++) {
    const int8_t *xb = in + b * p->in_h * in_row;
    for (oh = 0; oh < p->out_h; oh++) {
      const int32_t ih0 = oh * p->stride_h - p->pad_top;
      const int32_t kh0 = qt_first_tap(ih0, p->dil_h);
      const int32_t kh1 = qt_end_tap(ih0, p->dil_h, p->in_h, p->k_h);
      for (ow = 0; ow < p->out_w; ow++) {
        const int32_t iw0 = ow * p->stride_w - p->pad_left;
        const int32_t kw0 = qt_first_tap(iw0, p->dil_w);
        const int32_t kw1 = qt_end_tap(iw0, p->dil_w, p->in_w, p->k_w);
        for (oc = 0; oc < p->out_c; oc++) {
          /* only in-bounds taps: a padded cell holds the input zero point, its x' is 0 */
          const int8_t *xg = xb + (oc / cout_g) * cin_g;
          int32_t acc = p->bias ? p->bias[oc] : 0;
          for (kh = kh0; kh < kh1; kh++) {
            const int8_t *xr = xg + (ih0 + kh * p->dil_h) * in_row;
            for (kw = kw0; kw < kw1; kw++)
              acc += qt_dot(p->weights, oc * k_size + (kh * p->k_w + kw) * cin_g, oc,
                            xr + (iw0 + kw * p->dil_w) * p->in_c, cin_g, p->input_offset);
          }
          *out++ = qt_mac_output(acc, &p->requant[p->per_channel_requant ? oc : 0], p->mode, p->output_offset,
                                 p->act_min, p->act_max);
        }
      }
    }
  }
}

void qt_fc_s8(const qt_fc_params_t *p, const int8_t *in, int8_t *out) {
  const int32_t k = p->in_features;
  int32_t b, n;
  for (b = 0; b < p->batches; b++) {
    const int8_t *x = in + b * k;
    for (n = 0; n < p->out_features; n++) {
      const int32_t acc = (p->bias ? p->bias[n] : 0) + qt_dot(p->weights, n * k, n, x, k, p->input_offset);
      *out++ = qt_mac_output(acc, &p->requant[p->per_channel_requant ? n : 0], p->mode, p->output_offset,
                             p->act_min, p->act_max);
    }
  }
}

void qt_matmul_s8(const qt_matmul_params_t *p, const int8_t *a, const int8_t *b, int8_t *out) {
  const int32_t m = p->m, k = p->k, n = p->n;
  int32_t matrices = 1;
  int32_t t, d, i, j, q;
  for (d = 0; d < p->batch_dims; d++) matrices *= p->batch_shape[d];
  for (t = 0; t < matrices; t++) {
    /* the batch index of output matrix t, row-major, mapped to A's and B's (broadcast) matrices */
    int32_t rest = t, am = 0, bm = 0;
    const int8_t *ab;
    const int8_t *bb;
    for (d = p->batch_dims - 1; d >= 0; d--) {
      const int32_t idx = rest % p->batch_shape[d];
      rest /= p->batch_shape[d];
      am += idx * p->a_batch_stride[d];
      bm += idx * p->b_batch_stride[d];
    }
    ab = a + am * m * k;
    bb = b + bm * k * n;
    for (i = 0; i < m; i++)
      for (j = 0; j < n; j++) {
        int32_t acc = 0;
        for (q = 0; q < k; q++) acc += (ab[i * k + q] + p->input_offset_a) * (bb[q * n + j] + p->input_offset_b);
        *out++ = qt_mac_output(acc, &p->requant, p->mode, p->output_offset, p->act_min, p->act_max);
      }
  }
}
