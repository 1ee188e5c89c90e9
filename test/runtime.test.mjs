// The C runtime on the host (firmware/, build/host-runtime/typeboot-sim): the real bundles on
// Duktape with the native platform, driven by real clients (curl for TFTP and HTTP), through reboots
// into the stand-in application and back, bad images, power cuts, heap accounting and a JS error.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync, execFile } from "node:child_process";
import { ROOT, packImage, fakeApp, freePort } from "./helpers/host.mjs";
import { until as pollUntil } from "./helpers/target.mjs";
import { collectLines } from "../scripts/console-lines.mjs";

const SIM = path.join(ROOT, "build", "host-runtime", "typeboot-sim");
const BOARD = "stm324xg-eval";
const APP_ADDR = 0x08040000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = new Set();

test.before(() => {
  if (!fs.existsSync(path.join(ROOT, "build", "bundle", "update.js"))) {
    const b = spawnSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs")], { cwd: ROOT, stdio: "inherit", timeout: 300000 });
    assert.equal(b.status, 0, "node scripts/build.mjs failed");
  }
  const r = spawnSync("make", ["-C", path.join(ROOT, "firmware"), "host"], { encoding: "utf8", timeout: 600000 });
  assert.equal(r.status, 0, `make -C firmware host failed:\n${r.stdout}\n${r.stderr}`);
});

test.after(() => {
  for (const c of children) c.kill("SIGKILL");
});

/** A simulated board: the process, its console lines, and waits on them. */
function startSim(o) {
  const args = ["--board", BOARD, "--flash", o.flash, "--tftp-port", String(o.tftpPort), "--http-port", String(o.httpPort), "--user", "u", "--password", "p", ...(o.args || [])];
  const child = spawn(SIM, args, { env: { ...process.env, ...(o.env || {}) }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const sim = { child, lines: [], exit: null, waiters: [] };
  collectLines(child, sim.lines, () => sim.waiters.forEach((w) => w()));
  sim.exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      children.delete(child);
      sim.exit = { code, signal };
      resolve(sim.exit);
    }),
  );
  /** Wait (bounded) for a console line matching re, after the first `from` lines. */
  sim.waitLine = (re, ms = 15000, from = 0) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const l = sim.lines.slice(from).find((x) => re.test(x));
        if (l !== undefined) {
          clearTimeout(t);
          sim.waiters = sim.waiters.filter((w) => w !== check);
          resolve(l);
          return true;
        }
        return false;
      };
      const t = setTimeout(() => {
        sim.waiters = sim.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${re}; console:\n${sim.lines.join("\n")}`));
      }, ms);
      if (!check()) sim.waiters.push(check);
    });
  sim.stop = async () => {
    if (sim.exit) return;
    child.kill("SIGKILL");
    await Promise.race([sim.exited, sleep(5000)]);
  };
  return sim;
}

/** Poll until fn returns something truthy (bounded): test/helpers/target.mjs's, argument order of this file. */
const until = (what, fn, ms = 15000) => pollUntil(fn, ms, what);

async function getJson(port, p, init) {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: r.status, body: await r.json() };
}

/** curl with a bound; resolves to { code, stdout, stderr } whatever the exit code. */
function curl(args, ms = 30000) {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "--max-time", String(Math.ceil(ms / 1000)), ...args], { timeout: ms + 5000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

const tftpPut = (file, port, ms) => curl(["--tftp-blksize", "1468", "-T", file, `tftp://127.0.0.1:${port}/app.tbi`], ms);
const httpPut = (file, port) => curl(["-u", "u:p", "-T", file, `http://127.0.0.1:${port}/api/firmware`]);

function image(dir, version, size, seed) {
  const f = path.join(dir, `app-${version}-${seed}.tbi`);
  fs.writeFileSync(f, packImage({ board: BOARD, version, payload: fakeApp(size, seed, APP_ADDR + 512) }));
  return f;
}

async function board(dir, extra = {}) {
  const o = { flash: path.join(dir, "board.flash"), tftpPort: await freePort("udp"), httpPort: await freePort(), ...extra };
  return { o, sim: startSim(o) };
}

const flashWord = (file, addr) => fs.readFileSync(file).readUInt32LE(addr - 0x08000000);

test("C runtime: empty board -> update mode -> TFTP upload -> APP 1.0.0 -> POST /app/update -> HTTP upload -> APP 1.1.0", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-rt-"));
  const { o, sim } = await board(dir);
  try {
    const st = await until("status", async () => (await getJson(o.httpPort, "/api/status")).body);
    assert.equal(st.state, "update-mode");
    assert.equal(st.board, BOARD);
    assert.match(st.bootReason, /no valid application/);
    const v1 = image(dir, "1.0.0", 100000, 1);
    const up = await tftpPut(v1, o.tftpPort);
    assert.equal(up.code, 0, up.stderr);
    await sim.waitLine(/^APP 1\.0\.0 running$/);
    const app = await until("GET /app", async () => (await getJson(o.httpPort, "/app")).body);
    assert.deepEqual(app, { version: "1.0.0", board: BOARD, confirmed: true });
    const from = sim.lines.length;
    const r = await getJson(o.httpPort, "/app/update", { method: "POST" });
    assert.equal(r.body.ok, true);
    await sim.waitLine(/^boot: update \(the application asked for update mode\)/, 10000, from);
    const st2 = await until("status", async () => (await getJson(o.httpPort, "/api/status")).body);
    assert.equal(st2.app.version, "1.0.0");
    assert.equal(flashWord(o.flash, APP_ADDR + 0x1c4), 0x4d464e43, "the application confirmed itself");
    const v2 = image(dir, "1.1.0", 300000, 2);
    const h = await httpPut(v2, o.httpPort);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /"ok":true/);
    await sim.waitLine(/^APP 1\.1\.0 running$/, 15000, from);
    assert.equal((await until("GET /app", async () => (await getJson(o.httpPort, "/app")).body)).version, "1.1.0");
  } finally {
    await sim.stop();
  }
});

