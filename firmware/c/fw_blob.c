/* fw_blob.c: the resident-runtime firmware (blob mode). It holds the portable kernels of the C runtime and no
   model: a model image (docs/protocol.md, "Model image" and "Layer table body") arrives with LOAD into the
   staging slot, VERIFY checks its CRC, header and layer table, relocates it and switches to it (one pointer
   write, so the board is always on the old model or the new one), and the shared handlers of fw_run.c run it
   by walking the layer table. Storage is RAM here (two slots: active and staging); on a board whose RAM cannot
   hold a model, the staging slot becomes a flash region written through a board function: the port seam is
   slot_write() and slot_base() below (see firmware/README.md). */
#include <string.h>
#include "board.h"
#include "crc32.h"
#include "fw_run.h"
#include "qt_runtime.h" /* the portable kernels and their params structs */

#ifndef QT_BLOB_WORK_BYTES
#error "QT_BLOB_WORK_BYTES (RAM for the model's inputs, outputs, arena and scratch) comes from firmware/src/blob.ts"
#endif
#ifndef QT_BLOB_SLOT_BYTES
#error "QT_BLOB_SLOT_BYTES (the largest model image) comes from firmware/src/blob.ts"
#endif

#define MODE_BLOB 1u
#define STATE_NONE 0u
#define STATE_STAGED 1u
#define STATE_ACTIVE 2u

/* image header (docs/protocol.md, "Model image") */
#define IMAGE_MAGIC 0x31425451u /* 'QTB1' */
#define IMAGE_HEADER 48u
#define BODY_LAYER_TABLE 2u
/* body format 2 ("Layer table body"); the same numbers as packages/codegen/src/blob/format.ts */
#define LT_MAGIC 0x544C5451u /* 'QTLT' */
#define LT_VERSION 1u
#define LT_HEADER 64u
#define LT_LAYER 16u
#define LT_CALL 52u
#define LT_REF 12u /* u8 kind, 3 bytes 0, u32 value, u32 bytes */
#define LT_MAX_ARGS 4u
#define LT_MAX_IO 8u
enum { REF_INT = 0, REF_NULL = 1, REF_BODY = 2, REF_ARENA = 3, REF_INPUT = 4, REF_OUTPUT = 5, REF_SCRATCH = 6 };

/* the portable kernels by id (format.ts BLOB_KERNELS): argument count and the size of the params record */
static const struct {
  uint8_t args;
  uint16_t params;
} kernels[] = {
    [1] = {3, sizeof(qt_conv_params_t)},      [2] = {3, sizeof(qt_fc_params_t)},          [3] = {4, sizeof(qt_matmul_params_t)},
    [4] = {4, sizeof(qt_add_params_t)},       [5] = {4, sizeof(qt_add_params_t)},         [6] = {4, sizeof(qt_mul_params_t)},
    [7] = {3, sizeof(qt_lut_params_t)},       [8] = {3, sizeof(qt_pool_params_t)},        [9] = {3, sizeof(qt_pool_params_t)},
    [10] = {3, sizeof(qt_mean_params_t)},     [11] = {3, sizeof(qt_softmax_params_t)},    [12] = {3, sizeof(qt_softmax_tfl_params_t)},
    [13] = {3, 0},                            [14] = {4, sizeof(qt_requant_params_t)},    [15] = {3, sizeof(qt_transpose_params_t)},
    [16] = {3, sizeof(qt_concat_params_t)},   [17] = {3, sizeof(qt_pad_params_t)},
};
#define KERNEL_COUNT (sizeof kernels / sizeof kernels[0])

/* ---- storage: two image slots (active and staging) and the work region of the active model ---- */
/* the slots and the record of the active one survive a reset (.noinit, common.ld): at boot the firmware takes
   the active image back when its record and CRC say it is intact */
#define PERSIST_MAGIC 0x51544250u /* 'PBTQ' */
static uint8_t slots[2][QT_BLOB_SLOT_BYTES] __attribute__((aligned(16), section(".noinit")));
static struct {
  uint32_t magic;
  uint32_t slot;
  uint32_t total;
  uint32_t base; /* the address the image was relocated for */
  uint32_t crc;  /* CRC-32 of the relocated image */
  uint32_t check; /* ~(magic ^ slot ^ total ^ base ^ crc) */
} persist __attribute__((section(".noinit")));
static uint8_t work[QT_BLOB_WORK_BYTES] __attribute__((aligned(16)));

