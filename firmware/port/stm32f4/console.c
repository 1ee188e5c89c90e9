/* The console: a USART at 8N1 (RM0090 30.6), polled. A character waits at most ~2 ms for TXE (two
 * character times at 9600 baud), so a dead USART slows the console but never hangs the board. */
#include <string.h>

#include "gpio.h"
#include "port.h"
#include "regs.h"
#include "stm32f4.h"

static usart_t *u;

/* USART1 0x40011000, 2 0x40004400, 3 0x40004800, UART4 0x40004C00, UART5 0x40005000, USART6 0x40011400;
 * USART1/6 on APB2 (enable bits 4/5), the others on APB1 (bits 17-20). */
void tb_console_init(uint8_t usart, uint32_t pclk_hz, uint32_t baud, tb_pin_t tx, tb_pin_t rx, uint8_t af) {
  static const uint32_t base[7] = {0, 0x40011000u, 0x40004400u, 0x40004800u, 0x40004C00u, 0x40005000u, 0x40011400u};
  if (usart < 1 || usart > 6 || !baud) return;
  if (usart == 1 || usart == 6) SET(RCC->APB2ENR, 1u << (usart == 1 ? 4 : 5));
  else SET(RCC->APB1ENR, 1u << (15 + usart));
  tb_gpio_af(tx.port, tx.pin, af);
  tb_gpio_af(rx.port, rx.pin, af);
  u = TB_PERIPH(usart_t, base[usart]);
  WR(u->CR1, 0);
  WR(u->CR2, 0); /* 1 stop bit */
  WR(u->CR3, 0);
  WR(u->BRR, (pclk_hz + baud / 2) / baud); /* OVER8 = 0: mantissa.fraction(4 bits) = pclk / (16 baud) */
  WR(u->CR1, USART_CR1_UE | USART_CR1_TE | USART_CR1_RE); /* 8 data bits, no parity */
}

static void putc_bounded(char c) {
  for (uint32_t i = 0; i < 400000u; i++)
    if (RD(u->SR) & USART_SR_TXE) break;
  WR(u->DR, (uint8_t)c);
}

void tb_port_console_write(const char *text, size_t length) {
  if (!u) return;
  for (size_t i = 0; i < length; i++) {
    if (text[i] == '\n') putc_bounded('\r');
    putc_bounded(text[i]);
  }
}

void tb_console_puts(const char *s) { tb_port_console_write(s, strlen(s)); }

int tb_console_getc(void) {
  if (!u) return -1;
  uint32_t sr = RD(u->SR);
  if (sr & USART_SR_ORE) (void)RD(u->DR); /* SR then DR clears an overrun */
  return sr & USART_SR_RXNE ? (int)(RD(u->DR) & 0xFFu) : -1;
}
