/*
 * PHY over MDIO: see phy.h. Every wait is bounded (TB_MDIO_POLLS, TB_PHY_RESET_READS).
 */
#include "phy.h"

#include "eth_regs.h"

int tb_phy_clock_range(uint32_t hclk_hz) {
  /* RM0090 ETH_MACMIIAR CR: the divider keeps MDC at or below 2.5 MHz */
  const uint32_t mhz = hclk_hz / 1000000u;
  if (mhz < 20u || hclk_hz > 180000000u) return -1;
  if (mhz < 35u) return ETH_CR_DIV16;
  if (mhz < 60u) return ETH_CR_DIV26;
  if (mhz < 100u) return ETH_CR_DIV42;
  if (mhz < 150u) return ETH_CR_DIV62;
  return ETH_CR_DIV102;
}

/* Wait until MB reads 0: the previous transfer (if any) is over. */
static int mdio_wait_idle(void) {
  tb_eth_regs_t *const eth = ETH_BASE_PTR;
  for (uint32_t i = 0; i < TB_MDIO_POLLS; i++)
    if (!(TB_RD(eth->MACMIIAR) & ETH_MACMIIAR_MB)) return 0;
  return TB_ETH_EMDIO;
}

static uint32_t miiar(const tb_phy_t *phy, uint8_t reg) {
  return ((uint32_t)(phy->addr & 31u) << ETH_MACMIIAR_PA_SHIFT) | ((uint32_t)(reg & 31u) << ETH_MACMIIAR_MR_SHIFT) |
         ((uint32_t)(phy->cr & 7u) << ETH_MACMIIAR_CR_SHIFT) | ETH_MACMIIAR_MB;
}

int tb_mdio_read(const tb_phy_t *phy, uint8_t reg) {
  tb_eth_regs_t *const eth = ETH_BASE_PTR;
  if (mdio_wait_idle() < 0) return TB_ETH_EMDIO;
  TB_WR(eth->MACMIIAR, miiar(phy, reg));
  if (mdio_wait_idle() < 0) return TB_ETH_EMDIO;
  return (int)(TB_RD(eth->MACMIIDR) & 0xFFFFu);
}

int tb_mdio_write(const tb_phy_t *phy, uint8_t reg, uint16_t value) {
  tb_eth_regs_t *const eth = ETH_BASE_PTR;
  if (mdio_wait_idle() < 0) return TB_ETH_EMDIO;
  TB_WR(eth->MACMIIDR, value); /* the data first: MB starts the transfer (RM0090 "Station management interface") */
  TB_WR(eth->MACMIIAR, miiar(phy, reg) | ETH_MACMIIAR_MW);
  return mdio_wait_idle();
}

int tb_phy_id_matches(uint8_t kind, uint16_t id1, uint16_t id2) {
  switch (kind) {
    case TB_PHY_DP83848: {
      /* OUI 08-00-17 (National/TI): ID1 0x2000, ID2 [15:10] 010111; model [9:4] 0x09 (NS DP83848C,
       * ID2 0x5C90) or 0x0A (TI DP83848C/I/VYB, 0x5CA0-0x5CA2); revision [3:0] any. */
      const unsigned model = (id2 >> 4) & 0x3Fu;
      return id1 == 0x2000u && (id2 & 0xFC00u) == 0x5C00u && (model == 0x09u || model == 0x0Au);
    }
    case TB_PHY_LAN8742A:
      /* OUI 00-80-0F (SMSC/Microchip): ID1 0x0007, ID2 [15:10] 110000, model 0x13; revision any */
      return id1 == 0x0007u && (id2 & 0xFFF0u) == 0xC130u;
    default:
      return 0;
  }
}

int tb_phy_init(const tb_phy_t *phy) {
  const int id1 = tb_mdio_read(phy, PHY_ID1);
  if (id1 < 0) return id1;
  const int id2 = tb_mdio_read(phy, PHY_ID2);
  if (id2 < 0) return id2;
  /* MDIO idles high (pull-up): nobody at this address reads all ones */
  if ((id1 == 0xFFFF && id2 == 0xFFFF) || (id1 == 0 && id2 == 0)) return TB_ETH_ENOPHY;
  if (!tb_phy_id_matches(phy->kind, (uint16_t)id1, (uint16_t)id2)) return TB_ETH_EPHYID;

  int r = tb_mdio_write(phy, PHY_BMCR, PHY_BMCR_RESET);
  if (r < 0) return r;
  uint32_t i;
  for (i = 0; i < TB_PHY_RESET_READS; i++) {
    const int bmcr = tb_mdio_read(phy, PHY_BMCR);
    if (bmcr < 0) return bmcr;
    if (!(bmcr & PHY_BMCR_RESET)) break;
  }
  if (i == TB_PHY_RESET_READS) return TB_ETH_EPHYRESET;

  r = tb_mdio_write(phy, PHY_ANAR, PHY_ANAR_ALL);
  if (r < 0) return r;
  return tb_mdio_write(phy, PHY_BMCR, PHY_BMCR_ANEN | PHY_BMCR_RESTART_AN);
}

int tb_phy_link(const tb_phy_t *phy, tb_phy_link_t *link) {
  link->up = link->speed100 = link->full = link->bounced = 0;
  const int latched = tb_mdio_read(phy, PHY_BMSR); /* clears the latch */
  if (latched < 0) return latched;
  const int bmsr = tb_mdio_read(phy, PHY_BMSR);
  if (bmsr < 0) return bmsr;
  link->bounced = !(latched & PHY_BMSR_LINK);
  if (!(bmsr & PHY_BMSR_LINK) || !(bmsr & PHY_BMSR_AN_COMPLETE)) return 0;
  if (phy->kind == TB_PHY_DP83848) {
    const int sts = tb_mdio_read(phy, DP83848_PHYSTS);
    if (sts < 0) return sts;
    if (!(sts & DP83848_PHYSTS_LINK)) return 0;
    link->speed100 = !(sts & DP83848_PHYSTS_10M);
    link->full = (sts & DP83848_PHYSTS_FULL) != 0;
  } else {
    const int sts = tb_mdio_read(phy, LAN8742A_PSCSR);
    if (sts < 0) return sts;
    if (!(sts & LAN8742A_PSCSR_AUTODONE)) return 0;
    switch ((sts >> LAN8742A_PSCSR_SPEED_SHIFT) & 7) {
      case 1: link->speed100 = 0; link->full = 0; break;
      case 5: link->speed100 = 0; link->full = 1; break;
      case 2: link->speed100 = 1; link->full = 0; break;
      case 6: link->speed100 = 1; link->full = 1; break;
      default: return 0; /* no valid result (yet) */
    }
  }
  link->up = 1;
  return 0;
}
