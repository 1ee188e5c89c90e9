/*
 * The STM32F4 port's main: clocks, console, drivers, the JS heap on SRAM + CCM, then the runtime at
 * every reset: the boot bundle decides; a jump is checked and carried out here, a reset is a
 * system reset, a fatal error pauses and resets.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "bundles.h"
#include "flash.h"
#include "gpio.h"
#include "net.h"
#include "port.h"
#include "regs.h"
#include "runtime.h"
#include "stm32f4.h"
#include "web_assets.h"

extern uint8_t _heap_sram_start[], _heap_sram_end[], _ccm_start[], _ccm_end[];

#define BOOT_REQUEST_UPDATE 0x55504454u /* "UPDT": the application asks for update mode */

static char password[13];
static tb_config_t cfg;

static void say(const char *a, const char *b, const char *c) {
  tb_console_puts(a);
  if (b) tb_console_puts(b);
  if (c) tb_console_puts(c);
}

static void say_num(const char *a, uint32_t v, const char *c) {
  char n[12];
  snprintf(n, sizeof n, "%lu", (unsigned long)v);
  say(a, n, c);
}

static void say_hex(const char *a, uint32_t v, const char *c) {
  char n[12];
  snprintf(n, sizeof n, "0x%08lX", (unsigned long)v);
  say(a, n, c);
}

static const char *reset_cause(void) {
  uint32_t csr = RD(RCC->CSR);
  WR(RCC->CSR, csr | RCC_CSR_RMVF);
  if (csr & RCC_CSR_IWDGRSTF) return "watchdog";
  if (csr & RCC_CSR_SFTRSTF) return "software";
  if (csr & RCC_CSR_PORRSTF) return "power-on";
  if (csr & RCC_CSR_PINRSTF) return "reset pin";
  return "unknown";
}

/* A login for the update pages that nobody can guess: 12 characters from the RNG, new at every
 * reset, shown on the console only (there is no default password). */
static void make_password(void) {
  static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  for (unsigned i = 0; i < sizeof password - 1; i++) password[i] = alphabet[tb_port_random32() % (sizeof alphabet - 1)];
  password[sizeof password - 1] = 0;
}

int main(void) {
  const tb_stm32_board_t *b = &tb_stm32_board;
  const tb_board_t *core = tb_core_board;
  tb_clock_t clk;
  tb_clock_init(&b->clock, &clk);
  if (b->clock.mco1_hse && clk.on_pll) tb_gpio_af(0, 8, 0); /* PA8 = MCO1 (AF0): the PHY's 25 MHz */
  tb_systick_init(clk.hclk_hz);
  tb_console_init(b->console.usart, b->console.usart == 1 || b->console.usart == 6 ? clk.pclk2_hz : clk.pclk1_hz, b->console.baud,
                  b->console.tx, b->console.rx, b->console.af);
  say("\r\nTypeBoot on ", core->title, "\n");
  say("reset: ", reset_cause(), "\n");
  if (clk.on_pll) say_num("clock: ", clk.sysclk_hz / 1000000u, " MHz from the PLL\n");
  else say("clock: HSI 16 MHz (", clk.failed, " timed out)\n");

  tb_flash_init(core);
  say("crc: ", tb_crc_hw_init() ? "CRC unit (known-answer test passed)" : "table in C (the CRC unit failed its known-answer test)", "\n");
  tb_rng_init();
  if (!tb_rng_ok()) tb_console_puts("rng: no numbers from the RNG: session tokens and the password use a weak fallback\n");
  tb_request_init();
  tb_board_io_init();
  if (!tb_board_button_known()) tb_console_puts("button: its GPIO port does not answer: taken as released\n");
  make_password();
  say("login for the update pages: admin / ", password, "\n");

  tb_arena_set_regions(_heap_sram_start, (uint32_t)(_heap_sram_end - _heap_sram_start), _ccm_start, (uint32_t)(_ccm_end - _ccm_start));
  say_num("heap: ", (uint32_t)(_heap_sram_end - _heap_sram_start) / 1024u, " KiB SRAM");
  say_num(" + ", (uint32_t)(_ccm_end - _ccm_start) / 1024u, " KiB CCM\n");

  cfg.board = core;
  cfg.mode = core->default_mode;
  cfg.boot_bundle = tb_bundle_boot;
  cfg.boot_length = tb_bundle_boot_len;
  cfg.update_bundle = tb_bundle_update;
  cfg.update_length = tb_bundle_update_len;
  cfg.assets = tb_assets;
  cfg.nassets = TB_NASSETS;
  cfg.user = "admin";
  cfg.password = password;
  cfg.tftp_port = 69;
  cfg.http_port = 80;
  cfg.address = NULL;
  cfg.reboot_after_update = 1;
  tb_net_init(clk.hclk_hz);

  for (;;) {
    tb_exit_t e = tb_runtime_run(&cfg);
    if (e.kind == TB_EXIT_JUMP) {
      const tb_region_t *app = &core->modes[cfg.mode].app;
      const char *why = tb_app_check(e.addr, app->addr, app->size, &b->ram, &b->ccm);
      if (!why) {
        say_hex("jump: application at ", e.addr, "\n");
        for (uint32_t t0 = tb_port_millis(); tb_port_millis() - t0 < 5;) {
        } /* the last characters leave the USART */
        tb_app_start(e.addr);
      }
      say_hex("jump refused (", e.addr, "): ");
      say(why, "; staying in update mode\n", 0);
      tb_board_force_update();
      continue;
    }
    if (e.kind == TB_EXIT_FATAL) {
      tb_console_puts("fatal: nothing can run; resetting in 2 s\n");
      tb_sleep_ms(2000);
    }
    tb_system_reset();
  }
}
