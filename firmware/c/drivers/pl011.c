/* pl011.c: PL011 register map from the PrimeCell UART TRM (DDI 0183): 0x000 DR, 0x018 FR (bit3 BUSY, bit4 RXFE,
   bit5 TXFF), 0x024 IBRD, 0x028 FBRD, 0x02C LCR_H, 0x030 CR, 0x038 IMSC, 0x044 ICR. */
#include "pl011.h"
#include "../board.h"

#define R(base, off) (*(volatile uint32_t *)((base) + (off)))
#define DR 0x000u
#define FR 0x018u
#define IBRD 0x024u
#define FBRD 0x028u
#define LCR_H 0x02Cu
#define CR 0x030u
#define IMSC 0x038u
#define ICR 0x044u
#define FR_BUSY (1u << 3)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define LCR_H_WLEN8 (3u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)
#define INT_RX (1u << 4)
#define INT_RT (1u << 6)

void pl011_init(uintptr_t base, uint32_t uart_clk_hz, uint32_t baud) {
  /* divisor = clk / (16 * baud) as 16.6 fixed point, rounded */
  uint32_t div64 = (uint32_t)(((uint64_t)uart_clk_hz * 4u + baud / 2u) / baud);
  R(base, CR) = 0;
  R(base, IBRD) = div64 >> 6;
  R(base, FBRD) = div64 & 63u;
  R(base, LCR_H) = LCR_H_WLEN8; /* 8N1, FIFOs disabled */
  R(base, ICR) = 0x7FFu;
  R(base, IMSC) = INT_RX | INT_RT;
  R(base, CR) = CR_UARTEN | CR_TXE | CR_RXE;
}

void pl011_putc(uintptr_t base, uint8_t c) {
  while (R(base, FR) & FR_TXFF) {
  }
  R(base, DR) = c;
}

void pl011_flush(uintptr_t base) {
  while (R(base, FR) & FR_BUSY) {
  }
}

void pl011_rx_isr(uintptr_t base) {
  R(base, ICR) = INT_RX | INT_RT;
  while (!(R(base, FR) & FR_RXFE)) serial_rx_isr_push((uint8_t)R(base, DR));
}
