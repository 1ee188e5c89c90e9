/*
 * qemu-mps2 start-up: vector table (section .isr_vector, at the flash base), Reset_Handler (TIMER0
 * first, so instruction counts start at reset; .data, .bss, FPU), fault handlers that report on the
 * console and reset. Interrupts stay masked (PRIMASK) for the bootloader's whole life: the idle wait
 * wakes on pending interrupts without taking them.
 */
#include <stdint.h>
#include <string.h>

#include "mps2.h"
#include "qemu_mps2.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

__attribute__((noreturn)) void Reset_Handler(void) {
  __asm volatile("cpsid i" ::: "memory");
  TIMER_RELOAD(TIMER0_BASE) = 0xFFFFFFFFu;
  TIMER_VALUE(TIMER0_BASE) = 0xFFFFFFFFu;
  TIMER_CTRL(TIMER0_BASE) = 1u;
  for (uint32_t *s = _sidata, *d = _sdata; d < _edata;) *d++ = *s++;
  for (uint32_t *d = _sbss; d < _ebss;) *d++ = 0;
  SCB_CPACR |= 0xFu << 20; /* CP10, CP11: the FPU (-mfloat-abi=hard) */
  __asm volatile("dsb\n isb" ::: "memory");
  main();
  mps2_system_reset();
}

/* Which fault, the faulting PC from the stacked frame, then a reset. */
__attribute__((used)) static void fault_report(uint32_t *frame, uint32_t exc) {
  mps2_console_init();
  tb_console_printf("\nmps2: fault (exception %lu) at pc 0x%08lx, lr 0x%08lx, CFSR 0x%08lx, BFAR 0x%08lx: reset\n", (unsigned long)exc,
                      (unsigned long)frame[6], (unsigned long)frame[5], (unsigned long)REG(0xE000ED28u), (unsigned long)REG(0xE000ED38u));
  mps2_system_reset();
}

__attribute__((naked)) void Fault_Handler(void) {
  __asm volatile(
    "tst lr, #4\n"
    "ite eq\n"
    "mrseq r0, msp\n"
    "mrsne r0, psp\n"
    "mrs r1, ipsr\n"
    "b fault_report\n");
}

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t tb_vectors[16 + 32] = {
  (vector_t)(uintptr_t)_estack, Reset_Handler,
  Fault_Handler, /* NMI */
  Fault_Handler, /* HardFault */
  Fault_Handler, /* MemManage */
  Fault_Handler, /* BusFault */
  Fault_Handler, /* UsageFault */
  0, 0, 0, 0,
  Fault_Handler, /* SVC */
  Fault_Handler, /* DebugMon */
  0,
  Fault_Handler, /* PendSV */
  Fault_Handler, /* SysTick */
  /* IRQs 0-31: never taken (PRIMASK stays set); a stray one is reported like a fault. */
  [16 ... 47] = Fault_Handler,
};
