/* fw_run.c: the handlers both firmwares share (fw_run.h): they run whatever model fw_active points to. Message
   semantics: docs/protocol.md (version 1). */
#include <string.h>
#include "board.h"
#include "cortexm.h"
#include "fw_run.h"
#include "qt_mark.h"
#include "serial.h"

#define NO_LAYER 0xFFFFFFFFu
#define RUN_HEAD 12u /* RUN reply: status, cycles, output bytes */
#define SCB_ICSR QT_REG(0xE000ED04u)
#define ICSR_PENDSTCLR (1u << 25)

const struct fw_model *fw_active;
static uint32_t input_held; /* bytes of the inputs written since the last INPUT at offset 0 */

void fw_set_model(const struct fw_model *m) {
  input_held = 0;
  fw_active = m;
}

/* ---- cycle counter: DWT CYCCNT where the core has one (reads 0 under QEMU 7.2, which does not model it) ---- */
static int have_cyccnt;

void fw_cycles_init(void) {
  SCB_DEMCR |= DEMCR_TRCENA;
  if (DWT_CTRL & DWT_CTRL_NOCYCCNT) return;
  DWT_CYCCNT = 0;
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
  have_cyccnt = 1;
}

static uint32_t cycles_now(void) { return have_cyccnt ? DWT_CYCCNT : 0u; }

/* ---- per-layer hook (fw_hook.h): READ capture, PROFILE cycles, instruction-count markers ---- */
static struct {
  uint32_t layer; /* layer to copy, or NO_LAYER */
  uint32_t offset;
  uint32_t length;
  uint8_t *dst;
  uint32_t tensor_bytes;
  uint32_t copied;
} capture = {NO_LAYER, 0, 0, 0, 0, 0};
static uint32_t layer_cycles[FW_MAX_LAYERS];
static uint32_t layer_start;

void qt_fw_layer_done(unsigned index, const void *output, uint32_t bytes) {
  const uint32_t now = cycles_now();
#ifdef QT_TEST_FAULT_LAYER
  /* TEST ONLY (-DQT_TEST_FAULT_LAYER=n, never in a normal build): a deliberately wrong kernel at layer n, bit 0
     of every byte of its output flipped, for the tests that the flasher catches it and names the layer */
  if (index == (unsigned)(QT_TEST_FAULT_LAYER))
    for (uint32_t i = 0; i < bytes; i++) ((uint8_t *)(uintptr_t)output)[i] ^= 1u;
#endif
  if (index < FW_MAX_LAYERS) layer_cycles[index] = now - layer_start;
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
  fw_active->invoke();
  const uint32_t cycles = cycles_now() - start;
  qt_mark(QT_MARK_RUN_END);
  return cycles;
}

static int inputs_complete(struct qt_reply *r) {
  if (input_held == fw_active->input_bytes) return 1;
  r->msg = "inputs incomplete: send every input byte with INPUT first";
  return 0;
}

/* ---- handlers ---- */
int fw_on_input(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  if (!fw_active) {
    r->msg = "no active model: LOAD and VERIFY one first";
    return QT_E_NO_MODEL;
  }
  EXPECT_LEN(len >= 4);
  const uint32_t offset = rd32(req), n = (uint32_t)len - 4u;
  if (offset != 0 && offset != input_held) {
    r->msg = "INPUT not at the expected offset";
    r->expected = input_held;
    return QT_E_BAD_OFFSET;
  }
  if (offset + n > fw_active->input_bytes) {
    r->msg = "INPUT beyond the model's input bytes";
    return QT_E_TOO_BIG;
  }
  memcpy(fw_active->inputs + offset, req + 4, n);
  input_held = offset + n;
  wr32(r->out, input_held);
  r->len = 4;
  return QT_OK;
}

int fw_on_run(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  if (!fw_active) {
    r->msg = "no active model: LOAD and VERIFY one first";
    return QT_E_NO_MODEL;
  }
  EXPECT_LEN(len == 0);
  if (!inputs_complete(r)) return QT_E_BAD_LENGTH;
  const uint32_t cycles = run_model();
  uint32_t n = fw_active->output_bytes;
  if (n > QT_MAX_PAYLOAD - RUN_HEAD) n = QT_MAX_PAYLOAD - RUN_HEAD;
  uint8_t *p = wr32(r->out, 0);
  p = wr32(p, cycles);
  p = wr32(p, fw_active->output_bytes);
  memcpy(p, fw_active->outputs, n);
  r->len = (uint16_t)(RUN_HEAD + n);
  return QT_OK;
}

int fw_on_output(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  EXPECT_LEN(len == 6);
  if (!fw_active) {
    r->msg = "no active model: LOAD and VERIFY one first";
    return QT_E_NO_MODEL;
  }
  const uint32_t offset = rd32(req);
  uint32_t n = rd16(req + 4);
  if (offset > fw_active->output_bytes) {
    r->msg = "OUTPUT offset beyond the output bytes";
    return QT_E_BAD_LENGTH;
  }
  if (n > fw_active->output_bytes - offset) n = fw_active->output_bytes - offset;
  if (n > QT_MAX_PAYLOAD) n = QT_MAX_PAYLOAD;
  memcpy(r->out, fw_active->outputs + offset, n);
  r->len = (uint16_t)n;
  return QT_OK;
}

int fw_on_read(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  if (!fw_active) {
    r->msg = "no active model: LOAD and VERIFY one first";
    return QT_E_NO_MODEL;
  }
  EXPECT_LEN(len == 8);
  const uint32_t layer = rd16(req);
  if (layer >= fw_active->layers) {
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
  capture.layer = NO_LAYER;
  if (capture.offset > capture.tensor_bytes) {
    r->msg = "READ offset beyond the layer's tensor";
    return QT_E_BAD_LENGTH;
  }
  wr32(r->out, capture.tensor_bytes);
  r->len = (uint16_t)(4u + capture.copied);
  return QT_OK;
}

int fw_on_profile(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  if (!fw_active) {
    r->msg = "no active model: LOAD and VERIFY one first";
    return QT_E_NO_MODEL;
  }
  EXPECT_LEN(len == 0);
  if (!inputs_complete(r)) return QT_E_BAD_LENGTH;
  (void)run_model();
  uint32_t layers = fw_active->layers;
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

int fw_on_reset(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  EXPECT_LEN(len == 0);
  r->len = 0;
  r->after_reply = system_reset;
  return QT_OK;
}

/* ---- main loop: bytes from the RX ring into the receiver; sleep while the ring is empty ---- */
void fw_main(void) {
  board_init(); /* interrupts are still masked (startup.c) */
  fw_cycles_init();
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
