/*
 * Forced into port/stm32f4/eth.c and phy.c for the host tests (gcc -include): register accesses go
 * to the fake (eth_fake.c), the register blocks are the fake's, and descriptors/buffers need no
 * linker section.
 */
#ifndef TB_ETH_FAKE_REGS_H
#define TB_ETH_FAKE_REGS_H

#include <stdint.h>

uint32_t tb_fake_rd(volatile uint32_t *reg);
void tb_fake_wr(volatile uint32_t *reg, uint32_t value);

#define TB_RD(reg) tb_fake_rd(&(reg))
#define TB_WR(reg, value) tb_fake_wr(&(reg), (uint32_t)(value))
#define ETH_BASE_PTR (&tb_fake_eth)
#define RCC_BASE_PTR (&tb_fake_rcc)
#define SYSCFG_BASE_PTR (&tb_fake_syscfg)
#define TB_DMA_MEM

#include "../port/stm32f4/eth_regs.h"

extern tb_eth_regs_t tb_fake_eth;
extern tb_rcc_regs_t tb_fake_rcc;
extern tb_syscfg_regs_t tb_fake_syscfg;

#endif
