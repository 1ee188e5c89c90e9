/*
 * Heap life cycle and the two phases of a (simulated) reset:
 *   1. boot: a fresh heap runs the boot-policy bundle's TypeBootBoot.main(); a jump or reset ends
 *      the run here (the port carries it out), otherwise the heap is torn down;
 *   2. update mode: a fresh heap runs TypeBootUpdate.start({...}) and the event loop.
 * An uncaught JS error, an out-of-memory or a Duktape fatal error in update mode is logged, kept as
 * the last error, and the update servers are restarted on a fresh heap from the built-in bundle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "bytecode.h"
#include "crc32.h"
#include "internal.h"

tb_rt_t tb_rt;
tb_heap_t tb_heap;

void tb_heap_live_update(void) {
  tb_heap.live = tb_arena_used();
  if (tb_heap.live > tb_heap.live_peak) tb_heap.live_peak = tb_heap.live;
  tb_heap.gcs++;
}
static jmp_buf fatal_jmp;
static int fatal_armed;
static char orig_reason[200];
static int fault_done;

/* Format into a line buffer and write it to the console, with a newline added or not (a longer text
 * is cut at the buffer's end). */
static void console_vprintf(int newline, const char *fmt, va_list ap) {
  char line[512];
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  if (newline) line[n++] = '\n';
  tb_port_console_write(line, (size_t)n);
}

void tb_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  console_vprintf(1, fmt, ap);
  va_end(ap);
}

void tb_console_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  console_vprintf(0, fmt, ap);
  va_end(ap);
}

const char *tb_runtime_last_error(void) { return tb_rt.last_error; }

static void fatal_handler(void *udata, const char *msg) {
  (void)udata;
  snprintf(tb_rt.last_error, sizeof tb_rt.last_error, "fatal: %s", msg ? msg : "(no message)");
  tb_log("runtime: %s", tb_rt.last_error);
  if (fatal_armed) longjmp(fatal_jmp, 1);
  /* Not reachable in practice: every heap use is under an armed jump. Stop, the port resets. */
  for (;;) {
  }
}

/* The configured Duktape's DUK_USE_FATAL_HANDLER (build/duktape): fatal errors raised without a
 * heap-specific handler land here too. */
void typeboot_duk_fatal(void *udata, const char *msg);
void typeboot_duk_fatal(void *udata, const char *msg) { fatal_handler(udata, msg); }

duk_ret_t tb_throw(duk_context *ctx, const char *text) {
  duk_push_error_object(ctx, DUK_ERR_ERROR, "%s", text);
  return duk_throw(ctx);
}

void tb_sub_object(duk_context *ctx, const char *name) {
  if (!duk_get_prop_string(ctx, -1, name)) {
    duk_pop(ctx);
    duk_push_bare_object(ctx);
    duk_dup_top(ctx);
    duk_put_prop_string(ctx, -3, name);
  }
  duk_remove(ctx, -2);
}

void tb_stash_sub(duk_context *ctx, const char *name) {
  duk_push_heap_stash(ctx);
  tb_sub_object(ctx, name);
}

void tb_put_uint(duk_context *ctx, const char *name, duk_uint_t value) {
  duk_push_uint(ctx, value);
  duk_put_prop_string(ctx, -2, name);
}

uint8_t *tb_push_u8(duk_context *ctx, uint32_t n) {
  uint8_t *p = (uint8_t *)duk_push_fixed_buffer(ctx, n);
  duk_push_buffer_object(ctx, -1, 0, n, DUK_BUFOBJ_UINT8ARRAY);
  duk_remove(ctx, -2);
  return p;
}

static uint32_t failures_seen;

void tb_uncaught(duk_context *ctx, const char *where) {
  tb_arena_stats_t s;
  tb_arena_stats(&s);
  const char *msg = duk_safe_to_string(ctx, -1);
  if (s.failures != failures_seen)
    snprintf(tb_rt.last_error, sizeof tb_rt.last_error, "%s: %s (the %lu-byte JS heap ran out: %lu bytes asked, %lu in use)", where, msg,
             (unsigned long)s.size, (unsigned long)s.failed_size, (unsigned long)s.used);
  else
    snprintf(tb_rt.last_error, sizeof tb_rt.last_error, "%s: %s", where, msg);
  failures_seen = s.failures;
  msg = tb_rt.last_error;
  tb_log("runtime: uncaught error in %s", msg);
  if (duk_is_error(ctx, -1)) {
    duk_get_prop_string(ctx, -1, "stack");
    if (duk_is_string(ctx, -1)) tb_log("%s", duk_get_string(ctx, -1));
    duk_pop(ctx);
  }
  tb_rt.exit = TB_EXIT_ERROR;
}

