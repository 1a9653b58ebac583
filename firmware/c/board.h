/* board.h: the board seam. A board is one C file (boards/<name>.c) plus one linker script (boards/<name>.ld)
   that provide exactly what is declared here; everything else (startup, serial ring, protocol, model glue)
   is shared. See firmware/README.md "Porting to a new board". */
#ifndef QT_BOARD_H
#define QT_BOARD_H

#include <stdint.h>

/* ASCII board id reported by INFO, e.g. "mps2-an386" */
extern const char board_id[];

/* Core clock in Hz as configured by board_init (SysTick runs from it). */
uint32_t board_cpu_hz(void);

/* Clocks, pins and the console UART: 8N1, RX interrupt enabled and routed through the NVIC; after this
   call every received byte reaches serial_rx_isr_push() from the UART's interrupt. Runs with interrupts
   masked (PRIMASK); it must end by draining any byte the UART already holds (one that arrived before the
   RX interrupt was enabled raises no interrupt and would block the next). */
void board_init(void);

/* Blocking write of one byte (waits while the TX holding register/FIFO is full). */
void board_uart_putc(uint8_t c);

/* Waits until every byte written with board_uart_putc has left the UART (before a reset). */
void board_uart_flush(void);

/* Called by the shared interrupt entry for every external interrupt with its number (IPSR - 16). */
void board_irq(unsigned irq);

/* Provided by the shared code for the board's UART interrupt handler: queue one received byte. */
void serial_rx_isr_push(uint8_t c);

#endif
