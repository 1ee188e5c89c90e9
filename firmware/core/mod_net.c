/*
 * require("dgram") and require("net"): the subset of Node's shapes the servers use, over the port's
 * non-blocking sockets. Events are delivered by the loop (loop.c), never from inside the call that
 * caused them ("listening" after bind(), "close" after end()/destroy()).
 */
#include <string.h>

#include "internal.h"

static duk_ret_t m_on(duk_context *ctx) {
  const char *ev = duk_require_string(ctx, 0);
  duk_push_this(ctx);
  duk_dup_top(ctx);
  tb_sub_object(ctx, HID_ON);
  duk_dup(ctx, 1);
  duk_put_prop_string(ctx, -2, ev);
  duk_pop(ctx);
  return 1; /* this, for chaining */
}

static void push_proto(duk_context *ctx, const char *key, const duk_function_list_entry *fns) {
  duk_push_heap_stash(ctx);
  if (!duk_get_prop_string(ctx, -1, key)) {
    duk_pop(ctx);
    duk_push_object(ctx);
    duk_put_function_list(ctx, -1, fns);
    duk_push_c_function(ctx, m_on, 2);
    duk_put_prop_string(ctx, -2, "on");
    duk_dup_top(ctx);
    duk_put_prop_string(ctx, -3, key);
  }
  duk_remove(ctx, -2);
}

/* Optional (address, cb) after a port: (port), (port, cb), (port, address), (port, address, cb). */
static void address_and_cb(duk_context *ctx, const char **address, duk_idx_t *cb) {
  *address = NULL;
  *cb = -1;
  if (duk_is_callable(ctx, 1)) *cb = 1;
  else {
    if (duk_is_string(ctx, 1)) *address = duk_get_string(ctx, 1);
    if (duk_is_callable(ctx, 2)) *cb = 2;
  }
}

static duk_ret_t open_common(duk_context *ctx, uint8_t kind) {
  uint32_t port = duk_is_number(ctx, 0) ? duk_get_uint(ctx, 0) : 0;
  if (port > 65535) return duk_range_error(ctx, "port %lu out of range", (unsigned long)port);
  const char *address;
  duk_idx_t cb;
  address_and_cb(ctx, &address, &cb);
  duk_push_this(ctx);
  duk_get_prop_string(ctx, -1, HID_ID);
  if (duk_is_number(ctx, -1)) return duk_generic_error(ctx, kind == K_UDP ? "socket is already bound" : "server is already listening");
  duk_pop(ctx);
  tb_obj_t *o = tb_obj_new(kind);
  if (!o) return duk_range_error(ctx, "no socket left (%d in use)", TB_MAX_OBJS);
  int h = kind == K_UDP ? tb_port_udp_open((uint16_t)port, address) : tb_port_tcp_listen((uint16_t)port, address);
  tb_obj_register(ctx, -1, o);
  if (h < 0) {
    o->err = h;
    o->flags |= F_ERROR_PENDING | F_CLOSED | F_SILENT;
    return 0;
  }
  o->handle = h;
  o->port = kind == K_UDP ? tb_port_udp_local_port(h) : (uint16_t)port;
  if (cb >= 0) {
    duk_dup(ctx, cb);
    duk_put_prop_string(ctx, -2, HID_CB);
  }
  o->flags |= F_LISTEN_PENDING;
  return 0;
}

static duk_ret_t push_address(duk_context *ctx) {
  tb_obj_t *o = tb_obj_this(ctx);
  duk_push_object(ctx);
  duk_push_string(ctx, "127.0.0.1");
  duk_put_prop_string(ctx, -2, "address");
  duk_push_string(ctx, "IPv4");
  duk_put_prop_string(ctx, -2, "family");
  tb_put_uint(ctx, "port", o ? o->port : 0);
  return 1;
}

