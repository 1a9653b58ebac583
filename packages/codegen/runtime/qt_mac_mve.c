/* qt_mac_mve.c: the Helium kernels (qt_mac_mve_impl.h) as functions with run-time params, for callers that are not
   a generated model source (a model source inlines the same bodies per layer on its constant params). */
#include "qt_mac_mve_impl.h"

void qt_conv_s8_mve(const qt_conv_fast_t *p, const int8_t *in, int8_t *out, int8_t *scratch) { qt_conv_spec_mve(p, in, out, scratch); }

void qt_fc_s8_mve(const qt_gemm_s8_t *g, int32_t batches, const int8_t *in, int8_t *out, int8_t *scratch) {
  qt_fc_spec_mve(g, batches, in, out, scratch);
}

void qt_dwconv_s8_mve(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) { qt_dwconv_spec_mve(p, in, out); }

void qt_dwconv_s8_mve_3x3(const qt_dwconv_fast_t *p, const int8_t *in, int8_t *out) { qt_dwconv_spec_mve(p, in, out); }
