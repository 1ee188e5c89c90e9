/* require("Boot"): reset, jump, boot-request word, board I/O, board info, assets, heap use. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "internal.h"

/* Reset and jump take effect when the running JS returns to the runtime (the heap is torn down
 * first; on a chip the port then resets or starts the application). */
static duk_ret_t b_reset(duk_context *ctx) {
  (void)ctx;
  if (tb_rt.exit != TB_EXIT_JUMP) tb_rt.exit = TB_EXIT_RESET;
  return 0;
}

static duk_ret_t b_jump(duk_context *ctx) {
  tb_rt.jump_addr = duk_to_uint32(ctx, 0);
  tb_rt.exit = TB_EXIT_JUMP;
  return 0;
}

static duk_ret_t b_get_request(duk_context *ctx) {
  duk_push_uint(ctx, tb_port_request_get());
  return 1;
}

static duk_ret_t b_set_request(duk_context *ctx) {
  tb_port_request_set(duk_to_uint32(ctx, 0));
  return 0;
}

static duk_ret_t b_button(duk_context *ctx) {
  duk_push_boolean(ctx, tb_port_button_at_reset());
  return 1;
}

static duk_ret_t b_led(duk_context *ctx) {
  tb_port_led(duk_to_uint32(ctx, 0), duk_to_boolean(ctx, 1));
  return 0;
}

static duk_ret_t b_millis(duk_context *ctx) {
  duk_push_uint(ctx, tb_port_millis() - tb_rt.t0);
  return 1;
}

static duk_ret_t b_random32(duk_context *ctx) {
  duk_push_uint(ctx, tb_port_random32());
  return 1;
}

static void put_region(duk_context *ctx, const char *name, const tb_region_t *r) {
  if (!r->size) return;
  duk_push_object(ctx);
  tb_put_uint(ctx, "addr", r->addr);
  tb_put_uint(ctx, "size", r->size);
  duk_put_prop_string(ctx, -2, name);
}

static duk_ret_t b_board(duk_context *ctx) {
  const tb_config_t *c = tb_rt.cfg;
  const tb_board_t *b = c->board;
  const tb_layout_t *l = &b->modes[c->mode];
  duk_push_object(ctx);
  duk_push_string(ctx, b->name);
  duk_put_prop_string(ctx, -2, "name");
  tb_put_uint(ctx, "id", b->id);
  duk_push_string(ctx, c->mode == TB_MODE_STAGED ? "staged" : "direct");
  duk_put_prop_string(ctx, -2, "mode");
  tb_put_uint(ctx, "headerSize", b->header_size);
  tb_put_uint(ctx, "trialAttempts", b->trial_attempts);
  duk_push_string(ctx, b->verify_every_boot ? "always" : "unconfirmed");
  duk_put_prop_string(ctx, -2, "verifyAtBoot");
  put_region(ctx, "bootloader", &b->bootloader);
  put_region(ctx, "app", &l->app);
  put_region(ctx, "staging", &l->staging);
  put_region(ctx, "scratch", &l->scratch);
  put_region(ctx, "record", &l->record);
  return 1;
}

static duk_ret_t b_log(duk_context *ctx) {
  duk_size_t n;
  const char *s = duk_to_lstring(ctx, 0, &n);
  tb_port_console_write(s, n);
  tb_port_console_write("\n", 1);
  return 0;
}

/* A fresh copy (the logic may append to it), or undefined. */
static duk_ret_t b_asset(duk_context *ctx) {
  const char *name = duk_to_string(ctx, 0);
  const tb_config_t *c = tb_rt.cfg;
  for (unsigned i = 0; i < c->nassets; i++) {
    if (strcmp(c->assets[i].name, name)) continue;
    memcpy(tb_push_u8(ctx, c->assets[i].length), c->assets[i].data, c->assets[i].length);
    return 1;
  }
  return 0;
}

static duk_ret_t b_credentials(duk_context *ctx) {
  const tb_config_t *c = tb_rt.cfg;
  if (!c->user || !c->password) return 0;
  duk_push_object(ctx);
  duk_push_string(ctx, c->user);
  duk_put_prop_string(ctx, -2, "user");
  duk_push_string(ctx, c->password);
  duk_put_prop_string(ctx, -2, "password");
  return 1;
}

/* { used, peak, size, live, livePeak, collections, failures }: the arena's bytes in use (garbage
 * included), their high-water mark and the size; the live bytes after the loop's last collection
 * and their high-water mark (this heap); collections; refused allocations (since start). */
static duk_ret_t b_heap(duk_context *ctx) {
  tb_arena_stats_t s;
  tb_arena_stats(&s);
  duk_push_object(ctx);
  tb_put_uint(ctx, "used", s.used);
  tb_put_uint(ctx, "peak", s.peak);
  tb_put_uint(ctx, "size", s.size);
  tb_put_uint(ctx, "live", tb_heap.live);
  tb_put_uint(ctx, "livePeak", tb_heap.live_peak);
  tb_put_uint(ctx, "collections", tb_heap.gcs);
  tb_put_uint(ctx, "failures", s.failures);
  return 1;
}

/* The last uncaught error / out-of-memory the runtime recovered from, or undefined. */
static duk_ret_t b_last_error(duk_context *ctx) {
  if (!tb_rt.last_error[0]) return 0;
  duk_push_string(ctx, tb_rt.last_error);
  return 1;
}

static const duk_function_list_entry boot_fns[] = {
  {"reset", b_reset, 0},          {"jump", b_jump, 1},   {"getRequest", b_get_request, 0},    {"setRequest", b_set_request, 1},
  {"buttonAtReset", b_button, 0}, {"led", b_led, 2},     {"millis", b_millis, 0},             {"random32", b_random32, 0},
  {"board", b_board, 0},          {"log", b_log, 1},     {"asset", b_asset, 1},               {"credentials", b_credentials, 0},
  {"heap", b_heap, 0},            {"lastError", b_last_error, 0}, {NULL, NULL, 0}};

void tb_push_boot(duk_context *ctx) {
  duk_push_object(ctx);
  duk_put_function_list(ctx, -1, boot_fns);
}
