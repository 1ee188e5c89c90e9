/*
 * Vector table and reset (PM0214 2.3.4; RM0090 12.2 table 61/62: 82 interrupts on the F40x, 91 on
 * the F42x; 107 entries cover both). Reset_Handler: FPU on (CPACR CP10/CP11 full access) before
 * any C that may use it, TIM2 started as a free-running counter (under QEMU's -icount it counts
 * guest instructions: the example application prints how many it took to reach it), .data copied,
 * .bss zeroed; CCM (.ccm) is left alone: nothing may rely on its contents, and QEMU's model of this
 * chip has no CCM at all.
 */
#include <stdint.h>

#include "port.h"
#include "regs.h"
#include "stm32f4.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void Default_Handler(void);
void SysTick_Handler(void);

__attribute__((noreturn)) void Reset_Handler(void) {
  SCB_CPACR |= 0xFu << 20;
  __asm__ volatile("dsb\nisb" ::: "memory");
  RCC->APB1ENR |= RCC_APB1ENR_TIM2EN;
  (void)RCC->APB1ENR;
  TIM2->ARR = 0xFFFFFFFFu;
  TIM2->CR1 = 1u; /* CEN */
  for (uint32_t *s = &_sidata, *d = &_sdata; d < &_edata;) *d++ = *s++;
  for (uint32_t *d = &_sbss; d < &_ebss;) *d++ = 0;
  main();
  for (;;) {
  }
}

/* A fault: say where on the console, then reset (the boot policy decides again). */
void Fault_Handler(void) {
  char n[12];
  tb_console_puts("\nFAULT: CFSR 0x");
  uint32_t cfsr = SCB->CFSR, hfsr = SCB->HFSR;
  for (int i = 28; i >= 0; i -= 4) n[(28 - i) / 4] = "0123456789ABCDEF"[(cfsr >> i) & 0xF];
  n[8] = 0;
  tb_console_puts(n);
  tb_console_puts(" HFSR 0x");
  for (int i = 28; i >= 0; i -= 4) n[(28 - i) / 4] = "0123456789ABCDEF"[(hfsr >> i) & 0xF];
  tb_console_puts(n);
  tb_console_puts(", resetting\n");
  tb_system_reset();
}

void Default_Handler(void) {
  tb_console_puts("\nunexpected interrupt, resetting\n");
  tb_system_reset();
}

#define V(f) ((uint32_t)(uintptr_t)(f))
#define IRQS 91

__attribute__((section(".isr_vector"), used)) const uint32_t tb_vectors[16 + IRQS] = {
    [0] = V(&_estack),
    [1] = V(Reset_Handler),
    [2] = V(Fault_Handler),   /* NMI */
    [3] = V(Fault_Handler),   /* HardFault */
    [4] = V(Fault_Handler),   /* MemManage */
    [5] = V(Fault_Handler),   /* BusFault */
    [6] = V(Fault_Handler),   /* UsageFault */
    [11] = V(Default_Handler), /* SVCall */
    [12] = V(Default_Handler), /* DebugMonitor */
    [14] = V(Default_Handler), /* PendSV */
    [15] = V(SysTick_Handler),
    [16 ... 16 + IRQS - 1] = V(Default_Handler),
};
