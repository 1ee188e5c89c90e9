/* E: Espruino's utility object, the part the logic uses. All byte work in C. */
#include <string.h>

#include "crc32.h"
#include "internal.h"

static uint32_t opt_u32(duk_context *ctx, duk_idx_t i) {
  return duk_is_number(ctx, i) ? (uint32_t)duk_to_uint32(ctx, i) : 0;
}

static duk_ret_t e_crc32(duk_context *ctx) {
  duk_size_t n;
  const uint8_t *p = (const uint8_t *)duk_require_buffer_data(ctx, 0, &n);
  duk_push_uint(ctx, tb_crc32(opt_u32(ctx, 1), p, n));
  return 1;
}

/* Bytes to a binary string: one character (U+0000..U+00FF) per byte. Duktape keeps strings as
 * UTF-8, so bytes 0x80..0xFF take two bytes each. */
static duk_ret_t e_to_string(duk_context *ctx) {
  duk_size_t n;
  const uint8_t *p = (const uint8_t *)duk_require_buffer_data(ctx, 0, &n);
  duk_size_t hi = 0;
  for (duk_size_t i = 0; i < n; i++) hi += p[i] >> 7;
  if (!hi) {
    duk_push_lstring(ctx, (const char *)p, n);
    return 1;
  }
  uint8_t *out = (uint8_t *)duk_push_fixed_buffer(ctx, n + hi);
  for (duk_size_t i = 0; i < n; i++) {
    uint8_t b = p[i];
    if (b < 0x80) *out++ = b;
    else {
      *out++ = (uint8_t)(0xC0 | b >> 6);
      *out++ = (uint8_t)(0x80 | (b & 0x3F));
    }
  }
  duk_buffer_to_string(ctx, -1);
  return 1;
}

/* Binary string to bytes: each character's code & 0xFF (as charCodeAt(i) & 255). */
static duk_ret_t e_to_uint8array(duk_context *ctx) {
  duk_size_t blen;
  const uint8_t *s = (const uint8_t *)duk_to_lstring(ctx, 0, &blen);
  duk_size_t chars = duk_get_length(ctx, 0);
  uint8_t *out = tb_push_u8(ctx, (uint32_t)chars);
  duk_size_t i = 0, k = 0;
  while (i < blen && k < chars) {
    uint8_t b = s[i];
    uint32_t cp;
    unsigned len;
    if (b < 0x80) { cp = b; len = 1; }
    else if (b < 0xE0) { cp = b & 0x1F; len = 2; }
    else if (b < 0xF0) { cp = b & 0x0F; len = 3; }
    else if (b < 0xF8) { cp = b & 0x07; len = 4; }
    else if (b < 0xFC) { cp = b & 0x03; len = 5; }
    else if (b < 0xFE) { cp = b & 0x01; len = 6; }
    else { cp = 0; len = 7; }
    for (unsigned j = 1; j < len && i + j < blen; j++) cp = cp << 6 | (s[i + j] & 0x3F);
    out[k++] = (uint8_t)cp;
    i += len;
  }
  return 1;
}

/* Index of needle in haystack at or after start, or -1 (Buffer.indexOf semantics for start). */
static duk_ret_t e_index_of(duk_context *ctx) {
  duk_size_t hn, nn;
  const uint8_t *h = (const uint8_t *)duk_require_buffer_data(ctx, 0, &hn);
  const uint8_t *nd = (const uint8_t *)duk_require_buffer_data(ctx, 1, &nn);
  double st = duk_is_number(ctx, 2) ? duk_get_number(ctx, 2) : 0;
  if (st != st) st = 0;
  if (st < 0) st += (double)hn;
  if (st < 0) st = 0;
  if (st > (double)hn) {
    duk_push_int(ctx, -1);
    return 1;
  }
  duk_size_t i = (duk_size_t)st;
  if (!nn) {
    duk_push_number(ctx, (double)i);
    return 1;
  }
  while (i + nn <= hn) {
    const uint8_t *f = (const uint8_t *)memchr(h + i, nd[0], hn - nn + 1 - i);
    if (!f) break;
    i = (duk_size_t)(f - h);
    if (!memcmp(f, nd, nn)) {
      duk_push_number(ctx, (double)i);
      return 1;
    }
    i++;
  }
  duk_push_int(ctx, -1);
  return 1;
}

/* atob(base64) -> binary string (Espruino's global): the HTTP Basic credentials. Characters outside
 * the base64 alphabet are skipped; decoding stops at '='. */
duk_ret_t tb_native_atob(duk_context *ctx) {
  duk_size_t n;
  const char *s = duk_require_lstring(ctx, 0, &n);
  uint8_t *out = (uint8_t *)duk_push_fixed_buffer(ctx, n * 3 / 4 + 1);
  duk_size_t k = 0;
  uint32_t acc = 0;
  unsigned bits = 0;
  for (duk_size_t i = 0; i < n && s[i] != '='; i++) {
    char c = s[i];
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) continue;
    acc = (acc << 6 | (uint32_t)v) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (uint8_t)(acc >> bits);
    }
  }
  duk_push_buffer_object(ctx, -1, 0, k, DUK_BUFOBJ_UINT8ARRAY);
  duk_replace(ctx, 0);
  duk_pop(ctx);
  return e_to_string(ctx);
}

static const duk_function_list_entry e_fns[] = {
  {"CRC32", e_crc32, 2}, {"toString", e_to_string, 1}, {"toUint8Array", e_to_uint8array, 1}, {"indexOf", e_index_of, 3}, {NULL, NULL, 0}};

void tb_push_e(duk_context *ctx) {
  duk_push_object(ctx);
  duk_put_function_list(ctx, -1, e_fns);
}
