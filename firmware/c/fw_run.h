/* fw_run.h: what the aot and the blob firmware share: the active model as the handlers see it, the per-layer
   hook (READ capture, PROFILE cycles, instruction-count markers, the test-only fault switch), the INPUT, RUN,
   OUTPUT, READ, PROFILE and RESET handlers of docs/protocol.md, and the main loop. */
#ifndef QT_FW_RUN_H
#define QT_FW_RUN_H

#include <stdint.h>
#include "proto.h"

#define FW_VERSION 0x0100u /* 1.0 (major << 8 | minor) */
#define FW_MAX_LAYERS 255u /* a PROFILE reply holds 255 per-layer counts */

/* The model the handlers run: its input and output buffers (inputs, resp. outputs, concatenated) and one
   inference over them; invoke calls qt_fw_layer_done(i, output, bytes) after layer i. */
struct fw_model {
  uint8_t *inputs;
  uint8_t *outputs;
  uint32_t input_bytes;
  uint32_t output_bytes;
  uint32_t layers;
  void (*invoke)(void);
};

/* NULL while no model is active (blob firmware before its first VERIFY): INPUT/RUN/READ/PROFILE answer
   E_NO_MODEL. Switch with fw_set_model (one pointer write; it also forgets the inputs held). */
extern const struct fw_model *fw_active;
void fw_set_model(const struct fw_model *m);

void fw_cycles_init(void);
void qt_fw_layer_done(unsigned index, const void *output, uint32_t bytes);

int fw_on_input(const uint8_t *req, uint16_t len, struct qt_reply *r);
int fw_on_run(const uint8_t *req, uint16_t len, struct qt_reply *r);
int fw_on_output(const uint8_t *req, uint16_t len, struct qt_reply *r);
int fw_on_read(const uint8_t *req, uint16_t len, struct qt_reply *r);
int fw_on_profile(const uint8_t *req, uint16_t len, struct qt_reply *r);
int fw_on_reset(const uint8_t *req, uint16_t len, struct qt_reply *r);

/* board_init, cycle counter, then bytes from the RX ring into the receiver, wfi while it is empty; never returns */
void fw_main(void);

/* ---- little-endian helpers ---- */
static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static inline uint8_t *wr16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  return p + 2;
}
static inline uint8_t *wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
  return p + 4;
}

#define EXPECT_LEN(cond)                                                                                              \
  do {                                                                                                                \
    if (!(cond)) {                                                                                                    \
      r->msg = "payload length does not match the request";                                                           \
      return QT_E_BAD_LENGTH;                                                                                         \
    }                                                                                                                 \
  } while (0)

#endif
