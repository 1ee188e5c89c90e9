/* Clock tree bring-up and tear-down (RM0090 5.1.4 over-drive, 6.3.2 PLLCFGR, 6.3.3 CFGR, 3.5.1 wait states). */
#include "clock.h"

#include "regs.h"

/* Wait until (RD(reg) & mask) == want, at most TB_CLOCK_SPINS polls. 1 when it came. */
static int wait_bits(volatile uint32_t *reg, uint32_t mask, uint32_t want) {
  for (uint32_t i = 0; i < TB_CLOCK_SPINS; i++)
    if ((RD(*reg) & mask) == want) return 1;
  return 0;
}

/* Prescaler encodings (CFGR): a divisor 2^e is AHB 7 + e, APB 3 + e; divisor 1 is 0 for both. */
static uint32_t log2u(uint8_t div) {
  uint32_t e = 0;
  while (div > 1) {
    div >>= 1;
    e++;
  }
  return e;
}

static uint32_t ppre(uint8_t div) { return log2u(div) ? 3u + log2u(div) : 0u; }

static uint32_t hpre(uint8_t div) { return log2u(div) ? 7u + log2u(div) : 0u; }

/* Back to HSI with everything else as after reset (bounded waits: HSI is always there). */
static void to_hsi(void) {
  SET(RCC->CR, RCC_CR_HSION);
  wait_bits(&RCC->CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY);
  WR(RCC->CFGR, RCC_CFGR_SW_HSI); /* SW = HSI, prescalers 1, MCO1 = HSI, no division */
  wait_bits(&RCC->CFGR, RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT, RCC_CFGR_SW_HSI << RCC_CFGR_SWS_SHIFT);
  CLR(RCC->CR, RCC_CR_PLLON | RCC_CR_CSSON);
  wait_bits(&RCC->CR, RCC_CR_PLLRDY, 0);
  CLR(RCC->CR, RCC_CR_HSEON);
  wait_bits(&RCC->CR, RCC_CR_HSERDY, 0);
  CLR(RCC->CR, RCC_CR_HSEBYP); /* only once HSE is off (RM0090 6.3.1) */
  WR(RCC->PLLCFGR, RCC_PLLCFGR_RESET);
  WR(RCC->CIR, 0);
}

static void flash_latency(uint32_t ws) {
  WR(FLASH_R->ACR, FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN | ws);
}

static void fail(const tb_clock_cfg_t *cfg, tb_clock_t *out, const char *what) {
  to_hsi();
  if (cfg->overdrive) {
    CLR(PWR->CR, PWR_CR_ODSWEN);
    CLR(PWR->CR, PWR_CR_ODEN);
  }
  flash_latency(0); /* 16 MHz needs none; lowered only once SYSCLK is HSI */
  out->sysclk_hz = out->hclk_hz = out->pclk1_hz = out->pclk2_hz = TB_HSI_HZ;
  out->on_pll = 0;
  out->failed = what;
}

/* HSE, PLL, over-drive, wait states, switch: NULL when the PLL drives SYSCLK, else the ready bit
 * that never came. */
