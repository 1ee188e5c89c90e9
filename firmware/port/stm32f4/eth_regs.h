/*
 * STM32F4 Ethernet MAC/DMA registers, and the few RCC and SYSCFG registers the Ethernet bring-up
 * touches, written from RM0090 (rev 19): chapter 33 "Ethernet (ETH)", its "Ethernet register
 * descriptions" (MAC, DMA) and "DMA descriptors" (normal Tx/Rx descriptors); the RCC chapters (6 for
 * the F42x/43x, 7 for the F405/407: the same offsets and bits here) and chapter 9 "SYSCFG" (PMC).
 * Only what the driver uses is named; the rest of each block is padding, and every offset named
 * here is checked against the manual's address map at compile time (the _Static_asserts below).
 *
 * Register accesses go through TB_RD/TB_WR: plain volatile loads and stores on the chip; a host
 * test defines them (before including this file) to route every access through a register-level
 * fake, which then sees each read and write in order. The base addresses are overridable
 * (ETH_BASE_PTR, RCC_BASE_PTR, SYSCFG_BASE_PTR) for the same reason.
 */
#ifndef TB_STM32F4_ETH_REGS_H
#define TB_STM32F4_ETH_REGS_H

#include <stddef.h>
#include <stdint.h>

#ifndef TB_RD
#define TB_RD(reg) (reg)
#define TB_WR(reg, value) ((reg) = (uint32_t)(value))
#endif

/* ---- ETH (base 0x40028000; MAC at +0x0000, MMC at +0x0100, PTP at +0x0700, DMA at +0x1000) ---- */
typedef struct {
  volatile uint32_t MACCR;     /* 0x0000 MAC configuration */
  volatile uint32_t MACFFR;    /* 0x0004 MAC frame filter */
  volatile uint32_t MACHTHR;   /* 0x0008 hash table high */
  volatile uint32_t MACHTLR;   /* 0x000C hash table low */
  volatile uint32_t MACMIIAR;  /* 0x0010 MII (MDIO) address */
  volatile uint32_t MACMIIDR;  /* 0x0014 MII (MDIO) data */
  volatile uint32_t MACFCR;    /* 0x0018 flow control */
  volatile uint32_t MACVLANTR; /* 0x001C VLAN tag */
  uint32_t reserved0[8];       /* 0x0020-0x003C: wake-up, PMT, debug, status, interrupt mask */
  volatile uint32_t MACA0HR;   /* 0x0040 MAC address 0 high: bytes 5..4, bit 31 MO reads 1 */
  volatile uint32_t MACA0LR;   /* 0x0044 MAC address 0 low: bytes 3..0 */
  uint32_t reserved1[(0x1000 - 0x0048) / 4]; /* address 1-3, MMC, PTP */
  volatile uint32_t DMABMR;    /* 0x1000 DMA bus mode */
  volatile uint32_t DMATPDR;   /* 0x1004 transmit poll demand */
  volatile uint32_t DMARPDR;   /* 0x1008 receive poll demand */
  volatile uint32_t DMARDLAR;  /* 0x100C receive descriptor list address */
  volatile uint32_t DMATDLAR;  /* 0x1010 transmit descriptor list address */
  volatile uint32_t DMASR;     /* 0x1014 DMA status (bits 0-16 cleared by writing 1) */
  volatile uint32_t DMAOMR;    /* 0x1018 operation mode */
  volatile uint32_t DMAIER;    /* 0x101C interrupt enable */
  volatile uint32_t DMAMFBOCR; /* 0x1020 missed frame and buffer overflow counter */
  volatile uint32_t DMARSWTR;  /* 0x1024 receive status watchdog timer */
  uint32_t reserved2[8];       /* 0x1028-0x1044 */
  volatile uint32_t DMACHTDR;  /* 0x1048 current host transmit descriptor */
  volatile uint32_t DMACHRDR;  /* 0x104C current host receive descriptor */
  volatile uint32_t DMACHTBAR; /* 0x1050 current host transmit buffer address */
  volatile uint32_t DMACHRBAR; /* 0x1054 current host receive buffer address */
} tb_eth_regs_t;

_Static_assert(offsetof(tb_eth_regs_t, MACMIIAR) == 0x0010, "RM0090 ETH register map: ETH_MACMIIAR at 0x10");
_Static_assert(offsetof(tb_eth_regs_t, MACA0HR) == 0x0040, "RM0090 ETH register map: ETH_MACA0HR at 0x40");
_Static_assert(offsetof(tb_eth_regs_t, DMABMR) == 0x1000, "RM0090 ETH register map: ETH_DMABMR at 0x1000");
_Static_assert(offsetof(tb_eth_regs_t, DMAOMR) == 0x1018, "RM0090 ETH register map: ETH_DMAOMR at 0x1018");
_Static_assert(offsetof(tb_eth_regs_t, DMACHTDR) == 0x1048, "RM0090 ETH register map: ETH_DMACHTDR at 0x1048");
_Static_assert(offsetof(tb_eth_regs_t, DMACHRBAR) == 0x1054, "RM0090 ETH register map: ETH_DMACHRBAR at 0x1054");

