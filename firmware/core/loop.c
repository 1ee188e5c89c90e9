/*
 * The event loop: timers ordered by due time, socket readiness from the port's poll, callbacks into
 * JS. JS objects that can receive events are kept reachable in the heap stash ("o": by table slot,
 * "t": timer functions by slot), so the C side holds only small integers. Every callback runs in a
 * protected call: an uncaught error is recorded and stops the loop (the runtime restarts it).
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "internal.h"

tb_obj_t tb_objs[TB_MAX_OBJS];
static uint32_t obj_serial;

typedef struct {
  uint32_t id; /* 0: free; else (serial << 8) | slot */
  uint32_t due;
  uint32_t seq; /* creation order: equal due times run in the order they were set */
} tb_timer_t;

static tb_timer_t timers[TB_MAX_TIMERS];
static uint32_t timer_serial, timer_seq;
static uint8_t io_buf[TB_TCP_CHUNK > TB_UDP_MAX ? TB_TCP_CHUNK : TB_UDP_MAX];

/* The TFTP receive offload (one at a time: see tb_rx_arm). */
static struct {
  uint32_t id; /* the socket's id; 0: off */
  char peer[TB_ADDR_MAX];
  uint16_t port;
  uint16_t next;  /* the block expected */
  uint16_t acked; /* the last block acknowledged */
  uint16_t bs, win, inwin;
  uint8_t nak; /* a duplicate was acknowledged again since the last progress */
  uint8_t hold; /* a batch is being delivered and the packet that ended it follows: no re-arming */
  uint32_t limit, count;
  uint8_t *buf; /* a fixed buffer in the JS heap (from the first block on), kept alive as the socket's HID_RX */
} rx;

static int32_t diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

void tb_loop_init(void) {
  memset(tb_objs, 0, sizeof tb_objs);
  for (unsigned i = 0; i < TB_MAX_OBJS; i++) tb_objs[i].handle = -1;
  memset(timers, 0, sizeof timers);
  memset(&rx, 0, sizeof rx);
}

void tb_obj_close_handle(tb_obj_t *o) {
  if (o->handle < 0) return;
  if (o->kind == K_UDP) tb_port_udp_close(o->handle);
  else tb_port_tcp_close(o->handle);
  o->handle = -1;
}

void tb_loop_close_all(void) {
  for (unsigned i = 0; i < TB_MAX_OBJS; i++) {
    tb_obj_close_handle(&tb_objs[i]);
    tb_objs[i].id = 0;
    tb_objs[i].kind = K_FREE;
  }
  memset(timers, 0, sizeof timers);
  memset(&rx, 0, sizeof rx);
}

const char *tb_err_text(int err) {
  switch (err) {
    case TB_EADDRINUSE: return "address in use (EADDRINUSE)";
    case TB_ENOMEM: return "no socket left (ENOMEM)";
    case TB_ECONNRESET: return "connection reset (ECONNRESET)";
    case TB_EINVAL: return "invalid address (EINVAL)";
    case TB_EAGAIN: return "would block (EAGAIN)";
    default: return "network error (EIO)";
  }
}

/* ---- the object table ---- */

tb_obj_t *tb_obj_new(uint8_t kind) {
  for (unsigned i = 0; i < TB_MAX_OBJS; i++) {
    tb_obj_t *o = &tb_objs[i];
    if (o->kind != K_FREE) continue;
    memset(o, 0, sizeof *o);
    o->handle = -1;
    o->kind = kind;
    obj_serial = (obj_serial + 1) & 0x7FFFFF;
    if (!obj_serial) obj_serial = 1;
    o->id = obj_serial << 8 | i;
    return o;
  }
  return NULL;
}

tb_obj_t *tb_obj_find(uint32_t id) {
  unsigned i = id & 0xFF;
  if (!id || i >= TB_MAX_OBJS || tb_objs[i].id != id || tb_objs[i].kind == K_FREE) return NULL;
  return &tb_objs[i];
}

tb_obj_t *tb_obj_this(duk_context *ctx) {
  duk_push_this(ctx);
  duk_get_prop_string(ctx, -1, HID_ID);
  uint32_t id = duk_is_number(ctx, -1) ? (uint32_t)duk_get_uint(ctx, -1) : 0;
  duk_pop_2(ctx);
  return tb_obj_find(id);
}

