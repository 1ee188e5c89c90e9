/*
 * A register-level fake of the STM32F4 bus for host tests of port/stm32f4/ drivers: the drivers are
 * compiled with -DTB_REG_FAKE, so every RD()/WR() of regs.h lands here. Each 4 KB peripheral page is
 * plain memory (created on first use) and the flash array stands in for 0x08000000; a test installs
 * a model (rd/wr hooks) that plays the peripheral as RM0090 describes it. Without a model a read
 * returns what was last written.
 */
#ifndef TB_STM32_FAKE_H
#define TB_STM32_FAKE_H

#include <stdint.h>
#include <stdio.h>

#include "check.h"

#define FAKE_FLASH_BASE 0x08000000u
#define FAKE_FLASH_SIZE (2u * 1024u * 1024u)
extern uint8_t fake_flash[FAKE_FLASH_SIZE];

/* The bus address of a pointer handed out by tb_fake_map(). */
uint32_t fake_addr(const volatile uint32_t *p);
/* The stored word at a bus address (no model involved). */
uint32_t *fake_word(uint32_t addr);
/* Forget every peripheral page (flash contents are kept). */
void fake_reset_pages(void);

typedef struct {
  /* Return what a read of addr gives; cur is the stored word. */
  uint32_t (*rd)(uint32_t addr, uint32_t cur);
  /* React to a write; *store is the stored word (old value on entry). */
  void (*wr)(uint32_t addr, uint32_t value, uint32_t *store);
} fake_model_t;
extern fake_model_t fake_model;
extern unsigned long fake_reads, fake_writes;

/* Test bookkeeping (check.h): CHECK prints only failures, with where they are; check_summary()
 * prints the `N passed, N failed` line. */
#define CHECK(cond, ...)                  \
  do {                                    \
    if (cond) {                           \
      check_passed++;                     \
    } else {                              \
      printf("at %s:%d: ", __FILE__, __LINE__); \
      check(0, __VA_ARGS__);              \
    }                                     \
  } while (0)

#endif