static const char *bring_up(const tb_clock_cfg_t *cfg) {
  /* The regulator at scale 1 (F42x: VOS can be changed only while the PLL is off). */
  SET(RCC->APB1ENR, RCC_APB1ENR_PWREN);
  (void)RD(RCC->APB1ENR); /* the clock is running after a read back (errata 2.2.x: delay after enable) */
  if (cfg->f42x) WR(PWR->CR, (RD(PWR->CR) & ~(3u << PWR_CR_VOS_SHIFT)) | (3u << PWR_CR_VOS_SHIFT));
  else SET(PWR->CR, 1u << PWR_CR_VOS_SHIFT);

  /* MCO1 source chosen before the oscillators start (RM0090 6.3.3: glitches otherwise). */
  uint32_t cfgr = RD(RCC->CFGR) & ~((3u << RCC_CFGR_MCO1_SHIFT) | (7u << RCC_CFGR_MCO1PRE_SHIFT));
  if (cfg->mco1_hse) cfgr |= 2u << RCC_CFGR_MCO1_SHIFT;
  WR(RCC->CFGR, cfgr);

  /* HSE: bypass first, then on. */
  if (cfg->hse_bypass) SET(RCC->CR, RCC_CR_HSEBYP);
  SET(RCC->CR, RCC_CR_HSEON);
  if (!wait_bits(&RCC->CR, RCC_CR_HSERDY, RCC_CR_HSERDY)) return "HSERDY";

  /* Prescalers before the switch, so no bus runs above its maximum even for a moment. */
  cfgr = RD(RCC->CFGR) & ~((0xFu << RCC_CFGR_HPRE_SHIFT) | (7u << RCC_CFGR_PPRE1_SHIFT) | (7u << RCC_CFGR_PPRE2_SHIFT));
  cfgr |= hpre(cfg->ahb_div) << RCC_CFGR_HPRE_SHIFT | ppre(cfg->apb1_div) << RCC_CFGR_PPRE1_SHIFT | ppre(cfg->apb2_div) << RCC_CFGR_PPRE2_SHIFT;
  WR(RCC->CFGR, cfgr);

  /* PLL from HSE. */
  CLR(RCC->CR, RCC_CR_PLLON);
  if (!wait_bits(&RCC->CR, RCC_CR_PLLRDY, 0)) return "PLLRDY (off)";
  WR(RCC->PLLCFGR, (uint32_t)cfg->pll_m | (uint32_t)cfg->pll_n << 6 | (uint32_t)(cfg->pll_p / 2u - 1u) << 16 | RCC_PLLCFGR_SRC_HSE |
                       (uint32_t)cfg->pll_q << 24);
  SET(RCC->CR, RCC_CR_PLLON);
  if (!wait_bits(&RCC->CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) return "PLLRDY";

  /* F42x above 168 MHz: over-drive on, then switch to it (RM0090 5.1.4 steps 3-4). */
  if (cfg->overdrive) {
    SET(PWR->CR, PWR_CR_ODEN);
    if (!wait_bits(&PWR->CSR, PWR_CSR_ODRDY, PWR_CSR_ODRDY)) return "ODRDY";
    SET(PWR->CR, PWR_CR_ODSWEN);
    if (!wait_bits(&PWR->CSR, PWR_CSR_ODSWRDY, PWR_CSR_ODSWRDY)) return "ODSWRDY";
  }

  /* Wait states before the frequency goes up, read back before relying on them (RM0090 3.5.1). */
  flash_latency(cfg->flash_latency);
  if ((RD(FLASH_R->ACR) & FLASH_ACR_LATENCY_MASK) != cfg->flash_latency) return "FLASH_ACR latency";

  WR(RCC->CFGR, (RD(RCC->CFGR) & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL);
  if (!wait_bits(&RCC->CFGR, RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT, RCC_CFGR_SW_PLL << RCC_CFGR_SWS_SHIFT))
    return "SWS=PLL";

  return 0;
}

void tb_clock_init(const tb_clock_cfg_t *cfg, tb_clock_t *out) {
  const char *failed = bring_up(cfg);
  if (failed) {
    fail(cfg, out, failed);
    return;
  }
  out->failed = 0;
  out->on_pll = 1;
  out->sysclk_hz = cfg->sysclk_hz;
  out->hclk_hz = cfg->sysclk_hz / cfg->ahb_div;
  out->pclk1_hz = out->hclk_hz / cfg->apb1_div;
  out->pclk2_hz = out->hclk_hz / cfg->apb2_div;
}

void tb_clock_deinit(void) {
  to_hsi();
  uint32_t cr = RD(PWR->CR);
  if (cr & (PWR_CR_ODSWEN | PWR_CR_ODEN)) {
    WR(PWR->CR, cr & ~PWR_CR_ODSWEN);
    WR(PWR->CR, cr & ~(PWR_CR_ODSWEN | PWR_CR_ODEN));
  }
  WR(FLASH_R->ACR, 0); /* reset value: no wait states, caches and prefetch off */
}
