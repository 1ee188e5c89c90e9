/*
 * STM32F4 Ethernet MAC + DMA driver: the tb_netdev_t (port/lwip/netdev.h) of the STM324xG-EVAL and
 * the Nucleo-F429ZI. Polled (no interrupt): the lwIP glue calls recv() from its loop and link_poll()
 * about every 250 ms. Whole frames are copied in and out of buffers the driver owns in DMA-reachable
 * SRAM (never CCM). See ETH.md beside this file for the descriptor layout and the init order.
 *
 * Board data: tb_eth_setup() takes the board's Ethernet description; scripts/gen-board.mjs emits it
 * from boards/<board>.json "ethernet" as an initializer TB_ETH_<BOARD> (build/boards/<board>.h).
 */
#ifndef TB_STM32F4_ETH_H
#define TB_STM32F4_ETH_H

#include <stdint.h>

#include "../lwip/netdev.h"
#include "phy.h"

/* Ring sizes and buffer size. One RX buffer holds the largest frame the MAC passes (1518 bytes + VLAN
 * tag + FCS = 1522), so a frame that needs two descriptors is oversize and dropped. */
#ifndef TB_ETH_RX_COUNT
#define TB_ETH_RX_COUNT 5u
#endif
#ifndef TB_ETH_TX_COUNT
#define TB_ETH_TX_COUNT 3u
#endif
#define TB_ETH_BUF_SIZE 1524u /* a multiple of 4 (RM0090: RBS1 must be a multiple of 4 with 32-bit bus) */

/* Descriptors and buffers live in a section the linker script places in SRAM1/2 (the DMA cannot
 * reach the F4's 64 KB CCM). The host test build defines TB_DMA_MEM empty. */
#ifndef TB_DMA_MEM
#define TB_DMA_MEM __attribute__((section(".dma_buffers"), aligned(4)))
#endif

#define TB_ETH_MAX_PINS 24u

/* One board's Ethernet: emitted by scripts/gen-board.mjs as an initializer in this field order. */
typedef struct {
  uint8_t phy;       /* TB_PHY_DP83848 or TB_PHY_LAN8742A */
  uint8_t phy_addr;  /* 0..31 */
  uint8_t rmii;      /* 1: RMII (50 MHz REF_CLK on PA1), 0: MII */
  uint8_t mco1_hse;  /* 1: the PHY's 25 MHz clock is HSE on MCO1 (PA8, AF0) */
  uint8_t npins;
  uint8_t pins[TB_ETH_MAX_PINS]; /* (port << 4) | pin, port 0 = A .. 8 = I: each set to AF11 */
} tb_eth_config_t;

typedef struct {
  uint32_t rx_frames;     /* frames returned by recv() */
  uint32_t rx_errors;     /* dropped: received with an error (RDES0 ES: CRC, overflow, ...) */
  uint32_t rx_oversize;   /* dropped: longer than one buffer, than the frame maximum or than cap */
  uint32_t rx_resumes;    /* receive poll demands after the RX DMA ran out of descriptors (RBUS) */
  uint32_t tx_frames;     /* frames queued */
  uint32_t tx_busy;       /* send() refused with TB_EAGAIN: no free descriptor */
  uint32_t tx_dropped;    /* send() refused: link down, or length 0 / over the frame maximum */
  uint32_t tx_errors;     /* frames the DMA reported sent with an error (TDES0 ES) */
  uint32_t link_changes;  /* link up/down transitions seen by link_poll() */
  uint32_t mdio_errors;   /* link polls that failed on MDIO */
} tb_eth_stats_t;

/* The driver (tb_eth.init is tb_eth_setup's board applied with the given MAC address). */
extern const tb_netdev_t tb_eth;

/* Record the board's Ethernet description and the HCLK it runs at (before tb_eth.init). Checks the
 * description: 0, or TB_ETH_ECONFIG (unknown PHY, address > 31, too many pins or a pin outside
 * PA..PI, HCLK outside 20..180 MHz). Touches no hardware. */
int tb_eth_setup(const tb_eth_config_t *config, uint32_t hclk_hz);
const tb_eth_stats_t *tb_eth_stats(void);
/* Link state and negotiated mode as the driver applied them to MACCR. */
int tb_eth_link_up(void);
/* A short name for a TB_ETH_E* (or TB_E*) code, for the console. */
const char *tb_eth_strerror(int code);

/* GPIO alternate function (very high speed, push-pull, no pull): the chip support's gpio.h
 * (port 0 = A .. 8 = I). Declared here until port/stm32f4/gpio.h lands; the coordinator reconciles. */
void tb_gpio_af(uint8_t port, uint8_t pin, uint8_t af);

#endif
