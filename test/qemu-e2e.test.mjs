// End to end on an ARM core: the real firmware (build/qemu-mps2-an386/typeboot.elf: lwIP on the LAN9118,
// Duktape with the real bundles, the flash writer, the boot policy) in QEMU's mps2-an386, driven by
// real clients through QEMU's user networking on 127.0.0.1. One machine for the whole sequence (its
// flash is RAM kept across resets, not across QEMU runs): each upload must be validated, the device
// must reboot and the application must print its version; between uploads the application is sent
// 'u' on its console and asks for update mode (the boot-request word), as an application would.
// Images: examples/blinky-mps2 (npm run build -- --board qemu-mps2-an386), packed here at 64 KiB.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, load, freePort } from "./helpers/host.mjs";
import { has, runClient } from "./helpers/tftp-net.mjs";

const BOARD = "qemu-mps2-an386";
const { packImage } = load("host/image.js");
const { qemuCommand, elfPath } = load("host/commands/qemu.js");
const APP_BIN = path.join(ROOT, "build", BOARD, "examples", "app.bin");
const CREDS = { user: "admin", password: "e2e-secret" };
const STEP_MS = 60000; /* any single step (a boot, an upload) ends well within this */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-qemu-"));
const machines = [];

const missing = ["qemu-system-arm", "curl", "tftp", "atftp"].filter((c) => !has(c));
const skip = missing.length ? `missing: ${missing.join(", ")} (npm run setup)` : !fs.existsSync(elfPath(BOARD)) || !fs.existsSync(APP_BIN) ? `not built: npm run build -- --board ${BOARD}` : false;

/** The example application padded to 64 KiB with noise, packed with this version. */
function image(version) {
  const code = fs.readFileSync(APP_BIN);
  const payload = new Uint8Array(64 * 1024 - 512);
  let s = 0x9e3779b9;
  for (let i = 0; i < payload.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    payload[i] = s & 255;
  }
  payload.set(code, 0);
  const f = path.join(tmp, `app-${version}.tbi`);
  fs.writeFileSync(f, packImage({ board: BOARD, version, payload, checkVectors: true }));
  return f;
}

/** An image with one byte changed at offset (its header: < 512, its payload: beyond). */
function corrupted(version, offset) {
  const f = image(version);
  const b = fs.readFileSync(f);
  b[offset] ^= 0x5a;
  const g = f.replace(/\.tbi$/, `-bad${offset}.tbi`);
  fs.writeFileSync(g, b);
  return g;
}

