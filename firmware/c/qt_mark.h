/* qt_mark.h: markers for the instruction-count plugin (firmware/qemu-plugin/qt_icount.c). qt_mark(id) costs a
   handful of instructions and one flash read; the plugin records the guest instruction count at each call. */
#ifndef QT_MARK_H
#define QT_MARK_H

#include <stdint.h>

#define QT_MARK_RUN_BEGIN 1u /* just before <model>_invoke */
#define QT_MARK_RUN_END 2u   /* just after it returns */
#define QT_MARK_LAYER 16u    /* + layer index: that layer's QT_LAYER_DONE (ids up to 4095) */
#define QT_MARK_MAX 4095u

void qt_mark(uint32_t id);

#endif
