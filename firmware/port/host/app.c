/*
 * Jump, simulated: what the example application does on a board, as host/sim.ts does it in Node.
 * It prints "APP <version> running", confirms itself with typeboot_confirm() from
 * firmware/include/typeboot_app.h (the header real applications use; here its flash hooks are the
 * host port's) unless --no-confirm, and serves on the HTTP port:
 *   GET /app           {"version":..,"board":..,"confirmed":..}
 *   POST /app/update   sets the boot-request word 0x55504454 and resets into update mode
 *   POST /app/confirm  typeboot_confirm()
 * A minimal HTTP/1.1 responder: one request per connection, bounded buffers, every wait timed.
 *
 * --until-app (the power-cut campaign, scripts/faults.mjs): an application that confirmed itself
 * (now or before) prints "SIM EXIT flash-ops N erases E bytes B flash-ms T" (what the flash did since
 * the process started, T at datasheet typical times) and ends the process with exit code 0; one that is
 * not confirmed stands for an application that crashes at start-up: it resets at once.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host.h"
#include "port.h"

static uint32_t app_slot;
static const tb_board_t *app_board;
static uint32_t host_read32(uint32_t addr) {
  const uint8_t *p = tb_port_flash_memory() + (addr - app_board->flash_base);
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static int host_program32(uint32_t addr, uint32_t v) {
  uint8_t w[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  return tb_port_flash_program(addr, w, 4);
}
#define TYPEBOOT_SLOT_ADDR app_slot
#define TYPEBOOT_READ32(addr) host_read32(addr)
#define TYPEBOOT_PROGRAM32(addr, v) host_program32((addr), (v))
#define TYPEBOOT_SET_REQUEST(v) tb_port_request_set(v)
#define TYPEBOOT_RESET() /* host_app_run returns: the simulated reset */
#include "../../include/typeboot_app.h"

#define MAX_CONNS 8
#define REQ_MAX 8192
#define CONN_TIMEOUT_MS 10000

typedef struct {
  int fd;
  uint32_t since;
  size_t n;
  char req[REQ_MAX];
} conn_t;

static conn_t conns[MAX_CONNS];

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static const uint8_t *slot_bytes(const tb_board_t *b, uint32_t slot) { return tb_port_flash_memory() + (slot - b->flash_base); }

static void confirm(void) {
  if (typeboot_confirm()) host_log("app: cannot confirm the image");
}

static void version_of(const tb_board_t *b, uint32_t slot, char *out, size_t cap) {
  const uint8_t *h = slot_bytes(b, slot);
  unsigned major = h[0x10], minor = h[0x11], patch = (unsigned)h[0x12] | (unsigned)h[0x13] << 8;
  uint32_t build = rd32(h + 0x14);
  if (build) snprintf(out, cap, "%u.%u.%u+%lu", major, minor, patch, (unsigned long)build);
  else snprintf(out, cap, "%u.%u.%u", major, minor, patch);
}

/* Send all of it (a small reply into an empty socket buffer), bounded in time. */
static void send_all(int fd, const char *p, size_t n) {
  uint32_t start = tb_port_millis();
  while (n && tb_port_millis() - start < 2000) {
    int r = tb_port_tcp_send(fd, (const uint8_t *)p, n);
    if (r > 0) {
      p += r;
      n -= (size_t)r;
    } else if (r == TB_EAGAIN) {
      tb_poll_t it = {fd, TB_POLL_OUT, 0};
      tb_port_poll(&it, 1, 100);
    } else {
      return;
    }
  }
}

static void reply(conn_t *c, int code, const char *body) {
  char head[256];
  const char *reason = code == 200 ? "OK" : code == 404 ? "Not Found" : "Bad Request";
  int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", code,
                   reason, strlen(body));
  send_all(c->fd, head, (size_t)n);
  send_all(c->fd, body, strlen(body));
  tb_port_tcp_shutdown(c->fd);
  tb_port_tcp_close(c->fd);
  c->fd = -1;
}

/* Returns 1 when the application asks for a reset. */
static int handle(conn_t *c, const tb_board_t *b, uint32_t slot, const char *version) {
  char method[8] = "", path[64] = "";
  if (sscanf(c->req, "%7s %63s", method, path) != 2) {
    reply(c, 400, "{\"ok\":false,\"message\":\"bad request\"}\n");
    return 0;
  }
  char body[256];
  if (!strcmp(method, "GET") && !strcmp(path, "/app")) {
    snprintf(body, sizeof body, "{\"version\":\"%s\",\"board\":\"%s\",\"confirmed\":%s}\n", version, b->name, typeboot_is_confirmed() ? "true" : "false");
    reply(c, 200, body);
    return 0;
  }
  if (!strcmp(method, "POST") && !strcmp(path, "/app/update")) {
    typeboot_request_update();
    reply(c, 200, "{\"ok\":true,\"message\":\"rebooting into update mode\"}\n");
    return 1;
  }
  if (!strcmp(method, "POST") && !strcmp(path, "/app/confirm")) {
    confirm();
    reply(c, 200, "{\"ok\":true}\n");
    return 0;
  }
  reply(c, 404, "{\"ok\":false,\"message\":\"the application serves GET /app, POST /app/update, POST /app/confirm\"}\n");
  return 0;
}

