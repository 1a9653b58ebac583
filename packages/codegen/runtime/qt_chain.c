/* qt_chain.c: consecutive-layer chains, portable C99 (docs/arithmetic.md "Chains"; prototypes in qt_chain.h,
   which the generated model source declares). Every sum below is a partial sum of a stage's accumulator: the
   quantizer proved |bias| + sum |adj| * max|x'| <= 2^31 - 1 per output channel of every stage (x' the previous
   stage's proven value range), so none can overflow int32, in any order. */
#include "qt_runtime.h"

void qt_chain_conv(const qt_conv_params_t *p, const int32_t *act_lo, const int32_t *act_hi, const int8_t *in8,
                   const int32_t *in32, int32_t *out32, int8_t *out8);
void qt_chain_fc(const qt_fc_params_t *p, const int32_t *act_lo, const int32_t *act_hi, const int8_t *in8,
                 const int32_t *in32, int32_t *out32, int8_t *out8);
void qt_chain_max_pool(const qt_pool_params_t *p, const int32_t *in, int32_t *out);
void qt_chain_conv_pool(const qt_conv_params_t *p, const qt_pool_params_t *pool, const int32_t *act_lo,
                        const int32_t *act_hi, const int8_t *in8, const int32_t *in32, int32_t *out);

/* sum over j < n of adj(i0 + j) * x'[j], x' = x8[j] + input_offset (x8 non-NULL) or x32[j]: n consecutive weights
   of output channel c. */
static int32_t qt_chain_dot(const qt_weights_t *w, int32_t i0, int32_t c, const int8_t *x8, const int32_t *x32,
                            int32_t n, int32_t input_offset) {
  const int32_t o = w->offset[w->per_channel ? c : 0];
  const int32_t sign = w->anchor == 0 ? 1 : -1; /* adj = o + q (min-anchored) or o - q (max-anchored) */
  int32_t acc = 0;
  int32_t j;
  if (w->format == QT_W_U8) {
    const uint8_t *q = (const uint8_t *)w->q + i0;
    if (x8 && sign > 0)
      for (j = 0; j < n; j++) acc += (q[j] + o) * (x8[j] + input_offset);
    else if (x8)
      for (j = 0; j < n; j++) acc += (o - q[j]) * (x8[j] + input_offset);
    else if (sign > 0)
      for (j = 0; j < n; j++) acc += (q[j] + o) * x32[j];
    else
      for (j = 0; j < n; j++) acc += (o - q[j]) * x32[j];
  } else if (w->format == QT_W_S8) {
    const int8_t *q = (const int8_t *)w->q + i0;
    if (x8 && sign > 0)
      for (j = 0; j < n; j++) acc += (q[j] + o) * (x8[j] + input_offset);
    else if (x8)
      for (j = 0; j < n; j++) acc += (o - q[j]) * (x8[j] + input_offset);
    else if (sign > 0)
      for (j = 0; j < n; j++) acc += (q[j] + o) * x32[j];
    else
      for (j = 0; j < n; j++) acc += (o - q[j]) * x32[j];
  } else {
    /* packed little-endian bit stream, element i at bit i * bits (qt_weight_q), one padding byte at the end */
    const uint8_t *pk = (const uint8_t *)w->q;
    const int32_t bits = w->bits;
    const uint32_t mask = (1u << bits) - 1u;
    int32_t bit = i0 * bits;
    if (x8)
      for (j = 0; j < n; j++, bit += bits) {
        const uint32_t two = (uint32_t)pk[bit >> 3] | ((uint32_t)pk[(bit >> 3) + 1] << 8);
        acc += (o + sign * (int32_t)((two >> (bit & 7)) & mask)) * (x8[j] + input_offset);
      }
    else
      for (j = 0; j < n; j++, bit += bits) {
        const uint32_t two = (uint32_t)pk[bit >> 3] | ((uint32_t)pk[(bit >> 3) + 1] << 8);
        acc += (o + sign * (int32_t)((two >> (bit & 7)) & mask)) * x32[j];
      }
  }
  return acc;
}

