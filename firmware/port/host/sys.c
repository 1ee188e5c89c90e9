/* Host port: clock, randomness, console, the boot-request word and boot counter in a state file,
 * button and LEDs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "port.h"

static const char *state_file;
static uint32_t request;
static unsigned long boots;
static int button;
static int leds[8];

uint32_t tb_port_millis(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

double tb_port_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

uint32_t tb_port_random32(void) {
  uint32_t v = 0;
  if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) v = (uint32_t)rand() ^ (uint32_t)tb_port_millis() << 16;
  return v;
}

void tb_port_console_write(const char *text, size_t length) {
  fwrite(text, 1, length, stdout);
  if (length && text[length - 1] == '\n') fflush(stdout);
}

void host_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
}

/* The state file: {"request":N,"boots":M} (the format host/sim.ts keeps next to the flash file). */
static void save(void) {
  if (!state_file) return;
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", state_file);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    fprintf(stderr, "typeboot-sim: %s: %s\n", tmp, strerror(errno));
    return;
  }
  fprintf(f, "{\"request\":%lu,\"boots\":%lu}\n", (unsigned long)request, boots);
  fclose(f);
  if (rename(tmp, state_file) < 0) fprintf(stderr, "typeboot-sim: %s: %s\n", state_file, strerror(errno));
}

static unsigned long field(const char *text, const char *name) {
  const char *p = strstr(text, name);
  if (!p) return 0;
  p = strchr(p + strlen(name), ':');
  return p ? strtoul(p + 1, NULL, 10) : 0;
}

int host_state_open(const char *file) {
  state_file = file;
  FILE *f = fopen(file, "r");
  if (!f) return 0; /* none yet: word 0 */
  char text[256];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  request = (uint32_t)field(text, "\"request\"");
  boots = field(text, "\"boots\"");
  return 0;
}

void host_state_boot(void) {
  boots++;
  save();
}

uint32_t tb_port_request_get(void) { return request; }

void tb_port_request_set(uint32_t word) {
  request = word;
  save();
}

void host_set_button(int held) { button = held; }

int tb_port_button_at_reset(void) { return button; }

void tb_port_led(unsigned index, int on) {
  if (index < sizeof leds / sizeof leds[0]) leds[index] = on;
}
