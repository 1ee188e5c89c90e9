/*
 * The runtime's sockets over lwIP's raw API (NO_SYS=1): see tb_lwip.h.
 *
 * Flow control: a TCP connection's receive window is opened again (tcp_recved) only when the
 * runtime has taken the bytes, so a slow JS consumer throttles the uploader instead of exhausting the
 * pbuf pool. Datagrams beyond a socket's queue bound are dropped (UDP; TFTP retransmits).
 */
#include "tb_lwip.h"

#include "runtime.h" /* tb_console_printf */

#include <stdio.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
#include "port.h"

#define SLOTS 16       /* sockets of every kind (the runtime keeps at most TB_MAX_OBJS objects) */
#define UDP_QUEUE 8    /* datagrams waiting per UDP socket: a TFTP window of 8 blocks */
#define ACCEPT_QUEUE 4 /* connections waiting per listener */
#define RX_BURST 16    /* frames taken from the controller per service round */
#define LINK_POLL_MS 250u
#define SMALL_COPY 512u /* received data up to this size is copied out of its pool pbuf */

enum { S_FREE = 0, S_UDP, S_LISTEN, S_TCP };
enum { F_EOF = 1, F_ERR = 2, F_PENDING = 4 /* accepted by lwIP, not yet by the runtime */ };

typedef struct {
  struct pbuf *p;
  ip4_addr_t from;
  uint16_t port;
} dgram_t;

typedef struct {
  uint8_t kind, flags, head, count;
  int8_t err;
  union {
    struct udp_pcb *udp;
    struct tcp_pcb *tcp;
  } pcb;
  union {
    dgram_t dq[UDP_QUEUE];
    struct pbuf *rx;        /* TCP: the received stream not yet taken */
    int8_t aq[ACCEPT_QUEUE]; /* listener: slots of accepted connections */
  } q;
} slot_t;

static slot_t slots[SLOTS];
static struct netif nif;
static tb_lwip_config_t conf;
static int up; /* tb_lwip_init() succeeded */
static uint32_t link_at, fallback_at;
static int fallback_armed;
static uint32_t rx_frames, rx_dropped;

u32_t sys_now(void) { return tb_port_millis(); }

/* ---- slots ---- */

static slot_t *slot_new(uint8_t kind) {
  for (int i = 0; i < SLOTS; i++)
    if (slots[i].kind == S_FREE) {
      memset(&slots[i], 0, sizeof slots[i]);
      slots[i].kind = kind;
      return &slots[i];
    }
  return NULL;
}

static int handle_of(const slot_t *s) { return (int)(s - slots); }

static slot_t *slot_get(int h, uint8_t kind) {
  if (h < 0 || h >= SLOTS || slots[h].kind != kind) return NULL;
  return &slots[h];
}

static int map_err(err_t e) {
  switch (e) {
    case ERR_OK: return TB_OK;
    case ERR_MEM:
    case ERR_BUF: return TB_ENOMEM;
    case ERR_USE: return TB_EADDRINUSE;
    case ERR_RST:
    case ERR_ABRT:
    case ERR_CLSD:
    case ERR_CONN: return TB_ECONNRESET;
    case ERR_VAL:
    case ERR_ARG: return TB_EINVAL;
    default: return TB_EIO;
  }
}

/* Small data leaves its pool pbuf (a whole frame's worth of RAM) for an exact copy in lwIP's heap,
 * so pool pbufs stay free for incoming frames. */
static struct pbuf *compact(struct pbuf *p) {
  if (p->tot_len > SMALL_COPY || pbuf_get_allocsrc(p) != PBUF_TYPE_ALLOC_SRC_MASK_STD_MEMP_PBUF_POOL) return p;
  struct pbuf *q = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
  if (!q) return p;
  pbuf_free(p);
  return q;
}

static void text_of(const ip4_addr_t *a, char out[TB_ADDR_MAX]) {
  if (!ip4addr_ntoa_r(a, out, TB_ADDR_MAX)) strcpy(out, "0.0.0.0");
}

/* ---- UDP ---- */

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port) {
  (void)pcb;
  slot_t *s = arg;
  if (s->count >= UDP_QUEUE) {
    pbuf_free(p);
    return;
  }
  dgram_t *d = &s->q.dq[(s->head + s->count) % UDP_QUEUE];
  d->p = compact(p);
  ip4_addr_copy(d->from, *ip_2_ip4(addr));
  d->port = port;
  s->count++;
}

