/* cmsdk_uart.c: CMSDK APB UART driver, RX by interrupt. Register map from the CMSDK TRM:
   0x00 DATA, 0x04 STATE (bit0 TX full, bit1 RX full), 0x08 CTRL (bit0 TX en, bit1 RX en, bit3 RX int en),
   0x0C INTSTATUS/INTCLEAR (bit1 RX), 0x10 BAUDDIV (>= 16). */
#include "cmsdk_uart.h"
#include "../board.h"

#define R(base, off) (*(volatile uint32_t *)((base) + (off)))
#define DATA 0x00u
#define STATE 0x04u
#define CTRL 0x08u
#define INTCLEAR 0x0Cu
#define BAUDDIV 0x10u
#define STATE_TXFULL (1u << 0)
#define STATE_RXFULL (1u << 1)
#define CTRL_TXEN (1u << 0)
#define CTRL_RXEN (1u << 1)
#define CTRL_RXINTEN (1u << 3)
#define INT_RX (1u << 1)

void cmsdk_uart_init(uintptr_t base, uint32_t bauddiv) {
  R(base, CTRL) = 0;
  R(base, BAUDDIV) = bauddiv < 16u ? 16u : bauddiv;
  R(base, INTCLEAR) = 0xFu;
  R(base, CTRL) = CTRL_TXEN | CTRL_RXEN | CTRL_RXINTEN;
}

void cmsdk_uart_putc(uintptr_t base, uint8_t c) {
  while (R(base, STATE) & STATE_TXFULL) {
  }
  R(base, DATA) = c;
}

void cmsdk_uart_flush(uintptr_t base) {
  while (R(base, STATE) & STATE_TXFULL) {
  }
}

void cmsdk_uart_rx_isr(uintptr_t base) {
  /* clear first: a byte arriving during the drain sets the flag again and re-enters */
  R(base, INTCLEAR) = INT_RX;
  while (R(base, STATE) & STATE_RXFULL) serial_rx_isr_push((uint8_t)R(base, DATA));
}
