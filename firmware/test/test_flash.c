/*
 * The STM32F4 flash driver (port/stm32f4/flash.c) against a register-level fake of the flash
 * interface written from RM0090 3.5-3.9: FLASH_KEYR's two-key unlock (a wrong key locks FLASH_CR
 * until reset), FLASH_CR writes ignored while LOCK is set, sector erase by SNB (F42x bank 2 at
 * SNB 16-27, 12-15 invalid), programming only with PG set and at the PSIZE parallelism (else
 * PGPERR / PGSERR), write-protected sectors (WRPERR), BSY while an operation runs, FLASH_SR error
 * bits write-1-to-clear, EOP only with EOPIE. Flash cells only go from 1 to 0.
 * Build: make -C firmware/test test_flash (firmware/test/Makefile)
 */
#include <stdlib.h>
#include <string.h>

#include "../port/stm32f4/flash.c"
#include "nucleo-f429zi.h"
#include "stm32_fake.h"
#include "stm324xg-eval.h"

/* ---- what the driver needs from the rest of the port ---- */
static uint32_t now_ms;
static unsigned kicks;
uint32_t tb_port_millis(void) { return now_ms++; } /* time moves one millisecond per look */
void tb_wdg_kick(void) { kicks++; }

/* ---- the flash interface model ---- */
static struct {
  int f42x;
  uint32_t cr, sr;
  int key_stage, key_error;
  int busy;          /* reads of SR left with BSY set */
  int stuck;         /* BSY never clears */
  uint32_t wrp;      /* write-protected sectors (bit n = sector n; nWRP cleared) */
  int ops_while_locked; /* CR writes the hardware ignored */
  int erase_snb;     /* the last erase: SNB, -1 none */
  int erase_psize;
  unsigned programmed;
  int cache_reset;   /* DCRST seen */
  int drop_stores;   /* flash stores accepted without error but never reach the cells */
  uint32_t acr;
} F;

static void model_reset(int f42x) {
  memset(&F, 0, sizeof F);
  F.f42x = f42x;
  F.cr = FLASH_CR_LOCK;
  F.erase_snb = -1;
}

/* Sector number -> [addr, size) of the chip */
static int sector_of_snb(uint32_t snb, uint32_t *addr, uint32_t *size) {
  unsigned s;
  if (snb < 12) s = snb;
  else if (F.f42x && snb >= 16 && snb <= 27) s = snb - 4;
  else return -1;
  static const uint32_t k[12] = {16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128};
  uint32_t a = FAKE_FLASH_BASE + (s >= 12 ? 0x100000u : 0);
  for (unsigned i = 0; i < s % 12; i++) a += k[i] * 1024;
  *addr = a;
  *size = k[s % 12] * 1024;
  return (int)s;
}

static int sector_of_addr(uint32_t a) {
  for (uint32_t snb = 0; snb < 28; snb++) {
    uint32_t sa, sz;
    int s = sector_of_snb(snb, &sa, &sz);
    if (s >= 0 && a >= sa && a < sa + sz) return s;
  }
  return -1;
}

static uint32_t m_rd(uint32_t a, uint32_t cur) {
  if (a == FLASH_R_BASE + 0x0C) { /* SR */
    if (F.stuck) return F.sr | FLASH_SR_BSY;
    if (F.busy > 0) {
      F.busy--;
      return F.sr | FLASH_SR_BSY;
    }
    return F.sr;
  }
  if (a == FLASH_R_BASE + 0x10) return F.cr;
  if (a == FLASH_R_BASE + 0x00) return F.acr;
  if (a == FLASH_R_BASE + 0x04) return 0; /* KEYR reads 0 */
  return cur;
}