void tb_obj_register(duk_context *ctx, duk_idx_t idx, tb_obj_t *o) {
  idx = duk_normalize_index(ctx, idx);
  duk_push_uint(ctx, o->id);
  duk_put_prop_string(ctx, idx, HID_ID);
  tb_stash_sub(ctx, "o");
  duk_dup(ctx, idx);
  duk_put_prop_index(ctx, -2, o->id & 0xFF);
  duk_pop(ctx);
}

static void rx_off(duk_context *ctx, tb_obj_t *o);

void tb_obj_release(duk_context *ctx, tb_obj_t *o) {
  unsigned slot = o->id & 0xFF;
  rx_off(ctx, o);
  tb_obj_close_handle(o);
  o->id = 0;
  o->kind = K_FREE;
  tb_stash_sub(ctx, "o");
  duk_push_undefined(ctx);
  duk_put_prop_index(ctx, -2, slot);
  duk_pop(ctx);
}

/* Push the registered JS object of o (undefined if none). */
static void push_obj(duk_context *ctx, tb_obj_t *o) {
  tb_stash_sub(ctx, "o");
  duk_get_prop_index(ctx, -1, o->id & 0xFF);
  duk_remove(ctx, -2);
}

static int call(duk_context *ctx, int nargs, const char *where) {
  if (duk_pcall_method(ctx, nargs) != DUK_EXEC_SUCCESS) {
    tb_uncaught(ctx, where);
    duk_pop(ctx);
    return -1;
  }
  duk_pop(ctx);
  return 0;
}

int tb_emit(duk_context *ctx, uint32_t id, const char *ev, int nargs) {
  tb_obj_t *o = tb_obj_find(id);
  if (!o) {
    duk_pop_n(ctx, nargs);
    return 0;
  }
  push_obj(ctx, o);
  if (duk_is_object(ctx, -1)) duk_get_prop_string(ctx, -1, HID_ON);
  else duk_push_undefined(ctx);
  if (duk_is_object(ctx, -1)) duk_get_prop_string(ctx, -1, ev);
  else duk_push_undefined(ctx);
  if (!duk_is_callable(ctx, -1)) {
    /* Nobody listens for an error: Node would end the process; a bootloader logs it and goes on. */
    if (!strcmp(ev, "error") && nargs) tb_log("runtime: unhandled socket error: %s", duk_safe_to_string(ctx, -(nargs + 3)));
    duk_pop_n(ctx, 3 + nargs);
    return 0;
  }
  /* [args.. obj on fn] -> [fn obj args..] */
  duk_remove(ctx, -2);
  duk_insert(ctx, -(nargs + 2));
  duk_insert(ctx, -(nargs + 1));
  char where[40];
  snprintf(where, sizeof where, "'%s' handler", ev);
  return call(ctx, nargs, where);
}

/* The one-shot callback given to bind()/listen(). */
static int emit_cb(duk_context *ctx, tb_obj_t *o) {
  push_obj(ctx, o);
  duk_get_prop_string(ctx, -1, HID_CB);
  if (!duk_is_callable(ctx, -1)) {
    duk_pop_2(ctx);
    return 0;
  }
  duk_push_undefined(ctx);
  duk_put_prop_string(ctx, -3, HID_CB);
  duk_swap_top(ctx, -2);
  return call(ctx, 0, "bind/listen callback");
}

/* ---- TFTP receive offload (see tb_rx_arm) ---- */

int tb_rx_arm(duk_context *ctx, tb_obj_t *o, const char *peer, uint16_t port, uint16_t next, uint16_t blksize, uint16_t window, uint32_t limit) {
  (void)ctx;
  if (rx.hold || (rx.id && (rx.id != o->id || rx.count))) return 0;
  rx.id = o->id;
  snprintf(rx.peer, sizeof rx.peer, "%s", peer);
  rx.port = port;
  rx.next = next;
  rx.acked = (uint16_t)(next - 1);
  rx.bs = blksize;
  rx.win = window;
  rx.inwin = 0;
  rx.nak = 0;
  rx.limit = limit;
  rx.count = 0;
  return 1;
}

static void rx_ack(tb_obj_t *o, uint16_t block) {
  uint8_t a[4] = {0, 4, (uint8_t)(block >> 8), (uint8_t)block};
  tb_port_udp_send(o->handle, a, 4, rx.peer, rx.port);
}

