/*
 * The runtime: a Duktape heap on the static arena, the platform contract's natives, and the event
 * loop. A port fills a tb_config_t and calls tb_runtime_run() at every (simulated) reset; it
 * returns when the board must reset or jump, and the port does that.
 */
#ifndef TB_RUNTIME_H
#define TB_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"

typedef struct {
  const tb_board_t *board;
  uint8_t mode; /* TB_MODE_DIRECT / TB_MODE_STAGED */
  /* The bundles: ES5 source text, or a TBBC bytecode image (see bytecode.h). */
  const uint8_t *boot_bundle;
  size_t boot_length;
  const uint8_t *update_bundle;
  size_t update_length;
  const tb_asset_t *assets;
  unsigned nassets;
  const char *user; /* HTTP login; NULL: Boot.credentials() is undefined */
  const char *password;
  uint16_t tftp_port;
  uint16_t http_port;
  const char *address; /* bind address of the servers; NULL: any */
  int reboot_after_update;
  uint32_t reboot_delay_ms; /* after a good upload, before the reset (0: the bundle's default) */
  /* Tests: call a throwing JS callback once (1), or exhaust the heap once (2), after update mode starts. */
  int test_fault;
  /* JS heap bytes (0: TB_HEAP_SIZE; at most TB_ARENA_CAPACITY). */
  uint32_t heap_size;
  /* Log heap use every heap_log_ms milliseconds (0: never). */
  uint32_t heap_log_ms;
} tb_config_t;

typedef enum {
  TB_EXIT_RESET = 1, /* Boot.reset(): restart from the boot bundle */
  TB_EXIT_JUMP = 2,  /* Boot.jump(addr): start the application */
  TB_EXIT_FATAL = 3  /* nothing could run (no loadable update bundle): the port resets after a pause */
} tb_exit_kind_t;

typedef struct {
  tb_exit_kind_t kind;
  uint32_t addr; /* TB_EXIT_JUMP: the application's vector table */
} tb_exit_t;

tb_exit_t tb_runtime_run(const tb_config_t *cfg);

/* Chip builds: fill cfg with the board, its default mode, the compiled-in bundles and web pages,
 * TFTP on 69, HTTP on 80, reboot after an update (core/chip.c); the port adds credentials. */
void tb_chip_config(tb_config_t *cfg, const tb_board_t *board);

/* printf to the console for ports and the lwIP glue (no newline added; long lines are cut). */
void tb_console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last uncaught JS error, out-of-memory or fatal error ("" if none); survives heap restarts. */
const char *tb_runtime_last_error(void);

/* Compile ES5 source into a TBBC image (header + Duktape bytecode) in out. Returns its length, or
 * 0 on error (message in tb_runtime_last_error()). Uses the arena: call outside tb_runtime_run(). */
size_t tb_runtime_compile(const uint8_t *src, size_t length, const char *filename, uint8_t *out, size_t cap);

#endif
