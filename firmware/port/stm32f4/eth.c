/*
 * STM32F4 Ethernet MAC + DMA driver (see eth.h and ETH.md). Normal descriptors in ring mode: two
 * contiguous arrays, the last descriptor of each marked end-of-ring (RDES1 RER / TDES0 TER), DMABMR
 * DSL = 0 because a descriptor is exactly four words. Each descriptor has its own fixed buffer.
 *
 * Ownership: a descriptor whose OWN bit is set belongs to the DMA and the CPU does not touch it or
 * its buffer; the DMA clears OWN when it is done, and the CPU sets it again (last, after a barrier)
 * to hand the descriptor back.
 */
#include "eth.h"

#include <string.h>

#include "../../core/port.h"
#include "eth_regs.h"

/* Every store to a descriptor or buffer is complete before the DMA can see OWN or a poll demand. */
#if defined(__arm__)
#define DMA_BARRIER() __asm volatile("dsb" ::: "memory")
#else
#define DMA_BARRIER() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/* Bounds of the register waits, in polls (each poll is at least a few HCLK cycles). The DMA reset
 * needs a few cycles of the PHY's TX and RX clocks; without them it never finishes. */
#define TB_ETH_RESET_POLLS 1000000u
#define TB_ETH_FLUSH_POLLS 1000000u
#define TB_ETH_PBL 32u
#define ETH_GPIO_AF11 11u

TB_DMA_MEM static tb_eth_desc_t rx_ring[TB_ETH_RX_COUNT];
TB_DMA_MEM static tb_eth_desc_t tx_ring[TB_ETH_TX_COUNT];
TB_DMA_MEM static uint8_t rx_buf[TB_ETH_RX_COUNT][TB_ETH_BUF_SIZE];
TB_DMA_MEM static uint8_t tx_buf[TB_ETH_TX_COUNT][TB_ETH_BUF_SIZE];

static struct {
  tb_eth_config_t cfg;
  tb_phy_t phy;
  uint8_t configured; /* tb_eth_setup accepted a description */
  uint8_t ready;      /* init succeeded: MAC, DMA and PHY configured */
  uint8_t up;         /* link up: MAC and DMA running */
  uint8_t speed100, full;
  uint8_t rx_next, tx_next; /* the next descriptor the CPU looks at */
  uint8_t rx_dropping;      /* inside a frame being dropped: skip descriptors up to its last one */
  tb_eth_stats_t stats;
} s;

static uint32_t dma_addr(const volatile void *p) { return (uint32_t)(uintptr_t)p; }

int tb_eth_setup(const tb_eth_config_t *config, uint32_t hclk_hz) {
  const int cr = tb_phy_clock_range(hclk_hz);
  if (!config || cr < 0 || config->phy_addr > 31u || config->npins > TB_ETH_MAX_PINS || config->npins == 0u ||
      config->rmii > 1u || config->mco1_hse > 1u || (config->phy != TB_PHY_DP83848 && config->phy != TB_PHY_LAN8742A))
    return TB_ETH_ECONFIG;
  for (unsigned i = 0; i < config->npins; i++)
    if ((config->pins[i] >> 4) > 8u) return TB_ETH_ECONFIG;
  s.cfg = *config;
  s.phy.kind = config->phy;
  s.phy.addr = config->phy_addr;
  s.phy.cr = (uint8_t)cr;
  s.configured = 1;
  s.ready = s.up = 0;
  return 0;
}

const tb_eth_stats_t *tb_eth_stats(void) { return &s.stats; }

int tb_eth_link_up(void) { return s.up; }