static void m_wr(uint32_t a, uint32_t v, uint32_t *store) {
  if (a >= FAKE_FLASH_BASE && a < FAKE_FLASH_BASE + FAKE_FLASH_SIZE) {
    /* a 32-bit store into flash */
    int s = sector_of_addr(a);
    if (!(F.cr & FLASH_CR_PG) || (F.cr & FLASH_CR_LOCK)) {
      F.sr |= FLASH_SR_PGSERR;
      return;
    }
    if ((F.cr & FLASH_CR_PSIZE_MASK) != FLASH_CR_PSIZE_X32) {
      F.sr |= FLASH_SR_PGPERR;
      return;
    }
    if (a % 4) {
      F.sr |= FLASH_SR_PGAERR;
      return;
    }
    if (s >= 0 && (F.wrp >> s & 1u)) {
      F.sr |= FLASH_SR_WRPERR;
      return;
    }
    if (!F.drop_stores) *store &= v; /* cells only go from 1 to 0 */
    F.programmed++;
    F.busy = 3;
    if (F.cr & (1u << 24)) F.sr |= FLASH_SR_EOP;
    return;
  }
  if (a == FLASH_R_BASE + 0x04) { /* KEYR */
    if (F.key_error || !(F.cr & FLASH_CR_LOCK)) {
      F.key_error = 1; /* RM0090 3.5.1: a wrong sequence (or a key while unlocked) locks until reset */
      F.cr |= FLASH_CR_LOCK;
      return;
    }
    if (F.key_stage == 0 && v == FLASH_KEY1) F.key_stage = 1;
    else if (F.key_stage == 1 && v == FLASH_KEY2) {
      F.key_stage = 0;
      F.cr &= ~FLASH_CR_LOCK;
    } else {
      F.key_error = 1;
    }
    return;
  }
  if (a == FLASH_R_BASE + 0x0C) { /* SR: write 1 to clear */
    F.sr &= ~(v & (FLASH_SR_ERRORS | FLASH_SR_EOP));
    return;
  }
  if (a == FLASH_R_BASE + 0x10) { /* CR */
    if (F.cr & FLASH_CR_LOCK) {
      F.ops_while_locked++;
      return;
    }
    F.cr = v & ~FLASH_CR_STRT;
    if ((v & FLASH_CR_STRT) && (v & FLASH_CR_SER)) {
      uint32_t snb = (v & FLASH_CR_SNB_MASK) >> FLASH_CR_SNB_SHIFT, sa, sz;
      int s = sector_of_snb(snb, &sa, &sz);
      F.erase_snb = (int)snb;
      F.erase_psize = (int)(v & FLASH_CR_PSIZE_MASK);
      if (s < 0) F.sr |= FLASH_SR_PGSERR;
      else if (F.wrp >> s & 1u) F.sr |= FLASH_SR_WRPERR;
      else {
        memset(fake_flash + (sa - FAKE_FLASH_BASE), 0xFF, sz);
        F.busy = 50;
      }
    }
    return;
  }
  if (a == FLASH_R_BASE + 0x00) { /* ACR */
    if (v & FLASH_ACR_DCRST) F.cache_reset = 1;
    F.acr = v & ~(FLASH_ACR_ICRST | FLASH_ACR_DCRST);
    return;
  }
  *store = v;
}

static void setup(int f42x) {
  fake_reset_pages();
  model_reset(f42x);
  fake_model.rd = m_rd;
  fake_model.wr = m_wr;
  memset(fake_flash, 0x00, sizeof fake_flash); /* "anything": the tests erase first */
}

static uint8_t data[4096];

