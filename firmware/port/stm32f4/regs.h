/*
 * STM32F4 registers used by this port, written from RM0090 (rev 19) and PM0214 (Cortex-M4): only
 * what the drivers touch. No vendor header is packaged in Debian, and none is needed.
 *
 * Every access goes through RD()/WR() so the host tests (firmware/test/) can run the very same
 * driver code against a register-level fake of each peripheral: built with -DTB_REG_FAKE, the
 * peripheral bases point into the fake's memory and each read or write calls the fake's model.
 */
#ifndef TB_STM32F4_REGS_H
#define TB_STM32F4_REGS_H

#include <stdint.h>

#define IO volatile uint32_t

#ifdef TB_REG_FAKE
/* The test harness: a pointer to the fake's copy of the register/memory at a bus address, and the
 * model's reaction to each access. */
void *tb_fake_map(uint32_t addr);
uint32_t tb_fake_rd(volatile uint32_t *reg);
void tb_fake_wr(volatile uint32_t *reg, uint32_t value);
#define RD(r) tb_fake_rd(&(r))
#define WR(r, v) tb_fake_wr(&(r), (uint32_t)(v))
#define TB_PERIPH(type, addr) ((type *)tb_fake_map(addr))
#define TB_MEM32(addr) (*(volatile uint32_t *)tb_fake_map(addr))
#else
#define RD(r) (r)
#define WR(r, v) ((r) = (uint32_t)(v))
#define TB_PERIPH(type, addr) ((type *)(uintptr_t)(addr))
#define TB_MEM32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#endif
#define SET(r, bits) WR(r, RD(r) | (bits))
#define CLR(r, bits) WR(r, RD(r) & ~(uint32_t)(bits))

/* ---- RCC (RM0090 7.3 / 6.3 for F42x) at 0x40023800 ---- */
typedef struct {
  IO CR, PLLCFGR, CFGR, CIR, AHB1RSTR, AHB2RSTR, AHB3RSTR, r1C, APB1RSTR, APB2RSTR, r28, r2C, AHB1ENR, AHB2ENR, AHB3ENR, r3C,
      APB1ENR, APB2ENR, r48, r4C, AHB1LPENR, AHB2LPENR, AHB3LPENR, r5C, APB1LPENR, APB2LPENR, r68, r6C, BDCR, CSR, r78, r7C,
      SSCGR, PLLI2SCFGR;
} rcc_t;
#define RCC_BASE 0x40023800u
#define RCC TB_PERIPH(rcc_t, RCC_BASE)
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_CSSON (1u << 19)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_PLLCFGR_RESET 0x24003010u /* reset value */
#define RCC_CFGR_SW_MASK 3u
#define RCC_CFGR_SW_HSI 0u
#define RCC_CFGR_SW_HSE 1u
#define RCC_CFGR_SW_PLL 2u
#define RCC_CFGR_SWS_SHIFT 2
#define RCC_CFGR_HPRE_SHIFT 4
#define RCC_CFGR_PPRE1_SHIFT 10
#define RCC_CFGR_PPRE2_SHIFT 13
#define RCC_CFGR_MCO1_SHIFT 21 /* 00 HSI, 01 LSE, 10 HSE, 11 PLL */
#define RCC_CFGR_MCO1PRE_SHIFT 24
#define RCC_AHB1ENR_GPIO(n) (1u << (n))
#define RCC_AHB1ENR_CRCEN (1u << 12)
#define RCC_AHB2ENR_RNGEN (1u << 6)
#define RCC_APB1ENR_TIM2EN (1u << 0)
#define RCC_APB1ENR_PWREN (1u << 28)
#define RCC_APB2ENR_SYSCFGEN (1u << 14)
#define RCC_CSR_LSION (1u << 0)
#define RCC_CSR_LSIRDY (1u << 1)
#define RCC_CSR_RMVF (1u << 24)
#define RCC_CSR_PINRSTF (1u << 26)
#define RCC_CSR_PORRSTF (1u << 27)
#define RCC_CSR_SFTRSTF (1u << 28)
#define RCC_CSR_IWDGRSTF (1u << 29)

/* ---- PWR (RM0090 5.4) at 0x40007000 ---- */
typedef struct {
  IO CR, CSR;
} pwr_t;
#define PWR_BASE 0x40007000u
#define PWR TB_PERIPH(pwr_t, PWR_BASE)
#define PWR_CR_DBP (1u << 8)
#define PWR_CR_VOS_SHIFT 14 /* F407: bit 14 alone (1 = scale 1); F42x: bits 15:14 (11 = scale 1) */
#define PWR_CR_ODEN (1u << 16)   /* F42x only */
#define PWR_CR_ODSWEN (1u << 17) /* F42x only */
#define PWR_CSR_VOSRDY (1u << 14)
#define PWR_CSR_ODRDY (1u << 16)
#define PWR_CSR_ODSWRDY (1u << 17)

