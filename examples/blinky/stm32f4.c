/*
 * The example application on an STM32F4 board: its own vector table (VTOR set first), SysTick at
 * 1 ms on the 16 MHz HSI it is started with (the bootloader hands over the reset clock state), the
 * board's console and LEDs through the bootloader's own GPIO and USART code
 * (firmware/port/stm32f4/gpio.c, console.c) and pins (the generated stm32_board.h).
 */
#include "app_port.h"
#include "gpio.h"
#include "regs.h"
#include "stm32_board.h"
#include "stm32f4.h"
#include "typeboot_app.h"

const tb_stm32_board_t tb_stm32_board = TB_STM32_BOARD_INIT;

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void app_reset(void);
void app_fault(void);
void app_systick(void);

static uint32_t boot_counts;
static volatile uint32_t ms;

__attribute__((noreturn)) void app_reset(void) {
  /* First thing: the free-running TIM2 the bootloader started at its reset (QEMU: instructions). */
  uint32_t counts = TIM2->CNT;
  for (uint32_t *s = &_sidata, *d = &_sdata; d < &_edata;) *d++ = *s++;
  for (uint32_t *d = &_sbss; d < &_ebss;) *d++ = 0;
  boot_counts = counts;
  main();
  for (;;) {
  }
}

void app_fault(void) {
  app_puts("\napp: fault\n");
  for (;;) {
  }
}

void app_systick(void) { ms++; }

#define V(f) ((uint32_t)(uintptr_t)(f))
__attribute__((section(".isr_vector"), used)) const uint32_t app_vectors[16 + 91] = {
    [0] = V(&_estack), [1] = V(app_reset), [2] = V(app_fault), [3] = V(app_fault), [4] = V(app_fault),
    [5] = V(app_fault), [6] = V(app_fault), [15] = V(app_systick),
};

void app_init(void) {
  SCB->VTOR = (uint32_t)(uintptr_t)app_vectors;
  __asm__ volatile("dsb\nisb" ::: "memory");
  SYSTICK->LOAD = 16000u - 1u; /* HSI 16 MHz */
  SYSTICK->VAL = 0;
  SYSTICK->CTRL = SYSTICK_CTRL_CLKSOURCE | SYSTICK_CTRL_TICKINT | SYSTICK_CTRL_ENABLE;
  const tb_stm32_board_t *b = &tb_stm32_board;
  tb_console_init(b->console.usart, 16000000u, b->console.baud, b->console.tx, b->console.rx, b->console.af);
  if (b->nleds) tb_gpio_output(b->leds[0].port, b->leds[0].pin, 0);
  tb_gpio_input(b->button.port, b->button.pin, b->button_active_low ? 1 : 2);
}

const char *app_board_name(void) { return TB_BOARD.title; }
void app_puts(const char *s) { tb_console_puts(s); }
int app_getc(void) { return tb_console_getc(); }
uint32_t app_millis(void) { return ms; }
uint32_t app_boot_counts(void) { return boot_counts; }

void app_led(int on) {
  if (tb_stm32_board.nleds) tb_gpio_write(tb_stm32_board.leds[0].port, tb_stm32_board.leds[0].pin, on);
}

int app_button(void) {
  const tb_stm32_board_t *b = &tb_stm32_board;
  /* a port that does not answer (QEMU) reads back 0 from PUPDR: no button then */
  if (((GPIO(b->button.port)->PUPDR >> (2 * b->button.pin)) & 3u) == 0) return 0;
  return tb_gpio_read(b->button.port, b->button.pin) == (b->button_active_low ? 0 : 1);
}

void app_watchdog(void) { IWDG->KR = IWDG_KEY_RELOAD; }

int app_confirm(void) { return typeboot_confirm(); }

void app_request_update(void) {
  RCC->APB1ENR |= RCC_APB1ENR_PWREN;
  (void)RCC->APB1ENR;
  PWR->CR |= PWR_CR_DBP;
  RTC_BKP0R = 0x55504454u; /* "UPDT": the bootloader's boot-request word */
  for (volatile int i = 0; i < 20000; i++) {
  } /* the last characters leave the USART */
  __asm__ volatile("dsb" ::: "memory");
  SCB->AIRCR = SCB_AIRCR_SYSRESETREQ;
  for (;;) {
  }
}
