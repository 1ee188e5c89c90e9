/*
 * SysTick milliseconds, the independent watchdog, the RNG, the boot-request word in RTC_BKP0R, the
 * button and the LEDs, reset (RM0090 21 IWDG, 24 RNG, 26.6.20 backup registers, 5.1.2 backup domain
 * access; PM0214 4.4 SysTick, 4.3.5 AIRCR).
 */
#include "gpio.h"
#include "port.h"
#include "regs.h"
#include "stm32f4.h"

static volatile uint32_t ms;
static int wdg_on;

void SysTick_Handler(void) { ms++; }

void tb_systick_init(uint32_t hclk_hz) {
  WR(SYSTICK->CTRL, 0);
  WR(SYSTICK->LOAD, hclk_hz / 1000u - 1u);
  WR(SYSTICK->VAL, 0);
  WR(SYSTICK->CTRL, SYSTICK_CTRL_CLKSOURCE | SYSTICK_CTRL_TICKINT | SYSTICK_CTRL_ENABLE);
}

void tb_systick_stop(void) {
  WR(SYSTICK->CTRL, 0);
  WR(SYSTICK->LOAD, 0);
  WR(SYSTICK->VAL, 0);
}

uint32_t tb_port_millis(void) { return ms; }

/* No calendar is kept: Date.now() counts from reset, as on the host when the time is unknown. */
double tb_port_wall_ms(void) { return (double)ms; }

void tb_sleep_ms(uint32_t n) {
  uint32_t t0 = ms;
  while (ms - t0 < n) {
    tb_wdg_kick();
    __asm__ volatile("wfi"); /* SysTick wakes us every millisecond */
  }
}

/* ---- IWDG: LSI ~32 kHz / 256 = 125 Hz, reload up to 4095 (32.7 s). Once started it runs until a
 * power-on reset: a software reset keeps it, so an application started after update mode finds it
 * running and must refresh it (IWDG_KR = 0xAAAA), as the example application does. ---- */
void tb_wdg_start(uint32_t period_ms) {
  if (!period_ms || wdg_on) return;
  uint32_t rl = period_ms / 8u; /* 8 ms per count at 125 Hz */
  if (rl > 4095u) rl = 4095u;
  if (rl < 1u) rl = 1u;
  WR(IWDG->KR, IWDG_KEY_START); /* starts LSI too */
  WR(IWDG->KR, IWDG_KEY_ACCESS);
  WR(IWDG->PR, 6u); /* /256 */
  WR(IWDG->RLR, rl);
  for (uint32_t i = 0; i < 1000000u && (RD(IWDG->SR) & (IWDG_SR_PVU | IWDG_SR_RVU)); i++) {
  }
  WR(IWDG->KR, IWDG_KEY_RELOAD);
  wdg_on = 1;
}

void tb_wdg_kick(void) {
  if (wdg_on) WR(IWDG->KR, IWDG_KEY_RELOAD);
}

int tb_wdg_running(void) { return wdg_on; }

/* ---- RNG: the first number after enabling is kept for comparison only, and a number equal to the
 * previous one is refused (RM0090 24.3.1); seed/clock errors restart the generator. If it never
 * delivers (QEMU reads 0), a fallback mixes the SysTick counter into a xorshift state: good enough
 * for nothing secret, and said so on the console. ---- */
static uint32_t rng_prev, fallback_state = 0x9E3779B9u;
static int rng_state; /* 0 untried, 1 working, -1 failed */

static int rng_read(uint32_t *out) {
  for (uint32_t i = 0; i < 20000u; i++) {
    uint32_t sr = RD(RNG->SR);
    if (sr & (RNG_SR_SECS | RNG_SR_SEIS | RNG_SR_CEIS)) {
      WR(RNG->SR, 0); /* clear SEIS/CEIS */
      CLR(RNG->CR, RNG_CR_RNGEN);
      SET(RNG->CR, RNG_CR_RNGEN);
      continue;
    }
    if (sr & RNG_SR_DRDY) {
      *out = RD(RNG->DR);
      return 1;
    }
  }
  return 0;
}

void tb_rng_init(void) {
  SET(RCC->AHB2ENR, RCC_AHB2ENR_RNGEN);
  (void)RD(RCC->AHB2ENR);
  SET(RNG->CR, RNG_CR_RNGEN);
  rng_state = rng_read(&rng_prev) ? 1 : -1;
}

int tb_rng_ok(void) { return rng_state == 1; }

uint32_t tb_port_random32(void) {
  if (rng_state == 1) {
    uint32_t v;
    for (int tries = 0; tries < 4; tries++) {
      if (!rng_read(&v)) break;
      if (v != rng_prev) {
        rng_prev = v;
        return v;
      }
    }
    rng_state = -1;
    tb_console_puts("rng: the generator stopped delivering; using the weak fallback\n");
  }
  uint32_t x = fallback_state ^ RD(SYSTICK->VAL) ^ ms << 16;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  fallback_state = x;
  return x;
}

/* ---- boot-request word: RTC_BKP0R, in the backup domain (PWR clock on, DBP set) ---- */
void tb_request_init(void) {
  SET(RCC->APB1ENR, RCC_APB1ENR_PWREN);
  (void)RD(RCC->APB1ENR);
  SET(PWR->CR, PWR_CR_DBP);
}

uint32_t tb_port_request_get(void) { return RD(RTC_BKP0R); }

void tb_port_request_set(uint32_t word) { WR(RTC_BKP0R, word); }

/* ---- button and LEDs (pins from the board file) ---- */
static int button_held;
static int button_known;

void tb_board_io_init(void) {
  const tb_stm32_board_t *b = &tb_stm32_board;
  for (unsigned i = 0; i < b->nleds; i++) tb_gpio_output(b->leds[i].port, b->leds[i].pin, 0);
  /* A pull toward the released level (the boards have their own resistor; this one only helps),
   * read back to see whether the port answers at all: an unclocked port reads 0, which an
   * active-low button would take for "held". */
  button_known = tb_gpio_input(b->button.port, b->button.pin, b->button_active_low ? 1 : 2);
  if (button_known) {
    for (volatile int i = 0; i < 1000; i++) {
    } /* let the pull settle */
    button_held = tb_gpio_read(b->button.port, b->button.pin) == (b->button_active_low ? 0 : 1);
  }
}

int tb_board_button_known(void) { return button_known; }

int tb_port_button_at_reset(void) { return button_held; }

void tb_board_force_update(void) { button_held = 1; }

void tb_port_led(unsigned index, int on) {
  const tb_stm32_board_t *b = &tb_stm32_board;
  if (index < b->nleds) tb_gpio_write(b->leds[index].port, b->leds[index].pin, on);
}

void tb_system_reset(void) {
  __asm__ volatile("dsb" ::: "memory");
  WR(SCB->AIRCR, SCB_AIRCR_SYSRESETREQ);
  __asm__ volatile("dsb" ::: "memory");
  for (;;) {
  }
}