int main(void) {
  for (unsigned i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + 3);

  /* ---- F407 (STM324xG-EVAL) ---- */
  setup(0);
  tb_flash_init(&tb_board_stm324xg_eval);
  CHECK(tb_port_flash_memory() == fake_flash, "flash memory pointer is the flash base");
  CHECK(tb_port_flash_erase(0x08040000u) == TB_OK, "erase sector 6");
  CHECK(F.erase_snb == 6 && F.erase_psize == (int)FLASH_CR_PSIZE_X32, "SNB 6 at x32 (SNB %d, PSIZE %x)", F.erase_snb, F.erase_psize);
  CHECK(fake_flash[0x40000] == 0xFF && fake_flash[0x5FFFF] == 0xFF && fake_flash[0x3FFFF] == 0x00 && fake_flash[0x60000] == 0x00,
        "exactly sector 6 (0x08040000-0x0805FFFF) erased");
  CHECK(F.cr & FLASH_CR_LOCK, "FLASH_CR locked after the erase");
  CHECK(!(F.cr & (FLASH_CR_SER | FLASH_CR_SNB_MASK)), "SER and SNB cleared after the erase");
  CHECK(F.cache_reset, "caches reset after the erase");
  CHECK(kicks > 0, "the watchdog was kicked while BSY");
  CHECK(F.ops_while_locked == 0, "no FLASH_CR write while locked (%d)", F.ops_while_locked);

  unsigned before = F.programmed;
  CHECK(tb_port_flash_program(0x08040000u, data, 256) == TB_OK, "program 256 bytes");
  CHECK(F.programmed - before == 64, "64 word stores (%u)", F.programmed - before);
  CHECK(!memcmp(fake_flash + 0x40000, data, 256), "the data is in flash");
  CHECK(F.cr & FLASH_CR_LOCK && !(F.cr & FLASH_CR_PG), "locked, PG cleared after programming");
  CHECK(tb_port_flash_program(0x08040000u, data, 4) == TB_ENOTERASED, "a programmed word is refused");
  CHECK(tb_port_flash_program(0x08040102u, data, 4) == TB_EALIGN, "unaligned address refused");
  CHECK(tb_port_flash_program(0x08040100u, data, 6) == TB_EALIGN, "length not a multiple of 4 refused");
  CHECK(tb_port_flash_program(0x08100000u, data, 4) == TB_ERANGE, "beyond the F407's 1 MB refused");
  CHECK(tb_port_flash_program(0x080FFFFCu, data, 8) == TB_ERANGE, "a run crossing the end of flash refused");
  before = F.programmed;
  CHECK(tb_port_flash_erase(0x08000000u) == TB_EPROTECT, "sector 0 (bootloader) erase refused");
  CHECK(tb_port_flash_erase(0x08020000u) == TB_EPROTECT, "sector 5 (bootloader) erase refused");
  CHECK(tb_port_flash_program(0x0803FFFCu, data, 8) == TB_EPROTECT, "a run into the bootloader refused");
  CHECK(F.erase_snb == 6 && F.programmed == before, "nothing reached the hardware for refused requests");
  CHECK(tb_port_flash_erase(0x07FFFFFCu) == TB_ERANGE, "erase below flash refused");

  /* stale error flag from an earlier operation: cleared before, the new operation succeeds */
  F.sr |= FLASH_SR_PGSERR;
  CHECK(tb_port_flash_program(0x08040100u, data, 8) == TB_OK, "stale PGSERR cleared before programming");

  /* write protection: WRPERR reported, flags cleared, locked, nothing written */
  F.wrp = 1u << 7;
  memset(fake_flash + 0x60000, 0x00, 16);
  CHECK(tb_port_flash_erase(0x08060000u) == TB_EHW, "erase of a write-protected sector fails");
  CHECK(tb_flash_last_error()->sr & FLASH_SR_WRPERR, "WRPERR reported (sr %x)", tb_flash_last_error()->sr);
  CHECK(!(F.sr & FLASH_SR_ERRORS), "error flags cleared after the failure");
  CHECK(F.cr & FLASH_CR_LOCK, "locked after the failure");
  CHECK(fake_flash[0x60000] == 0x00, "the protected sector kept its contents");
  F.wrp = 0;

  /* programming error (the hardware refuses the store): reported, not mistaken for success */
  F.wrp = 1u << 8;
  memset(fake_flash + 0x80000, 0xFF, 16);
  CHECK(tb_port_flash_program(0x08080000u, data, 8) == TB_EHW, "program into a write-protected sector fails");
  CHECK(tb_flash_last_error()->sr & FLASH_SR_WRPERR && !(F.sr & FLASH_SR_ERRORS) && (F.cr & FLASH_CR_LOCK), "WRPERR seen, cleared, locked");
  F.wrp = 0;

  /* BSY that never clears: bounded by the timeout (twice the datasheet maximum), reported */
  F.stuck = 1;
  uint32_t t0 = now_ms;
  CHECK(tb_port_flash_erase(0x08080000u) == TB_EHW, "an erase that never ends fails");
  CHECK(tb_flash_last_error()->timeout, "reported as a timeout");
  CHECK(now_ms - t0 >= 4000 && now_ms - t0 < 10000, "after ~4 s of a 128 KB sector (%u ms)", (unsigned)(now_ms - t0));
  CHECK(tb_port_flash_program(0x08080000u, data, 4) == TB_EHW, "a program while BSY stays set fails");
  F.stuck = 0;

  /* verify: a word that reads back different (a cell that does not take the 0s) is an error */
  CHECK(tb_port_flash_erase(0x08080000u) == TB_OK, "erase sector 8");
  uint8_t zeros[4] = {0, 0, 0, 0};
  /* a cell that does not take the 0s (QEMU drops flash stores the same way) */
  F.drop_stores = 1;
  CHECK(tb_flash_program_words(0x08080000u, zeros, 4) == TB_EHW && tb_flash_last_error()->verify, "a dropped store fails verification");
  F.drop_stores = 0;

  /* a wrong key locks FLASH_CR until reset: every later operation fails, nothing is written */
  setup(0);
  tb_flash_init(&tb_board_stm324xg_eval);
  memset(fake_flash + 0x40000, 0xFF, 64);
  F.key_error = 1;
  CHECK(tb_port_flash_program(0x08040000u, data, 8) == TB_EHW && tb_flash_last_error()->locked, "locked FLASH_CR reported");
  CHECK(fake_flash[0x40000] == 0xFF, "nothing written while locked");

  /* ---- F429 (Nucleo-F429ZI): both banks ---- */
  setup(1);
  tb_flash_init(&tb_board_nucleo_f429zi);
  CHECK(tb_port_flash_erase(0x08100000u) == TB_OK && F.erase_snb == 16, "sector 12 (bank 2) is SNB 16 (%d)", F.erase_snb);
  CHECK(fake_flash[0x100000] == 0xFF && fake_flash[0x103FFF] == 0xFF && fake_flash[0x104000] == 0x00, "bank 2's first 16 KB erased");
  CHECK(tb_port_flash_erase(0x081E0000u) == TB_OK && F.erase_snb == 27, "sector 23 is SNB 27 (%d)", F.erase_snb);
  CHECK(tb_port_flash_erase(0x08040000u) == TB_OK && F.erase_snb == 6, "sector 6 is SNB 6");
  CHECK(tb_port_flash_program(0x081FFFF0u, data, 16) == TB_OK && !memcmp(fake_flash + 0x1FFFF0, data, 16), "program the last words of bank 2");
  CHECK(tb_port_flash_program(0x08200000u, data, 4) == TB_ERANGE, "beyond 2 MB refused");
  CHECK(tb_flash_snb(11) == 11 && tb_flash_snb(12) == 16 && tb_flash_snb(23) == 27, "SNB encoding");

  /* a long run: 4 KB */
  CHECK(tb_port_flash_program(0x08040000u, data, sizeof data) == TB_OK && !memcmp(fake_flash + 0x40000, data, sizeof data), "4 KB programmed");
  CHECK(F.ops_while_locked == 0, "no FLASH_CR write while locked on the F429 (%d)", F.ops_while_locked);
  return check_summary();
}
