/*
 * An Ethernet controller as the lwIP glue (port/lwip/) sees it: whole frames copied in and out, so a
 * driver owns its DMA descriptors and buffers (in DMA-reachable SRAM) and lwIP's pools may live
 * anywhere. One implementation per controller: STM32 ETH MAC + PHY (port/stm32f4/eth.c),
 * SMSC LAN9118 (port/qemu-mps2/lan9118.c).
 *
 * Nothing here blocks without a bound: every ready-bit wait in a driver has a timeout.
 */
#ifndef TB_NETDEV_H
#define TB_NETDEV_H

#include <stddef.h>
#include <stdint.h>

/* Largest frame handed to send() or returned by recv(): 1514 bytes + VLAN tag, without the FCS. */
#define TB_NETDEV_FRAME_MAX 1518u

typedef struct {
  const char *name; /* "eth", "lan9118": for the console */
  /* Bring the controller up with this MAC address (the board file's). 0 on success, negative on a
   * hardware error (controller absent, reset or PHY did not answer in time). */
  int (*init)(const uint8_t mac[6]);
  /* Queue one frame for transmission (copied before returning). 0, or TB_EAGAIN when no descriptor /
   * FIFO space is free (the caller drops it: lwIP retransmits). */
  int (*send)(const uint8_t *frame, size_t length);
  /* Copy one received frame into buf: its length, 0 when none is waiting. A frame longer than cap or
   * received with an error is dropped (and counted), never returned truncated. */
  int (*recv)(uint8_t *buf, size_t cap);
  /* Poll the link (PHY status over MDIO): 1 up, 0 down. Called about every 250 ms; on a change the
   * glue raises or lowers the netif link so DHCP restarts when the cable comes back. A driver that
   * must reconfigure the MAC for the negotiated speed/duplex does it here. */
  int (*link_poll)(void);
} tb_netdev_t;

#endif