const char *tb_eth_strerror(int code) {
  switch (code) {
    case 0: return "ok";
    case TB_ETH_ECONFIG: return "bad Ethernet board description";
    case TB_ETH_EMDIO: return "MDIO timeout";
    case TB_ETH_ENOPHY: return "no PHY answers at the board's address";
    case TB_ETH_EPHYID: return "the PHY is not the board's kind";
    case TB_ETH_EPHYRESET: return "PHY reset timeout";
    case TB_ETH_ERESET: return "MAC DMA reset timeout (no clock from the PHY)";
    case TB_ETH_EFLUSH: return "TX FIFO flush timeout";
    case TB_EAGAIN: return "no free descriptor";
    case TB_EINVAL: return "bad frame length";
    default: return "error";
  }
}

static int wait_clear(volatile uint32_t *reg, uint32_t bit, uint32_t polls) {
  for (uint32_t i = 0; i < polls; i++)
    if (!(TB_RD(*reg) & bit)) return 0;
  return -1;
}

/* A write to a MAC register clocked from the MII side (MACCR, MACFFR) or to DMAOMR is taken into
 * account only 4 TX_CLK/RX_CLK cycles later; a second write to the same register inside that time may
 * be lost (ST's STM32F4 errata sheets and HAL: "successive write operations to the same register
 * might not be fully taken into account"). So: write, let it settle (bounded reads, >= 1.6 us, the 4
 * cycles at 2.5 MHz), write the same value again. */
#define TB_ETH_SETTLE_READS 256u
static void mac_write(volatile uint32_t *reg, uint32_t value) {
  TB_WR(*reg, value);
  for (uint32_t i = 0; i < TB_ETH_SETTLE_READS; i++) (void)TB_RD(*reg);
  TB_WR(*reg, value);
}

/* Both rings from scratch: every RX descriptor to the DMA, every TX descriptor to the CPU, list
 * addresses written. Only while the DMA is stopped (DMARDLAR/DMATDLAR are writable only then). */
static void rings_init(void) {
  tb_eth_regs_t *const eth = ETH_BASE_PTR;
  for (unsigned i = 0; i < TB_ETH_RX_COUNT; i++) {
    rx_ring[i].des1 = TB_ETH_BUF_SIZE | (i == TB_ETH_RX_COUNT - 1u ? ETH_RDES1_RER : 0u);
    rx_ring[i].des2 = dma_addr(rx_buf[i]);
    rx_ring[i].des3 = 0;
    rx_ring[i].des0 = ETH_DES0_OWN;
  }
  for (unsigned i = 0; i < TB_ETH_TX_COUNT; i++) {
    tx_ring[i].des0 = i == TB_ETH_TX_COUNT - 1u ? ETH_TDES0_TER : 0u;
    tx_ring[i].des1 = 0;
    tx_ring[i].des2 = dma_addr(tx_buf[i]);
    tx_ring[i].des3 = 0;
  }
  s.rx_next = s.tx_next = 0;
  s.rx_dropping = 0;
  DMA_BARRIER();
  TB_WR(eth->DMARDLAR, dma_addr(rx_ring));
  TB_WR(eth->DMATDLAR, dma_addr(tx_ring));
}

/* RM0090 (Ethernet, "MAC/DMA configuration"): MAC transmitter, TX FIFO flush, TX DMA, MAC receiver,
 * RX DMA, with the speed and duplex the PHY negotiated. */
static int mac_start(int speed100, int full) {
  tb_eth_regs_t *const eth = ETH_BASE_PTR;
  const uint32_t maccr = ETH_MACCR_ROD | (speed100 ? ETH_MACCR_FES : 0u) | (full ? ETH_MACCR_DM : 0u);
  mac_write(&eth->MACCR, maccr | ETH_MACCR_TE);
  mac_write(&eth->DMAOMR, TB_RD(eth->DMAOMR) | ETH_DMAOMR_FTF);
  if (wait_clear(&eth->DMAOMR, ETH_DMAOMR_FTF, TB_ETH_FLUSH_POLLS) < 0) {
    mac_write(&eth->MACCR, maccr);
    return TB_ETH_EFLUSH;
  }
  mac_write(&eth->DMAOMR, TB_RD(eth->DMAOMR) | ETH_DMAOMR_ST);
  mac_write(&eth->MACCR, maccr | ETH_MACCR_TE | ETH_MACCR_RE);
  mac_write(&eth->DMAOMR, TB_RD(eth->DMAOMR) | ETH_DMAOMR_SR);
  return 0;
}

