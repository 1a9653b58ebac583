/* qt_chain.h: consecutive-layer chains (docs/arithmetic.md, "Chains"), the C twin of evalInt in
   packages/ops/src/ops/mac_chain.ts. A chain runs its stages in a straight line through int32 buffers in the
   kernel scratch: the first MAC stage reads the int8 input (x' = x + input_offset), every later stage reads the
   previous stage's int32 accumulators as they are (zero point 0), and only the last MAC stage requantizes to int8
   (clamp(R(acc, m[c], s[c]) + output_offset, act_min, act_max)). The quantizer proved that no partial sum of any
   stage leaves int32, for any int8 input; the kernels check nothing.
   The model source carries these prototypes itself (the emitter declares this header's text), so the folder
   needs no extra header; qt_chain.c is compiled against it in the tests. */
#ifndef QT_CHAIN_H
#define QT_CHAIN_H

/* A MAC stage (conv: 2-D, grouped, depthwise; fully_connected), parameters as in qt_mac.h. Exactly one of in8
   (int8 chain input, p->input_offset added) and in32 (accumulators of the previous stage; p->input_offset is 0)
   is non-NULL; exactly one of out32 (accumulators, clamped to [act_lo[c], act_hi[c]] where those are non-NULL)
   and out8 (the chain's int8 output, requantized with p->requant) is non-NULL. */
void qt_chain_conv(const qt_conv_params_t *p, const int32_t *act_lo, const int32_t *act_hi, const int8_t *in8,
                   const int32_t *in32, int32_t *out32, int8_t *out8);
void qt_chain_fc(const qt_fc_params_t *p, const int32_t *act_lo, const int32_t *act_hi, const int8_t *in8,
                 const int32_t *in32, int32_t *out32, int8_t *out8);
/* max_pool over int32 accumulators: the max of each window's in-bounds cells (geometry as qt_max_pool_s8; the
   clamp, pad and requant fields of qt_pool_params_t are not used). */
void qt_chain_max_pool(const qt_pool_params_t *p, const int32_t *in, int32_t *out);
/* A conv stage (out32) followed by a max_pool whose windows neither overlap nor pad (stride = kernel, no pads,
   no dilation, no ceil mode): the pooled accumulators directly, without storing the conv's output. */
void qt_chain_conv_pool(const qt_conv_params_t *p, const qt_pool_params_t *pool, const int32_t *act_lo,
                        const int32_t *act_hi, const int8_t *in8, const int32_t *in32, int32_t *out);

#endif