/* MACCR */
#define ETH_MACCR_RE (1u << 2)    /* receiver enable */
#define ETH_MACCR_TE (1u << 3)    /* transmitter enable */
#define ETH_MACCR_DM (1u << 11)   /* duplex mode: 1 full */
#define ETH_MACCR_ROD (1u << 13)  /* receive own disable (half duplex) */
#define ETH_MACCR_FES (1u << 14)  /* fast Ethernet speed: 1 = 100 Mbit/s */

/* MACFFR */
#define ETH_MACFFR_PM (1u << 0)   /* promiscuous */
#define ETH_MACFFR_BFD (1u << 5)  /* broadcast frames disable */
#define ETH_MACFFR_RA (1u << 31)  /* receive all */

/* MACMIIAR: PA[15:11] PHY address, MR[10:6] register, CR[4:2] clock range, MW write, MB busy */
#define ETH_MACMIIAR_MB (1u << 0)
#define ETH_MACMIIAR_MW (1u << 1)
#define ETH_MACMIIAR_CR_SHIFT 2
#define ETH_MACMIIAR_CR_MASK (7u << 2)
#define ETH_MACMIIAR_MR_SHIFT 6
#define ETH_MACMIIAR_PA_SHIFT 11
/* CR values: MDC = HCLK / divider must stay at or below 2.5 MHz (IEEE 802.3 22.2.2.11) */
#define ETH_CR_DIV42 0u  /* HCLK  60-100 MHz */
#define ETH_CR_DIV62 1u  /* HCLK 100-150 MHz */
#define ETH_CR_DIV16 2u  /* HCLK  20- 35 MHz */
#define ETH_CR_DIV26 3u  /* HCLK  35- 60 MHz */
#define ETH_CR_DIV102 4u /* HCLK 150-168 MHz (F405/407); 150-180 MHz in the F42x/43x revisions */

#define ETH_MACA0HR_MO (1u << 31)

/* DMABMR */
#define ETH_DMABMR_SR (1u << 0)          /* software reset: self-clearing once the MAC clock domains reset */
#define ETH_DMABMR_DSL_SHIFT 2           /* descriptor skip length (ring mode), in words */
#define ETH_DMABMR_EDFE (1u << 7)        /* enhanced descriptor format (not used: normal descriptors) */
#define ETH_DMABMR_PBL_SHIFT 8           /* programmable burst length [13:8] */
#define ETH_DMABMR_FB (1u << 16)         /* fixed burst */
#define ETH_DMABMR_AAB (1u << 25)        /* address-aligned beats */

/* DMASR: bits 0-16 are cleared by writing 1 */
#define ETH_DMASR_TS (1u << 0)     /* transmit status (frame done) */
#define ETH_DMASR_TBUS (1u << 2)   /* transmit buffer unavailable: TX DMA suspended */
#define ETH_DMASR_RS (1u << 6)     /* receive status (frame received) */
#define ETH_DMASR_RBUS (1u << 7)   /* receive buffer unavailable: RX DMA suspended */
#define ETH_DMASR_W1C_MASK 0x0001FFFFu

/* DMAOMR */
#define ETH_DMAOMR_SR (1u << 1)    /* start/stop receive */
#define ETH_DMAOMR_OSF (1u << 2)   /* operate on second frame */
#define ETH_DMAOMR_ST (1u << 13)   /* start/stop transmission */
#define ETH_DMAOMR_FTF (1u << 20)  /* flush transmit FIFO (self-clearing) */
#define ETH_DMAOMR_TSF (1u << 21)  /* transmit store and forward */
#define ETH_DMAOMR_RSF (1u << 25)  /* receive store and forward */

/* ---- normal DMA descriptors (RM0090 33.6, "Tx/Rx DMA descriptors"): four words, DMABMR EDFE = 0 ---- */
typedef struct {
  volatile uint32_t des0; /* status; bit 31 OWN: 1 = the DMA owns it */
  volatile uint32_t des1; /* control and buffer sizes */
  volatile uint32_t des2; /* buffer 1 address */
  volatile uint32_t des3; /* buffer 2 address, or the next descriptor (TCH/RCH chained mode) */
} tb_eth_desc_t;

_Static_assert(sizeof(tb_eth_desc_t) == 16, "RM0090 normal DMA descriptors: descriptor is 4 words");

#define ETH_DES0_OWN (1u << 31)

