/* Internals shared by the core's files (runtime, loop, natives). Not part of the port interface. */
#ifndef TB_INTERNAL_H
#define TB_INTERNAL_H

#include <stdint.h>

#include "duktape.h"
#include "port.h"
#include "runtime.h"

/* Fixed tables: no allocation outside the arena. */
#ifndef TB_MAX_OBJS
#define TB_MAX_OBJS 24 /* UDP sockets + TCP servers + TCP connections */
#endif
#ifndef TB_MAX_TIMERS
#define TB_MAX_TIMERS 48
#endif
#ifndef TB_TCP_CHUNK
#define TB_TCP_CHUNK 4096 /* bytes per "data" event */
#endif
#ifndef TB_UDP_MAX
#define TB_UDP_MAX 2048 /* largest datagram taken (TFTP blksize 1468 + 4) */
#endif
#ifndef TB_TCP_HIGH_WATER
#define TB_TCP_HIGH_WATER 16384 /* write() returns false above this many queued bytes */
#endif
#ifndef TB_GC_PERCENT
#define TB_GC_PERCENT 75 /* the loop runs mark-and-sweep when the heap is fuller than this */
#endif
#ifndef TB_LINGER_MS
#define TB_LINGER_MS 3000 /* after our FIN, wait this long for the peer's before closing */
#endif

/* Hidden properties (Duktape hidden symbols: "\xFF" prefix, invisible to JS). */
#define HID_ID DUK_HIDDEN_SYMBOL("id")
#define HID_ON DUK_HIDDEN_SYMBOL("on")
#define HID_CB DUK_HIDDEN_SYMBOL("cb")
#define HID_QUEUE DUK_HIDDEN_SYMBOL("q")
#define HID_RX DUK_HIDDEN_SYMBOL("rx")

enum { TB_EXIT_NONE = 0, TB_EXIT_ERROR = 10 };

typedef struct {
  const tb_config_t *cfg;
  duk_context *ctx;
  uint32_t t0;       /* tb_port_millis() when this run started (Boot.millis origin) */
  int exit;          /* TB_EXIT_*: why the loop must stop */
  uint32_t jump_addr;
  int in_boot;       /* the boot-policy bundle is running */
  char last_error[320];
  char boot_reason[420];
} tb_rt_t;

extern tb_rt_t tb_rt;

/* Heap figures beyond the arena's: live bytes after the loop's last collection, their high-water mark
 * (this heap), collections run by the loop. */
typedef struct {
  uint32_t live;
  uint32_t live_peak;
  uint32_t gcs;
} tb_heap_t;
extern tb_heap_t tb_heap;
void tb_heap_live_update(void);

/* runtime.c */
void tb_log(const char *fmt, ...);
/* Record the error at the top of the stack as the last error, log it, and stop the loop. */
void tb_uncaught(duk_context *ctx, const char *where);
/* Push the stash's sub-object name (created on first use). */
/* Replace the object on top with its property name, created (a bare object) when missing. */
void tb_sub_object(duk_context *ctx, const char *name);
/* The heap stash's sub-object name, pushed (created when missing). */
void tb_stash_sub(duk_context *ctx, const char *name);
/* obj.name = value for the object on top. */
void tb_put_uint(duk_context *ctx, const char *name, duk_uint_t value);
/* Push a fresh Uint8Array of n bytes; returns its data. */
uint8_t *tb_push_u8(duk_context *ctx, uint32_t n);
/* Throw an Error whose message is text (never returns). */
duk_ret_t tb_throw(duk_context *ctx, const char *text);

/* modules */
void tb_push_flash(duk_context *ctx);
void tb_push_e(duk_context *ctx);
/* Math with min, max and floor only (mod_math.c): Duktape's Math built-in is configured out. */
void tb_push_math(duk_context *ctx);
void tb_push_boot(duk_context *ctx);
void tb_push_dgram(duk_context *ctx);
void tb_push_net(duk_context *ctx);