static uint8_t *slot_base(unsigned s) { return slots[s]; }
static void slot_write(unsigned s, uint32_t offset, const uint8_t *p, uint32_t n) { memcpy(slots[s] + offset, p, n); }

/* a verified, relocated image: what invoke() walks */
struct blob_model {
  struct fw_model fw;
  const uint8_t *body;
  uint32_t calls;
  const uint8_t *layer_table;
  const uint8_t *call_table;
  uint8_t *arena;
  uint8_t *scratch;
  uint32_t arena_bytes, scratch_bytes;
  uint32_t n_in, n_out;
  uint32_t in_off[LT_MAX_IO], out_off[LT_MAX_IO];
  uint32_t in_bytes[LT_MAX_IO], out_bytes[LT_MAX_IO];
  char hash[16];
};
static struct blob_model models[2]; /* one per slot */
static int active = -1;             /* slot of the active model, -1 for none */
static struct {
  int on;       /* an image is being staged (or fully staged, not yet verified) */
  uint32_t total;
  uint32_t next;
} staging;

static unsigned staging_slot(void) { return active == 0 ? 1u : 0u; }

/* ---- error messages with numbers (error payloads hold up to 128 bytes of text) ---- */
static char msgbuf[112];
static char *put_s(char *p, const char *s) {
  while (*s && p < msgbuf + sizeof msgbuf - 1) *p++ = *s++;
  *p = 0;
  return p;
}
static char *put_u(char *p, uint32_t v) {
  char d[10];
  int n = 0;
  do d[n++] = (char)('0' + v % 10u), v /= 10u;
  while (v);
  while (n && p < msgbuf + sizeof msgbuf - 1) *p++ = d[--n];
  *p = 0;
  return p;
}

/* ---- the interpreter ---- */

static uintptr_t resolve(const struct blob_model *m, const uint8_t *ref) {
  const uint32_t v = rd32(ref + 4);
  switch (ref[0]) {
  case REF_INT: return (uintptr_t)v;
  case REF_BODY: return (uintptr_t)(m->body + v);
  case REF_ARENA: return (uintptr_t)(m->arena + v);
  case REF_INPUT: return (uintptr_t)(m->fw.inputs + m->in_off[v]);
  case REF_OUTPUT: return (uintptr_t)(m->fw.outputs + m->out_off[v]);
  case REF_SCRATCH: return (uintptr_t)(m->scratch + v);
  default: return 0; /* REF_NULL */
  }
}

static void call(const struct blob_model *m, const uint8_t *c) {
  uintptr_t a[LT_MAX_ARGS];
  for (unsigned i = 0; i < LT_MAX_ARGS; i++) a[i] = resolve(m, c + 4 + LT_REF * i);
#define P(T) ((const T *)a[0])
#define I8(k) ((const int8_t *)a[k])
#define O8(k) ((int8_t *)a[k])
  switch (c[0]) {
  case 1: qt_conv_s8(P(qt_conv_params_t), I8(1), O8(2)); break;
  case 2: qt_fc_s8(P(qt_fc_params_t), I8(1), O8(2)); break;
  case 3: qt_matmul_s8(P(qt_matmul_params_t), I8(1), I8(2), O8(3)); break;
  case 4: qt_add_s8(P(qt_add_params_t), I8(1), I8(2), O8(3)); break;
  case 5: qt_sub_s8(P(qt_add_params_t), I8(1), I8(2), O8(3)); break;
  case 6: qt_mul_s8(P(qt_mul_params_t), I8(1), I8(2), O8(3)); break;
  case 7: qt_lut_s8(P(qt_lut_params_t), I8(1), O8(2)); break;
  case 8: qt_max_pool_s8(P(qt_pool_params_t), I8(1), O8(2)); break;
  case 9: qt_avg_pool_s8(P(qt_pool_params_t), I8(1), O8(2)); break;
  case 10: qt_mean_s8(P(qt_mean_params_t), I8(1), O8(2)); break;
  case 11: qt_softmax_s8(P(qt_softmax_params_t), I8(1), O8(2)); break;
  case 12: qt_softmax_tfl_s8(P(qt_softmax_tfl_params_t), I8(1), O8(2)); break;
  case 13: qt_copy_s8(I8(0), O8(1), (int32_t)a[2]); break;
  case 14: qt_requant_s8(P(qt_requant_params_t), I8(1), O8(2), (int32_t)a[3]); break;
  case 15: qt_transpose_s8(P(qt_transpose_params_t), I8(1), O8(2)); break;
  case 16: qt_concat_s8(P(qt_concat_params_t), I8(1), O8(2)); break;
  case 17: qt_pad_s8(P(qt_pad_params_t), I8(1), O8(2)); break;
  default: break; /* VERIFY admitted only known ids */
  }
#undef P
#undef I8
#undef O8
}

