/* serial.c: single-producer (UART ISR) / single-consumer (main loop) byte ring, and the SysTick millisecond tick. */
#include "serial.h"
#include "board.h"
#include "cortexm.h"

#define RING_SIZE 2048u /* power of two: two full frames */

static volatile uint8_t ring[RING_SIZE];
static volatile uint32_t ring_head; /* written by the ISR */
static volatile uint32_t ring_tail; /* written by the main loop */
static volatile uint32_t ring_dropped;
static volatile uint32_t ticks;

void serial_rx_isr_push(uint8_t c) {
  uint32_t h = ring_head;
  if (h - ring_tail >= RING_SIZE) {
    ring_dropped++;
    return;
  }
  ring[h & (RING_SIZE - 1u)] = c;
  ring_head = h + 1u;
}

int serial_getc(void) {
  uint32_t t = ring_tail;
  if (t == ring_head) return -1;
  int c = ring[t & (RING_SIZE - 1u)];
  ring_tail = t + 1u;
  return c;
}

uint32_t serial_overflows(void) { return ring_dropped; }

void qt_systick_handler(void);
void qt_systick_handler(void) { ticks++; }

void tick_start(void) {
  SYST_CSR = 0;
  ticks = 0;
  SYST_RVR = board_cpu_hz() / 1000u - 1u;
  SYST_CVR = 0;
  SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

void tick_stop(void) { SYST_CSR = 0; }

uint32_t tick_ms(void) { return ticks; }
