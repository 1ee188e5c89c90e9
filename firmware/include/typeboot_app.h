/*
 * typeboot_app.h: the two calls an application started by TypeBoot makes. Header only, no HAL, C99+.
 *
 *   int  typeboot_confirm(void);          "this image works": call it once the application is up
 *                                         (clocks, network, whatever it must prove). Until it is
 *                                         called, a new image runs on trial: after N boots without
 *                                         it (boards/<board>.json trialAttempts, default 3) the
 *                                         bootloader restores the previous image (staged mode).
 *   void typeboot_request_update(void);   ask for update mode at the next reset, then reset.
 *   int  typeboot_is_confirmed(void);
 *
 * How the confirmation is kept: typeboot_confirm() programs the word 0x4D464E43 ("CNFM") into the
 * image's own header in flash, at the application slot + 0x1C4. Each status word there is
 * programmed once (NOR flash: no erase needed). If a power cut tore that word (neither erased nor
 * the mark), the next erased spare at slot + 0x1F0, 0x1F4, 0x1F8, 0x1FC is used: the bootloader
 * counts an image as confirmed when any of the five holds the mark. Programming flash from the
 * application is chosen over a flag in an RTC backup register that the bootloader would copy into
 * flash at the next boot, because the backup register is lost with the power on boards without
 * VBAT (the Nucleo ties VBAT to VDD): a board that is only ever power-cycled would never record its
 * confirmation and would be rolled back although healthy. The flash word holds from the moment
 * typeboot_confirm() returns 0.
 *
 * The request for update mode is the boot-request word, RTC backup register 0 (RTC_BKP0R,
 * 0x40002850) = 0x55504454 ("UPDT"); the bootloader clears it when it reads it.
 *
 * Configuration: define before including
 *   TYPEBOOT_SLOT_ADDR        the application slot (default 0x08040000, both boards, both modes)
 *   TYPEBOOT_READ32(addr)     read a flash word        } default: the STM32F4's memory map and
 *   TYPEBOOT_PROGRAM32(a, v)  program one flash word   } FLASH registers (RM0090 3.6); returns 0 on
 *   TYPEBOOT_SET_REQUEST(v)   write RTC_BKP0R          } success. The simulator's stand-in
 *   TYPEBOOT_RESET()          system reset             } application (firmware/port/host/app.c)
 *                                                        defines its own.
 */
#ifndef TYPEBOOT_APP_H
#define TYPEBOOT_APP_H

#include <stdint.h>

#ifndef TYPEBOOT_SLOT_ADDR
#define TYPEBOOT_SLOT_ADDR 0x08040000u
#endif

#define TYPEBOOT_MARK_CONFIRMED 0x4D464E43u /* "CNFM" */
#define TYPEBOOT_REQUEST_UPDATE 0x55504454u /* "UPDT" */
#define TYPEBOOT_ERASED 0xFFFFFFFFu

static const uint32_t typeboot_confirm_words[5] = {0x1C4u, 0x1F0u, 0x1F4u, 0x1F8u, 0x1FCu};

#ifndef TYPEBOOT_READ32
#define TYPEBOOT_READ32(addr) (*(volatile const uint32_t *)(uintptr_t)(addr))
#endif

#ifndef TYPEBOOT_PROGRAM32
/* STM32F4 flash interface (RM0090 3.9): one word, x32 parallelism (2.7-3.6 V). */
#define TYPEBOOT_FLASH_ACR (*(volatile uint32_t *)0x40023C00u)
#define TYPEBOOT_FLASH_KEYR (*(volatile uint32_t *)0x40023C04u)
#define TYPEBOOT_FLASH_SR (*(volatile uint32_t *)0x40023C0Cu)
#define TYPEBOOT_FLASH_CR (*(volatile uint32_t *)0x40023C10u)
#define TYPEBOOT_SR_BSY (1u << 16)
#define TYPEBOOT_SR_ERRORS 0xF2u /* PGSERR PGPERR PGAERR WRPERR OPERR */
#define TYPEBOOT_CR_PG (1u << 0)
#define TYPEBOOT_CR_PSIZE_MASK (3u << 8)
#define TYPEBOOT_CR_PSIZE_X32 (2u << 8)
#define TYPEBOOT_CR_LOCK (1u << 31)
#define TYPEBOOT_ACR_DCEN (1u << 10)
#define TYPEBOOT_ACR_DCRST (1u << 12)
/* A word programs in 16 us typical, 100 us maximum: this bound is far above either at 168 MHz. */
#define TYPEBOOT_BUSY_LOOPS 2000000u

