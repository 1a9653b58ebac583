/* pl011.h: Arm PrimeCell UART (PL011) driver, RX by interrupt (FIFOs off: one interrupt per byte). */
#ifndef QT_PL011_H
#define QT_PL011_H

#include <stdint.h>

void pl011_init(uintptr_t base, uint32_t uart_clk_hz, uint32_t baud);
void pl011_putc(uintptr_t base, uint8_t c);
void pl011_flush(uintptr_t base);
void pl011_rx_isr(uintptr_t base);

#endif
