/**
 * TFTP server for update mode: write requests (RFC 1350, octet) with options blksize (RFC 2348),
 * tsize and timeout (RFC 2349) and windowsize (RFC 7440); read requests for the status file.
 *
 * TftpCore is the protocol as a pure state machine: it takes events (a packet on the listening
 * socket or on a transfer socket, a timer that expired, the go-ahead for deferred flash work) and
 * returns actions (open a transfer socket, send bytes, set or clear a timer, do flash work, close).
 * It owns no socket and no timer; startTftp() binds it to the platform's dgram and timers.
 *
 * Flash timing: DATA is pushed to the upload, the ACK goes out, and only then does the upload do
 * its deferred flash work (an erase may stall the CPU for a second or two): the "service" action
 * comes after the "send" in the list. The binding runs it right away when the platform's send() has
 * put the datagram on the wire before returning (dgram.sendsNow: the native runtime), else from a
 * 0 ms timer (Node sends on a later tick), so the ACK has left before the CPU stalls.
 *
 * Receive offload (UdpSocket.offload, the native runtime): once a write transfer runs (its header
 * accepted), at each window boundary the binding lets the platform take the next full, in-order
 * blocks and ACK them itself; they come back as one batch (core.batch), pushed and serviced like
 * packets. The ACK keeps its meaning (received and queued; flash work follows), but the flash work
 * runs per batch: a flash error reaches the client a few blocks later than without offload. The
 * core decides everything else: options, errors, the last (short) block, gaps, retransmission.
 */
import type { Platform, TimerId, UdpSocket } from "../platform/contract";
import type { ImageError } from "../image/header";
import type { Upload, UploadOptions } from "../update/service";

/** What the core asks of the update service (UpdateService fits). */
export interface TftpService {
  begin(transport: string, peer: string, expectBytes: number, o?: UploadOptions): Upload | ImageError;
  status(): object;
}

/** s: socket id (0 = the listening socket, else a transfer). */
export interface TftpAction {
  k: "open" | "send" | "timer" | "service" | "close";
  s: number;
  /** send: the packet and where to. */
  b?: Uint8Array;
  a?: string;
  p?: number;
  /** timer: milliseconds, 0 = clear. */
  ms?: number;
}

export interface TftpSession {
  id: number;
  /** The peer's address and port (its TID). */
  a: string;
  p: number;
  /** Write: the upload. Read: null. */
  up: Upload | null;
  /** Read: the file. */
  data: Uint8Array | null;
  /** Write: last block received in order. Read: last block sent. */
  blk: number;
  bs: number;
  win: number;
  /** Write: blocks received in this window. */
  n: number;
  /** Retransmission interval. */
  ms: number;
  tries: number;
  /** The last packet sent, for retransmission. */
  last: Uint8Array;
  /** Write: final ACK sent, dallying. */
  done: boolean;
  /** An ACK was sent for an unexpected block since the last progress. */
  nak: boolean;
}

export const MAX_BLKSIZE = 1468;
export const MAX_WINDOW = 8;
/** Live transfers (one write, the others status reads) at once; dallying ones come on top. */
export const MAX_SESSIONS = 4;
/** Receive offload: bytes gathered natively before the core gets them (a JS heap buffer; 15 blocks
 *  of 1468). Per batch the JS side costs ~170 K instructions on the M4 (QEMU): 16 KB batches gave
 *  31.6 instructions per payload byte, 22 KB 29.1; the heap's high-water grows with it. */
const RX_BYTES = 22528;

/** A TFTP packet: opcode, then the string's chars as bytes. */
function pkt(op: number, s: string): Uint8Array {
  const b = new Uint8Array(s.length + 2);
  b[1] = op;
  for (let i = 0; i < s.length; i++) b[i + 2] = s.charCodeAt(i);
  return b;
}

function chars(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as any);
}

export function errorPacket(code: number, msg: string): Uint8Array {
  return pkt(5, "\0" + String.fromCharCode(code) + msg + "\0");
}

export function ackPacket(n: number): Uint8Array {
  return pkt(4, String.fromCharCode(n >> 8, n)); // pkt keeps the low byte of each char code
}

