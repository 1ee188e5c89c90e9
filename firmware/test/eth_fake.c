/*
 * Register-level fake of the STM32F4 ETH MAC/DMA, RCC/SYSCFG bits and two MDIO PHYs: see eth_fake.h.
 *
 * Bit positions are transcribed here again from RM0090 and the PHY datasheets (F_* below) rather
 * than taken from the driver's eth_regs.h/phy.h, so that a wrong bit in the driver's definitions
 * shows up as a failing test instead of agreeing with itself. Only the register block layouts (whose
 * offsets eth_regs.h checks at compile time) are shared.
 */
#include "eth_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RM0090: RCC */
#define F_AHB1ENR_ETH (7u << 25)     /* ETHMACEN 25, ETHMACTXEN 26, ETHMACRXEN 27 */
#define F_AHB1RSTR_ETH (1u << 25)    /* ETHMACRST */
#define F_APB2ENR_SYSCFG (1u << 14)  /* SYSCFGEN */
#define F_PMC_RMII (1u << 23)        /* SYSCFG_PMC MII_RMII_SEL */
/* RM0090: ETH */
#define F_MACCR_RE (1u << 2)
#define F_MACCR_TE (1u << 3)
#define F_MACFFR_PM (1u << 0)
#define F_MACFFR_PAM (1u << 4)
#define F_MACFFR_RA (1u << 31)
#define F_MIIAR_MB (1u << 0)
#define F_MIIAR_MW (1u << 1)
#define F_DMABMR_SR (1u << 0)
#define F_DMASR_TS (1u << 0)
#define F_DMASR_TBUS (1u << 2)
#define F_DMASR_RS (1u << 6)
#define F_DMASR_RBUS (1u << 7)
#define F_DMAOMR_SR (1u << 1)
#define F_DMAOMR_ST (1u << 13)
#define F_DMAOMR_FTF (1u << 20)
#define F_OWN (1u << 31)
#define F_TDES0_LS (1u << 29)
#define F_TDES0_FS (1u << 28)
#define F_TDES0_TER (1u << 21)
#define F_TDES0_TCH (1u << 20)
#define F_TDES0_ES (1u << 15)
#define F_TDES0_EC (1u << 8) /* excessive collision */
#define F_RDES0_ES (1u << 15)
#define F_RDES0_FS (1u << 9)
#define F_RDES0_LS (1u << 8)
#define F_RDES0_CE (1u << 1)
#define F_RDES1_RER (1u << 15)
#define F_RDES1_RCH (1u << 14)
#define STUCK 0xFFFFFFFFu

tb_eth_regs_t tb_fake_eth;
tb_rcc_regs_t tb_fake_rcc;
tb_syscfg_regs_t tb_fake_syscfg;
tb_fake_t tb_fake;

static struct {
  int sr_pending;
  uint32_t sr_left;
  int ftf_pending;
  int mii_busy;
  uint32_t mii_left, mii_ar, mii_dr;
  int tx_suspended;
  int tdlar_new, rdlar_new;
  struct settle { uint32_t last; int pending; uint32_t lost_value; } maccr, macffr, dmaomr;
  /* PHY */
  uint16_t bmcr, anar;
  int reset_pending;
  uint32_t reset_left;
  int an_running, an_done;
  uint32_t an_left;
  int cable, link, latched_low;
  int speed100, full;
} f;

static void fatal(const char *what) {
  fprintf(stderr, "eth_fake: %s\n", what);
  abort();
}

/* ---------------- PHY ---------------- */

static void phy_drop_link(void) {
  f.link = 0;
  f.latched_low = 1;
  f.an_done = 0;
}

static void phy_start_an(void) {
  phy_drop_link();
  f.an_running = 1;
  f.an_left = tb_fake.an_reads;
}

static void phy_power_on(void) {
  f.bmcr = 0x3100; /* 100 Mbit/s, autonegotiation enabled, full duplex */
  f.anar = 0x01E1;
  f.reset_pending = 0;
  f.an_running = 0;
  phy_drop_link();
  if (f.cable) phy_start_an();
}

static void phy_an_result(void) {
  const uint16_t common = (uint16_t)(f.anar & tb_fake.partner);
  if (common & FAKE_100FD) f.speed100 = 1, f.full = 1;
  else if (common & FAKE_100HD) f.speed100 = 1, f.full = 0;
  else if (common & FAKE_10FD) f.speed100 = 0, f.full = 1;
  else if (common & FAKE_10HD) f.speed100 = 0, f.full = 0;
  else return; /* nothing in common: autonegotiation never completes */
  f.an_done = 1;
  f.an_running = 0;
  f.link = 1;
}

