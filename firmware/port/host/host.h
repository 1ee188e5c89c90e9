/* The host port's internals (firmware/port/host/): flash file, state file, simulated application. */
#ifndef TB_HOST_H
#define TB_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"

typedef struct {
  const char *board;
  const char *mode; /* NULL: the board's default */
  const char *flash;
  const char *state;
  const char *boot_js;
  const char *update_js;
  const char *address;
  const char *user;
  const char *password;
  unsigned tftp_port;
  unsigned http_port;
  int timing;
  int button;
  long cut_at;        /* power cut at this flash operation (0: none) */
  int cut_mode;       /* HOST_CUT_* */
  uint32_t cut_seed;  /* torn contents */
  int no_reboot;
  uint32_t reboot_delay_ms;
  int no_confirm;
  int until_app;      /* a confirmed application ends the process (exit 0) */
  uint32_t heap; /* 0: TB_HEAP_SIZE */
} host_opts_t;

/* flash.c: the flash file, mapped, with the NOR rules and the sector map of the board. A power
   cut at operation N: before it (nothing done), after it, or torn (a program leaves a random prefix
   of its words and one word with only some of its bits; an erase leaves each word erased or its old
   bits ANDed with random ones), from a seeded generator so a case replays exactly. */
enum { HOST_CUT_AFTER = 0, HOST_CUT_BEFORE = 1, HOST_CUT_TORN = 2 };
int host_flash_open(const tb_board_t *b, const char *file, int timing, long cut_at, int cut_mode, uint32_t seed);
uint32_t host_flash_ops(void);
void host_flash_report(char *out, size_t cap);

/* sys.c: state file (boot-request word, boot counter), button, console. */
int host_state_open(const char *file);
void host_state_boot(void);
void host_set_button(int held);
void host_log(const char *fmt, ...);

/* app.c: the stand-in for the application after a jump; returns when it asks for a reset. */
void host_app_run(const host_opts_t *o, const tb_board_t *b, uint32_t slot_addr);

#endif