test("C runtime: corrupt images are refused; the board stays in update mode and a refused header leaves the old application intact", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-rt-"));
  const { o, sim } = await board(dir, { args: ["--no-reboot"] });
  try {
    await until("status", async () => (await getJson(o.httpPort, "/api/status")).body);
    const good = image(dir, "1.0.0", 60000, 3);
    assert.equal((await tftpPut(good, o.tftpPort)).code, 0);
    const before = fs.readFileSync(o.flash).subarray(APP_ADDR - 0x08000000, APP_ADDR - 0x08000000 + 60512);
    // A damaged header (CRC no longer matches): refused before anything is erased.
    const bad = Buffer.from(fs.readFileSync(good));
    bad[0x10] ^= 0x01;
    const badFile = path.join(dir, "bad-header.tbi");
    fs.writeFileSync(badFile, bad);
    const t = await tftpPut(badFile, o.tftpPort);
    assert.notEqual(t.code, 0, "TFTP upload of a damaged header must fail");
    const h = await curl(["-o", "/dev/null", "-w", "%{http_code}", "-u", "u:p", "-T", badFile, `http://127.0.0.1:${o.httpPort}/api/firmware`]);
    assert.match(h.stdout, /^4\d\d$/, `HTTP status ${h.stdout}`);
    const after = fs.readFileSync(o.flash).subarray(APP_ADDR - 0x08000000, APP_ADDR - 0x08000000 + 60512);
    assert.ok(Buffer.compare(before, after) === 0, "the old application is intact");
    let st = (await getJson(o.httpPort, "/api/status")).body;
    assert.equal(st.state, "update-mode");
    assert.equal(st.app.version, "1.0.0");
    assert.equal(st.app.valid, true);
    assert.ok(st.lastError, "the refusal is reported");
    // A damaged payload: found by the CRC at the end, refused, never marked valid.
    const badPayload = Buffer.from(fs.readFileSync(good));
    badPayload[5000] ^= 0xff;
    fs.writeFileSync(badFile, badPayload);
    const t2 = await tftpPut(badFile, o.tftpPort);
    assert.notEqual(t2.code, 0, "TFTP upload of a damaged payload must fail");
    st = (await getJson(o.httpPort, "/api/status")).body;
    assert.equal(st.state, "update-mode");
    assert.equal(st.app.valid, false);
    assert.match(sim.lines.join("\n"), /update mode: TFTP on port/);
  } finally {
    await sim.stop();
  }
});

test("C runtime: --cut-after N ends the process at the Nth flash operation (exit 3); the next start is in update mode", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-rt-"));
  const { o, sim } = await board(dir, { args: ["--cut-after", "4"] });
  try {
    await until("status", async () => (await getJson(o.httpPort, "/api/status")).body);
    const img = image(dir, "1.0.0", 200000, 4);
    const upload = tftpPut(img, o.tftpPort, 5000); // the board dies under it: curl gives up by itself
    const exit = await Promise.race([sim.exited, sleep(15000).then(() => null)]);
    assert.notEqual((await upload).code, 0, "the upload cannot succeed");
    assert.ok(exit, "the process ended");
    assert.equal(exit.code, 3);
    assert.ok(sim.lines.some((l) => /^POWER CUT after flash operation 4 \(/.test(l)), sim.lines.join("\n"));
  } finally {
    await sim.stop();
  }
  const again = startSim(o);
  try {
    const st = await until("status", async () => (await getJson(o.httpPort, "/api/status")).body);
    assert.equal(st.state, "update-mode");
    assert.equal(st.app.valid, false);
    assert.match(st.bootReason, /no valid application/);
  } finally {
    await again.stop();
  }
});