static uint16_t phy_read(unsigned reg) {
  switch (reg) {
    case 0:
      if (f.reset_pending) {
        if (f.reset_left == 0) {
          phy_power_on();
        } else {
          if (f.reset_left != STUCK) f.reset_left--;
          return (uint16_t)(f.bmcr | 0x8000u);
        }
      }
      return f.bmcr;
    case 1: {
      if (f.an_running && f.cable) {
        if (f.an_left) f.an_left--;
        if (!f.an_left) phy_an_result();
      }
      /* 100TX FD/HD, 10 FD/HD, autonegotiation ability, extended capabilities */
      uint16_t v = 0x7809u;
      if (f.an_done) v |= 1u << 5;
      if (f.link && !f.latched_low) v |= 1u << 2;
      f.latched_low = 0;
      return v;
    }
    case 2: return tb_fake.phy_kind == FAKE_PHY_DP83848 ? 0x2000u : 0x0007u;
    case 3: return tb_fake.phy_id2;
    case 4: return f.anar;
    case 5: return f.an_done ? (uint16_t)(tb_fake.partner | 1u) : 0u;
    case 0x10:
      if (tb_fake.phy_kind != FAKE_PHY_DP83848) return 0;
      /* DP83848 PHYSTS: 0 link, 1 speed 10, 2 full duplex, 4 autonegotiation complete */
      return (uint16_t)((f.link ? 1u : 0u) | (f.link && !f.speed100 ? 2u : 0u) | (f.link && f.full ? 4u : 0u) |
                        (f.an_done ? 0x10u : 0u));
    case 0x1F: {
      if (tb_fake.phy_kind != FAKE_PHY_LAN8742A) return 0;
      /* LAN8742A PSCSR: 12 autodone, [4:2] 001 10HD, 101 10FD, 010 100HD, 110 100FD */
      if (!f.an_done) return 0x0040u;
      const unsigned hcd = (f.speed100 ? 2u : 1u) | (f.full ? 4u : 0u);
      return (uint16_t)(0x1000u | 0x0040u | (hcd << 2));
    }
    default: return 0;
  }
}

static void phy_write(unsigned reg, uint16_t v) {
  if (f.reset_pending) return;
  if (reg == 0) {
    if (v & 0x8000u) {
      tb_fake.phy_resets++;
      f.reset_pending = 1;
      f.reset_left = tb_fake.phy_reset_reads;
      f.an_running = 0;
      phy_drop_link();
      return;
    }
    f.bmcr = (uint16_t)(v & ~0x0200u);
    if ((v & 0x0200u) && (v & 0x1000u)) {
      tb_fake.an_restarts++;
      phy_start_an();
    }
  } else if (reg == 4) {
    f.anar = v;
    tb_fake.phy_anar = v;
  }
}

void tb_fake_cable(int plugged) {
  f.cable = plugged;
  if (!plugged) {
    f.an_running = 0;
    phy_drop_link();
  } else if (f.bmcr & 0x1000u) {
    phy_start_an();
  }
}

/* ---------------- MAC / DMA registers ---------------- */

static int eth_clocked(void) {
  return (tb_fake_rcc.AHB1ENR & F_AHB1ENR_ETH) == F_AHB1ENR_ETH && !(tb_fake_rcc.AHB1RSTR & F_AHB1RSTR_ETH);
}

static void eth_power_on_values(void) {
  memset(&tb_fake_eth, 0, sizeof tb_fake_eth);
  tb_fake_eth.MACCR = 0x00008000u;
  tb_fake_eth.MACA0HR = 0x8000FFFFu;
  tb_fake_eth.MACA0LR = 0xFFFFFFFFu;
  tb_fake_eth.DMABMR = 0x00002100u;
  f.sr_pending = f.ftf_pending = f.mii_busy = 0;
  f.tx_suspended = 0;
  f.tdlar_new = f.rdlar_new = 1;
  memset(&f.maccr, 0, sizeof f.maccr);
  memset(&f.macffr, 0, sizeof f.macffr);
  memset(&f.dmaomr, 0, sizeof f.dmaomr);
}

