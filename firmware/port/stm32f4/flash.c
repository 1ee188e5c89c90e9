/* Flash driver (RM0090 3.6 "Erase", 3.7 "Programming", 3.9 registers) and port.h's flash functions. */
#include "flash.h"

#include <string.h>

#include "port.h"
#include "regs.h"
#include "stm32f4.h"

static const tb_board_t *board;
static tb_flash_error_t last;

void tb_flash_init(const tb_board_t *b) { board = b; }

const tb_flash_error_t *tb_flash_last_error(void) { return &last; }

/* Wait while BSY, at most timeout_ms (and a poll count, in case the clock stands still); the
 * watchdog is kicked meanwhile. On a single bank the CPU stalls on its next flash fetch until the
 * operation ends, so this loop mostly sees BSY once; on the F42x erasing bank 2 it really polls. */
static int wait_idle(uint32_t timeout_ms) {
  uint32_t t0 = tb_port_millis();
  for (uint32_t spins = 0; spins < 400000000u; spins++) {
    if (!(RD(FLASH_R->SR) & FLASH_SR_BSY)) return 1;
    tb_wdg_kick();
    if (tb_port_millis() - t0 > timeout_ms) break;
  }
  return (RD(FLASH_R->SR) & FLASH_SR_BSY) == 0;
}

static void lock(void) {
  CLR(FLASH_R->CR, FLASH_CR_PG | FLASH_CR_SER | FLASH_CR_SNB_MASK);
  SET(FLASH_R->CR, FLASH_CR_LOCK);
}

/* Errors left by an earlier operation are cleared (write 1) so they are not blamed on this one. */
static int begin(uint32_t timeout_ms) {
  memset(&last, 0, sizeof last);
  if (!wait_idle(timeout_ms)) {
    last.timeout = 1;
    return TB_EHW;
  }
  if (RD(FLASH_R->CR) & FLASH_CR_LOCK) {
    WR(FLASH_R->KEYR, FLASH_KEY1);
    WR(FLASH_R->KEYR, FLASH_KEY2);
    if (RD(FLASH_R->CR) & FLASH_CR_LOCK) {
      last.locked = 1; /* a wrong sequence locks FLASH_CR until the next reset */
      return TB_EHW;
    }
  }
  WR(FLASH_R->SR, FLASH_SR_ERRORS | FLASH_SR_EOP);
  return TB_OK;
}

/* After an operation: BSY gone, no error flag; the flags are cleared either way. */
static int end(uint32_t timeout_ms) {
  if (!wait_idle(timeout_ms)) {
    last.timeout = 1;
    return TB_EHW;
  }
  uint32_t err = RD(FLASH_R->SR) & FLASH_SR_ERRORS;
  if (err) {
    last.sr = err;
    WR(FLASH_R->SR, err);
    return TB_EHW;
  }
  return TB_OK;
}

/* After an erase the caches may still hold the old contents (RM0090 3.5.2): reset them. */
static void flush_caches(void) {
  uint32_t acr = RD(FLASH_R->ACR);
  WR(FLASH_R->ACR, acr & ~(FLASH_ACR_ICEN | FLASH_ACR_DCEN));
  WR(FLASH_R->ACR, (acr & ~(FLASH_ACR_ICEN | FLASH_ACR_DCEN)) | FLASH_ACR_ICRST | FLASH_ACR_DCRST);
  WR(FLASH_R->ACR, acr & ~(FLASH_ACR_ICRST | FLASH_ACR_DCRST));
}

int tb_flash_erase_sector(unsigned sector, uint32_t timeout_ms) {
  int r = begin(timeout_ms);
  if (r == TB_OK) {
    WR(FLASH_R->CR, (RD(FLASH_R->CR) & ~(FLASH_CR_PSIZE_MASK | FLASH_CR_SNB_MASK | FLASH_CR_PG)) | FLASH_CR_PSIZE_X32 | FLASH_CR_SER |
                        tb_flash_snb(sector) << FLASH_CR_SNB_SHIFT);
    SET(FLASH_R->CR, FLASH_CR_STRT);
    r = end(timeout_ms);
  }
  lock();
  flush_caches();
  return r;
}

int tb_flash_program_words(uint32_t addr, const uint8_t *data, uint32_t length) {
  int r = begin(10);
  if (r == TB_OK) {
    WR(FLASH_R->CR, (RD(FLASH_R->CR) & ~(FLASH_CR_PSIZE_MASK | FLASH_CR_SER | FLASH_CR_SNB_MASK)) | FLASH_CR_PSIZE_X32 | FLASH_CR_PG);
    for (uint32_t i = 0; i < length && r == TB_OK; i += 4) {
      uint32_t w;
      memcpy(&w, data + i, 4);
      WR(TB_MEM32(addr + i), w);
      r = end(10); /* 100 us maximum per word (DS8626); 10 ms is generous */
    }
  }
  lock();
  flush_caches();
  for (uint32_t i = 0; r == TB_OK && i < length; i += 4) {
    uint32_t w;
    memcpy(&w, data + i, 4);
    if (RD(TB_MEM32(addr + i)) != w) {
      last.verify = 1;
      r = TB_EHW;
    }
  }
  return r;
}

/* ---- port.h: the NOR rules and the bootloader's protection, then the driver ---- */

const uint8_t *tb_port_flash_memory(void) { return (const uint8_t *)&TB_MEM32(board->flash_base); }

static int sector_at(uint32_t addr) {
  for (unsigned i = 0; i < board->nsectors; i++)
    if (addr >= board->sectors[i].addr && addr - board->sectors[i].addr < board->sectors[i].size) return (int)i;
  return -1;
}

static int protected_range(uint32_t addr, uint32_t len) {
  const tb_region_t *r = &board->bootloader;
  return addr < r->addr + r->size && r->addr < addr + len;
}

int tb_port_flash_erase(uint32_t addr) {
  int s = sector_at(addr);
  if (s < 0) return TB_ERANGE;
  const tb_sector_t *sec = &board->sectors[s];
  if (protected_range(sec->addr, sec->size)) return TB_EPROTECT;
  /* Twice the datasheet maximum (which is twice the typical figure in the board data). */
  return tb_flash_erase_sector((unsigned)s, 4u * sec->erase_ms);
}

int tb_port_flash_program(uint32_t addr, const uint8_t *data, uint32_t length) {
  if (addr % 4 || length % 4) return TB_EALIGN;
  if (addr < board->flash_base || addr - board->flash_base > board->flash_size || length > board->flash_size - (addr - board->flash_base))
    return TB_ERANGE;
  if (protected_range(addr, length)) return TB_EPROTECT;
  for (uint32_t i = 0; i < length; i += 4)
    if (RD(TB_MEM32(addr + i)) != 0xFFFFFFFFu) return TB_ENOTERASED;
  return tb_flash_program_words(addr, data, length);
}
