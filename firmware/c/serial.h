/* serial.h: the received-byte ring (filled by the board's UART interrupt) and a millisecond tick that runs
   only while a frame is partly received (so an idle board sleeps in wfi without periodic wake-ups). */
#ifndef QT_SERIAL_H
#define QT_SERIAL_H

#include <stdint.h>

/* next received byte, or -1 when the ring is empty (call with interrupts disabled or accept a race-free miss) */
int serial_getc(void);
/* bytes dropped because the ring was full since boot */
uint32_t serial_overflows(void);

void tick_start(void); /* 1 kHz SysTick from the core clock, counter reset to 0 */
void tick_stop(void);
uint32_t tick_ms(void);

#endif