int tb_port_udp_open(uint16_t port, const char *address) {
  (void)address; /* one interface: bound to any address */
  slot_t *s = slot_new(S_UDP);
  if (!s) return TB_ENOMEM;
  struct udp_pcb *pcb = udp_new();
  if (!pcb) {
    s->kind = S_FREE;
    return TB_ENOMEM;
  }
  err_t e = udp_bind(pcb, IP4_ADDR_ANY, port);
  if (e != ERR_OK) {
    udp_remove(pcb);
    s->kind = S_FREE;
    return map_err(e);
  }
  udp_recv(pcb, on_udp, s);
  s->pcb.udp = pcb;
  return handle_of(s);
}

uint16_t tb_port_udp_local_port(int handle) {
  slot_t *s = slot_get(handle, S_UDP);
  return s ? s->pcb.udp->local_port : 0;
}

int tb_port_udp_send(int handle, const uint8_t *data, size_t length, const char *address, uint16_t port) {
  slot_t *s = slot_get(handle, S_UDP);
  ip4_addr_t to;
  if (!s) return TB_EINVAL;
  if (!address || !ip4addr_aton(address, &to) || length > 0xFFFF - 28) return TB_EINVAL;
  struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)length, PBUF_RAM);
  if (!p) return TB_EAGAIN;
  pbuf_take(p, data, (u16_t)length);
  ip_addr_t dst;
  ip_addr_copy_from_ip4(dst, to);
  err_t e = udp_sendto(s->pcb.udp, p, &dst, port);
  pbuf_free(p);
  return e == ERR_OK ? TB_OK : e == ERR_MEM ? TB_EAGAIN : map_err(e);
}

int tb_port_udp_recv(int handle, uint8_t *buf, size_t cap, char from[TB_ADDR_MAX], uint16_t *from_port) {
  slot_t *s = slot_get(handle, S_UDP);
  if (!s) return TB_EINVAL;
  if (!s->count) return TB_EAGAIN;
  dgram_t *d = &s->q.dq[s->head];
  u16_t n = d->p->tot_len < cap ? d->p->tot_len : (u16_t)cap;
  pbuf_copy_partial(d->p, buf, n, 0);
  text_of(&d->from, from);
  *from_port = d->port;
  pbuf_free(d->p);
  d->p = NULL;
  s->head = (uint8_t)((s->head + 1) % UDP_QUEUE);
  s->count--;
  return n;
}

void tb_port_udp_close(int handle) {
  slot_t *s = slot_get(handle, S_UDP);
  if (!s) return;
  udp_remove(s->pcb.udp);
  for (; s->count; s->count--, s->head = (uint8_t)((s->head + 1) % UDP_QUEUE)) pbuf_free(s->q.dq[s->head].p);
  s->kind = S_FREE;
}

/* ---- TCP ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  (void)pcb;
  slot_t *s = arg;
  if (!p) {
    s->flags |= F_EOF;
    return ERR_OK;
  }
  if (err != ERR_OK) {
    pbuf_free(p);
    return ERR_OK;
  }
  p = compact(p);
  if (s->q.rx) pbuf_cat(s->q.rx, p);
  else s->q.rx = p;
  return ERR_OK;
}

/* The PCB is gone (reset by the peer, aborted, retransmissions exhausted). */
static void on_err(void *arg, err_t err) {
  slot_t *s = arg;
  if (!s) return;
  s->pcb.tcp = NULL;
  s->flags |= F_ERR;
  s->err = (int8_t)(err == ERR_RST || err == ERR_ABRT || err == ERR_CLSD ? TB_ECONNRESET : map_err(err));
}

static void tcp_detach(slot_t *s) {
  struct tcp_pcb *pcb = s->pcb.tcp;
  if (s->q.rx) {
    /* Unread data would make tcp_close() answer with a reset: count it as read first. */
    if (pcb) tcp_recved(pcb, s->q.rx->tot_len);
    pbuf_free(s->q.rx);
    s->q.rx = NULL;
  }
  if (pcb) {
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL); /* lwIP's default from now on: discard and acknowledge */
    tcp_err(pcb, NULL);
    if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
  }
  s->pcb.tcp = NULL;
  s->kind = S_FREE;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  slot_t *l = arg;
  if (err != ERR_OK || !pcb || !l) return ERR_VAL;
  if (l->count >= ACCEPT_QUEUE) return ERR_MEM; /* lwIP aborts it */
  slot_t *s = slot_new(S_TCP);
  if (!s) return ERR_MEM;
  s->flags = F_PENDING;
  s->pcb.tcp = pcb;
  tcp_arg(pcb, s);
  tcp_recv(pcb, on_recv);
  tcp_err(pcb, on_err);
  tcp_nagle_disable(pcb);
  l->q.aq[(l->head + l->count) % ACCEPT_QUEUE] = (int8_t)handle_of(s);
  l->count++;
  return ERR_OK;
}