/* The end of one output: the chain's int8 output (requantized once) or a clamped accumulator. */
static void qt_chain_store(int32_t acc, int32_t c, int32_t idx, const qt_requant_t *rq, int32_t per_channel,
                           int32_t mode, int32_t output_offset, int32_t lo, int32_t hi, const int32_t *act_lo,
                           const int32_t *act_hi, int32_t *out32, int8_t *out8) {
  if (out8) {
    const qt_requant_t *r = &rq[per_channel ? c : 0];
    const int32_t v = qt_rq(mode, acc, r->multiplier, r->shift);
    out8[idx] = (int8_t)qt_clamp(qt_sat32((int64_t)v + output_offset), lo, hi);
  } else {
    if (act_lo && acc < act_lo[c]) acc = act_lo[c];
    if (act_hi && acc > act_hi[c]) acc = act_hi[c];
    out32[idx] = acc;
  }
}

static int32_t qt_chain_first_tap(int32_t base, int32_t dil) { return base >= 0 ? 0 : (-base + dil - 1) / dil; }

static int32_t qt_chain_end_tap(int32_t base, int32_t dil, int32_t size, int32_t k) {
  int32_t end;
  if (base >= size) return 0;
  end = (size - 1 - base) / dil + 1;
  return end < k ? end : k;
}

void qt_chain_conv(const qt_conv_params_t *p, const int32_t *act_lo, const int32_t *act_hi, const int8_t *in8,
                   const int32_t *in32, int32_t *out32, int8_t *out8) {
  const int32_t cin_g = p->in_c / p->groups;
  const int32_t cout_g = p->out_c / p->groups;
  const int32_t k_size = p->k_h * p->k_w * cin_g;
  const int32_t in_row = p->in_w * p->in_c;
  int32_t b, oh, ow, oc, kh, kw, idx = 0;
  for (b = 0; b < p->batches; b++) {
    const int32_t xb = b * p->in_h * in_row;
    for (oh = 0; oh < p->out_h; oh++) {
      const int32_t ih0 = oh * p->stride_h - p->pad_top;
      const int32_t kh0 = qt_chain_first_tap(ih0, p->dil_h);
      const int32_t kh1 = qt_chain_end_tap(ih0, p->dil_h, p->in_h, p->k_h);
      for (ow = 0; ow < p->out_w; ow++) {
        const int32_t iw0 = ow * p->stride_w - p->pad_left;
        const int32_t kw0 = qt_chain_first_tap(iw0, p->dil_w);
        const int32_t kw1 = qt_chain_end_tap(iw0, p->dil_w, p->in_w, p->k_w);
        for (oc = 0; oc < p->out_c; oc++, idx++) {
          /* only in-bounds taps: a padded cell is 0 (the zero point of the input, or an accumulator's 0) */
          const int32_t xg = xb + (oc / cout_g) * cin_g;
          int32_t acc = p->bias ? p->bias[oc] : 0;
          for (kh = kh0; kh < kh1; kh++) {
            const int32_t xr = xg + (ih0 + kh * p->dil_h) * in_row;
            for (kw = kw0; kw < kw1; kw++) {
              const int32_t xo = xr + (iw0 + kw * p->dil_w) * p->in_c;
              acc += qt_chain_dot(p->weights, oc * k_size + (kh * p->k_w + kw) * cin_g, oc, in8 ? in8 + xo : NULL,
                                  in8 ? NULL : in32 + xo, cin_g, p->input_offset);
            }
          }
          qt_chain_store(acc, oc, idx, p->requant, p->per_channel_requant, p->mode, p->output_offset, p->act_min,
                         p->act_max, act_lo, act_hi, out32, out8);
        }
      }
    }
  }
}

/* The accumulator of conv output (b, oh, ow, oc), only in-bounds taps (a padded cell is 0: the zero point of the
   input, or an accumulator's 0). */
static int32_t qt_chain_conv_at(const qt_conv_params_t *p, int32_t b, int32_t oh, int32_t ow, int32_t oc,
                                const int8_t *in8, const int32_t *in32) {
  const int32_t cin_g = p->in_c / p->groups;
  const int32_t k_size = p->k_h * p->k_w * cin_g;
  const int32_t in_row = p->in_w * p->in_c;
  const int32_t ih0 = oh * p->stride_h - p->pad_top;
  const int32_t iw0 = ow * p->stride_w - p->pad_left;
  const int32_t kh1 = qt_chain_end_tap(ih0, p->dil_h, p->in_h, p->k_h);
  const int32_t kw0 = qt_chain_first_tap(iw0, p->dil_w);
  const int32_t kw1 = qt_chain_end_tap(iw0, p->dil_w, p->in_w, p->k_w);
  const int32_t xg = b * p->in_h * in_row + (oc / (p->out_c / p->groups)) * cin_g;
  int32_t acc = p->bias ? p->bias[oc] : 0;
  int32_t kh, kw;
  for (kh = qt_chain_first_tap(ih0, p->dil_h); kh < kh1; kh++) {
    const int32_t xr = xg + (ih0 + kh * p->dil_h) * in_row;
    for (kw = kw0; kw < kw1; kw++) {
      const int32_t xo = xr + (iw0 + kw * p->dil_w) * p->in_c;
      acc += qt_chain_dot(p->weights, oc * k_size + (kh * p->k_w + kw) * cin_g, oc, in8 ? in8 + xo : NULL,
                          in8 ? NULL : in32 + xo, cin_g, p->input_offset);
    }
  }
  return acc;
}

