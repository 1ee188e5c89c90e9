/*
 * QEMU's mps2-an386 (ARM MPS2 FPGA image AN386: Cortex-M4F) as the port uses it: CMSDK APB UART0
 * (console, -serial stdio), CMSDK APB TIMER0 (the clock: free running at SYSCLK 25 MHz, i.e. one tick
 * per 40 instructions under -icount shift=0) and TIMER1 (wakes the idle wait), the SMSC LAN9118 at
 * 0x40200000 (IRQ 13), and memory: 4 MB ZBT SSRAM1 at 0 (the emulated flash and the state kept across
 * resets live there), 4 MB SSRAM2/3 at 0x20000000 (the F407's SRAM plan), 16 MB PSRAM at 0x21000000
 * (the F407's CCM plan, and the configuration block written by `typeboot qemu`).
 */
#ifndef TB_MPS2_H
#define TB_MPS2_H

#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- clocks ---- */
#define MPS2_SYSCLK_HZ 25000000u
#define MPS2_TICKS_PER_MS (MPS2_SYSCLK_HZ / 1000u)
#define MPS2_INSTRUCTIONS_PER_TICK 40u /* -icount shift=0: 1 ns per instruction, 40 ns per tick */

/* ---- CMSDK APB UART ---- */
#define UART0_BASE 0x40004000u
#define UART_DATA(b) REG((b) + 0x00)
#define UART_STATE(b) REG((b) + 0x04) /* bit 0 TX full, bit 1 RX full */
#define UART_CTRL(b) REG((b) + 0x08)  /* bit 0 TX enable, bit 1 RX enable */
#define UART_BAUDDIV(b) REG((b) + 0x10)

/* ---- CMSDK APB timers ---- */
#define TIMER0_BASE 0x40000000u
#define TIMER1_BASE 0x40001000u
#define TIMER_CTRL(b) REG((b) + 0x00) /* bit 0 enable, bit 3 interrupt enable */
#define TIMER_VALUE(b) REG((b) + 0x04)
#define TIMER_RELOAD(b) REG((b) + 0x08)
#define TIMER_INTCLEAR(b) REG((b) + 0x0C)
#define TIMER1_IRQ 9u

/* ---- LAN9118 ---- */
#define LAN9118_BASE 0x40200000u
#define LAN9118_IRQ 13u

/* ---- System control ---- */
#define SCB_VTOR REG(0xE000ED08u)
#define SCB_AIRCR REG(0xE000ED0Cu)
#define SCB_CPACR REG(0xE000ED88u)
#define NVIC_ISER0 REG(0xE000E100u)
#define NVIC_ICER0 REG(0xE000E180u)
#define NVIC_ICPR0 REG(0xE000E280u)
#define SYST_CSR REG(0xE000E010u)

/* ---- memory ---- */
#define MPS2_FLASH_BASE 0x00000000u /* the emulated flash (STM32F407IG's sector map), in SSRAM1 */
/* Kept across a system reset, zero after power-on (QEMU clears RAM only when it starts): outside
 * every section of the ELF, so QEMU's reset never reloads it. The example application knows it too. */
#define MPS2_BACKUP_BASE 0x003FF000u
#define MPS2_BACKUP_MAGIC 0x5442424Bu /* "KBBT": flash formatted since power-on */
typedef struct {
  uint32_t magic;
  uint32_t request; /* the boot-request word (an RTC backup register on an STM32) */
  uint32_t boots;   /* resets since power-on */
} mps2_backup_t;
#define MPS2_BACKUP ((volatile mps2_backup_t *)(uintptr_t)MPS2_BACKUP_BASE)

/* The configuration block `typeboot qemu` loads with -device loader (reloaded at every reset):
 * "TBCF" then NUL-separated key=value strings, an empty string ends it. */
#define MPS2_CONFIG_BASE 0x21F00000u
#define MPS2_CONFIG_MAX 1024u

#endif
