/* proto.c: frame receiver and reply sender (docs/protocol.md, "Frames"). Single-threaded: called from the
   main loop only. */
#include <string.h>
#include "proto.h"
#include "board.h"
#include "crc32.h"

enum rx_state { RX_SYNC0, RX_SYNC1, RX_HEADER, RX_BODY };

static struct {
  enum rx_state state;
  uint16_t got;                                     /* bytes of frame[] filled (from the type byte) */
  uint16_t need;                                    /* bytes expected in total for this frame */
  uint8_t frame[6 + QT_MAX_PAYLOAD + 4];            /* type .. crc */
} rx;

/* the last reply, resent verbatim when the same request (seq, type and CRC) arrives again */
static struct {
  int valid;
  uint8_t type;
  uint16_t seq;
  uint32_t crc;
  uint16_t len;
  uint8_t bytes[QT_FRAME_OVERHEAD + QT_MAX_PAYLOAD];
} last;

/* handlers write their reply payload straight into last.bytes + 8 (where send_frame puts it): no second 1 KiB */
#define REPLY_PAYLOAD (last.bytes + 8)
#define ERROR_PAYLOAD 128u /* code, seq, [expected], message (truncated to fit) */
static uint8_t error_out[ERROR_PAYLOAD];

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }

static void send_bytes(const uint8_t *p, uint16_t n) {
  for (uint16_t i = 0; i < n; i++) board_uart_putc(p[i]);
}

/* builds a frame into f (room for QT_FRAME_OVERHEAD + n bytes), sends it, returns its length */
static uint16_t send_frame(uint8_t *f, uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t n) {
  f[0] = 0xA5;
  f[1] = 0x5A;
  f[2] = type;
  f[3] = 0;
  f[4] = (uint8_t)seq;
  f[5] = (uint8_t)(seq >> 8);
  f[6] = (uint8_t)n;
  f[7] = (uint8_t)(n >> 8);
  if (n && payload != f + 8) memcpy(f + 8, payload, n);
  uint32_t crc = qt_crc32(f + 2, (size_t)6 + n);
  for (int i = 0; i < 4; i++) f[8 + n + i] = (uint8_t)(crc >> (8 * i));
  send_bytes(f, (uint16_t)(QT_FRAME_OVERHEAD + n));
  return (uint16_t)(QT_FRAME_OVERHEAD + n);
}

/* an error reply into f (room for a full frame): u8 code, u16 seq, [u32 expected for E_BAD_OFFSET], message */
static uint16_t send_error(uint8_t *f, uint16_t seq, uint8_t code, uint32_t expected, const char *msg) {
  uint16_t n = 0;
  error_out[n++] = code;
  error_out[n++] = (uint8_t)seq;
  error_out[n++] = (uint8_t)(seq >> 8);
  if (code == QT_E_BAD_OFFSET)
    for (int i = 0; i < 4; i++) error_out[n++] = (uint8_t)(expected >> (8 * i));
  while (msg && *msg && n < ERROR_PAYLOAD) error_out[n++] = (uint8_t)*msg++;
  return send_frame(f, QT_ERROR, seq, error_out, n);
}

/* errors about frames that never reached a handler are not remembered as "the last reply" */
static void send_frame_error(uint16_t seq, uint8_t code, const char *msg) {
  static uint8_t f[QT_FRAME_OVERHEAD + 64];
  uint16_t n = 0;
  error_out[n++] = code;
  error_out[n++] = (uint8_t)seq;
  error_out[n++] = (uint8_t)(seq >> 8);
  while (*msg && n < 48) error_out[n++] = (uint8_t)*msg++;
  (void)send_frame(f, QT_ERROR, seq, error_out, n);
}

static void dispatch(uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t len, uint32_t crc) {
  if (last.valid && last.seq == seq && last.type == type && last.crc == crc) {
    send_bytes(last.bytes, last.len); /* a retry of the request answered last: resend, do not act twice */
    return;
  }
  struct qt_reply r = {REPLY_PAYLOAD, 0, 0, 0, 0};
  last.valid = 0; /* the handler overwrites the previous reply */
  int err = QT_E_UNKNOWN_TYPE;
  r.msg = "unknown message type";
  for (unsigned i = 0; i < qt_handler_count; i++)
    if (qt_handlers[i].type == type) {
      r.msg = 0;
      err = qt_handlers[i].fn(payload, len, &r);
      break;
    }
  if (err == QT_OK)
    last.len = send_frame(last.bytes, (uint8_t)(type | 0x80u), seq, REPLY_PAYLOAD, r.len);
  else
    last.len = send_error(last.bytes, seq, (uint8_t)err, r.expected, r.msg);
  last.valid = 1;
  last.seq = seq;
  last.type = type;
  last.crc = crc;
  if (err == QT_OK && r.after_reply) {
    board_uart_flush();
    r.after_reply();
  }
}

static void feed(uint8_t c);

/* a bad header: resynchronise from the byte after the sync (docs/protocol.md) */
static void resync(void) {
  uint8_t again[6];
  uint16_t n = rx.got;
  memcpy(again, rx.frame, n);
  rx.state = RX_SYNC0;
  rx.got = 0;
  for (uint16_t i = 0; i < n; i++) feed(again[i]);
}

static void frame_done(void) {
  const uint8_t *f = rx.frame;
  uint16_t len = rd16(f + 4);
  uint32_t crc = qt_crc32(f, (size_t)6 + len);
  rx.state = RX_SYNC0;
  rx.got = 0;
  if (crc != rd32(f + 6 + len)) {
    send_frame_error(rd16(f + 2), QT_E_BAD_CRC, "CRC mismatch");
    return;
  }
  if (f[1] != 0) {
    send_frame_error(rd16(f + 2), QT_E_BAD_FRAME, "unknown flag bits");
    return;
  }
  dispatch(f[0], rd16(f + 2), f + 6, len, crc);
}

static void feed(uint8_t c) {
  switch (rx.state) {
  case RX_SYNC0:
    if (c == 0xA5) rx.state = RX_SYNC1;
    break;
  case RX_SYNC1:
    rx.state = c == 0x5A ? RX_HEADER : (c == 0xA5 ? RX_SYNC1 : RX_SYNC0);
    rx.got = 0;
    break;
  case RX_HEADER:
    rx.frame[rx.got++] = c;
    if (rx.got == 6) {
      uint16_t len = rd16(rx.frame + 4);
      if (len > QT_MAX_PAYLOAD) {
        resync();
        return;
      }
      rx.need = (uint16_t)(6 + len + 4);
      rx.state = RX_BODY;
    }
    break;
  case RX_BODY:
    rx.frame[rx.got++] = c;
    if (rx.got == rx.need) frame_done();
    break;
  }
}

void proto_feed(uint8_t c) { feed(c); }

int proto_in_frame(void) { return rx.state != RX_SYNC0; }

void proto_drop_partial(void) {
  rx.state = RX_SYNC0;
  rx.got = 0;
}