/* ---- globals: require, console, timers ---- */

static duk_ret_t n_require(duk_context *ctx) {
  const char *name = duk_require_string(ctx, 0);
  tb_stash_sub(ctx, "m");
  if (duk_get_prop_string(ctx, -1, name)) return 1;
  duk_pop(ctx);
  if (!strcmp(name, "Flash")) tb_push_flash(ctx);
  else if (!strcmp(name, "dgram")) tb_push_dgram(ctx);
  else if (!strcmp(name, "net")) tb_push_net(ctx);
  else if (!strcmp(name, "Boot")) tb_push_boot(ctx);
  else {
    char m[120];
    snprintf(m, sizeof m, "module '%.60s' is not provided by the runtime", name);
    return tb_throw(ctx, m);
  }
  duk_dup_top(ctx);
  duk_put_prop_string(ctx, -3, name);
  return 1;
}

static duk_ret_t n_console_log(duk_context *ctx) {
  duk_idx_t n = duk_get_top(ctx);
  for (duk_idx_t i = 0; i < n; i++) duk_to_string(ctx, i);
  duk_push_string(ctx, " ");
  duk_insert(ctx, 0);
  duk_join(ctx, n);
  duk_size_t len;
  const char *s = duk_get_lstring(ctx, -1, &len);
  tb_port_console_write(s, len);
  tb_port_console_write("\n", 1);
  return 0;
}

static duk_ret_t setup_globals(duk_context *ctx, void *udata) {
  (void)udata;
  duk_push_c_function(ctx, n_require, 1);
  duk_put_global_string(ctx, "require");
  tb_push_e(ctx);
  duk_put_global_string(ctx, "E");
  tb_push_math(ctx);
  duk_put_global_string(ctx, "Math");
  duk_push_c_function(ctx, tb_native_atob, 1);
  duk_put_global_string(ctx, "atob");
  duk_push_c_function(ctx, tb_native_set_timeout, 2);
  duk_put_global_string(ctx, "setTimeout");
  duk_push_c_function(ctx, tb_native_clear_timeout, 1);
  duk_put_global_string(ctx, "clearTimeout");
  duk_push_object(ctx);
  duk_push_c_function(ctx, n_console_log, DUK_VARARGS);
  duk_put_prop_string(ctx, -2, "log");
  duk_put_global_string(ctx, "console");
  return 0;
}

/* ---- bundles ---- */

/* Verify a TBBC image before Duktape's loader sees it. NULL when sound, else why not. */
static const char *bc_problem(const uint8_t *p, size_t n) {
  if (n < TB_BC_HEADER) return "shorter than its header";
  if (tb_le32(p + 4) != TB_BC_VERSION) return "unknown format version";
  if (tb_le32(p + 8) != (uint32_t)TB_DUK_FINGERPRINT) return "made by a Duktape with another configuration (fingerprint mismatch)";
  if (tb_le32(p + 12) != n - TB_BC_HEADER) return "length does not match";
  if (tb_crc32(0, p + TB_BC_HEADER, n - TB_BC_HEADER) != tb_le32(p + 16)) return "CRC mismatch";
  return NULL;
}