/* conv then max_pool with windows that neither overlap nor pad (stride = kernel, no pads, no dilation): each
   pooled accumulator is the max of the clamped conv accumulators of its window, computed where they are needed,
   so the conv's own output is never stored (the same values as qt_chain_conv then qt_chain_max_pool: the clamp
   is monotone, so clamping before the max equals clamping after). */
void qt_chain_conv_pool(const qt_conv_params_t *p, const qt_pool_params_t *pool, const int32_t *act_lo,
                        const int32_t *act_hi, const int8_t *in8, const int32_t *in32, int32_t *out) {
  int32_t b, ph, pw, oc, i, j;
  for (b = 0; b < p->batches; b++)
    for (ph = 0; ph < pool->out_h; ph++)
      for (pw = 0; pw < pool->out_w; pw++)
        for (oc = 0; oc < p->out_c; oc++) {
          int32_t m = INT32_MIN;
          for (i = 0; i < pool->k_h; i++)
            for (j = 0; j < pool->k_w; j++) {
              int32_t acc = qt_chain_conv_at(p, b, ph * pool->stride_h + i, pw * pool->stride_w + j, oc, in8, in32);
              if (act_lo && acc < act_lo[oc]) acc = act_lo[oc];
              if (act_hi && acc > act_hi[oc]) acc = act_hi[oc];
              if (acc > m) m = acc;
            }
          *out++ = m;
        }
}

void qt_chain_fc(const qt_fc_params_t *p, const int32_t *act_lo, const int32_t *act_hi, const int8_t *in8,
                 const int32_t *in32, int32_t *out32, int8_t *out8) {
  const int32_t k = p->in_features;
  int32_t b, n, idx = 0;
  for (b = 0; b < p->batches; b++)
    for (n = 0; n < p->out_features; n++, idx++) {
      const int32_t acc = (p->bias ? p->bias[n] : 0) +
                          qt_chain_dot(p->weights, n * k, n, in8 ? in8 + b * k : NULL, in8 ? NULL : in32 + b * k, k,
                                       p->input_offset);
      qt_chain_store(acc, n, idx, p->requant, p->per_channel_requant, p->mode, p->output_offset, p->act_min,
                     p->act_max, act_lo, act_hi, out32, out8);
    }
}

void qt_chain_max_pool(const qt_pool_params_t *p, const int32_t *in, int32_t *out) {
  const int32_t ch = p->channels;
  int32_t b, oh, ow, c, kh, kw;
  for (b = 0; b < p->batches; b++) {
    const int32_t *xb = in + b * p->in_h * p->in_w * ch;
    for (oh = 0; oh < p->out_h; oh++) {
      const int32_t ih0 = oh * p->stride_h - p->pad_top;
      const int32_t kh0 = qt_chain_first_tap(ih0, p->dil_h);
      const int32_t kh1 = qt_chain_end_tap(ih0, p->dil_h, p->in_h, p->k_h);
      for (ow = 0; ow < p->out_w; ow++) {
        const int32_t iw0 = ow * p->stride_w - p->pad_left;
        const int32_t kw0 = qt_chain_first_tap(iw0, p->dil_w);
        const int32_t kw1 = qt_chain_end_tap(iw0, p->dil_w, p->in_w, p->k_w);
        for (c = 0; c < ch; c++) {
          int32_t m = INT32_MIN;
          for (kh = kh0; kh < kh1; kh++)
            for (kw = kw0; kw < kw1; kw++) {
              const int32_t v = xb[((ih0 + kh * p->dil_h) * p->in_w + iw0 + kw * p->dil_w) * ch + c];
              if (v > m) m = v;
            }
          *out++ = m;
        }
      }
    }
  }
}