/* Take the datagram if it continues the batch (or repeats the block last acknowledged): 1 if taken.
 * placed: its payload is already where it belongs, at buf + count (udp_input received it there). */
static int rx_take(duk_context *ctx, tb_obj_t *o, const uint8_t *p, int n, const char *from, uint16_t port, int placed) {
  if (port != rx.port || strcmp(from, rx.peer) || n != 4 + rx.bs || p[0] || p[1] != 3) return 0;
  uint16_t block = (uint16_t)(p[2] << 8 | p[3]);
  if (block == rx.acked && !rx.inwin) {
    /* The client did not get our ACK and sent the block again: ACK it again, once per gap (as the
     * TypeScript core does), and drop it. */
    if (!rx.nak) rx_ack(o, block);
    rx.nak = 1;
    return 1;
  }
  if (block != rx.next || rx.count + rx.bs > rx.limit) return 0;
  if (!rx.count) {
    /* The buffer comes with the first block, not when armed: the previous batch is gone by now. */
    push_obj(ctx, o);
    /* Fixed, filled before it is read; one byte more for udp_input's check of a datagram's length. */
    rx.buf = (uint8_t *)duk_push_buffer_raw(ctx, rx.limit + 1u, DUK_BUF_FLAG_NOZERO);
    duk_put_prop_string(ctx, -2, HID_RX);
    duk_pop(ctx);
  }
  if (!placed) memcpy(rx.buf + rx.count, p + 4, rx.bs);
  rx.count += rx.bs;
  rx.next++;
  rx.nak = 0;
  if (++rx.inwin == rx.win) {
    rx.inwin = 0;
    rx.acked = block;
    rx_ack(o, block);
  }
  return 1;
}

/* Turn the offload of o off and forget its buffer (no event). */
static void rx_off(duk_context *ctx, tb_obj_t *o) {
  if (rx.id != o->id) return;
  rx.id = 0;
  push_obj(ctx, o);
  if (duk_is_object(ctx, -1)) duk_del_prop_string(ctx, -1, HID_RX);
  duk_pop(ctx);
}

/* End the offload: deliver what it gathered ("batch": bytes, last block, last block acknowledged).
 * hold: a packet that ended it follows (the handler may not re-arm before it is delivered). */
static void rx_stop(duk_context *ctx, int hold) {
  tb_obj_t *o = tb_obj_find(rx.id);
  if (!o) {
    rx.id = 0;
    return;
  }
  uint32_t id = rx.id, count = rx.count;
  push_obj(ctx, o);
  duk_get_prop_string(ctx, -1, HID_RX);
  duk_swap_top(ctx, -2);
  duk_pop(ctx);
  rx_off(ctx, o);
  if (!count || !duk_is_buffer(ctx, -1)) {
    duk_pop(ctx);
    return;
  }
  duk_push_buffer_object(ctx, -1, 0, count, DUK_BUFOBJ_UINT8ARRAY);
  duk_remove(ctx, -2);
  duk_push_uint(ctx, (uint16_t)(rx.next - 1));
  duk_push_uint(ctx, rx.acked);
  rx.hold = (uint8_t)hold;
  tb_emit(ctx, id, "batch", 3);
  rx.hold = 0;
}

/* ---- timers ---- */

duk_ret_t tb_native_set_timeout(duk_context *ctx) {
  if (!duk_is_callable(ctx, 0)) return duk_type_error(ctx, "setTimeout: not a function");
  double ms = duk_to_number(ctx, 1);
  if (!(ms >= 1)) ms = 0; /* NaN, negative */
  if (ms > 0x7FFFFFFF) ms = 0x7FFFFFFF;
  for (unsigned i = 0; i < TB_MAX_TIMERS; i++) {
    if (timers[i].id) continue;
    timer_serial = (timer_serial + 1) & 0x7FFFFF;
    if (!timer_serial) timer_serial = 1;
    timers[i].id = timer_serial << 8 | i;
    timers[i].due = tb_port_millis() + (uint32_t)ms;
    timers[i].seq = timer_seq++;
    tb_stash_sub(ctx, "t");
    duk_dup(ctx, 0);
    duk_put_prop_index(ctx, -2, i);
    duk_push_uint(ctx, timers[i].id);
    return 1;
  }
  return duk_range_error(ctx, "setTimeout: more than %d timers", TB_MAX_TIMERS);
}

