/*
 * SMSC LAN9118 (QEMU mps2-an386, 0x40200000) behind the lwIP glue's frame interface (netdev.h):
 * programmed I/O through the TX/RX data FIFOs, 32-bit bus, internal PHY at MII address 1.
 * Every wait on a ready bit is bounded (LAN_TIMEOUT_MS).
 */
#include <string.h>

#include "mps2.h"
#include "netdev.h"
#include "port.h"
#include "qemu_mps2.h"

#define LAN(off) REG(LAN9118_BASE + (off))
#define RX_DATA LAN(0x00)
#define TX_DATA LAN(0x20)
#define RX_STATUS LAN(0x40)
#define TX_STATUS LAN(0x48)
#define ID_REV LAN(0x50)
#define IRQ_CFG LAN(0x54)
#define INT_STS LAN(0x58)
#define INT_EN LAN(0x5C)
#define BYTE_TEST LAN(0x64)
#define FIFO_INT LAN(0x68)
#define RX_CFG LAN(0x6C)
#define TX_CFG LAN(0x70)
#define HW_CFG LAN(0x74)
#define RX_FIFO_INF LAN(0x7C)
#define TX_FIFO_INF LAN(0x80)
#define PMT_CTRL LAN(0x84)
#define MAC_CSR_CMD LAN(0xA4)
#define MAC_CSR_DATA LAN(0xA8)

#define MAC_CR 1
#define MAC_ADDRH 2
#define MAC_ADDRL 3
#define MAC_MII_ACC 6
#define MAC_MII_DATA 7
#define MAC_CR_FDPX 0x00100000u
#define MAC_CR_TXEN 0x00000008u
#define MAC_CR_RXEN 0x00000004u

#define INT_RSFL 0x00000008u
#define IRQ_EN 0x100u
#define IRQ_POL 0x10u
#define IRQ_TYPE 0x1u
#define PHY_ADDR 1u
#define LAN_TIMEOUT_MS 100u

static uint32_t drops;

/* Wait until (reg & mask) == want, at most LAN_TIMEOUT_MS: 0, or -1 on timeout. */
static int wait_for(volatile uint32_t *reg, uint32_t mask, uint32_t want) {
  uint32_t t0 = tb_port_millis();
  while ((*reg & mask) != want)
    if (tb_port_millis() - t0 > LAN_TIMEOUT_MS) return -1;
  return 0;
}

static int mac_write(unsigned reg, uint32_t v) {
  if (wait_for(&MAC_CSR_CMD, 0x80000000u, 0)) return -1;
  MAC_CSR_DATA = v;
  MAC_CSR_CMD = 0x80000000u | reg;
  return wait_for(&MAC_CSR_CMD, 0x80000000u, 0);
}

static int mac_read(unsigned reg, uint32_t *v) {
  if (wait_for(&MAC_CSR_CMD, 0x80000000u, 0)) return -1;
  MAC_CSR_CMD = 0xC0000000u | reg;
  if (wait_for(&MAC_CSR_CMD, 0x80000000u, 0)) return -1;
  *v = MAC_CSR_DATA;
  return 0;
}

static int mii_wait(void) {
  uint32_t t0 = tb_port_millis(), v;
  do {
    if (mac_read(MAC_MII_ACC, &v)) return -1;
    if (!(v & 1u)) return 0;
  } while (tb_port_millis() - t0 <= LAN_TIMEOUT_MS);
  return -1;
}

static int phy_read(unsigned reg, uint32_t *v) {
  if (mii_wait() || mac_write(MAC_MII_ACC, PHY_ADDR << 11 | reg << 6 | 1u) || mii_wait()) return -1;
  return mac_read(MAC_MII_DATA, v);
}

static int phy_write(unsigned reg, uint32_t v) {
  if (mii_wait() || mac_write(MAC_MII_DATA, v) || mac_write(MAC_MII_ACC, PHY_ADDR << 11 | reg << 6 | 2u | 1u)) return -1;
  return mii_wait();
}

