/* qt_runtime.h: types and kernel entry points of qtool's C runtime. C99, integer-only, no malloc, no float,
   no printf. Each kernel reads a params struct the generated model source fills with constants. */
#ifndef QT_RUNTIME_H
#define QT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include "qt_math.h"

#if defined(__GNUC__) || defined(__clang__)
#define QT_ALIGN(n) __attribute__((aligned(n)))
#else
#define QT_ALIGN(n)
#endif

/* A layer's own function in a generated model source (its kernel body inlined on its constant params): kept out
   of line, so that the compiler allocates registers per layer rather than over the whole invoke(). */
#if defined(__GNUC__) || defined(__clang__)
#define QT_LAYER_FN static __attribute__((noinline))
#else
#define QT_LAYER_FN static
#endif

/* A requantization multiplier: M = multiplier * 2^(shift - 31) (docs/arithmetic.md). */
typedef struct {
  int32_t multiplier;
  int32_t shift;
} qt_requant_t;
/* The emitter counts a table of these as 8 bytes an entry in the model's constant bytes (report.json). */
typedef char qt_requant_t_is_8_bytes[sizeof(qt_requant_t) == 8 ? 1 : -1];

/* Integer weights: q values stored signed int8 (format 0), unsigned 8-bit (format 1), or packed `bits`-bit
   unsigned little-endian bit stream (format 2); adjusted weight = q + offset[c] (anchor 0, min) or offset[c] - q
   (anchor 1, max), c the output channel (offset has one entry when per_channel is 0). */
typedef struct {
  const void *q;
  const int32_t *offset;
  int32_t format;
  int32_t bits;
  int32_t anchor;
  int32_t per_channel;
} qt_weights_t;

#define QT_W_S8 0
#define QT_W_U8 1
#define QT_W_PACKED 2

/* The stored q value of element i (not yet adjusted). */
static inline int32_t qt_weight_q(const qt_weights_t *w, int32_t i) {
  if (w->format == QT_W_S8) return ((const int8_t *)w->q)[i];
  if (w->format == QT_W_U8) return ((const uint8_t *)w->q)[i];
  {
    const uint8_t *p = (const uint8_t *)w->q;
    const int32_t bit = i * w->bits;
    const uint32_t two = (uint32_t)p[bit >> 3] | ((uint32_t)p[(bit >> 3) + 1] << 8);
    return (int32_t)((two >> (bit & 7)) & ((1u << w->bits) - 1u));
  }
}

/* The adjusted weight of element i of output channel c. */
static inline int32_t qt_weight(const qt_weights_t *w, int32_t i, int32_t c) {
  const int32_t q = qt_weight_q(w, i);
  const int32_t o = w->offset[w->per_channel ? c : 0];
  return w->anchor == 0 ? q + o : o - q;
}

#include "qt_kernels.h"

#endif
