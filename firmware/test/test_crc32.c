/*
 * tb_crc32 (firmware/core/crc32.c, slicing-by-4 over const tables) against a bitwise reference
 * (zlib's CRC-32: reflected 0xEDB88320, init and final xor 0xFFFFFFFF): every length 0..80 at every
 * alignment 0..7, continuation (init = an earlier CRC) split at every point, and the check value.
 */
#include <string.h>

#include "check.h"
#include "crc32.h"

static uint32_t reference(uint32_t init, const uint8_t *p, size_t n) {
  uint32_t c = ~init;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

int main(void) {
  check(tb_crc32(0, (const uint8_t *)"123456789", 9) == 0xCBF43926u, "check value of \"123456789\" is 0xCBF43926");
  check(tb_crc32(0, NULL, 0) == 0, "empty input gives 0");
  static uint8_t buf[4096 + 8];
  uint32_t s = 0x12345678u;
  for (size_t i = 0; i < sizeof buf; i++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    buf[i] = (uint8_t)s;
  }
  int ok = 1;
  for (size_t align = 0; align < 8; align++)
    for (size_t n = 0; n <= 80; n++) ok &= tb_crc32(0, buf + align, n) == reference(0, buf + align, n);
  check(ok, "lengths 0..80 at alignments 0..7 match the bitwise reference");
  ok = 1;
  for (size_t cut = 0; cut <= 64; cut++) ok &= tb_crc32(tb_crc32(0, buf + 3, cut), buf + 3 + cut, 64 - cut) == reference(0, buf + 3, 64);
  check(ok, "a CRC continued from an earlier one (init) equals the CRC of the whole, split anywhere");
  check(tb_crc32(0, buf + 1, 4096) == reference(0, buf + 1, 4096), "4096 unaligned bytes");
  memset(buf, 0xFF, sizeof buf);
  check(tb_crc32(0, buf, 4096) == reference(0, buf, 4096), "4096 bytes of 0xFF (erased flash)");
  return check_summary();
}
