/* qt_mac_mve.c: the Helium kernels (qt_mac_mve_impl.h) with run-time params, for callers that are not a generated
   model source (which inlines the bodies per layer with its constants): the gemm row and the depthwise conv
   instantiated per rounding contract, chosen once per layer. */
#include "qt_mac_mve_impl.h"

/* The row with the rounding contract a constant (its tests fold away), chosen once per layer. */
static void qt_gemm_row_mve_tfl(const qt_gemm_s8_t *g, const int8_t *x, int8_t *y) { qt_gemm_row_mve(g, x, y, QT_MODE_TFLITE); }
static void qt_gemm_row_mve_qt(const qt_gemm_s8_t *g, const int8_t *x, int8_t *y) { qt_gemm_row_mve(g, x, y, QT_MODE_QTOOL); }
typedef void (*qt_gemm_row_mve_fn)(const qt_gemm_s8_t *g, const int8_t *x, int8_t *y);

/* scratch: the int8 im2col column (k bytes) unless the conv reads its input in place (direct). */
void qt_conv_s8_mve(const qt_conv_fast_t *p, const int8_t *in, int8_t *out, int8_t *scratch) {
  const int32_t in_img = p->in_h * p->in_w * p->in_c;
  const qt_gemm_row_mve_fn row = p->g.mode == QT_MODE_TFLITE ? qt_gemm_row_mve_tfl : qt_gemm_row_mve_qt;
  int32_t b, oh, ow;
  for (b = 0; b < p->batches; b++) {
    const int8_t *xb = in + b * in_img;
    for (oh = 0; oh < p->out_h; oh++)
      for (ow = 0; ow < p->out_w; ow++, out += p->g.n) {
        const int8_t *col;
        if (p->direct) {
          col = xb + ((oh * p->stride_h) * p->in_w + ow * p->stride_w) * p->in_c;
        } else {
          qt_im2col_mve(p, xb, oh, ow, scratch);
          col = scratch;
        }
        row(&p->g, col, out);
      }
  }
}

void qt_fc_s8_mve(const qt_gemm_s8_t *g, int32_t batches, const int8_t *in, int8_t *out, int8_t *scratch) {
  const qt_gemm_row_mve_fn row = g->mode == QT_MODE_TFLITE ? qt_gemm_row_mve_tfl : qt_gemm_row_mve_qt;
  int32_t b;
  (void)scratch;
  for (b = 0; b < batches; b++) row(g, in + b * g->k, out + b * g->n);
}

void qt_dwconv_s8_mve(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) {
  if (p->mode == QT_MODE_TFLITE) qt_dwconv_mve(p, in, out, QT_MODE_TFLITE, p->k_h, p->k_w);
  else qt_dwconv_mve(p, in, out, QT_MODE_QTOOL, p->k_h, p->k_w);
}

/* The 3x3 depthwise conv (MobileNets): the window a constant, so its tap loops unroll. */
void qt_dwconv_s8_mve_3x3(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) {
  if (p->mode == QT_MODE_TFLITE) qt_dwconv_mve(p, in, out, QT_MODE_TFLITE, 3, 3);
  else qt_dwconv_mve(p, in, out, QT_MODE_QTOOL, 3, 3);
}
