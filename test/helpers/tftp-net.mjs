// Network helpers for the TFTP integration tests: a free UDP port, bounded runs of the real
// client programs, and a tiny scripted UDP client for the cases the programs cannot provoke.
import * as dgram from "node:dgram";
import { spawn, spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";

export function has(cmd) {
  return spawnSync("sh", ["-c", "command -v " + cmd], { stdio: "ignore" }).status === 0;
}

/** A UDP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.on("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Run a client program; it is killed after timeoutMs. Resolves { code, signal, out, err, ms }. */
export function runClient(cmd, args, { timeoutMs = 30000, cwd } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, ms: Date.now() - t0, timedOut: signal === "SIGKILL" });
    });
  });
}

/** A scripted UDP peer: send(buf, port), next() resolves the next datagram { b, port }. */
export async function rawPeer() {
  const s = dgram.createSocket("udp4");
  const queue = [];
  const waiting = [];
  s.on("message", (m, r) => {
    const item = { b: new Uint8Array(m), port: r.port };
    if (waiting.length) waiting.shift()(item);
    else queue.push(item);
  });
  await new Promise((r) => s.bind(0, "127.0.0.1", r));
  return {
    port: s.address().port,
    send: (b, port) => s.send(b, 0, b.length, port, "127.0.0.1"),
    next(timeoutMs = 3000) {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const take = (x) => {
          clearTimeout(t);
          resolve(x);
        };
        // A wait that timed out leaves the queue: the next datagram must not go to it.
        const t = setTimeout(() => {
          waiting.splice(waiting.indexOf(take), 1);
          reject(new Error("no datagram within " + timeoutMs + " ms"));
        }, timeoutMs);
        waiting.push(take);
      });
    },
    close: () => s.close(),
  };
}

/**
 * Upload img as DATA blocks of blksize in lock-step (WRQ with the blksize option, then block n and
 * wait for ACK n) from a worker thread, timing each ACK. The worker has its own event loop: when
 * the server runs in this process and an erase stalls it (the NOR model's datasheet timing blocks
 * the thread, as the chip does), an ACK that left before the stall is still timed when it arrived,
 * not when this thread wakes up. Resolves { lat: ms per block }; rejects on a wrong or missing
 * answer (a retransmitted ACK, an ERROR, nothing within ackTimeoutMs).
 */
export function timedUpload(port, img, blksize, ackTimeoutMs = 5000) {
  const code = `
    const { parentPort, workerData: w } = require("node:worker_threads");
    const dgram = require("node:dgram");
    const s = dgram.createSocket("udp4");
    const queue = [], waiting = [];
    s.on("message", (m, r) => { const it = { b: m, port: r.port, at: Date.now() }; waiting.length ? waiting.shift()(it) : queue.push(it); });
    const next = () => queue.length ? Promise.resolve(queue.shift()) : new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error("no datagram within " + w.ackTimeoutMs + " ms")), w.ackTimeoutMs);
      waiting.push((x) => { clearTimeout(t); res(x); });
    });
    const send = (b, p) => new Promise((r) => s.send(b, 0, b.length, p, "127.0.0.1", r));
    const img = Buffer.from(w.img);
    (async () => {
      await new Promise((r) => s.bind(0, "127.0.0.1", r));
      await send(Buffer.from("\\0\\x02app.tbi\\0octet\\0blksize\\0" + w.blksize + "\\0", "latin1"), w.port);
      const oack = await next();
      if (oack.b.readUInt16BE(0) !== 6) throw new Error("expected an OACK, got opcode " + oack.b.readUInt16BE(0));
      const blocks = Math.floor(img.length / w.blksize) + 1;
      const lat = [];
      for (let n = 1; n <= blocks; n++) {
        const d = Buffer.concat([Buffer.from([0, 3, n >> 8, n & 255]), img.subarray((n - 1) * w.blksize, n * w.blksize)]);
        const t0 = Date.now();
        await send(d, oack.port);
        const a = await next();
        const op = a.b.readUInt16BE(0), block = a.b.readUInt16BE(2);
        if (op !== 4 || block !== n) throw new Error("block " + n + ": expected ACK " + n + ", got opcode " + op + " " + (op === 5 ? a.b.subarray(4).toString("latin1") : "block " + block));
        lat.push(a.at - t0);
      }
      // Exactly one ACK per block: nothing more may come (a retransmission after an erase).
      await new Promise((r) => setTimeout(r, 100));
      if (queue.length) throw new Error(queue.length + " unexpected datagram(s) after the last ACK");
      return { lat };
    })().then((r) => parentPort.postMessage({ ok: r }), (e) => parentPort.postMessage({ error: e.message })).finally(() => s.close());
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { port, img, blksize, ackTimeoutMs } });
    worker.once("message", (m) => (m.error ? reject(new Error(m.error)) : resolve(m.ok)));
    worker.once("error", reject);
    worker.once("exit", (c) => reject(new Error("worker exited with " + c)));
  });
}
