// The board the real-client tests talk to, as one surface over two targets:
//   "node"   the servers in-process under Node (createHostPlatform + UpdateService + startTftp and
//            startHttp over the NOR model), as the logic's own tests have always run them;
//   "native" the C runtime with Duktape and the ES5 bundles (build/host-runtime/typeboot-sim) as a
//            child process on free 127.0.0.1 ports, with a temporary flash file (mapped MAP_SHARED
//            by the process, so its bytes on disk are the board's flash at any moment) and
//            --no-reboot, so consecutive uploads stay in update mode as they do under Node.
// Both serve TFTP and HTTP from one update service; the tests see ports, the flash bytes, the
// upload slot, the status document (over HTTP, as any client sees it) and close().
import { after } from "node:test";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, load, freePort, noise } from "./host.mjs";
import { collectLines } from "../../scripts/console-lines.mjs";

const { createHostPlatform, crc32, flashModule } = load("host/platform.js");
const { NorFlash } = load("host/nor-flash.js");
const { loadBoard } = load("host/layout.js");
const { UpdateService } = load("src/update/service.js");
const { readSlot } = load("src/boot/slots.js");
const { startTftp } = load("src/net/tftp.js");
const { startHttp } = load("src/net/http.js");

export const SIM = path.join(ROOT, "build", "host-runtime", "typeboot-sim");
export const KINDS = ["node", "native"];
export const DEFAULT_BOARD = "stm324xg-eval";
export const DEFAULT_CREDS = { user: "user", password: "stm32" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Flash filled with a deterministic pattern (so "unchanged" means something: an erase shows). */
export const pattern = (size, seed = 0x5eed) => noise(size, seed);

/** Every typeboot-sim this process started and has not seen exit: killed by its handle when the
 * test file ends, whatever happened to the test that started it (and at process exit, as a last
 * resort: the children and their pipes are unref'd so a forgotten one cannot keep the file alive). */
const children = new Set();
/** close() of every target not closed yet: run when the test file ends. */
const open = new Set();
after(async () => {
  for (const close of [...open]) await close();
});
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

/** GET a JSON document on a fresh connection that is closed afterwards (no pooled keep-alive
 * sockets: the board serves at most 8 connections and some tests count them). */
export function getJson(port, p, ms = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: p, agent: false, headers: { Connection: "close" }, timeout: ms }, (res) => {
      const chunks = [];
      res.on("data", (d) => chunks.push(d));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode, body: JSON.parse(body) });
        } catch (e) {
          reject(new Error(`GET ${p}: ${res.statusCode} ${body.slice(0, 200)}`));
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${p}: no answer within ${ms} ms`)));
    req.on("error", reject);
  });
}

/** Poll fn (sync or async) until it returns something truthy; bounded. */
export async function until(fn, ms = 5000, what = "condition") {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ": " + last.message : ""}`);
    await sleep(20);
  }
}

/**
 * Start a board of the given kind in update mode. Options:
 *   board, mode          the board and its update mode (default: the board's default)
 *   credentials          { user, password } (default DEFAULT_CREDS); undefined: none configured
 *   pattern              start with patterned flash instead of an erased chip
 *   timing               datasheet flash timing
 *   tftp: { timeoutMs, retries }, sessionTtlMs
 *                        server settings only the in-process target can change; the native one runs
 *                        the bundle's defaults (reported as .tftpTimeoutMs / .tftpRetries)
 */
export async function startTarget(kind, o = {}) {
  const board = o.board || DEFAULT_BOARD;
  const layout = loadBoard(board, o.mode);
  const creds = "credentials" in o ? o.credentials : DEFAULT_CREDS;
  const info = layout.info;
  const slot = info.mode === "staged" && info.staging ? info.staging : info.app;
  const common = { kind, native: kind === "native", board, layout, info, slot, base: layout.flashBase };
  if (kind === "node") return startNode(common, o, creds);
  if (kind === "native") return startNative(common, o, creds);
  throw new Error("unknown target " + kind);
}

function surface(t) {
  /** A read-only flash module over a snapshot (for readSlot and the like). */
  t.flashOf = (bytes) => flashModule(new NorFlash({ base: t.layout.flashBase, sectors: t.layout.sectors, initial: bytes }), t.layout);
  /** The slot as the device reads it: { valid, version, problem, ... }. */
  t.slotView = (region = t.slot, checkCrc = true) => readSlot(t.flash(), crc32, region, checkCrc);
  t.url = `http://127.0.0.1:${t.port}`;
  /** GET /api/status (the document every client sees). */
  t.status = async () => {
    const r = await getJson(t.port, "/api/status");
    if (r.status !== 200) throw new Error("GET /api/status: " + r.status);
    return r.body;
  };
  return t;
}

