// Network helpers for the TFTP integration tests: a free UDP port, bounded runs of the real
// client programs, and a tiny scripted UDP client for the cases the programs cannot provoke.
import * as dgram from "node:dgram";
import { spawn, spawnSync } from "node:child_process";

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
        const t = setTimeout(() => reject(new Error("no datagram within " + timeoutMs + " ms")), timeoutMs);
        waiting.push((x) => {
          clearTimeout(t);
          resolve(x);
        });
      });
    },
    close: () => s.close(),
  };
}
