/* mps2-an386.c: Arm MPS2+ with the AN386 FPGA image (Cortex-M4), as QEMU 7.2 models it: CMSDK UART0 at
   0x40004000, its RX interrupt is IRQ 0 (TX is 1); 25 MHz system clock. Verified under qemu-system-arm 7.2
   by firmware/test (HELLO/INFO over -serial pty). */
#include "../board.h"
#include "../cortexm.h"
#include "../drivers/cmsdk_uart.h"

#define UART0 0x40004000u
#define UART0_RX_IRQ 0u
#define CPU_HZ 25000000u

const char board_id[] = "mps2-an386";

uint32_t board_cpu_hz(void) { return CPU_HZ; }

void board_init(void) {
  cmsdk_uart_init(UART0, CPU_HZ / 115200u);
  qt_nvic_enable(UART0_RX_IRQ);
  /* a byte that arrived before the RX interrupt was enabled raises none and, held in the UART, blocks the
     next one (QEMU stops delivering): take it now */
  cmsdk_uart_rx_isr(UART0);
}

void board_uart_putc(uint8_t c) { cmsdk_uart_putc(UART0, c); }
void board_uart_flush(void) { cmsdk_uart_flush(UART0); }

void board_irq(unsigned irq) {
  if (irq == UART0_RX_IRQ) cmsdk_uart_rx_isr(UART0);
}