static void drop_timer(duk_context *ctx, unsigned i) {
  timers[i].id = 0;
  tb_stash_sub(ctx, "t");
  duk_push_undefined(ctx);
  duk_put_prop_index(ctx, -2, i);
  duk_pop(ctx);
}

duk_ret_t tb_native_clear_timeout(duk_context *ctx) {
  if (!duk_is_number(ctx, 0)) return 0;
  uint32_t id = (uint32_t)duk_get_uint(ctx, 0);
  unsigned i = id & 0xFF;
  if (id && i < TB_MAX_TIMERS && timers[i].id == id) drop_timer(ctx, i);
  return 0;
}

/* Run the timers due at now that existed before this pass (a 0 ms timer set by a callback runs in
 * the next pass, after the poll: sockets are not starved). */
static void run_timers(duk_context *ctx) {
  uint32_t now = tb_port_millis();
  uint32_t limit = timer_seq;
  while (!tb_rt.exit) {
    int best = -1;
    for (unsigned i = 0; i < TB_MAX_TIMERS; i++) {
      tb_timer_t *t = &timers[i];
      if (!t->id || diff(t->due, now) > 0 || diff(t->seq, limit) >= 0) continue;
      if (best < 0 || diff(t->due, timers[best].due) < 0 || (t->due == timers[best].due && diff(t->seq, timers[best].seq) < 0)) best = (int)i;
    }
    if (best < 0) return;
    if (rx.id) {
      /* A timer due (the transfer's retransmission, say) ends the offload: its batch first (its
       * handler may clear or set timers: choose again). */
      rx_stop(ctx, 0);
      continue;
    }
    tb_stash_sub(ctx, "t");
    duk_get_prop_index(ctx, -1, (duk_uarridx_t)best);
    duk_remove(ctx, -2);
    drop_timer(ctx, (unsigned)best);
    duk_push_undefined(ctx);
    call(ctx, 0, "timer callback");
  }
}

/* Milliseconds until the next timer (limit when none sooner). */
static uint32_t next_timer(uint32_t limit) {
  uint32_t now = tb_port_millis();
  for (unsigned i = 0; i < TB_MAX_TIMERS; i++) {
    if (!timers[i].id) continue;
    int32_t d = diff(timers[i].due, now);
    if (d <= 0) return 0;
    if ((uint32_t)d < limit) limit = (uint32_t)d;
  }
  return limit;
}

/* ---- TCP output ---- */

static void tcp_fail(tb_obj_t *o, int err) {
  o->err = err;
  o->flags |= F_ERROR_PENDING;
  tb_obj_close_handle(o);
  o->flags |= F_CLOSED;
}

uint32_t tb_tcp_write(duk_context *ctx, tb_obj_t *o, duk_idx_t obj_idx, const uint8_t *data, size_t n) {
  if (o->flags & (F_CLOSED | F_ENDING) || o->handle < 0 || !n) return o->queued;
  size_t sent = 0;
  if (!o->queued) {
    int r = tb_port_tcp_send(o->handle, data, n);
    if (r > 0) sent = (size_t)r;
    else if (r != TB_EAGAIN) {
      tcp_fail(o, r);
      return o->queued;
    }
  }
  if (sent < n) {
    obj_idx = duk_normalize_index(ctx, obj_idx);
    if (!duk_get_prop_string(ctx, obj_idx, HID_QUEUE)) {
      duk_pop(ctx);
      duk_push_array(ctx);
      duk_dup_top(ctx);
      duk_put_prop_string(ctx, obj_idx, HID_QUEUE);
    }
    uint8_t *copy = tb_push_u8(ctx, (uint32_t)(n - sent));
    memcpy(copy, data + sent, n - sent);
    duk_put_prop_index(ctx, -2, (duk_uarridx_t)duk_get_length(ctx, -2));
    duk_pop(ctx);
    o->queued += (uint32_t)(n - sent);
  }
  return o->queued;
}

