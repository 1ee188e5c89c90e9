/**
 * A TFTP client for uploads (write requests, octet mode) over Node's dgram: RFC 1350 with the
 * options blksize (RFC 2348), tsize and timeout (RFC 2349) and windowsize (RFC 7440). A server that
 * answers the request with a plain ACK 0 gets the RFC 1350 transfer: 512-byte blocks, one at a time.
 * Every wait is bounded: a lost packet is sent again after the timeout, at most `retries` times in a row.
 */
import * as dgram from "node:dgram";
import * as dns from "node:dns";
import { OperationError } from "./http-client";

export interface TftpPutOptions {
  host: string;
  port: number;
  /** The remote file name. */
  name: string;
  data: Uint8Array;
  /** Requested block size (8-65464); default 1468 (fits a 1500-byte Ethernet MTU). */
  blksize?: number;
  /** Requested window size (blocks per ACK); default 4. */
  windowsize?: number;
  /** Retransmission timeout in seconds (also requested as the server's); default 1. */
  timeout?: number;
  /** Retransmissions of one packet before giving up; default 5. */
  retries?: number;
  /** Send no options at all (plain RFC 1350). */
  noOptions?: boolean;
  /** Bytes acknowledged by the server so far. */
  onProgress?: (acked: number, total: number) => void;
}

export interface TftpPutResult {
  /** What was negotiated: the server's OACK, or the RFC 1350 defaults. */
  blksize: number;
  windowsize: number;
  /** true when the server answered with an OACK. */
  options: boolean;
  blocks: number;
  retransmits: number;
  ms: number;
}

const op = (b: Uint8Array) => (b.length >= 2 ? (b[0] << 8) | b[1] : -1);

function request(name: string, opts: [string, string | number][]): Buffer {
  const parts = [name, "octet"];
  for (const [k, v] of opts) parts.push(k, String(v));
  return Buffer.concat([Buffer.from([0, 2]), Buffer.from(parts.join("\0") + "\0", "latin1")]);
}

function errorPacket(code: number, msg: string): Buffer {
  return Buffer.concat([Buffer.from([0, 5, code >> 8, code & 255]), Buffer.from(msg + "\0", "latin1")]);
}

function errorText(b: Uint8Array): string {
  const code = b.length >= 4 ? (b[2] << 8) | b[3] : 0;
  let end = 4;
  while (end < b.length && b[end] !== 0) end++;
  const msg = Buffer.from(b.subarray(4, end)).toString("latin1");
  return `${msg || "no message"} (TFTP error ${code})`;
}

function parseOack(b: Uint8Array): Record<string, string> {
  const f = Buffer.from(b.subarray(2)).toString("latin1").split("\0");
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < f.length; i += 2) if (f[i]) o[f[i].toLowerCase()] = f[i + 1];
  return o;
}

