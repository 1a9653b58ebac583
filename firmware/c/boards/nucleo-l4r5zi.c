/* nucleo-l4r5zi.c: ST Nucleo-144 L4R5ZI (STM32L4R5ZI, Cortex-M4F). Build-only here (no board attached).
   The ST-LINK virtual COM port is LPUART1 on PG7 (TX) / PG8 (RX), alternate function 8 (UM2179 and the
   STM32L4R5 datasheet). Port G is powered from VDDIO2, which must be declared valid (PWR_CR2.IOSV).
   Register addresses from RM0432. Runs on the 4 MHz MSI clock out of reset; LPUART1 interrupt is 70. */
#include "../board.h"
#include "../cortexm.h"

#define CPU_HZ 4000000u
#define BAUD 115200u

#define RCC_AHB2ENR QT_REG(0x4002104Cu)
#define RCC_APB1ENR1 QT_REG(0x40021058u)
#define RCC_APB1ENR2 QT_REG(0x4002105Cu)
#define PWR_CR2 QT_REG(0x40007004u)
#define GPIOG_MODER QT_REG(0x48001800u)
#define GPIOG_AFRL QT_REG(0x48001820u)
#define GPIOG_AFRH QT_REG(0x48001824u)

#define LPUART1_BASE 0x40008000u
#define LPUART1_CR1 QT_REG(LPUART1_BASE + 0x00u)
#define LPUART1_BRR QT_REG(LPUART1_BASE + 0x0Cu)
#define LPUART1_ISR QT_REG(LPUART1_BASE + 0x1Cu)
#define LPUART1_ICR QT_REG(LPUART1_BASE + 0x20u)
#define LPUART1_RDR QT_REG(LPUART1_BASE + 0x24u)
#define LPUART1_TDR QT_REG(LPUART1_BASE + 0x28u)
#define LPUART1_IRQ 70u

#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define ISR_ORE (1u << 3)
#define ISR_RXNE (1u << 5)
#define ISR_TC (1u << 6)
#define ISR_TXE (1u << 7)

const char board_id[] = "nucleo-l4r5zi";

uint32_t board_cpu_hz(void) { return CPU_HZ; }

void board_init(void) {
  RCC_APB1ENR1 |= 1u << 28; /* PWREN */
  PWR_CR2 |= 1u << 9;       /* IOSV: VDDIO2 valid, port G usable */
  RCC_AHB2ENR |= 1u << 6;   /* GPIOGEN */
  RCC_APB1ENR2 |= 1u << 0;  /* LPUART1EN (kernel clock: PCLK1 = MSI by default) */
  GPIOG_MODER = (GPIOG_MODER & ~((3u << 14) | (3u << 16))) | (2u << 14) | (2u << 16);
  GPIOG_AFRL = (GPIOG_AFRL & ~(15u << 28)) | (8u << 28);
  GPIOG_AFRH = (GPIOG_AFRH & ~15u) | 8u;
  LPUART1_CR1 = 0;
  LPUART1_BRR = (uint32_t)(((uint64_t)CPU_HZ * 256u + BAUD / 2u) / BAUD); /* LPUART: 256 * fck / baud */
  LPUART1_CR1 = CR1_TE | CR1_RE | CR1_RXNEIE | CR1_UE;
  qt_nvic_enable(LPUART1_IRQ);
  board_irq(LPUART1_IRQ); /* take a byte that arrived before the RX interrupt was enabled */
}

void board_uart_putc(uint8_t c) {
  while (!(LPUART1_ISR & ISR_TXE)) {
  }
  LPUART1_TDR = c;
}

void board_uart_flush(void) {
  while (!(LPUART1_ISR & ISR_TC)) {
  }
}

void board_irq(unsigned irq) {
  if (irq != LPUART1_IRQ) return;
  if (LPUART1_ISR & ISR_ORE) LPUART1_ICR = ISR_ORE; /* an overrun drops bytes; the frame CRC catches it */
  while (LPUART1_ISR & ISR_RXNE) serial_rx_isr_push((uint8_t)LPUART1_RDR);
}