static void tcp_flush(duk_context *ctx, tb_obj_t *o) {
  if (!o->queued || o->handle < 0) return;
  push_obj(ctx, o);
  if (!duk_is_object(ctx, -1) || !duk_get_prop_string(ctx, -1, HID_QUEUE)) {
    duk_pop_2(ctx);
    o->queued = 0;
    return;
  }
  duk_size_t len = duk_get_length(ctx, -1);
  while (o->qhead < len) {
    duk_get_prop_index(ctx, -1, o->qhead);
    duk_size_t n;
    const uint8_t *p = (const uint8_t *)duk_get_buffer_data(ctx, -1, &n);
    duk_pop(ctx);
    int r = p && n > o->qoff ? tb_port_tcp_send(o->handle, p + o->qoff, n - o->qoff) : (int)(n - o->qoff);
    if (r == TB_EAGAIN) break;
    if (r < 0) {
      tcp_fail(o, r);
      o->queued = 0;
      break;
    }
    o->qoff += (uint32_t)r;
    o->queued -= (uint32_t)r;
    if (o->qoff >= n) {
      duk_push_undefined(ctx);
      duk_put_prop_index(ctx, -2, o->qhead);
      o->qhead++;
      o->qoff = 0;
    }
  }
  if (o->qhead >= len || !o->queued) {
    duk_set_length(ctx, -1, 0);
    o->qhead = 0;
    o->qoff = 0;
    o->queued = 0;
  }
  duk_pop_2(ctx);
}

/* After end(): FIN once the queue is out; close once the peer's FIN came or the linger ran out. */
static void tcp_service(duk_context *ctx, tb_obj_t *o, uint32_t now) {
  if (o->kind != K_TCP || (o->flags & F_CLOSED)) return;
  tcp_flush(ctx, o);
  if (o->flags & F_CLOSED) return;
  if ((o->flags & F_ENDING) && !o->queued && !(o->flags & F_SHUT)) {
    tb_port_tcp_shutdown(o->handle);
    o->flags |= F_SHUT;
    o->linger = now + TB_LINGER_MS;
  }
  if ((o->flags & F_SHUT) && ((o->flags & F_EOF) || diff(now, o->linger) >= 0)) {
    tb_obj_close_handle(o);
    o->flags |= F_CLOSED;
  }
}

/* ---- events that were decided earlier and are delivered now (never inside the call that caused them) ---- */

static int has_pending(const tb_obj_t *o) {
  if (o->kind == K_FREE) return 0;
  if (o->flags & (F_LISTEN_PENDING | F_ERROR_PENDING | F_CLOSED)) return 1;
  return (o->flags & F_DRAIN_WANTED) && !o->queued;
}

static void run_pending(duk_context *ctx) {
  for (unsigned i = 0; i < TB_MAX_OBJS && !tb_rt.exit; i++) {
    tb_obj_t *o = &tb_objs[i];
    if (!has_pending(o)) continue;
    uint32_t id = o->id;
    if (o->flags & F_LISTEN_PENDING) {
      o->flags &= (uint16_t)~F_LISTEN_PENDING;
      if (emit_cb(ctx, o) || !tb_obj_find(id)) continue;
      tb_emit(ctx, id, "listening", 0);
      if (tb_rt.exit || !tb_obj_find(id)) continue;
    }
    if (o->flags & F_ERROR_PENDING) {
      o->flags &= (uint16_t)~F_ERROR_PENDING;
      duk_push_error_object(ctx, DUK_ERR_ERROR, "%s", tb_err_text(o->err));
      tb_emit(ctx, id, "error", 1);
      if (tb_rt.exit || !tb_obj_find(id)) continue;
    }
    if ((o->flags & F_DRAIN_WANTED) && !o->queued && !(o->flags & F_CLOSED)) {
      o->flags &= (uint16_t)~F_DRAIN_WANTED;
      tb_emit(ctx, id, "drain", 0);
      if (tb_rt.exit || !tb_obj_find(id)) continue;
    }
    if (o->flags & F_CLOSED) {
      if (o->kind == K_TCP && !(o->flags & F_SILENT)) {
        tb_emit(ctx, id, "close", 0);
        if (!tb_obj_find(id)) continue;
      }
      tb_obj_release(ctx, o);
    }
  }
}

/* ---- input ---- */