/* Run a bundle (source or TBBC) as a program and push the global it defines. */
static void run_bundle(duk_context *ctx, const uint8_t *p, size_t n, const char *file, const char *global) {
  if (!p || !n) {
    char m[100];
    snprintf(m, sizeof m, "%s: no bundle", file);
    tb_throw(ctx, m);
  }
  if (tb_bc_is_image(p, n)) {
    const char *why = bc_problem(p, n);
    if (why) {
      char m[160];
      snprintf(m, sizeof m, "%s: bytecode refused: %s", file, why);
      tb_throw(ctx, m);
    }
    duk_push_external_buffer(ctx);
    duk_config_buffer(ctx, -1, (void *)(uintptr_t)(p + TB_BC_HEADER), n - TB_BC_HEADER);
    duk_load_function(ctx);
  } else {
    duk_push_string(ctx, file);
    duk_compile_lstring_filename(ctx, 0, (const char *)p, n);
  }
  duk_call(ctx, 0);
  duk_pop(ctx);
  if (!duk_get_global_string(ctx, global) || !duk_is_object(ctx, -1)) {
    char m[120];
    snprintf(m, sizeof m, "%s does not define %s", file, global);
    tb_throw(ctx, m);
  }
}

static duk_ret_t boot_main(duk_context *ctx, void *udata) {
  (void)udata;
  const tb_config_t *c = tb_rt.cfg;
  run_bundle(ctx, c->boot_bundle, c->boot_length, "boot.js", "TypeBootBoot");
  duk_get_prop_string(ctx, -1, "main");
  duk_dup(ctx, -2);
  duk_call_method(ctx, 0);
  /* { decision: { action, reason }, steps } */
  if (duk_is_object(ctx, -1) && duk_get_prop_string(ctx, -1, "decision") && duk_is_object(ctx, -1)) {
    duk_get_prop_string(ctx, -1, "reason");
    snprintf(orig_reason, sizeof orig_reason, "%s", duk_safe_to_string(ctx, -1));
  }
  return 0;
}

static void push_update_config(duk_context *ctx) {
  const tb_config_t *c = tb_rt.cfg;
  duk_push_object(ctx);
  tb_put_uint(ctx, "tftpPort", c->tftp_port);
  tb_put_uint(ctx, "httpPort", c->http_port);
  if (c->address) {
    duk_push_string(ctx, c->address);
    duk_put_prop_string(ctx, -2, "address");
  }
  duk_push_boolean(ctx, c->reboot_after_update);
  duk_put_prop_string(ctx, -2, "rebootAfterUpdate");
  if (c->reboot_delay_ms) tb_put_uint(ctx, "rebootDelayMs", c->reboot_delay_ms);
  duk_push_string(ctx, tb_rt.boot_reason);
  duk_put_prop_string(ctx, -2, "bootReason");
  if (tb_rt.last_error[0]) {
    duk_push_string(ctx, tb_rt.last_error);
    duk_put_prop_string(ctx, -2, "runtimeError");
  }
}

static duk_ret_t update_main(duk_context *ctx, void *udata) {
  (void)udata;
  const tb_config_t *c = tb_rt.cfg;
  run_bundle(ctx, c->update_bundle, c->update_length, "update.js", "TypeBootUpdate");
  duk_get_prop_string(ctx, -1, "start");
  duk_dup(ctx, -2);
  push_update_config(ctx);
  duk_call_method(ctx, 1);
  /* Keep the handle the bundle returned (its close()) reachable. */
  duk_push_heap_stash(ctx);
  duk_dup(ctx, -2);
  duk_put_prop_string(ctx, -2, "update");
  if (c->test_fault && !fault_done) {
    fault_done = 1;
    duk_eval_string_noresult(ctx, c->test_fault == 2
      ? "setTimeout(function () { var a = []; for (;;) a.push(new Uint8Array(4096)); }, 300);"
      : "setTimeout(function () { throw new Error('injected test error (TYPEBOOT_TEST_THROW)'); }, 300);");
  }
  return 0;
}

static duk_context *new_heap(void) {
  uint32_t size = tb_arena_set_size(tb_rt.cfg->heap_size ? tb_rt.cfg->heap_size : (uint32_t)TB_HEAP_SIZE);
  tb_arena_reset();
  tb_loop_init();
  tb_rt.exit = TB_EXIT_NONE;
  {
    tb_arena_stats_t s;
    tb_arena_stats(&s);
    failures_seen = s.failures;
  }
  memset(&tb_heap, 0, sizeof tb_heap);
  tb_rt.ctx = duk_create_heap(tb_arena_alloc, tb_arena_realloc, tb_arena_free, NULL, fatal_handler);
  if (!tb_rt.ctx) {
    snprintf(tb_rt.last_error, sizeof tb_rt.last_error, "cannot create the JS heap (%lu-byte arena)", (unsigned long)size);
    tb_log("runtime: %s", tb_rt.last_error);
    return NULL;
  }
  if (duk_safe_call(tb_rt.ctx, setup_globals, NULL, 0, 1) != DUK_EXEC_SUCCESS) {
    tb_uncaught(tb_rt.ctx, "runtime set-up");
    duk_destroy_heap(tb_rt.ctx);
    tb_rt.ctx = NULL;
    return NULL;
  }
  duk_pop(tb_rt.ctx);
  return tb_rt.ctx;
}

