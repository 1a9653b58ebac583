/* fw_hook.h: force-included (gcc -include) when the generated model sources are compiled for the firmware.
   It routes the model's per-layer hook QT_LAYER_DONE(index, output, bytes) to the firmware, which uses it for
   READ (copy one layer's output), PROFILE (cycles per layer) and the instruction-count markers. */
#ifndef QT_FW_HOOK_H
#define QT_FW_HOOK_H

#ifndef __ASSEMBLER__ /* the -include also reaches qt_mark.S */
#include <stdint.h>

void qt_fw_layer_done(unsigned index, const void *output, uint32_t bytes);

#define QT_LAYER_DONE(index, output, bytes) qt_fw_layer_done((unsigned)(index), (const void *)(output), (uint32_t)(bytes))
#endif

#endif
