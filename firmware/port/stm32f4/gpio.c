/* GPIO (RM0090 8.4): MODER 00 input, 01 output, 10 alternate; OSPEEDR 11 very high; PUPDR 01 up, 10 down. */
#include "gpio.h"

#include "regs.h"

static gpio_t *port_on(uint8_t port) {
  SET(RCC->AHB1ENR, RCC_AHB1ENR_GPIO(port));
  (void)RD(RCC->AHB1ENR); /* two AHB cycles before the port answers (errata ES0182 2.1.13) */
  return GPIO(port);
}

static void field2(volatile uint32_t *reg, uint8_t pin, uint32_t v) {
  WR(*reg, (RD(*reg) & ~(3u << (2 * pin))) | v << (2 * pin));
}

void tb_gpio_af(uint8_t port, uint8_t pin, uint8_t af) {
  gpio_t *g = port_on(port);
  volatile uint32_t *afr = &g->AFR[pin >> 3];
  unsigned sh = 4u * (pin & 7u);
  WR(*afr, (RD(*afr) & ~(0xFu << sh)) | (uint32_t)(af & 0xF) << sh);
  CLR(g->OTYPER, 1u << pin);
  field2(&g->OSPEEDR, pin, 3);
  field2(&g->PUPDR, pin, 0);
  field2(&g->MODER, pin, 2);
}

void tb_gpio_output(uint8_t port, uint8_t pin, int level) {
  gpio_t *g = port_on(port);
  tb_gpio_write(port, pin, level);
  CLR(g->OTYPER, 1u << pin);
  field2(&g->OSPEEDR, pin, 0);
  field2(&g->PUPDR, pin, 0);
  field2(&g->MODER, pin, 1);
}

int tb_gpio_input(uint8_t port, uint8_t pin, uint8_t pull) {
  gpio_t *g = port_on(port);
  field2(&g->MODER, pin, 0);
  field2(&g->PUPDR, pin, pull & 3u);
  return ((RD(g->PUPDR) >> (2 * pin)) & 3u) == (pull & 3u);
}

int tb_gpio_read(uint8_t port, uint8_t pin) { return (RD(GPIO(port)->IDR) >> pin) & 1u; }

void tb_gpio_write(uint8_t port, uint8_t pin, int level) { WR(GPIO(port)->BSRR, level ? 1u << pin : 1u << (pin + 16)); }