static int lan_init(const uint8_t mac[6]) {
  if ((ID_REV >> 16) != 0x0118u || BYTE_TEST != 0x87654321u) return -1; /* no LAN9118 here */
  HW_CFG = 1u; /* soft reset */
  if (wait_for(&HW_CFG, 1u, 0) || wait_for(&PMT_CTRL, 1u, 1u)) return -2;
  if (mac_write(MAC_ADDRL, (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24) ||
      mac_write(MAC_ADDRH, (uint32_t)mac[4] | (uint32_t)mac[5] << 8))
    return -3;
  uint32_t bmcr;
  if (phy_write(0, 0x8000u)) return -4; /* PHY reset */
  uint32_t t0 = tb_port_millis();
  do {
    if (phy_read(0, &bmcr)) return -4;
  } while ((bmcr & 0x8000u) && tb_port_millis() - t0 <= LAN_TIMEOUT_MS);
  if (bmcr & 0x8000u) return -4;
  if (phy_write(4, 0x01E1u) || phy_write(0, 0x1200u)) return -4; /* advertise 10/100, restart autonegotiation */
  TX_CFG = 0x2u;                                                 /* TX_ON */
  RX_CFG = 0;
  FIFO_INT = 0x48000000u; /* RX status level 0: any frame raises RSFL */
  INT_STS = 0xFFFFFFFFu;
  INT_EN = INT_RSFL;
  IRQ_CFG = IRQ_EN | IRQ_POL | IRQ_TYPE; /* push-pull, active high: the NVIC wakes the idle wait */
  return mac_write(MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_FDPX) ? -3 : 0;
}

static int lan_send(const uint8_t *frame, size_t length) {
  if (length < 14 || length > TB_NETDEV_FRAME_MAX) return TB_EINVAL;
  while ((TX_FIFO_INF >> 16) & 0xFFu) (void)TX_STATUS; /* statuses we do not need: keep that FIFO empty */
  if ((TX_FIFO_INF & 0xFFFFu) < length + 8u + 4u) return TB_EAGAIN;
  TX_DATA = 1u << 13 | 1u << 12 | (uint32_t)length; /* command A: first and last segment */
  TX_DATA = (uint32_t)length << 16 | (uint32_t)length; /* command B: tag, frame length */
  size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    uint32_t w;
    memcpy(&w, frame + i, 4);
    TX_DATA = w;
  }
  if (i < length) {
    uint32_t w = 0;
    memcpy(&w, frame + i, length - i);
    TX_DATA = w;
  }
  return 0;
}

static int lan_recv(uint8_t *buf, size_t cap) {
  for (int k = 0; k < 8; k++) {
    if (!((RX_FIFO_INF >> 16) & 0xFFu)) return 0;
    uint32_t st = RX_STATUS;
    uint32_t len = (st >> 16) & 0x3FFFu; /* frame + 4 CRC bytes */
    uint32_t words = (len + 3u) / 4u;
    int bad = (st & 0x8000u) || len < 18u || len - 4u > cap || len - 4u > TB_NETDEV_FRAME_MAX;
    uint32_t n = bad ? 0 : len - 4u, w = 0;
    for (; w < n / 4u; w++) { /* whole words of the frame: one load, one store */
      uint32_t v = RX_DATA;
      memcpy(buf + 4u * w, &v, 4);
    }
    for (; w < words; w++) { /* the frame's last bytes, then the CRC (dropped) */
      uint32_t v = RX_DATA, i = 4u * w;
      if (i < n) memcpy(buf + i, &v, n - i < 4u ? n - i : 4u);
    }
    if (!bad) return (int)n;
    drops++;
  }
  return 0;
}

static int lan_link(void) {
  uint32_t bmsr;
  if (phy_read(1, &bmsr)) return 0;
  return (bmsr & 0x4u) ? 1 : 0;
}

int mps2_lan9118_rx_pending(void) {
  INT_STS = INT_RSFL;
  return ((RX_FIFO_INF >> 16) & 0xFFu) != 0;
}

void mps2_lan9118_stop(void) {
  INT_EN = 0;
  IRQ_CFG = IRQ_POL | IRQ_TYPE; /* disabled and active high: the line stays low */
  HW_CFG = 1u; /* soft reset: no more frames, no interrupt line */
  (void)wait_for(&HW_CFG, 1u, 0);
}

const tb_netdev_t mps2_lan9118 = {"lan9118", lan_init, lan_send, lan_recv, lan_link};