/* 0: the write is lost, it came within FAKE_SETTLE_ACCESSES of the previous one to this register.
 * A lost write counts in lost_writes unless the same value is written again successfully before
 * the register gets another value. */
static int settled(struct settle *r, uint32_t value) {
  if (r->last && tb_fake.seq - r->last < FAKE_SETTLE_ACCESSES) {
    if (r->pending && r->lost_value != value) tb_fake.lost_writes++;
    r->pending = 1;
    r->lost_value = value;
    return 0;
  }
  if (r->pending && r->lost_value != value) tb_fake.lost_writes++;
  r->pending = 0;
  r->last = tb_fake.seq;
  return 1;
}

uint32_t tb_fake_lost_writes(void) { return tb_fake.lost_writes + f.maccr.pending + f.macffr.pending + f.dmaomr.pending; }

static int in_block(volatile uint32_t *reg, const volatile void *base, size_t size) {
  const uintptr_t a = (uintptr_t)reg, b = (uintptr_t)base;
  return a >= b && a < b + size;
}

static void mii_complete(void) {
  const unsigned pa = (f.mii_ar >> 11) & 31u, mr = (f.mii_ar >> 6) & 31u;
  const int present = tb_fake.phy_kind != FAKE_PHY_NONE && pa == tb_fake.phy_addr;
  if (f.mii_ar & F_MIIAR_MW) {
    if (present) phy_write(mr, (uint16_t)f.mii_dr);
  } else {
    tb_fake_eth.MACMIIDR = present ? phy_read(mr) : 0xFFFFu; /* MDIO pulled up: nobody answers */
  }
  f.mii_busy = 0;
  tb_fake_eth.MACMIIAR &= ~F_MIIAR_MB;
}

uint32_t tb_fake_rd(volatile uint32_t *reg) {
  tb_fake.seq++;
  if (in_block(reg, &tb_fake_rcc, sizeof tb_fake_rcc)) return *reg;
  if (in_block(reg, &tb_fake_syscfg, sizeof tb_fake_syscfg)) {
    if (!(tb_fake_rcc.APB2ENR & F_APB2ENR_SYSCFG)) {
      tb_fake.syscfg_unclocked++;
      return 0;
    }
    return *reg;
  }
  if (!in_block(reg, &tb_fake_eth, sizeof tb_fake_eth)) fatal("read outside the faked registers");
  if (!eth_clocked()) {
    tb_fake.eth_unclocked++;
    return 0;
  }
  if (reg == &tb_fake_eth.DMABMR) {
    tb_fake.dmabmr_reads++;
    if (f.sr_pending) {
      if (tb_fake.phy_clock && f.sr_left == 0) {
        eth_power_on_values();
        tb_fake.dma_resets++;
      } else {
        if (tb_fake.phy_clock) f.sr_left--;
        return tb_fake_eth.DMABMR | F_DMABMR_SR;
      }
    }
  } else if (reg == &tb_fake_eth.MACMIIAR) {
    if (f.mii_busy) {
      if (f.mii_left == 0) mii_complete();
      else if (f.mii_left != STUCK) f.mii_left--;
    }
  } else if (reg == &tb_fake_eth.DMAOMR) {
    if (f.ftf_pending) {
      f.ftf_pending = 0;
      return tb_fake_eth.DMAOMR | F_DMAOMR_FTF;
    }
  }
  return *reg;
}