static void end_heap(const char *phase) {
  tb_arena_stats_t s;
  tb_loop_close_all();
  tb_arena_stats(&s);
  tb_log("runtime: %s heap: peak %lu of %lu bytes, live high-water %lu, %lu collections", phase, (unsigned long)s.peak, (unsigned long)s.size,
         (unsigned long)tb_heap.live_peak, (unsigned long)tb_heap.gcs);
  /* Jumping to the application: the heap is abandoned with the arena (the application owns the RAM
   * from now on; nothing outside the arena refers to it, the loop's tables were just cleared).
   * Tearing Duktape down object by object would cost ~230 K instructions of every boot. */
  if (tb_rt.ctx && tb_rt.exit != TB_EXIT_JUMP) duk_destroy_heap(tb_rt.ctx);
  tb_rt.ctx = NULL;
  tb_arena_reset();
}

/* A phase's result: 0 = go on (boot: to update mode), -1 = error, else TB_EXIT_RESET / TB_EXIT_JUMP. */
static int finish(int err) {
  if (tb_rt.exit == TB_EXIT_RESET || tb_rt.exit == TB_EXIT_JUMP) return tb_rt.exit;
  return err ? -1 : 0;
}

static int run_boot(void) {
  tb_rt.in_boot = 1;
  if (setjmp(fatal_jmp)) {
    fatal_armed = 0;
    tb_loop_close_all();
    tb_rt.ctx = NULL;
    tb_arena_reset();
    tb_rt.in_boot = 0;
    return -1;
  }
  fatal_armed = 1;
  int err = 1;
  duk_context *ctx = new_heap();
  if (ctx) {
    err = duk_safe_call(ctx, boot_main, NULL, 0, 1) != DUK_EXEC_SUCCESS;
    if (err) tb_uncaught(ctx, "boot policy");
    end_heap("boot");
  }
  fatal_armed = 0;
  tb_rt.in_boot = 0;
  return finish(err);
}

static int run_update(int *started) {
  *started = 0;
  if (setjmp(fatal_jmp)) {
    fatal_armed = 0;
    tb_loop_close_all();
    tb_rt.ctx = NULL;
    tb_arena_reset();
    return -1;
  }
  fatal_armed = 1;
  int err = 1;
  duk_context *ctx = new_heap();
  if (ctx) {
    if (duk_safe_call(ctx, update_main, NULL, 0, 1) != DUK_EXEC_SUCCESS) {
      tb_uncaught(ctx, "update bundle");
    } else {
      *started = 1;
      duk_pop(ctx);
      duk_gc(ctx, 0);
      tb_heap_live_update();
      tb_heap.gcs = 0;
      {
        tb_arena_stats_t s;
        tb_arena_stats(&s);
        tb_log("runtime: update mode: %lu of %lu heap bytes live after start", (unsigned long)s.used, (unsigned long)s.size);
      }
      if (duk_safe_call(ctx, tb_loop_run, NULL, 0, 1) != DUK_EXEC_SUCCESS) tb_uncaught(ctx, "event loop");
      err = tb_rt.exit == TB_EXIT_ERROR;
    }
    end_heap("update-mode");
  }
  fatal_armed = 0;
  return finish(err);
}

