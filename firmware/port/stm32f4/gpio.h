/*
 * GPIO (RM0090 8): ports A..I are numbers 0..8. Each call enables the port's clock first.
 */
#ifndef TB_STM32_GPIO_H
#define TB_STM32_GPIO_H

#include <stdint.h>

/* Alternate function af (0-15) on the pin: very high speed, push-pull, no pull-up/down. */
void tb_gpio_af(uint8_t port, uint8_t pin, uint8_t af);
/* Push-pull output, low speed, driven to level first (no glitch). */
void tb_gpio_output(uint8_t port, uint8_t pin, int level);
/* Input with pull (0 none, 1 up, 2 down). Returns 1 when the port answered: its PUPDR reads back
 * what was written (an unclocked or absent port, like QEMU's, reads 0). */
int tb_gpio_input(uint8_t port, uint8_t pin, uint8_t pull);
int tb_gpio_read(uint8_t port, uint8_t pin);
void tb_gpio_write(uint8_t port, uint8_t pin, int level);

#endif
