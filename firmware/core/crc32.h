/* CRC-32 (IEEE 802.3, as zlib's crc32()): table-driven C. init continues an earlier CRC. */
#ifndef TB_CRC32_H
#define TB_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t tb_crc32(uint32_t init, const uint8_t *data, size_t length);
/* The table-driven C version. tb_crc32 is this one unless a port supplies its own tb_crc32 (the
 * STM32F4 port: the CRC unit, with this as its fallback); crc32.c defines tb_crc32 weak. */
uint32_t tb_crc32_sw(uint32_t init, const uint8_t *data, size_t length);

#endif
