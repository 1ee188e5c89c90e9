/*
 * The example application for the qemu-mps2-an386 board: what a TypeBoot-loaded application does
 * on QEMU's mps2-an386. Linked at the application slot + 512 (after the image header), it
 *   - reads TIMER0 first: the bootloader starts it at reset, so its count is the time from reset to
 *     here (under -icount shift=0: instructions = ticks x 40),
 *   - confirms itself (programs the confirmed word of its slot if still erased: a NOR rule),
 *   - prints "APP <version> running" (the version from its own image header) on UART0,
 *   - then sleeps; on the console 'u' asks for update mode (the boot-request word kept across reset,
 *     as an STM32 application writes an RTC backup register) and resets, 'r' just resets.
 * Freestanding: no C library, no interrupt handler (PRIMASK set, WFI wakes on the UART's line).
 */
#include <stdint.h>

/* The confirm call of firmware/include/typeboot_app.h, with this board's slot and its flash: RAM
 * with the NOR rule kept by the bootloader's emulation (a word is programmed only while erased). */
#define TYPEBOOT_SLOT_ADDR 0x00040000u
static inline int mps2_program32(uint32_t addr, uint32_t value) {
  volatile uint32_t *w = (volatile uint32_t *)(uintptr_t)addr;
  if (*w != 0xFFFFFFFFu) return -1;
  *w = value;
  return 0;
}
#define TYPEBOOT_PROGRAM32(a, v) mps2_program32((a), (v))
#define TYPEBOOT_SET_REQUEST(v) (*(volatile uint32_t *)0x003FF004u = (v)) /* boards/qemu-mps2-an386.json */
#define TYPEBOOT_RESET() reset()
static void reset(void);
#include "typeboot_app.h"

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define UART0 0x40004000u
#define TIMER0_VALUE REG(0x40000004u)
#define SCB_VTOR REG(0xE000ED08u)
#define SCB_AIRCR REG(0xE000ED0Cu)
#define NVIC_ISER0 REG(0xE000E100u)
#define NVIC_ICPR0 REG(0xE000E280u)
#define REQUEST_WORD REG(0x003FF004u) /* boards/qemu-mps2-an386.json "qemu.requestWord" */
#define REQUEST_UPDATE 0x55504454u    /* "UPDT" */
#define HEADER_SIZE 512u

extern uint32_t _estack[];
void app_start(void);

static void put(const char *s) {
  for (; *s; s++) {
    for (unsigned spin = 0; (REG(UART0 + 4) & 1u) && spin < 100000u; spin++) {
    }
    REG(UART0) = (uint8_t)*s;
  }
}

static void put_u(uint32_t v) {
  char b[11];
  int i = 10;
  b[i] = 0;
  do b[--i] = (char)('0' + v % 10u);
  while ((v /= 10u) && i);
  put(b + i);
}

static void reset(void) {
  __asm volatile("dsb" ::: "memory");
  SCB_AIRCR = 0x05FA0004u;
  for (;;) {
  }
}

void app_start(void) {
  uint32_t ticks = 0xFFFFFFFFu - TIMER0_VALUE;
  __asm volatile("cpsid i" ::: "memory"); /* the vector table has no IRQ entries: wake-ups only */
  const volatile uint8_t *h = (const volatile uint8_t *)(uintptr_t)(SCB_VTOR - HEADER_SIZE);
  REG(UART0 + 0x10) = 16u; /* BAUDDIV */
  REG(UART0 + 8) = 1u | 2u | 8u; /* TX, RX, RX interrupt */
  typeboot_confirm();
  put("APP ");
  put_u(h[0x10]);
  put(".");
  put_u(h[0x11]);
  put(".");
  put_u((uint32_t)h[0x12] | (uint32_t)h[0x13] << 8);
  uint32_t build = (uint32_t)h[0x14] | (uint32_t)h[0x15] << 8 | (uint32_t)h[0x16] << 16 | (uint32_t)h[0x17] << 24;
  if (build) {
    put("+");
    put_u(build);
  }
  put(" running\n");
  put("APP reset-to-app ");
  put_u(ticks);
  put(" timer ticks (x40 = instructions under -icount shift=0)\n");
  NVIC_ISER0 = 1u; /* UART0 RX: wakes WFI, never taken */
  for (;;) {
    if (REG(UART0 + 4) & 2u) {
      char c = (char)REG(UART0);
      if (c == 'u') {
        put("APP update requested\n");
        REQUEST_WORD = REQUEST_UPDATE;
        reset();
      }
      if (c == 'r') reset();
      continue;
    }
    REG(UART0 + 0xC) = 2u; /* clear the RX interrupt */
    NVIC_ICPR0 = 1u;
    if (!(REG(UART0 + 4) & 2u)) __asm volatile("dsb\n wfi" ::: "memory");
  }
}

__attribute__((section(".isr_vector"), used)) const uintptr_t app_vectors[16] = {(uintptr_t)_estack, (uintptr_t)app_start};