static void invoke(void) {
  const struct blob_model *m = (const struct blob_model *)(const void *)fw_active; /* fw is its first member */
  for (uint32_t l = 0; l < m->fw.layers; l++) {
    const uint8_t *e = m->layer_table + LT_LAYER * l;
    const uint32_t first = rd16(e), count = rd16(e + 2);
    for (uint32_t k = 0; k < count; k++) call(m, m->call_table + LT_CALL * (first + k));
    qt_fw_layer_done((unsigned)l, (const void *)resolve(m, e + 4), rd32(e + 12)); /* the reference's bytes */
  }
}

/* ---- checking an image (VERIFY): everything an index or an offset of the table can reach stays inside the
   body or the work region; returns 0, or an error code with r->msg set; fills *m (not yet active) ---- */
#define BAD(text)                                                                                                     \
  do {                                                                                                                \
    r->msg = "bad image: " text;                                                                                      \
    return QT_E_BAD_IMAGE;                                                                                            \
  } while (0)

static uint32_t align16(uint32_t n) { return (n + 15u) & ~15u; }

/* a reference and its extent (value .. value + bytes) inside what it names; params records at least `min` bytes */
static int check_ref(const struct blob_model *m, const uint8_t *ref, uint32_t data_at, uint32_t body_bytes, uint32_t min) {
  const uint32_t v = rd32(ref + 4), n = rd32(ref + 8);
  if (ref[1] | ref[2] | ref[3]) return 0;
  switch (ref[0]) {
  case REF_INT: case REF_NULL: return n == 0;
  case REF_BODY: return v >= data_at && v <= body_bytes && n <= body_bytes - v && n >= min && (v & 3u) == 0;
  case REF_ARENA: return n <= m->arena_bytes && v <= m->arena_bytes - n;
  case REF_SCRATCH: return n <= m->scratch_bytes && v <= m->scratch_bytes - n;
  case REF_INPUT: return v < m->n_in && n <= m->in_bytes[v];
  case REF_OUTPUT: return v < m->n_out && n <= m->out_bytes[v];
  default: return 0;
  }
}