static inline int typeboot_flash_wait(void) {
  for (uint32_t n = 0; n < TYPEBOOT_BUSY_LOOPS; n++)
    if (!(TYPEBOOT_FLASH_SR & TYPEBOOT_SR_BSY)) return 0;
  return -1;
}

static inline int typeboot_program32(uint32_t addr, uint32_t value) {
  int r = -1;
  if (TYPEBOOT_FLASH_CR & TYPEBOOT_CR_LOCK) {
    TYPEBOOT_FLASH_KEYR = 0x45670123u;
    TYPEBOOT_FLASH_KEYR = 0xCDEF89ABu;
  }
  if (typeboot_flash_wait() == 0) {
    TYPEBOOT_FLASH_SR = TYPEBOOT_SR_ERRORS; /* clear old errors (write 1 to clear) */
    TYPEBOOT_FLASH_CR = (TYPEBOOT_FLASH_CR & ~TYPEBOOT_CR_PSIZE_MASK) | TYPEBOOT_CR_PSIZE_X32 | TYPEBOOT_CR_PG;
    *(volatile uint32_t *)(uintptr_t)addr = value;
    if (typeboot_flash_wait() == 0 && !(TYPEBOOT_FLASH_SR & TYPEBOOT_SR_ERRORS)) r = 0;
    TYPEBOOT_FLASH_CR &= ~TYPEBOOT_CR_PG;
  }
  TYPEBOOT_FLASH_CR |= TYPEBOOT_CR_LOCK;
  /* The ART data cache may hold the old word: reset it (RM0090 3.5.2). */
  uint32_t acr = TYPEBOOT_FLASH_ACR;
  TYPEBOOT_FLASH_ACR = acr & ~TYPEBOOT_ACR_DCEN;
  TYPEBOOT_FLASH_ACR = (acr & ~TYPEBOOT_ACR_DCEN) | TYPEBOOT_ACR_DCRST;
  TYPEBOOT_FLASH_ACR = acr & ~TYPEBOOT_ACR_DCRST;
  return r;
}
#define TYPEBOOT_PROGRAM32(addr, value) typeboot_program32((addr), (value))
#endif

#ifndef TYPEBOOT_SET_REQUEST
/* RCC_APB1ENR.PWREN, PWR_CR.DBP (backup domain write access), then RTC_BKP0R. */
static inline void typeboot_set_request(uint32_t v) {
  *(volatile uint32_t *)0x40023840u |= 1u << 28;
  (void)*(volatile uint32_t *)0x40023840u; /* the clock is on before the next access */
  *(volatile uint32_t *)0x40007000u |= 1u << 8;
  *(volatile uint32_t *)0x40002850u = v;
}
#define TYPEBOOT_SET_REQUEST(v) typeboot_set_request(v)
#endif

#ifndef TYPEBOOT_RESET
/* SCB_AIRCR: VECTKEY | SYSRESETREQ. */
#define TYPEBOOT_RESET()                          \
  do {                                            \
    *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u; \
    for (;;) {                                    \
    }                                             \
  } while (0)
#endif

static inline int typeboot_is_confirmed(void) {
  for (unsigned i = 0; i < 5; i++)
    if (TYPEBOOT_READ32(TYPEBOOT_SLOT_ADDR + typeboot_confirm_words[i]) == TYPEBOOT_MARK_CONFIRMED) return 1;
  return 0;
}

/* 0: confirmed (now or before). -1: no erased confirm word was left or flash refused. */
static inline int typeboot_confirm(void) {
  if (typeboot_is_confirmed()) return 0;
  for (unsigned i = 0; i < 5; i++) {
    uint32_t a = TYPEBOOT_SLOT_ADDR + typeboot_confirm_words[i];
    if (TYPEBOOT_READ32(a) != TYPEBOOT_ERASED) continue; /* torn by a power cut: try the next */
    if (TYPEBOOT_PROGRAM32(a, TYPEBOOT_MARK_CONFIRMED) == 0 && TYPEBOOT_READ32(a) == TYPEBOOT_MARK_CONFIRMED) return 0;
  }
  return -1;
}

static inline void typeboot_request_update(void) {
  TYPEBOOT_SET_REQUEST(TYPEBOOT_REQUEST_UPDATE);
  TYPEBOOT_RESET();
}

#endif