/* ---- objects with port handles: UDP sockets, TCP servers, TCP connections (loop.c) ---- */
enum { K_FREE = 0, K_UDP, K_SERVER, K_TCP };
enum {
  F_PAUSED = 1u << 0,         /* TCP: pause() — do not read */
  F_ENDING = 1u << 1,         /* TCP: end() — FIN after the queue */
  F_SHUT = 1u << 2,           /* TCP: FIN sent */
  F_EOF = 1u << 3,            /* TCP: the peer's FIN came ("end" emitted) */
  F_CLOSED = 1u << 4,         /* handle closed; "close" is emitted from the loop, then the slot is freed */
  F_LISTEN_PENDING = 1u << 5, /* "listening" (and the bind/listen callback) to emit */
  F_DRAIN_WANTED = 1u << 6,   /* write() returned false: "drain" when the queue empties */
  F_ERROR_PENDING = 1u << 7,  /* an "error" to emit (err holds the code) */
  F_SILENT = 1u << 8          /* closed by its owner (close()/destroy of UDP/server): no more events */
};

typedef struct {
  uint32_t id; /* 0: free slot; else (serial << 8) | slot index */
  int handle;  /* port handle, -1 once closed */
  uint8_t kind;
  uint16_t flags;
  int err;         /* TB_E* for F_ERROR_PENDING */
  uint32_t queued; /* TCP: bytes waiting in the JS-side queue */
  uint32_t qoff;   /* TCP: bytes of the first queued chunk already sent */
  uint32_t qhead;  /* TCP: index of the first unsent chunk in the queue array */
  uint32_t linger; /* TCP: millis when we stop waiting for the peer's FIN */
  uint16_t port;   /* local port (UDP / server) */
} tb_obj_t;

extern tb_obj_t tb_objs[TB_MAX_OBJS];
/* A free slot (kind set, handle -1), or NULL when the table is full. */
tb_obj_t *tb_obj_new(uint8_t kind);
tb_obj_t *tb_obj_find(uint32_t id);
/* The object for `this` of a native method (NULL when not registered or gone). */
tb_obj_t *tb_obj_this(duk_context *ctx);
/* Put the JS object at idx into the registry under o->id (so events can reach it) and mark it. */
void tb_obj_register(duk_context *ctx, duk_idx_t idx, tb_obj_t *o);
/* Close o's port handle now. */
void tb_obj_close_handle(tb_obj_t *o);
/* Forget o: free its slot and drop the JS object from the registry. */
void tb_obj_release(duk_context *ctx, tb_obj_t *o);
/* Queue bytes for a TCP connection (sends what it can right away). Returns the queued total. */
uint32_t tb_tcp_write(duk_context *ctx, tb_obj_t *o, duk_idx_t obj_idx, const uint8_t *data, size_t n);
const char *tb_err_text(int err);
/* net: push a new socket object for an accepted connection (its prototype is cached per heap). */
void tb_push_tcp_socket(duk_context *ctx, tb_obj_t *o, const char *peer, uint16_t peer_port);

/* loop.c */
void tb_loop_init(void);
/* Close every port handle the tables hold (heap teardown). */
void tb_loop_close_all(void);
/* Run until tb_rt.exit is set; call inside a protected call. */
duk_ret_t tb_loop_run(duk_context *ctx, void *udata);
duk_ret_t tb_native_set_timeout(duk_context *ctx);
duk_ret_t tb_native_atob(duk_context *ctx);
duk_ret_t tb_native_clear_timeout(duk_context *ctx);
/* Call handler ev of object id with the nargs values on top of the stack (popped). Returns 0, or -1
 * when the handler threw (recorded; the loop stops). */
int tb_emit(duk_context *ctx, uint32_t id, const char *ev, int nargs);

/* TFTP receive offload on UDP socket o (dgram offload(), loop.c): in-order full DATA blocks from the
 * peer are gathered into a buffer of limit bytes and acknowledged at each window boundary without JS.
 * Returns 0 when it is not armed (another socket has it, or it holds blocks, or a packet that ended
 * it is still to be delivered). */
int tb_rx_arm(duk_context *ctx, tb_obj_t *o, const char *peer, uint16_t port, uint16_t next, uint16_t blksize, uint16_t window, uint32_t limit);

#endif