/* ---- FLASH interface (RM0090 3.9) at 0x40023C00 ---- */
typedef struct {
  IO ACR, KEYR, OPTKEYR, SR, CR, OPTCR, OPTCR1;
} flash_t;
#define FLASH_R_BASE 0x40023C00u
#define FLASH_R TB_PERIPH(flash_t, FLASH_R_BASE)
#define FLASH_ACR_LATENCY_MASK 0xFu /* 3 bits on F40x, 4 on F42x; the upper bit reads 0 on F40x */
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)
#define FLASH_ACR_ICRST (1u << 11)
#define FLASH_ACR_DCRST (1u << 12)
#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu
#define FLASH_SR_EOP (1u << 0)
#define FLASH_SR_OPERR (1u << 1)
#define FLASH_SR_WRPERR (1u << 4)
#define FLASH_SR_PGAERR (1u << 5)
#define FLASH_SR_PGPERR (1u << 6)
#define FLASH_SR_PGSERR (1u << 7)
#define FLASH_SR_RDERR (1u << 8) /* F42x (PCROP) */
#define FLASH_SR_BSY (1u << 16)
#define FLASH_SR_ERRORS (FLASH_SR_OPERR | FLASH_SR_WRPERR | FLASH_SR_PGAERR | FLASH_SR_PGPERR | FLASH_SR_PGSERR | FLASH_SR_RDERR)
#define FLASH_CR_PG (1u << 0)
#define FLASH_CR_SER (1u << 1)
#define FLASH_CR_MER (1u << 2)
#define FLASH_CR_SNB_SHIFT 3 /* SNB[4:0] at bits 7:3: sectors 0-11 = 0-11, sectors 12-23 = 16-27 (F42x) */
#define FLASH_CR_SNB_MASK (0x1Fu << 3)
#define FLASH_CR_PSIZE_X32 (2u << 8)
#define FLASH_CR_PSIZE_MASK (3u << 8)
#define FLASH_CR_STRT (1u << 16)
#define FLASH_CR_LOCK (1u << 31)

/* ---- CRC calculation unit (RM0090 4.4) at 0x40023000 ---- */
typedef struct {
  IO DR, IDR, CR;
} crc_t;
#define CRC_BASE 0x40023000u
#define CRC_R TB_PERIPH(crc_t, CRC_BASE)
#define CRC_CR_RESET 1u

/* ---- RNG (RM0090 24.4) at 0x50060800 ---- */
typedef struct {
  IO CR, SR, DR;
} rng_t;
#define RNG_BASE 0x50060800u
#define RNG TB_PERIPH(rng_t, RNG_BASE)
#define RNG_CR_RNGEN (1u << 2)
#define RNG_SR_DRDY (1u << 0)
#define RNG_SR_CECS (1u << 1)
#define RNG_SR_SECS (1u << 2)
#define RNG_SR_CEIS (1u << 5)
#define RNG_SR_SEIS (1u << 6)

/* ---- RTC backup registers (RM0090 26.6.20): RTC_BKP0R at 0x40002850 ---- */
#define RTC_BASE 0x40002800u
#define RTC_BKP0R TB_MEM32(RTC_BASE + 0x50u)

/* ---- IWDG (RM0090 21.4) at 0x40003000 ---- */
typedef struct {
  IO KR, PR, RLR, SR;
} iwdg_t;
#define IWDG_BASE 0x40003000u
#define IWDG TB_PERIPH(iwdg_t, IWDG_BASE)
#define IWDG_KEY_RELOAD 0xAAAAu
#define IWDG_KEY_ACCESS 0x5555u
#define IWDG_KEY_START 0xCCCCu
#define IWDG_SR_PVU (1u << 0)
#define IWDG_SR_RVU (1u << 1)

/* ---- GPIO (RM0090 8.4): port n at 0x40020000 + n * 0x400 (A = 0 .. I = 8) ---- */
typedef struct {
  IO MODER, OTYPER, OSPEEDR, PUPDR, IDR, ODR, BSRR, LCKR, AFR[2];
} gpio_t;
#define GPIO_BASE(n) (0x40020000u + (uint32_t)(n) * 0x400u)
#define GPIO(n) TB_PERIPH(gpio_t, GPIO_BASE(n))

/* ---- USART (RM0090 30.6) ---- */
typedef struct {
  IO SR, DR, BRR, CR1, CR2, CR3, GTPR;
} usart_t;
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TC (1u << 6)
#define USART_SR_TXE (1u << 7)
#define USART_SR_ORE (1u << 3)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_UE (1u << 13)

/* ---- TIM2 (RM0090 18.4), used to count instructions under QEMU's -icount ---- */
typedef struct {
  IO CR1, CR2, SMCR, DIER, SR, EGR, CCMR1, CCMR2, CCER, CNT, PSC, ARR;
} tim_t;
#define TIM2_BASE 0x40000000u
#define TIM2 TB_PERIPH(tim_t, TIM2_BASE)

/* ---- Cortex-M4 system control (PM0214 4.3, 4.4, 4.2) ---- */
typedef struct {
  IO CTRL, LOAD, VAL, CALIB;
} systick_t;
#define SYSTICK TB_PERIPH(systick_t, 0xE000E010u)
#define SYSTICK_CTRL_ENABLE (1u << 0)
#define SYSTICK_CTRL_TICKINT (1u << 1)
#define SYSTICK_CTRL_CLKSOURCE (1u << 2)
#define SYSTICK_CTRL_COUNTFLAG (1u << 16)

typedef struct {
  IO CPUID, ICSR, VTOR, AIRCR, SCR, CCR, SHPR[3], SHCSR, CFSR, HFSR, DFSR, MMFAR, BFAR, AFSR;
} scb_t;
#define SCB TB_PERIPH(scb_t, 0xE000ED00u)
#define SCB_ICSR_PENDSTCLR (1u << 25)
#define SCB_ICSR_PENDSVCLR (1u << 27)
#define SCB_AIRCR_SYSRESETREQ (0x05FA0000u | (1u << 2))
#define SCB_CPACR TB_MEM32(0xE000ED88u)
#define NVIC_ICER(n) TB_MEM32(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n) TB_MEM32(0xE000E280u + 4u * (n))
#define NVIC_WORDS 3 /* 91 interrupts on F40x, 91 on F42x (RM0090 12.2): 3 words of enable bits */

/* ---- memory map ---- */
#define FLASH_BASE_ADDR 0x08000000u

#endif
