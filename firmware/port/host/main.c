/*
 * typeboot-sim: the C runtime and the ES5 bundles on the host, standing in for a board.
 *
 *   typeboot-sim --board NAME --flash FILE [--state FILE] [--mode direct|staged]
 *                [--tftp-port P] [--http-port P] [--address A] [--user U --password P]
 *                [--timing] [--button] [--cut-at N [--cut-mode before|after|torn] [--cut-seed S]]
 *                [--cut-after N] [--no-reboot] [--reboot-delay MS] [--no-confirm] [--until-app]
 *                [--heap BYTES] [--boot-js FILE] [--update-js FILE]
 *   typeboot-sim --compile IN.js OUT.tbbc     precompile a bundle with this build's Duktape configuration
 *
 * Every (simulated) reset runs the boot bundle, then update mode or the stand-in application;
 * flash (the file) and the boot-request word (the state file, default FILE.state) persist.
 * The bundles may be ES5 source or TBBC bytecode; defaults: build/bundle/{boot,update}.js next to
 * this executable's build directory. The web pages are compiled in (build/boards/web_assets.h).
 * Test hooks (environment): TYPEBOOT_TEST_THROW=1 makes the runtime call a throwing JS callback once
 * after update mode starts, TYPEBOOT_TEST_OOM=1 exhausts the JS heap once; TYPEBOOT_HEAP_LOG=MS logs
 * the heap use every MS milliseconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "arena.h"
#include "boards.h"
#include "host.h"
#include "port.h"
#include "runtime.h"
#include "web_assets.h"

#define BUNDLE_MAX (256 * 1024)

static const tb_board_t *const boards[] = TB_BOARDS;
static uint8_t boot_bundle[BUNDLE_MAX], update_bundle[BUNDLE_MAX];

static void usage(FILE *f) {
  fprintf(f,
          "usage: typeboot-sim --board NAME --flash FILE [--state FILE] [--mode direct|staged]\n"
          "                    [--tftp-port P] [--http-port P] [--address A] [--user U --password P]\n"
          "                    [--timing] [--button] [--cut-at N [--cut-mode before|after|torn] [--cut-seed S]]\n"
          "                    [--cut-after N] [--no-reboot] [--reboot-delay MS] [--no-confirm] [--until-app]\n"
          "                    [--heap BYTES] [--boot-js FILE] [--update-js FILE]\n"
          "       typeboot-sim --compile IN.js OUT.tbbc\n"
          "boards:");
  for (unsigned i = 0; i < TB_NBOARDS; i++) fprintf(f, " %s", boards[i]->name);
  fprintf(f, "\n");
}

static size_t read_file(const char *file, uint8_t *buf, size_t cap) {
  FILE *f = fopen(file, "rb");
  if (!f) {
    fprintf(stderr, "typeboot-sim: %s: %s\n", file, strerror(errno));
    return 0;
  }
  size_t n = fread(buf, 1, cap, f);
  int more = fgetc(f) != EOF;
  fclose(f);
  if (more) {
    fprintf(stderr, "typeboot-sim: %s is larger than %u bytes\n", file, (unsigned)cap);
    return 0;
  }
  return n;
}

/* build/bundle/NAME next to build/host-runtime/typeboot-sim. */
static const char *default_bundle(const char *name, char *out, size_t cap) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return name;
  exe[n] = 0;
  snprintf(out, cap, "%s/../bundle/%s", dirname(exe), name);
  return out;
}

static unsigned long number(const char *opt, const char *v, unsigned long max) {
  char *end;
  unsigned long x = v ? strtoul(v, &end, 0) : 0;
  if (!v || *end || x > max) {
    fprintf(stderr, "typeboot-sim: %s needs a number up to %lu\n", opt, max);
    exit(2);
  }
  return x;
}