/* TDES0 */
#define ETH_TDES0_IC (1u << 30)    /* interrupt on completion */
#define ETH_TDES0_LS (1u << 29)    /* last segment */
#define ETH_TDES0_FS (1u << 28)    /* first segment */
#define ETH_TDES0_TER (1u << 21)   /* transmit end of ring: the next descriptor is the list base */
#define ETH_TDES0_TCH (1u << 20)   /* second address chained */
#define ETH_TDES0_ES (1u << 15)    /* error summary (written back by the DMA) */
/* TDES1: TBS1 [12:0] buffer 1 size */
#define ETH_TDES1_TBS1_MASK 0x1FFFu

/* RDES0 */
#define ETH_RDES0_FL_SHIFT 16      /* frame length [29:16] including the CRC; valid when LS */
#define ETH_RDES0_FL_MASK (0x3FFFu << 16)
#define ETH_RDES0_ES (1u << 15)    /* error summary: CRC, receive, watchdog, late collision, giant, overflow, descriptor */
#define ETH_RDES0_DE (1u << 14)    /* descriptor error: the frame did not fit the owned buffers */
#define ETH_RDES0_FS (1u << 9)     /* first descriptor of a frame */
#define ETH_RDES0_LS (1u << 8)     /* last descriptor of a frame */
#define ETH_RDES0_CE (1u << 1)     /* CRC error */
/* RDES1 */
#define ETH_RDES1_DIC (1u << 31)   /* disable interrupt on completion */
#define ETH_RDES1_RER (1u << 15)   /* receive end of ring */
#define ETH_RDES1_RCH (1u << 14)   /* second address chained */
#define ETH_RDES1_RBS1_MASK 0x1FFFu

/* ---- RCC (base 0x40023800) ---- */
typedef struct {
  volatile uint32_t CR;       /* 0x00 */
  volatile uint32_t PLLCFGR;  /* 0x04 */
  volatile uint32_t CFGR;     /* 0x08: MCO1 [22:21], MCO1PRE [26:24] */
  volatile uint32_t CIR;      /* 0x0C */
  volatile uint32_t AHB1RSTR; /* 0x10 */
  uint32_t reserved0[7];      /* 0x14-0x2C */
  volatile uint32_t AHB1ENR;  /* 0x30 */
  uint32_t reserved1[4];      /* 0x34-0x40 */
  volatile uint32_t APB2ENR;  /* 0x44 */
} tb_rcc_regs_t;

_Static_assert(offsetof(tb_rcc_regs_t, AHB1RSTR) == 0x10, "RM0090 RCC register map: RCC_AHB1RSTR at 0x10");
_Static_assert(offsetof(tb_rcc_regs_t, AHB1ENR) == 0x30, "RM0090 RCC register map: RCC_AHB1ENR at 0x30");
_Static_assert(offsetof(tb_rcc_regs_t, APB2ENR) == 0x44, "RM0090 RCC register map: RCC_APB2ENR at 0x44");

#define RCC_AHB1ENR_GPIOEN(port) (1u << (port)) /* GPIOAEN bit 0 .. GPIOIEN bit 8 */
#define RCC_AHB1ENR_ETHMACEN (1u << 25)
#define RCC_AHB1ENR_ETHMACTXEN (1u << 26)
#define RCC_AHB1ENR_ETHMACRXEN (1u << 27)
#define RCC_AHB1ENR_ETH_ALL (RCC_AHB1ENR_ETHMACEN | RCC_AHB1ENR_ETHMACTXEN | RCC_AHB1ENR_ETHMACRXEN)
#define RCC_AHB1RSTR_ETHMACRST (1u << 25)
#define RCC_APB2ENR_SYSCFGEN (1u << 14)
#define RCC_CFGR_MCO1_MASK (3u << 21)
#define RCC_CFGR_MCO1_HSE (2u << 21)
#define RCC_CFGR_MCO1PRE_MASK (7u << 24) /* 0xx: no division */

/* ---- SYSCFG (base 0x40013800) ---- */
typedef struct {
  volatile uint32_t MEMRMP; /* 0x00 */
  volatile uint32_t PMC;    /* 0x04: bit 23 MII_RMII_SEL */
} tb_syscfg_regs_t;

#define SYSCFG_PMC_MII_RMII_SEL (1u << 23) /* 1: RMII. Set while the MAC is in reset, clocks off */

#ifndef ETH_BASE_PTR
#define ETH_BASE_PTR ((tb_eth_regs_t *)0x40028000u)
#endif
#ifndef RCC_BASE_PTR
#define RCC_BASE_PTR ((tb_rcc_regs_t *)0x40023800u)
#endif
#ifndef SYSCFG_BASE_PTR
#define SYSCFG_BASE_PTR ((tb_syscfg_regs_t *)0x40013800u)
#endif

#endif
