/* What the qemu-mps2 port's files share. */
#ifndef TB_QEMU_MPS2_H
#define TB_QEMU_MPS2_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "netdev.h"
#include "runtime.h" /* tb_console_printf */

extern const tb_netdev_t mps2_lan9118;
int mps2_lan9118_rx_pending(void); /* also clears the controller's RX interrupt status */
void mps2_lan9118_stop(void);

/* The clock: TIMER0 ticks (25 MHz) since reset, 64 bits; ticks spent asleep in mps2_idle(). */
void mps2_clock_start(void);
uint64_t mps2_ticks(void);
uint64_t mps2_idle_ticks(void);
/* Sleep (WFI) until a frame arrives or max_ms passes. */
void mps2_idle(uint32_t max_ms);

void mps2_console_init(void);

/* The configuration block (mps2.h): a value, or NULL. */
const char *mps2_config(const char *key);

/* The emulated flash: format it after power-on (erased, except the bootloader's sectors). */
void mps2_flash_init(const tb_board_t *board, int power_on);

void mps2_system_reset(void) __attribute__((noreturn));

#endif
