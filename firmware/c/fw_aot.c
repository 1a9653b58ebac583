/* fw_aot.c: the ahead-of-time firmware: the generated model is linked in (qt_fw_model.h, written by the build
   driver firmware/src/build.ts), the board's UART feeds the protocol receiver from its RX interrupt, and the
   core sleeps in wfi between bytes. Message semantics: docs/protocol.md (version 1). */
#include <string.h>
#include "board.h"
#include "cortexm.h"
#include "proto.h"
#include "qt_mark.h"
#include "serial.h"
#include "qt_fw_model.h" /* QT_FW_* sizes and QT_FW_INVOKE(in, out) for the linked model */

#define FW_VERSION 0x0100u /* 1.0 (major << 8 | minor) */
#define MODE_AOT 0u
#define STATE_ACTIVE 2u
#define RUN_HEAD 12u /* RUN reply: status, cycles, output bytes */
#define SCB_ICSR QT_REG(0xE000ED04u)
#define ICSR_PENDSTCLR (1u << 25)

static uint8_t inputs[QT_FW_INPUT_BYTES] __attribute__((aligned(16)));
static uint8_t outputs[QT_FW_OUTPUT_BYTES] __attribute__((aligned(16)));
static uint32_t input_held; /* bytes of inputs[] written since the last INPUT at offset 0 */

/* ---- cycle counter: DWT CYCCNT where the core has one (reads 0 under QEMU 7.2, which does not model it) ---- */
static int have_cyccnt;

static void cycles_init(void) {
  SCB_DEMCR |= DEMCR_TRCENA;
  if (DWT_CTRL & DWT_CTRL_NOCYCCNT) return;
  DWT_CYCCNT = 0;
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
  have_cyccnt = 1;
}

static uint32_t cycles_now(void) { return have_cyccnt ? DWT_CYCCNT : 0u; }

/* ---- per-layer hook (fw_hook.h): READ capture, PROFILE cycles, instruction-count markers ---- */
static struct {
  uint32_t layer; /* layer to copy, or QT_FW_LAYER_COUNT for none */
  uint32_t offset;
  uint32_t length;
  uint8_t *dst;
  uint32_t tensor_bytes;
  uint32_t copied;
} capture = {QT_FW_LAYER_COUNT, 0, 0, 0, 0, 0};
static uint32_t layer_cycles[QT_FW_LAYER_COUNT + 1u];
static uint32_t layer_start;

void qt_fw_layer_done(unsigned index, const void *output, uint32_t bytes) {
  const uint32_t now = cycles_now();
  if (index < QT_FW_LAYER_COUNT) layer_cycles[index] = now - layer_start;
  if (index == capture.layer) {
    capture.tensor_bytes = bytes;
    capture.copied = 0;
    if (capture.offset < bytes) {
      uint32_t n = bytes - capture.offset;
      if (n > capture.length) n = capture.length;
      memcpy(capture.dst, (const uint8_t *)output + capture.offset, n);
      capture.copied = n;
    }
  }
  if (QT_MARK_LAYER + index <= QT_MARK_MAX) qt_mark(QT_MARK_LAYER + index);
  layer_start = cycles_now();
}

/* one inference on inputs[] -> outputs[]; returns its cycles (0 without a counter) */
static uint32_t run_model(void) {
  /* no timer interrupt inside an inference: the instruction count stays exact and repeatable */
  tick_stop();
  SCB_ICSR = ICSR_PENDSTCLR;
  qt_mark(QT_MARK_RUN_BEGIN);
  const uint32_t start = cycles_now();
  layer_start = start;
  QT_FW_INVOKE(inputs, outputs);
  const uint32_t cycles = cycles_now() - start;
  qt_mark(QT_MARK_RUN_END);
  return cycles;
}

