/* proto.h: the device side of docs/protocol.md (version 1): frame receiver, reply sender, duplicate
   resend, and a table of message handlers. */
#ifndef QT_PROTO_H
#define QT_PROTO_H

#include <stdint.h>

#define QT_PROTO_VERSION 1u
#define QT_MAX_PAYLOAD 1024u
#define QT_FRAME_OVERHEAD 12u /* sync 2, type, flags, seq 2, length 2, crc 4 */
#define QT_PARTIAL_TIMEOUT_MS 100u

enum qt_msg {
  QT_HELLO = 0x01,
  QT_INFO = 0x02,
  QT_LOAD = 0x10,
  QT_VERIFY = 0x11,
  QT_INPUT = 0x20,
  QT_RUN = 0x21,
  QT_OUTPUT = 0x22,
  QT_READ = 0x30,
  QT_PROFILE = 0x31,
  QT_RESET = 0x40,
  QT_ERROR = 0xFF,
};

enum qt_err {
  QT_OK = 0,
  QT_E_BAD_FRAME = 1,
  QT_E_BAD_CRC = 2,
  QT_E_UNKNOWN_TYPE = 3,
  QT_E_BAD_LENGTH = 4,
  QT_E_BAD_OFFSET = 5,
  QT_E_TOO_BIG = 6,
  QT_E_VERIFY = 7,
  QT_E_NO_MODEL = 8,
  QT_E_BAD_IMAGE = 9,
  QT_E_NOT_SUPPORTED = 10,
};

/* A handler fills out[0..len) (at most QT_MAX_PAYLOAD bytes) and returns QT_OK, or returns an error code with
   msg set to a static message (and, for QT_E_BAD_OFFSET, expected set to the offset to resume at: the error
   payload is then u8 code, u16 seq, u32 expected, message). after_reply (optional) runs once the reply has
   been sent (RESET). */
struct qt_reply {
  uint8_t *out;
  uint16_t len;
  const char *msg;
  uint32_t expected;
  void (*after_reply)(void);
};
typedef int (*qt_handler)(const uint8_t *req, uint16_t len, struct qt_reply *r);

struct qt_handler_entry {
  uint8_t type;
  qt_handler fn;
};

/* The firmware's handler table (fw.c); a new mode adds rows, the receiver does not change. */
extern const struct qt_handler_entry qt_handlers[];
extern const unsigned qt_handler_count;

/* Feeds one received byte; dispatches a complete frame. */
void proto_feed(uint8_t c);
/* Nonzero while a frame is partly received (the caller drops it after QT_PARTIAL_TIMEOUT_MS of silence). */
int proto_in_frame(void);
void proto_drop_partial(void);

#endif