static int check_image(uint8_t *img, uint32_t total, struct blob_model *m, struct qt_reply *r) {
  if (total < IMAGE_HEADER + LT_HEADER) BAD("shorter than its headers");
  if (rd32(img) != IMAGE_MAGIC) BAD("does not start with QTB1");
  if (rd16(img + 4) != IMAGE_HEADER) BAD("header size is not 48");
  if (rd16(img + 6) != BODY_LAYER_TABLE) BAD("body format is not 2 (layer table); this firmware runs only that");
  for (unsigned i = 0; i < 16; i++) {
    const uint8_t c = img[8 + i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) BAD("model hash is not 16 lowercase hex digits");
  }
  const uint32_t body_bytes = rd32(img + 24);
  if (body_bytes != total - IMAGE_HEADER) BAD("body size differs from the header's");
  uint8_t *b = img + IMAGE_HEADER;
  if (qt_crc32(b, body_bytes) != rd32(img + 28)) BAD("body CRC differs from the header's");
  if (rd32(b) != LT_MAGIC || rd32(b + 4) != LT_VERSION) BAD("body is not a version 1 layer table");
  const uint32_t layers = rd32(b + 8), calls = rd32(b + 12), n_in = rd32(b + 16), n_out = rd32(b + 20);
  const uint32_t relocs = rd32(b + 32), io_at = rd32(b + 36), layer_at = rd32(b + 40), call_at = rd32(b + 44);
  const uint32_t reloc_at = rd32(b + 48), data_at = rd32(b + 52), data_bytes = rd32(b + 56);
  if (layers != rd16(img + 40)) BAD("layer count differs from the header's");
  if (layers == 0 || layers > 0xFFFFu || calls > 0xFFFFu) BAD("layer or call count out of range");
  if (n_in == 0 || n_out == 0 || n_in > LT_MAX_IO || n_out > LT_MAX_IO) BAD("1 to 8 inputs and outputs");
  /* the tables and the data area lie inside the body, in this order, without overlap */
  if (io_at < LT_HEADER || io_at > body_bytes || (n_in + n_out) * 4u > body_bytes - io_at) BAD("io table outside the body");
  if (layer_at < io_at + (n_in + n_out) * 4u || layer_at > body_bytes || layers * LT_LAYER > body_bytes - layer_at) BAD("layer table outside the body");
  if (call_at < layer_at + layers * LT_LAYER || call_at > body_bytes || calls * LT_CALL > body_bytes - call_at) BAD("call table outside the body");
  if (reloc_at < call_at + calls * LT_CALL || reloc_at > body_bytes || relocs > (body_bytes - reloc_at) / 4u) BAD("relocation table outside the body");
  if (data_at < reloc_at + relocs * 4u || data_at > body_bytes || data_bytes > body_bytes - data_at || (data_at & 15u)) BAD("data area outside the body");
  /* inputs, outputs, arena and scratch in the work region */
  uint32_t in_bytes = 0, out_bytes = 0;
  for (uint32_t i = 0; i < n_in; i++) {
    m->in_off[i] = in_bytes;
    m->in_bytes[i] = rd32(b + io_at + 4 * i);
    if (m->in_bytes[i] > QT_BLOB_WORK_BYTES) BAD("an input larger than the work region");
    in_bytes += m->in_bytes[i];
  }
  for (uint32_t i = 0; i < n_out; i++) {
    m->out_off[i] = out_bytes;
    m->out_bytes[i] = rd32(b + io_at + 4 * (n_in + i));
    if (m->out_bytes[i] > QT_BLOB_WORK_BYTES) BAD("an output larger than the work region");
    out_bytes += m->out_bytes[i];
  }
  if (in_bytes != rd32(img + 32) || out_bytes != rd32(img + 36)) BAD("input or output bytes differ from the header's");
  m->arena_bytes = rd32(b + 24);
  m->scratch_bytes = rd32(b + 28);
  const uint64_t need = (uint64_t)align16(in_bytes) + align16(out_bytes) + align16(m->arena_bytes) + m->scratch_bytes;
  if (in_bytes > QT_BLOB_WORK_BYTES || out_bytes > QT_BLOB_WORK_BYTES || need > QT_BLOB_WORK_BYTES) {
    char *p = put_s(msgbuf, "model needs ");
    p = put_u(p, (uint32_t)(need > 0xFFFFFFFFu ? 0xFFFFFFFFu : need));
    p = put_s(p, " bytes of RAM (inputs ");
    p = put_u(p, in_bytes);
    p = put_s(p, ", outputs ");
    p = put_u(p, out_bytes);
    p = put_s(p, ", arena ");
    p = put_u(p, m->arena_bytes);
    p = put_s(p, ", scratch ");
    p = put_u(p, m->scratch_bytes);
    p = put_s(p, "); the firmware reserves ");
    put_u(p, QT_BLOB_WORK_BYTES);
    r->msg = msgbuf;
    return QT_E_TOO_BIG;
  }
  m->n_in = n_in;
  m->n_out = n_out;
  m->body = b;
  m->calls = calls;
  m->layer_table = b + layer_at;
  m->call_table = b + call_at;
  /* every call: a known kernel with its argument count; every reference inside its buffer */
  for (uint32_t k = 0; k < calls; k++) {
    const uint8_t *c = b + call_at + LT_CALL * k;
    const uint32_t id = c[0];
    if (id == 0 || id >= KERNEL_COUNT || kernels[id].args == 0) BAD("unknown kernel id in the call table");
    if (c[1] != kernels[id].args) BAD("a call has the wrong argument count for its kernel");
    for (uint32_t a = 0; a < LT_MAX_ARGS; a++) {
      const uint8_t *ref = c + 4 + LT_REF * a;
      const uint32_t min = (a == 0 && kernels[id].params) ? kernels[id].params : 0;
      if (a == 0 && kernels[id].params && ref[0] != REF_BODY) BAD("a kernel's params are not a body record");
      if (a >= c[1] && ref[0] != REF_NULL) BAD("an unused call argument is not NULL");
      if (!check_ref(m, ref, data_at, body_bytes, min)) BAD("a call argument points outside its buffer");
    }
  }
  for (uint32_t l = 0; l < layers; l++) {
    const uint8_t *e = b + layer_at + LT_LAYER * l;
    if ((uint32_t)rd16(e) + rd16(e + 2) > calls) BAD("a layer's calls are outside the call table");
    const uint8_t kind = e[4];
    if (kind != REF_ARENA && kind != REF_INPUT && kind != REF_OUTPUT) BAD("a layer's output is not an activation");
    if (!check_ref(m, e + 4, data_at, body_bytes, 0)) BAD("a layer's output is outside its buffer");
  }
  for (uint32_t i = 0; i < relocs; i++) {
    const uint32_t at = rd32(b + reloc_at + 4 * i);
    if ((at & 3u) || at < data_at || at > data_at + data_bytes - 4u || data_bytes < 4u) BAD("a relocation is outside the data area");
    if (rd32(b + at) >= body_bytes) BAD("a pointer in a record is outside the body");
  }
  /* checked: relocate the records' pointers (body offsets -> addresses); the slot is not active, so the
     running model is untouched */
  for (uint32_t i = 0; i < relocs; i++) {
    uint32_t *w = (uint32_t *)(void *)(b + rd32(b + reloc_at + 4 * i));
    *w += (uint32_t)(uintptr_t)b;
  }
  m->fw.inputs = work;
  m->fw.outputs = work + align16(in_bytes);
  m->arena = m->fw.outputs + align16(out_bytes);
  m->scratch = m->arena + align16(m->arena_bytes);
  m->fw.input_bytes = in_bytes;
  m->fw.output_bytes = out_bytes;
  m->fw.layers = layers;
  m->fw.invoke = invoke;
  memcpy(m->hash, img + 8, 16);
  return QT_OK;
}

