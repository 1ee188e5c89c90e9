/*
 * The clock tree (RM0090 6/7: RCC, PWR, FLASH ACR): HSE (crystal or bypass) -> PLL -> SYSCLK, with
 * the flash wait states for the new frequency, the F42x over-drive above 168 MHz, and MCO1 = HSE on
 * PA8 when the board's PHY takes its 25 MHz from there. Every ready bit is waited for with a bound;
 * when one never comes (no crystal, a dead PLL, QEMU's RCC that reads 0) the chip stays on, or
 * returns to, the 16 MHz HSI and the result says which bit timed out.
 */
#ifndef TB_STM32_CLOCK_H
#define TB_STM32_CLOCK_H

#include <stdint.h>

typedef struct {
  uint32_t hse_hz;     /* crystal or external clock frequency */
  uint8_t hse_bypass;  /* 1: external clock on OSC_IN (the ST-LINK's MCO on the Nucleo) */
  uint8_t pll_m;       /* VCO input = HSE / M (1-2 MHz) */
  uint16_t pll_n;      /* VCO output = input * N (100-432 MHz) */
  uint8_t pll_p;       /* SYSCLK = VCO / P (2, 4, 6, 8) */
  uint8_t pll_q;       /* 48 MHz domain = VCO / Q (2-15) */
  uint8_t ahb_div;     /* 1 */
  uint8_t apb1_div;    /* 4: PCLK1 <= 42/45 MHz */
  uint8_t apb2_div;    /* 2: PCLK2 <= 84/90 MHz */
  uint8_t flash_latency; /* wait states for sysclk at 2.7-3.6 V (RM0090 table 10/11) */
  uint8_t overdrive;   /* F42x: over-drive for > 168 MHz */
  uint8_t f42x;        /* F42x PWR: VOS is two bits, over-drive exists */
  uint8_t mco1_hse;    /* output HSE on MCO1 (PA8): the MII PHY's 25 MHz */
  uint32_t sysclk_hz;  /* the target, checked against the PLL factors by the generator */
} tb_clock_cfg_t;

typedef struct {
  uint32_t sysclk_hz, hclk_hz, pclk1_hz, pclk2_hz;
  uint8_t on_pll;      /* 1: running from the PLL as configured; 0: HSI 16 MHz */
  const char *failed;  /* the ready bit that timed out ("HSERDY" ...), NULL when all came up */
} tb_clock_t;

#define TB_HSI_HZ 16000000u
/* Polls of a ready bit before giving up: at 16 MHz HSI one poll is ~8 cycles, so ~50 ms; a crystal
 * starts in ~2 ms, the PLL locks in ~0.1 ms. */
#define TB_CLOCK_SPINS 100000u

void tb_clock_init(const tb_clock_cfg_t *cfg, tb_clock_t *out);
/* Back to the reset state before starting an application: HSI, PLL and HSE off, no over-drive,
 * prescalers 1, zero wait states, MCO1 off. */
void tb_clock_deinit(void);

#endif
