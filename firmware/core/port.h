/*
 * The port interface: everything the portable core (firmware/core/) asks of the hardware or of the
 * host that stands in for it. A port (firmware/port/host/, later port/stm32f4/, port/qemu-mps2/)
 * implements every function here; the core includes no system header beyond the C library's
 * freestanding parts (stdint, stddef, string, setjmp).
 *
 * Conventions: no function blocks without a bound. Errors are negative TB_E* codes. Handles are
 * small non-negative integers chosen by the port (file descriptors on the host, PCB slots on lwIP).
 */
#ifndef TB_PORT_H
#define TB_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"

/* ---- error codes ---- */
enum {
  TB_OK = 0,
  TB_EAGAIN = -1,     /* would block: try again after the poll says so */
  TB_ERANGE = -2,     /* outside flash */
  TB_EALIGN = -3,     /* address or length not a multiple of 4 */
  TB_EPROTECT = -4,   /* sector belongs to the bootloader */
  TB_ENOTERASED = -5, /* programming a word that is not 0xFFFFFFFF */
  TB_EHW = -6,        /* the flash controller (or the file behind it) reported an error */
  TB_EADDRINUSE = -7, /* bind/listen: port taken */
  TB_ENOMEM = -8,     /* no socket / PCB left */
  TB_ECONNRESET = -9, /* connection reset or broken */
  TB_EINVAL = -10,    /* bad argument (address not parseable ...) */
  TB_EIO = -11        /* any other network error */
};

/* ---- flash ----
 * The port enforces the NOR rules itself (defence in depth: the core checks first and throws a
 * readable error): erase sets the whole sector holding addr to 0xFF; program writes whole 32-bit
 * words at word-aligned addresses, only into erased words; the bootloader region refuses both.
 * Each erase or program call is one "flash operation" (the host's --cut-at counts them).
 * Operations are synchronous, like the CPU stall of a single-bank STM32F4. */
int tb_port_flash_erase(uint32_t addr);
int tb_port_flash_program(uint32_t addr, const uint8_t *data, uint32_t length);
/* Flash is memory-mapped on the chip: a pointer to the byte at flash_base (the host maps its file).
 * The core only reads through it. */
const uint8_t *tb_port_flash_memory(void);

/* ---- time, randomness, console ---- */
/* Monotonic milliseconds (wraps after 49 days; the core only uses differences). */
uint32_t tb_port_millis(void);
/* Wall-clock milliseconds since 1970 when the board knows the time, else since reset (Date.now()). */
double tb_port_wall_ms(void);
/* 32 random bits (RNG peripheral / getrandom). */
uint32_t tb_port_random32(void);
/* Console output (USART / stdout); text is not NUL-terminated, no newline is added. */
void tb_port_console_write(const char *text, size_t length);

/* ---- board I/O ---- */
/* The word kept across reset (RTC backup register / the host's state file). */
uint32_t tb_port_request_get(void);
void tb_port_request_set(uint32_t word);
/* Was the button held when the chip came out of reset? */
int tb_port_button_at_reset(void);
void tb_port_led(unsigned index, int on);

/* ---- sockets ----
 * Non-blocking: nothing here waits. address is dotted IPv4 text or NULL (any). On a board with a
 * single interface the port may ignore the bind address. */
#define TB_ADDR_MAX 16 /* "255.255.255.255" + NUL */

int tb_port_udp_open(uint16_t port, const char *address); /* handle or TB_E* */
uint16_t tb_port_udp_local_port(int handle);
/* Send one datagram (the bytes are copied before it returns); TB_EAGAIN drops it (UDP). */
int tb_port_udp_send(int handle, const uint8_t *data, size_t length, const char *address, uint16_t port);
/* One datagram into buf (truncated to cap): its length, or TB_EAGAIN when none is waiting. */
int tb_port_udp_recv(int handle, uint8_t *buf, size_t cap, char from[TB_ADDR_MAX], uint16_t *from_port);
void tb_port_udp_close(int handle);

int tb_port_tcp_listen(uint16_t port, const char *address); /* handle or TB_E* */
/* A new connection (its handle), or TB_EAGAIN when none is waiting. */
int tb_port_tcp_accept(int listener, char peer[TB_ADDR_MAX], uint16_t *peer_port);
/* Bytes taken (maybe fewer than length), TB_EAGAIN when the send buffer is full, or TB_E*. */
int tb_port_tcp_send(int handle, const uint8_t *data, size_t length);
/* Bytes read (> 0), 0 at the peer's end of stream, TB_EAGAIN when nothing is waiting, or TB_E*. */
int tb_port_tcp_recv(int handle, uint8_t *buf, size_t cap);
/* Send FIN after what was taken (half close). */
void tb_port_tcp_shutdown(int handle);
void tb_port_tcp_close(int handle);

/* ---- waiting ---- */
enum { TB_POLL_IN = 1, TB_POLL_OUT = 2, TB_POLL_ERR = 4 };

typedef struct {
  int handle;
  uint8_t want; /* TB_POLL_IN | TB_POLL_OUT */
  uint8_t got;  /* set by the port: TB_POLL_IN | TB_POLL_OUT | TB_POLL_ERR */
} tb_poll_t;

/* Wait at most timeout_ms for readiness of the given handles (n may be 0: just sleep and run the
 * network stack). Returns the number of items with got != 0, or TB_E*. On lwIP this is where the
 * stack polls the MAC and runs its timers. */
int tb_port_poll(tb_poll_t *items, unsigned n, uint32_t timeout_ms);

#endif