static long content_length(const char *head) {
  const char *p = head;
  while ((p = strchr(p, '\n')) != NULL) {
    p++;
    if (!strncasecmp(p, "content-length:", 15)) return strtol(p + 15, NULL, 10);
  }
  return 0;
}

void host_app_run(const host_opts_t *o, const tb_board_t *b, uint32_t slot) {
  char version[48];
  version_of(b, slot, version, sizeof version);
  host_log("APP %s running", version);
  app_slot = slot;
  app_board = b;
  if (!o->no_confirm) confirm();
  if (o->until_app) {
    if (!typeboot_is_confirmed()) {
      host_log("app: not confirmed: crashes at start-up (reset)");
      return;
    }
    char report[120];
    host_flash_report(report, sizeof report);
    host_log("SIM EXIT flash-ops %s", report);
    exit(0);
  }
  int listener = -1;
  for (int tries = 0; listener < 0 && tries < 50; tries++) {
    listener = tb_port_tcp_listen((uint16_t)o->http_port, o->address);
    if (listener < 0) tb_port_poll(NULL, 0, 100);
  }
  if (listener < 0) {
    host_log("app: cannot listen on HTTP port %u", o->http_port);
    for (;;) tb_port_poll(NULL, 0, 60000); /* an application without network: runs until killed */
  }
  for (unsigned i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;
  int resetting = 0;
  uint32_t reset_at = 0;
  for (;;) {
    tb_poll_t items[MAX_CONNS + 1];
    int idx[MAX_CONNS + 1];
    unsigned n = 0;
    items[n].handle = listener;
    items[n].want = TB_POLL_IN;
    idx[n++] = -1;
    for (int i = 0; i < MAX_CONNS; i++) {
      if (conns[i].fd < 0) continue;
      items[n].handle = conns[i].fd;
      items[n].want = TB_POLL_IN;
      idx[n++] = i;
    }
    uint32_t now = tb_port_millis();
    if (resetting && (int32_t)(now - reset_at) >= 0) break;
    tb_port_poll(items, n, resetting ? 10 : 500);
    now = tb_port_millis();
    for (unsigned k = 0; k < n; k++) {
      if (idx[k] < 0) {
        if (!items[k].got) continue;
        char peer[TB_ADDR_MAX];
        uint16_t port;
        int fd;
        while ((fd = tb_port_tcp_accept(listener, peer, &port)) >= 0) {
          int slot_i = -1;
          for (int i = 0; i < MAX_CONNS; i++)
            if (conns[i].fd < 0) slot_i = i;
          if (slot_i < 0) {
            tb_port_tcp_close(fd);
            continue;
          }
          conns[slot_i].fd = fd;
          conns[slot_i].since = now;
          conns[slot_i].n = 0;
        }
        continue;
      }
      conn_t *c = &conns[idx[k]];
      if (c->fd < 0) continue;
      if (!items[k].got) {
        if (now - c->since > CONN_TIMEOUT_MS) {
          tb_port_tcp_close(c->fd);
          c->fd = -1;
        }
        continue;
      }
      int r = tb_port_tcp_recv(c->fd, (uint8_t *)c->req + c->n, REQ_MAX - 1 - c->n);
      if (r == TB_EAGAIN) continue;
      if (r <= 0) {
        tb_port_tcp_close(c->fd);
        c->fd = -1;
        continue;
      }
      c->n += (size_t)r;
      c->req[c->n] = 0;
      char *end = strstr(c->req, "\r\n\r\n");
      if (!end) {
        if (c->n >= REQ_MAX - 1) reply(c, 400, "{\"ok\":false,\"message\":\"request header too large\"}\n");
        continue;
      }
      /* Read the body too (not needed, but closing with unread bytes would reset the connection). */
      long need = (long)(end + 4 - c->req) + content_length(c->req);
      if ((long)c->n < need && need < REQ_MAX - 1) continue;
      if (handle(c, b, slot, version) && !resetting) {
        resetting = 1;
        reset_at = now + 50;
      }
    }
  }
  for (int i = 0; i < MAX_CONNS; i++)
    if (conns[i].fd >= 0) tb_port_tcp_close(conns[i].fd);
  tb_port_tcp_close(listener);
  host_log("board: reset");
}
