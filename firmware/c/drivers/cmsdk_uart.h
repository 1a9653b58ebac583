/* cmsdk_uart.h: Arm CMSDK APB UART (Cortex-M System Design Kit TRM, "APB UART"): one-byte TX/RX buffers. */
#ifndef QT_CMSDK_UART_H
#define QT_CMSDK_UART_H

#include <stdint.h>

void cmsdk_uart_init(uintptr_t base, uint32_t bauddiv);
void cmsdk_uart_putc(uintptr_t base, uint8_t c);
void cmsdk_uart_flush(uintptr_t base);
/* RX interrupt: clears the RX interrupt and queues every byte the UART holds */
void cmsdk_uart_rx_isr(uintptr_t base);

#endif
