#include "crc32.h"

/* Slicing-by-4 tables, built once (4 KB of RAM; on the chip the CRC unit can replace this). */
static uint32_t table[4][256];
static int built;

static void build(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[0][n] = c;
  }
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = table[0][n];
    for (int t = 1; t < 4; t++) {
      c = table[0][c & 0xFF] ^ (c >> 8);
      table[t][n] = c;
    }
  }
  built = 1;
}

uint32_t tb_crc32_sw(uint32_t init, const uint8_t *p, size_t n) {
  if (!built) build();
  uint32_t c = init ^ 0xFFFFFFFFu;
  while (n && ((uintptr_t)p & 3)) {
    c = table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    n--;
  }
  while (n >= 4) {
    c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    c = table[3][c & 0xFF] ^ table[2][(c >> 8) & 0xFF] ^ table[1][(c >> 16) & 0xFF] ^ table[0][c >> 24];
    p += 4;
    n -= 4;
  }
  while (n--) c = table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

__attribute__((weak)) uint32_t tb_crc32(uint32_t init, const uint8_t *p, size_t n) { return tb_crc32_sw(init, p, n); }