/* ---- little-endian helpers ---- */
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static uint8_t *wr16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  return p + 2;
}
static uint8_t *wr32(uint8_t *p, uint32_t v) {
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

static int inputs_complete(struct qt_reply *r) {
  if (input_held == QT_FW_INPUT_BYTES) return 1;
  r->msg = "inputs incomplete: send every input byte with INPUT first";
  return 0;
}

/* ---- handlers ---- */
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

static int on_input(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  EXPECT_LEN(len >= 4);
  const uint32_t offset = rd32(req), n = (uint32_t)len - 4u;
  if (offset != 0 && offset != input_held) {
    r->msg = "INPUT not at the expected offset";
    r->expected = input_held;
    return QT_E_BAD_OFFSET;
  }
  if (offset + n > QT_FW_INPUT_BYTES) {
    r->msg = "INPUT beyond the model's input bytes";
    return QT_E_TOO_BIG;
  }
  memcpy(inputs + offset, req + 4, n);
  input_held = offset + n;
  wr32(r->out, input_held);
  r->len = 4;
  return QT_OK;
}

static int on_run(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  EXPECT_LEN(len == 0);
  if (!inputs_complete(r)) return QT_E_BAD_LENGTH;
  const uint32_t cycles = run_model();
  uint32_t n = QT_FW_OUTPUT_BYTES;
  if (n > QT_MAX_PAYLOAD - RUN_HEAD) n = QT_MAX_PAYLOAD - RUN_HEAD;
  uint8_t *p = wr32(r->out, 0);
  p = wr32(p, cycles);
  p = wr32(p, QT_FW_OUTPUT_BYTES);
  memcpy(p, outputs, n);
  r->len = (uint16_t)(RUN_HEAD + n);
  return QT_OK;
}

static int on_output(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  EXPECT_LEN(len == 6);
  const uint32_t offset = rd32(req);
  uint32_t n = rd16(req + 4);
  if (offset > QT_FW_OUTPUT_BYTES) {
    r->msg = "OUTPUT offset beyond the output bytes";
    return QT_E_BAD_LENGTH;
  }
  if (n > QT_FW_OUTPUT_BYTES - offset) n = QT_FW_OUTPUT_BYTES - offset;
  if (n > QT_MAX_PAYLOAD) n = QT_MAX_PAYLOAD;
  memcpy(r->out, outputs + offset, n);
  r->len = (uint16_t)n;
  return QT_OK;
}

static int on_read(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  EXPECT_LEN(len == 8);
  const uint32_t layer = rd16(req);
  if (layer >= QT_FW_LAYER_COUNT) {
    r->msg = "READ: no such layer";
    return QT_E_BAD_LENGTH;
  }
  if (!inputs_complete(r)) return QT_E_BAD_LENGTH;
  uint32_t length = rd16(req + 6);
  if (length > QT_MAX_PAYLOAD - 4u) length = QT_MAX_PAYLOAD - 4u;
  capture.layer = layer;
  capture.offset = rd32(req + 2);
  capture.length = length;
  capture.dst = r->out + 4;
  capture.tensor_bytes = 0;
  capture.copied = 0;
  (void)run_model(); /* the whole model runs; the hook copies the asked layer's output as it completes */
  capture.layer = QT_FW_LAYER_COUNT;
  if (capture.offset > capture.tensor_bytes) {
    r->msg = "READ offset beyond the layer's tensor";
    return QT_E_BAD_LENGTH;
  }
  wr32(r->out, capture.tensor_bytes);
  r->len = (uint16_t)(4u + capture.copied);
  return QT_OK;
}

static int on_profile(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  EXPECT_LEN(len == 0);
  if (!inputs_complete(r)) return QT_E_BAD_LENGTH;
  (void)run_model();
  uint32_t layers = QT_FW_LAYER_COUNT;
  if (layers > (QT_MAX_PAYLOAD - 2u) / 4u) layers = (QT_MAX_PAYLOAD - 2u) / 4u;
  uint8_t *p = wr16(r->out, layers);
  for (uint32_t i = 0; i < layers; i++) p = wr32(p, layer_cycles[i]);
  r->len = (uint16_t)(p - r->out);
  return QT_OK;
}

static void system_reset(void) {
  qt_dsb();
  SCB_AIRCR = AIRCR_VECTKEY | AIRCR_SYSRESETREQ;
  qt_dsb();
  for (;;) {
  }
}

static int on_reset(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  EXPECT_LEN(len == 0);
  r->len = 0;
  r->after_reply = system_reset;
  return QT_OK;
}

static int on_blob_only(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  (void)len;
  r->msg = "aot firmware: the model is linked in (LOAD/VERIFY need the blob firmware)";
  return QT_E_NOT_SUPPORTED;
}

const struct qt_handler_entry qt_handlers[] = {
    {QT_HELLO, on_hello}, {QT_INFO, on_info},     {QT_INPUT, on_input},       {QT_RUN, on_run},
    {QT_OUTPUT, on_output}, {QT_READ, on_read},   {QT_PROFILE, on_profile},   {QT_RESET, on_reset},
    {QT_LOAD, on_blob_only}, {QT_VERIFY, on_blob_only},
};
const unsigned qt_handler_count = sizeof qt_handlers / sizeof qt_handlers[0];

/* ---- main loop: bytes from the RX ring into the receiver; sleep while the ring is empty ---- */
int main(void) {
  board_init(); /* interrupts are still masked (startup.c) */
  cycles_init();
  qt_irq_enable();
  for (;;) {
    qt_irq_disable();
    const int c = serial_getc();
    if (c < 0) {
      if (proto_in_frame() && tick_ms() >= QT_PARTIAL_TIMEOUT_MS) {
        proto_drop_partial(); /* 100 ms of silence inside a frame: drop it (docs/protocol.md, Frames) */
        tick_stop();
      }
      /* wfi with interrupts masked: a pending interrupt still wakes the core, and no byte can slip in between
         the empty check and the sleep; the ISR runs once they are unmasked below */
      qt_wfi();
      qt_irq_enable();
      continue;
    }
    qt_irq_enable();
    proto_feed((uint8_t)c);
    if (proto_in_frame())
      tick_start(); /* restart the silence timer at every byte of a frame */
    else
      tick_stop();
  }
}
