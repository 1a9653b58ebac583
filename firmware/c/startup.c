/* startup.c: vector table and reset handler for every board. The initial stack pointer and reset vector are
   the first two words at the start of FLASH (where QEMU's -kernel and a real part's boot ROM look). All
   external interrupts share one entry that asks the board (board_irq) with the number from IPSR. */
#include <stdint.h>
#include <string.h>
#include "board.h"
#include "cortexm.h"

extern uint32_t qt_data_start[], qt_data_end[], qt_data_load[], qt_bss_start[], qt_bss_end[], qt_stack_top[];
extern int main(void);

void qt_reset_handler(void);
void qt_fault_handler(void);
void qt_irq_entry(void);
void qt_systick_handler(void);

/* default handler for exceptions the firmware does not expect: stop where a debugger can see it */
void qt_fault_handler(void) {
  for (;;) {
  }
}

void qt_irq_entry(void) { board_irq((unsigned)(qt_ipsr() - 16u)); }

typedef void (*qt_vector)(void);

#define QT_IRQ8 qt_irq_entry, qt_irq_entry, qt_irq_entry, qt_irq_entry, qt_irq_entry, qt_irq_entry, qt_irq_entry, qt_irq_entry
/* 16 system exceptions + 96 external interrupts (STM32L4R5 uses 95; AN547's UART0 RX is 33) */
__attribute__((section(".vectors"), used)) const qt_vector qt_vectors[16 + 96] = {
    (qt_vector)(uintptr_t)qt_stack_top,
    qt_reset_handler,
    qt_fault_handler, /* NMI */
    qt_fault_handler, /* HardFault */
    qt_fault_handler, /* MemManage */
    qt_fault_handler, /* BusFault */
    qt_fault_handler, /* UsageFault */
    qt_fault_handler, /* SecureFault (v8-M) */
    0, 0, 0,
    qt_fault_handler, /* SVCall */
    qt_fault_handler, /* DebugMonitor */
    0,
    qt_fault_handler, /* PendSV */
    qt_systick_handler,
    QT_IRQ8, QT_IRQ8, QT_IRQ8, QT_IRQ8, QT_IRQ8, QT_IRQ8, QT_IRQ8, QT_IRQ8, QT_IRQ8, QT_IRQ8, QT_IRQ8, QT_IRQ8,
};

void qt_reset_handler(void) {
  /* masked until main has initialised the UART and drained what arrived before (board_init); main unmasks */
  qt_irq_disable();
  /* .data from its load image in FLASH, .bss zeroed: word loops, no library call before memory is set up */
  const uint32_t *src = qt_data_load;
  for (uint32_t *dst = qt_data_start; dst < qt_data_end;) *dst++ = *src++;
  for (uint32_t *dst = qt_bss_start; dst < qt_bss_end;) *dst++ = 0;
  SCB_VTOR = (uint32_t)(uintptr_t)qt_vectors;
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
  SCB_CPACR |= 0xFu << 20; /* CP10/CP11 full access: the compiler may emit FPU or MVE (Helium) instructions */
  qt_dsb();
  qt_isb();
#endif
  (void)main();
  for (;;) {
  }
}
