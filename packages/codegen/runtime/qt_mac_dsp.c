/* qt_mac_dsp.c: the DSP kernels (qt_mac_dsp_impl.h) with run-time params, for callers that are not a generated
   model source (which inlines the bodies per layer with its constants): the gemm row and the 3x3 depthwise
   instantiated per rounding contract, per-channel multipliers and whole-int8 clamp, chosen once per layer. */
#include "qt_mac_dsp_impl.h"

/* The row with the rounding contract, per-channel multipliers and a whole-int8 clamp as constants (their tests
   fold away), chosen once per layer. */
#define QT_ROW_DSP(name, mode, pc, full)                                                                   \
  static void name(const qt_gemm_s8_t *g, const int16_t *x16, const int8_t *x8, int8_t *y) {               \
    qt_gemm_row_dsp(g, x16, x8, y, mode, pc, full);                                                         \
  }
QT_ROW_DSP(qt_row_dsp_t00, QT_MODE_TFLITE, 0, 0)
QT_ROW_DSP(qt_row_dsp_t01, QT_MODE_TFLITE, 0, 1)
QT_ROW_DSP(qt_row_dsp_t10, QT_MODE_TFLITE, 1, 0)
QT_ROW_DSP(qt_row_dsp_t11, QT_MODE_TFLITE, 1, 1)
QT_ROW_DSP(qt_row_dsp_q00, QT_MODE_QTOOL, 0, 0)
QT_ROW_DSP(qt_row_dsp_q01, QT_MODE_QTOOL, 0, 1)
QT_ROW_DSP(qt_row_dsp_q10, QT_MODE_QTOOL, 1, 0)
QT_ROW_DSP(qt_row_dsp_q11, QT_MODE_QTOOL, 1, 1)
typedef void (*qt_gemm_row_fn)(const qt_gemm_s8_t *g, const int16_t *x16, const int8_t *x8, int8_t *y);

/* (a switch, not a table: a table of pointers is read-only data that a --gc-sections link drops when unused,
   and the flash figures of report.json count every .rodata byte of the objects) */
static qt_gemm_row_fn qt_row_dsp_of(const qt_gemm_s8_t *g) {
  const int full = g->act_min == -128 && g->act_max == 127;
  switch ((g->mode == QT_MODE_TFLITE ? 4 : 0) + (g->per_channel_requant ? 2 : 0) + (full ? 1 : 0)) {
    case 0: return qt_row_dsp_q00;
    case 1: return qt_row_dsp_q01;
    case 2: return qt_row_dsp_q10;
    case 3: return qt_row_dsp_q11;
    case 4: return qt_row_dsp_t00;
    case 5: return qt_row_dsp_t01;
    case 6: return qt_row_dsp_t10;
    default: return qt_row_dsp_t11;
  }
}

/* scratch: the widened column (2 k bytes, 8-byte aligned), then for an im2col conv with in_c % 4 != 0 the int8
   column (k bytes). */
void qt_conv_s8_dsp(const qt_conv_fast_t *p, const int8_t *in, int8_t *out, int8_t *scratch) {
  const int32_t in_img = p->in_h * p->in_w * p->in_c;
  int16_t *x16 = (int16_t *)(void *)scratch;
  int8_t *col8 = scratch + 2 * ((p->g.k + 3) & ~3);
  const int whole = (p->in_c & 3) == 0;
  const qt_gemm_row_fn row = qt_row_dsp_of(&p->g);
  int32_t b, oh, ow;
  for (b = 0; b < p->batches; b++) {
    const int8_t *xb = in + b * in_img;
    for (oh = 0; oh < p->out_h; oh++)
      for (ow = 0; ow < p->out_w; ow++, out += p->g.n) {
        if (p->direct) {
          qt_widen_dsp(xb + ((oh * p->stride_h) * p->in_w + ow * p->stride_w) * p->in_c, p->g.k, x16);
        } else if (whole) {
          qt_im2col16_dsp(p, xb, oh, ow, x16);
        } else {
          qt_im2col(p, xb, oh, ow, col8);
          qt_widen_dsp(col8, p->g.k, x16);
        }
        row(&p->g, x16, NULL, out);
      }
  }
}

/* Each row widened on the fly (read once per block of 4 output channels), or into scratch with packed weights. */
void qt_fc_s8_dsp(const qt_gemm_s8_t *g, int32_t batches, const int8_t *in, int8_t *out, int8_t *scratch) {
  const qt_gemm_row_fn row = qt_row_dsp_of(g);
  int32_t b;
  for (b = 0; b < batches; b++) {
    const int16_t *x16 = NULL;
    if (g->packed) {
      qt_widen_dsp(in + b * g->k, g->k, (int16_t *)(void *)scratch);
      x16 = (const int16_t *)(const void *)scratch;
    }
    row(g, x16, in + b * g->k, out + b * g->n);
  }
}

void qt_dwconv_s8_dsp(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) {
  const int32_t full = p->act_min == -128 && p->act_max == 127;
  if (p->mode == QT_MODE_TFLITE) qt_dwconv_dsp(p, in, out, QT_MODE_TFLITE, p->k_h, p->k_w, p->per_channel_requant, full);
  else qt_dwconv_dsp(p, in, out, QT_MODE_QTOOL, p->k_h, p->k_w, p->per_channel_requant, full);
}

/* The 3x3 depthwise conv (MobileNets): the window a constant, so its tap loops unroll; and, as the gemm rows,
   the rounding contract, per-channel multipliers and a whole-int8 clamp as constants. */
#define QT_DW3_DSP(name, mode, pc, full) \
  static void name(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) { qt_dwconv_dsp(p, in, out, mode, 3, 3, pc, full); }
QT_DW3_DSP(qt_dw3_dsp_t00, QT_MODE_TFLITE, 0, 0)
QT_DW3_DSP(qt_dw3_dsp_t01, QT_MODE_TFLITE, 0, 1)
QT_DW3_DSP(qt_dw3_dsp_t10, QT_MODE_TFLITE, 1, 0)
QT_DW3_DSP(qt_dw3_dsp_t11, QT_MODE_TFLITE, 1, 1)
QT_DW3_DSP(qt_dw3_dsp_q00, QT_MODE_QTOOL, 0, 0)
QT_DW3_DSP(qt_dw3_dsp_q01, QT_MODE_QTOOL, 0, 1)
QT_DW3_DSP(qt_dw3_dsp_q10, QT_MODE_QTOOL, 1, 0)
QT_DW3_DSP(qt_dw3_dsp_q11, QT_MODE_QTOOL, 1, 1)

void qt_dwconv_s8_dsp_3x3(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) {
  const int full = p->act_min == -128 && p->act_max == 127;
  switch ((p->mode == QT_MODE_TFLITE ? 4 : 0) + (p->per_channel_requant ? 2 : 0) + (full ? 1 : 0)) {
    case 0: qt_dw3_dsp_q00(p, in, out); break;
    case 1: qt_dw3_dsp_q01(p, in, out); break;
    case 2: qt_dw3_dsp_q10(p, in, out); break;
    case 3: qt_dw3_dsp_q11(p, in, out); break;
    case 4: qt_dw3_dsp_t00(p, in, out); break;
    case 5: qt_dw3_dsp_t01(p, in, out); break;
    case 6: qt_dw3_dsp_t10(p, in, out); break;
    default: qt_dw3_dsp_t11(p, in, out); break;
  }
}
