/* qt_icount.c: a QEMU TCG plugin that counts guest instructions and writes the running count at every call of
   the firmware's marker function qt_mark(id) (firmware/c/qt_mark.S). A QEMU 7.2 plugin cannot read registers,
   so qt_mark turns its id into the address of a one-byte load (window + id), and the plugin takes the id from the
   load's address.

   Arguments (-plugin qt_icount.so,mark=0x1c0,window=0x0,out=/tmp/marks.txt):
     mark    address of qt_mark (its instructions are watched for the marker load)
     window  address of qt_mark_window
     out     file to append one line per marker: "<id> <instructions executed so far>"
   Every executed instruction adds 1 to the counter (an inline add before it runs), so the difference between two
   markers is exact: the same firmware and input give the same count on every run. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qt_plugin_api.h"

QT_PLUGIN_EXPORT int qemu_plugin_version = 1;

#define MARK_SPAN 16u /* bytes of qt_mark's code: movw, movt, ubfx, ldrb, bx */
#define WINDOW 4096u

static uint64_t executed; /* one vCPU (Cortex-M boards): no per-CPU counters needed */
static uint64_t mark_addr = UINT64_MAX;
static uint64_t window_addr = UINT64_MAX;
static FILE *out;

static void on_mark_load(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata) {
  (void)vcpu;
  (void)info;
  (void)userdata;
  if (vaddr < window_addr || vaddr >= window_addr + WINDOW) return;
  fprintf(out, "%" PRIu64 " %" PRIu64 "\n", vaddr - window_addr, executed);
  fflush(out); /* the host reads the file while QEMU runs */
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &executed, 1);
    const uint64_t pc = qemu_plugin_insn_vaddr(insn);
    /* RW, not R: with QEMU_PLUGIN_MEM_R alone Debian's 7.2 never called back (measured); the only memory access
       in qt_mark is the marker load, so the filter is not needed anyway */
    if (pc >= mark_addr && pc < mark_addr + MARK_SPAN)
      qemu_plugin_register_vcpu_mem_cb(insn, on_mark_load, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
  }
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  if (out) {
    fprintf(out, "exit %" PRIu64 "\n", executed);
    fclose(out);
    out = NULL;
  }
}

static int parse_u64(const char *s, uint64_t *v) {
  char *end;
  *v = strtoull(s, &end, 0);
  return *s != '\0' && *end == '\0';
}

QT_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv) {
  (void)info;
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "mark=", 5) == 0 && parse_u64(a + 5, &mark_addr)) continue;
    if (strncmp(a, "window=", 7) == 0 && parse_u64(a + 7, &window_addr)) continue;
    if (strncmp(a, "out=", 4) == 0) {
      path = a + 4;
      continue;
    }
    qemu_plugin_outs("qt_icount: unknown or malformed argument (want mark=ADDR,window=ADDR,out=FILE)\n");
    return -1;
  }
  if (!path || mark_addr == UINT64_MAX || window_addr == UINT64_MAX) {
    qemu_plugin_outs("qt_icount: mark=, window= and out= are required\n");
    return -1;
  }
  out = fopen(path, "w");
  if (!out) {
    qemu_plugin_outs("qt_icount: cannot open the out= file\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
  return 0;
}