/* ---- keeping the active model across a reset ---- */
static uint32_t persist_check(void) { return ~(persist.magic ^ persist.slot ^ persist.total ^ persist.base ^ persist.crc); }

static void remember(unsigned s, uint32_t total) {
  persist.magic = 0; /* invalid while it changes */
  persist.slot = s;
  persist.total = total;
  persist.base = (uint32_t)(uintptr_t)(slot_base(s) + IMAGE_HEADER);
  persist.crc = qt_crc32(slot_base(s), total);
  persist.magic = PERSIST_MAGIC;
  persist.check = persist_check();
}

/* At boot: the image the record names, if intact, has its pointers put back to body offsets and goes through
   VERIFY's checks again; anything else starts with no model. */
static void restore(void) {
  const uint32_t s = persist.slot, total = persist.total;
  const int ok = persist.magic == PERSIST_MAGIC && persist.check == persist_check() && s < 2u && total <= QT_BLOB_SLOT_BYTES &&
                 total >= IMAGE_HEADER + LT_HEADER && persist.base == (uint32_t)(uintptr_t)(slot_base(s) + IMAGE_HEADER) &&
                 qt_crc32(slot_base(s), total) == persist.crc;
  persist.magic = 0;
  if (!ok) return;
  uint8_t *b = slot_base(s) + IMAGE_HEADER;
  const uint32_t body_bytes = total - IMAGE_HEADER, relocs = rd32(b + 32), reloc_at = rd32(b + 48);
  if (reloc_at > body_bytes || relocs > (body_bytes - reloc_at) / 4u) return;
  for (uint32_t i = 0; i < relocs; i++) {
    const uint32_t at = rd32(b + reloc_at + 4 * i);
    if ((at & 3u) || at > body_bytes - 4u) return;
    uint32_t *w = (uint32_t *)(void *)(b + at);
    *w -= persist.base;
  }
  struct qt_reply r = {0, 0, 0, 0, 0};
  if (check_image(slot_base(s), total, &models[s], &r) != QT_OK) return;
  active = (int)s;
  fw_set_model(&models[s].fw);
  remember(s, total);
}

/* ---- handlers ---- */
static int on_hello(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  EXPECT_LEN(len == 1);
  r->out[0] = req[0] < QT_PROTO_VERSION ? req[0] : (uint8_t)QT_PROTO_VERSION;
  r->out[1] = MODE_BLOB;
  r->len = 2;
  return QT_OK;
}

