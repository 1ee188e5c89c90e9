// The platform modules, in ES5, for running the bundles under Debian's `duk` (Duktape 2.7): a NOR
// flash with the STM32F407's sector map, fake UDP/TCP that the self-tests drive by hand, Boot, E
// and a virtual clock for timers. Whatever a bundle calls that Duktape lacks fails here, not on a board.
var __now = 0;
var __seed = 2463534242;
var __timers = [];
function setTimeout(fn, ms) {
  var t = { fn: fn, at: __now + (ms || 0), cancelled: false };
  __timers.push(t);
  return t;
}
function clearTimeout(t) {
  if (t) t.cancelled = true;
}
/** Advance the virtual clock, running due timers in time order. */
function __advance(ms) {
  var end = __now + ms;
  for (;;) {
    var next = null, i;
    for (i = 0; i < __timers.length; i++) {
      var t = __timers[i];
      if (!t.cancelled && t.at <= end && (!next || t.at < next.at)) next = t;
    }
    if (!next) break;
    next.cancelled = true;
    if (next.at > __now) __now = next.at;
    next.fn();
  }
  __now = end;
  var live = [];
  for (i = 0; i < __timers.length; i++) if (!__timers[i].cancelled) live.push(__timers[i]);
  __timers = live;
}
function atob(s) {
  var abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", out = "", acc = 0, bits = 0;
  for (var i = 0; i < s.length && s.charAt(i) !== "="; i++) {
    var v = abc.indexOf(s.charAt(i));
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) { bits -= 8; out += String.fromCharCode((acc >> bits) & 255); }
  }
  return out;
}
var console = { log: function () { print(Array.prototype.join.call(arguments, " ")); } };