/* The reverse: TX DMA, MAC receiver, TX FIFO flush (bounded), MAC transmitter, RX DMA. */
static void mac_stop(void) {
  tb_eth_regs_t *const eth = ETH_BASE_PTR;
  mac_write(&eth->DMAOMR, TB_RD(eth->DMAOMR) & ~ETH_DMAOMR_ST);
  mac_write(&eth->MACCR, TB_RD(eth->MACCR) & ~ETH_MACCR_RE);
  mac_write(&eth->DMAOMR, TB_RD(eth->DMAOMR) | ETH_DMAOMR_FTF);
  (void)wait_clear(&eth->DMAOMR, ETH_DMAOMR_FTF, TB_ETH_FLUSH_POLLS); /* stopping goes on regardless */
  mac_write(&eth->MACCR, TB_RD(eth->MACCR) & ~ETH_MACCR_TE);
  mac_write(&eth->DMAOMR, TB_RD(eth->DMAOMR) & ~ETH_DMAOMR_SR);
}

static int eth_init(const uint8_t mac[6]) {
  tb_eth_regs_t *const eth = ETH_BASE_PTR;
  tb_rcc_regs_t *const rcc = RCC_BASE_PTR;
  tb_syscfg_regs_t *const syscfg = SYSCFG_BASE_PTR;
  if (!s.configured || !mac) return TB_ETH_ECONFIG;
  s.ready = s.up = 0;
  memset(&s.stats, 0, sizeof s.stats);

  /* 1. Clocks of SYSCFG and of the GPIO ports the pins are on; the read back gives the two clock
   * cycles RM0090 asks for between enabling a peripheral clock and using the peripheral. */
  uint32_t ports = s.cfg.mco1_hse ? RCC_AHB1ENR_GPIOEN(0) : 0u;
  for (unsigned i = 0; i < s.cfg.npins; i++) ports |= RCC_AHB1ENR_GPIOEN(s.cfg.pins[i] >> 4);
  TB_WR(rcc->APB2ENR, TB_RD(rcc->APB2ENR) | RCC_APB2ENR_SYSCFGEN);
  TB_WR(rcc->AHB1ENR, TB_RD(rcc->AHB1ENR) | ports);
  (void)TB_RD(rcc->AHB1ENR);

  /* 2. Pins, and the PHY's 25 MHz on MCO1 when the board clocks it from there (HSE, undivided) */
  for (unsigned i = 0; i < s.cfg.npins; i++) tb_gpio_af(s.cfg.pins[i] >> 4, s.cfg.pins[i] & 15u, ETH_GPIO_AF11);
  if (s.cfg.mco1_hse) {
    TB_WR(rcc->CFGR, (TB_RD(rcc->CFGR) & ~(RCC_CFGR_MCO1_MASK | RCC_CFGR_MCO1PRE_MASK)) | RCC_CFGR_MCO1_HSE);
    tb_gpio_af(0, 8, 0);
  }

  /* 3. MII or RMII: selected while the MAC is in reset and before its clocks are enabled (RM0090
   * SYSCFG_PMC MII_RMII_SEL), then clocks on, then out of reset. */
  TB_WR(rcc->AHB1ENR, TB_RD(rcc->AHB1ENR) & ~RCC_AHB1ENR_ETH_ALL);
  TB_WR(rcc->AHB1RSTR, TB_RD(rcc->AHB1RSTR) | RCC_AHB1RSTR_ETHMACRST);
  const uint32_t pmc = TB_RD(syscfg->PMC) & ~SYSCFG_PMC_MII_RMII_SEL;
  TB_WR(syscfg->PMC, pmc | (s.cfg.rmii ? SYSCFG_PMC_MII_RMII_SEL : 0u));
  (void)TB_RD(syscfg->PMC); /* SYSCFG is on APB2: the write has landed before the MAC leaves reset */
  TB_WR(rcc->AHB1ENR, TB_RD(rcc->AHB1ENR) | RCC_AHB1ENR_ETH_ALL);
  (void)TB_RD(rcc->AHB1ENR);
  TB_WR(rcc->AHB1RSTR, TB_RD(rcc->AHB1RSTR) & ~RCC_AHB1RSTR_ETHMACRST);

  /* 4. DMA software reset: resets every MAC and DMA register; finishes only with the PHY's clocks */
  TB_WR(eth->DMABMR, TB_RD(eth->DMABMR) | ETH_DMABMR_SR);
  if (wait_clear(&eth->DMABMR, ETH_DMABMR_SR, TB_ETH_RESET_POLLS) < 0) return TB_ETH_ERESET;

  /* 5. MDC clock range, then the PHY: identify, reset, start autonegotiation */
  TB_WR(eth->MACMIIAR, (uint32_t)s.phy.cr << ETH_MACMIIAR_CR_SHIFT);
  const int r = tb_phy_init(&s.phy);
  if (r < 0) return r;

  /* 6. MAC: own address (bytes 0..3 low register, 4..5 high), filter: own unicast and broadcast */
  TB_WR(eth->MACA0HR, (uint32_t)mac[4] | ((uint32_t)mac[5] << 8));
  TB_WR(eth->MACA0LR, (uint32_t)mac[0] | ((uint32_t)mac[1] << 8) | ((uint32_t)mac[2] << 16) | ((uint32_t)mac[3] << 24));
  mac_write(&eth->MACFFR, 0u);
  mac_write(&eth->MACCR, ETH_MACCR_ROD); /* TE/RE, speed and duplex when the link comes up */

  /* 7. DMA: fixed 32-beat aligned bursts, normal descriptors, no skip; store-and-forward both ways
   * (whole frames: the RX FIFO drops most errored frames itself); polled, no interrupt. */
  TB_WR(eth->DMABMR, ETH_DMABMR_AAB | ETH_DMABMR_FB | (TB_ETH_PBL << ETH_DMABMR_PBL_SHIFT));
  TB_WR(eth->DMAIER, 0u);
  mac_write(&eth->DMAOMR, ETH_DMAOMR_RSF | ETH_DMAOMR_TSF | ETH_DMAOMR_OSF);
  rings_init();
  s.ready = 1;
  return 0;
}