void tb_fake_wr(volatile uint32_t *reg, uint32_t v) {
  tb_fake.seq++;
  if (in_block(reg, &tb_fake_rcc, sizeof tb_fake_rcc)) {
    const uint32_t old = *reg;
    *reg = v;
    if (reg == &tb_fake_rcc.AHB1ENR && (old & F_AHB1ENR_ETH) != F_AHB1ENR_ETH && (v & F_AHB1ENR_ETH) == F_AHB1ENR_ETH) {
      tb_fake.seq_eth_clock_on = tb_fake.seq;
      tb_fake.rmii_at_clock_on = (tb_fake_syscfg.PMC & F_PMC_RMII) != 0;
    }
    if (reg == &tb_fake_rcc.AHB1RSTR) {
      if (v & F_AHB1RSTR_ETH) eth_power_on_values();
      if ((old & F_AHB1RSTR_ETH) && !(v & F_AHB1RSTR_ETH)) tb_fake.seq_eth_reset_release = tb_fake.seq;
    }
    return;
  }
  if (in_block(reg, &tb_fake_syscfg, sizeof tb_fake_syscfg)) {
    if (!(tb_fake_rcc.APB2ENR & F_APB2ENR_SYSCFG)) {
      tb_fake.syscfg_unclocked++;
      return;
    }
    if (reg == &tb_fake_syscfg.PMC) {
      tb_fake.seq_pmc_write = tb_fake.seq;
      tb_fake.pmc_written_in_reset = (tb_fake_rcc.AHB1RSTR & F_AHB1RSTR_ETH) && !(tb_fake_rcc.AHB1ENR & F_AHB1ENR_ETH);
    }
    *reg = v;
    return;
  }
  if (!in_block(reg, &tb_fake_eth, sizeof tb_fake_eth)) fatal("write outside the faked registers");
  if (!eth_clocked()) {
    tb_fake.eth_unclocked++;
    return;
  }
  if (reg == &tb_fake_eth.MACCR && !settled(&f.maccr, v)) return;
  if (reg == &tb_fake_eth.MACFFR && !settled(&f.macffr, v)) return;
  if (reg == &tb_fake_eth.DMAOMR && !settled(&f.dmaomr, v)) return;
  if (reg == &tb_fake_eth.MACMIIAR) {
    if (f.mii_busy) {
      tb_fake.mii_busy_violations++;
      return;
    }
    *reg = v;
    if (v & F_MIIAR_MB) {
      const uint32_t cr = (v >> 2) & 7u;
      tb_fake.mii_transfers++;
      tb_fake.mii_cr = cr;
      if (cr > 4u) tb_fake.mii_bad_cr++; /* RM0090: 101, 110, 111 reserved */
      f.mii_busy = 1;
      f.mii_left = tb_fake.mdio_polls;
      f.mii_ar = v;
      f.mii_dr = tb_fake_eth.MACMIIDR;
    }
  } else if (reg == &tb_fake_eth.MACMIIDR) {
    if (f.mii_busy) tb_fake.mii_busy_violations++;
    else *reg = v & 0xFFFFu;
  } else if (reg == &tb_fake_eth.MACA0HR) {
    *reg = 0x80000000u | (v & 0xFFFFu); /* MO reads 1 */
  } else if (reg == &tb_fake_eth.DMABMR) {
    *reg = v & ~F_DMABMR_SR;
    if (v & F_DMABMR_SR) {
      f.sr_pending = 1;
      f.sr_left = tb_fake.reset_polls;
      tb_fake.seq_dma_reset = tb_fake.seq;
    }
  } else if (reg == &tb_fake_eth.DMATPDR) {
    tb_fake.tx_poll_demands++;
    f.tx_suspended = 0;
  } else if (reg == &tb_fake_eth.DMARPDR) {
    tb_fake.rx_poll_demands++;
  } else if (reg == &tb_fake_eth.DMARDLAR) {
    if (tb_fake_eth.DMAOMR & F_DMAOMR_SR) tb_fake.list_write_running++;
    *reg = v;
    f.rdlar_new = 1;
  } else if (reg == &tb_fake_eth.DMATDLAR) {
    if (tb_fake_eth.DMAOMR & F_DMAOMR_ST) tb_fake.list_write_running++;
    *reg = v;
    f.tdlar_new = 1;
  } else if (reg == &tb_fake_eth.DMASR) {
    *reg &= ~(v & 0x0001FFFFu);
  } else if (reg == &tb_fake_eth.DMAOMR) {
    const uint32_t old = *reg;
    *reg = v & ~F_DMAOMR_FTF;
    if (v & F_DMAOMR_FTF) f.ftf_pending = 1;
    /* starting a DMA takes the list base if the list address was written since it last ran,
     * else it goes on from where it stopped (RM0090 ETH_DMATDLAR/DMARDLAR) */
    if (!(old & F_DMAOMR_ST) && (v & F_DMAOMR_ST)) {
      if (f.tdlar_new) tb_fake.cur_tx = tb_fake_eth.DMATDLAR;
      f.tdlar_new = 0;
      f.tx_suspended = 0;
    }
    if (!(old & F_DMAOMR_SR) && (v & F_DMAOMR_SR)) {
      if (f.rdlar_new) tb_fake.cur_rx = tb_fake_eth.DMARDLAR;
      f.rdlar_new = 0;
    }
  } else {
    *reg = v;
  }
}

/* ---------------- DMA engine ---------------- */

