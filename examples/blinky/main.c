/*
 * The example application: linked at the application slot + 512 (after the image header), it
 * prints its version on the console, blinks an LED, and goes back to the bootloader's update mode
 * when asked: the console command `update` or holding the button for two seconds writes the
 * boot-request word and resets. Once up it confirms itself (typeboot_confirm(): the bootloader then
 * keeps this image instead of rolling back after the trial boots); a real application would do that
 * after its own self-test, e.g. once its network is up.
 */
#include "app_port.h"

#ifndef APP_VERSION
#define APP_VERSION "0.0.0"
#endif

static char *utoa10(uint32_t v, char *buf) {
  char tmp[11];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = 0;
  return buf;
}

static int match(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

int main(void) {
  app_init();
  char num[12];
  uint32_t counts = app_boot_counts();
  app_puts("\nAPP " APP_VERSION " running on ");
  app_puts(app_board_name());
  app_puts("\n");
  if (counts) {
    app_puts("reset to application: ");
    app_puts(utoa10(counts, num));
    app_puts(" timer counts\n");
  }
  app_puts(app_confirm() == 0 ? "confirmed: the bootloader keeps this image\n"
                              : "could not confirm: the bootloader rolls back after the trial boots\n");
  app_puts("type 'update' (or hold the button for 2 s) for the bootloader's update mode\n> ");

  char line[16];
  unsigned len = 0;
  uint32_t blink = app_millis(), pressed_at = 0;
  int led = 0, pressed = 0;
  for (;;) {
    app_watchdog();
    uint32_t now = app_millis();
    if (now - blink >= 500) {
      blink = now;
      led = !led;
      app_led(led);
    }
    if (app_button()) {
      if (!pressed) pressed_at = now;
      pressed = 1;
      if (now - pressed_at >= 2000) {
        app_puts("\nbutton held: update mode\n");
        app_request_update();
      }
    } else {
      pressed = 0;
    }
    int c = app_getc();
    if (c < 0) continue;
    if (c == '\r' || c == '\n') {
      line[len] = 0;
      if (match(line, "update")) {
        app_puts("\nupdate mode requested, resetting\n");
        app_request_update();
      }
      if (len) app_puts("\nunknown command (try 'update')");
      app_puts("\n> ");
      len = 0;
    } else if (len < sizeof line - 1) {
      line[len++] = (char)c;
    }
  }
}