static int eth_send(const uint8_t *frame, size_t length) {
  tb_eth_regs_t *const eth = ETH_BASE_PTR;
  if (!s.up) {
    s.stats.tx_dropped++;
    return TB_EAGAIN;
  }
  if (!frame || length == 0 || length > TB_NETDEV_FRAME_MAX) {
    s.stats.tx_dropped++;
    return TB_EINVAL;
  }
  const unsigned i = s.tx_next;
  tb_eth_desc_t *const d = &tx_ring[i];
  const uint32_t status = d->des0;
  if (status & ETH_DES0_OWN) {
    s.stats.tx_busy++;
    return TB_EAGAIN;
  }
  if (status & ETH_TDES0_ES) s.stats.tx_errors++; /* the previous frame of this descriptor */
  DMA_BARRIER();
  memcpy(tx_buf[i], frame, length);
  d->des1 = (uint32_t)length & ETH_TDES1_TBS1_MASK;
  const uint32_t ctrl = ETH_TDES0_FS | ETH_TDES0_LS | (i == TB_ETH_TX_COUNT - 1u ? ETH_TDES0_TER : 0u);
  d->des0 = ctrl;
  DMA_BARRIER();
  d->des0 = ctrl | ETH_DES0_OWN;
  DMA_BARRIER();
  /* resume a suspended TX DMA (RM0090 ETH_DMATPDR: any value) */
  if (TB_RD(eth->DMASR) & ETH_DMASR_TBUS) TB_WR(eth->DMASR, ETH_DMASR_TBUS);
  TB_WR(eth->DMATPDR, 0u);
  s.tx_next = (uint8_t)((i + 1u) % TB_ETH_TX_COUNT);
  s.stats.tx_frames++;
  return 0;
}

