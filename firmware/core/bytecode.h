/*
 * TBBC: a bundle precompiled to Duktape bytecode, guarded so that a mismatched or damaged image is
 * refused before duk_load_function() sees it (Duktape's loader trusts its input: a mismatch faults).
 *
 *   0x00  4  magic "TBBC"
 *   0x04  4  format version (1), little-endian
 *   0x08  4  configuration fingerprint (TB_DUK_FINGERPRINT of the Duktape build that made it)
 *   0x0C  4  bytecode length
 *   0x10  4  CRC-32 (IEEE) of the bytecode
 *   0x14  .. bytecode (duk_dump_function of the bundle compiled as a program)
 */
#ifndef TB_BYTECODE_H
#define TB_BYTECODE_H

#include <stddef.h>
#include <stdint.h>

#define TB_BC_MAGIC "TBBC"
#define TB_BC_VERSION 1u
#define TB_BC_HEADER 20u

/* The Duktape configuration's fingerprint: from build/duktape/typeboot_fingerprint.h when the
 * configured Duktape provides it, else the Makefile's CRC-32 of duk_config.h (-DTB_DUK_FINGERPRINT). */
#if defined(TB_HAVE_FINGERPRINT_H)
#include "typeboot_fingerprint.h"
#endif
#if !defined(TB_DUK_FINGERPRINT)
#if defined(TYPEBOOT_DUK_FINGERPRINT)
#define TB_DUK_FINGERPRINT TYPEBOOT_DUK_FINGERPRINT
#elif defined(TYPEBOOT_FINGERPRINT)
#define TB_DUK_FINGERPRINT TYPEBOOT_FINGERPRINT
#elif defined(TYPEBOOT_CONFIG_FINGERPRINT)
#define TB_DUK_FINGERPRINT TYPEBOOT_CONFIG_FINGERPRINT
#else
#define TB_DUK_FINGERPRINT 0u
#endif
#endif

static inline uint32_t tb_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void tb_put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* Is this buffer a TBBC image at all (magic only)? */
static inline int tb_bc_is_image(const uint8_t *p, size_t n) {
  return n >= 4 && p[0] == 'T' && p[1] == 'B' && p[2] == 'B' && p[3] == 'C';
}

#endif