/* close() of a UDP socket or a server: no event follows. */
static duk_ret_t m_close(duk_context *ctx) {
  tb_obj_t *o = tb_obj_this(ctx);
  if (o) tb_obj_release(ctx, o);
  return 0;
}

/* ---- dgram ---- */

static duk_ret_t u_bind(duk_context *ctx) { return open_common(ctx, K_UDP); }

static duk_ret_t u_send(duk_context *ctx) {
  duk_size_t len;
  const uint8_t *p = (const uint8_t *)duk_require_buffer_data(ctx, 0, &len);
  uint32_t off = duk_get_uint(ctx, 1), n = duk_get_uint(ctx, 2);
  uint32_t port = duk_require_uint(ctx, 3);
  const char *address = duk_is_string(ctx, 4) ? duk_get_string(ctx, 4) : "127.0.0.1";
  if (off > len || n > len - off) return duk_range_error(ctx, "send: offset %lu + length %lu outside the buffer", (unsigned long)off, (unsigned long)n);
  tb_obj_t *o = tb_obj_this(ctx);
  if (!o || o->handle < 0) return 0; /* closed: dropped, as a datagram may be */
  tb_port_udp_send(o->handle, p + off, n, address, (uint16_t)port);
  return 0;
}

/* offload(address, port, nextBlock, blksize, windowsize, bytes): TFTP receive offload (contract.ts). */
static duk_ret_t u_offload(duk_context *ctx) {
  const char *peer = duk_require_string(ctx, 0);
  uint32_t port = duk_require_uint(ctx, 1), next = duk_require_uint(ctx, 2), bs = duk_require_uint(ctx, 3);
  uint32_t win = duk_require_uint(ctx, 4), limit = duk_require_uint(ctx, 5);
  if (strlen(peer) >= TB_ADDR_MAX || port > 65535 || next > 65535 || !bs || bs > TB_UDP_MAX - 4 || !win || win > 64 || limit > 65536)
    return duk_range_error(ctx, "offload: bad arguments");
  /* Whole windows, at least one: a full batch ends at a window boundary. */
  limit = limit / (bs * win) * (bs * win);
  if (!limit) limit = bs * win;
  tb_obj_t *o = tb_obj_this(ctx);
  duk_push_boolean(ctx, o && o->handle >= 0 && tb_rx_arm(ctx, o, peer, (uint16_t)port, (uint16_t)next, (uint16_t)bs, (uint16_t)win, limit));
  return 1;
}

static const duk_function_list_entry udp_fns[] = {
  {"offload", u_offload, 6}, {"bind", u_bind, 3}, {"send", u_send, 5}, {"close", m_close, 0}, {"address", push_address, 0}, {NULL, NULL, 0}};

static duk_ret_t d_create_socket(duk_context *ctx) {
  if (duk_is_string(ctx, 0) && strcmp(duk_get_string(ctx, 0), "udp4")) return duk_type_error(ctx, "only udp4 sockets");
  duk_push_object(ctx);
  push_proto(ctx, "pu", udp_fns);
  duk_set_prototype(ctx, -2);
  return 1;
}

void tb_push_dgram(duk_context *ctx) {
  duk_push_object(ctx);
  duk_push_c_function(ctx, d_create_socket, 1);
  duk_put_prop_string(ctx, -2, "createSocket");
  /* u_send hands the datagram to the port, which sends it before returning (lwIP: the frame is in
   * the driver's DMA ring; host: sendto). */
  duk_push_true(ctx);
  duk_put_prop_string(ctx, -2, "sendsNow");
}

/* ---- net: connections ---- */

