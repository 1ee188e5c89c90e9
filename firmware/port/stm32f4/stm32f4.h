/*
 * The STM32F4 port's internals: the board as the port needs it (generated from boards/<board>.json
 * by firmware/port/stm32f4/gen-board.mjs into build/<board>/stm32_board.h) and the small drivers
 * main.c puts together.
 */
#ifndef TB_STM32F4_H
#define TB_STM32F4_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "clock.h"

typedef struct {
  uint8_t port, pin; /* port 0 = A .. 8 = I */
} tb_pin_t;

typedef struct {
  uint32_t origin, size;
} tb_mem_t;

typedef struct {
  tb_clock_cfg_t clock;
  struct {
    uint8_t usart;  /* 1..6 */
    tb_pin_t tx, rx;
    uint8_t af;     /* 7 for USART1-3, 8 for UART4-5 / USART6 */
    uint32_t baud;
  } console;
  tb_pin_t button;
  uint8_t button_active_low;
  uint8_t nleds;
  tb_pin_t leds[8];
  tb_mem_t ram, ccm;   /* for the application's initial stack pointer check */
  uint32_t iwdg_ms;    /* watchdog period in update mode; 0: never started */
} tb_stm32_board_t;

/* The board (board_data.c, from the generated stm32_board.h). */
extern const tb_stm32_board_t tb_stm32_board;
extern const tb_board_t *const tb_core_board;

/* console.c: USART, 8N1, polled; every wait bounded. */
void tb_console_init(uint8_t usart, uint32_t pclk_hz, uint32_t baud, tb_pin_t tx, tb_pin_t rx, uint8_t af);
void tb_console_puts(const char *s);
/* One received byte, or -1 when none is waiting. */
int tb_console_getc(void);

/* sys.c */
void tb_systick_init(uint32_t hclk_hz);
void tb_systick_stop(void);
void tb_wdg_start(uint32_t period_ms);
void tb_wdg_kick(void);
int tb_wdg_running(void);
void tb_request_init(void);
void tb_rng_init(void);
/* 1 when the RNG produced a number, 0 when it did not (and the fallback was used). */
int tb_rng_ok(void);
void tb_sleep_ms(uint32_t ms);
__attribute__((noreturn)) void tb_system_reset(void);
/* LEDs off, button sampled (the level at reset). */
void tb_board_io_init(void);
/* 0 when the button's port did not answer (the button is then taken as released). */
int tb_board_button_known(void);
/* From now on the button counts as held: the boot policy stays in update mode (a refused jump). */
void tb_board_force_update(void);

/* crc.c: 1 when the CRC unit passed its known-answer test (and tb_crc32 uses it). */
int tb_crc_hw_init(void);

/* jump.c: check the application's vector table; NULL when it may be started, else why not. */
const char *tb_app_check(uint32_t vtor, uint32_t slot_addr, uint32_t slot_size, const tb_mem_t *ram, const tb_mem_t *ccm);
/* Tear down what the bootloader set up and start the application (does not return). */
__attribute__((noreturn)) void tb_app_start(uint32_t vtor);


#endif
