/*
 * qemu-mps2: clock (TIMER0), idle wait (TIMER1 + the LAN9118 line through the NVIC, WFI with
 * PRIMASK set: no handler ever runs), console (UART0), configuration block, boot-request word,
 * button and LEDs, randomness.
 */
#include <stdio.h>
#include <string.h>

#include "mps2.h"
#include "port.h"
#include "qemu_mps2.h"

/* ---- clock ---- */

static uint64_t ticks, idle_ticks;
static uint32_t last;

void mps2_clock_start(void) {
  /* Normally already running since the first instructions of Reset_Handler (startup.c). */
  if (!(TIMER_CTRL(TIMER0_BASE) & 1u)) {
    TIMER_RELOAD(TIMER0_BASE) = 0xFFFFFFFFu;
    TIMER_VALUE(TIMER0_BASE) = 0xFFFFFFFFu;
    TIMER_CTRL(TIMER0_BASE) = 1u;
  }
  last = 0xFFFFFFFFu;
  ticks = 0;
  (void)mps2_ticks();
}

/* TIMER0 counts down from 0xFFFFFFFF and wraps every 171 s: the runtime asks far more often. */
uint64_t mps2_ticks(void) {
  uint32_t v = TIMER_VALUE(TIMER0_BASE);
  ticks += (uint32_t)(last - v);
  last = v;
  return ticks;
}

uint64_t mps2_idle_ticks(void) { return idle_ticks; }

uint32_t tb_port_millis(void) { return (uint32_t)(mps2_ticks() / MPS2_TICKS_PER_MS); }

double tb_port_wall_ms(void) { return (double)(mps2_ticks() / MPS2_TICKS_PER_MS); }

void mps2_idle(uint32_t max_ms) {
  if (max_ms > 1000u) max_ms = 1000u;
  uint64_t t0 = mps2_ticks();
  TIMER_CTRL(TIMER1_BASE) = 0;
  TIMER_INTCLEAR(TIMER1_BASE) = 1u;
  TIMER_RELOAD(TIMER1_BASE) = max_ms * MPS2_TICKS_PER_MS;
  TIMER_VALUE(TIMER1_BASE) = max_ms * MPS2_TICKS_PER_MS;
  TIMER_CTRL(TIMER1_BASE) = 1u | 8u;
  NVIC_ICPR0 = 1u << TIMER1_IRQ | 1u << LAN9118_IRQ;
  if (!mps2_lan9118_rx_pending()) __asm volatile("dsb\n wfi" ::: "memory");
  TIMER_CTRL(TIMER1_BASE) = 0;
  TIMER_INTCLEAR(TIMER1_BASE) = 1u;
  NVIC_ICPR0 = 1u << TIMER1_IRQ | 1u << LAN9118_IRQ;
  idle_ticks += mps2_ticks() - t0;
}

/* ---- console ---- */

void mps2_console_init(void) {
  UART_BAUDDIV(UART0_BASE) = 16u;
  UART_CTRL(UART0_BASE) = 1u | 2u;
}

void tb_port_console_write(const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) {
    for (unsigned spin = 0; (UART_STATE(UART0_BASE) & 1u) && spin < 100000u; spin++) {
    }
    UART_DATA(UART0_BASE) = (uint8_t)text[i];
  }
}

/* ---- configuration block ---- */

const char *mps2_config(const char *key) {
  const char *p = (const char *)(uintptr_t)MPS2_CONFIG_BASE, *end = p + MPS2_CONFIG_MAX;
  if (memcmp(p, "TBCF", 4)) return NULL;
  size_t k = strlen(key);
  for (p += 4; p < end && *p;) {
    const char *q = p;
    while (q < end && *q) q++;
    if (q == end) return NULL; /* not terminated: ignore the rest */
    if ((size_t)(q - p) > k && !strncmp(p, key, k) && p[k] == '=') return p + k + 1;
    p = q + 1;
  }
  return NULL;
}

/* ---- board I/O ---- */

uint32_t tb_port_request_get(void) { return MPS2_BACKUP->request; }

void tb_port_request_set(uint32_t word) { MPS2_BACKUP->request = word; }

/* The board has no button: `typeboot qemu --button` holds it for the first boot after power-on. */
int tb_port_button_at_reset(void) {
  const char *b = mps2_config("button");
  return b && *b == '1' && MPS2_BACKUP->boots == 1;
}

/* The FPGA's LEDs are not modelled by QEMU: changes are shown on the console. */
void tb_port_led(unsigned index, int on) {
  static uint32_t leds;
  uint32_t bit = 1u << (index & 31u);
  if (!!(leds & bit) == !!on) return;
  leds = on ? leds | bit : leds & ~bit;
  tb_console_printf("led %u %s\n", index, on ? "on" : "off");
}

/* No RNG on the MPS2: xorshift32 seeded by the clock (QEMU's wall time unless -icount), the boot
 * counter and the configuration's optional seed. Good for DHCP transaction ids and TCP sequence
 * numbers, not for secrets. */
uint32_t tb_port_random32(void) {
  static uint32_t s;
  if (!s) {
    const char *seed = mps2_config("seed");
    s = (uint32_t)mps2_ticks() ^ (MPS2_BACKUP->boots * 0x9E3779B9u) ^ 0xA5A5F00Du;
    for (; seed && *seed; seed++) s = s * 31u + (uint8_t)*seed;
    if (!s) s = 1;
  }
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return s;
}

void mps2_system_reset(void) {
  __asm volatile("dsb" ::: "memory");
  SCB_AIRCR = 0x05FA0004u; /* SYSRESETREQ: QEMU resets the machine (RAM is kept) */
  __asm volatile("dsb" ::: "memory");
  for (;;) {
  }
}