export async function tftpPut(o: TftpPutOptions): Promise<TftpPutResult> {
  const where = `${o.host}:${o.port}`;
  const family = /^[\d.]+$/.test(o.host) ? 4 : (await dns.promises.lookup(o.host).catch(() => ({ family: 0 }))).family;
  if (family !== 4 && family !== 6) throw new OperationError(`cannot reach ${where}: unknown host`);
  const address = family === 4 && !/^[\d.]+$/.test(o.host) ? (await dns.promises.lookup(o.host, 4)).address : o.host;
  const sock = dgram.createSocket(family === 6 ? "udp6" : "udp4");
  const timeoutS = o.timeout ?? 1;
  const retries = o.retries ?? 5;
  const data = o.data;
  const started = Date.now();

  return new Promise<TftpPutResult>((resolve, reject) => {
    let bs = 512;
    let win = 1;
    let options = false;
    /** The server's transfer port (its TID), once it answered. */
    let tid = 0;
    /** Blocks acknowledged (absolute numbers, from 1), and blocks in all (the last one short, maybe empty). */
    let base = 0;
    let blocks = 0;
    let tries = 0;
    let retransmits = 0;
    /** A duplicate ACK already triggered a resend of this window. */
    let fast = false;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;

    const close = () => {
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        /* closed already */
      }
    };
    const fail = (msg: string) => {
      if (settled) return;
      settled = true;
      close();
      reject(new OperationError(msg));
    };
    const arm = (onTimeout: () => void) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (++tries > retries) return fail(`${where}: no answer from the TFTP server after ${retries + 1} tries (${timeoutS} s each)`);
        retransmits++;
        onTimeout();
      }, timeoutS * 1000);
    };

    const wrq = o.noOptions
      ? request(o.name, [])
      : request(o.name, [
          ["blksize", o.blksize ?? 1468],
          ["tsize", data.length],
          ["timeout", timeoutS],
          ["windowsize", o.windowsize ?? 4],
        ]);
    const sendWrq = () => {
      sock.send(wrq, o.port, address);
      arm(sendWrq);
    };

    const block = (n: number): Buffer => {
      const chunk = data.subarray((n - 1) * bs, Math.min(data.length, n * bs));
      const b = Buffer.alloc(4 + chunk.length);
      b[1] = 3;
      b[2] = (n >> 8) & 255;
      b[3] = n & 255;
      b.set(chunk, 4);
      return b;
    };
    const sendWindow = () => {
      for (let n = base + 1; n <= Math.min(blocks, base + win); n++) sock.send(block(n), tid, address);
      arm(sendWindow);
    };

    const start = () => {
      blocks = Math.floor(data.length / bs) + 1;
      tries = 0;
      sendWindow();
    };

    sock.on("error", (e) => fail(`${where}: ${e.message}`));
    sock.on("message", (m, r) => {
      if (settled) return;
      const code = op(m);
      if (tid && r.port !== tid) {
        // Another TID (a stale or stray packet): RFC 1350 says tell it, and go on.
        sock.send(errorPacket(5, "unknown transfer ID"), r.port, r.address);
        return;
      }
      if (code === 5) return fail(`${where} refused the upload: ${errorText(m)}`);
      if (!tid) {
        if (code === 6) {
          const a = parseOack(m);
          const b = a.blksize !== undefined ? parseInt(a.blksize, 10) : 512;
          const w = a.windowsize !== undefined ? parseInt(a.windowsize, 10) : 1;
          if (!(b >= 8 && b <= (o.blksize ?? 1468)) || !(w >= 1 && w <= (o.windowsize ?? 4))) {
            sock.send(errorPacket(8, "option values not acceptable"), r.port, r.address);
            return fail(`${where}: the server answered with unusable options ${JSON.stringify(a)}`);
          }
          bs = b;
          win = w;
          options = true;
        } else if (code === 4 && m.length >= 4 && ((m[2] << 8) | m[3]) === 0) {
          // No options: RFC 1350 transfer.
          bs = 512;
          win = 1;
        } else return;
        tid = r.port;
        return start();
      }
      if (code !== 4 || m.length < 4) return;
      // The ACK's 16-bit number, as the absolute block in [base, base + win].
      const n = (m[2] << 8) | m[3];
      const acked = base + ((n - (base & 65535) + 65536) & 65535);
      if (acked > base + win || acked > blocks) return; // older than base: a stale duplicate
      if (acked === base) {
        // The server asks for what follows base again (it missed a block): resend once per window.
        if (!fast) {
          fast = true;
          retransmits++;
          sendWindow();
        }
        return;
      }
      base = acked;
      tries = 0;
      fast = false;
      if (o.onProgress) o.onProgress(Math.min(data.length, base * bs), data.length);
      if (base === blocks) {
        settled = true;
        close();
        return resolve({ blksize: bs, windowsize: win, options, blocks, retransmits, ms: Date.now() - started });
      }
      sendWindow();
    });
    sock.bind(0, () => sendWrq());
  });
}
