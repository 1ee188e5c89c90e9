/*
 * Starting the application (the jump the boot bundle asks for with Boot.jump(vector table)).
 * Checked first, unlike ST's IAP example which only masks the stack pointer: the vector table in
 * the application slot and 512-byte aligned (VTOR, 107 vectors), the initial stack pointer
 * word-aligned in SRAM or CCM (the top of either included: GCC's usual _estack), the reset vector
 * a Thumb address inside the slot. Then everything the bootloader set up goes back to its reset
 * state: interrupts, SysTick, NVIC enables and pendings, peripherals (reset through RCC so the
 * Ethernet DMA stops writing into RAM), clocks; VTOR and MSP are set and the reset vector is
 * branched to with interrupts enabled, as after a reset.
 */
#include "clock.h"
#include "regs.h"
#include "stm32f4.h"

static int in_mem(uint32_t a, const tb_mem_t *m) { return m->size && a > m->origin && a - m->origin <= m->size; /* above the bottom (a push needs room), top included */ }

const char *tb_app_check(uint32_t vtor, uint32_t slot_addr, uint32_t slot_size, const tb_mem_t *ram, const tb_mem_t *ccm) {
  if (vtor < slot_addr || vtor - slot_addr > slot_size - 8u) return "vector table outside the application slot";
  if (vtor & 0x1FFu) return "vector table not 512-byte aligned (VTOR)";
  uint32_t sp = RD(TB_MEM32(vtor)), pc = RD(TB_MEM32(vtor + 4u));
  if (sp & 3u) return "initial stack pointer not word-aligned";
  if (!in_mem(sp, ram) && !in_mem(sp, ccm)) return "initial stack pointer not in SRAM or CCM";
  if (!(pc & 1u)) return "reset vector without the Thumb bit";
  if ((pc & ~1u) < vtor || (pc & ~1u) - slot_addr >= slot_size) return "reset vector outside the application slot";
  return 0;
}

/* AHB1: GPIOA-I 0-8, CRC 12, DMA1 21, DMA2 22, ETHMAC 25; AHB2: RNG 6; APB1: TIM2 0, USART2-5
 * 17-20, PWR 28; APB2: USART1 4, USART6 5, SYSCFG 14 (RM0090 7.3.5-7.3.8). */
#define AHB1_USED (0x1FFu | 1u << 12 | 1u << 21 | 1u << 22 | 1u << 25)
#define AHB2_USED (1u << 6)
#define APB1_USED (1u << 0 | 0xFu << 17 | 1u << 28)
#define APB2_USED (1u << 4 | 1u << 5 | 1u << 14)

void tb_app_start(uint32_t vtor) {
  uint32_t sp = RD(TB_MEM32(vtor)), pc = RD(TB_MEM32(vtor + 4u));
  tb_wdg_kick();
#ifndef TB_REG_FAKE
  __asm__ volatile("cpsid i" ::: "memory");
#endif
  tb_systick_stop();
  for (int i = 0; i < NVIC_WORDS; i++) {
    WR(NVIC_ICER(i), 0xFFFFFFFFu);
    WR(NVIC_ICPR(i), 0xFFFFFFFFu);
  }
  WR(SCB->ICSR, SCB_ICSR_PENDSTCLR | SCB_ICSR_PENDSVCLR);
  WR(RCC->AHB1RSTR, AHB1_USED);
  WR(RCC->AHB1RSTR, 0);
  WR(RCC->AHB2RSTR, AHB2_USED);
  WR(RCC->AHB2RSTR, 0);
  WR(RCC->APB1RSTR, APB1_USED);
  WR(RCC->APB1RSTR, 0);
  WR(RCC->APB2RSTR, APB2_USED);
  WR(RCC->APB2RSTR, 0);
  WR(RCC->AHB1ENR, 0x00100000u); /* reset values: CCM data RAM clock on, the rest off */
  WR(RCC->AHB2ENR, 0);
  WR(RCC->APB1ENR, 0);
  WR(RCC->APB2ENR, 0);
  tb_clock_deinit();
  WR(SCB->VTOR, vtor);
#ifndef TB_REG_FAKE
  __asm__ volatile(
      "msr control, %2\n" /* privileged, MSP, no FP context */
      "isb\n"
      "msr msp, %0\n"
      "dsb\n"
      "isb\n"
      "cpsie i\n"
      "bx %1\n" ::"r"(sp),
      "r"(pc), "r"(0)
      : "memory");
#else
  (void)sp;
  (void)pc;
#endif
  for (;;) {
  }
}