static int on_info(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  (void)req;
  EXPECT_LEN(len == 0);
  const struct blob_model *m = active >= 0 ? &models[active] : 0;
  uint8_t *p = r->out;
  p = wr16(p, FW_VERSION);
  *p++ = QT_PROTO_VERSION;
  *p++ = MODE_BLOB;
  const size_t id_len = strlen(board_id);
  *p++ = (uint8_t)id_len;
  memcpy(p, board_id, id_len);
  p += id_len;
  if (m)
    memcpy(p, m->hash, 16);
  else
    memset(p, 0, 16);
  p += 16;
  p = wr32(p, QT_BLOB_WORK_BYTES); /* the RAM a model's inputs, outputs, arena and scratch must fit */
  p = wr32(p, QT_BLOB_SLOT_BYTES); /* the largest image */
  p = wr32(p, m ? m->fw.input_bytes : 0);
  p = wr32(p, m ? m->fw.output_bytes : 0);
  p = wr16(p, m ? m->fw.layers : 0);
  *p++ = staging.on ? STATE_STAGED : m ? STATE_ACTIVE : STATE_NONE;
  r->len = (uint16_t)(p - r->out);
  return QT_OK;
}

static int on_load(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  EXPECT_LEN(len >= 8);
  const uint32_t offset = rd32(req), total = rd32(req + 4), n = (uint32_t)len - 8u;
  if (total > QT_BLOB_SLOT_BYTES) {
    char *p = put_s(msgbuf, "image of ");
    p = put_u(p, total);
    p = put_s(p, " bytes; the model storage holds ");
    put_u(p, QT_BLOB_SLOT_BYTES);
    r->msg = msgbuf;
    return QT_E_TOO_BIG;
  }
  if (offset == 0) { /* a new image: discard any staged one */
    staging.on = 1;
    staging.total = total;
    staging.next = 0;
  } else if (!staging.on || total != staging.total || offset != staging.next) {
    r->msg = "LOAD not at the expected offset";
    r->expected = staging.on && total == staging.total ? staging.next : 0;
    return QT_E_BAD_OFFSET;
  }
  if (n > total - offset) {
    r->msg = "LOAD past the image's total";
    return QT_E_BAD_LENGTH;
  }
  slot_write(staging_slot(), offset, req + 8, n);
  staging.next = offset + n;
  wr32(r->out, staging.next);
  r->len = 4;
  return QT_OK;
}

static int on_verify(const uint8_t *req, uint16_t len, struct qt_reply *r) {
  EXPECT_LEN(len == 8);
  const uint32_t total = rd32(req), crc = rd32(req + 4);
  if (!staging.on) {
    r->msg = "VERIFY: nothing staged";
    return QT_E_NO_MODEL;
  }
  if (total != staging.total) {
    r->msg = "VERIFY total differs from the staged image's";
    return QT_E_VERIFY;
  }
  if (staging.next != staging.total) {
    r->msg = "VERIFY before the whole image arrived";
    r->expected = staging.next;
    return QT_E_BAD_OFFSET;
  }
  const unsigned s = staging_slot();
  uint8_t *img = slot_base(s);
  const uint32_t held = qt_crc32(img, total);
  staging.on = 0; /* from here the staged image is either activated or discarded */
  if (held != crc) {
    r->msg = "image CRC differs; staged image discarded";
    return QT_E_VERIFY;
  }
  const int e = check_image(img, total, &models[s], r);
  if (e != QT_OK) return e;
  active = (int)s;
  fw_set_model(&models[s].fw); /* the switch */
  remember(s, total);
  wr32(r->out, held);
  r->len = 4;
  return QT_OK;
}

const struct qt_handler_entry qt_handlers[] = {
    {QT_HELLO, on_hello},       {QT_INFO, on_info},        {QT_INPUT, fw_on_input},     {QT_RUN, fw_on_run},
    {QT_OUTPUT, fw_on_output},  {QT_READ, fw_on_read},     {QT_PROFILE, fw_on_profile}, {QT_RESET, fw_on_reset},
    {QT_LOAD, on_load},         {QT_VERIFY, on_verify},
};
const unsigned qt_handler_count = sizeof qt_handlers / sizeof qt_handlers[0];

int main(void) {
  restore();
  fw_main();
  return 0;
}
