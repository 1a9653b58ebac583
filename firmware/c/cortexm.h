/* cortexm.h: the few Armv7-M / Armv8-M core registers the firmware touches (SCB, NVIC, SysTick, DWT, CPACR).
   Addresses from the Armv7-M and Armv8-M Architecture Reference Manuals (System Control Space at 0xE000E000). */
#ifndef QT_CORTEXM_H
#define QT_CORTEXM_H

#include <stdint.h>

#define QT_REG(addr) (*(volatile uint32_t *)(addr))

/* SysTick (ARM ARM B3.3) */
#define SYST_CSR QT_REG(0xE000E010u)
#define SYST_RVR QT_REG(0xE000E014u)
#define SYST_CVR QT_REG(0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2) /* 1: processor clock */

/* NVIC: one set-enable register per 32 interrupts */
#define NVIC_ISER(n) QT_REG(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) QT_REG(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n) QT_REG(0xE000E280u + 4u * (n))

/* SCB */
#define SCB_VTOR QT_REG(0xE000ED08u)
#define SCB_AIRCR QT_REG(0xE000ED0Cu)
#define SCB_CPACR QT_REG(0xE000ED88u)
#define SCB_DEMCR QT_REG(0xE000EDFCu)
#define AIRCR_VECTKEY (0x05FAu << 16)
#define AIRCR_SYSRESETREQ (1u << 2)
#define DEMCR_TRCENA (1u << 24)

/* DWT (present on M3/M4/M7/M33/M55 silicon; not modelled by QEMU 7.2, where it reads as zero) */
#define DWT_CTRL QT_REG(0xE0001000u)
#define DWT_CYCCNT QT_REG(0xE0001004u)
#define DWT_CTRL_CYCCNTENA (1u << 0)
#define DWT_CTRL_NOCYCCNT (1u << 25)

static inline void qt_nvic_enable(unsigned irq) {
  NVIC_ICPR(irq >> 5) = 1u << (irq & 31u);
  NVIC_ISER(irq >> 5) = 1u << (irq & 31u);
}

static inline void qt_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void qt_irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void qt_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void qt_dsb(void) { __asm__ volatile("dsb" ::: "memory"); }
static inline void qt_isb(void) { __asm__ volatile("isb" ::: "memory"); }

static inline uint32_t qt_ipsr(void) {
  uint32_t v;
  __asm__ volatile("mrs %0, ipsr" : "=r"(v));
  return v;
}

#endif