test("C runtime: heap stays flat over 200 consecutive uploads (live bytes back to their level once TFTP sessions end)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-rt-"));
  const { o, sim } = await board(dir, { args: ["--no-reboot"], env: { TYPEBOOT_HEAP_LOG: "20" } });
  try {
    await until("status", async () => (await getJson(o.httpPort, "/api/status")).body);
    const img = image(dir, "1.0.0", 60000, 5);
    const heap = () => {
      const l = sim.lines.filter((x) => x.startsWith("heap: live")).pop();
      const m = /^heap: live (\d+) \(high-water (\d+)\) used (\d+) peak (\d+) size (\d+)/.exec(l);
      return { live: +m[1], liveHigh: +m[2], peak: +m[4], size: +m[5] };
    };
    const next = async () => {
      await sim.waitLine(/^heap: live/, 5000, sim.lines.length);
      return heap();
    };
    const start = await next();
    const figures = [];
    for (let i = 0; i < 200; i++) {
      const r = i % 2 ? await httpPut(img, o.httpPort) : await tftpPut(img, o.tftpPort, 10000);
      assert.equal(r.code, 0, `upload ${i + 1}: ${r.stderr}`);
      figures.push(await next());
    }
    // A finished TFTP session dallies, ready to resend its final ACK, for twice the timeout the
    // client asked for (curl derives it from --max-time): its socket and state go a few seconds later.
    const first = figures[1], last = figures[199];
    const worst = Math.max(...figures.map((f) => f.live));
    let settled = await next();
    for (const end = Date.now() + 20000; settled.live - first.live > 4096 && Date.now() < end; ) settled = await next();
    console.log(`# heap: size ${start.size}; live after start ${start.live}; after upload 2: live ${first.live}, live high-water ${first.liveHigh}, peak ${first.peak}; after upload 200: live ${last.live}, live high-water ${last.liveHigh}, peak ${last.peak}; highest live after an upload ${worst}; once the TFTP sessions ended: live ${settled.live}`);
    assert.ok(settled.live - first.live <= 4096, `live bytes grew from ${first.live} to ${settled.live} once the sessions ended`);
    assert.ok(last.peak < last.size, "never at the arena's end");
    assert.ok(worst - first.live <= (4 + 1) * 8192, `at most the bounded dallying TFTP sessions on top: ${first.live} -> ${worst}`);
    const st = (await getJson(o.httpPort, "/api/status")).body;
    assert.equal(st.state, "update-mode");
    assert.equal(st.app.version, "1.0.0");
  } finally {
    await sim.stop();
  }
});

test("C runtime: an uncaught JS error (TYPEBOOT_TEST_THROW) and an out-of-memory (TYPEBOOT_TEST_OOM) are survived", async () => {
  for (const [env, re] of [
    [{ TYPEBOOT_TEST_THROW: "1" }, /injected test error/],
    [{ TYPEBOOT_TEST_OOM: "1" }, /JS heap ran out/],
  ]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-rt-"));
    const { o, sim } = await board(dir, { env });
    try {
      await sim.waitLine(/^runtime: restarting the update servers after/);
      const st = await until("status after the restart", async () => (await getJson(o.httpPort, "/api/status")).body);
      assert.match(st.bootReason, re);
      assert.match(st.bootReason, /update servers restarted after a runtime error/);
      assert.ok(sim.lines.some((l) => /^runtime: uncaught error in /.test(l)));
      // The restarted servers work: an upload goes through.
      const img = image(dir, "2.0.0", 50000, 6);
      assert.equal((await tftpPut(img, o.tftpPort)).code, 0);
      await sim.waitLine(/^APP 2\.0\.0 running$/);
    } finally {
      await sim.stop();
    }
  }
});

test("C runtime: bundles as TBBC bytecode load; a damaged one is refused before Duktape's loader", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-rt-"));
  const boot = path.join(dir, "boot.tbbc"), update = path.join(dir, "update.tbbc");
  for (const [src, out] of [["boot.js", boot], ["update.js", update]]) {
    const r = spawnSync(SIM, ["--compile", path.join(ROOT, "build", "bundle", src), out], { encoding: "utf8", timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
  }
  const heap = ["--heap", "393216"];
  const { o, sim } = await board(dir, { args: ["--boot-js", boot, "--update-js", update, ...heap] });
  try {
    const st = await until("status", async () => (await getJson(o.httpPort, "/api/status")).body);
    assert.equal(st.state, "update-mode");
  } finally {
    await sim.stop();
  }
  const bad = fs.readFileSync(boot);
  bad[bad.length - 10] ^= 0x55;
  fs.writeFileSync(boot, bad);
  const second = startSim({ ...o, args: ["--boot-js", boot, "--update-js", update, ...heap] });
  try {
    await second.waitLine(/bytecode refused: CRC mismatch/);
    const st = await until("status", async () => (await getJson(o.httpPort, "/api/status")).body);
    assert.match(st.bootReason, /boot policy failed/);
  } finally {
    await second.stop();
  }
});
