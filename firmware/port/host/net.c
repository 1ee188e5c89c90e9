/* Host port: UDP and TCP through non-blocking BSD sockets, readiness through poll(). Handles are
 * file descriptors. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port.h"

#define MAX_POLL 64

static int map_errno(int e) {
  switch (e) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINTR: return TB_EAGAIN;
    case EADDRINUSE: return TB_EADDRINUSE;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM: return TB_ENOMEM;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
    case ETIMEDOUT: return TB_ECONNRESET;
    case EINVAL:
    case EADDRNOTAVAIL: return TB_EINVAL;
    default: return TB_EIO;
  }
}

static int sockaddr_of(struct sockaddr_in *sa, const char *address, uint16_t port) {
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(port);
  if (!address || !*address) sa->sin_addr.s_addr = htonl(INADDR_ANY);
  else if (!strcmp(address, "localhost")) sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  else if (inet_pton(AF_INET, address, &sa->sin_addr) != 1) return TB_EINVAL;
  return 0;
}

static void text_of(const struct sockaddr_in *sa, char out[TB_ADDR_MAX], uint16_t *port) {
  if (!inet_ntop(AF_INET, &sa->sin_addr, out, TB_ADDR_MAX)) strcpy(out, "0.0.0.0");
  *port = ntohs(sa->sin_port);
}

static int open_bound(int type, uint16_t port, const char *address) {
  struct sockaddr_in sa;
  int r = sockaddr_of(&sa, address, port);
  if (r) return r;
  int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return map_errno(errno);
  if (type == SOCK_STREAM) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || (type == SOCK_STREAM && listen(fd, 16) < 0)) {
    int e = errno;
    close(fd);
    return map_errno(e);
  }
  return fd;
}

int tb_port_udp_open(uint16_t port, const char *address) { return open_bound(SOCK_DGRAM, port, address); }

uint16_t tb_port_udp_local_port(int handle) {
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  if (getsockname(handle, (struct sockaddr *)&sa, &len) < 0) return 0;
  return ntohs(sa.sin_port);
}

int tb_port_udp_send(int handle, const uint8_t *data, size_t length, const char *address, uint16_t port) {
  struct sockaddr_in sa;
  int r = sockaddr_of(&sa, address, port);
  if (r) return r;
  if (sendto(handle, data, length, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof sa) < 0) return map_errno(errno);
  return TB_OK;
}

int tb_port_udp_recv(int handle, uint8_t *buf, size_t cap, char from[TB_ADDR_MAX], uint16_t *from_port) {
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  for (;;) {
    ssize_t n = recvfrom(handle, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&sa, &len);
    if (n >= 0) {
      text_of(&sa, from, from_port);
      return (int)n;
    }
    /* An ICMP port-unreachable from an earlier send shows up here: not a datagram, skip it. */
    if (errno == ECONNREFUSED) continue;
    return TB_EAGAIN;
  }
}

void tb_port_udp_close(int handle) { close(handle); }

int tb_port_tcp_listen(uint16_t port, const char *address) { return open_bound(SOCK_STREAM, port, address); }

int tb_port_tcp_accept(int listener, char peer[TB_ADDR_MAX], uint16_t *peer_port) {
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  int fd = accept4(listener, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return map_errno(errno) == TB_ECONNRESET ? TB_EAGAIN : map_errno(errno);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  text_of(&sa, peer, peer_port);
  return fd;
}

int tb_port_tcp_send(int handle, const uint8_t *data, size_t length) {
  ssize_t n = send(handle, data, length, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0) return map_errno(errno);
  return n > 0x7FFFFFFF ? 0x7FFFFFFF : (int)n;
}

int tb_port_tcp_recv(int handle, uint8_t *buf, size_t cap) {
  ssize_t n = recv(handle, buf, cap, MSG_DONTWAIT);
  if (n < 0) return map_errno(errno);
  return (int)n;
}

void tb_port_tcp_shutdown(int handle) { shutdown(handle, SHUT_WR); }

void tb_port_tcp_close(int handle) { close(handle); }

int tb_port_poll(tb_poll_t *items, unsigned n, uint32_t timeout_ms) {
  static struct pollfd fds[MAX_POLL];
  if (n > MAX_POLL) n = MAX_POLL;
  for (unsigned i = 0; i < n; i++) {
    fds[i].fd = items[i].handle;
    fds[i].events = (short)((items[i].want & TB_POLL_IN ? POLLIN : 0) | (items[i].want & TB_POLL_OUT ? POLLOUT : 0));
    fds[i].revents = 0;
  }
  int r = poll(fds, n, timeout_ms > 60000 ? 60000 : (int)timeout_ms);
  if (r < 0) return errno == EINTR ? 0 : TB_EIO;
  for (unsigned i = 0; i < n; i++) {
    short e = fds[i].revents;
    items[i].got = (uint8_t)((e & POLLIN ? TB_POLL_IN : 0) | (e & POLLOUT ? TB_POLL_OUT : 0) | (e & (POLLERR | POLLHUP | POLLNVAL) ? TB_POLL_ERR : 0));
  }
  return r;
}