static tb_eth_desc_t *desc_at(uint32_t addr, uint32_t base, uint32_t ring_bytes, uint32_t *outside) {
  if (!addr) fatal("the DMA would fetch a descriptor at address 0 (list address not set)");
  if (ring_bytes && (addr < base || addr + 16u > base + ring_bytes || (addr - base) % 16u)) {
    (*outside)++;
    return NULL;
  }
  return (tb_eth_desc_t *)(uintptr_t)addr;
}

static uint32_t dsl_bytes(void) { return ((tb_fake_eth.DMABMR >> 2) & 31u) * 4u; }

static uint32_t next_rx(const tb_eth_desc_t *d, uint32_t addr) {
  if (d->des1 & F_RDES1_RER) return tb_fake_eth.DMARDLAR;
  if (d->des1 & F_RDES1_RCH) return d->des3;
  return addr + 16u + dsl_bytes();
}

static uint32_t next_tx(const tb_eth_desc_t *d, uint32_t addr) {
  if (d->des0 & F_TDES0_TER) return tb_fake_eth.DMATDLAR;
  if (d->des0 & F_TDES0_TCH) return d->des3;
  return addr + 16u + dsl_bytes();
}

int tb_fake_rx_frame(const uint8_t *frame, size_t length, int crc_error) {
  static uint8_t wire[FAKE_FRAME_BYTES + 4];
  if (!eth_clocked() || !(tb_fake_eth.DMAOMR & F_DMAOMR_SR) || !(tb_fake_eth.MACCR & F_MACCR_RE)) {
    tb_fake.rx_stopped++;
    return 0;
  }
  if (length < 14 || length > FAKE_FRAME_BYTES) fatal("test frame length");
  /* destination address filter (RM0090 "MAC frame filtering"): own unicast, broadcast */
  if (!(tb_fake_eth.MACFFR & (F_MACFFR_PM | F_MACFFR_RA))) {
    const uint32_t lo = tb_fake_eth.MACA0LR, hi = tb_fake_eth.MACA0HR;
    const uint8_t own[6] = {(uint8_t)lo, (uint8_t)(lo >> 8), (uint8_t)(lo >> 16), (uint8_t)(lo >> 24), (uint8_t)hi, (uint8_t)(hi >> 8)};
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    const int multicast = (frame[0] & 1) && memcmp(frame, bcast, 6) != 0;
    if (!(memcmp(frame, own, 6) == 0 || memcmp(frame, bcast, 6) == 0 || (multicast && (tb_fake_eth.MACFFR & F_MACFFR_PAM)))) {
      tb_fake.rx_filtered++;
      return 0;
    }
  }
  const size_t total = length + 4; /* the FCS the MAC leaves in the buffer */
  memcpy(wire, frame, length);
  memcpy(wire + length, "\xDE\xAD\xBE\xEF", 4);
  /* enough descriptors owned by the DMA for the whole frame? (else: RBUS, frame missed) */
  uint32_t addr = tb_fake.cur_rx;
  size_t left = total;
  unsigned n = 0;
  while (left) {
    tb_eth_desc_t *d = desc_at(addr, tb_fake_eth.DMARDLAR, tb_fake.rx_ring_bytes, &tb_fake.rx_desc_outside);
    if (!d || !(d->des0 & F_OWN) || n >= 64) {
      tb_fake_eth.DMASR |= F_DMASR_RBUS;
      tb_fake.rx_missed++;
      return 0;
    }
    const uint32_t rbs = d->des1 & 0x1FFFu;
    if (!rbs || !d->des2) fatal("RX descriptor without a buffer (size or address 0)");
    left -= rbs < left ? rbs : left;
    addr = next_rx(d, addr);
    n++;
  }
  addr = tb_fake.cur_rx;
  size_t off = 0;
  for (unsigned k = 0; k < n; k++) {
    tb_eth_desc_t *d = (tb_eth_desc_t *)(uintptr_t)addr;
    const uint32_t rbs = d->des1 & 0x1FFFu;
    const size_t chunk = total - off < rbs ? total - off : rbs;
    memcpy((uint8_t *)(uintptr_t)d->des2, wire + off, chunk);
    off += chunk;
    uint32_t status = k == 0 ? F_RDES0_FS : 0u;
    if (k == n - 1) status |= F_RDES0_LS | ((uint32_t)total << 16) | (crc_error ? F_RDES0_ES | F_RDES0_CE : 0u);
    d->des0 = status; /* OWN cleared: back to the CPU */
    tb_fake.rx_last_index = (addr - tb_fake_eth.DMARDLAR) / 16u;
    addr = next_rx(d, addr);
  }
  tb_fake.cur_rx = addr;
  tb_fake_eth.DMASR |= F_DMASR_RS;
  tb_fake.rx_delivered++;
  return 1;
}

