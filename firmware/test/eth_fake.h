/*
 * A register-level fake of the STM32F4 Ethernet MAC + DMA (and of the RCC/SYSCFG bits around it, and
 * of two PHYs on its MDIO bus), written from RM0090's register and descriptor descriptions, for host
 * tests of port/stm32f4/eth.c and phy.c.
 *
 * The driver is compiled with eth_fake_regs.h forced in (-include): its TB_RD/TB_WR register accesses
 * then call tb_fake_rd/tb_fake_wr, which see every access in order and act like the hardware:
 * ETH registers read 0 and ignore writes while the MAC clocks are off or the MAC is in reset (and
 * that is counted as a driver error), DMABMR SR clears after some polls only while the PHY supplies
 * its clocks, MACMIIAR MB stays set for some polls and then completes the transfer against the
 * simulated PHY, DMASR bits are write-1-to-clear, poll demands resume a suspended DMA.
 *
 * The DMA engine works on the driver's real descriptors and buffers (32-bit addresses: the tests are
 * built with gcc -m32). The test steps it: tb_fake_rx_frame() delivers one frame the way the receive
 * DMA would, tb_fake_tx_step() lets the transmit DMA run.
 */
#ifndef TB_ETH_FAKE_H
#define TB_ETH_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "../port/stm32f4/eth_regs.h"

extern tb_eth_regs_t tb_fake_eth;
extern tb_rcc_regs_t tb_fake_rcc;
extern tb_syscfg_regs_t tb_fake_syscfg;

enum { FAKE_PHY_NONE = 0, FAKE_PHY_DP83848 = 1, FAKE_PHY_LAN8742A = 2 };

/* Link partner abilities, in ANAR bit positions */
#define FAKE_10HD (1u << 5)
#define FAKE_10FD (1u << 6)
#define FAKE_100HD (1u << 7)
#define FAKE_100FD (1u << 8)

/* A write to MACCR, MACFFR or DMAOMR settles for 4 TX_CLK/RX_CLK cycles; another write to the same
 * register within that time is lost (the STM32F4 errata). The fake counts time in register accesses. */
#define FAKE_SETTLE_ACCESSES 16u

#define FAKE_MAX_FRAMES 64
#define FAKE_FRAME_BYTES 2048

typedef struct {
  /* ---- knobs the test sets (tb_fake_reset() gives the defaults in brackets) ---- */
  int phy_clock;          /* [1] the PHY supplies TX/RX clocks: without them DMA reset never ends */
  uint32_t reset_polls;   /* [3] DMABMR reads with SR still set after a reset is requested */
  uint32_t mdio_polls;    /* [2] MACMIIAR reads with MB still set per transfer; 0xFFFFFFFF: stuck */
  int phy_kind;           /* [DP83848] FAKE_PHY_* */
  uint8_t phy_addr;       /* [1] */
  uint16_t phy_id2;       /* [the kind's] ID register 2 as the PHY answers it */
  uint32_t phy_reset_reads; /* [2] BMCR reads that still show the reset bit; 0xFFFFFFFF: stuck */
  uint32_t an_reads;      /* [3] BMSR reads from cable-in (or AN restart) to autonegotiation done */
  uint16_t partner;       /* [FAKE_100FD|...all] what the link partner advertises */
  uint32_t rx_ring_bytes; /* [0: unchecked] size of the RX list: fetching outside it is counted */
  uint32_t tx_ring_bytes; /* [0: unchecked] */
  int tx_fail_next;       /* the next frame the TX DMA sends is written back with an error */

  /* ---- what the fake saw ---- */
  uint32_t seq;                  /* access counter */
  uint32_t seq_pmc_write, seq_eth_clock_on, seq_eth_reset_release, seq_dma_reset;
  int pmc_written_in_reset;      /* the last PMC write happened with MAC in reset and clocks off */
  int rmii_at_clock_on;          /* MII_RMII_SEL when the MAC clocks were last enabled */
  uint32_t eth_unclocked;        /* ETH accesses while the MAC was unclocked or in reset */
  uint32_t syscfg_unclocked;     /* SYSCFG accesses without SYSCFGEN */
  uint32_t gpio_unclocked;       /* tb_gpio_af on a port whose clock was off */
  uint32_t dmabmr_reads;
  uint32_t dma_resets;           /* completed DMA software resets */
  uint32_t mii_busy_violations;  /* MACMIIAR/MACMIIDR written while MB was set */
  uint32_t mii_transfers;
  uint32_t mii_bad_cr;           /* transfers started with a reserved CR value */
  uint32_t mii_cr;               /* CR of the last transfer */
  uint32_t list_write_running;   /* DMARDLAR/DMATDLAR written while that DMA was running */
  uint32_t lost_writes;          /* see tb_fake_lost_writes() */
  uint32_t phy_resets, an_restarts;
  uint16_t phy_anar;
  uint32_t tx_poll_demands, rx_poll_demands;
  uint32_t rx_delivered, rx_missed, rx_filtered, rx_stopped;
  uint32_t rx_desc_outside, tx_desc_outside; /* descriptor fetches outside the ring */
  uint32_t tx_protocol_errors;   /* TX descriptor owned by the DMA without FS at a frame start */
  uint32_t rx_last_index, tx_last_index; /* ring index of the last descriptor the DMA used */
  uint32_t cur_rx, cur_tx;       /* the DMA's current descriptor addresses */

  /* frames the TX DMA sent */
  uint32_t tx_count;
  uint16_t tx_len[FAKE_MAX_FRAMES];
  uint8_t tx_data[FAKE_MAX_FRAMES][FAKE_FRAME_BYTES];

  /* GPIO calls */
  uint32_t gpio_calls;
  uint8_t gpio_port[32], gpio_pin[32], gpio_af[32];
} tb_fake_t;

extern tb_fake_t tb_fake;

/* Power-on: registers at their reset values, knobs at their defaults, records cleared. */
void tb_fake_reset(void);
/* Cable in (with the partner's abilities from tb_fake.partner) or out. */
void tb_fake_cable(int plugged);
/* Deliver one frame (FCS appended by the fake) as the receive DMA would: 1 stored, 0 not (filtered,
 * receiver stopped, or no descriptor owned: RBUS). crc_error: stored with RDES0 ES|CE. */
int tb_fake_rx_frame(const uint8_t *frame, size_t length, int crc_error);
/* Let the transmit DMA run: sends up to max frames, returns how many. */
int tb_fake_tx_step(int max);

/* MACCR/MACFFR/DMAOMR writes lost for coming too soon after the previous write to the register, and
 * not repeated (same value) afterwards: values the hardware never took. */
uint32_t tb_fake_lost_writes(void);

/* The register hooks eth_fake_regs.h points TB_RD/TB_WR at */
uint32_t tb_fake_rd(volatile uint32_t *reg);
void tb_fake_wr(volatile uint32_t *reg, uint32_t value);

#endif
