/* mps3-an547.c: Arm MPS3 with the AN547 FPGA image (Cortex-M55, SSE-300), as QEMU 7.2 models it: CMSDK UART0
   at 0x49303000 (non-secure alias 0x49303000 in the peripheral space), RX interrupt IRQ 33; 32 MHz clock. */
#include "../board.h"
#include "../cortexm.h"
#include "../drivers/cmsdk_uart.h"

#define UART0 0x49303000u
#define UART0_RX_IRQ 33u
#define CPU_HZ 32000000u

const char board_id[] = "mps3-an547";

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
