/**
 * The HTTP update server: login page, upload page, multipart upload from the browser, raw
 * PUT/POST /api/firmware for curl, GET /api/status, POST /api/reboot.
 *
 * HTTP/1.1 with keep-alive; up to MAX_CONNS connections, each with its own request parser
 * (http-parser.ts) and one request at a time. Everything is bounded: the request head (4 KB, 431
 * beyond), other bodies (4 KB), upload bodies (the slot), the session table. A login is a session:
 * a 128-bit random token in an HttpOnly cookie with an expiry, kept per session (never one global
 * "logged in" flag). Image bytes go to the update service as they arrive.
 *
 * A request refused before its body is read gets "Connection: close"; the socket is half-closed
 * and what the client still sends is read and dropped for LINGER_MS (a lingering close), so the
 * client sees the answer rather than a reset.
 */
import type { Platform, TcpSocket, TimerId } from "../platform/contract";
import type { ImageError } from "../image/header";
import type { Upload, UpdateService } from "../update/service";
import { RequestHead, RequestSink, requestParser } from "./http-parser";
import { Headers, PartSink, concat, multipart, param } from "./multipart";

const OK = "200 OK";
const LOGIN = "log in first (or curl -u user:password)";
const IDLE_MS = 30000;
const LINGER_MS = 2000;
const MAX_CONNS = 8;
const MAX_SESSIONS = 16;
/** Room for the multipart framing around the image in POST /upload. */
const FORM_SLACK = 8192;

/** HTTP status of an update error code. */
function statusOf(code: string): number {
  return code === "BUSY" ? 409 : code === "TOO_LARGE" ? 413 : code === "FLASH_ERROR" ? 500 : code === "BAD_MULTIPART" ? 400 : code === "RESUME" ? 412 : 422;
}

/** Compare without stopping at the first difference. */
function same(a: string, b: string): boolean {
  let d = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return !d;
}

function unform(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch (x) {
    return "";
  }
}

/** One connection; it is its request parser's sink. Short names: the minifier keeps property names. */
interface Conn extends RequestSink {
  s: TcpSocket;
  /** The request parser's feed. */
  rp: (b: Uint8Array) => void;
  /** Deadline (millis): idle, or the end of a lingering close. */
  dl: number;
  /** Close the connection after the current response. */
  x: boolean;
  /** The current request: its head, its kind (0 other, 1 raw image, 2 form), its body as text (kind 0). */
  h: RequestHead | null;
  k: number;
  t: string;
  /** Kind 2: the multipart parser's feed and sink. */
  mp: ((b: Uint8Array) => string) | null;
  ps: PartSink | null;
  up: Upload | null;
  /** The error that ended the upload; the rest of the body is read and dropped. */
  er: ImageError | null;
  /** A service() call is scheduled. */
  bz: boolean;
}