static duk_ret_t t_write(duk_context *ctx) {
  tb_obj_t *o = tb_obj_this(ctx);
  duk_size_t n;
  const uint8_t *p;
  if (duk_is_string(ctx, 0)) p = (const uint8_t *)duk_get_lstring(ctx, 0, &n);
  else p = (const uint8_t *)duk_require_buffer_data(ctx, 0, &n);
  if (!o || (o->flags & (F_CLOSED | F_ENDING))) {
    duk_push_false(ctx);
    return 1;
  }
  duk_push_this(ctx);
  uint32_t queued = tb_tcp_write(ctx, o, -1, p, n);
  if (queued > TB_TCP_HIGH_WATER) o->flags |= F_DRAIN_WANTED;
  duk_push_boolean(ctx, queued <= TB_TCP_HIGH_WATER && !(o->flags & F_CLOSED));
  return 1;
}

static duk_ret_t t_end(duk_context *ctx) {
  tb_obj_t *o = tb_obj_this(ctx);
  if (!o) return 0;
  if (!duk_is_undefined(ctx, 0) && !duk_is_null(ctx, 0)) {
    duk_push_this(ctx);
    duk_size_t n;
    const uint8_t *p = duk_is_string(ctx, 0) ? (const uint8_t *)duk_get_lstring(ctx, 0, &n) : (const uint8_t *)duk_require_buffer_data(ctx, 0, &n);
    tb_tcp_write(ctx, o, -1, p, n);
  }
  o->flags |= F_ENDING;
  return 0;
}

static duk_ret_t t_destroy(duk_context *ctx) {
  tb_obj_t *o = tb_obj_this(ctx);
  if (!o || (o->flags & F_CLOSED)) return 0;
  tb_obj_close_handle(o);
  o->flags = F_CLOSED; /* "close" follows from the loop; nothing else */
  o->queued = 0;
  return 0;
}

static duk_ret_t t_pause(duk_context *ctx) {
  tb_obj_t *o = tb_obj_this(ctx);
  if (o) o->flags |= F_PAUSED;
  return 0;
}

static duk_ret_t t_resume(duk_context *ctx) {
  tb_obj_t *o = tb_obj_this(ctx);
  if (o) o->flags &= (uint16_t)~F_PAUSED;
  return 0;
}

static duk_ret_t t_nothing(duk_context *ctx) {
  duk_push_this(ctx);
  return 1;
}

static const duk_function_list_entry tcp_fns[] = {{"write", t_write, 1},     {"end", t_end, 1},           {"destroy", t_destroy, 0},
                                                  {"pause", t_pause, 0},     {"resume", t_resume, 0},     {"setNoDelay", t_nothing, 1},
                                                  {"setKeepAlive", t_nothing, 2}, {"address", push_address, 0}, {NULL, NULL, 0}};

void tb_push_tcp_socket(duk_context *ctx, tb_obj_t *o, const char *peer, uint16_t peer_port) {
  (void)o;
  duk_push_object(ctx);
  push_proto(ctx, "pt", tcp_fns);
  duk_set_prototype(ctx, -2);
  duk_push_string(ctx, peer);
  duk_put_prop_string(ctx, -2, "remoteAddress");
  tb_put_uint(ctx, "remotePort", peer_port);
}

/* ---- net: servers ---- */

static duk_ret_t s_listen(duk_context *ctx) { return open_common(ctx, K_SERVER); }

static const duk_function_list_entry server_fns[] = {
  {"listen", s_listen, 3}, {"close", m_close, 1}, {"address", push_address, 0}, {NULL, NULL, 0}};

static duk_ret_t n_create_server(duk_context *ctx) {
  duk_push_object(ctx);
  push_proto(ctx, "ps", server_fns);
  duk_set_prototype(ctx, -2);
  if (duk_is_callable(ctx, 0)) {
    duk_push_bare_object(ctx);
    duk_dup(ctx, 0);
    duk_put_prop_string(ctx, -2, "connection");
    duk_put_prop_string(ctx, -2, HID_ON);
  }
  return 1;
}

void tb_push_net(duk_context *ctx) {
  duk_push_object(ctx);
  duk_push_c_function(ctx, n_create_server, 1);
  duk_put_prop_string(ctx, -2, "createServer");
}