int tb_fake_tx_step(int max) {
  int sent = 0;
  if (!eth_clocked() || !(tb_fake_eth.DMAOMR & F_DMAOMR_ST) || !(tb_fake_eth.MACCR & F_MACCR_TE)) return 0;
  while (sent < max && !f.tx_suspended) {
    uint32_t addr = tb_fake.cur_tx;
    tb_eth_desc_t *d = desc_at(addr, tb_fake_eth.DMATDLAR, tb_fake.tx_ring_bytes, &tb_fake.tx_desc_outside);
    if (!d || !(d->des0 & F_OWN)) {
      tb_fake_eth.DMASR |= F_DMASR_TBUS; /* suspended until a transmit poll demand */
      f.tx_suspended = 1;
      break;
    }
    if (!(d->des0 & F_TDES0_FS)) tb_fake.tx_protocol_errors++;
    const uint32_t slot = tb_fake.tx_count % FAKE_MAX_FRAMES;
    size_t len = 0;
    for (;;) {
      const uint32_t size = d->des1 & 0x1FFFu;
      if (len + size > FAKE_FRAME_BYTES) fatal("TX frame too long for the fake");
      if (size && !d->des2) fatal("TX descriptor without a buffer address");
      memcpy(tb_fake.tx_data[slot] + len, (const uint8_t *)(uintptr_t)d->des2, size);
      len += size;
      const int last = (d->des0 & F_TDES0_LS) != 0;
      uint32_t status = d->des0 & ~F_OWN;
      if (last && tb_fake.tx_fail_next) {
        status |= F_TDES0_ES | F_TDES0_EC;
        tb_fake.tx_fail_next = 0;
      }
      d->des0 = status;
      tb_fake.tx_last_index = (addr - tb_fake_eth.DMATDLAR) / 16u;
      addr = next_tx(d, addr);
      if (last) break;
      d = desc_at(addr, tb_fake_eth.DMATDLAR, tb_fake.tx_ring_bytes, &tb_fake.tx_desc_outside);
      if (!d || !(d->des0 & F_OWN)) {
        tb_fake.tx_protocol_errors++; /* a frame's middle not handed over */
        break;
      }
    }
    tb_fake.cur_tx = addr;
    tb_fake.tx_len[slot] = (uint16_t)len;
    tb_fake.tx_count++;
    tb_fake_eth.DMASR |= F_DMASR_TS;
    sent++;
  }
  return sent;
}

/* ---------------- GPIO (the chip support's tb_gpio_af) ---------------- */

void tb_gpio_af(uint8_t port, uint8_t pin, uint8_t af) {
  if (!(tb_fake_rcc.AHB1ENR & (1u << port))) tb_fake.gpio_unclocked++;
  if (tb_fake.gpio_calls < 32) {
    tb_fake.gpio_port[tb_fake.gpio_calls] = port;
    tb_fake.gpio_pin[tb_fake.gpio_calls] = pin;
    tb_fake.gpio_af[tb_fake.gpio_calls] = af;
  }
  tb_fake.gpio_calls++;
}

/* ---------------- power-on ---------------- */

void tb_fake_reset(void) {
  memset(&tb_fake, 0, sizeof tb_fake);
  memset(&f, 0, sizeof f);
  memset(&tb_fake_rcc, 0, sizeof tb_fake_rcc);
  memset(&tb_fake_syscfg, 0, sizeof tb_fake_syscfg);
  tb_fake_rcc.AHB1ENR = 0x00100000u; /* CCMDATARAMEN: the AHB1ENR reset value */
  eth_power_on_values();
  tb_fake.phy_clock = 1;
  tb_fake.reset_polls = 3;
  tb_fake.mdio_polls = 2;
  tb_fake.phy_kind = FAKE_PHY_DP83848;
  tb_fake.phy_addr = 1;
  tb_fake.phy_id2 = 0x5C90;
  tb_fake.phy_reset_reads = 2;
  tb_fake.an_reads = 3;
  tb_fake.partner = FAKE_10HD | FAKE_10FD | FAKE_100HD | FAKE_100FD;
  phy_power_on();
}