export function startHttp(p: Platform, svc: UpdateService, opts: { port: number; address?: string; sessionTtlMs?: number }): { close(): void } {
  const E = p.E, boot = p.boot;
  const ttl = opts.sessionTtlMs || 1800000;
  /** Sessions: tokens and their expiry (millis); a new one takes the oldest slot. */
  const tokens: string[] = [], expiry: number[] = [];
  let slot = 0;
  const conns: Conn[] = [];
  let timer: TimerId | null = null;

  /** status: code and reason, "404 NOT_FOUND". */
  function send(c: Conn, status: string, type: string, body: Uint8Array | string, extra?: string): void {
    const b = typeof body === "string" ? E.toUint8Array(body) : body;
    c.s.write(concat(E.toUint8Array(
      "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " + b.length + "\r\n" + (extra || "") + (c.x ? "Connection: close\r\n\r\n" : "\r\n"),
    ), b));
    if (c.x) {
      // No more requests on this connection; what the client still sends is read and dropped.
      c.stop = true;
      c.s.end();
      c.dl = boot.millis() + LINGER_MS;
    }
  }

  function json(c: Conn, status: string, o: object): void {
    send(c, status, "application/json", JSON.stringify(o));
  }

  function fail(c: Conn, status: number, code: string, message: string): void {
    json(c, status + " " + code, { ok: false, code: code, message: message });
  }

  /** Refuse a request whose body has not been read: answer and close. */
  function refuse(c: Conn, status: number, code: string, message: string): void {
    c.x = true;
    fail(c, status, code, message);
  }

  function redirect(c: Conn, to: string, cookie?: string): void {
    send(c, "303 See Other", "text/plain", "", "Location: " + to + "\r\n" + (cookie ? "Set-Cookie: tb_session=" + cookie + "; HttpOnly; SameSite=Strict; Path=/\r\n" : ""));
  }

  /** A page asset. The login page ends in an open element (HTML lets </body></html> be left out) that msg fills. */
  function page(c: Conn, status: string, name: string, msg?: string): void {
    const a = boot.asset(name) || E.toUint8Array(name + " is missing");
    send(c, status, "text/html", msg ? concat(a, E.toUint8Array(msg)) : a);
  }

  function newSession(): string {
    let t = "";
    for (let i = 0; i < 4; i++) t += ("0000000" + (boot.random32() >>> 0).toString(16)).slice(-8);
    tokens[slot] = t;
    expiry[slot] = boot.millis() + ttl;
    slot = (slot + 1) % MAX_SESSIONS;
    return t;
  }

  /** A live session cookie (its expiry renewed), or HTTP Basic credentials (curl -u user:pass). */
  function authorized(h: Headers): boolean {
    const cr = boot.credentials();
    const m = /^Basic\s+(\S+)$/i.exec(h.authorization || "");
    const k = /tb_session=([0-9a-f]{32})/.exec(h.cookie || "");
    const i = k ? tokens.indexOf(k[1]) : -1;
    const now = boot.millis();
    if (i >= 0 && expiry[i] > now) return !!(expiry[i] = now + ttl);
    return !!(cr && m && same(p.atob(m[1]), cr.user + ":" + cr.password));
  }

  function push(c: Conn, b: Uint8Array): void {
    if (!c.up || c.er) return;
    c.er = c.up.push(b);
    if (c.er || c.bz) return;
    // Flash work (it may erase a sector) after the data is taken in; no reading meanwhile.
    c.bz = true;
    c.s.pause();
    p.setTimeout(function () {
      c.bz = false;
      if (c.up && !c.er) c.er = c.up.service();
      c.s.resume();
    }, 0);
  }

  function finish(c: Conn, e: ImageError | null): void {
    const u = c.up!;
    c.up = c.mp = c.ps = null;
    e = c.er || e;
    if (e) u.abort(e.code, e.message); // no-op when the service has already ended it
    else e = u.finish();
    if (e) return fail(c, statusOf(e.code), e.code, e.message);
    const l = svc.lastUpdate!;
    json(c, OK, { ok: true, version: l.version, bytes: l.bytes, rebooting: svc.rebooting });
  }

  function onHead(this: Conn, h: RequestHead): void {
    const c = this;
    const hd = h.headers;
    const r = h.req;
    const form = r === "POST /upload";
    const raw = /^(PUT|POST) \/api\/firmware$/.test(r);
    const max = raw ? svc.target.size : form ? svc.target.size + FORM_SLACK : 4096;
    c.x = /close/i.test(hd.connection || "") || h.version < "1"; // HTTP/1.0: one request per connection
    if (h.length > max) return refuse(c, 413, "TOO_LARGE", "body over the " + max + "-byte limit");
    c.h = h;
    c.t = "";
    c.k = 0;
    if (form || raw) {
      if (!authorized(hd)) return refuse(c, 401, "UNAUTHORIZED", LOGIN);
      if (!h.length) return refuse(c, 411, "LENGTH_REQUIRED", "no Content-Length");
      const ct = hd["content-type"] || "";
      const bd = param(ct, "boundary");
      if (form && (!/^multipart\/form-data/i.test(ct) || !bd)) return refuse(c, 400, "BAD_REQUEST", "send a multipart/form-data file");
      // Content-Range: bytes OFFSET-LAST/TOTAL with If-Match: "etag" continues an interrupted upload
      // (a body that does not end at TOTAL fails as TRUNCATED or TOO_LONG).
      const cr = raw && /^bytes (\d+)-\d+\/(\d+)$/.exec(hd["content-range"] || "");
      if (hd["content-range"] && !cr) return refuse(c, 400, "BAD_REQUEST", "Content-Range must be bytes OFFSET-LAST/TOTAL (a PUT continuing an upload)");
      const u = svc.begin("http", c.s.remoteAddress || "?", cr ? +cr[2] : raw ? h.length : 0, {
        allowDowngrade: /allow-downgrade/.test(h.q),
        offset: cr ? +cr[1] : 0,
        etag: cr ? (hd["if-match"] || "").replace(/"/g, "") : undefined,
      });
      if ("code" in u) return refuse(c, statusOf(u.code), u.code, u.message);
      c.up = u;
      c.er = null;
      // curl sends Expect: 100-continue for bodies over 1 MiB and would wait a second for this.
      if (/100-continue/i.test(hd.expect || "")) c.s.write("HTTP/1.1 100 Continue\r\n\r\n");
      c.k = raw ? 1 : 2;
      // The file is the first part with a filename, whatever its Content-Type.
      // file: 0 before that part, 1 in it, 2 after it. (A form without a file fails as TRUNCATED.)
      let file = 0;
      c.ps = {
        part: function (ph) {
          file = file ? 2 : param(ph["content-disposition"], "filename\\*?") !== undefined ? 1 : 0;
        },
        data: function (b) {
          if (file === 1) push(c, b);
        },
      };
      c.mp = multipart(E, bd!, c.ps);
    }
  }

  function onBody(this: Conn, b: Uint8Array): void {
    const c = this;
    if (c.k === 1) push(c, b);
    else if (c.k) {
      const m = c.er ? "" : c.mp!(b);
      if (m) c.er = { code: "BAD_MULTIPART", message: m };
    } else c.t += E.toString(b); // at most 4 KB
  }

  /** The end of a request: the answer. */
  function onEnd(this: Conn): void {
    const c = this, hd = c.h!.headers, r = c.h!.req;
    if (c.k) return finish(c, c.k > 1 && !c.ps!.done ? { code: "BAD_MULTIPART", message: "the form has no closing boundary" } : null);
    const cr = boot.credentials();
    const none = cr ? "" : "No credentials are set: logins are impossible.";
    if (r === "GET /") return page(c, OK, "login.html", none);
    if (r === "POST /login") {
      const f: { [k: string]: string } = {};
      const kv = c.t.split("&");
      for (let i = 0; i < kv.length; i++) {
        const e = kv[i].indexOf("=");
        if (e > 0) f[unform(kv[i].slice(0, e))] = unform(kv[i].slice(e + 1));
      }
      if (cr && same(f.user || "", cr.user) && same(f.password || "", cr.password)) return redirect(c, "/upload", newSession());
      return page(c, "401 Unauthorized", "login.html", none || "Wrong user name or password.");
    }
    if (r === "GET /upload") return authorized(hd) ? page(c, OK, "upload.html") : redirect(c, "/");
    // Readable without a login on purpose, for monitoring: board, versions, progress and the
    // last error are no secret, and a script or dashboard should not need the credentials.
    if (r === "GET /api/status") return json(c, OK, svc.status());
    if (r === "POST /api/reboot") {
      if (!authorized(hd)) return fail(c, 401, "UNAUTHORIZED", LOGIN);
      if (svc.active) return fail(c, 409, "BUSY", "an upload is in progress");
      svc.rebooting = true;
      json(c, OK, { ok: true, rebooting: true });
      p.setTimeout(function () {
        boot.reset();
      }, 300);
      return;
    }
    fail(c, 404, "NOT_FOUND", "no " + r.slice(0, 99));
  }

  function onError(this: Conn, status: number, message: string): void {
    refuse(this, status, "BAD_REQUEST", message);
  }

  /** Forget a connection (false if it was already); abort its upload, which frees the service for a retry. */
  function drop(c: Conn): boolean {
    const i = conns.indexOf(c);
    if (i >= 0) conns.splice(i, 1);
    c.stop = true;
    if (c.up) c.up.abort("ABORTED", "connection lost after " + c.up.received() + " bytes");
    c.up = null;
    return i >= 0;
  }

  const server = p.net.createServer(function (sk) {
    if (conns.length >= MAX_CONNS) return sk.destroy();
    const c: Conn = {
      s: sk, dl: boot.millis() + IDLE_MS, x: false, h: null, k: 0, t: "", mp: null, ps: null, up: null, er: null, bz: false, stop: false, rp: null as unknown as Conn["rp"],
      head: onHead, body: onBody, end: onEnd, error: onError,
    };
    c.rp = requestParser(E, c, 4096);
    conns.push(c);
    // Once only: a runtime may report "close" from inside end().
    const gone = function () {
      if (drop(c)) sk.end();
    };
    sk.on("data", function (d) {
      if (!c.stop) c.dl = boot.millis() + IDLE_MS;
      c.rp(d);
    });
    sk.on("end", gone);
    sk.on("close", gone);
    sk.on("error", gone);
  });
  server.on("error", function (e) {
    boot.log("http: " + e.message);
  });
  server.listen(opts.port, opts.address);

  // Idle connections and lingering closes end here; an abandoned upload is aborted with them.
  function sweep(): void {
    const now = boot.millis();
    for (let i = conns.length - 1; i >= 0; i--) {
      const c = conns[i];
      if (now > c.dl) {
        drop(c);
        c.s.destroy();
      }
    }
    timer = p.setTimeout(sweep, 1000);
  }
  sweep();

  return {
    close: function () {
      p.clearTimeout(timer!);
      server.close();
      while (conns.length) {
        const c = conns[0];
        drop(c);
        c.s.destroy();
      }
    },
  };
}
