/* lm3s6965evb.c: TI Stellaris LM3S6965 evaluation board (Cortex-M3): PL011-compatible UART0 at 0x4000C000,
   interrupt 5. Out of reset the part runs from its 12 MHz internal oscillator (QEMU models the same); a real
   board must also enable the UART0 and GPIOA clocks in SYSCTL RCGC1/RCGC2 and mux PA0/PA1, done below. */
#include "../board.h"
#include "../cortexm.h"
#include "../drivers/pl011.h"

#define UART0 0x4000C000u
#define UART0_IRQ 5u
#define CPU_HZ 12000000u

#define SYSCTL_RCGC1 QT_REG(0x400FE104u)
#define SYSCTL_RCGC2 QT_REG(0x400FE108u)
#define GPIOA_AFSEL QT_REG(0x40004420u)
#define GPIOA_DEN QT_REG(0x4000451Cu)

const char board_id[] = "lm3s6965evb";

uint32_t board_cpu_hz(void) { return CPU_HZ; }

void board_init(void) {
  SYSCTL_RCGC1 |= 1u << 0; /* UART0 */
  SYSCTL_RCGC2 |= 1u << 0; /* GPIOA */
  GPIOA_AFSEL |= 3u;       /* PA0 U0RX, PA1 U0TX */
  GPIOA_DEN |= 3u;
  pl011_init(UART0, CPU_HZ, 115200u);
  qt_nvic_enable(UART0_IRQ);
  /* a byte that arrived before the RX interrupt was enabled raises none and, held in the UART, blocks the
     next one (QEMU stops delivering): take it now */
  pl011_rx_isr(UART0);
}

void board_uart_putc(uint8_t c) { pl011_putc(UART0, c); }
void board_uart_flush(void) { pl011_flush(UART0); }

void board_irq(unsigned irq) {
  if (irq == UART0_IRQ) pl011_rx_isr(UART0);
}