int tb_port_tcp_listen(uint16_t port, const char *address) {
  (void)address;
  slot_t *s = slot_new(S_LISTEN);
  if (!s) return TB_ENOMEM;
  struct tcp_pcb *pcb = tcp_new();
  if (!pcb) {
    s->kind = S_FREE;
    return TB_ENOMEM;
  }
  ip_set_option(pcb, SOF_REUSEADDR);
  err_t e = tcp_bind(pcb, IP4_ADDR_ANY, port);
  struct tcp_pcb *lpcb = e == ERR_OK ? tcp_listen_with_backlog(pcb, ACCEPT_QUEUE) : NULL;
  if (!lpcb) {
    tcp_close(pcb);
    s->kind = S_FREE;
    return e == ERR_OK ? TB_ENOMEM : map_err(e);
  }
  tcp_arg(lpcb, s);
  tcp_accept(lpcb, on_accept);
  s->pcb.tcp = lpcb;
  return handle_of(s);
}

int tb_port_tcp_accept(int listener, char peer[TB_ADDR_MAX], uint16_t *peer_port) {
  slot_t *l = slot_get(listener, S_LISTEN);
  if (!l) return TB_EINVAL;
  if (!l->count) return TB_EAGAIN;
  slot_t *s = &slots[l->q.aq[l->head]];
  l->head = (uint8_t)((l->head + 1) % ACCEPT_QUEUE);
  l->count--;
  s->flags &= (uint8_t)~F_PENDING;
  if (s->pcb.tcp) {
    text_of(ip_2_ip4(&s->pcb.tcp->remote_ip), peer);
    *peer_port = s->pcb.tcp->remote_port;
  } else {
    strcpy(peer, "0.0.0.0"); /* reset before it was taken: the first read reports it */
    *peer_port = 0;
  }
  return handle_of(s);
}

int tb_port_tcp_send(int handle, const uint8_t *data, size_t length) {
  slot_t *s = slot_get(handle, S_TCP);
  if (!s) return TB_EINVAL;
  struct tcp_pcb *pcb = s->pcb.tcp;
  if (!pcb) return s->err ? s->err : TB_ECONNRESET;
  if (!length) return 0;
  size_t n = tcp_sndbuf(pcb);
  if (n > length) n = length;
  if (!n || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 1) return TB_EAGAIN;
  err_t e;
  while ((e = tcp_write(pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY)) == ERR_MEM && n > TCP_MSS) n /= 2;
  if (e == ERR_MEM) return TB_EAGAIN;
  if (e != ERR_OK) return map_err(e);
  tcp_output(pcb);
  return (int)n;
}

int tb_port_tcp_recv(int handle, uint8_t *buf, size_t cap) {
  slot_t *s = slot_get(handle, S_TCP);
  if (!s) return TB_EINVAL;
  if (s->q.rx) {
    u16_t n = s->q.rx->tot_len < cap ? s->q.rx->tot_len : (u16_t)(cap > 0xFFFF ? 0xFFFF : cap);
    pbuf_copy_partial(s->q.rx, buf, n, 0);
    s->q.rx = pbuf_free_header(s->q.rx, n);
    if (s->pcb.tcp) tcp_recved(s->pcb.tcp, n);
    return n;
  }
  if (s->flags & F_ERR) return s->err;
  if (s->flags & F_EOF) return 0;
  return TB_EAGAIN;
}

void tb_port_tcp_shutdown(int handle) {
  slot_t *s = slot_get(handle, S_TCP);
  if (s && s->pcb.tcp) {
    tcp_shutdown(s->pcb.tcp, 0, 1);
    tcp_output(s->pcb.tcp);
  }
}

