/* CRC-32 (IEEE 802.3, as zlib's crc32()): table-driven C. init continues an earlier CRC. */
#ifndef TB_CRC32_H
#define TB_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t tb_crc32(uint32_t init, const uint8_t *data, size_t length);

#endif
