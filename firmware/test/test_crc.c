/*
 * CRC-32 over the STM32F4 CRC unit (port/stm32f4/crc.c) against a fake of the unit written from
 * RM0090 4.3-4.4: CRC_CR.RESET loads 0xFFFFFFFF, each CRC_DR write shifts a 32-bit word in MSB
 * first with polynomial 0x04C11DB7, CRC_DR reads the register (no reflection, no final xor). The
 * port's tb_crc32 must equal zlib's CRC-32 (the table version in core/crc32.c) for every alignment,
 * length and start value; with a unit that reads 0 (QEMU) the known-answer test fails and the table
 * version is used.
 * Build: make -C firmware/test test_crc (firmware/test/Makefile)
 */
#include <stdlib.h>
#include <string.h>

#include "../port/stm32f4/crc.c"
#include "stm32_fake.h"

static uint32_t unit;
static int dead;
static unsigned long words_in;

static uint32_t m_rd(uint32_t a, uint32_t cur) {
  if (dead) return 0;
  if (a == CRC_BASE) return unit;
  return cur;
}

static void m_wr(uint32_t a, uint32_t v, uint32_t *store) {
  if (dead) return;
  if (a == CRC_BASE) {
    unit ^= v;
    for (int i = 0; i < 32; i++) unit = unit & 0x80000000u ? (unit << 1) ^ 0x04C11DB7u : unit << 1;
    words_in++;
    return;
  }
  if (a == CRC_BASE + 8 && (v & 1u)) {
    unit = 0xFFFFFFFFu;
    return;
  }
  *store = v;
}

static uint32_t rng = 2463534242u;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

int main(void) {
  fake_model.rd = m_rd;
  fake_model.wr = m_wr;
  static uint8_t buf[4096 + 8];
  for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rnd();

  /* the unit as RM0090 describes it: CRC of the word 0x00000000... known: reset value read back */
  WR(CRC_R->CR, 1);
  CHECK(RD(CRC_R->DR) == 0xFFFFFFFFu, "model: reset value");

  CHECK(tb_crc_hw_init() == 1, "a working unit passes the known-answer test");
  CHECK(tb_crc32(0, (const uint8_t *)"123456789", 9) == 0xCBF43926u, "check value of CRC-32 (short input: table)");
  unsigned bad = 0, runs = 0;
  for (unsigned off = 0; off < 4; off++)
    for (unsigned len = 0; len < 300; len += 1 + len / 8) {
      uint32_t init = rnd() & 1 ? rnd() : 0;
      runs++;
      if (tb_crc32(init, buf + off, len) != tb_crc32_sw(init, buf + off, len)) bad++;
    }
  CHECK(bad == 0, "unit == zlib for %u alignments/lengths/start values (%u differ)", runs, bad);
  words_in = 0;
  CHECK(tb_crc32(0, buf, 4096) == tb_crc32_sw(0, buf, 4096), "4 KB");
  CHECK(words_in == 1024 + 1, "4 KB went through the unit (%lu words: 1024 + the start word)", words_in);
  uint32_t a = tb_crc32(0, buf, 1000);
  CHECK(tb_crc32(a, buf + 1000, 3000) == tb_crc32_sw(0, buf, 4000), "continuing a running CRC (the start word)");
  CHECK(unshift(0xFFFFFFFFu) != 0 && unshift(0) == 0, "unshift sanity");

  /* QEMU: the unit reads 0 */
  dead = 1;
  CHECK(tb_crc_hw_init() == 0, "a unit that reads 0 fails the known-answer test");
  words_in = 0;
  CHECK(tb_crc32(0, buf, 4096) == tb_crc32_sw(0, buf, 4096) && words_in == 0, "...and the table version is used");
  return check_summary();
}