void tb_port_tcp_close(int handle) {
  slot_t *s;
  if ((s = slot_get(handle, S_TCP))) {
    tcp_detach(s);
  } else if ((s = slot_get(handle, S_LISTEN))) {
    for (; s->count; s->count--, s->head = (uint8_t)((s->head + 1) % ACCEPT_QUEUE)) tcp_detach(&slots[s->q.aq[s->head]]);
    tcp_arg(s->pcb.tcp, NULL);
    tcp_accept(s->pcb.tcp, NULL);
    tcp_close(s->pcb.tcp); /* a listening PCB is freed at once */
    s->kind = S_FREE;
  }
}

/* ---- the interface ---- */

static err_t nif_output(struct netif *n, struct pbuf *p) {
  (void)n;
  static uint8_t frame[TB_NETDEV_FRAME_MAX];
  const uint8_t *data;
  if (p->next == NULL) data = p->payload;
  else {
    if (p->tot_len > sizeof frame) return ERR_BUF;
    pbuf_copy_partial(p, frame, p->tot_len, 0);
    data = frame;
  }
  int r = conf.dev->send(data, p->tot_len);
  LINK_STATS_INC(link.xmit);
  if (r < 0) {
    LINK_STATS_INC(link.drop);
    return ERR_IF;
  }
  return ERR_OK;
}

static err_t nif_init(struct netif *n) {
  n->name[0] = 'e';
  n->name[1] = 'n';
  n->hwaddr_len = ETH_HWADDR_LEN;
  memcpy(n->hwaddr, conf.mac, ETH_HWADDR_LEN);
  n->mtu = 1500;
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  n->output = etharp_output;
  n->linkoutput = nif_output;
#if LWIP_NETIF_HOSTNAME
  n->hostname = conf.hostname;
#endif
  return ERR_OK;
}

static void set_static(void) {
  ip4_addr_t a, m, g;
  if (!ip4addr_aton(conf.address ? conf.address : "", &a)) ip4_addr_set_zero(&a);
  if (!ip4addr_aton(conf.netmask ? conf.netmask : "", &m)) IP4_ADDR(&m, 255, 255, 255, 0);
  if (!ip4addr_aton(conf.gateway ? conf.gateway : "", &g)) ip4_addr_set_zero(&g);
  netif_set_addr(&nif, &a, &m, &g);
}

static void on_status(struct netif *n) {
  char a[16], g[16];
  text_of(netif_ip4_addr(n), a);
  text_of(netif_ip4_gw(n), g);
  if (!ip4_addr_isany_val(*netif_ip4_addr(n)))
    tb_console_printf("net: %s address %s, gateway %s\n", dhcp_supplied_address(n) ? "DHCP" : "static", a, g);
}

static void on_link(struct netif *n) {
  tb_console_printf("net: link %s\n", netif_is_link_up(n) ? "up" : "down");
  if (!netif_is_link_up(n)) return;
  if (conf.dhcp) {
    /* Ask again from scratch; the static address stands in if nobody answers in time. */
    dhcp_start(n);
    fallback_at = sys_now() + (conf.dhcp_fallback_ms ? conf.dhcp_fallback_ms : 10000u);
    fallback_armed = 1;
  }
}

int tb_lwip_init(const tb_lwip_config_t *cfg) {
  conf = *cfg;
  memset(slots, 0, sizeof slots);
  lwip_init();
  int r = conf.dev->init(conf.mac);
  if (r < 0) {
    tb_console_printf("net: %s did not start (%d)\n", conf.dev->name, r);
    return TB_EHW;
  }
  ip4_addr_t zero;
  ip4_addr_set_zero(&zero);
  if (!netif_add(&nif, &zero, &zero, &zero, NULL, nif_init, ethernet_input)) return TB_EHW;
  netif_set_default(&nif);
  netif_set_status_callback(&nif, on_status);
  netif_set_link_callback(&nif, on_link);
  if (!conf.dhcp) set_static();
  netif_set_up(&nif);
  up = 1;
  link_at = sys_now();
  if (conf.dev->link_poll()) netif_set_link_up(&nif);
  else tb_console_printf("net: link down\n");
  return TB_OK;
}

const char *tb_lwip_address(char out[16]) {
  text_of(netif_ip4_addr(&nif), out);
  return out;
}