static int compile(const char *in, const char *out) {
  static uint8_t bc[2 * BUNDLE_MAX];
  size_t n = read_file(in, boot_bundle, sizeof boot_bundle);
  if (!n) return 1;
  size_t m = tb_runtime_compile(boot_bundle, n, in, bc, sizeof bc);
  if (!m) {
    fprintf(stderr, "typeboot-sim: %s: %s\n", in, tb_runtime_last_error());
    return 1;
  }
  FILE *f = fopen(out, "wb");
  if (!f || fwrite(bc, 1, m, f) != m || fclose(f)) {
    fprintf(stderr, "typeboot-sim: %s: %s\n", out, strerror(errno));
    return 1;
  }
  tb_arena_stats_t s;
  tb_arena_stats(&s);
  printf("%s: %lu bytes of source -> %lu bytes (TBBC), compile heap peak %lu bytes\n", out, (unsigned long)n, (unsigned long)m,
         (unsigned long)s.peak_all);
  return 0;
}

int main(int argc, char **argv) {
  host_opts_t o = {0};
  /* A simulated board goes down with whatever started it (a test, `typeboot sim`): no orphans
     holding ports and pipes. */
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() != parent) return 1;
  o.tftp_port = 6969;
  o.http_port = 8080;
  o.address = "127.0.0.1";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE(opt, dst)                                                  \
  if (!strcmp(a, opt)) {                                                 \
    if (!v) {                                                            \
      fprintf(stderr, "typeboot-sim: %s needs a value\n", opt);          \
      return 2;                                                          \
    }                                                                    \
    dst = v;                                                             \
    i++;                                                                 \
    continue;                                                            \
  }
    if (!strcmp(a, "--compile")) {
      if (i + 2 >= argc) {
        usage(stderr);
        return 2;
      }
      return compile(argv[i + 1], argv[i + 2]);
    }
    VALUE("--board", o.board)
    VALUE("--mode", o.mode)
    VALUE("--flash", o.flash)
    VALUE("--state", o.state)
    VALUE("--boot-js", o.boot_js)
    VALUE("--update-js", o.update_js)
    VALUE("--address", o.address)
    VALUE("--user", o.user)
    VALUE("--password", o.password)
    if (!strcmp(a, "--tftp-port")) {
      o.tftp_port = (unsigned)number(a, v, 65535);
      i++;
    } else if (!strcmp(a, "--http-port")) {
      o.http_port = (unsigned)number(a, v, 65535);
      i++;
    } else if (!strcmp(a, "--cut-after") || !strcmp(a, "--cut-at")) {
      o.cut_at = (long)number(a, v, 0x7FFFFFFF);
      i++;
    } else if (!strcmp(a, "--reboot-delay")) {
      o.reboot_delay_ms = (uint32_t)number(a, v, 60000);
      i++;
    } else if (!strcmp(a, "--cut-seed")) {
      o.cut_seed = (uint32_t)number(a, v, 0xFFFFFFFFul);
      i++;
    } else if (!strcmp(a, "--cut-mode")) {
      if (v && !strcmp(v, "before")) o.cut_mode = HOST_CUT_BEFORE;
      else if (v && !strcmp(v, "after")) o.cut_mode = HOST_CUT_AFTER;
      else if (v && !strcmp(v, "torn")) o.cut_mode = HOST_CUT_TORN;
      else {
        fprintf(stderr, "typeboot-sim: --cut-mode is before, after or torn\n");
        return 2;
      }
      i++;
    } else if (!strcmp(a, "--heap")) {
      o.heap = (uint32_t)number(a, v, TB_ARENA_CAPACITY);
      i++;
    } else if (!strcmp(a, "--timing")) o.timing = 1;
    else if (!strcmp(a, "--button")) o.button = 1;
    else if (!strcmp(a, "--no-reboot")) o.no_reboot = 1;
    else if (!strcmp(a, "--no-confirm")) o.no_confirm = 1;
    else if (!strcmp(a, "--until-app")) o.until_app = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "typeboot-sim: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (!o.board || !o.flash) {
    usage(stderr);
    return 2;
  }
  const tb_board_t *b = NULL;
  for (unsigned i = 0; i < TB_NBOARDS; i++)
    if (!strcmp(boards[i]->name, o.board)) b = boards[i];
  if (!b) {
    fprintf(stderr, "typeboot-sim: unknown board '%s'\n", o.board);
    usage(stderr);
    return 2;
  }
  uint8_t mode = b->default_mode;
  if (o.mode) {
    if (!strcmp(o.mode, "direct")) mode = TB_MODE_DIRECT;
    else if (!strcmp(o.mode, "staged")) mode = TB_MODE_STAGED;
    else {
      fprintf(stderr, "typeboot-sim: --mode is direct or staged\n");
      return 2;
    }
    if (!b->modes[mode].present) {
      fprintf(stderr, "typeboot-sim: board %s has no '%s' layout\n", b->name, o.mode);
      return 2;
    }
  }
  char state[PATH_MAX], p1[PATH_MAX], p2[PATH_MAX];
  if (!o.state) {
    snprintf(state, sizeof state, "%s.state", o.flash);
    o.state = state;
  }
  /* The boot bundle as precompiled bytecode (made at build time with this configuration), else source. */
  if (!o.boot_js) {
    o.boot_js = default_bundle("boot.tbbc", p1, sizeof p1);
    if (access(o.boot_js, R_OK) != 0) o.boot_js = default_bundle("boot.js", p1, sizeof p1);
  }
  if (!o.update_js) o.update_js = default_bundle("update.js", p2, sizeof p2);

  tb_config_t cfg = {0};
  cfg.board = b;
  cfg.mode = mode;
  cfg.boot_length = read_file(o.boot_js, boot_bundle, sizeof boot_bundle);
  cfg.update_length = read_file(o.update_js, update_bundle, sizeof update_bundle);
  if (!cfg.boot_length || !cfg.update_length) return 2;
  cfg.boot_bundle = boot_bundle;
  cfg.update_bundle = update_bundle;
  cfg.assets = tb_assets;
  cfg.nassets = TB_NASSETS;
  cfg.user = o.user;
  cfg.password = o.password;
  cfg.tftp_port = (uint16_t)o.tftp_port;
  cfg.http_port = (uint16_t)o.http_port;
  cfg.address = o.address;
  cfg.reboot_after_update = !o.no_reboot;
  cfg.reboot_delay_ms = o.reboot_delay_ms;
  cfg.heap_size = o.heap;
  const char *e = getenv("TYPEBOOT_TEST_THROW");
  if (e && *e && strcmp(e, "0")) cfg.test_fault = 1;
  e = getenv("TYPEBOOT_TEST_OOM");
  if (e && *e && strcmp(e, "0")) cfg.test_fault = 2;
  e = getenv("TYPEBOOT_HEAP_LOG");
  if (e && *e) cfg.heap_log_ms = (uint32_t)strtoul(e, NULL, 10);

  if (host_flash_open(b, o.flash, o.timing, o.cut_at, o.cut_mode, o.cut_seed) < 0) return 2;
  host_state_open(o.state);
  signal(SIGPIPE, SIG_IGN);
  host_log("typeboot-sim: %s (%s mode), flash %s, TFTP %s:%u, HTTP %s:%u, JS heap %lu bytes", b->name, mode ? "staged" : "direct", o.flash,
           o.address, o.tftp_port, o.address, o.http_port, (unsigned long)(o.heap ? o.heap : TB_HEAP_SIZE));
  for (unsigned boot = 0;; boot++) {
    host_set_button(o.button && boot == 0);
    host_state_boot();
    tb_exit_t r = tb_runtime_run(&cfg);
    if (r.kind == TB_EXIT_JUMP) {
      host_app_run(&o, b, r.addr - b->header_size);
    } else if (r.kind == TB_EXIT_RESET) {
      host_log("board: reset");
    } else {
      host_log("board: nothing runs (%s); reset in 1 s", tb_runtime_last_error());
      tb_port_poll(NULL, 0, 1000);
    }
  }
}
