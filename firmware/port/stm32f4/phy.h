/*
 * The Ethernet PHY behind the STM32F4 MAC, over MDIO (the MAC's station management interface,
 * RM0090 "Station management interface: SMI"): register access with a bounded wait on the MB busy bit, bring-up (identify,
 * reset, start autonegotiation) and the link result read from each PHY's vendor status register.
 * Which PHY and at which address is board data (boards/<board>.json "ethernet"), never an #ifdef.
 *
 * Supported: TI/National DP83848 (STM324xG-EVAL, MII, address 1) and Microchip/SMSC LAN8742A
 * (Nucleo-F429ZI, RMII, address 0).
 */
#ifndef TB_STM32F4_PHY_H
#define TB_STM32F4_PHY_H

#include <stdint.h>

enum { TB_PHY_DP83848 = 1, TB_PHY_LAN8742A = 2 };

/* Errors of the Ethernet bring-up (negative, outside port.h's TB_E* range). */
enum {
  TB_ETH_ECONFIG = -30,   /* the board's Ethernet description is invalid (PHY kind/address, pins, HCLK) */
  TB_ETH_EMDIO = -31,     /* an MDIO transfer did not finish in time (MACMIIAR MB stuck) */
  TB_ETH_ENOPHY = -32,    /* nothing answers at the PHY address (ID reads all ones or all zeros) */
  TB_ETH_EPHYID = -33,    /* a PHY answers, but not the kind the board file names */
  TB_ETH_EPHYRESET = -34, /* the PHY's BMCR reset bit did not clear in time */
  TB_ETH_ERESET = -35,    /* DMA software reset did not finish: no TX/RX clock from the PHY */
  TB_ETH_EFLUSH = -36     /* the transmit FIFO flush did not finish */
};

/* IEEE 802.3 clause 22 registers */
#define PHY_BMCR 0x00u
#define PHY_BMSR 0x01u
#define PHY_ID1 0x02u
#define PHY_ID2 0x03u
#define PHY_ANAR 0x04u
#define PHY_BMCR_RESET (1u << 15)     /* self-clearing */
#define PHY_BMCR_ANEN (1u << 12)      /* autonegotiation enable */
#define PHY_BMCR_RESTART_AN (1u << 9) /* self-clearing */
#define PHY_BMSR_AN_COMPLETE (1u << 5)
#define PHY_BMSR_LINK (1u << 2)       /* latched low: reads 0 once after any drop */
#define PHY_ANAR_ALL 0x01E1u          /* 100FD, 100HD, 10FD, 10HD, selector 802.3 */

/* DP83848 (datasheet SNOSAT3, 6.6): PHY status register */
#define DP83848_PHYSTS 0x10u
#define DP83848_PHYSTS_LINK (1u << 0)
#define DP83848_PHYSTS_10M (1u << 1)  /* speed status: 1 = 10 Mbit/s */
#define DP83848_PHYSTS_FULL (1u << 2) /* duplex status: 1 = full */
#define DP83848_PHYSTS_AN_DONE (1u << 4)
/* LAN8742A (datasheet DS00001989, 4.2.x): PHY special control/status register */
#define LAN8742A_PSCSR 0x1Fu
#define LAN8742A_PSCSR_AUTODONE (1u << 12)
#define LAN8742A_PSCSR_SPEED_SHIFT 2 /* [4:2]: 001 10 HD, 101 10 FD, 010 100 HD, 110 100 FD */

/* Bounds of the waits, counted in register reads. One MDIO transfer is 64 MDC cycles, at least
 * 25.6 us with MDC <= 2.5 MHz; one MACMIIAR poll is at least a few HCLK cycles. */
#define TB_MDIO_POLLS 200000u     /* >= 7 ms at 168 MHz even at one poll per 6 cycles: >> 40 us */
#define TB_PHY_RESET_READS 20000u /* BMCR reads: >= 0.51 s of MDIO traffic (802.3: reset within 0.5 s) */

typedef struct {
  uint8_t kind; /* TB_PHY_* */
  uint8_t addr; /* 0..31 */
  uint8_t cr;   /* MACMIIAR CR clock range for the current HCLK (ETH_CR_*) */
} tb_phy_t;

typedef struct {
  uint8_t up;       /* link up and autonegotiation complete */
  uint8_t speed100; /* 1: 100 Mbit/s, 0: 10 Mbit/s (valid when up) */
  uint8_t full;     /* 1: full duplex (valid when up) */
  uint8_t bounced;  /* the link dropped since the previous poll (BMSR latch), even if up again now */
} tb_phy_link_t;

/* MACMIIAR CR for an HCLK frequency, or -1 when HCLK is outside 20..180 MHz (RM0090 ETH_MACMIIAR). */
int tb_phy_clock_range(uint32_t hclk_hz);
/* A PHY register: 0..0xFFFF, or TB_ETH_EMDIO. */
int tb_mdio_read(const tb_phy_t *phy, uint8_t reg);
/* 0 or TB_ETH_EMDIO. */
int tb_mdio_write(const tb_phy_t *phy, uint8_t reg, uint16_t value);
/* Identify the PHY (its ID must be the kind named), reset it, advertise 10/100 half/full and start
 * autonegotiation. Does not wait for the link (link_poll does). 0 or a negative TB_ETH_E*. */
int tb_phy_init(const tb_phy_t *phy);
/* The link as the PHY sees it now: 0 (link filled in) or TB_ETH_EMDIO. */
int tb_phy_link(const tb_phy_t *phy, tb_phy_link_t *link);
/* Is this PHY ID (registers 2 and 3) the named kind? */
int tb_phy_id_matches(uint8_t kind, uint16_t id1, uint16_t id2);

#endif