/** The protocol state machine: events in, actions out. */
export interface TftpCore {
  /** Live transfers (tests look at it). */
  sessions: TftpSession[];
  /** A packet on the listening socket. */
  request(b: Uint8Array, a: string, p: number): TftpAction[];
  /** A packet on the transfer socket of session id. */
  packet(id: number, b: Uint8Array, a: string, p: number): TftpAction[];
  /** Deferred flash work of session id (after its ACK went out). */
  service(id: number): TftpAction[];
  /** Receive offload: blocks up to `last` the platform took and acknowledged up to `acked` (see
   *  UdpSocket.offload): queued and their flash work done, as service() after an ACK. */
  batch(id: number, b: Uint8Array, last: number, acked: number): TftpAction[];
  /** The write session id if the platform may take its next blocks now (receive offload): its
   *  header is in and it is at a window boundary with no gap pending. */
  rx(id: number): TftpSession | null;
  /** The timer of session id expired: retransmit, or give up. */
  timeout(id: number): TftpAction[];
  /** Stop everything: abort uploads, close all sockets. */
  shutdown(): TftpAction[];
}

export function tftpCore(svc: TftpService, timeoutMs: number, retries: number): TftpCore {
  const sessions: TftpSession[] = [];
  let ids = 0;

  const find = function (id: number): TftpSession | null {
    for (let i = 0; i < sessions.length; i++) if (sessions[i].id === id) return sessions[i];
    return null;
  };

  const send = function (s: TftpSession, b: Uint8Array, ms?: number): TftpAction[] {
    s.last = b;
    return [
      { k: "send", s: s.id, b: b, a: s.a, p: s.p },
      { k: "timer", s: s.id, ms: ms || s.ms },
    ];
  };

  const nextData = function (s: TftpSession): TftpAction[] {
    const off = s.blk++ * s.bs;
    const chunk = s.data!.subarray(off, off + s.bs);
    const b = new Uint8Array(chunk.length + 4);
    b[1] = 3;
    b[2] = s.blk >> 8;
    b[3] = s.blk;
    b.set(chunk, 4);
    return send(s, b);
  };

  /** End a session: abort its upload (a no-op once finished or failed), ERROR to the peer if code >= 0. */
  const end = function (s: TftpSession, why: string, code: number): TftpAction[] {
    const out: TftpAction[] = [];
    if (s.up) s.up.abort(code ? "TFTP" : "TIMEOUT", why);
    if (code >= 0) out.push({ k: "send", s: s.id, b: errorPacket(code, why), a: s.a, p: s.p });
    out.push({ k: "timer", s: s.id, ms: 0 }, { k: "close", s: s.id });
    sessions.splice(sessions.indexOf(s), 1);
    return out;
  };

  const fail = function (s: TftpSession, e: ImageError): TftpAction[] {
    return end(s, imageErrorText(e), imageErrorCode(e));
  };

  return {
    sessions: sessions,

    request: function (b, a, p) {
      const op = b.length > 1 ? (b[0] << 8) | b[1] : 0;
      const err = function (code: number, msg: string): TftpAction[] {
        return [{ k: "send", s: 0, b: errorPacket(code, msg), a: a, p: p }];
      };
      if (op === 5) return [];
      if (op !== 1 && op !== 2) return err(4, "illegal TFTP operation");
      // The same client asking again (its request or our first answer was lost): the transfer
      // goes on as it is and our own retransmission answers; nothing restarts, nothing is erased.
      // Dallying sessions (final ACK sent) do not count: they end by themselves.
      let live = 0;
      for (let i = 0; i < sessions.length; i++) {
        const o = sessions[i];
        if (o.done) continue;
        if (o.a === a && o.p === p) return [];
        live++;
      }
      // RFC 2347: a request fits 512 bytes. Past that, or without its NULs, it is malformed.
      const f = b.length > 512 ? [] : chars(b.subarray(2)).split("\0");
      const name = f[0];
      if (f.length < 3 || f.pop() !== "" || !name || name.length > 255) return err(4, "malformed request or file name too long");
      const mode = f[1].toLowerCase();
      if (mode !== "octet" && (op === 2 || mode !== "netascii")) return err(0, "mode " + mode + " not supported: use binary (octet) mode");
      let data: Uint8Array | null = null;
      if (op === 1) {
        const n = name.toLowerCase();
        if (n !== "status" && n !== "status.json") return err(1, "file not found");
        data = pkt(0, JSON.stringify(svc.status())).subarray(2);
      }
      let bs = 512;
      let ms = timeoutMs;
      let win = 1;
      let tsize = 0;
      let oack = "";
      for (let i = 2; i + 1 < f.length; i += 2) {
        const o = f[i].toLowerCase();
        let v = parseInt(f[i + 1], 10);
        if (o === "blksize" && v >= 8) v = bs = Math.min(v, MAX_BLKSIZE);
        else if (o === "timeout" && v >= 1 && v <= 255) ms = v * 1000;
        else if (o === "tsize" && v >= 0) v = data ? data.length : (tsize = v);
        else if (o === "windowsize" && !data && v >= 1) v = win = Math.min(v, MAX_WINDOW);
        else continue;
        oack += o + "\0" + v + "\0";
      }
      if (live >= MAX_SESSIONS) return err(0, "busy: too many transfers");
      let up: Upload | null = null;
      if (!data) {
        // A file name ending in "?allow-downgrade" allows an image older than the confirmed one.
        const r = svc.begin("tftp", a + ":" + p, tsize, { allowDowngrade: /\?allow-downgrade$/i.test(name) });
        if ((r as ImageError).code) return err(imageErrorCode(r as ImageError), imageErrorText(r as ImageError));
        up = r as Upload;
      }
      // Dallying sessions are bounded too (each holds a socket and its state): past MAX_SESSIONS - 1
      // of them, the oldest ones end early.
      let out: TftpAction[] = [];
      for (let i = sessions.length - 1, dally = 0; i >= 0; i--) if (sessions[i].done && ++dally >= MAX_SESSIONS) out = out.concat(end(sessions[i], "", -1));
      const s: TftpSession = {
        id: ++ids, a: a, p: p, up: up, data: data, blk: 0, bs: bs, win: win, n: 0, ms: ms, tries: 0,
        last: oack ? pkt(6, oack) : ackPacket(0), done: false, nak: false,
      };
      sessions.push(s);
      return out.concat({ k: "open", s: s.id }, data && !oack ? nextData(s) : send(s, s.last));
    },

    packet: function (id, b, a, p) {
      const s = find(id);
      if (!s || b.length < 4) return [];
      const op = (b[0] << 8) | b[1];
      const n = (b[2] << 8) | b[3];
      if (a !== s.a || p !== s.p) {
        return op === 5 ? [] : [{ k: "send", s: id, b: errorPacket(5, "unknown transfer ID"), a: a, p: p }];
      }
      s.tries = 0;
      if (op === 5) return end(s, "client sent ERROR " + n + ": " + chars(b.subarray(4, Math.min(b.length - 1, 132))), -1);
      const up = s.up;
      if (!up) {
        // Read: lock-step; a duplicate ACK is ignored (no Sorcerer's Apprentice).
        if (op !== 4 || n !== (s.blk & 65535)) return [];
        return s.blk * s.bs > s.data!.length ? end(s, "", -1) : nextData(s);
      }
      if (op !== 3) return [];
      // Dallying after the final ACK: the client did not get it, send it again.
      if (s.done) return n === s.blk ? send(s, s.last, s.ms * 2) : [];
      const len = b.length - 4;
      if (len > s.bs) return end(s, "DATA larger than blksize " + s.bs, 4);
      if (n !== ((s.blk + 1) & 65535)) {
        // Duplicate or out of order: ACK the last block received in order, once per gap.
        if (s.nak) return [];
        s.nak = true;
        s.n = 0;
        return send(s, ackPacket(s.blk));
      }
      s.blk = n;
      s.nak = false;
      let e = up.push(b.subarray(4));
      if (!e && len < s.bs) {
        // The last block: the image is checked and marked valid before the final ACK.
        e = up.finish();
        if (!e) {
          s.done = true;
          return send(s, ackPacket(n), s.ms * 2);
        }
      }
      if (e) return fail(s, e);
      if (++s.n < s.win) return [{ k: "timer", s: id, ms: s.ms }];
      s.n = 0;
      // The ACK first, then the flash work; service() re-arms the timer once it is done.
      return [send(s, ackPacket(n))[0], { k: "service", s: id }];
    },

    service: function (id) {
      const s = find(id);
      if (!s || !s.up || s.done) return [];
      const e = s.up.service();
      return e ? fail(s, e) : [{ k: "timer", s: id, ms: s.ms }];
    },

    batch: function (id, b, last, acked) {
      const s = find(id);
      if (!s || !s.up || s.done) return [];
      s.tries = 0;
      s.nak = false;
      s.blk = last;
      s.n = (last - acked) & 65535;
      s.last = ackPacket(acked);
      // A flash error comes out here, some blocks after the one that caused it had its ACK.
      const e = s.up.push(b) || s.up.service();
      return e ? fail(s, e) : [{ k: "timer", s: id, ms: s.ms }];
    },

    rx: function (id) {
      const s = find(id);
      // The first 64 bytes (the image header) went through push() and its checks.
      return s && s.up && !s.done && !s.n && !s.nak && s.blk * s.bs >= 64 ? s : null;
    },

    timeout: function (id) {
      const s = find(id);
      if (!s) return [];
      if (s.done) return end(s, "", -1);
      if (++s.tries > retries) return end(s, "timed out", 0);
      s.nak = false;
      s.n = 0;
      return send(s, s.last);
    },

    shutdown: function () {
      let out: TftpAction[] = [];
      while (sessions.length) out = out.concat(end(sessions[0], "server shut down", -1));
      return out.concat({ k: "close", s: 0 });
    },
  };
}

