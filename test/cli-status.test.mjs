// typeboot status / reboot against the native simulated board; unreachable hosts fail within the bound.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { ROOT, freePort } from "./helpers/host.mjs";
import { startTarget, DEFAULT_CREDS } from "./helpers/target.mjs";

const BIN = path.join(ROOT, "bin", "typeboot.js");

/** Run the CLI (bounded): { code, stdout, stderr, ms }. */
function cli(args, { timeout = 20000, env = {} } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout, killSignal: "SIGKILL", env: { ...process.env, TYPEBOOT_USER: "", TYPEBOOT_PASSWORD: "", ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

test("status prints a table and --json for the native board", async () => {
  const t = await startTarget("native");
  const r = await cli(["status", `127.0.0.1:${t.port}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^state\s+update-mode$/m);
  assert.match(r.stdout, /^board\s+stm324xg-eval \(id 1031\)$/m);
  assert.match(r.stdout, /^update mode\s+direct$/m);
  assert.match(r.stdout, /^heap\s+/m);
  const j = await cli(["status", `127.0.0.1:${t.port}`, "--json"]);
  assert.equal(j.code, 0, j.stderr);
  const s = JSON.parse(j.stdout);
  assert.equal(s.board, "stm324xg-eval");
  assert.equal(s.state, "update-mode");
  assert.equal(s.boardId, (await t.status()).boardId);
  await t.close();
});

test("status: usage mistakes exit 2 with one line, no stack", async () => {
  const r = await cli(["status"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /no host given/);
  const b = await cli(["status", "127.0.0.1:99999"]);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /port must be 1-65535/);
  const h = await cli(["status", "--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^Usage: typeboot status/);
});

test("status: a closed port fails at once, a silent host within --timeout", async () => {
  const closed = await freePort();
  const r = await cli(["status", `127.0.0.1:${closed}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach 127\.0\.0\.1:\d+: connection refused/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  // A server that accepts and never answers.
  const sockets = new Set();
  const silent = net.createServer((s) => sockets.add(s));
  await new Promise((res) => silent.listen(0, "127.0.0.1", res));
  try {
    const s = await cli(["status", `127.0.0.1:${silent.address().port}`, "--timeout", "1"]);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /no answer within 1 s/);
    assert.ok(s.ms < 5000, `took ${s.ms} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test("reboot: wrong credentials exit 1 and say so; missing ones exit 2; right ones reboot", async () => {
  const t = await startTarget("native");
  const where = `127.0.0.1:${t.port}`;
  const none = await cli(["reboot", where]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /credentials needed/);
  const bad = await cli(["reboot", where, "--user", DEFAULT_CREDS.user, "--password", "nope"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /wrong user name or password/);
  const ok = await cli(["reboot", where, "--json"], { env: { TYPEBOOT_USER: DEFAULT_CREDS.user, TYPEBOOT_PASSWORD: DEFAULT_CREDS.password } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { ok: true, host: "127.0.0.1", port: t.port, rebooting: true });
  await t.close();
});