var __crcTable = (function () {
  var t = [], c, n, k;
  for (n = 0; n < 256; n++) {
    c = n;
    for (k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function __crc(bytes, from, to, init) {
  var c = (init || 0) ^ 0xffffffff;
  for (var i = from; i < to; i++) c = __crcTable[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

var E = {
  CRC32: function (d, init) { return __crc(d, 0, d.length, init); },
  toString: function (d) {
    var s = "";
    for (var i = 0; i < d.length; i++) s += String.fromCharCode(d[i]);
    return s;
  },
  toUint8Array: function (s) {
    var b = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255;
    return b;
  },
  indexOf: function (h, n, start) {
    outer: for (var i = start || 0; i + n.length <= h.length; i++) {
      for (var j = 0; j < n.length; j++) if (h[i + j] !== n[j]) continue outer;
      return i;
    }
    return -1;
  }
};

// ---- flash: STM32F407IG, 1 MiB, bootloader sectors 0-5 protected ----
var __flash = { base: 0x08000000, bytes: new Uint8Array(1048576), sectors: [], ops: 0 };
(function () {
  var kib = [16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128], a = 0x08000000;
  for (var i = 0; i < kib.length; i++) { __flash.sectors.push({ addr: a, length: kib[i] * 1024 }); a += kib[i] * 1024; }
  for (i = 0; i < __flash.bytes.length; i++) __flash.bytes[i] = 0xff;
})();
function __sector(addr) {
  for (var i = 0; i < __flash.sectors.length; i++) {
    var s = __flash.sectors[i];
    if (addr >= s.addr && addr < s.addr + s.length) return s;
  }
  return undefined;
}
var __protectEnd = 0x08040000;
var __Flash = {
  getPage: function (addr) { var s = __sector(addr); return s && { addr: s.addr, length: s.length }; },
  getFree: function () { var r = []; for (var i = 6; i < 12; i++) r.push(__flash.sectors[i]); return r; },
  erasePage: function (addr) {
    var s = __sector(addr);
    if (!s) throw new Error("erase outside flash");
    if (s.addr < __protectEnd) throw new Error("erase of a protected sector");
    __flash.ops++;
    for (var i = s.addr - __flash.base; i < s.addr - __flash.base + s.length; i++) __flash.bytes[i] = 0xff;
  },
  write: function (data, addr) {
    if (addr % 4 || data.length % 4) throw new Error("unaligned write");
    if (addr < __protectEnd) throw new Error("write to a protected sector");
    var o = addr - __flash.base, i;
    for (i = 0; i < data.length; i++) if (__flash.bytes[o + i] !== 0xff && (i % 4 === 0)) {
      if ((__flash.bytes[o + i] & __flash.bytes[o + i + 1] & __flash.bytes[o + i + 2] & __flash.bytes[o + i + 3]) !== 0xff) throw new Error("word not erased at " + (addr + i));
    }
    __flash.ops++;
    for (i = 0; i < data.length; i++) __flash.bytes[o + i] = data[i];
  },
  read: function (length, addr) {
    var o = addr - __flash.base, r = new Uint8Array(length);
    for (var i = 0; i < length; i++) r[i] = __flash.bytes[o + i];
    return r;
  },
  crc32: function (addr, length, init) { var o = addr - __flash.base; return __crc(__flash.bytes, o, o + length, init); }
};

// ---- UDP: sockets by port; what they send is collected in __udpOut ----
var __udp = {}, __udpOut = [], __nextPort = 40000;
function __UdpSocket() { this.port = 0; this.handlers = {}; }
__UdpSocket.prototype.bind = function (port, address, cb) {
  this.port = port || __nextPort++;
  __udp[this.port] = this;
  if (typeof address === "function") cb = address;
  if (cb) cb();
  if (this.handlers.listening) this.handlers.listening();
};
__UdpSocket.prototype.on = function (ev, fn) { this.handlers[ev] = fn; };
__UdpSocket.prototype.send = function (buf, off, len, port, address) {
  __udpOut.push({ from: this.port, to: port, address: address, data: buf.subarray(off, off + len) });
};
__UdpSocket.prototype.address = function () { return { address: "127.0.0.1", port: this.port }; };
__UdpSocket.prototype.close = function () { delete __udp[this.port]; this.closed = true; };
/** Deliver a datagram to a bound port, as if from 127.0.0.1:fromPort. */
function __udpDeliver(port, data, fromPort) {
  var s = __udp[port];
  if (!s) throw new Error("no UDP socket on port " + port);
  s.handlers.message(data, { address: "127.0.0.1", port: fromPort, size: data.length });
}

// ---- TCP: servers by port; __tcpConnect returns a client handle ----
var __tcp = {};
function __TcpSocket() { this.handlers = {}; this.out = []; this.ended = false; this.remoteAddress = "127.0.0.1"; this.remotePort = 50000; }
__TcpSocket.prototype.on = function (ev, fn) { this.handlers[ev] = fn; return this; };
__TcpSocket.prototype.write = function (d) { this.out.push(typeof d === "string" ? d : E.toString(d)); return true; };
__TcpSocket.prototype.pause = function () {};
__TcpSocket.prototype.resume = function () {};
__TcpSocket.prototype.end = function (d) { if (d) this.write(d); this.ended = true; if (this.handlers.close) this.handlers.close(); };
__TcpSocket.prototype.destroy = function () { this.ended = true; if (this.handlers.close) this.handlers.close(); };
__TcpSocket.prototype.setNoDelay = function () {};
var __Net = {
  createServer: function (cb) {
    return {
      listen: function (port, address, done) { __tcp[port] = cb; if (typeof address === "function") address(); else if (done) done(); },
      on: function () {},
      close: function () {}
    };
  }
};
function __tcpConnect(port) {
  var s = new __TcpSocket();
  __tcp[port](s);
  return {
    socket: s,
    send: function (data) { s.handlers.data(typeof data === "string" ? E.toUint8Array(data) : data); __advance(0); },
    close: function () { if (s.handlers.end) s.handlers.end(); if (s.handlers.close) s.handlers.close(); },
    text: function () { return s.out.join(""); }
  };
}

// ---- Boot ----
var __board = {
  name: "stm324xg-eval", id: 1031, mode: "direct", headerSize: 512, trialAttempts: 3,
  bootloader: { addr: 0x08000000, size: 262144 }, app: { addr: 0x08040000, size: 786432 }
};
var __boot = { request: 0, button: false, jumps: [], resets: 0, log: [] };
var __Boot = {
  reset: function () { __boot.resets++; },
  jump: function (addr) { __boot.jumps.push(addr); },
  getRequest: function () { return __boot.request; },
  setRequest: function (w) { __boot.request = w; },
  buttonAtReset: function () { return __boot.button; },
  led: function () {},
  millis: function () { return __now; },
  // xorshift32: the chip's Duktape has no Math.random (only the runtime's Math.min/max/floor)
  random32: function () { __seed ^= __seed << 13; __seed ^= __seed >>> 17; __seed ^= __seed << 5; return __seed >>> 0; },
  board: function () { return __board; },
  log: function (s) { __boot.log.push(s); },
  asset: function (name) { return E.toUint8Array("<!doctype html><title>" + name + "</title>"); },
  credentials: function () { return { user: "admin", password: "s3cret" }; }
};

var __modules = { Flash: __Flash, dgram: { createSocket: function () { return new __UdpSocket(); } }, net: __Net, Boot: __Boot };
function require(name) {
  if (!__modules[name]) throw new Error("module '" + name + "' is not provided by the runtime");
  return __modules[name];
}

// ---- a tiny test harness ----
var __passed = 0, __failed = 0;
function check(name, cond, detail) {
  if (cond) { __passed++; print("ok - " + name); }
  else { __failed++; print("not ok - " + name + (detail !== undefined ? " (" + detail + ")" : "")); }
}
function done() { print(__passed + " passed, " + __failed + " failed"); }
/** A packed image made with the bundle's own header code. */
function makeImage(version, size, seed, boardId, load) {
  var p = new Uint8Array(size), x = seed || 1;
  for (var i = 0; i < size; i++) { x = (x * 1103515245 + 12345) & 0x7fffffff; p[i] = x >>> 16 & 255; }
  var v = version.split(".");
  // The header as README.md documents it, written independently of src/image/header.ts.
  var img = new Uint8Array(512 + size), dv = new DataView(img.buffer);
  for (i = 64; i < 512; i++) img[i] = 0xff;
  dv.setUint32(0, 0x544f4254, true);
  dv.setUint16(4, 1, true);
  dv.setUint16(6, 512, true);
  dv.setUint32(8, size, true);
  dv.setUint32(12, load || 0x08040200, true);
  img[16] = +v[0]; img[17] = +v[1]; dv.setUint16(18, +v[2], true);
  dv.setUint32(24, boardId || 1031, true);
  dv.setUint32(32, E.CRC32(p), true);
  dv.setUint32(36, 0, true);
  dv.setUint32(60, E.CRC32(img.subarray(0, 60)), true);
  img.set(p, 512);
  return img;
}
function slotEquals(addr, img) {
  var o = addr - __flash.base;
  for (var i = 0; i < img.length; i++) {
    if (i >= 0x100 && i < 0x200) continue; // the device-owned part of the header
    if (__flash.bytes[o + i] !== img[i]) return false;
  }
  return true;
}