static int eth_recv(uint8_t *buf, size_t cap) {
  tb_eth_regs_t *const eth = ETH_BASE_PTR;
  int result = 0;
  unsigned given_back = 0;
  if (!s.ready) return 0;
  for (unsigned n = 0; n < TB_ETH_RX_COUNT && result == 0; n++) {
    const unsigned i = s.rx_next;
    tb_eth_desc_t *const d = &rx_ring[i];
    const uint32_t status = d->des0;
    if (status & ETH_DES0_OWN) break;
    DMA_BARRIER();
    if (s.rx_dropping && (status & ETH_RDES0_FS)) s.rx_dropping = 0; /* a new frame: the old one ended */
    if (s.rx_dropping) {
      if (status & ETH_RDES0_LS) s.rx_dropping = 0;
    } else if (!(status & ETH_RDES0_FS)) {
      s.stats.rx_errors++; /* the rest of a frame whose start was not seen */
      s.rx_dropping = !(status & ETH_RDES0_LS);
    } else if (!(status & ETH_RDES0_LS)) {
      s.stats.rx_oversize++; /* spans buffers: longer than any frame we accept */
      s.rx_dropping = 1;
    } else if (status & ETH_RDES0_ES) {
      s.stats.rx_errors++;
    } else {
      const uint32_t fl = (status & ETH_RDES0_FL_MASK) >> ETH_RDES0_FL_SHIFT;
      const uint32_t len = fl > 4u ? fl - 4u : 0u; /* without the FCS */
      if (len == 0u) {
        s.stats.rx_errors++;
      } else if (len > TB_NETDEV_FRAME_MAX || len > cap || !buf) {
        s.stats.rx_oversize++;
      } else {
        memcpy(buf, rx_buf[i], len);
        s.stats.rx_frames++;
        result = (int)len;
      }
    }
    DMA_BARRIER();
    d->des0 = ETH_DES0_OWN; /* back to the DMA */
    s.rx_next = (uint8_t)((i + 1u) % TB_ETH_RX_COUNT);
    given_back++;
  }
  if (given_back) {
    DMA_BARRIER();
    /* the RX DMA suspends when it meets a descriptor it does not own: resume it */
    if (TB_RD(eth->DMASR) & ETH_DMASR_RBUS) {
      TB_WR(eth->DMASR, ETH_DMASR_RBUS);
      TB_WR(eth->DMARPDR, 0u);
      s.stats.rx_resumes++;
    }
  }
  return result;
}

static int eth_link_poll(void) {
  tb_phy_link_t link;
  if (!s.ready) return 0;
  if (tb_phy_link(&s.phy, &link) < 0) {
    s.stats.mdio_errors++;
    link.up = 0;
  }
  if (s.up) {
    /* down, dropped since the last poll, or renegotiated differently: stop now; a link that is up
     * again starts on the next poll, so the glue sees the edge (and restarts DHCP) */
    if (!link.up || link.bounced || link.speed100 != s.speed100 || link.full != s.full) {
      mac_stop();
      s.up = 0;
      s.stats.link_changes++;
    }
    return s.up;
  }
  if (link.up) {
    rings_init();
    if (mac_start(link.speed100, link.full) < 0) {
      mac_stop();
      return 0;
    }
    s.up = 1;
    s.speed100 = link.speed100;
    s.full = link.full;
    s.stats.link_changes++;
  }
  return s.up;
}

const tb_netdev_t tb_eth = {"eth", eth_init, eth_send, eth_recv, eth_link_poll};