/* Frames in, timers, link: one bounded round. */
static void service(void) {
  if (!up) return;
  for (int k = 0; k < RX_BURST; k++) {
    struct pbuf *p = pbuf_alloc(PBUF_RAW, TB_NETDEV_FRAME_MAX, PBUF_POOL);
    if (!p) {
      /* No pbuf: the frame waits in the controller (and is dropped there when it overflows). */
      rx_dropped++;
      break;
    }
    int n = p->next ? 0 : conf.dev->recv(p->payload, p->len);
    if (n <= 0) {
      pbuf_free(p);
      break;
    }
    rx_frames++;
    LINK_STATS_INC(link.recv);
    pbuf_realloc(p, (u16_t)n);
    if (nif.input(p, &nif) != ERR_OK) pbuf_free(p);
  }
  sys_check_timeouts();
  uint32_t now = sys_now();
  if ((int32_t)(now - link_at) >= 0) {
    link_at = now + LINK_POLL_MS;
    int link = conf.dev->link_poll() > 0;
    if (link && !netif_is_link_up(&nif)) netif_set_link_up(&nif);
    else if (!link && netif_is_link_up(&nif)) netif_set_link_down(&nif);
  }
  if (fallback_armed && (int32_t)(now - fallback_at) >= 0) {
    fallback_armed = 0;
    if (!dhcp_supplied_address(&nif)) {
      /* DHCP keeps asking in the background; a lease replaces this address when it comes. */
      tb_console_printf("net: no DHCP answer, static address %s\n", conf.address ? conf.address : "(none)");
      set_static();
    }
  }
}

static uint8_t readiness(const slot_t *s, uint8_t want) {
  uint8_t got = 0;
  switch (s->kind) {
    case S_UDP:
      if (s->count) got |= TB_POLL_IN;
      break;
    case S_LISTEN:
      if (s->count) got |= TB_POLL_IN;
      break;
    case S_TCP:
      if (s->q.rx || (s->flags & (F_EOF | F_ERR))) got |= TB_POLL_IN;
      if (s->flags & F_ERR) got |= TB_POLL_ERR | TB_POLL_OUT;
      else if (s->pcb.tcp && tcp_sndbuf(s->pcb.tcp) >= (TCP_SND_BUF < TCP_MSS ? TCP_SND_BUF : TCP_MSS) &&
               tcp_sndqueuelen(s->pcb.tcp) < TCP_SND_QUEUELEN - 1)
        got |= TB_POLL_OUT;
      break;
    default: return TB_POLL_ERR;
  }
  return (uint8_t)(got & (want | TB_POLL_ERR));
}

int tb_port_poll(tb_poll_t *items, unsigned n, uint32_t timeout_ms) {
  uint32_t t0 = sys_now();
  for (;;) {
    service();
    int ready = 0;
    for (unsigned i = 0; i < n; i++) {
      items[i].got = items[i].handle >= 0 && items[i].handle < SLOTS ? readiness(&slots[items[i].handle], items[i].want) : TB_POLL_ERR;
      if (items[i].got) ready++;
    }
    uint32_t elapsed = sys_now() - t0;
    if (ready || elapsed >= timeout_ms) return ready;
    uint32_t left = timeout_ms - elapsed;
    if (up) {
      uint32_t t = sys_timeouts_sleeptime();
      if (t < left) left = t;
      if (LINK_POLL_MS < left) left = LINK_POLL_MS;
    }
    if (conf.idle && left) conf.idle(left);
  }
}

/* ---- figures ---- */

void tb_lwip_memory(tb_lwip_memory_t *out) {
  memset(out, 0, sizeof *out);
#if LWIP_STATS && MEM_STATS && MEMP_STATS
  out->heap_size = (uint32_t)lwip_stats.mem.avail;
  out->heap_used = (uint32_t)lwip_stats.mem.used;
  out->heap_max = (uint32_t)lwip_stats.mem.max;
  out->errors = lwip_stats.mem.err;
  for (int i = 0; i < MEMP_MAX; i++) {
    const struct memp_desc *d = memp_pools[i];
    const struct stats_mem *m = lwip_stats.memp[i];
    out->pools_size += (uint32_t)d->num * d->size;
    out->pools_used += (uint32_t)m->used * d->size;
    out->pools_max += (uint32_t)m->max * d->size;
    out->errors += m->err;
    if (i == MEMP_PBUF_POOL) out->pool_pbuf_max = m->max;
  }
#endif
  out->rx_frames = rx_frames;
  out->rx_dropped = rx_dropped;
}
