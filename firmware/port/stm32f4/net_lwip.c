/*
 * The network of the STM32F4 boards: the Ethernet MAC + PHY driver (eth.c, phy.c) under the lwIP
 * glue (port/lwip/tb_lwip.c, which provides the socket functions of port.h and tb_port_poll). The
 * board file's "ethernet" object becomes TB_ETH_<BOARD> (scripts/gen-board.mjs), its "network"
 * object TB_NET_* (port/lwip/lwip.mk). While the glue waits, the idle hook starts the watchdog
 * (only update mode waits here) and kicks it, then sleeps until the next SysTick: the driver is
 * polled, so a longer sleep would only delay received frames.
 */
#include <stdlib.h>

#include "eth.h"
#include "net.h"
#include "port.h"
#include "stm32f4.h"
#include "tb_lwip.h"
#include TB_BOARD_HEADER /* TB_ETH_<BOARD> */

static const tb_eth_config_t eth_board = TB_ETH_BOARD;

static void idle(uint32_t max_ms) {
  tb_wdg_start(tb_stm32_board.iwdg_ms);
  tb_sleep_ms(max_ms ? 1 : 0);
}

static int parse_mac(const char *s, uint8_t mac[6]) {
  for (int i = 0; i < 6; i++) {
    char *end;
    unsigned long v = strtoul(s, &end, 16);
    if (end == s || v > 255 || (i < 5 && *end != ':')) return -1;
    mac[i] = (uint8_t)v;
    s = end + 1;
  }
  return 0;
}

void tb_net_init(uint32_t hclk_hz) {
  static tb_lwip_config_t cfg;
  cfg.dev = &tb_eth;
  if (parse_mac(TB_NET_MAC, cfg.mac)) tb_console_puts("net: the board's MAC address is malformed\n");
  cfg.hostname = "typeboot";
  cfg.address = TB_NET_ADDRESS;
  cfg.netmask = TB_NET_NETMASK;
  cfg.gateway = TB_NET_GATEWAY;
  cfg.dhcp = TB_NET_DHCP;
  cfg.idle = idle;
  /* The MAC needs HCLK >= 25 MHz: on the HSI fallback the controller is left alone. The glue is
   * brought up either way (its sockets then report errors instead of touching an idle stack). */
  int r = hclk_hz >= 25000000u ? tb_eth_setup(&eth_board, hclk_hz) : TB_EIO;
  int g = tb_lwip_init(&cfg);
  if (r || g) {
    tb_console_puts("net: Ethernet did not come up (");
    tb_console_puts(hclk_hz < 25000000u ? "the MAC needs the PLL clock, the chip runs on HSI" : tb_eth_strerror(r ? r : g));
    tb_console_puts("): no network until the next reset\n");
  }
}
