// The simulated board: the real ES5 bundles (boot policy, then the update servers) on the host
// platform, driven by real clients, through reboots into the application and back.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import { ROOT, SimBoard, packImage, fakeApp, freePort, loadBoard } from "./helpers/host.mjs";
import { until as pollUntil } from "./helpers/target.mjs";

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll until fn returns something truthy (bounded): test/helpers/target.mjs's, argument order of this file. */
const until = (what, fn, ms = 15000) => pollUntil(fn, ms, what);

async function getJson(port, p) {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(5000) });
  return r.json();
}

function tmpImage(dir, board, version, size, seed) {
  const f = path.join(dir, `${board}-${version}.tbi`);
  fs.writeFileSync(f, packImage({ board, version, payload: fakeApp(size, seed, loadBoard(board).info.app.addr + 512) }));
  return f;
}

test("simulated EVAL board: empty -> update mode -> TFTP upload -> reboot into the app -> back to update mode -> HTTP upload", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-sim-"));
  const [tftpPort, httpPort] = [await freePort("udp"), await freePort()];
  const lines = [];
  const board = new SimBoard({ board: "stm324xg-eval", flashFile: path.join(dir, "f.flash"), tftpPort, httpPort, credentials: { user: "u", password: "p" }, log: (s) => lines.push(s) });
  try {
    board.start();
    assert.equal(board.state, "update");
    const st = await until("status", () => getJson(httpPort, "/api/status"));
    assert.equal(st.board, "stm324xg-eval");
    assert.match(st.bootReason, /no valid application/);
    const v1 = tmpImage(dir, "stm324xg-eval", "1.0.0", 100000, 1);
    await run("curl", ["-sS", "--max-time", "30", "--tftp-blksize", "1468", "-T", v1, `tftp://127.0.0.1:${tftpPort}/app.tbi`]);
    await until("the app", () => board.state === "app", 10000);
    assert.ok(lines.includes("APP 1.0.0 running"), lines.join("\n"));
    const app = await until("GET /app", () => getJson(httpPort, "/app"));
    assert.equal(app.version, "1.0.0");
    await fetch(`http://127.0.0.1:${httpPort}/app/update`, { method: "POST" });
    await until("update mode", () => board.state === "update");
    const st2 = await until("status", () => getJson(httpPort, "/api/status"));
    assert.match(st2.bootReason, /asked for update mode/);
    assert.equal(st2.app.version, "1.0.0");
    const v2 = tmpImage(dir, "stm324xg-eval", "1.1.0", 60000, 2);
    const { stdout } = await run("curl", ["-sS", "--max-time", "30", "-u", "u:p", "-T", v2, `http://127.0.0.1:${httpPort}/api/firmware`]);
    assert.match(stdout, /1\.1\.0/);
    await until("the new app", () => board.state === "app" && board.runningVersion === "1.1.0", 10000);
  } finally {
    board.stop();
  }
});

test("simulated Nucleo (staged): upload -> install -> trial boot -> the app confirms -> runs confirmed", async () => {
  const [tftpPort, httpPort] = [await freePort("udp"), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-sim-"));
  const lines = [];
  const board = new SimBoard({ board: "nucleo-f429zi", tftpPort, httpPort, credentials: { user: "u", password: "p" }, log: (s) => lines.push(s) });
  try {
    board.start();
    const v1 = tmpImage(dir, "nucleo-f429zi", "3.0.0", 300000, 3);
    await run("tftp", ["127.0.0.1", String(tftpPort), "-m", "binary", "-c", "put", v1, "app.tbi"], { timeout: 60000 });
    await until("the app", () => board.state === "app", 10000);
    assert.deepEqual(board.bootSteps.map((s) => s.split(":")[0]), ["install", "trial"]);
    const app = await until("GET /app", () => getJson(httpPort, "/app"));
    assert.deepEqual([app.version, app.confirmed], ["3.0.0", true]);
    board.reset();
    assert.deepEqual(board.bootSteps.map((s) => s.split(":")[0]), ["run"]);
  } finally {
    board.stop();
  }
});

test("npx typeboot sim: prints how to upload, serves on the given ports, flash persists between runs", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-cli-"));
  const flash = path.join(dir, "board.flash");
  const [tftpPort, httpPort] = [await freePort("udp"), await freePort()];
  const start = () => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "typeboot.js"), "sim", "--board", "nucleo-f429zi", "--flash", flash, "--tftp-port", String(tftpPort), "--http-port", String(httpPort)], { env: { ...process.env, TYPEBOOT_USER: "ops", TYPEBOOT_PASSWORD: "pw1" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    return { child, out: () => out };
  };
  let s = start();
  try {
    await until("the banner", () => /Stop with Ctrl-C/.test(s.out()));
    assert.match(s.out(), new RegExp(`curl --tftp-blksize 1468 -T app.tbi tftp://127.0.0.1:${tftpPort}/app.tbi`));
    assert.match(s.out(), /login:\s+ops \/ pw1/);
    const v = tmpImage(dir, "nucleo-f429zi", "4.2.0", 20000, 4);
    await run("curl", ["-sS", "--max-time", "30", "-u", "ops:pw1", "-T", v, `http://127.0.0.1:${httpPort}/api/firmware`]);
    await until("APP 4.2.0 running", () => /APP 4\.2\.0 running/.test(s.out()));
  } finally {
    s.child.kill("SIGKILL");
  }
  await sleep(200);
  s = start();
  try {
    await until("the app after restart", () => /APP 4\.2\.0 running/.test(s.out()));
    assert.equal(fs.statSync(flash).size, 2 * 1024 * 1024);
  } finally {
    s.child.kill("SIGKILL");
  }
});

test("npx typeboot sim without credentials generates a password and prints it", async () => {
  const [tftpPort, httpPort] = [await freePort("udp"), await freePort()];
  const env = { ...process.env };
  delete env.TYPEBOOT_PASSWORD;
  delete env.TYPEBOOT_USER;
  const child = spawn(process.execPath, [path.join(ROOT, "bin", "typeboot.js"), "sim", "--flash", path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tb-cli-")), "f"), "--tftp-port", String(tftpPort), "--http-port", String(httpPort)], { env });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  try {
    await until("the banner", () => /Stop with Ctrl-C/.test(out));
    const m = /login:\s+admin \/ (\S+)\s+\(generated/.exec(out);
    assert.ok(m, out);
    assert.ok(m[1].length >= 10);
    const img = path.join(os.tmpdir(), `tb-small-${process.pid}.tbi`);
    fs.writeFileSync(img, packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(100) }));
    const bad = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "admin:stm32", "-T", img, `http://127.0.0.1:${httpPort}/api/firmware`]).catch((e) => e);
    assert.equal(bad.stdout, "401");
  } finally {
    child.kill("SIGKILL");
  }
});