async function startNode(t, o, creds) {
  const logs = [];
  const p = createHostPlatform({ board: t.board, mode: o.mode, timing: !!o.timing, credentials: creds, log: (s) => logs.push(s) });
  if (o.pattern) p.nor.bytes.set(pattern(p.nor.size));
  const svc = new UpdateService(p, { rebootAfterUpdate: false, rebootDelayMs: 0 });
  const tftpPort = await freePort("udp");
  const port = await freePort();
  const tftpTimeoutMs = (o.tftp && o.tftp.timeoutMs) || 1000;
  const tftpRetries = o.tftp && o.tftp.retries !== undefined ? o.tftp.retries : 3;
  const tftp = startTftp(p, svc, { port: tftpPort, address: "127.0.0.1", timeoutMs: tftpTimeoutMs, retries: tftpRetries });
  const httpServer = startHttp(p, svc, { port, address: "127.0.0.1", sessionTtlMs: o.sessionTtlMs });
  Object.assign(t, { p, svc, nor: p.nor, logs, lines: logs, tftpPort, port, tftpTimeoutMs, tftpRetries });
  t.snapshot = () => Uint8Array.from(p.nor.bytes);
  t.flash = () => p.flash;
  let closed = false;
  t.close = async () => {
    if (closed) return;
    closed = true;
    open.delete(t.close);
    tftp.close();
    httpServer.close();
  };
  open.add(t.close);
  surface(t);
  await until(() => getJson(port, "/api/status", 1000), 5000, "the HTTP server");
  return t;
}

async function startNative(t, o, creds) {
  if (!fs.existsSync(SIM)) throw new Error(`${SIM} is missing: build it (node scripts/build.mjs, or make -C firmware host)`);
  if (o.sessionTtlMs) throw new Error("the native target has no session TTL option");
  if (o.tftp) throw new Error("the native target runs the bundle's TFTP timeout and retries");
  // A port that was free a moment ago may be taken by the time the board binds it: try again with
  // new ones (and a new flash file) a couple of times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNativeOnce({ ...t }, o, creds);
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

async function startNativeOnce(t, o, creds) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-target-"));
  const flashFile = path.join(dir, "board.flash");
  if (o.pattern) fs.writeFileSync(flashFile, pattern(t.layout.flashSize));
  const tftpPort = await freePort("udp");
  const port = await freePort();
  const args = ["--board", t.board, "--flash", flashFile, "--address", "127.0.0.1", "--tftp-port", String(tftpPort), "--http-port", String(port), "--no-reboot"];
  if (o.mode) args.push("--mode", o.mode);
  if (o.timing) args.push("--timing");
  if (creds) args.push("--user", creds.user, "--password", creds.password);
  const child = spawn(SIM, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.unref();
  child.stdout.unref();
  child.stderr.unref();
  const lines = [];
  const waiters = new Set();
  collectLines(child, lines, () => {
    for (const w of waiters) w();
  });
  let exit = null;
  const exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      children.delete(child);
      exit = { code, signal };
      for (const w of waiters) w();
      resolve(exit);
    }),
  );
  Object.assign(t, { child, flashFile, dir, lines, logs: lines, tftpPort, port, tftpTimeoutMs: 2000, tftpRetries: 5 });
  t.snapshot = () => new Uint8Array(fs.readFileSync(flashFile));
  t.flash = () => t.flashOf(t.snapshot());
  t.exited = () => exit;
  /** Wait (bounded) for a console line matching re among the lines from index `from` on. */
  t.waitLine = (re, ms = 10000, from = 0) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const l = lines.slice(from).find((x) => re.test(x));
        if (l !== undefined || exit) {
          clearTimeout(timer);
          waiters.delete(check);
          if (l !== undefined) resolve(l);
          else reject(new Error(`typeboot-sim exited (${JSON.stringify(exit)}) before ${re}; console:\n${lines.join("\n")}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${re}; console:\n${lines.join("\n")}`));
      }, ms);
      waiters.add(check);
      check();
    });
  let closed = false;
  t.close = async () => {
    if (closed) return;
    closed = true;
    open.delete(t.close);
    if (!exit) child.kill("SIGKILL");
    let timer;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  open.add(t.close);
  surface(t);
  try {
    await t.waitLine(/^update mode: TFTP on port/, 5000);
    await until(() => getJson(port, "/api/status", 1000), 5000, "the HTTP server");
    // A server that could not bind says so on the console (and update mode goes on without it).
    const taken = lines.find((l) => /address in use/i.test(l));
    if (taken) throw new Error(`typeboot-sim: ${taken}`);
  } catch (e) {
    await t.close();
    throw e;
  }
  return t;
}