static void udp_input(duk_context *ctx, tb_obj_t *o) {
  uint32_t id = o->id;
  for (int k = 0; k < 16 && !tb_rt.exit && tb_obj_find(id) && o->handle >= 0; k++) {
    char from[TB_ADDR_MAX];
    uint16_t port = 0;
    int n, placed = 0;
    if (rx.id == id && rx.count && rx.bs >= 512) {
      /* Straight into the batch, no copy: the 4-byte header lands on the last 4 bytes of the block
       * before (kept aside and put back), and one byte more than a full block shows a longer
       * datagram (cut there: past a 512-byte block nothing the core reads is lost). */
      uint8_t *at = rx.buf + rx.count - 4, keep[4];
      memcpy(keep, at, 4);
      n = tb_port_udp_recv(o->handle, at, rx.bs + 5u, from, &port);
      placed = n == 4 + rx.bs;
      if (n > 0) memcpy(io_buf, at, placed ? 4u : (size_t)n);
      memcpy(at, keep, 4);
    } else {
      n = tb_port_udp_recv(o->handle, io_buf, TB_UDP_MAX, from, &port);
    }
    if (n < 0) return;
    if (rx.id == id) {
      if (rx_take(ctx, o, io_buf, n, from, port, placed)) {
        if (rx.count + rx.bs > rx.limit) rx_stop(ctx, 0);
        continue;
      }
      if (placed) memcpy(io_buf + 4, rx.buf + rx.count, rx.bs); /* the whole packet for the message */
      rx_stop(ctx, 1); /* the batch first, then this packet, as a message */
      if (tb_rt.exit || !tb_obj_find(id)) return;
    }
    memcpy(tb_push_u8(ctx, (uint32_t)n), io_buf, (size_t)n);
    duk_push_object(ctx);
    duk_push_string(ctx, from);
    duk_put_prop_string(ctx, -2, "address");
    duk_push_string(ctx, "IPv4");
    duk_put_prop_string(ctx, -2, "family");
    tb_put_uint(ctx, "port", port);
    tb_put_uint(ctx, "size", (unsigned)n);
    tb_emit(ctx, id, "message", 2);
  }
}

static void server_input(duk_context *ctx, tb_obj_t *o) {
  uint32_t id = o->id;
  for (int k = 0; k < 8 && !tb_rt.exit && tb_obj_find(id) && o->handle >= 0; k++) {
    char peer[TB_ADDR_MAX];
    uint16_t port = 0;
    int h = tb_port_tcp_accept(o->handle, peer, &port);
    if (h < 0) return;
    tb_obj_t *c = tb_obj_new(K_TCP);
    if (!c) {
      tb_port_tcp_close(h);
      tb_log("runtime: connection from %s:%u refused: all %d sockets in use", peer, (unsigned)port, TB_MAX_OBJS);
      continue;
    }
    c->handle = h;
    tb_push_tcp_socket(ctx, c, peer, port);
    tb_obj_register(ctx, -1, c);
    tb_emit(ctx, id, "connection", 1);
  }
}

static void tcp_input(duk_context *ctx, tb_obj_t *o) {
  uint32_t id = o->id;
  for (int k = 0; k < 4 && !tb_rt.exit && tb_obj_find(id); k++) {
    if (o->handle < 0 || (o->flags & (F_PAUSED | F_EOF | F_CLOSED))) return;
    int n = tb_port_tcp_recv(o->handle, io_buf, TB_TCP_CHUNK);
    if (n == TB_EAGAIN) return;
    if (n < 0) {
      tcp_fail(o, n);
      return;
    }
    if (n == 0) {
      /* The peer's FIN: "end", then (no half-open sockets, like Node's default) our end(). */
      o->flags |= F_EOF | F_ENDING;
      tb_emit(ctx, id, "end", 0);
      return;
    }
    memcpy(tb_push_u8(ctx, (uint32_t)n), io_buf, (size_t)n);
    tb_emit(ctx, id, "data", 1);
    if (n < TB_TCP_CHUNK) return;
  }
}

/* ---- the loop ---- */

/* Reference counting frees most garbage at once; cycles (a closure and its prototype object, made
 * for every callback the logic creates) wait for mark-and-sweep, which Duktape runs only after many
 * allocations or when one fails. The loop collects when the heap is fuller than TB_GC_PERCENT (or
 * higher, see below), so the peak stays below the arena's size with room to spare, and after each
 * collection it records the live bytes: their high-water mark is what the logic really needs. */
