/* qt_mark.S: void qt_mark(uint32_t id). The instruction-count plugin (firmware/qemu-plugin/qt_icount.c)
   watches this function: its only memory access is one byte read at qt_mark_window + (id & 0xFFF), so the
   plugin recovers the id from the load's address (QEMU 7.2 plugins cannot read registers). On a real board
   it is a harmless flash read. Written in assembly so no literal-pool load can be mistaken for the marker. */
  .syntax unified
  .thumb
  .section .text.qt_mark, "ax", %progbits
  .global qt_mark
  .type qt_mark, %function
  .thumb_func
qt_mark:
  movw r1, #:lower16:qt_mark_window
  movt r1, #:upper16:qt_mark_window
  ubfx r0, r0, #0, #12
  ldrb r1, [r1, r0]
  bx lr
  .size qt_mark, . - qt_mark