tb_exit_t tb_runtime_run(const tb_config_t *cfg) {
  tb_exit_t r = {TB_EXIT_RESET, 0};
  tb_rt.cfg = cfg;
  tb_rt.t0 = tb_port_millis();
  tb_rt.exit = TB_EXIT_NONE;
  tb_rt.jump_addr = 0;
  orig_reason[0] = 0;
  int k = run_boot();
  if (k == TB_EXIT_RESET || k == TB_EXIT_JUMP) {
    r.kind = (tb_exit_kind_t)k;
    r.addr = tb_rt.jump_addr;
    return r;
  }
  if (k) snprintf(orig_reason, sizeof orig_reason, "the boot policy failed: %.150s", tb_rt.last_error);
  snprintf(tb_rt.boot_reason, sizeof tb_rt.boot_reason, "%s", orig_reason);
  unsigned failed_starts = 0;
  for (;;) {
    int started;
    k = run_update(&started);
    if (k == TB_EXIT_RESET || k == TB_EXIT_JUMP) {
      r.kind = (tb_exit_kind_t)k;
      r.addr = tb_rt.jump_addr;
      return r;
    }
    failed_starts = started ? 0 : failed_starts + 1;
    if (failed_starts >= 3) {
      tb_log("runtime: the update-mode bundle does not start (%s)", tb_rt.last_error);
      r.kind = TB_EXIT_FATAL;
      return r;
    }
    tb_log("runtime: restarting the update servers after: %s", tb_rt.last_error);
    snprintf(tb_rt.boot_reason, sizeof tb_rt.boot_reason, "%.150s; update servers restarted after a runtime error: %.200s", orig_reason,
             tb_rt.last_error);
    if (failed_starts) tb_port_poll(NULL, 0, 500);
  }
}

/* ---- bytecode compiler (host build step; same Duktape configuration as the runtime) ---- */

typedef struct {
  const uint8_t *src;
  size_t length;
  const char *filename;
} compile_args_t;

static duk_ret_t compile_main(duk_context *ctx, void *udata) {
  compile_args_t *a = (compile_args_t *)udata;
  duk_push_string(ctx, a->filename);
  duk_compile_lstring_filename(ctx, 0, (const char *)a->src, a->length);
  duk_dump_function(ctx);
  return 1;
}

size_t tb_runtime_compile(const uint8_t *src, size_t length, const char *filename, uint8_t *out, size_t cap) {
  volatile size_t result = 0;
  compile_args_t a = {src, length, filename};
  tb_rt.last_error[0] = 0;
  if (setjmp(fatal_jmp)) {
    fatal_armed = 0;
    tb_arena_reset();
    return 0;
  }
  fatal_armed = 1;
  tb_arena_set_size(0xFFFFFFFFu); /* all of the arena: compiling takes more than loading */
  tb_arena_reset();
  duk_context *ctx = duk_create_heap(tb_arena_alloc, tb_arena_realloc, tb_arena_free, NULL, fatal_handler);
  if (!ctx) {
    snprintf(tb_rt.last_error, sizeof tb_rt.last_error, "cannot create the JS heap");
    fatal_armed = 0;
    return 0;
  }
  if (duk_safe_call(ctx, compile_main, &a, 0, 1) != DUK_EXEC_SUCCESS) {
    snprintf(tb_rt.last_error, sizeof tb_rt.last_error, "%s", duk_safe_to_string(ctx, -1));
  } else {
    duk_size_t n;
    const uint8_t *bc = (const uint8_t *)duk_get_buffer(ctx, -1, &n);
    if (n + TB_BC_HEADER > cap) {
      snprintf(tb_rt.last_error, sizeof tb_rt.last_error, "bytecode of %lu bytes does not fit", (unsigned long)n);
    } else {
      memcpy(out, TB_BC_MAGIC, 4);
      tb_put_le32(out + 4, TB_BC_VERSION);
      tb_put_le32(out + 8, (uint32_t)TB_DUK_FINGERPRINT);
      tb_put_le32(out + 12, (uint32_t)n);
      tb_put_le32(out + 16, tb_crc32(0, bc, n));
      memcpy(out + TB_BC_HEADER, bc, n);
      result = n + TB_BC_HEADER;
    }
  }
  duk_destroy_heap(ctx);
  fatal_armed = 0;
  tb_arena_reset();
  return result;
}

/* The date provider the configured Duktape asks for (DUK_USE_DATE_GET_NOW, build/duktape). */
double typeboot_date_now(void);
double typeboot_date_now(void) { return tb_port_wall_ms(); }
