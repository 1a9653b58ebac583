/* qt_elementwise_mve.c: add / sub for the Cortex-M55 with run-time params (qt_elementwise_mve_impl.h), for
   callers that are not a generated model source (which inlines the body per layer with its constants). */
#include "qt_elementwise_mve_impl.h"

void qt_add_s8_mve(const qt_add_fast_t *p, const int8_t *in1, const int8_t *in2, int8_t *out) { qt_add_spec_mve(p, in1, in2, out); }
