/*
 * What the example application needs from its chip: one small file per chip (stm32f4.c here; an
 * emulated board adds its own), main.c stays the same.
 */
#ifndef APP_PORT_H
#define APP_PORT_H

#include <stdint.h>

/* Console, LED, button, millisecond clock; the vector table is already in VTOR. */
void app_init(void);
const char *app_board_name(void);
void app_puts(const char *s);
/* One received console byte, or -1. */
int app_getc(void);
void app_led(int on);
int app_button(void);
uint32_t app_millis(void);
/* Timer counts from reset to the application's first instructions (instructions under QEMU's
 * -icount), 0 when the chip cannot tell. */
uint32_t app_boot_counts(void);
/* Refresh the watchdog the bootloader may have started (harmless when it did not). */
void app_watchdog(void);
/* Tell the bootloader this image works (firmware/include/typeboot_app.h): 0 once confirmed. Without
 * it a staged update is rolled back after its trial boots. */
int app_confirm(void);
/* Write the boot-request word and reset: the bootloader stays in update mode. */
__attribute__((noreturn)) void app_request_update(void);

#endif
