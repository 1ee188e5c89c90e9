/* No network (STM32_NET=none in port.mk): every socket call fails with TB_EIO, the poll only
 * sleeps (kicking the watchdog). Built when the Ethernet driver or the lwIP glue is not there. */
#include "net.h"
#include "port.h"
#include "stm32f4.h"

void tb_net_init(uint32_t hclk_hz) {
  (void)hclk_hz; tb_console_puts("net: this build has no network (STM32_NET=none)\n"); }

int tb_port_udp_open(uint16_t port, const char *address) {
  (void)port;
  (void)address;
  return TB_EIO;
}
uint16_t tb_port_udp_local_port(int handle) {
  (void)handle;
  return 0;
}
int tb_port_udp_send(int handle, const uint8_t *data, size_t length, const char *address, uint16_t port) {
  (void)handle, (void)data, (void)length, (void)address, (void)port;
  return TB_EIO;
}
int tb_port_udp_recv(int handle, uint8_t *buf, size_t cap, char from[TB_ADDR_MAX], uint16_t *from_port) {
  (void)handle, (void)buf, (void)cap, (void)from, (void)from_port;
  return TB_EIO;
}
void tb_port_udp_close(int handle) { (void)handle; }
int tb_port_tcp_listen(uint16_t port, const char *address) {
  (void)port;
  (void)address;
  return TB_EIO;
}
int tb_port_tcp_accept(int listener, char peer[TB_ADDR_MAX], uint16_t *peer_port) {
  (void)listener, (void)peer, (void)peer_port;
  return TB_EIO;
}
int tb_port_tcp_send(int handle, const uint8_t *data, size_t length) {
  (void)handle, (void)data, (void)length;
  return TB_EIO;
}
int tb_port_tcp_recv(int handle, uint8_t *buf, size_t cap) {
  (void)handle, (void)buf, (void)cap;
  return TB_EIO;
}
void tb_port_tcp_shutdown(int handle) { (void)handle; }
void tb_port_tcp_close(int handle) { (void)handle; }

int tb_port_poll(tb_poll_t *items, unsigned n, uint32_t timeout_ms) {
  (void)items;
  (void)n;
  tb_wdg_start(tb_stm32_board.iwdg_ms); /* update mode: the board may wait here for hours */
  tb_sleep_ms(timeout_ms);
  return 0;
}
