/*
 * require("Flash"): the board's sector map from the generated board info, the NOR rules checked
 * here with readable errors (the same messages as host/nor-flash.ts) before the port is asked.
 */
#include <stdio.h>
#include <string.h>

#include "crc32.h"
#include "internal.h"

static const tb_board_t *board(void) { return tb_rt.cfg->board; }

static const tb_sector_t *sector_at(uint32_t addr) {
  const tb_board_t *b = board();
  for (unsigned i = 0; i < b->nsectors; i++)
    if (addr >= b->sectors[i].addr && addr - b->sectors[i].addr < b->sectors[i].size) return &b->sectors[i];
  return NULL;
}

static int in_flash(uint32_t addr, uint32_t len) {
  const tb_board_t *b = board();
  return addr >= b->flash_base && addr - b->flash_base <= b->flash_size && len <= b->flash_size - (addr - b->flash_base);
}

static int protected_range(uint32_t addr, uint32_t len) {
  const tb_region_t *r = &board()->bootloader;
  return addr < r->addr + r->size && r->addr < addr + len;
}

static duk_ret_t fail(duk_context *ctx, const char *what, uint32_t addr, const char *why) {
  char m[160];
  snprintf(m, sizeof m, "%s at 0x%lx: %s", what, (unsigned long)addr, why);
  return tb_throw(ctx, m);
}

static void push_page(duk_context *ctx, const tb_sector_t *s) {
  duk_push_object(ctx);
  tb_put_uint(ctx, "addr", s->addr);
  tb_put_uint(ctx, "length", s->size);
}

static duk_ret_t f_get_page(duk_context *ctx) {
  const tb_sector_t *s = sector_at(duk_to_uint32(ctx, 0));
  if (!s) return 0;
  push_page(ctx, s);
  return 1;
}

static duk_ret_t f_get_free(duk_context *ctx) {
  const tb_board_t *b = board();
  duk_push_array(ctx);
  duk_uarridx_t k = 0;
  for (unsigned i = 0; i < b->nsectors; i++) {
    if (b->sectors[i].addr < b->bootloader.addr + b->bootloader.size) continue;
    push_page(ctx, &b->sectors[i]);
    duk_put_prop_index(ctx, -2, k++);
  }
  return 1;
}

static duk_ret_t port_error(duk_context *ctx, const char *what, uint32_t addr, int r) {
  switch (r) {
    case TB_ERANGE: return fail(ctx, what, addr, "outside flash");
    case TB_EALIGN: return fail(ctx, what, addr, "address and length must be multiples of 4");
    case TB_EPROTECT: return fail(ctx, what, addr, "sector is write-protected (bootloader)");
    case TB_ENOTERASED: return fail(ctx, what, addr, "word is not erased");
    default: return fail(ctx, what, addr, "flash controller error");
  }
}

static duk_ret_t f_erase_page(duk_context *ctx) {
  uint32_t addr = duk_to_uint32(ctx, 0);
  const tb_sector_t *s = sector_at(addr);
  if (!s) return fail(ctx, "erase", addr, "outside flash");
  if (protected_range(s->addr, s->size)) return fail(ctx, "erase", addr, "sector is write-protected (bootloader)");
  int r = tb_port_flash_erase(s->addr);
  return r ? port_error(ctx, "erase", s->addr, r) : 0;
}

static duk_ret_t f_write(duk_context *ctx) {
  duk_size_t n;
  const uint8_t *p = (const uint8_t *)duk_require_buffer_data(ctx, 0, &n);
  uint32_t addr = duk_to_uint32(ctx, 1);
  char why[80];
  if (addr % 4 || n % 4) {
    snprintf(why, sizeof why, "%lu bytes: address and length must be multiples of 4", (unsigned long)n);
    return fail(ctx, "program", addr, why);
  }
  if (!in_flash(addr, (uint32_t)n)) return fail(ctx, "program", addr, "outside flash");
  if (protected_range(addr, (uint32_t)n)) return fail(ctx, "program", addr, "sector is write-protected (bootloader)");
  /* Every port refuses a word that is not erased before it programs anything (TB_ENOTERASED). */
  if (!n) return 0;
  int r = tb_port_flash_program(addr, p, (uint32_t)n);
  return r ? port_error(ctx, "program", addr, r) : 0;
}

static duk_ret_t f_read(duk_context *ctx) {
  uint32_t len = duk_to_uint32(ctx, 0), addr = duk_to_uint32(ctx, 1);
  if (!in_flash(addr, len)) return fail(ctx, "read", addr, "outside flash");
  uint8_t *out = tb_push_u8(ctx, len);
  memcpy(out, tb_port_flash_memory() + (addr - board()->flash_base), len);
  return 1;
}

static duk_ret_t f_crc32(duk_context *ctx) {
  uint32_t addr = duk_to_uint32(ctx, 0), len = duk_to_uint32(ctx, 1);
  uint32_t init = duk_is_number(ctx, 2) ? duk_to_uint32(ctx, 2) : 0;
  if (!in_flash(addr, len)) return fail(ctx, "crc32", addr, "outside flash");
  duk_push_uint(ctx, tb_crc32(init, tb_port_flash_memory() + (addr - board()->flash_base), len));
  return 1;
}

/* verify(addr, data): true when flash at addr holds exactly data (the read-back check after a write:
 * one compare instead of a CRC of flash and another of the data). */
static duk_ret_t f_verify(duk_context *ctx) {
  uint32_t addr = duk_to_uint32(ctx, 0);
  duk_size_t len;
  const uint8_t *d = (const uint8_t *)duk_require_buffer_data(ctx, 1, &len);
  if (!in_flash(addr, (uint32_t)len)) return fail(ctx, "verify", addr, "outside flash");
  const uint8_t *f = tb_port_flash_memory() + (addr - board()->flash_base);
  uint32_t diff = 0;
  duk_size_t i = 0;
  if (!(((uintptr_t)f | (uintptr_t)d) & 3u)) { /* both word-aligned (the usual case): four words at a time */
    const uint32_t *a = (const uint32_t *)(const void *)f, *b = (const uint32_t *)(const void *)d;
    for (; i + 16 <= len && !diff; i += 16, a += 4, b += 4) diff = (a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]);
  }
  duk_push_boolean(ctx, !diff && !memcmp(f + i, d + i, len - i));
  return 1;
}

static const duk_function_list_entry flash_fns[] = {{"getPage", f_get_page, 1}, {"getFree", f_get_free, 0}, {"erasePage", f_erase_page, 1},
                                                    {"write", f_write, 2},       {"read", f_read, 2},        {"crc32", f_crc32, 3},
                                                    {"verify", f_verify, 2},     {NULL, NULL, 0}};

void tb_push_flash(duk_context *ctx) {
  duk_push_object(ctx);
  duk_put_function_list(ctx, -1, flash_fns);
}
