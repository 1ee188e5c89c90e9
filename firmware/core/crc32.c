#include "crc32.h"

#include <string.h>

/* Slicing-by-4 over const tables (4 KB, in flash on a chip: no RAM, no start-up cost; the tables were
 * 4 KB of RAM built at the first call before). Cortex-M4 -Os: ~4 instructions per byte, against ~5.3
 * for byte loads and one table base (slicing-by-8 measured no faster: the extra bases spill). */
#include "crc32_table.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tb_crc32 loads little-endian words"
#endif

uint32_t tb_crc32_sw(uint32_t init, const uint8_t *p, size_t n) {
  uint32_t c = init ^ 0xFFFFFFFFu;
  while (n && ((uintptr_t)p & 3)) {
    c = table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    n--;
  }
  /* One base register per table: each byte costs an extract, a load and an xor. */
  const uint32_t *t0 = table[0], *t1 = table[1], *t2 = table[2], *t3 = table[3];
  for (const uint8_t *end = p + (n & ~(size_t)3); p != end; p += 4) {
    uint32_t a;
    memcpy(&a, p, 4); /* an aligned word load */
    a ^= c;
    c = t3[a & 0xFF] ^ t2[(a >> 8) & 0xFF] ^ t1[(a >> 16) & 0xFF] ^ t0[a >> 24];
  }
  n &= 3;
  while (n--) c = table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

__attribute__((weak)) uint32_t tb_crc32(uint32_t init, const uint8_t *p, size_t n) { return tb_crc32_sw(init, p, n); }
