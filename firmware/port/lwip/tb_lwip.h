/*
 * The runtime's sockets (core/port.h: tb_port_udp_*, tb_port_tcp_*, tb_port_poll) over lwIP's raw
 * API with NO_SYS=1, on one Ethernet interface driven through a tb_netdev_t. Shared by every chip
 * port (stm32f4 ETH, qemu-mps2 LAN9118): nothing here knows the controller.
 *
 * Handles are slots of a fixed table; each keeps its own bounded receive queue of pbufs (datagrams
 * with their sender, a TCP byte stream, or accepted connections not yet taken). Everything lwIP does
 * happens inside tb_port_poll() (frames in, timers, link), never in an interrupt.
 */
#ifndef TB_LWIP_H
#define TB_LWIP_H

#include <stdint.h>

#include "netdev.h"

typedef struct {
  const tb_netdev_t *dev;
  uint8_t mac[6];
  const char *hostname;
  /* Static address, as dotted text (the board file's): used when dhcp is 0, and as the fallback
   * when DHCP has not given an address dhcp_fallback_ms after the link came up. */
  const char *address;
  const char *netmask;
  const char *gateway;
  int dhcp;
  uint32_t dhcp_fallback_ms; /* 0: 10 s */
  /* Sleep until something may have happened (an interrupt: a frame, a timer) or at most max_ms.
   * NULL: busy polling. */
  void (*idle)(uint32_t max_ms);
} tb_lwip_config_t;

/* Bring up lwIP, the controller and the interface. 0, or a negative TB_E* code when the controller
 * does not answer (the runtime still runs; sockets then report errors). */
int tb_lwip_init(const tb_lwip_config_t *cfg);

/* The interface's IPv4 address as text ("0.0.0.0" while it has none). */
const char *tb_lwip_address(char out[16]);

/* Memory use for the figures: lwIP's heap (MEM_SIZE) and pools, now and at their high-water marks. */
typedef struct {
  uint32_t heap_size, heap_used, heap_max; /* bytes */
  uint32_t pools_size, pools_used, pools_max; /* bytes: sum over pools of elements x element size */
  uint32_t pool_pbuf_max;                     /* received-frame pbufs in use at once, at most */
  uint32_t rx_frames, rx_dropped;             /* frames taken from the controller / dropped for lack of pbufs */
  uint32_t errors;                            /* allocation failures in lwIP's heap and pools */
} tb_lwip_memory_t;
void tb_lwip_memory(tb_lwip_memory_t *out);

#endif
