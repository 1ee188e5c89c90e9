// Shared by the HTTP tests: the compiled modules (build/host, from `tsc -p tsconfig.host.json`),
// a board on free ports (in-process or the native runtime: helpers/target.mjs), raw-socket and curl
// clients, images and flash checks.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { execFile } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const build = (p) => require(path.join(ROOT, "build", "host", p));

export const { startHttp } = build("src/net/http.js");
export const { requestParser } = build("src/net/http-parser.js");
export const { multipart, param, parseHeaders } = build("src/net/multipart.js");
export const { UpdateService } = build("src/update/service.js");
export const { readSlot } = build("src/boot/slots.js");
export const { createHostPlatform, crc32, hostE } = build("host/platform.js");
export const { packImage } = build("host/image.js");
import { fakeApp } from "./host.mjs";
import { startTarget, KINDS, until } from "./target.mjs";
export { fakeApp, KINDS, until };

export const BOARD = "stm324xg-eval";
export const CREDS = { user: "user", password: "stm32" };

export const bytes = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 255);
export const text = (b) => Buffer.from(b).toString("latin1");
export const cat = (...parts) => Buffer.concat(parts.map((x) => (typeof x === "string" ? Buffer.from(x, "latin1") : Buffer.from(x))));

export function image(version = "1.2.3", size = 40000, seed = 1, board = BOARD) {
  return packImage({ board, version, payload: fakeApp(size, seed) });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on("error", reject);
  });
}

/**
 * A board in update mode (o.kind: "node", the servers in-process, the default; or "native", the C
 * runtime as a child process: see helpers/target.mjs) with its HTTP server on 127.0.0.1. Returns
 * the target: { kind, port, url, slot, info, snapshot(), slotView(), status(), close(), ... } and,
 * for "node", { p, svc, nor }.
 */
export async function startBoard(o = {}) {
  const { kind = "node", ...rest } = o;
  if (!("credentials" in rest)) rest.credentials = CREDS;
  return startTarget(kind, rest);
}

/** Flash bytes outside [addr, addr+size) equal in both snapshots? */
export function sameOutside(board, a, b, region) {
  const lo = region.addr - board.base, hi = lo + region.size;
  return Buffer.compare(Buffer.from(a.subarray(0, lo)), Buffer.from(b.subarray(0, lo))) === 0 &&
    Buffer.compare(Buffer.from(a.subarray(hi)), Buffer.from(b.subarray(hi))) === 0;
}

/** The image in the slot (status words excepted, the device owns them) and marked valid? */
export function installed(board, img) {
  const { slot } = board;
  const bytes = board.snapshot();
  const off = slot.addr - board.base;
  const inFlash = bytes.subarray(off, off + img.length);
  const same = Buffer.compare(Buffer.from(inFlash.subarray(0, 0x100)), Buffer.from(img.subarray(0, 0x100))) === 0 &&
    Buffer.compare(Buffer.from(inFlash.subarray(512)), Buffer.from(img.subarray(512))) === 0;
  const view = readSlot(board.flashOf(bytes), crc32, slot, true);
  return { same, valid: view.valid, version: view.version, problem: view.problem };
}

/**
 * A raw TCP client: send() bytes (optionally in pieces, with pauses), read() the responses.
 * responses() parses what arrived into { status, headers, body } objects (Content-Length framing).
 */
export function rawClient(port) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let closed = false;
    const waiters = [];
    const s = net.connect(port, "127.0.0.1", () => resolve(api));
    s.setNoDelay(true);
    s.on("error", (e) => {
      if (!s.connecting) return; // resets after a refusal are part of some tests
      reject(e);
    });
    s.on("data", (d) => {
      chunks.push(d);
      wake();
    });
    s.on("close", () => {
      closed = true;
      wake();
    });
    function wake() {
      for (const w of waiters.splice(0)) w();
    }
    const all = () => Buffer.concat(chunks);
    const api = {
      socket: s,
      closed: () => closed,
      write: (b) => new Promise((r) => s.write(typeof b === "string" ? Buffer.from(b, "latin1") : Buffer.from(b), () => r())),
      end: () => s.end(),
      destroy: () => s.destroy(),
      raw: all,
      /** Wait until n complete responses arrived (or the connection closed); returns them all. */
      async responses(n, ms = 5000) {
        const deadline = Date.now() + ms;
        for (;;) {
          const rs = parseResponses(all());
          if (rs.length >= n || closed) return rs;
          if (Date.now() > deadline) throw new Error(`timeout waiting for ${n} responses, have ${rs.length}: ${all().toString("latin1").slice(0, 300)}`);
          await new Promise((r) => {
            waiters.push(r);
            setTimeout(r, 50);
          });
        }
      },
      /** Wait for the server to close the connection. */
      async waitClosed(ms = 5000) {
        const deadline = Date.now() + ms;
        while (!closed) {
          if (Date.now() > deadline) throw new Error("connection not closed");
          await new Promise((r) => {
            waiters.push(r);
            setTimeout(r, 50);
          });
        }
      },
    };
  });
}

export function parseResponses(buf) {
  const out = [];
  let i = 0;
  for (;;) {
    const j = buf.indexOf("\r\n\r\n", i, "latin1");
    if (j < 0) break;
    const head = buf.subarray(i, j).toString("latin1").split("\r\n");
    const status = +head[0].split(" ")[1];
    const headers = {};
    for (const l of head.slice(1)) {
      const c = l.indexOf(":");
      headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
    }
    const len = +(headers["content-length"] || 0);
    if (buf.length < j + 4 + len) break;
    const body = buf.subarray(j + 4, j + 4 + len).toString("latin1");
    let json;
    try {
      json = JSON.parse(body);
    } catch {}
    out.push({ status, headers, body, json });
    i = j + 4 + len;
  }
  return out;
}

/** One request on a fresh connection; resolves with the first response. */
export async function request(port, bytesOrString, ms) {
  const c = await rawClient(port);
  await c.write(bytesOrString);
  const [r] = await c.responses(1, ms);
  c.destroy();
  return r;
}

export function multipartBody(boundary, parts) {
  const out = [];
  for (const p of parts) {
    out.push(`--${boundary}\r\n`);
    for (const [k, v] of Object.entries(p.headers)) out.push(`${k}: ${v}\r\n`);
    out.push("\r\n", p.body, "\r\n");
  }
  out.push(`--${boundary}--\r\n`);
  return cat(...out);
}

/** Basic auth header value. */
export const basic = (u = CREDS.user, pw = CREDS.password) => "Basic " + Buffer.from(`${u}:${pw}`).toString("base64");

/** Log in over a raw connection; returns the cookie ("tb_session=...") or the response. */
export async function login(port, user = CREDS.user, password = CREDS.password) {
  const body = `user=${encodeURIComponent(user)}&password=${encodeURIComponent(password)}`;
  const r = await request(port, `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const m = /tb_session=[0-9a-f]+/.exec(r.headers["set-cookie"] || "");
  return m ? m[0] : r;
}

/** Run a program (curl); resolves { code, stdout, stderr }. */
export function run(cmd, args, ms = 20000) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: ms, encoding: "latin1", maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
