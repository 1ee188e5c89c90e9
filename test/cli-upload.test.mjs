// typeboot upload against the native simulated board: TFTP (our own client) and HTTP, refusals, credentials.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, packImage, fakeApp, freePort } from "./helpers/host.mjs";
import { startTarget, DEFAULT_CREDS } from "./helpers/target.mjs";

const BIN = path.join(ROOT, "bin", "typeboot.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-cli-"));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args, { timeout = 30000, env = {} } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout, killSignal: "SIGKILL", env: { ...process.env, TYPEBOOT_USER: "", TYPEBOOT_PASSWORD: "", ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function image(name, board, version, size = 100000) {
  const f = path.join(dir, name);
  fs.writeFileSync(f, packImage({ board, version, payload: fakeApp(size, size) }));
  return f;
}

const creds = ["--user", DEFAULT_CREDS.user, "--password", DEFAULT_CREDS.password];

test("upload by TFTP: options negotiated, the board's version reported, --json parsed", async () => {
  const t = await startTarget("native");
  const f = image("a.tbi", "stm324xg-eval", "1.2.3");
  const r = await cli(["upload", f, "--to", `127.0.0.1:${t.port}`, "--tftp-port", String(t.tftpPort)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /TFTP, blksize 1468, window 4\)/);
  assert.match(r.stdout, /board reports version 1\.2\.3/);
  assert.equal(r.stderr, ""); // no progress line without a terminal
  const s = await t.status();
  assert.equal(s.lastUpdate.version, "1.2.3");
  assert.equal(s.lastUpdate.transport, "tftp");
  assert.equal(s.app.valid, true);

  const g = image("b.tbi", "stm324xg-eval", "1.2.4", 33333);
  const j = await cli(["upload", g, "--to", `127.0.0.1:${t.port}`, "--tftp-port", String(t.tftpPort), "--windowsize", "2", "--json"]);
  assert.equal(j.code, 0, j.stderr);
  const o = JSON.parse(j.stdout);
  assert.equal(o.ok, true);
  assert.equal(o.via, "tftp");
  assert.equal(o.boardVersion, "1.2.4");
  assert.equal(o.blksize, 1468);
  assert.equal(o.windowsize, 2);
  assert.equal(o.options, true);
  assert.equal(o.bytes, 33333 + 512);
  await t.close();
});

test("upload by HTTP with login; wrong credentials exit 1 and say so", async () => {
  const t = await startTarget("native");
  const f = image("h.tbi", "stm324xg-eval", "2.0.1", 150000);
  const bad = await cli(["upload", f, "--to", `127.0.0.1:${t.port}`, "--via", "http", "--user", DEFAULT_CREDS.user, "--password", "wrong"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /wrong user name or password/);
  assert.equal(bad.stderr.trim().split("\n").length, 1);
  const none = await cli(["upload", f, "--to", `127.0.0.1:${t.port}`, "--via", "http"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /credentials needed/);
  const r = await cli(["upload", f, "--to", `127.0.0.1:${t.port}`, "--via", "http", "--json"], { env: { TYPEBOOT_USER: DEFAULT_CREDS.user, TYPEBOOT_PASSWORD: DEFAULT_CREDS.password } });
  assert.equal(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.equal(o.via, "http");
  assert.equal(o.boardVersion, "2.0.1");
  const s = await t.status();
  assert.equal(s.lastUpdate.transport, "http");
  assert.equal(s.app.version, "2.0.1");
  await t.close();
});

test("a board that refuses the image: its message shown, exit 1 (TFTP and HTTP)", async () => {
  const t = await startTarget("native");
  const f = image("w.tbi", "nucleo-f429zi", "1.0.0");
  const a = await cli(["upload", f, "--to", `127.0.0.1:${t.port}`, "--tftp-port", String(t.tftpPort)]);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /refused the upload: image is for board id 1065, this is stm324xg-eval/);
  assert.doesNotMatch(a.stderr, /\n\s+at /);
  const b = await cli(["upload", f, "--to", `127.0.0.1:${t.port}`, "--via", "http", ...creds]);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /refused the upload: image is for board id 1065.*WRONG_BOARD/);
  const s = await t.status();
  assert.equal(s.app.valid === true, false);
  await t.close();
});

test("upload: user mistakes exit 2; an unreachable board fails within the bound", async () => {
  const f = image("u.tbi", "stm324xg-eval", "1.0.0", 1000);
  const junk = path.join(dir, "junk.tbi");
  fs.writeFileSync(junk, Buffer.alloc(600, 7));
  for (const [args, re] of [
    [["upload"], /no image given/],
    [["upload", path.join(dir, "missing.tbi"), "--to", "127.0.0.1"], /no such file/],
    [["upload", f], /--to <host>\[:httpPort\] is required/],
    [["upload", f, "--to", "127.0.0.1", "--via", "ftp"], /--via must be tftp or http/],
    [["upload", junk, "--to", "127.0.0.1"], /magic|image/i],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  }
  // Nothing on either port: TFTP retries a bounded number of times, HTTP is refused at once.
  const tcp = await freePort();
  const udp = await freePort("udp");
  const t = await cli(["upload", f, "--to", `127.0.0.1:${tcp}`, "--tftp-port", String(udp), "--timeout", "1"]);
  assert.equal(t.code, 1);
  assert.match(t.stderr, /no answer from the TFTP server after \d+ tries/);
  assert.ok(t.ms < 15000, `took ${t.ms} ms`);
  const h = await cli(["upload", f, "--to", `127.0.0.1:${tcp}`, "--via", "http", ...creds, "--timeout", "1"]);
  assert.equal(h.code, 1);
  assert.match(h.stderr, /cannot reach 127\.0\.0\.1:\d+: connection refused/);
});
