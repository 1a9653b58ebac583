/* qt_kernels.h: every kernel family of the runtime. One header per family; the generated Makefile compiles
   only the .c files a model needs. */
#ifndef QT_KERNELS_H
#define QT_KERNELS_H

#include "qt_mac.h"         /* conv (incl. depthwise, grouped), fully_connected, matmul */
#include "qt_elementwise.h" /* add, sub, mul, table lookups (sigmoid, tanh, ...) */
#include "qt_pool.h"        /* max_pool, avg_pool, mean */
#include "qt_softmax.h"     /* softmax */
#include "qt_move.h"        /* transpose, concat, pad, copy, requantize */

#endif