/** A QEMU machine running the firmware, its console collected; waits consume the console in order. */
async function machine(mode) {
  const m = { console: "", mark: 0, tftpPort: await freePort("udp"), httpPort: await freePort("tcp") };
  const q = qemuCommand({ board: BOARD, tftpPort: m.tftpPort, httpPort: m.httpPort, user: CREDS.user, password: CREDS.password, mode, configFile: path.join(tmp, `config-${mode}.bin`) });
  m.proc = spawn(q.cmd, q.args, { stdio: ["pipe", "pipe", "pipe"] });
  machines.push(m);
  m.proc.stdout.on("data", (d) => (m.console += d.toString("latin1")));
  m.proc.stderr.on("data", (d) => (m.console += d.toString("latin1")));

  /** Wait for a console match after everything already consumed; consumes through it. */
  m.expect = (re, ms = STEP_MS, what = String(re)) =>
    new Promise((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => {
        const rest = m.console.slice(m.mark);
        const x = re.exec(rest);
        if (x) {
          m.mark += x.index + x[0].length;
          return resolve(x);
        }
        if (m.proc.exitCode !== null) return reject(new Error(`QEMU exited while waiting for ${what}; console:\n${m.console.slice(-3000)}`));
        if (Date.now() - t0 > ms) return reject(new Error(`no ${what} on the console within ${ms} ms; console since the last step:\n${rest.slice(-3000)}`));
        setTimeout(tick, 50);
      };
      tick();
    });

  /** Update mode is ready: the servers run and the interface has its address. */
  m.updateModeReady = async () => {
    await m.expect(/update mode: TFTP on port 69/, STEP_MS, "update mode");
    // The DHCP lease may come before or after the servers start: look from the boot banner on.
    const since = m.console.lastIndexOf("mps2: qemu-mps2-an386, boot");
    const t0 = Date.now();
    while (!/net: DHCP address 10\.0\.2\.15/.test(m.console.slice(since))) {
      if (Date.now() - t0 > 20000) throw new Error("no DHCP lease on the console:\n" + m.console.slice(since));
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  m.appRuns = (version) => m.expect(new RegExp(`APP ${version.replace(/\./g, "\\.")} running`), STEP_MS, `APP ${version} running`);
  /** Ask the running application for update mode (its console), wait until the servers are up. */
  m.backToUpdateMode = async () => {
    m.proc.stdin.write("u");
    await m.expect(/APP update requested/, 10000, "the application's answer to 'u'");
    await m.updateModeReady();
  };
  m.tftpCurl = (file) => runClient("curl", ["-sS", "--max-time", "60", "--tftp-blksize", "1468", "-T", file, `tftp://127.0.0.1:${m.tftpPort}/app.tbi`], { timeoutMs: STEP_MS });
  m.url = `http://127.0.0.1:${m.httpPort}`;

  await m.expect(/boot 1 \(power-on: flash formatted\)/, 20000, "the power-on banner");
  await m.expect(/boot: update \(no valid application/, 20000, "update mode on an empty flash");
  await m.updateModeReady();
  return m;
}

async function curl(args) {
  const r = await runClient("curl", ["-sS", "--max-time", "30", "-w", "\n%{http_code}", ...args], { timeoutMs: 40000 });
  const lines = r.out.split("\n");
  return { ...r, status: Number(lines.pop()), body: lines.join("\n") };
}

after(() => {
  for (const m of machines) if (m.proc.exitCode === null) m.proc.kill("SIGKILL");
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("QEMU mps2-an386, direct mode: curl, tftp-hpa, atftp (windowsize), HTTP login + upload; corrupt images refused", { skip, timeout: 12 * STEP_MS }, async (t) => {
  const m = await machine("direct");
  await t.test("curl --tftp-blksize 1468 uploads 1.0.0; the device validates, reboots, the application runs", async () => {
    const r = await m.tftpCurl(image("1.0.0"));
    assert.equal(r.code, 0, r.err);
    await m.expect(/update: tftp from [\d.:]+: image 1\.0\.0 \(65536 bytes\) written and verified/, 10000, "the upload's verification");
    await m.expect(/boot: (run|trial) /, STEP_MS, "the boot decision");
    await m.appRuns("1.0.0");
  });

  await t.test("tftp-hpa uploads 1.1.0 (lock-step, 512-byte blocks)", async () => {
    await m.backToUpdateMode();
    const r = await runClient("tftp", ["127.0.0.1", String(m.tftpPort), "-m", "binary", "-c", "put", image("1.1.0"), "app.tbi"], { timeoutMs: STEP_MS });
    assert.equal(r.code, 0, r.out + r.err);
    await m.expect(/image 1\.1\.0 \(65536 bytes\) written and verified/, 10000, "the upload's verification");
    await m.appRuns("1.1.0");
  });

  await t.test("atftp with windowsize 8 uploads 1.2.0", async () => {
    await m.backToUpdateMode();
    // A window of 8 blocks of 1024 bytes fits the RX FIFO of QEMU's LAN9118 model (10.5 KB); 8 x 1428-byte
    // blocks overflow it, frames are dropped and atftp recovers by timeouts (slow, but it works too).
    const r = await runClient("atftp", ["--option", "windowsize 8", "--option", "blksize 1024", "-p", "-l", image("1.2.0"), "-r", "app.tbi", "127.0.0.1", String(m.tftpPort)], { timeoutMs: STEP_MS });
    assert.equal(r.code, 0, r.out + r.err);
    await m.expect(/image 1\.2\.0 \(65536 bytes\) written and verified/, 10000, "the upload's verification");
    await m.appRuns("1.2.0");
  });

  await t.test("HTTP: curl logs in (cookie) and uploads 1.3.0 with the form", async () => {
    await m.backToUpdateMode();
    const jar = path.join(tmp, "cookies");
    const bad = await curl(["-o", "/dev/null", "-d", `user=${CREDS.user}`, "-d", "password=wrong", `${m.url}/login`]);
    assert.equal(bad.status, 401, "a wrong password is refused");
    const lg = await curl(["-c", jar, "-o", "/dev/null", "-d", `user=${CREDS.user}`, "-d", `password=${CREDS.password}`, `${m.url}/login`]);
    assert.equal(lg.status, 303, lg.err);
    assert.match(fs.readFileSync(jar, "utf8"), /tb_session/);
    const up = await curl(["-b", jar, "-F", `file=@${image("1.3.0")}`, `${m.url}/upload`]);
    assert.ok(up.status >= 200 && up.status < 400, `upload answered ${up.status}: ${up.body.slice(0, 300)} ${up.err}`);
    await m.expect(/update: http from [\d.:]+: image 1\.3\.0 \(65536 bytes\) written and verified/, 10000, "the upload's verification");
    await m.appRuns("1.3.0");
  });

  await t.test("a corrupt header is refused (TFTP ERROR, HTTP 4xx) before anything is erased: 1.3.0 still boots", async () => {
    await m.backToUpdateMode();
    const f = corrupted("1.4.0", 0x20); /* the payload CRC field: the header CRC no longer matches */
    const r = await m.tftpCurl(f);
    // The device's TFTP ERROR is curl's exit code 71 (CURLE_TFTP_ILLEGAL) or 69 (CURLE_TFTP_PERM).
    assert.ok(r.code === 71 || r.code === 69, `curl reports the TFTP ERROR (exit ${r.code}): ${r.err}`);
    await m.expect(/update: tftp: BAD_HEADER_CRC: /, 10000, "the refusal on the console");
    const h = await curl(["-u", `${CREDS.user}:${CREDS.password}`, "-T", f, `${m.url}/api/firmware`]);
    assert.ok(h.status >= 400 && h.status < 500, `HTTP answered ${h.status}: ${h.body.slice(0, 300)}`);
    await m.expect(/update: http: BAD_HEADER_CRC: /, 10000, "the HTTP refusal on the console");
    const rb = await curl(["-X", "POST", "-u", `${CREDS.user}:${CREDS.password}`, `${m.url}/api/reboot`]);
    assert.equal(rb.status, 200, rb.body);
    await m.expect(/boot: run \(application 1\.3\.0 is confirmed; confirmed image, payload CRC not recomputed\)/, STEP_MS, "the boot decision for the kept 1.3.0");
    await m.appRuns("1.3.0");
  });

  await t.test("a corrupt payload is refused at its end (TFTP ERROR, HTTP 4xx) and never marked valid", async () => {
    await m.backToUpdateMode();
    const f = corrupted("1.4.0", 40000);
    const r = await m.tftpCurl(f);
    assert.ok(r.code === 71 || r.code === 69, `curl reports the TFTP ERROR (exit ${r.code}): ${r.err}`);
    await m.expect(/update: tftp: \w+: payload CRC in flash is 0x[0-9a-f]+, header says/, 10000, "the refusal on the console");
    const h = await curl(["-u", `${CREDS.user}:${CREDS.password}`, "-T", f, `${m.url}/api/firmware`]);
    assert.ok(h.status >= 400 && h.status < 500, `HTTP answered ${h.status}: ${h.body.slice(0, 300)}`);
    // Direct mode wrote it over the application: the device stays in update mode, it does not run it.
    const rb = await curl(["-X", "POST", "-u", `${CREDS.user}:${CREDS.password}`, `${m.url}/api/reboot`]);
    assert.equal(rb.status, 200, rb.body);
    await m.expect(/boot: update \(no valid application \(incomplete \(never marked valid\)\)\)/, STEP_MS, "update mode after the refused image");
  });
});

test("QEMU mps2-an386, staged mode: a corrupt payload is refused and the previous application still boots", { skip, timeout: 6 * STEP_MS }, async () => {
  const m = await machine("staged");
  let r = await m.tftpCurl(image("1.0.0"));
  assert.equal(r.code, 0, r.err);
  await m.expect(/boot: install /, STEP_MS, "the installation of the staged image");
  await m.appRuns("1.0.0");
  await m.backToUpdateMode();
  r = await m.tftpCurl(corrupted("1.1.0", 40000));
  assert.ok(r.code === 71 || r.code === 69, `curl reports the TFTP ERROR (exit ${r.code}): ${r.err}`);
  await m.expect(/update: tftp: \w+: payload CRC in flash is/, 10000, "the refusal on the console");
  const h = await curl(["-u", `${CREDS.user}:${CREDS.password}`, "--data-binary", `@${corrupted("1.1.0", 30000)}`, `${m.url}/api/firmware`]);
  assert.ok(h.status >= 400 && h.status < 500, `HTTP answered ${h.status}: ${h.body.slice(0, 300)}`);
  const rb = await curl(["-X", "POST", "-u", `${CREDS.user}:${CREDS.password}`, `${m.url}/api/reboot`]);
  assert.equal(rb.status, 200, rb.body);
  await m.expect(/boot: run \(application 1\.0\.0 is confirmed; confirmed image, payload CRC not recomputed\)/, STEP_MS, "the boot decision for the kept 1.0.0");
  await m.appRuns("1.0.0");
});