static void maybe_gc(duk_context *ctx, int force) {
  /* When the last collection left the live bytes close to that mark (a TFTP receive-offload buffer
   * is live while a transfer runs), the mark moves up to an eighth of the heap above them (at most
   * fifteen sixteenths of it): collecting at every pass would free nothing and cost more than the
   * work. Measured on the F407-sized heap of qemu-mps2-an386: a cap of 7/8 collected at every pass
   * of a TFTP upload (120 instructions per byte), 15/16 once in a while (29). An allocation that
   * finds the heap full still makes Duktape collect and retry by itself. */
  uint32_t size = tb_arena_size(), at = size / 100u * TB_GC_PERCENT, up = tb_heap.live + size / 8u;
  if (up > size / 16u * 15u) up = size / 16u * 15u;
  if (up > at) at = up;
  if (!force && tb_arena_used() < at) return;
  duk_gc(ctx, 0);
  tb_heap_live_update();
}

duk_ret_t tb_loop_run(duk_context *ctx, void *udata) {
  (void)udata;
  static tb_poll_t items[TB_MAX_OBJS];
  uint32_t ids[TB_MAX_OBJS];
  uint32_t heap_log_at = tb_port_millis();
  while (!tb_rt.exit) {
    run_pending(ctx);
    if (tb_rt.exit) break;
    run_timers(ctx);
    if (tb_rt.exit) break;
    uint32_t now = tb_port_millis();
    unsigned n = 0;
    int pending = 0;
    uint32_t wait = 1000;
    for (unsigned i = 0; i < TB_MAX_OBJS; i++) {
      tb_obj_t *o = &tb_objs[i];
      tcp_service(ctx, o, now);
      if (has_pending(o)) pending = 1;
      if (o->kind == K_FREE || o->handle < 0 || (o->flags & F_CLOSED)) continue;
      uint8_t want = 0;
      if (o->kind != K_TCP || !(o->flags & (F_PAUSED | F_EOF))) want |= TB_POLL_IN;
      if (o->kind == K_TCP && o->queued) want |= TB_POLL_OUT;
      if (o->kind == K_TCP && (o->flags & F_SHUT)) {
        int32_t d = diff(o->linger, now);
        if (d < 0) d = 0;
        if ((uint32_t)d < wait) wait = (uint32_t)d;
      }
      if (!want) continue;
      items[n].handle = o->handle;
      items[n].want = want;
      items[n].got = 0;
      ids[n] = o->id;
      n++;
    }
    wait = pending ? 0 : next_timer(wait);
    maybe_gc(ctx, 0);
    if (tb_rt.cfg->heap_log_ms) {
      if (diff(now, heap_log_at) >= 0) {
        tb_arena_stats_t s;
        tb_arena_stats(&s);
        uint32_t before = s.used;
        maybe_gc(ctx, 1);
        tb_arena_stats(&s);
        tb_log("heap: live %lu (high-water %lu) used %lu peak %lu size %lu collections %lu", (unsigned long)s.used, (unsigned long)tb_heap.live_peak,
               (unsigned long)before, (unsigned long)s.peak, (unsigned long)s.size, (unsigned long)tb_heap.gcs);
        heap_log_at = now + tb_rt.cfg->heap_log_ms;
      }
      int32_t d = diff(heap_log_at, now);
      if (d >= 0 && (uint32_t)d < wait) wait = (uint32_t)d;
    }
    if (tb_port_poll(items, n, wait) <= 0) continue;
    /* Connections first, their deferred events (close, error) next, new connections last: a peer
     * that closed a connection and then opened another one finds the first one gone, as it ended
     * first (a server at its connection limit would otherwise refuse the new one). */
    for (int pass = 0; pass < 2 && !tb_rt.exit; pass++) {
      if (pass) run_pending(ctx);
      for (unsigned k = 0; k < n && !tb_rt.exit; k++) {
        if (!items[k].got) continue;
        tb_obj_t *o = tb_obj_find(ids[k]);
        if (!o || o->handle != items[k].handle || (o->kind == K_SERVER) != pass) continue;
        if (o->kind == K_UDP) udp_input(ctx, o);
        else if (o->kind == K_SERVER) server_input(ctx, o);
        else {
          if (items[k].got & TB_POLL_OUT) tcp_flush(ctx, o);
          if (items[k].got & (TB_POLL_IN | TB_POLL_ERR)) tcp_input(ctx, o);
        }
      }
    }
  }
  return 0;
}
