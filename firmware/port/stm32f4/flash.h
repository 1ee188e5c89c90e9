/*
 * The embedded flash (RM0090 3.5-3.9): unlock with the two keys, x32 parallelism (2.7-3.6 V, both
 * boards run at 3.3 V), sector erase by number (sectors 12-23 of the F42x's second bank are SNB
 * 16-27), word program, every error flag of FLASH_SR checked and cleared, caches flushed after an
 * erase, locked again after every operation. BSY waits are bounded (twice the datasheet maximum)
 * and kick the watchdog. tb_port_flash_erase/program (port.h) add the NOR rules and the
 * bootloader's protection on top.
 */
#ifndef TB_STM32_FLASH_H
#define TB_STM32_FLASH_H

#include <stdint.h>

#include "board.h"

/* What the last failed operation saw (FLASH_SR error bits, or a timeout), for the console. */
typedef struct {
  uint32_t sr;      /* the error bits of FLASH_SR when the operation failed */
  uint8_t timeout;  /* BSY never cleared */
  uint8_t locked;   /* the unlock sequence did not unlock FLASH_CR */
  uint8_t verify;   /* a programmed word read back different */
} tb_flash_error_t;

/* The board whose sector map the port uses (set once at start). */
void tb_flash_init(const tb_board_t *board);
/* The driver alone (no protection checks): erase one sector by its RM0090 number; program whole
 * words at a word-aligned flash address. 0 or TB_EHW. */
int tb_flash_erase_sector(unsigned sector, uint32_t timeout_ms);
int tb_flash_program_words(uint32_t addr, const uint8_t *data, uint32_t length);
const tb_flash_error_t *tb_flash_last_error(void);

/* The SNB field value for a sector number (F42x bank 2: +4). */
static inline uint32_t tb_flash_snb(unsigned sector) { return sector < 12 ? sector : sector + 4u; }

#endif