function imageErrorCode(e: ImageError): number {
  return e.code === "TOO_LARGE" || e.code === "TOO_LONG" ? 3 : 0;
}

function imageErrorText(e: ImageError): string {
  return (e.code === "BUSY" ? "busy: " : imageErrorCode(e) ? "disk full or allocation exceeded: " : "") + e.message;
}

/** A socket of the binding: the listening one (id 0) or a transfer's, with its retransmission timer
 *  (t, none when unset). Its timer function f and flash-work function w are made once, not per packet. */
interface TftpLink {
  id: number;
  u: UdpSocket;
  t?: TimerId | 0;
  f: () => void;
  w: () => void;
}

/** Serve TFTP on the platform's UDP: a listening socket, and a new socket (TID) per transfer. */
export function startTftp(
  p: Platform,
  svc: TftpService,
  opts: { port: number; address?: string; timeoutMs?: number; retries?: number },
): { close(): void } {
  const core = tftpCore(svc, opts.timeoutMs || 2000, opts.retries === undefined ? 5 : opts.retries);
  const sendsNow = p.dgram.sendsNow;
  // A short list, not an object keyed by id: Duktape turns a number key into a string at every use.
  const links: TftpLink[] = [];
  const open = function (id: number, port: number) {
    const u = p.dgram.createSocket("udp4");
    const l: TftpLink = {
      id: id, u: u,
      f: function () {
        run(core.timeout(id)); // l.t stays: clearing a timer that has run is a no-op
      },
      w: function () {
        run(core.service(id));
        rx(id, u);
      },
    };
    links.push(l);
    u.on("message", function (m, r) {
      run(id ? core.packet(id, m, r.address, r.port) : core.request(m, r.address, r.port));
    });
    u.on("batch", function (b, last, acked) {
      run(core.batch(id, b, last, acked));
      rx(id, u);
    });
    u.on("error", function (e) {
      p.boot.log("tftp: " + e.message);
    });
    u.bind(port, opts.address);
  };
  const act = function (x: TftpAction) {
    const k = x.k;
    let l: TftpLink | undefined;
    for (let i = 0; i < links.length; i++) if (links[i].id === x.s) l = links[i];
    if (k === "open") open(x.s, 0);
    else if (!l) return;
    else if (k === "send") l.u.send(x.b!, 0, x.b!.length, x.p!, x.a!);
    // The ACK must be on the wire before an erase stalls the CPU. Packets that slip in before a
    // 0 ms timer runs are fine: the core keeps them queued.
    else if (k === "service") sendsNow ? l.w() : p.setTimeout(l.w, 0);
    else {
      p.clearTimeout(l.t!); // a no-op for a timer that has run (or none)
      l.t = x.ms ? p.setTimeout(l.f, x.ms) : 0;
      if (k === "close") {
        // A moment later: Node sends on the next tick and drops what a closed socket still holds.
        p.setTimeout(function () {
          l!.u.close();
        }, 20);
        links.splice(links.indexOf(l), 1);
      }
    }
  };
  // Receive offload (native runtime): the platform takes full in-order blocks and ACKs them itself,
  // and hands them over in batches of up to RX_BYTES (whole windows); the core decides everything else.
  // Any packet the platform hands over as a message ends it; it is armed again after the next ACK.
  const rx = function (id: number, u: UdpSocket) {
    const s = u.offload && core.rx(id);
    if (s) u.offload!(s.a, s.p, (s.blk + 1) & 65535, s.bs, s.win, RX_BYTES);
  };
  const run = function (acts: TftpAction[]) {
    for (let i = 0; i < acts.length; i++) act(acts[i]);
  };
  open(0, opts.port);
  return {
    close: function () {
      run(core.shutdown());
    },
  };
}
