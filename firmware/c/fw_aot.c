/* fw_aot.c: the ahead-of-time firmware: the generated model is linked in (qt_fw_model.h, written by the build
   driver firmware/src/build.ts), the board's UART feeds the protocol receiver from its RX interrupt, and the
   core sleeps in wfi between bytes. Message semantics: docs/protocol.md (version 1). */
#include <string.h>
#include "board.h"
#include "cortexm.h"
#include "fw_run.h"
#include "serial.h"
#include "qt_fw_model.h" /* QT_FW_* sizes and QT_FW_INVOKE(in, out) for the linked model */

#define MODE_AOT 0u
#define STATE_ACTIVE 2u

static uint8_t inputs[QT_FW_INPUT_BYTES] __attribute__((aligned(16)));
static uint8_t outputs[QT_FW_OUTPUT_BYTES] __attribute__((aligned(16)));

static void invoke(void) { QT_FW_INVOKE(inputs, outputs); }

static const struct fw_model model = {inputs, outputs, QT_FW_INPUT_BYTES, QT_FW_OUTPUT_BYTES, QT_FW_LAYER_COUNT, invoke};


/* ---- handlers (the shared ones are in fw_run.c) ---- */
static int on_hello(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  EXPECT_LEN(len == 1);
  r->out[0] = req[0] < QT_PROTO_VERSION ? req[0] : (uint8_t)QT_PROTO_VERSION;
  r->out[1] = MODE_AOT;
  r->len = 2;
  return QT_OK;
}

static int on_info(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  EXPECT_LEN(len == 0);
  uint8_t *p = r->out;
  p = wr16(p, FW_VERSION);
  *p++ = QT_PROTO_VERSION;
  *p++ = MODE_AOT;
  const size_t id_len = strlen(board_id);
  *p++ = (uint8_t)id_len;
  memcpy(p, board_id, id_len);
  p += id_len;
  memcpy(p, QT_FW_MODEL_HASH, 16); /* 16 ASCII hex digits: the first 8 bytes of the model hash */
  p += 16;
  p = wr32(p, QT_FW_ARENA_BYTES);
  p = wr32(p, 0); /* model storage: none in aot mode */
  p = wr32(p, QT_FW_INPUT_BYTES);
  p = wr32(p, QT_FW_OUTPUT_BYTES);
  p = wr16(p, QT_FW_LAYER_COUNT);
  *p++ = STATE_ACTIVE;
  r->len = (uint16_t)(p - r->out);
  return QT_OK;
}

static int on_blob_only(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  (void)len;
  r->msg = "aot firmware: the model is linked in (LOAD/VERIFY need the blob firmware)";
  return QT_E_NOT_SUPPORTED;
}

const struct qt_handler_entry qt_handlers[] = {
    {QT_HELLO, on_hello},       {QT_INFO, on_info},        {QT_INPUT, fw_on_input},     {QT_RUN, fw_on_run},
    {QT_OUTPUT, fw_on_output},  {QT_READ, fw_on_read},     {QT_PROFILE, fw_on_profile}, {QT_RESET, fw_on_reset},
    {QT_LOAD, on_blob_only},    {QT_VERIFY, on_blob_only},
};
const unsigned qt_handler_count = sizeof qt_handlers / sizeof qt_handlers[0];

int main(void) {
  fw_set_model(&model);
  fw_main();
  return 0;
}
