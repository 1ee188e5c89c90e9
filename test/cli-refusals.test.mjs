// typeboot upload when things go wrong: a board that disappears mid-upload, an image too large for the
// slot, a corrupted image — each a bounded failure with a clear message, and nothing half-done left valid.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, packImage, fakeApp, header, crc32 } from "./helpers/host.mjs";
import { startTarget } from "./helpers/target.mjs";

const BIN = path.join(ROOT, "bin", "typeboot.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-cli-refusals-"));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args, timeout = 40000) {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout, killSignal: "SIGKILL" }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr, ms: Date.now() - started }),
    );
  });
}

const to = (t) => ["--to", `127.0.0.1:${t.port}/${t.tftpPort}`];

test("a board that disappears mid-upload: the upload fails within a bounded time, with a clear message", async () => {
  // Datasheet flash timing makes a 600 KB upload last seconds: time enough to pull the plug.
  const t = await startTarget("native", { timing: true });
  const f = path.join(dir, "big.tbi");
  fs.writeFileSync(f, packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(600000, 3) }));
  const run = cli(["upload", f, ...to(t)]);
  await new Promise((r) => setTimeout(r, 1500));
  await t.close();
  const r = await run;
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /no answer|timed out|gave up|unreachable|refused/i);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  assert.ok(r.ms < 30000, `took ${r.ms} ms`);
});

test("an image larger than the board's slot is refused by the board before anything is erased", async () => {
  const t = await startTarget("native");
  const before = t.snapshot();
  // A well-formed image (header CRC and payload CRC right) whose payload exceeds the 768 KiB slot.
  const payload = fakeApp(800 * 1024, 4);
  const h = header.buildHeader({ imageSize: payload.length, loadAddress: 0x08040200, major: 1, minor: 0, patch: 0, build: 0, boardId: 1031, flags: 0, payloadCrc: crc32(payload) }, crc32);
  const f = path.join(dir, "huge.tbi");
  fs.writeFileSync(f, Buffer.concat([h, payload]));
  for (const via of ["tftp", "http"]) {
    const r = await cli(["upload", f, ...to(t), "--via", via, "--user", "user", "--password", "stm32"]);
    assert.equal(r.code, 1, `${via}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /does not fit|too large|allocation exceeded|over the \d+-byte limit/i, via);
  }
  assert.deepEqual(Buffer.compare(Buffer.from(t.snapshot()), Buffer.from(before)), 0, "flash unchanged");
  await t.close();
});

test("a corrupted image is refused (by the CLI's own check, or by the board: never marked valid)", async () => {
  const t = await startTarget("native");
  const img = packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(50000, 5) });
  img[20000] ^= 0x10;
  const f = path.join(dir, "bad.tbi");
  fs.writeFileSync(f, img);
  const r = await cli(["upload", f, ...to(t)]);
  assert.ok(r.code === 1 || r.code === 2, r.stdout + r.stderr);
  assert.match(r.stderr, /CRC/);
  const s = await t.status();
  assert.equal(s.app.valid, false);
  await t.close();
});
